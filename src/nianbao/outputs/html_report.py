"""HTML outputs: one self-contained audit page per report (the batch index page: index_page.py).

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
from typing import Any

from ..findings import CATEGORY_CN, LEVEL_CN, SEVERITY_CN, SEVERITY_ORDER, CheckResult, Finding
from ..metadata import DATE_SOURCE_CN
from ..model import Fact, Report
from ..packs import CATEGORIES, Pack
from ..template import Template, describe
from . import source_view
from .compare_view import year_comparison
from .index_page import render_index_html  # noqa: F401  (the batch and tests import it from here)
from .pages import (SEVERITIES, _env, _file_name, _format_date, _format_datetime, _where, category_cn,  # noqa: F401
                    cell_id, format_value, safe_href)

assert set(CATEGORY_CN) == set(CATEGORIES), "every fixed category needs a Chinese name"

from ..words import CN_NUMERALS as _CN_NUMS
# Titles of table 3's numbered result groups, as the 2021 template prints them.
# Table 2 rows whose block cannot be told from their columns alone (blocks （五） and （六）
# both have one "本年处理决定数量" column): the 2021 template's own layout.
_T2_BLOCK_OF_ROW = {"section2.licensing": "第二十条第（五）项", "section2.penalty": "第二十条第（六）项",
                    "section2.coercion": "第二十条第（六）项"}
_EVIDENCE_TEXT_LIMIT = 120
_SECTION_TEXT_LIMIT = 36

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
    def __init__(self, result: CheckResult, pack: Pack, reviews: dict[int, dict[str, Any]] | None = None):
        self.result = result
        self.pack = pack
        self.reviews = reviews or {}       # id(finding) -> its review, from a store
        self.template: Template = pack.template
        self.report: Report | None = result.report
        self.values: dict[str, Fact] = dict(self.report.values) if self.report is not None else {}
        self.findings: list[Finding] = result.sorted_findings()
        self.highlights = _Highlights()
        for number, finding in enumerate(self.findings, 1):
            mark = _Mark(number, finding.severity, finding.heading)
            for name in finding.fields:
                self.highlights.add(name, mark)
        self.drawn: dict[str, str] = {}        # field name -> anchor id of what the page draws for it
        self.compared: set[int] = set()        # sections shown beside last year's

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
        # The titles of the numbered result groups, as the template prints them (template.yaml).
        group_titles = t.raw.get("table3", {}).get("group_titles", {})
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
                                 group_label=f"（{row.group}）{group_titles.get(row.group or '', '')}",
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
        # Tables 2–4 are sections 2–4 of the template: their titles are the sections' (template.yaml).
        titles = {s["number"]: s["title"] for s in self.template.sections}
        return [{"key": f"table{n}", "label": f"表{_CN_NUMS[n - 1]} {titles.get(n, '')}".rstrip(),
                 "found": f"table{n}" in found} for n in (2, 3, 4)]

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
        if (re.fullmatch(r"section[1-6]", name) and isinstance(value, str) and len(text) > _SECTION_TEXT_LIMIT
                and self._is_section_text(name, value)):
            # The whole text of a section: its opening words are enough to recognise it.
            return text[:_SECTION_TEXT_LIMIT].rstrip() + f"……（该部分全文共{len(text)}字）"
        if len(text) > _EVIDENCE_TEXT_LIMIT:
            text = text[:_EVIDENCE_TEXT_LIMIT].rstrip() + f"……（共{len(text)}字）"
        return text

    def _is_section_text(self, name: str, value: str) -> bool:
        """The whole text of a section (not a sentence quoted from it, as copied-text evidence is)."""
        section = self.report.sections.get(int(name[7:])) if self.report is not None else None
        return section is None or section.text == value

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
        compared = [f"#compare-{n[7:]}" for n in finding.fields if finding.category == "text.copied"
                    if re.fullmatch(r"section[1-9]", n) and int(n[7:]) in self.compared]
        report = self.report
        return {
            "headline": finding.heading, "compare": compared[0] if compared else None,
            "places": source_view.places(report.format, [e.location for e in finding.evidence]) if report else [],
            "number": number, "id": f"finding-{number}", "severity": finding.severity,
            "severity_label": SEVERITY_CN.get(finding.severity, finding.severity),
            "title": finding.title, "rule": finding.rule, "category": finding.category,
            "category_label": category_cn(finding.category), "message": finding.message,
            "basis": finding.basis, "where": finding.where(), "evidence": evidence, "others": others,
            "first_cell": cells[0] if cells else None, "cell_count": len(cells),
            "review": self.reviews.get(id(finding)),
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


def render_report_html(result: CheckResult, pack: Pack, checked_at: dt.datetime,
                       index_href: str | None = None, reviews: dict[int, dict[str, Any]] | None = None,
                       verdict: str | None = None) -> str:
    """The audit page for one checked report: a complete, self-contained HTML document.

    `index_href`: the batch index relative to the page (e.g. ../index.html), linked from the page and
    from every finding; None for a page of its own. From an audit-campaign store: `reviews` maps
    id(finding) to its review (status_cn, reason, reviewer, at, dismissed; dismissed findings are shown
    struck through with the reason) and `verdict` is the report's verdict under its pack's policy."""
    page = _PageBuilder(result, pack, reviews)
    comparison = year_comparison(result.report, result.previous_report, pack.template,
                                 float(pack.params.get("copied_similarity") or 90))
    if comparison:
        page.compared = {int(c["id"].rsplit("-", 1)[1]) for c in comparison["sections"]}
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
        comparison=comparison,
        index_href=safe_href(index_href),
        verdict=verdict,
    )


__all__ = ["render_report_html", "render_index_html", "CATEGORY_CN", "category_cn", "cell_id", "safe_href"]
