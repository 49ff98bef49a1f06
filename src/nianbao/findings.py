"""What a check produces: findings, rules that could not be checked, per-report results."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from .limits import current as current_limits
from .model import Location, Report
from .strict_json import finite

from .words import CATEGORY_CN, LEVEL_CN, SEVERITY_CN, SEVERITY_ORDER  # noqa: F401  (one home: words.py)


def plain(value: Any) -> Any:
    """A fact's value as JSON and templates take it: dates as ISO text, a non-finite float as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass
class Evidence:
    field: str
    label: str                     # Chinese description of the field
    value: Any
    location: Location | None

    def __post_init__(self) -> None:
        # A section's fact is its whole text: a finding quotes the start of it (the
        # location says where), never the whole section (limits.evidence_chars).
        if isinstance(self.value, str):
            budget = current_limits().evidence_chars
            if len(self.value) > budget:
                self.value = self.value[:budget].rstrip() + "…"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "value": plain(self.value),
                "location": self.location.to_json() if self.location else None}


@dataclass
class Finding:
    rule: str
    title: str
    category: str
    severity: str
    message: str
    basis: str
    fields: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    # A remark for the supervisor (e.g. "请人工核对该页内容"), never stated in a letter to the agency.
    reviewer_only: bool = False
    # The problem in a few words (未标注落款日期), where `title` states the requirement.
    headline: str = ""

    @property
    def heading(self) -> str:
        """What a reader sees as the finding's heading: the headline, or the title for packs without one."""
        return self.headline or self.title

    def where(self) -> str:
        """Places in the report, deduplicated, in Chinese: 第3页；第12行."""
        seen: list[str] = []
        for ev in self.evidence:
            if ev.location is not None:
                text = ev.location.describe()
                if text not in seen:
                    seen.append(text)
        return "；".join(seen)

    def to_json(self) -> dict[str, Any]:
        out = {"rule": self.rule, "title": self.title, "headline": self.heading, "category": self.category,
               "severity": self.severity, "message": self.message, "basis": self.basis, "fields": list(self.fields),
               "evidence": [e.to_json() for e in self.evidence]}
        if self.reviewer_only:
            out["reviewer_only"] = True
        return out


def finding_order(finding: Finding) -> tuple:
    """How findings are listed everywhere: errors, warnings, info; then by category and rule."""
    return (SEVERITY_ORDER.get(finding.severity, 9), finding.category, finding.rule)


@dataclass
class Unchecked:
    """A rule whose facts were absent, blank or unreadable: neither passed nor failed."""

    rule: str
    title: str
    reason: str                    # Chinese
    missing: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "title": self.title, "reason": self.reason,
                "missing": [{"field": n, "kind": k} for n, k in self.missing]}


@dataclass
class CheckResult:
    source: str
    pack: str
    report: Report | None
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    previous: str | None = None
    unreadable: str | None = None      # why the file could not be read (the result then has no report)
    input_error: bool = False          # ...because it is not a report file at all (missing, empty, binary…)
    # Last year's report itself, when one was compared (for the side-by-side view); not serialised.
    previous_report: Report | None = field(default=None, repr=False, compare=False)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count("error") > 0

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=finding_order)

    def meta_json(self) -> dict[str, Any]:
        if self.report is None:
            return {}
        keys = ("agency", "year", "date", "date_source", "level", "template")
        return {k: plain(self.report.meta_value(k)) for k in keys}

    def to_json(self) -> dict[str, Any]:
        return finite(self._json())

    def _json(self) -> dict[str, Any]:
        out = {"source": self.source, "pack": self.pack, "meta": self.meta_json(),
               "counts": {s: self.count(s) for s in SEVERITY_ORDER},
               "findings": [f.to_json() for f in self.sorted_findings()],
               "unchecked": [u.to_json() for u in self.unchecked]}
        if self.previous:
            out["previous"] = self.previous
        if self.unreadable:
            out["unreadable"] = self.unreadable
        return out
