"""What changed between two states of the same reports: a recheck, two runs, or two versions.

Findings are matched by fingerprint: `new` (only after), `resolved` (only
before), `changed` (both, other figures), `unchanged` (both, same figures).
For a resubmission the same comparison between version 1 and version 2 reads
as fixed (resolved), still there (unchanged + changed) and new.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .campaign import ReportState, StoredFinding


@dataclass
class FindingChange:
    report: dict[str, Any]               # the reports row the finding belongs to (after, or before if resolved)
    finding: StoredFinding
    before: StoredFinding | None = None  # for changed findings: as it was


@dataclass
class StateDiff:
    new: list[FindingChange] = field(default_factory=list)
    resolved: list[FindingChange] = field(default_factory=list)
    changed: list[FindingChange] = field(default_factory=list)
    unchanged: list[FindingChange] = field(default_factory=list)

    def extend(self, other: "StateDiff") -> None:
        for name in ("new", "resolved", "changed", "unchanged"):
            getattr(self, name).extend(getattr(other, name))

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("new", "changed", "unchanged", "resolved")}


def compare(before: ReportState | None, after: ReportState) -> StateDiff:
    out = StateDiff()
    old = {f.fingerprint: f for f in before.findings} if before else {}
    seen = set()
    for finding in after.findings:
        seen.add(finding.fingerprint)
        previous = old.get(finding.fingerprint)
        if previous is None:
            out.new.append(FindingChange(after.report, finding))
        elif previous.figures != finding.figures:
            out.changed.append(FindingChange(after.report, finding, previous))
        else:
            out.unchanged.append(FindingChange(after.report, finding, previous))
    if before is not None:
        out.resolved.extend(FindingChange(before.report, f) for f in before.findings if f.fingerprint not in seen)
    return out


def diff_states(before: list[ReportState], after: list[ReportState], common_only: bool = False) -> StateDiff:
    """Per report (by id). With common_only, reports present on one side only are left out."""
    old = {s.report["id"]: s for s in before}
    out = StateDiff()
    for state in after:
        if common_only and state.report["id"] not in old:
            continue
        out.extend(compare(old.get(state.report["id"]), state))
    return out


@dataclass
class Resubmission:
    agency: str
    year: int
    earlier: ReportState
    later: ReportState
    diff: StateDiff

    @property
    def fixed(self) -> list[FindingChange]:
        return self.diff.resolved

    @property
    def remaining(self) -> list[FindingChange]:
        return self.diff.changed + self.diff.unchanged


def resubmissions(states: list[ReportState]) -> list[Resubmission]:
    """Every report that has an earlier version: what of the version before it is fixed, still there, new."""
    by_key: dict[tuple[str, int], dict[int, ReportState]] = {}
    for state in states:
        row = state.report
        if row["agency_key"] and row["year"]:
            by_key.setdefault((row["agency_key"], row["year"]), {})[row["version"]] = state
    out = []
    for (key, year), versions in sorted(by_key.items()):
        numbers = sorted(versions)
        for earlier, later in zip(numbers, numbers[1:]):
            a, b = versions[earlier], versions[later]
            out.append(Resubmission(b.report["agency"] or key, year, a, b, compare(a, b)))
    return out
