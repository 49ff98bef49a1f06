"""Findings as spreadsheets: CSV (UTF-8 with BOM, so Excel/WPS show Chinese) and XLSX ready to print.

The batch hands each report's JSON (the schema of `nianbao check --format json`)
to `add()` as it comes and calls `close(ok)` at the end. The CSV has one row per
finding. The XLSX has a sheet of findings (问题清单, first, with a link to each
finding on its report's audit page) and a sheet of every report read, those
without findings included (报告汇总). Thousands of reports never sit in memory:
the first rows are spooled to a temporary file, and once `STREAM_AFTER` reports
have come the column widths are fixed from them and every row is written into
the workbook as it comes (a large batch does not wait a second or more at its
end for the spreadsheet; a later, longer text wraps onto more lines, its row
made as tall as it needs). A smaller run is written at the end, with the
widths that fit every row.

Report text is untrusted: every text cell is cleaned of the control characters
XLSX forbids, and a text that a spreadsheet would take for a formula (starting
with =, +, -, @, a tab or a carriage return) is neutralised: in the CSV by a
leading apostrophe, in the XLSX by storing it as text with Excel's own
"quote prefix" flag (the cell shows the text, never computes it).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import tempfile
from pathlib import Path, PurePath
from typing import Any, Iterable

from ..atomic import atomic_open, atomic_path
from ..terminal import display_width   # Excel width units count alike: a digit 1, a CJK character 2
from ..words import cn_date
from ..findings import CATEGORY_CN, LEVEL_CN, SEVERITY_CN

# (key, header) of the CSV, one row per finding. The first six keep the order earlier versions had.
COLUMNS = [
    ("source", "文件"), ("agency", "报告机关"), ("year", "报告年度"), ("rule", "规则"), ("category", "类别"),
    ("severity", "级别"), ("headline", "问题"), ("title", "检查项"), ("message", "问题说明"),
    ("location", "位置"), ("basis", "依据"), ("link", "审核页面"),
]
# (key, header, widest a column may grow to, in Excel width units) of the two XLSX sheets.
FINDING_SHEET = "问题清单"
FINDING_COLUMNS = [
    ("number", "序号", 6), ("agency", "报告机关", 22), ("year", "报告年度", 9), ("severity", "级别", 6),
    ("category", "类别", 16), ("headline", "问题", 26), ("message", "问题说明", 62), ("location", "位置", 16),
    ("basis", "依据", 34), ("rule", "规则", 20), ("link", "审核页面", 10), ("source_name", "源文件", 26),
]
REPORT_SHEET = "报告汇总"
REPORT_COLUMNS = [
    ("number", "序号", 6), ("agency", "报告机关", 26), ("year", "报告年度", 9), ("level", "机关层级", 9),
    ("template", "模板版本", 10), ("date", "落款日期", 14), ("conclusion", "检查结论", 12),
    ("verdict", "审核结论", 16), ("error", "错误", 6), ("warning", "警告", 6), ("info", "提示", 6),
    ("total", "问题合计", 9), ("link", "审核页面", 10), ("source", "源文件", 30), ("note", "说明", 40),
]

# Columns an export from the audit-campaign store adds to the findings (nianbao export --db).
REVIEW_COLUMNS = [("fingerprint", "指纹", 22), ("status_cn", "复核状态", 9), ("review_reason", "复核理由", 30)]

# Characters XLSX cannot store (XML 1.0 forbids them); tab, newline and carriage return are allowed.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

FONT_SIZE = 10.5                     # 五号, the size of Chinese office documents
LINE_HEIGHT = 15.0                   # points per wrapped line at that size, CJK line gap included
_SEVERITY_STYLE = {                  # fill, font colour
    "error": ("FFC7CE", "9C0006"), "warning": ("FFEB9C", "7A4F00"), "info": ("DDEBF7", "1F4E78"),
}


def clean_text(value: Any) -> Any:
    """Text without the characters XLSX forbids (numbers and None pass through)."""
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def is_formula_like(text: str) -> bool:
    return text.startswith(_FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A CSV cell: cleaned, and an apostrophe before anything a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = clean_text(value)
        return "'" + text if is_formula_like(text) else text
    return value


def _location_text(location: dict[str, Any] | None) -> str:
    loc = location or {}
    parts = []
    if loc.get("page"):
        parts.append(f"第{loc['page']}页")
    if loc.get("line"):
        parts.append(f"第{loc['line']}行")
    if loc.get("label"):
        parts.append(str(loc["label"]))
    return "，".join(parts)


def _date_text(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return cn_date(dt.date.fromisoformat(value))
    return str(value) if value else ""


def _file_name(source: str) -> str:
    return PurePath(source.replace("\\", "/")).name or source


def _page_link(report_json: dict[str, Any], page: str | None) -> str | None:
    from .pages import safe_href
    return safe_href(page or report_json.get("page"))


def finding_records(report_json: dict[str, Any], page: str | None = None) -> Iterable[dict[str, Any]]:
    """One record per finding, numbered as the report's audit page numbers them."""
    meta = report_json.get("meta") or {}
    link = _page_link(report_json, page)
    source = str(report_json.get("source") or "")
    for number, finding in enumerate(report_json.get("findings", []), 1):
        places: list[str] = []
        for ev in finding.get("evidence", []):
            text = _location_text(ev.get("location"))
            if text and text not in places:
                places.append(text)
        yield {
            "source": source, "source_name": _file_name(source), "agency": meta.get("agency"),
            "year": meta.get("year"), "rule": finding.get("rule"), "category": CATEGORY_CN.get(finding.get("category"), finding.get("category")),
            "severity": SEVERITY_CN.get(finding.get("severity"), finding.get("severity")),
            "severity_key": finding.get("severity"),
            "headline": finding.get("headline") or finding.get("title"), "title": finding.get("title"),
            "message": finding.get("message"), "location": "；".join(places), "basis": finding.get("basis"),
            "link": f"{link}#finding-{number}" if link else None, "link_text": f"问题{number}",
            **{key: finding.get(key) for key, _, _ in REVIEW_COLUMNS if key in finding},
        }


def report_record(report_json: dict[str, Any], page: str | None = None, verdict: str | None = None) -> dict[str, Any]:
    """The summary row of one report, whether it has findings or not."""
    meta = report_json.get("meta") or {}
    counts = {s: int((report_json.get("counts") or {}).get(s) or 0) for s in SEVERITY_CN}
    unreadable = [f for f in report_json.get("findings", []) if f.get("category") == "parse.unreadable"]
    if unreadable and not meta:
        conclusion = "无法读取"
    elif counts["error"]:
        conclusion = "有错误"
    elif counts["warning"]:
        conclusion = "有警告"
    elif counts["info"]:
        conclusion = "仅有提示"
    else:
        conclusion = "未发现问题"
    notes = []
    if unreadable and not meta:
        notes.append(str(unreadable[0].get("message") or ""))
    if report_json.get("previous"):
        notes.append(f"对照上年报告：{_file_name(str(report_json['previous']))}")
    source = str(report_json.get("source") or "")
    link = _page_link(report_json, page)
    return {
        "source": source, "agency": meta.get("agency"), "year": meta.get("year"),
        "level": LEVEL_CN.get(str(meta.get("level")), "") if meta.get("level") else "",
        "template": meta.get("template"), "date": _date_text(meta.get("date")), "conclusion": conclusion,
        "conclusion_key": ("error" if counts["error"] or conclusion == "无法读取" else
                           "warning" if counts["warning"] else "info" if counts["info"] else None),
        "verdict": verdict if verdict is not None else report_json.get("verdict"),
        **counts, "total": sum(counts.values()), "link": link, "link_text": "打开" if link else None,
        "note": "；".join(n for n in notes if n),
    }


class CsvWriter:
    """One row per finding, streamed to disk."""

    def __init__(self, path: Path, reviews: bool = False):
        self._columns = COLUMNS + ([(key, label) for key, label, _ in REVIEW_COLUMNS] if reviews else [])
        self._ctx = atomic_open(path, "w", encoding="utf-8-sig", newline="")
        self._fh = self._ctx.__enter__()
        self._csv = csv.writer(self._fh)
        self._csv.writerow([label for _, label in self._columns])

    def add(self, report_json: dict[str, Any], page: str | None = None, verdict: str | None = None) -> None:
        for record in finding_records(report_json, page):
            self._csv.writerow([csv_cell(record.get(key)) for key, _ in self._columns])

    def close(self, ok: bool = True) -> None:
        if ok:
            self._ctx.__exit__(None, None, None)
        else:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


# ---------------------------------------------------------------------------
# XLSX
def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapping column `width` units wide."""
    usable = max(width - 1.2, 2.2)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in text.split("\n"))


# Reports after which findings.xlsx is written as results come, its column widths fixed.
STREAM_AFTER = 200


class _Sheet:
    """One sheet's rows, spooled as JSON lines, with the widest text seen per column; or, once the
    workbook streams (`sink` set), handed on at once."""

    def __init__(self, columns: list[tuple[str, str, int]]):
        self.columns = columns
        self.widths = [display_width(label) + 2.5 for _, label, _ in columns]   # room for the filter button
        self.rows = 0
        self.sink = None
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add(self, record: dict[str, Any]) -> None:
        self.rows += 1
        record = {k: clean_text(v) for k, v in record.items()}
        record["number"] = self.rows
        if self.sink is not None:
            self.sink(record)
            return
        for i, (key, _, cap) in enumerate(self.columns):
            value = record.get(f"{key}_text") if key == "link" else record.get(key)
            if value not in (None, ""):
                longest = max(display_width(line) for line in str(value).split("\n"))
                self.widths[i] = min(max(self.widths[i], longest + 1.5), cap)
        self._spool.write(json.dumps(record, ensure_ascii=False) + "\n")

    def records(self) -> Iterable[dict[str, Any]]:
        self._spool.seek(0)
        for line in self._spool:
            yield json.loads(line)

    def discard(self) -> None:
        self._spool.close()


class XlsxWriter:
    def __init__(self, path: Path, reviews: bool = False):
        self._path = path
        self._findings = _Sheet(FINDING_COLUMNS + (REVIEW_COLUMNS if reviews else []))
        self._reports = _Sheet(REPORT_COLUMNS)
        self._book: _Book | None = None

    def add(self, report_json: dict[str, Any], page: str | None = None, verdict: str | None = None) -> None:
        self._reports.add(report_record(report_json, page, verdict))
        for record in finding_records(report_json, page):
            self._findings.add(record)
        if self._book is None and self._reports.rows >= STREAM_AFTER:
            self._book = self._open()

    def close(self, ok: bool = True) -> None:
        try:
            if ok:
                with atomic_path(self._path) as tmp:
                    if self._book is None:
                        self._book = self._open()
                    self._book.save(Path(tmp))
        finally:
            if self._book is not None:
                self._book.discard()
            self._findings.discard()
            self._reports.discard()

    def _open(self) -> "_Book":
        """The workbook with the column widths of the rows so far; those rows written, the next ones
        as they come."""
        book = _Book([(FINDING_SHEET, self._findings, "审核发现的问题", "severity"),
                      (REPORT_SHEET, self._reports, "年报审核汇总", "conclusion")])
        for part in book.parts:
            for record in part.sheet.records():
                part.row(record)
            part.sheet.sink = part.row
        return book


class _Book:
    """A write-only openpyxl workbook being filled: its sheets set up, rows appended one by one."""

    def __init__(self, sheets: list[tuple[str, _Sheet, str, str]]):
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        styles = _Styles()
        self.parts = [_SheetWriter(self.wb.create_sheet(name), sheet, styles, title, colour_key)
                      for name, sheet, title, colour_key in sheets]

    def save(self, target: Path) -> None:
        from .xlsx_links import add_links

        for part in self.parts:
            part.finish()
        self.wb.save(target)
        # The hyperlinks go in after saving, from their spools (see xlsx_links: flat memory).
        add_links(target, {part.ws.path.lstrip("/"): part.links for part in self.parts})

    def discard(self) -> None:
        """Close the link spools, and remove what openpyxl wrote of a sheet that was never saved."""
        for part in self.parts:
            part.links.close()
            writer = getattr(part.ws, "_writer", None)
            out = getattr(writer, "out", None)
            if out and not part.ws.closed:
                try:
                    part.ws.close()         # ends openpyxl's row and file generators in order
                except Exception:           # in whatever state they were: the file goes anyway
                    pass
            if out:
                Path(out).unlink(missing_ok=True)


class _Styles:
    def __init__(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="A6A6A6")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(size=FONT_SIZE)
        self.head_font = Font(size=FONT_SIZE, bold=True)
        self.head_fill = PatternFill("solid", fgColor="D9D9D9")
        self.link_font = Font(size=FONT_SIZE, color="0563C1", underline="single")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
        self.head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.severity = {k: (PatternFill("solid", fgColor=fill), Font(size=FONT_SIZE, bold=True, color=colour))
                         for k, (fill, colour) in _SEVERITY_STYLE.items()}


class _StyledCells:
    """Cell styles by reference: openpyxl files each style assigned to a cell by hashing it field by
    field (four styles a cell, most of the time spent writing a large findings.xlsx); here each
    combination is hashed once and later cells share its style array (`cell._style`, which cells
    copy between them in openpyxl itself)."""

    def __init__(self, ws, st: _Styles):
        self._ws, self._border = ws, st.border
        self._arrays: dict[tuple[int, int, int, bool], Any] = {}
        self._keep: list[Any] = []            # the style objects keyed by id() stay alive

    def style(self, cell, font, fill, alignment, quote: bool) -> None:
        if cell._style is not None and cell._style.numFmtId:   # a value that brought its number format
            cell.font, cell.border, cell.alignment = font, self._border, alignment
            if fill is not None:
                cell.fill = fill
            cell.quotePrefix = quote
            return
        key = (id(font), id(fill), id(alignment), quote)
        array = self._arrays.get(key)
        if array is None:
            from openpyxl.cell import WriteOnlyCell

            proto = WriteOnlyCell(self._ws)
            proto.font, proto.border, proto.alignment = font, self._border, alignment
            if fill is not None:
                proto.fill = fill
            if quote:
                proto.quotePrefix = True
            array = self._arrays[key] = proto._style
            self._keep.append((font, fill, alignment))
        cell._style = array


_NUMERIC = {"number", "year", "error", "warning", "info", "total"}
_CENTRED = _NUMERIC | {"severity", "level", "template", "conclusion", "link"}


class _SheetWriter:
    """One sheet: page set-up, column widths and header when made, then a row per record."""

    def __init__(self, ws, sheet: _Sheet, st: _Styles, title: str, colour_key: str):
        from openpyxl.cell import Cell, WriteOnlyCell
        from openpyxl.utils import get_column_letter

        from .xlsx_links import LinkSpool

        self.ws, self.sheet, self.st, self.colour_key = ws, sheet, st, colour_key
        self.links = LinkSpool()
        self.letters = [get_column_letter(i) for i in range(1, len(sheet.columns) + 1)]
        self.widths = list(sheet.widths)           # fixed from here on
        for letter, width in zip(self.letters, self.widths):
            ws.column_dimensions[letter].width = round(width, 1)
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9             # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0          # as many pages down as needed
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.8
        ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.oddHeader.center.text = title
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"

        header = []
        for _, label, _ in sheet.columns:
            cell = WriteOnlyCell(ws, value=label)
            cell.font, cell.fill, cell.alignment, cell.border = st.head_font, st.head_fill, st.head_align, st.border
            header.append(cell)
        ws.row_dimensions[1].height = LINE_HEIGHT + 6
        ws.append(header)
        self.styled = _StyledCells(ws, st)
        # Every row is a list of our own cells: each placed at its column, without openpyxl's attempt
        # to assign each cell to a spare cell's value first (an exception caught per cell: a fifth of
        # writing a row). A row that is not all cells goes openpyxl's own way; an openpyxl without this
        # private step writes every row its own way.
        convert = getattr(ws, "_values_to_row", None)

        def place(values, row_idx):
            if not all(isinstance(c, Cell) for c in values):
                return convert(values, row_idx)
            for column, cell in enumerate(values, 1):
                cell.column, cell.row = column, row_idx
            return values
        if convert is not None:
            ws._values_to_row = place

    def row(self, record: dict[str, Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        ws, st = self.ws, self.st
        row_number = record["number"] + 1
        cells, lines = [], 1
        for (key, _, _), width, letter in zip(self.sheet.columns, self.widths, self.letters):
            value = record.get(key)
            font, fill, quote = st.font, None, False
            cell = WriteOnlyCell(ws)
            if key == "link":
                if value:
                    cell.value = record.get("link_text") or "打开"
                    cell.data_type = "s"
                    self.links.add(f"{letter}{row_number}", value)
                    font = st.link_font
            elif isinstance(value, str):
                cell.value = value
                cell.data_type = "s"            # text, never a formula
                quote = is_formula_like(value)
                lines = max(lines, wrapped_lines(value, width))
            elif value is not None:
                cell.value = value
            if key == self.colour_key and record.get(f"{key}_key") in st.severity:
                fill, font = st.severity[record[f"{key}_key"]]
            if key in ("error", "warning", "info") and value:
                fill, font = st.severity[key]
            self.styled.style(cell, font, fill, st.centre if key in _CENTRED else st.wrap, quote)
            cells.append(cell)
        ws.row_dimensions[row_number].height = lines * LINE_HEIGHT + 4
        ws.append(cells)
        # A write-only sheet writes the row (height included) at once; its dimension entry would
        # otherwise stay in memory to the end, one per row of the run.
        del ws.row_dimensions[row_number]

    def finish(self) -> None:
        self.ws.auto_filter.ref = f"A1:{self.letters[-1]}{self.sheet.rows + 1}"
