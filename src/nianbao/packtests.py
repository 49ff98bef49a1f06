"""`nianbao rules test`: run every rule's inline cases (tests: in the pack YAML).

A case gives facts (a table-3 vector may be written as a list of seven
values; `zeros: [section3.**]` first fills the named table-3 rows with 0)
and/or parse-note categories, and what the rule must conclude:
pass (no finding, nothing unchecked), fail (a finding) or unknown (cannot check).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .engine import check_report
from .model import Fact, Paragraph, ParseNote, Report, Section
from .packs import Pack, Rule


@dataclass
class CaseResult:
    rule: str
    index: int
    expect: str
    got: str
    ok: bool
    detail: str = ""


def _report_from_case(case: dict[str, Any], pack: Pack) -> tuple[Report, Report | None]:
    report = Report(source="<测试用例>", format="text")
    previous: Report | None = None
    vectors = pack.template.vectors()
    from .packs import expand_names
    for name in expand_names([str(p) for p in case.get("zeros") or []], list(vectors)):
        for col in vectors[name]:
            _put(report, f"{name}.{col}", 0)
    facts = case.get("facts") or {}
    for name, value in facts.items():
        name = str(name)
        target = report
        if name.startswith("prev."):
            previous = previous or Report(source="<上年测试用例>", format="text")
            target, name = previous, name[5:]
        if name in vectors and isinstance(value, list):
            for col, item in zip(vectors[name], value):
                _put(target, f"{name}.{col}", item)
        else:
            _put(target, name, value)
    for spec in case.get("notes") or []:
        category, _, kind = str(spec).partition(":")
        report.notes.append(ParseNote(category, f"测试用例解析记录（{spec}）", None, [], {"kind": kind} if kind else {}))
    return report, previous


def _put(report: Report, name: str, value: Any) -> None:
    raw = None if value is None else str(value)
    if name.startswith("meta."):
        report.meta[name[5:]] = Fact(name, value, raw, None)
    elif name.startswith("section") and name[7:].isdigit():
        number = int(name[7:])
        report.sections[number] = Section(number, "", str(value), None, [Paragraph(str(value), [])])
    else:   # table cells and narrative facts
        report.values[name] = Fact(name, value, raw, None)


def run_rule_cases(pack: Pack, rule: Rule) -> list[CaseResult]:
    results = []
    single = Pack(**{**pack.__dict__, "rules": [rule], "disabled": set(), "narrative": []})
    for index, case in enumerate(rule.tests, start=1):
        expect = str(case.get("expect", "")).strip()
        if expect not in ("pass", "fail", "unknown"):
            results.append(CaseResult(rule.id, index, expect, "-", False, "expect 应为 pass、fail 或 unknown"))
            continue
        report, previous = _report_from_case(case, pack)
        try:
            outcome = check_report(report, single, previous)
        except Exception as exc:  # a broken case is a failing case, not a crash
            results.append(CaseResult(rule.id, index, expect, "error", False, f"{type(exc).__name__}: {exc}"))
            continue
        got = "fail" if outcome.findings else ("unknown" if outcome.unchecked else "pass")
        detail = outcome.findings[0].message if outcome.findings else (
            outcome.unchecked[0].reason if outcome.unchecked else "")
        results.append(CaseResult(rule.id, index, expect, got, got == expect, detail))
    return results


def run_pack_cases(pack: Pack) -> list[CaseResult]:
    out: list[CaseResult] = []
    for rule in pack.rules:
        out.extend(run_rule_cases(pack, rule))
    return out
