"""The roster: which agencies must report, their level, region and deadline group.

Imported from CSV (UTF-8 or GB18030) or XLSX with a header row; columns are
found by name (机关名称/名称, 层级, 地区/上级机关, 时限分组/报送时限, or the
English name/level/region/parent/deadline_group). An import replaces the
roster. The campaign then shows who has not submitted and who was late, and
the roster's level is used instead of the guess from the agency's name.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from ..errors import InputError
from ..pairing import agency_key
from . import schema as S
from .campaign import Store, now

MAX_ROWS = 100_000
COLUMNS = {
    "name": ("机关名称", "单位名称", "名称", "机关", "单位", "name", "agency"),
    "level": ("层级", "级别", "机关层级", "level"),
    "region": ("地区", "所属地区", "上级机关", "上级", "region", "parent"),
    "deadline_group": ("时限分组", "报送时限", "截止日期", "时限", "deadline_group", "deadline"),
}
LEVELS = {"政府": "government", "人民政府": "government", "本级政府": "government", "government": "government",
          "部门": "department", "政府部门": "department", "department": "department"}
LEVEL_CN = {"government": "人民政府", "department": "政府部门"}


@dataclass
class RosterEntry:
    name: str
    agency_key: str
    level: str | None
    region: str | None
    deadline_group: str | None


def read_roster(path: str) -> list[RosterEntry]:
    """Rows of a roster file; InputError (one line, naming the file) for anything wrong with it."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(path, f"名单文件无法读取：{exc.strerror or exc}") from None
    if not data:
        raise InputError(path, "名单文件为空")
    rows = _xlsx_rows(path, data) if data[:4] == b"PK\x03\x04" else _csv_rows(path, data)
    if not rows:
        raise InputError(path, "名单文件没有表头")
    header = [str(c or "").strip().lower() for c in rows[0]]
    index = {}
    for key, names in COLUMNS.items():
        for i, cell in enumerate(header):
            if cell in names:
                index[key] = i
                break
    if "name" not in index:
        raise InputError(path, f"名单缺少“机关名称”列（表头应包含：{'、'.join(COLUMNS['name'][:3])} 之一）")
    if len(rows) - 1 > MAX_ROWS:
        raise InputError(path, f"名单超过 {MAX_ROWS} 行")
    entries: dict[str, RosterEntry] = {}
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda key: (str(row[index[key]]).strip() or None) if key in index and index[key] < len(row) \
            and row[index[key]] is not None else None  # noqa: E731
        name = cell("name")
        if not name:
            continue
        level_text = cell("level")
        level = None
        if level_text:
            level = LEVELS.get(level_text.lower())
            if level is None:
                raise InputError(path, f"第{number}行：层级“{level_text}”无法识别（应为“政府”或“部门”）")
        key = agency_key(name)
        if key is None:
            continue
        entries[key] = RosterEntry(name, key, level, cell("region"), cell("deadline_group"))
    if not entries:
        raise InputError(path, "名单中没有任何机关")
    return list(entries.values())


def _csv_rows(path: str, data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(path, "名单文件编码无法识别（应为 UTF-8 或 GB18030 的 CSV，或 XLSX）")
    if "\x00" in text:
        raise InputError(path, "名单文件不是 CSV 或 XLSX 表格")
    return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]


def _xlsx_rows(path: str, data: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(path, f"XLSX 名单无法读取：{exc}") from None
    sheet = book.worksheets[0]
    rows = []
    for i, row in enumerate(sheet.iter_rows(values_only=True)):
        if i > MAX_ROWS + 1:
            raise InputError(path, f"名单超过 {MAX_ROWS} 行")
        if any(c not in (None, "") for c in row):
            rows.append(list(row))
    book.close()
    return rows


def import_roster(store: Store, entries: list[RosterEntry]) -> int:
    """Replace the roster (one transaction)."""
    at = now()
    with store.engine.begin() as conn:
        conn.execute(delete(S.roster))
        conn.execute(S.roster.insert(), [{"name": e.name, "agency_key": e.agency_key, "level": e.level,
                                          "region": e.region, "deadline_group": e.deadline_group,
                                          "imported_at": at} for e in entries])
    return len(entries)


def roster_entries(store: Store) -> list[RosterEntry]:
    with store.engine.connect() as conn:
        return [RosterEntry(r.name, r.agency_key, r.level, r.region, r.deadline_group)
                for r in conn.execute(select(S.roster).order_by(S.roster.c.id))]


def roster_levels(store: Store) -> dict[str, str]:
    return {e.agency_key: e.level for e in roster_entries(store) if e.level}


# ---------------------------------------------------------------------------
@dataclass
class Submissions:
    year: int | None
    missing: list[RosterEntry]
    late: list[tuple[RosterEntry, dt.date, dt.date, str]]     # entry, deadline, date, which date
    on_time: int
    outside: list[str]                                      # stored agencies not on the roster


def deadline_for(entry: RosterEntry, year: int, params: dict[str, Any]) -> dt.date | None:
    group = (entry.deadline_group or "").strip()
    if group:
        try:
            return dt.date.fromisoformat(group)
        except ValueError:
            pass
    level = LEVELS.get(group.lower()) or entry.level
    if level not in ("government", "department"):
        return None
    month, day = params.get(f"{level}_deadline_month"), params.get(f"{level}_deadline_day")
    if not isinstance(month, int) or not isinstance(day, int):
        return None
    return dt.date(year + 1, month, day)


def submissions(store: Store, year: int | None = None, rows: list[dict[str, Any]] | None = None) -> Submissions:
    """Who on the roster has not submitted a report on `year` (default: the latest year stored), and
    who submitted late: the report's own date (signed or published; where it has none, when the store received it)
    after the deadline of the entry's group or level."""
    from ..packs import load_pack
    # `rows`: the reports rows when the caller already holds them (the workbench's summary).
    rows = [r for r in (store.report_rows() if rows is None else rows) if r["agency_key"] and r["year"]]
    if year is None:
        year = max((r["year"] for r in rows), default=None)
    entries = roster_entries(store)
    params = load_pack("gov-2021").params      # the statutory deadlines (a local pack may move them)
    first: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["version"]):
        if r["year"] == year:
            first.setdefault(r["agency_key"], r)
    missing, late, on_time = [], [], 0
    for entry in entries:
        row = first.get(entry.agency_key)
        if row is None:
            missing.append(entry)
            continue
        deadline = deadline_for(entry, year, params) if year else None
        date, which = _submitted(row)
        if deadline and date and date > deadline:
            late.append((entry, deadline, date, which))
        else:
            on_time += 1
    known = {e.agency_key for e in entries}
    outside = sorted({r["agency"] or r["agency_key"] for k, r in first.items() if k not in known})
    return Submissions(year, missing, late, on_time, outside)


def _submitted(row: dict[str, Any]) -> tuple[dt.date | None, str]:
    if row.get("report_date"):
        try:
            return dt.date.fromisoformat(row["report_date"]), "报告日期"
        except ValueError:
            pass
    received = row.get("received_at")
    return (received.date() if received else None), "收到日期"
