"""Which template a report is printed on, and which one applies to its year.

The printed template is read from the table headers and row labels the
report actually contains (labels only one version prints); the applicable
one from the report year. A report printed on an older template than its
year calls for is checked against what it printed (so its arithmetic can
still be checked) and gets a `template.outdated` note.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .document import Document
from .metadata import title_parts
from .template import Template, available_templates, load_template, normalize_label


@dataclass
class Detection:
    printed: str                 # template version the tables are printed on
    applicable: str | None       # template version the report year calls for
    year: int | None
    reason: str                  # Chinese, recorded with meta.template
    evidence: list[str]          # labels that decided it

    @property
    def outdated(self) -> bool:
        if self.applicable is None or self.printed == self.applicable:
            return False
        return _order(self.printed) < _order(self.applicable)


def _order(version: str) -> int:
    m = re.search(r"(\d{4})", version)
    return int(m.group(1)) if m else 0


def _labels(template: Template) -> set[str]:
    out: set[str] = set()
    out.update(template.table2_column_labels)
    out.update(l for row in template.table2_rows for l in row.labels)
    out.update(row.labels[0] for row in template.table3_rows)
    return out


@lru_cache(maxsize=1)
def _markers() -> dict[str, frozenset[str]]:
    """Labels printed by exactly one template version."""
    versions = available_templates()
    labels = {v: _labels(load_template(v)) for v in versions}
    return {v: frozenset(labels[v] - set().union(*(labels[o] for o in versions if o != v))) for v in versions}


def applicable_template(year: int | None) -> str | None:
    if year is None:
        return None
    best = None
    for version in available_templates():
        t = load_template(version)
        start = t.applies_from_year or 0
        end = t.applies_to_year or 9999
        if start <= year <= end:
            best = version
    return best


def report_year(doc: Document) -> int | None:
    for block in [b for b in doc.blocks if b.kind == "line"][:10]:
        parts = title_parts(block.text)
        if parts:
            return parts[1]
    return None


def detect(doc: Document) -> Detection:
    markers = _markers()
    hits: dict[str, list[str]] = {v: [] for v in markers}
    for block in doc.blocks:
        if block.kind != "row":
            continue
        for cell in block.cells:
            text = normalize_label(cell.text)
            text = re.sub(r"^\d{1,2}[.、]", "", text)
            for version, labels in markers.items():
                if text in labels and text not in hits[version]:
                    hits[version].append(text)
    year = report_year(doc)
    applicable = applicable_template(year)
    ranked = sorted(hits, key=lambda v: (len(hits[v]), v == applicable), reverse=True)
    if ranked and hits[ranked[0]]:
        printed = ranked[0]
        shown = "、".join(hits[printed][:4])
        reason = f"表格中出现{load_template(printed).title}特有的栏目（{shown}）"
        if year is not None:
            reason = f"报告年度{year}年；" + reason
        return Detection(printed, applicable, year, reason, hits[printed])
    fallback = applicable or "gov-2021"
    reason = (f"报告年度{year}年，适用{load_template(fallback).title}；表格中未见可区分版本的栏目"
              if year is not None else f"未识别报告年度，表格中也未见可区分版本的栏目，按{fallback}检查")
    return Detection(fallback, applicable, year, reason, [])
