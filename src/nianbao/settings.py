"""Campaign settings: who sends the letters, under which reference, with what deadline.

Set once per review campaign, not in a rule pack, in a `nianbao.toml`:

    [letter]
    sender = "淮安市人民政府办公室"          # 发文机关（函头和落款）
    reference = "淮政办函〔2026〕12号"       # 发文字号
    signatory = "淮安市人民政府办公室"       # 署名（默认同发文机关）
    contact = "联系人：张三，电话：0517-12345678"
    deadline_days = 15                      # 答复期限：成文日期后的工作日数
    date = 2026-02-10                       # 成文日期（默认当天）
    # deadline = 2026-03-06                 # 固定的整改期限（优先于 deadline_days）

`load(out_dir, overrides)` looks for the file in the output folder, then beside it (the
output folder's parent), then in the current folder, and reads the first one found; the
command line's `--sender`, `--reference`, `--signatory`, `--contact`, `--deadline-days`
override it key by key. A value left out stays None, and the letter then takes the rule
pack's `letter:` key or its built-in default (docs/letters.md).
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .errors import NianbaoError

FILE_NAME = "nianbao.toml"
MAX_FILE_BYTES = 64 * 1024          # a settings file is a few lines; anything larger is not one
MAX_TEXT = 200                      # characters in one setting (a sender, a reference…)
SECTION = "letter"


class SettingsError(NianbaoError):
    """The settings file or an override is wrong: one line naming the file and the key."""


@dataclass(frozen=True)
class LetterSettings:
    sender: str | None = None        # 发文机关
    reference: str | None = None     # 发文字号
    signatory: str | None = None     # 署名 (default: the sender)
    contact: str | None = None       # 联系人及电话
    deadline_days: int | None = None  # 答复期限, working days after the letter's date
    deadline: dt.date | None = None  # a fixed deadline, wins over deadline_days
    date: dt.date | None = None      # 成文日期 (default: today)
    source: str | None = None        # the settings file read, if any

    def options(self) -> dict[str, Any]:
        """The letter options these settings give (outputs.letter), None meaning "not set"."""
        return {"sender": self.sender, "reference": self.reference, "signatory": self.signatory,
                "contact": self.contact, "deadline_days": self.deadline_days, "deadline": self.deadline}

    def letter_date(self, today: dt.date | None = None) -> dt.date:
        return self.date or today or dt.date.today()


KEYS = tuple(f.name for f in fields(LetterSettings) if f.name != "source")
_TEXT = ("sender", "reference", "signatory", "contact")
_DATES = ("deadline", "date")
# The command line's flags (argparse dests) that override a key of the file.
OVERRIDE_FLAGS = ("sender", "reference", "signatory", "contact", "deadline_days")


def find_file(out_dir: str | Path | None, cwd: str | Path | None = None) -> Path | None:
    """The settings file used for an output folder: in it, beside it, then in the current folder."""
    places: list[Path] = []
    if out_dir is not None:
        folder = Path(out_dir).expanduser().absolute()
        places += [folder / FILE_NAME, folder.parent / FILE_NAME]
    places.append(Path(cwd or Path.cwd()).absolute() / FILE_NAME)
    seen: set[Path] = set()
    for path in places:
        if path in seen:
            continue
        seen.add(path)
        if path.is_file():
            return path
    return None


def load(out_dir: str | Path | None, overrides: Mapping[str, Any] | None = None,
         cwd: str | Path | None = None) -> LetterSettings:
    """The campaign's letter settings: the settings file found for `out_dir`, then `overrides`."""
    path = find_file(out_dir, cwd)
    values = read_file(path) if path is not None else {}
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in KEYS:
            raise SettingsError("命令行", f"未知的信函设置 {key}（可用的设置：{'、'.join(KEYS)}）")
        values[key] = _value(key, value, "命令行")
    return LetterSettings(**values, source=str(path) if path else None)


def read_file(path: str | Path) -> dict[str, Any]:
    """The `[letter]` table of a settings file, validated. Raises SettingsError."""
    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SettingsError(where, f"设置文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节），不像是 nianbao 的设置文件")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise SettingsError(where, f"设置文件无法读取：{exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(where, "设置文件不是 UTF-8 编码的文本，请另存为 UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(where, f"设置文件格式错误（TOML）：{exc}") from None
    unknown_sections = sorted(set(data) - {SECTION})
    if unknown_sections:
        raise SettingsError(where, f"设置文件中有未知的项：{'、'.join(unknown_sections)}"
                                   f"（信函设置应写在 [{SECTION}] 下）")
    table = data.get(SECTION, {})
    if not isinstance(table, dict):
        raise SettingsError(where, f"[{SECTION}] 应为一组设置")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise SettingsError(where, f"[{SECTION}] 中有未知的设置：{'、'.join(unknown)}（可用的设置：{'、'.join(KEYS)}）")
    return {key: _value(key, value, where) for key, value in table.items()}


def _value(key: str, value: Any, where: str) -> Any:
    if key in _TEXT:
        if not isinstance(value, str):
            raise SettingsError(where, f"信函设置 {key} 应为文字")
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise SettingsError(where, f"信函设置 {key} 过长（{len(value)} 个字符，上限 {MAX_TEXT} 个）")
        return value or None
    if key == "deadline_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
            raise SettingsError(where, f"信函设置 deadline_days 应为 1 至 366 之间的整数（工作日数），现为“{value}”")
        return value
    if key in _DATES:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise SettingsError(where, f"信函设置 {key} 应为日期（如 2026-02-10），现为“{value}”") from None
    raise SettingsError(where, f"未知的信函设置 {key}")  # pragma: no cover - KEYS lists the keys above


def overrides_from_args(args: Any) -> dict[str, Any]:
    """The settings given on the command line (argparse namespace; unset flags are None)."""
    return {key: getattr(args, key, None) for key in OVERRIDE_FLAGS}
