"""`nianbao parse` output: the mapped report as JSON or as a readable dump."""
from __future__ import annotations

from typing import Any

from ..findings import plain as _plain
from ..model import Report
from ..findings import LEVEL_CN
from ..metadata import DATE_SOURCE_CN
from ..strict_json import finite
from ..template import load_template
from ..terminal import safe


def ordered_value_names(report: Report) -> list[str]:
    """Cell names in template order (table 2, 3, 4), then anything else the report holds."""
    version = report.meta_value("template") or "gov-2021"
    template = load_template(str(version))
    order = [n for cells in template.table_cells().values() for n in cells]
    legacy = [f"{r.name}.{c}" for r in template.table3_legacy_rows for c in template.table3_columns]
    rank = {name: i for i, name in enumerate(order + legacy)}
    return sorted(report.values, key=lambda n: (rank.get(n, len(rank)), n))


def report_to_json(report: Report) -> dict[str, Any]:
    return finite(_report_json(report))


def _report_json(report: Report) -> dict[str, Any]:
    names = ordered_value_names(report)
    meta = {key: _plain(report.meta_value(key)) for key in ("agency", "year", "date", "level", "template")}
    for key, fact in report.meta.items():
        meta.setdefault(key, _plain(fact.value))
    template_fact = report.meta.get("template")
    if template_fact is not None and template_fact.raw:
        meta["template_reason"] = template_fact.raw
    return {
        "source": report.source,
        "format": report.format,
        "meta": meta,
        "sections": {
            f"section{n}": {
                "title": sec.title,
                "location": sec.location.to_json() if sec.location else None,
                "characters": len(sec.text),
            }
            for n, sec in sorted(report.sections.items())
        },
        "section_order": [f"section{n}" for n in report.section_order],
        "tables": list(report.tables_found),
        "values": {n: _plain(report.values[n].value) for n in names},
        "provenance": {
            n: {
                "raw": report.values[n].raw,
                "location": report.values[n].location.to_json() if report.values[n].location else None,
            }
            for n in names
        },
        "notes": [note.to_json() for note in report.notes],
        "ocr_pages": list(report.ocr_pages),
    }


def report_to_text(report: Report) -> str:
    out: list[str] = []
    meta_labels = {"agency": "报告机关", "year": "报告年度", "date": "落款日期", "level": "机关层级",
                   "template": "模板版本", "signer": "落款单位"}
    level_cn = {**LEVEL_CN, None: "未识别"}
    out.append(f"文件：{report.source}（{report.format}）")
    for key, label in meta_labels.items():
        fact = report.meta.get(key)
        if fact is None:
            continue
        value = fact.value
        if key == "template" and fact.raw:
            value = f"{value}（{fact.raw}）"
        if key == "level":
            value = f"{level_cn.get(value, value)}（{fact.raw}）" if fact.raw else level_cn.get(value, value)
        source = report.meta.get("date_source")
        if key == "date" and source is not None and source.value is not None:
            label = DATE_SOURCE_CN.get(str(source.value), label)
            value = f"{_plain(value)}（来源：{source.raw}{'，' + fact.location.describe() if fact.location and fact.location.describe() != source.raw else ''}）"
        out.append(f"{label}：{_plain(value) if value is not None else '未找到'}")
    if report.ocr_pages:
        pages = "、".join(str(n) for n in report.ocr_pages)
        out.append(f"OCR识别：第{pages}页为扫描图像，其文字和数值由OCR识别（标注“OCR识别”），请人工核对")
    out.append("")
    out.append("章节：")
    for n in range(1, 7):
        sec = report.sections.get(n)
        where = f"（{sec.location.describe()}）" if sec and sec.location else ""
        out.append(f"  section{n}  {sec.title if sec else '【缺失】'}{where}")
    out.append("")
    out.append("数值：")
    for name in ordered_value_names(report):
        fact = report.values[name]
        value = "（空白）" if fact.value is None else _plain(fact.value)
        where = fact.location.describe() if fact.location else ""
        out.append(f"  {name:<58} {value!s:>10}  {where}")
    if report.notes:
        out.append("")
        out.append("解析记录：")
        for note in report.notes:
            where = f"（{note.location.describe()}）" if note.location else ""
            out.append(f"  [{note.category}] {note.message}{where}")
    return safe("\n".join(out)) + "\n"        # report text is shown, never obeyed by the terminal
