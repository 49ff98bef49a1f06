"""Evaluation of rule expressions: vectors, missing data, three-valued logic,
dates, regexes, tolerances, outcomes."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Optional

import pytest

from nianbao.lang import (Outcome, RuleError, Schema, compile_expr, evaluate, evaluate_raw,
                          evaluate_value)
from nianbao.lang import values as V

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
WITHHELD = ["state_secret", "law_forbidden", "three_safeties", "third_party",
            "internal_affairs", "process_info", "enforcement_file", "inquiry"]

VECTORS = {f"section3.{row}": COLS for row in
           ["new", "carried", "carryover", "results.granted", "results.partial", "results.total"]}
VECTORS.update({f"section3.results.withheld.{w}": COLS for w in WITHHELD})
VECTORS["section2.rules"] = ["issued", "repealed", "in_force"]
SCHEMA = Schema(
    scalars={"meta.year", "meta.date", "meta.level", "meta.flag", "section1", "section6",
             "params.deadline_month", "params.note", "section2.fees.amount", "narrative.applications_received"},
    vectors=VECTORS,
    allow_prev=True,
)


@dataclass
class Fact:
    value: Any
    raw: Optional[str] = None
    location: Any = None


def row(name: str, values, columns=COLS) -> dict:
    return {f"{name}.{c}": Fact(v) for c, v in zip(columns, values)}


def balanced_report() -> dict:
    facts: dict = {}
    facts.update(row("section3.new", [10, 1, 0, 0, 0, 1, 12]))
    facts.update(row("section3.carried", [2, 0, 0, 0, 0, 0, 2]))
    facts.update(row("section3.results.total", [11, 1, 0, 0, 0, 1, 13]))
    facts.update(row("section3.carryover", [1, 0, 0, 0, 0, 0, 1]))
    facts.update(row("section3.results.granted", [5, 1, 0, 0, 0, 0, 6]))
    facts.update(row("section3.results.partial", [1, 0, 0, 0, 0, 0, 1]))
    for w in WITHHELD:
        facts.update(row(f"section3.results.withheld.{w}", [0] * 7))
    facts["section3.results.withheld.third_party.natural_person"] = Fact(2)
    facts["section3.results.withheld.third_party.total"] = Fact(2)
    facts["meta.year"] = Fact(2022)
    facts["meta.date"] = Fact(dt.date(2023, 1, 20))
    facts["meta.level"] = Fact("department")
    facts["section6"] = Fact("本机关2022年度未收取信息处理费。")
    facts["section2.fees.amount"] = Fact(12.5, raw="12.50")
    return facts


BALANCE = "section3.new + section3.carried == section3.results.total + section3.carryover"


def run(source: str, facts: dict, params=None) -> Outcome:
    return evaluate(compile_expr(source, SCHEMA), facts, params)


def status(source: str, facts: Optional[dict] = None, params=None) -> str:
    return run(source, balanced_report() if facts is None else facts, params).status


# ---------------------------------------------------------------------------
# Vectors

def test_balance_passes_on_a_balanced_report():
    outcome = run(BALANCE, balanced_report())
    assert outcome.status == "pass"
    assert outcome.failures == [] and outcome.missing == []
    assert outcome.values["section3.new.total"] == 12
    assert len(outcome.values) == 28


def test_vector_failure_reports_exactly_the_failing_columns():
    facts = balanced_report()
    facts["section3.carryover.commercial"] = Fact(3)   # breaks commercial (and not total)
    facts["section3.new.research"] = Fact(4)           # breaks research
    outcome = run(BALANCE, facts)
    assert outcome.status == "fail"
    assert [(f["column"], f["left"], f["right"], f["op"]) for f in outcome.failures] == [
        ("commercial", 1, 4, "=="),
        ("research", 4, 0, "=="),
    ]
    assert outcome.failures[0]["expr"] == BALANCE
    assert outcome.missing == []


def test_vector_fail_wins_over_unknown_columns():
    facts = balanced_report()
    facts["section3.new.research"] = Fact(4)
    facts["section3.carryover.total"] = Fact(None)     # blank: total cannot be checked
    outcome = run(BALANCE, facts)
    assert outcome.status == "fail"
    assert [f["column"] for f in outcome.failures] == ["research"]
    assert outcome.missing == [("section3.carryover.total", "blank")]


def test_vector_unknown_when_no_column_fails():
    facts = balanced_report()
    del facts["section3.carried.legal_service"]
    outcome = run(BALANCE, facts)
    assert outcome.status == "unknown"
    assert outcome.missing == [("section3.carried.legal_service", "absent")]
    assert outcome.failures == []


def test_vector_op_scalar_broadcasts():
    facts = balanced_report()
    facts["section3.new.other_org"] = Fact(-1)
    outcome = run("section3.new >= 0", facts)
    assert outcome.status == "fail"
    assert outcome.failures == [{"column": "other_org", "op": ">=", "left": -1, "right": 0,
                                 "expr": "section3.new >= 0"}]
    assert evaluate_value(compile_expr("section3.new * 2", SCHEMA), facts)["natural_person"] == 20


def test_sum_over_wildcard_is_column_wise():
    facts = balanced_report()
    expr = compile_expr("sum(section3.results.withheld.*)", SCHEMA)
    assert evaluate_value(expr, facts) == {c: (2 if c in ("natural_person", "total") else 0) for c in COLS}
    facts["section3.results.withheld.inquiry.total"] = Fact("—")
    assert evaluate_value(expr, facts)["total"] is None
    raw = evaluate_raw(expr, facts)
    assert raw[-1] == V.invalid("section3.results.withheld.inquiry.total")


def test_results_total_rule_with_wildcards():
    source = ("section3.results.total == section3.results.granted + section3.results.partial"
              " + sum(section3.results.withheld.*) + 5 * 0")
    facts = balanced_report()
    facts["section3.results.total.natural_person"] = Fact(8)
    facts["section3.results.total.commercial"] = Fact(1)
    facts["section3.results.total.other_org"] = Fact(0)
    facts["section3.results.total.total"] = Fact(9)
    assert status(source, facts) == "pass"
    facts["section3.results.total.total"] = Fact(0)     # "a total cell of 0 next to non-zero parts"
    outcome = run(source, facts)
    assert outcome.status == "fail"
    assert outcome.failures[0]["column"] == "total"
    assert (outcome.failures[0]["left"], outcome.failures[0]["right"]) == (0, 9)


def test_row_total_rule_on_cells():
    source = ("section3.new.total == section3.new.natural_person + section3.new.commercial"
              " + section3.new.research + section3.new.social_welfare + section3.new.legal_service"
              " + section3.new.other_org")
    assert status(source) == "pass"
    facts = balanced_report()
    facts["section3.new.total"] = Fact(13)
    outcome = run(source, facts)
    assert outcome.failures == [{"column": None, "op": "==", "left": 13, "right": 12, "expr": source}]


def test_vectors_with_different_columns():
    facts = {**balanced_report(), **row("section2.rules", [1, 0, 5], ["issued", "repealed", "in_force"]),
             **{f"prev.section2.rules.{c}": Fact(v) for c, v in zip(["issued", "repealed", "in_force"], [2, 0, 4])}}
    assert status("prev.section2.rules.in_force + section2.rules.issued - section2.rules.repealed"
                  " == section2.rules.in_force", facts) == "pass"


# ---------------------------------------------------------------------------
# Missing data: absent, blank, invalid

@pytest.mark.parametrize("fact, kind", [
    (None, "absent"),
    (Fact(None), "blank"),
    (Fact("   "), "blank"),
    (Fact("—"), "invalid"),
])
def test_missing_kinds_make_a_check_unknown(fact, kind):
    facts = balanced_report()
    if fact is None:
        del facts["section3.new.total"]
    else:
        facts["section3.new.total"] = fact
    for source in ("section3.new.total + 1 > 0", "section3.new.total >= section3.new.total",
                   "abs(section3.new.total) >= 0", "-section3.new.total <= 0"):
        outcome = run(source, facts)
        assert outcome.status == "unknown", source
        assert outcome.missing == [("section3.new.total", kind)]
        assert outcome.failures == []


def test_missing_remembers_every_name():
    facts = balanced_report()
    del facts["meta.year"]
    facts["section3.new.total"] = Fact(None)
    outcome = run("meta.year + section3.new.total == 3", facts)
    assert outcome.status == "unknown"
    assert outcome.missing == [("meta.year", "absent"), ("section3.new.total", "blank")]
    assert outcome.values["meta.year"] is None


def test_text_in_a_numeric_vector_cell_is_invalid():
    facts = balanced_report()
    facts["section3.new.research"] = Fact("/")
    outcome = run(BALANCE, facts)
    assert outcome.status == "unknown"
    assert outcome.missing == [("section3.new.research", "invalid")]


def test_text_compares_equal_only_as_text():
    assert status("meta.level == 'department'") == "pass"
    assert status("meta.level != \"government\"") == "pass"
    facts = balanced_report()
    facts["section3.new.total"] = Fact("—")
    assert status("section3.new.total == '—'", facts) == "pass"
    assert run("section3.new.total > 3", facts).missing == [("section3.new.total", "invalid")]


def test_division_by_zero_is_unknown():
    outcome = run("section3.new.total / section3.new.research > 1", balanced_report())
    assert outcome.status == "unknown"
    assert outcome.missing == [("section3.new.research", "div_zero")]
    outcome = run("percent(section3.new.total, section3.new.research) > 1", balanced_report())
    assert outcome.missing == [("section3.new.research", "div_zero")]


# ---------------------------------------------------------------------------
# Three-valued logic

T, F_ = "meta.year == 2022", "meta.year == 1999"


@pytest.mark.parametrize("source, expected", [
    ("{T} and {U}", "unknown"),
    ("{F} and {U}", "fail"),
    ("{U} and {F}", "fail"),
    ("{T} or {U}", "pass"),
    ("{U} or {T}", "pass"),
    ("{F} or {U}", "unknown"),
    ("not {U}", "unknown"),
    ("not {F}", "pass"),
    ("{U} and {U}", "unknown"),
    ("{T} and {T}", "pass"),
    ("{F} or {F}", "fail"),
])
def test_kleene_logic(source, expected):
    unknown = "section3.new.total + 1 == meta.year"       # meta.year present, new.total absent below
    facts = balanced_report()
    del facts["section3.new.total"]
    text = source.format(T=T, F=F_, U=unknown)
    assert run(text, facts).status == expected, text


def test_unknown_reasons_come_only_from_what_decided():
    facts = balanced_report()
    facts.pop("section1", None)
    outcome = run("present(section1) or meta.year == 2022", facts)
    assert outcome.status == "pass" and outcome.missing == []


def test_logic_failure_details_name_the_failing_comparison():
    outcome = run("meta.year == 2022 and section3.new.total == 99", balanced_report())
    assert outcome.failures == [{"column": None, "op": "==", "left": 12, "right": 99,
                                 "expr": "section3.new.total == 99"}]
    outcome = run("not (meta.year == 2022)", balanced_report())
    assert outcome.failures[0]["op"] == "!="


def test_vector_and_scalar_logic_mix():
    facts = balanced_report()
    facts["section3.new.other_org"] = Fact(-1)
    outcome = run("meta.year == 2022 and section3.new >= 0", facts)
    assert outcome.status == "fail"
    assert [f["column"] for f in outcome.failures] == ["other_org"]


def test_bool_fact_in_logic_and_non_bool_is_invalid():
    facts = balanced_report()
    facts["meta.flag"] = Fact(True)
    assert status("meta.flag and meta.year == 2022", facts) == "pass"
    facts["meta.flag"] = Fact(5)
    outcome = run("meta.flag", facts)
    assert outcome.status == "unknown" and outcome.missing == [("meta.flag", "invalid")]


# ---------------------------------------------------------------------------
# present / blank / count / coalesce

def test_present_and_blank_never_unknown():
    facts = balanced_report()
    facts["section1"] = Fact(None)
    assert status("present(section1)", facts) == "pass"
    assert status("blank(section1)", facts) == "pass"
    assert status("present(narrative.applications_received)", facts) == "fail"
    assert status("blank(narrative.applications_received)", facts) == "fail"
    assert status("not blank(meta.year)", facts) == "pass"


def test_present_and_blank_on_vectors():
    facts = {k: v for k, v in balanced_report().items() if not k.startswith("section3.carried.")}
    facts["section3.carried.total"] = Fact(None)
    assert status("present(section3.carried)", facts) == "pass"    # one cell is there
    assert status("blank(section3.carried)", facts) == "pass"      # and it is empty
    assert status("blank(section3.new)", facts) == "fail"
    assert status("present(section3.results.withheld.inquiry)", {}) == "fail"


def test_count_counts_present_non_blank_cells():
    facts = balanced_report()
    facts["section3.new.research"] = Fact(None)
    del facts["section3.new.commercial"]
    facts["section3.new.total"] = Fact("—")                          # present, not blank
    assert evaluate_value(compile_expr("count(section3.new)", SCHEMA), facts) == 5
    assert evaluate_value(compile_expr("count(section3.results.withheld.*)", SCHEMA), facts) == 56
    assert evaluate_value(compile_expr("count(meta.year, section1, 1 + 1)", SCHEMA), facts) == 2


def test_coalesce_takes_the_first_value():
    facts = balanced_report()
    expr = compile_expr("coalesce(narrative.applications_received, section3.new.total, 0)", SCHEMA)
    assert evaluate_value(expr, facts) == 12
    facts["narrative.applications_received"] = Fact(21)
    assert evaluate_value(expr, facts) == 21


# ---------------------------------------------------------------------------
# Dates

def test_signing_date_deadline():
    rule = "meta.date > date(meta.year, 12, 31) and meta.date <= date(meta.year + 1, 1, 31)"
    assert status(rule) == "pass"
    facts = balanced_report()
    facts["meta.date"] = Fact(dt.date(2022, 12, 20))                 # signed before the year ended
    outcome = run(rule, facts)
    assert outcome.status == "fail"
    assert outcome.failures[0]["left"] == dt.date(2022, 12, 20)
    assert outcome.failures[0]["right"] == dt.date(2022, 12, 31)
    facts["meta.date"] = Fact(dt.datetime(2023, 3, 1, 9, 30))         # datetimes compare as dates
    assert run(rule, facts).status == "fail"
    del facts["meta.date"]
    assert run(rule, facts).missing == [("meta.date", "absent")]


def test_date_arithmetic_and_parts():
    assert status("meta.date - date(2023, 1, 1) == 19") == "pass"
    assert status("meta.date + 11 == date(2023, 1, 31)") == "pass"
    assert status("year(meta.date) == meta.year + 1 and month(meta.date) == 1 and day(meta.date) == 20") == "pass"
    assert status("meta.date <= date(meta.year + 1, params.deadline_month, 28)",
                  params={"deadline_month": 2}) == "pass"
    facts = balanced_report()
    facts["meta.date"] = Fact("2023年1月20日")                        # not parsed into a date
    outcome = run("meta.date <= date(2023, 1, 31)", facts)
    assert outcome.status == "unknown" and outcome.missing == [("meta.date", "invalid")]


def test_invalid_runtime_date_is_unknown():
    facts = balanced_report()
    facts["meta.year"] = Fact(2023)
    assert status("meta.date <= date(meta.year, 2, 29)", facts) == "unknown"


# ---------------------------------------------------------------------------
# Text and regexes

def test_contains_and_matches():
    assert status("contains(section6, '信息处理费')") == "pass"
    assert status(r"matches(section6, '未收取\s*信息处理费')") == "pass"
    assert status("matches(section6, '^收取')") == "fail"
    assert status("len(section6) > 5") == "pass"


def test_matches_uses_raw_text_of_a_number():
    assert status(r"matches(section2.fees.amount, '^\d+\.\d{2}$')") == "pass"


def test_regex_timeout_is_unknown_not_a_hang():
    facts = balanced_report()
    facts["section1"] = Fact("a" * 5000 + "!")
    expr = compile_expr("matches(section1, '(a|aa)+$')", SCHEMA)
    started = time.perf_counter()
    outcome = evaluate(expr, facts)
    assert time.perf_counter() - started < 2
    assert outcome.status == "unknown"
    assert outcome.missing == [("section1", "regex_timeout")]


# ---------------------------------------------------------------------------
# Numbers: tolerance, rounding, percentages

def test_approx_and_percent():
    facts = balanced_report()
    facts["narrative.granted_share"] = Fact(50.0)
    assert status("approx(percent(section3.results.granted.total, section3.new.total), 50, 0.01)") == "pass"
    assert status("approx(percent(11, 15), 73.33, 0.01)") == "pass"
    assert status("approx(percent(11, 15), 73.3, 0.01)") == "fail"
    assert status("approx(1.0, 1.5, 0.5)") == "pass"            # the bound is inclusive
    outcome = run("approx(section3.new, section3.results.total, 1)", balanced_report())
    assert outcome.status == "pass"


def test_float_equality_tolerates_binary_rounding():
    assert status("0.1 + 0.2 == 0.3") == "pass"
    assert status("0.1 + 0.2 <= 0.3 and 0.1 + 0.2 >= 0.3") == "pass"
    assert status("0.1 + 0.2 < 0.3") == "fail"
    assert status("1.001 == 1") == "fail"


def test_round_is_half_up():
    assert status("round(2.675, 2) == 2.68") == "pass"
    assert status("round(0.5) == 1 and round(1.5) == 2 and round(2.5) == 3") == "pass"
    assert status("round(-2.5) == -3") == "pass"
    assert evaluate_value(compile_expr("round(73.3333, 2)", SCHEMA), {}) == 73.33


def test_is_number_is_integer_decimals():
    facts = balanced_report()
    facts["section3.new.research"] = Fact("—")
    outcome = run("is_number(section3.new)", facts)
    assert outcome.status == "fail"
    assert outcome.failures[0]["column"] == "research"
    assert status("is_integer(section3.new.total)") == "pass"
    assert status("is_integer(section2.fees.amount)") == "fail"
    assert status("decimals(section2.fees.amount) == 2") == "pass"     # raw "12.50"
    facts["section2.fees.amount"] = Fact(12.5)                           # no raw text
    assert status("decimals(section2.fees.amount) == 1", facts) == "pass"
    facts["section3.new.total"] = Fact(None)
    assert status("is_number(section3.new.total)", facts) == "unknown"


def test_min_max_abs_if():
    assert evaluate_value(compile_expr("max(section3.new.total, 20, 3)", SCHEMA), balanced_report()) == 20
    assert evaluate_value(compile_expr("min(section3.results.withheld.*)", SCHEMA), balanced_report())["total"] == 0
    assert status("abs(0 - section3.new.total) == 12") == "pass"
    # if() is lazy: the branch not taken is not evaluated (no division by zero).
    assert status("if(section3.new.research == 0, 0, section3.new.total / section3.new.research) == 0") == "pass"
    assert status("if(narrative.applications_received == 1, true, false)", {}) == "unknown"


# ---------------------------------------------------------------------------
# Parameters, values, API details

def test_params_lookup():
    rule = "params.deadline_month == 1"
    assert status(rule, params={"deadline_month": 1}) == "pass"
    assert status(rule, params={"params.deadline_month": 2}) == "fail"
    assert status(rule, params={}) == "unknown"
    facts = {"params.deadline_month": Fact(1)}
    assert status(rule, facts) == "pass"                                 # params=None: from facts
    outcome = run(rule, {}, {"deadline_month": 1})
    assert outcome.values == {"params.deadline_month": 1}


def test_evaluate_value_returns_plain_python_values():
    facts = balanced_report()
    assert evaluate_value(compile_expr("section3.new.total * 2", SCHEMA), facts) == 24
    assert evaluate_value(compile_expr("section3.new.total + narrative.applications_received", SCHEMA), facts) is None
    vec = evaluate_value(compile_expr("section3.new - section3.carried", SCHEMA), facts)
    assert list(vec) == COLS and vec["natural_person"] == 8
    assert evaluate_value(compile_expr("date(2023, 1, 31)", SCHEMA), {}) == dt.date(2023, 1, 31)


def test_evaluate_rejects_non_boolean_expressions():
    expr = compile_expr("section3.new.total + 1", SCHEMA)
    assert not expr.is_boolean
    with pytest.raises(RuleError):
        evaluate(expr, balanced_report())


def test_plain_values_are_accepted_as_facts():
    assert status("meta.year == 2022 and section3.new.total == 3", {"meta.year": 2022, "section3.new.total": 3}) == "pass"


def test_outcome_values_cover_every_name_read():
    facts = balanced_report()
    outcome = run("sum(section3.results.withheld.*) >= 0 and prev.meta.year == 2021", facts)
    assert set(outcome.values) == set(compile_expr(
        "sum(section3.results.withheld.*) >= 0 and prev.meta.year == 2021", SCHEMA).names)
    assert outcome.values["prev.meta.year"] is None
    assert outcome.status == "unknown"
    assert outcome.missing == [("prev.meta.year", "absent")]


def test_simple_rule_is_fast():
    """A vector balance rule: compiled once, evaluated many times, well under 100 µs."""
    expr = compile_expr(BALANCE, SCHEMA)
    facts = balanced_report()
    evaluate(expr, facts)
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        evaluate(expr, facts)
    per_call = (time.perf_counter() - started) / n
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per evaluation"
