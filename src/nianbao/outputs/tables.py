"""Findings as spreadsheets: CSV (UTF-8 with BOM, so Excel/WPS show Chinese) and XLSX.

One row per finding. Both writers stream rows, so a batch of thousands of
reports never holds the spreadsheet in memory.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

from ..atomic import atomic_open, atomic_path
from ..findings import SEVERITY_CN

COLUMNS = [
    ("source", "文件"), ("agency", "报告机关"), ("year", "报告年度"), ("rule", "规则"), ("category", "类别"),
    ("severity", "级别"), ("title", "检查项"), ("message", "问题说明"), ("location", "位置"), ("basis", "依据"),
]


def finding_rows(report_json: dict[str, Any]) -> Iterable[list[Any]]:
    """Spreadsheet rows for one report's JSON (the schema of `nianbao check --format json`)."""
    meta = report_json.get("meta") or {}
    for finding in report_json.get("findings", []):
        places: list[str] = []
        for ev in finding.get("evidence", []):
            loc = ev.get("location") or {}
            text = "，".join(x for x in (f"第{loc['page']}页" if loc.get("page") else "",
                                          f"第{loc['line']}行" if loc.get("line") else "") if x)
            if text and text not in places:
                places.append(text)
        row = {
            "source": report_json.get("source"), "agency": meta.get("agency"), "year": meta.get("year"),
            "rule": finding["rule"], "category": finding["category"],
            "severity": SEVERITY_CN.get(finding["severity"], finding["severity"]), "title": finding.get("title"),
            "message": finding["message"], "location": "；".join(places), "basis": finding.get("basis"),
        }
        yield [row[key] for key, _ in COLUMNS]


class CsvWriter:
    def __init__(self, path: Path):
        self._ctx = atomic_open(path, "w", encoding="utf-8-sig", newline="")
        self._fh = self._ctx.__enter__()
        self._csv = csv.writer(self._fh)
        self._csv.writerow([label for _, label in COLUMNS])

    def add(self, report_json: dict[str, Any]) -> None:
        for row in finding_rows(report_json):
            self._csv.writerow(["" if v is None else v for v in row])

    def close(self, ok: bool = True) -> None:
        if ok:
            self._ctx.__exit__(None, None, None)
        else:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


class XlsxWriter:
    """openpyxl write-only workbook: rows go to disk as they come."""

    def __init__(self, path: Path):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.cell import WriteOnlyCell

        self._path_ctx = atomic_path(path)
        self._tmp = self._path_ctx.__enter__()
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet("审核发现")
        widths = [28, 22, 8, 26, 22, 6, 28, 80, 18, 50]
        for i, width in enumerate(widths):
            self._ws.column_dimensions[chr(ord("A") + i)].width = width
        self._ws.freeze_panes = "A2"
        header = []
        for _, label in COLUMNS:
            cell = WriteOnlyCell(self._ws, value=label)
            cell.font = Font(bold=True)
            header.append(cell)
        self._ws.append(header)
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._cell = WriteOnlyCell
        self._rows = 1

    def add(self, report_json: dict[str, Any]) -> None:
        for row in finding_rows(report_json):
            cells = []
            for value in row:
                cell = self._cell(self._ws, value=value)
                cell.alignment = self._wrap
                cells.append(cell)
            self._ws.append(cells)
            self._rows += 1

    def close(self, ok: bool = True) -> None:
        if ok:
            self._ws.auto_filter.ref = f"A1:{chr(ord('A') + len(COLUMNS) - 1)}{self._rows}"
            self._wb.save(self._tmp)
            self._path_ctx.__exit__(None, None, None)
        else:
            # Close the sheet's half-written XML stream now (an interrupted run), not at garbage
            # collection, where its error would print a traceback.
            for stream in (getattr(self._ws, "_rows", None), getattr(getattr(self._ws, "_writer", None), "xf", None)):
                try:
                    if stream is not None:
                        stream.close()
                except Exception:
                    pass
            self._path_ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
