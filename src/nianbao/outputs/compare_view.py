"""The audit page's year-over-year view: each section beside last year's, sentence by sentence.

View data: plain dicts and strings, and each side of a row as ready markup (every
piece of report text escaped here, the marks <ins>/<del> around the pieces that
differ): a row is a few dozen runs, and looping over them in the template cost
as much as finding them. Sentences copied from last year (textcompare) share a
row and are shaded, with the few characters that differ marked; sentences only
this year or only last year have a row of their own.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..model import Report
from ..template import Template
from ..textcompare import SIMILARITY, char_diff, compare, side_by_side

from ..words import CN_NUMERALS as _CN_NUMS


def year_comparison(report: Report | None, previous: Report | None, template: Template,
                    similarity: float = SIMILARITY) -> dict[str, Any] | None:
    if report is None or previous is None:
        return None
    sections = []
    for number in [int(s["number"]) for s in template.sections] or list(range(1, 7)):
        this, last = report.sections.get(number), previous.sections.get(number)
        if this is None or last is None or not (this.text.strip() or last.text.strip()):
            continue
        found = compare(this.text, last.text, similarity)
        if not found.sentences and not found.previous:
            continue
        rows = []
        for row in side_by_side(found):
            entry: dict[str, Any] = {"kind": row.kind, "score": row.score, "current": Markup(),
                                     "previous": Markup()}
            if row.kind == "same" and row.current is not None and row.previous is not None:
                now, before = char_diff(row.current.text, row.previous)
                entry["current"], entry["previous"] = _marked(now, "ins"), _marked(before, "del")
            else:
                if row.current is not None:
                    entry["current"] = escape(row.current.text)
                if row.previous is not None:
                    entry["previous"] = escape(row.previous)
            rows.append(entry)
        sections.append({
            "id": f"compare-{number}", "number": _CN_NUMS[number - 1] if 0 < number <= 10 else str(number),
            "title": template.section_title(number), "share": found.share, "copied": len(found.copied),
            "sentences": len(found.sentences), "rows": rows,
        })
    year = report.meta_value("year")
    last_year = previous.meta_value("year")
    return {"sections": sections, "year": str(year or "本年"), "previous_year": str(last_year or "上年"),
            "similarity": similarity}


def _marked(runs: list[tuple[str, bool]], tag: str) -> Markup:
    """Runs of text as markup: each escaped, the changed ones inside <tag>."""
    return Markup("").join(Markup(f"<{tag}>{escape(text)}</{tag}>") if changed else escape(text)
                           for text, changed in runs)
