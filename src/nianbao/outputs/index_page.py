"""The batch index page: every report with its counts and links, filters, a chart by category."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..findings import LEVEL_CN, SEVERITY_CN
from ..packs import CATEGORIES
from .pages import SEVERITIES, _env, _file_name, _format_date, _format_datetime, category_cn, safe_href


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
            "verdict": str(entry.get("verdict") or ""),
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
        has_verdicts=any(r["verdict"] for r in rows),
    )


def _category_rank(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)
