"""The batch index page: every report of a run with its counts and links, filters, a chart by category.

Usable at 10,000 reports: the first `PAGE_SIZE` rows are in the table
(readable without a script); the others wait as HTML strings in an
attribute of a hidden element (inert: never parsed as markup until shown),
beside a compact array of what every row is sorted and filtered by. The script pages through the matching
rows and builds a row's element only when its page is shown, so the browser
parses and lays out one page, not 10,000 rows.
Files the run could not check at all are listed with the reason, and
duplicates are marked. Report-derived text is escaped by Jinja2's autoescape.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterable, Iterator

from ..findings import LEVEL_CN, SEVERITY_CN
from ..packs import CATEGORIES
from .pages import SEVERITIES, _env, _file_name, _format_date, _format_datetime, category_cn, safe_href

PAGE_SIZE = 100


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


def _row_view(index: int, entry: dict) -> dict[str, Any]:
    meta = entry.get("meta") or {}
    counts = {s: _count((entry.get("counts") or {}).get(s)) for s in SEVERITIES}
    categories = {str(k): _count(v) for k, v in (entry.get("categories") or {}).items() if _count(v) > 0}
    source = str(entry.get("source") or "")
    level = meta.get("level")
    error = entry.get("error")
    year = meta.get("year")
    return {
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
        "category_counts": categories,
        "category_list": [{"label": category_cn(c), "count": n}
                          for c, n in sorted(categories.items(), key=lambda kv: _category_rank(kv[0]))],
        "page": safe_href(entry.get("page")),
        "letter": safe_href(entry.get("letter")),
        "verdict": str(entry.get("verdict") or ""),     # from a store export: the report's verdict
        "error": str(error) if error else "",
        "duplicate": str(entry.get("duplicate") or ""),
        "status": "failed" if error else ("error" if counts["error"] else
                                         "warning" if counts["warning"] else "ok"),
    }


def _views(entries: Callable[[], Iterable[dict]]) -> Iterator[dict[str, Any]]:
    return (_row_view(i, entry) for i, entry in enumerate(entries(), 1))


def index_chunks(entries: Callable[[], Iterable[dict]], generated_at: dt.datetime, title: str = "年报审核汇总",
                 not_checked: Iterable[Any] = ()) -> Iterator[str]:
    """The index page as a stream of text. `entries()` gives the entries afresh each time it is called
    (twice: once for the totals, once for the rows), so a run of any size is never held in memory."""
    totals = {s: 0 for s in SEVERITIES}
    category_totals: dict[str, int] = {}
    category_reports: dict[str, int] = {}
    failed, first = [], []
    reports = with_errors = 0
    has_letters = has_verdicts = False
    for row in _views(entries):
        reports += 1
        for s in SEVERITIES:
            totals[s] += row["counts"][s]
        for cat, n in row["category_counts"].items():
            category_totals[cat] = category_totals.get(cat, 0) + n
            category_reports[cat] = category_reports.get(cat, 0) + 1
        has_letters = has_letters or bool(row["letter"])
        has_verdicts = has_verdicts or bool(row["verdict"])
        with_errors += 1 if row["counts"]["error"] and not row["error"] else 0
        if row["error"]:
            failed.append({k: row[k] for k in ("index", "source", "error")})
        if len(first) < PAGE_SIZE:
            first.append(row)
    chart_rows = sorted(category_totals.items(), key=lambda kv: (-kv[1], _category_rank(kv[0])))
    chart = _bar_chart([(c, category_cn(c), n, category_reports[c]) for c, n in chart_rows])
    category_options = [{"value": c, "label": category_cn(c), "count": category_totals[c]}
                        for c in sorted(category_totals, key=_category_rank)]
    summary = {
        "reports": reports, "read": reports - len(failed), "failed": len(failed), "with_errors": with_errors,
        "totals": [{"key": s, "label": SEVERITY_CN[s], "count": totals[s]} for s in SEVERITIES],
    }
    severities = [{"key": s, "label": SEVERITY_CN[s]} for s in SEVERITIES]
    make_row = _env().get_template("index_row.html").module.row
    # Plain JSON strings, one per row: autoescape makes them safe in an attribute; the script parses them.
    row_data = (json.dumps(_row_data(r), ensure_ascii=False) for r in _views(entries))
    later = (json.dumps(str(make_row(r, severities, has_letters, has_verdicts)), ensure_ascii=False)
             for r in _views(entries) if r["index"] > PAGE_SIZE)
    return _env().get_template("index_page.html").generate(
        title=title, generated_at=_format_datetime(generated_at), first_rows=first, failed=failed,
        chart=chart, category_options=category_options, summary=summary, severities=severities,
        has_letters=has_letters, has_verdicts=has_verdicts, page_size=PAGE_SIZE, incomplete=False, row_data=row_data, later_rows=later,
        not_checked=[{"source": str(n.source), "reason": str(n.reason)} for n in not_checked],
    )


def render_index_html(entries: Iterable[dict], generated_at: dt.datetime, title: str = "年报审核汇总",
                      not_checked: Iterable[Any] = ()) -> str:
    """The summary page of a batch: every report with its counts and links, filters, a chart by category.

    `not_checked`: inputs the run could not check at all (objects with `source` and `reason`)."""
    items = list(entries)
    return "".join(index_chunks(lambda: items, generated_at, title, not_checked))


def write_index_html(path, entries: Callable[[], Iterable[dict]], generated_at: dt.datetime,
                     not_checked: Iterable[Any] = (), title: str = "年报审核汇总") -> None:
    """Write the index page as it is rendered (atomically), holding no more than one page of rows."""
    from ..atomic import atomic_open
    with atomic_open(path, "w") as fh:
        for chunk in index_chunks(entries, generated_at, title, not_checked):
            fh.write(chunk)


def render_incomplete_html(started_at: dt.datetime, title: str = "年报审核汇总") -> str:
    """The index of a folder whose run is going on or was stopped: says the results are incomplete."""
    return _env().get_template("index_page.html").render(title=title, generated_at=_format_datetime(started_at),
                                                          incomplete=True)


def _row_data(row: dict[str, Any]) -> list[Any]:
    """What the script sorts and filters every row by (the rows past the first page are not in the DOM)."""
    return [row["index"], row["agency"] or row["source_name"], row["agency"] + " " + row["source_name"],
            row["categories"], row["counts"]["error"], row["counts"]["warning"], row["counts"]["info"], row["total"],
            1 if row["error"] else 0, row["year_sort"], row["level"], row["template"]]


def _category_rank(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)
