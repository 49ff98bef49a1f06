"""HTML outputs: one self-contained audit page per report, and a batch index page.

Both pages are single files with inline CSS (and, for the index, one small
inline script): no external assets, no network, readable on screen and
printable on A4. Every word a supervisor reads is Chinese.

Everything shown on the pages that comes from a report (agency names,
labels, cell text, messages built from report text) is escaped by Jinja2's
autoescape; the templates never mark report-derived data `|safe`. This
module builds plain view data (strings, numbers, lists, dicts) and the
templates in `nianbao/templates/` lay it out.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import jinja2

from ..findings import SEVERITY_CN, SEVERITY_ORDER, CheckResult, Finding
from ..model import Fact, Location, Report
from ..findings import CATEGORY_CN
from ..metadata import DATE_SOURCE_CN, LEVEL_CN
from ..packs import CATEGORIES, Pack
from ..template import Template, describe

assert set(CATEGORY_CN) == set(CATEGORIES), "every fixed category needs a Chinese name"

SEVERITIES = ("error", "warning", "info")
_CN_NUMS = "一二三四五六七八九十"
# Titles of table 3's numbered result groups, as the 2021 template prints them.
_T3_GROUP_TITLES = {"三": "不予公开", "四": "无法提供", "五": "不予处理", "六": "其他处理"}
# Table 2 rows whose block cannot be told from their columns alone (blocks （五） and （六）
# both have one "本年处理决定数量" column): the 2021 template's own layout.
_T2_BLOCK_OF_ROW = {"section2.licensing": "第二十条第（五）项", "section2.penalty": "第二十条第（六）项",
                    "section2.coercion": "第二十条第（六）项"}
_EVIDENCE_TEXT_LIMIT = 120
_SECTION_TEXT_LIMIT = 36


def category_cn(category: str) -> str:
    return CATEGORY_CN.get(category, category)


# ---------------------------------------------------------------------------
# Jinja2 environment: package templates, autoescape always on.
_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("nianbao", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV


# ---------------------------------------------------------------------------
# Small formatting helpers (all return Chinese text for people).
def cell_id(name: str) -> str:
    """Anchor id of a redrawn table cell: section3.new.total -> cell-section3-new-total."""
    return "cell-" + re.sub(r"[^A-Za-z0-9_-]", "-", name.replace(".", "-"))


def _fmt_number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def format_value(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return _fmt_number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _format_datetime(moment: dt.datetime) -> str:
    text = f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"
    if moment.tzinfo is not None:
        offset = moment.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            text += f"（UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}）"
    return text


def _format_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        y, m, d = (int(p) for p in value.split("-"))
        return f"{y}年{m}月{d}日"
    return str(value) if value else ""


def _where(location: Location | None) -> str:
    return location.describe() if location is not None else ""


def _file_name(source: str) -> str:
    return PurePath(source.replace("\\", "/")).name or source


def safe_href(link: str | None) -> str | None:
    """A relative file path (as the batch runner gives it) as a percent-encoded relative URL.

    Anything that looks like a URL with a scheme (javascript:, http:, …), an
    absolute path or a network path is refused: the index only links to files
    written beside it.
    """
    if not link:
        return None
    text = str(link).replace("\\", "/")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or text.startswith("/"):
        return None
    return quote(text, safe="/")


# ---------------------------------------------------------------------------
# The per-report page
@dataclass
class _Mark:
    number: int
    severity: str
    title: str


@dataclass
class _Highlights:
    """Which findings name each field (cell, row or section), by finding number."""

    by_field: dict[str, list[_Mark]] = field(default_factory=dict)

    def add(self, name: str, mark: _Mark) -> None:
        marks = self.by_field.setdefault(name, [])
        if all(m.number != mark.number for m in marks):
            marks.append(mark)

    def marks(self, name: str) -> list[_Mark]:
        return sorted(self.by_field.get(name, []), key=lambda m: (SEVERITY_ORDER.get(m.severity, 9), m.number))


class _PageBuilder:
    def __init__(self, result: CheckResult, pack: Pack):
        self.result = result
        self.pack = pack
        self.template: Template = pack.template
        self.report: Report | None = result.report
        self.values: dict[str, Fact] = dict(self.report.values) if self.report is not None else {}
        self.findings: list[Finding] = result.sorted_findings()
        self.highlights = _Highlights()
        for number, finding in enumerate(self.findings, 1):
            mark = _Mark(number, finding.severity, finding.title)
            for name in finding.fields:
                self.highlights.add(name, mark)
        self.drawn: dict[str, str] = {}        # field name -> anchor id of what the page draws for it

    # ---- header -------------------------------------------------------
    def header(self, checked_at: dt.datetime) -> dict[str, Any]:
        report = self.report
        meta = (lambda key: report.meta_value(key)) if report is not None else (lambda key: None)
        agency = meta("agency")
        year = meta("year")
        level = meta("level")
        level_fact = report.meta.get("level") if report is not None else None
        version = meta("template") or self.template.version
        signed = meta("date")
        source = report.meta.get("date_source") if report is not None else None
        return {
            "date_label": DATE_SOURCE_CN.get(str(source.value), "落款日期") if source is not None else "落款日期",
            "date_source": (source.raw or "") if source is not None and source.value != "signature" else "",
            "agency": str(agency) if agency else "",
            "year": str(year) if year else "",
            "level": LEVEL_CN.get(str(level), "未识别") if level else "未识别",
            "level_reason": (level_fact.raw or "") if level_fact is not None else "",
            "template": str(version),
            "template_title": self.template.title if str(version) == self.template.version else "",
            "template_basis": self.template.basis if str(version) == self.template.version else "",
            "pack": self.pack.name,
            "pack_chain": " → ".join(self.pack.chain[1:]),
            "source_name": _file_name(self.result.source),
            "source": self.result.source,
            "format": (report.format.upper() if report is not None else ""),
            "date": _format_date(signed) if signed else "",
            "checked_at": _format_datetime(checked_at),
            "previous": _file_name(self.result.previous) if self.result.previous else "",
        }

    def counts(self) -> list[dict[str, Any]]:
        out = [{"key": s, "label": SEVERITY_CN[s], "count": self.result.count(s)} for s in SEVERITIES]
        out.append({"key": "unchecked", "label": "无法检查", "count": len(self.result.unchecked)})
        return out

    # ---- tables -------------------------------------------------------
    def _cell(self, name: str) -> dict[str, Any]:
        fact = self.values.get(name)
        label = describe(self.template, name)
        marks = self.highlights.marks(name)
        ident = cell_id(name)
        self.drawn[name] = ident
        if fact is None:
            state, text, note = "absent", "—", "报告中没有此项"
        elif fact.value is None:
            state, text, note = "blank", "", "报告中此单元格为空白"
        elif isinstance(fact.value, str):
            state, text, note = "text", fact.value, "不是数值"
        else:
            state, text, note = "value", format_value(fact.value), ""
        tip = [label]
        if fact is not None and fact.location is not None:
            tip.append(fact.location.describe())
        if note:
            tip.append(note)
        if fact is not None and fact.raw not in (None, "", text):
            tip.append(f"原文为“{fact.raw}”")
        for mark in marks:
            tip.append(f"问题{mark.number}（{SEVERITY_CN.get(mark.severity, mark.severity)}）：{mark.title}")
        return {
            "id": ident, "state": state, "text": text,
            "severity": marks[0].severity if marks else None,
            "marks": [{"number": m.number, "severity": m.severity} for m in marks],
            "href": f"#finding-{marks[0].number}" if marks else None,
            "title": "；".join(tip),
        }

    def _row_marks(self, row_name: str) -> dict[str, Any]:
        """A finding that names a whole row (not one of its cells) marks the row's label."""
        marks = self.highlights.marks(row_name)
        ident = cell_id(row_name)
        self.drawn.setdefault(row_name, ident)
        return {"id": ident, "severity": marks[0].severity if marks else None,
                "marks": [{"number": m.number, "severity": m.severity} for m in marks]}

    def table2(self) -> dict[str, Any]:
        if not self._table_drawn("table2"):
            return {"present": False, "draw": False}
        raw_blocks = (self.template.raw.get("table2") or {}).get("blocks") or []
        blocks: list[dict[str, Any]] = []
        by_label: dict[str, dict[str, Any]] = {}
        for spec in raw_blocks:
            columns = dict(spec.get("columns") or {})
            block = {"label": str(spec.get("label", "")), "keys": list(columns),
                     "columns": [str(v) for v in columns.values()], "rows": []}
            blocks.append(block)
            by_label[block["label"]] = block
        for row in self.template.table2_rows:
            block = by_label.get(_T2_BLOCK_OF_ROW.get(row.name, ""))
            if block is None or list(row.columns) != block["keys"]:
                block = next((b for b in blocks if b["keys"] == list(row.columns)), None)
            if block is None:
                block = {"label": "", "keys": list(row.columns),
                         "columns": [describe(self.template, f"{row.name}.{c}").rsplit("“", 1)[-1].rstrip("”")
                                     for c in row.columns], "rows": []}
                blocks.append(block)
            block["rows"].append({"label": row.label, "head": self._row_marks(row.name),
                                  "cells": [self._cell(f"{row.name}.{c}") for c in row.columns]})
        blocks = [b for b in blocks if b["rows"]]
        width = max((len(b["columns"]) for b in blocks), default=1)
        for b in blocks:
            b["pad"] = width - len(b["columns"])
        return {"present": self._table_present("table2"), "draw": True, "blocks": blocks, "width": width}

    def table3(self) -> dict[str, Any]:
        if not self._table_drawn("table3"):
            return {"present": False, "draw": False}
        t = self.template
        columns = list(zip(t.table3_columns, t.table3_column_labels))
        # The 2021 template groups the five organisation columns under 法人或其他组织.
        grouped = (len(columns) > 2 and columns[0][0] == "natural_person" and columns[-1][0] == "total")
        rows = list(t.table3_rows)
        # Rows of an older template that this report actually prints go where their group sits.
        for legacy in t.table3_legacy_rows:
            if not any(k.startswith(legacy.name + ".") for k in self.values):
                continue
            index = max((i for i, r in enumerate(rows) if r.group == legacy.group), default=None)
            if index is None:
                index = max((i for i, r in enumerate(rows) if r.group and legacy.group
                             and _CN_NUMS.find(r.group) < _CN_NUMS.find(legacy.group)), default=len(rows) - 1)
            rows.insert(index + 1, legacy)
        out_rows: list[dict[str, Any]] = []
        results_total = sum(1 for r in rows if r.top is None)
        first_result = True
        for i, row in enumerate(rows):
            cells = [self._cell(f"{row.name}.{c}") for c, _ in columns]
            entry: dict[str, Any] = {"name": row.name, "cells": cells, "head": self._row_marks(row.name),
                                     "legacy": row.template or "", "kind": "", "top_span": 0,
                                     "group_span": 0, "group_label": "", "label": ""}
            if row.top is not None:
                entry.update(kind="top", label=f"{row.top}、{row.label}")
            else:
                if first_result:
                    entry["top_span"] = results_total
                    first_result = False
                if row.item is None:
                    label = row.label
                    entry.update(kind="group", label=f"（{row.group}）{label}" if row.group else label)
                else:
                    span = 0
                    if i == 0 or rows[i - 1].group != row.group or rows[i - 1].item is None:
                        span = 1
                        while (i + span < len(rows) and rows[i + span].group == row.group
                               and rows[i + span].item is not None):
                            span += 1
                    entry.update(kind="item", group_span=span,
                                 group_label=f"（{row.group}）{_T3_GROUP_TITLES.get(row.group or '', '')}",
                                 label=f"{row.item}.{row.label}")
                if row.template:
                    entry["label"] += f"（{row.template}旧版格式）"
            out_rows.append(entry)
        return {
            "present": self._table_present("table3"),
            "draw": True,
            "grouped": grouped,
            "columns": [label for _, label in columns],
            "org_columns": [label for _, label in columns[1:-1]] if grouped else [],
            "first_column": columns[0][1] if columns else "",
            "last_column": columns[-1][1] if columns else "",
            "rows": out_rows,
            "results_label": "三、本年度办理结果",
        }

    def table4(self) -> dict[str, Any]:
        if not self._table_drawn("table4"):
            return {"present": False, "draw": False}
        t = self.template
        column_labels = list((t.raw.get("table4") or {}).get("column_labels") or t.table4_columns)
        groups = []
        for group in t.table4_groups:
            groups.append({"name": group["name"], "label": str(group.get("label", "")),
                           "litigation": group["name"] != "section4.review",
                           "cells": [self._cell(f"{group['name']}.{c}") for c in t.table4_columns]})
        review = [g for g in groups if not g["litigation"]]
        litigation = [g for g in groups if g["litigation"]]
        return {"present": self._table_present("table4"), "draw": True, "columns": column_labels,
                "review": review, "litigation": litigation, "groups": review + litigation}

    def _table_present(self, key: str) -> bool:
        return self.report is not None and key in self.report.tables_found

    def _table_drawn(self, key: str) -> bool:
        """A table is redrawn when the report has it, or has any of its cells."""
        if self._table_present(key):
            return True
        prefix = {"table2": "section2.", "table3": "section3.", "table4": "section4."}[key]
        return any(name.startswith(prefix) for name in self.values)

    # ---- sections -----------------------------------------------------
    def sections(self) -> list[dict[str, Any]]:
        report = self.report
        order = report.section_order if report is not None else []
        out = []
        numbers = [int(s["number"]) for s in self.template.sections] or list(range(1, 7))
        for number in numbers:
            sec = report.sections.get(number) if report is not None else None
            name = f"section{number}"
            marks = self.highlights.marks(name)
            ident = f"section-{number}"
            self.drawn[name] = ident
            out.append({
                "id": ident,
                "number": _CN_NUMS[number - 1] if 0 < number <= len(_CN_NUMS) else str(number),
                "title": self.template.section_title(number),
                "found": sec is not None,
                "printed": sec.title if sec is not None else "",
                "where": _where(sec.location) if sec is not None else "",
                "position": (order.index(number) + 1) if number in order else None,
                "characters": len(sec.text) if sec is not None else 0,
                "severity": marks[0].severity if marks else None,
                "marks": [{"number": m.number, "severity": m.severity} for m in marks],
            })
        return out

    def tables_summary(self) -> list[dict[str, Any]]:
        found = self.report.tables_found if self.report is not None else []
        names = {"table2": "表二 主动公开政府信息情况", "table3": "表三 收到和处理政府信息公开申请情况",
                 "table4": "表四 政府信息公开行政复议、行政诉讼情况"}
        return [{"key": k, "label": v, "found": k in found} for k, v in names.items()]

    # ---- findings -----------------------------------------------------
    def _evidence_value(self, name: str, value: Any) -> str:
        if value is None:
            if name and name not in self.values and not name.startswith(("section", "meta.", "narrative.", "prev.")):
                return "—（报告中没有）"
            if name in self.values:
                return "（空白）"
            return "—"
        if name == "meta.level" and isinstance(value, str):
            return LEVEL_CN.get(value, value)
        if isinstance(value, dt.date) or (name.startswith(("meta.date", "prev.meta.date")) and isinstance(value, str)):
            return _format_date(value)
        text = format_value(value)
        if re.fullmatch(r"section[1-6]", name) and isinstance(value, str) and len(text) > _SECTION_TEXT_LIMIT:
            # The whole text of a section: its opening words are enough to recognise it.
            return text[:_SECTION_TEXT_LIMIT].rstrip() + f"……（该部分全文共{len(text)}字）"
        if len(text) > _EVIDENCE_TEXT_LIMIT:
            text = text[:_EVIDENCE_TEXT_LIMIT].rstrip() + f"……（共{len(text)}字）"
        return text

    def finding_groups(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        for number, finding in enumerate(self.findings, 1):
            if not groups or groups[-1]["severity"] != finding.severity:
                groups.append({"severity": finding.severity,
                               "label": SEVERITY_CN.get(finding.severity, finding.severity),
                               "count": 0, "categories": []})
            group = groups[-1]
            group["count"] += 1
            if not group["categories"] or group["categories"][-1]["category"] != finding.category:
                group["categories"].append({"category": finding.category, "label": category_cn(finding.category),
                                            "findings": []})
            group["categories"][-1]["findings"].append(self._finding_view(number, finding))
        return groups

    def _cell_rank(self) -> dict[str, int]:
        if not hasattr(self, "_rank"):
            t = self.template
            names = [n for cells in t.table_cells().values() for n in cells]
            names += [f"{r.name}.{c}" for r in t.table3_legacy_rows for c in t.table3_columns]
            self._rank = {name: i for i, name in enumerate(names)}
        return self._rank

    def _finding_view(self, number: int, finding: Finding) -> dict[str, Any]:
        evidence = []
        covered: set[str] = set()
        rank = self._cell_rank()
        # Quoted text and parse locations first, as the engine gives them; then table cells in table order.
        ordered = sorted(enumerate(finding.evidence),
                         key=lambda item: (1, rank[item[1].field], 0) if item[1].field in rank else (0, 0, item[0]))
        for _, ev in ordered:
            target = self.drawn.get(ev.field) if ev.field else None
            if ev.field:
                covered.add(ev.field)
            evidence.append({
                "label": ev.label or (describe(self.template, ev.field) if ev.field else ""),
                "value": self._evidence_value(ev.field, ev.value) if ev.field else "",
                "where": _where(ev.location),
                "href": f"#{target}" if target else None,
            })
        others = []
        for name in finding.fields:
            if name in covered or name not in self.drawn:
                continue
            others.append({"label": describe(self.template, name), "href": f"#{self.drawn[name]}"})
        cells = [f"#{self.drawn[n]}" for n in finding.fields if n in self.drawn]
        return {
            "number": number, "id": f"finding-{number}", "severity": finding.severity,
            "severity_label": SEVERITY_CN.get(finding.severity, finding.severity),
            "title": finding.title, "rule": finding.rule, "category": finding.category,
            "category_label": category_cn(finding.category), "message": finding.message,
            "basis": finding.basis, "where": finding.where(), "evidence": evidence, "others": others,
            "first_cell": cells[0] if cells else None, "cell_count": len(cells),
        }

    def unchecked(self) -> list[dict[str, Any]]:
        out = []
        for item in self.result.unchecked:
            reason = item.reason
            for prefix in ("无法检查：", "无法检查:"):
                if reason.startswith(prefix):
                    reason = reason[len(prefix):]
            out.append({"rule": item.rule, "title": item.title, "reason": reason})
        return out


def render_report_html(result: CheckResult, pack: Pack, checked_at: dt.datetime) -> str:
    """The audit page for one checked report: a complete, self-contained HTML document."""
    page = _PageBuilder(result, pack)
    # Tables and sections first: they record which fields the page draws, so findings can link to them.
    sections = page.sections()
    tables = {"table2": page.table2(), "table3": page.table3(), "table4": page.table4()}
    header = page.header(checked_at)
    title_subject = f"{header['agency'] or _file_name(result.source)}" + (f"{header['year']}年度" if header["year"] else "")
    return _env().get_template("report_page.html").render(
        title=f"{title_subject}政府信息公开工作年度报告审核结果",
        header=header,
        counts=page.counts(),
        total=len(page.findings),
        groups=page.finding_groups(),
        tables=tables,
        tables_summary=page.tables_summary(),
        sections=sections,
        unchecked=page.unchecked(),
        has_report=result.report is not None,
        severity_cn=SEVERITY_CN,
    )


# ---------------------------------------------------------------------------
# The batch index page
def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _bar_chart(totals: list[tuple[str, str, int, int]]) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (drawn as inline SVG by the template).

    `totals`: (category, Chinese label, findings, reports) for categories with findings.
    """
    label_w, bar_w, value_w, row_h, top = 170, 420, 120, 26, 8
    peak = max((n for _, _, n, _ in totals), default=0)
    step = _nice_step(peak)
    axis_max = step * max(1, -(-peak // step)) if peak else 1
    bars = []
    for i, (cat, label, n, reports) in enumerate(totals):
        y = top + i * row_h
        width = round(bar_w * n / axis_max, 1) if axis_max else 0
        bars.append({"category": cat, "label": label, "count": n, "reports": reports,
                     "y": y, "bar_y": y + 5, "text_y": y + row_h / 2 + 5, "width": max(width, 1.5 if n else 0),
                     "value_x": label_w + width + 6})
    height = top + len(totals) * row_h + 28
    ticks = []
    if peak:
        value = 0
        while value <= axis_max:
            ticks.append({"x": round(label_w + bar_w * value / axis_max, 1), "value": value})
            value += step
    return {"bars": bars, "width": label_w + bar_w + value_w, "height": height, "label_w": label_w,
            "bar_w": bar_w, "axis_y": top + len(totals) * row_h + 2, "ticks": ticks, "row_h": row_h}


def _nice_step(peak: int) -> int:
    if peak <= 5:
        return 1
    raw = peak / 5
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def render_index_html(entries: list[dict], generated_at: dt.datetime, title: str = "年报审核汇总") -> str:
    """The summary page of a batch: every report with its counts and links, filters, a chart by category."""
    rows = []
    totals = {s: 0 for s in SEVERITIES}
    category_totals: dict[str, int] = {}
    category_reports: dict[str, int] = {}
    failed = []
    for index, entry in enumerate(entries, 1):
        meta = entry.get("meta") or {}
        counts = {s: _count((entry.get("counts") or {}).get(s)) for s in SEVERITIES}
        for s in SEVERITIES:
            totals[s] += counts[s]
        categories = {str(k): _count(v) for k, v in (entry.get("categories") or {}).items() if _count(v) > 0}
        for cat, n in categories.items():
            category_totals[cat] = category_totals.get(cat, 0) + n
            category_reports[cat] = category_reports.get(cat, 0) + 1
        source = str(entry.get("source") or "")
        level = meta.get("level")
        error = entry.get("error")
        year = meta.get("year")
        row = {
            "index": index,
            "source": source,
            "source_name": _file_name(source) if source else "",
            "agency": str(meta.get("agency") or ""),
            "year": str(year) if year not in (None, "") else "",
            "year_sort": _count(year) if str(year or "").isdigit() else 0,
            "level": LEVEL_CN.get(str(level), "") if level else "",
            "template": str(meta.get("template") or ""),
            "date": _format_date(meta.get("date")) if meta.get("date") else "",
            "pack": str(entry.get("pack") or ""),
            "counts": counts,
            "total": sum(counts.values()),
            "categories": " ".join(sorted(categories)),
            "category_list": [{"label": category_cn(c), "count": n}
                              for c, n in sorted(categories.items(), key=lambda kv: _category_rank(kv[0]))],
            "page": safe_href(entry.get("page")),
            "letter": safe_href(entry.get("letter")),
            "error": str(error) if error else "",
            "status": "failed" if error else ("error" if counts["error"] else
                                             "warning" if counts["warning"] else "ok"),
        }
        rows.append(row)
        if error:
            failed.append(row)
    chart_rows = sorted(category_totals.items(), key=lambda kv: (-kv[1], _category_rank(kv[0])))
    chart = _bar_chart([(c, category_cn(c), n, category_reports[c]) for c, n in chart_rows])
    category_options = [{"value": c, "label": category_cn(c), "count": category_totals[c]}
                        for c in sorted(category_totals, key=_category_rank)]
    summary = {
        "reports": len(rows),
        "read": len(rows) - len(failed),
        "failed": len(failed),
        "with_errors": sum(1 for r in rows if r["counts"]["error"] and not r["error"]),
        "totals": [{"key": s, "label": SEVERITY_CN[s], "count": totals[s]} for s in SEVERITIES],
    }
    return _env().get_template("index_page.html").render(
        title=title, generated_at=_format_datetime(generated_at), rows=rows, failed=failed,
        chart=chart, category_options=category_options, summary=summary,
        severities=[{"key": s, "label": SEVERITY_CN[s]} for s in SEVERITIES],
        has_letters=any(r["letter"] for r in rows),
    )


def _category_rank(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)


__all__ = ["render_report_html", "render_index_html", "CATEGORY_CN", "category_cn", "cell_id", "safe_href"]
