"""Property tests for the rule language (hypothesis).

1. compile_expr on arbitrary text, and on random sequences of the language's own
   tokens, only ever raises RuleError; whatever compiles also evaluates without
   raising (except RuleError for a non-boolean check).
2. Evaluation is deterministic: the same expression and facts give identical
   outcomes, over generated expressions and fact sets.
3. Vector checks decide column by column exactly like the per-cell checks.
4. Three-valued logic laws: double negation and De Morgan keep the status.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.lang import RuleError, Schema, compile_expr, evaluate, evaluate_value

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
VECTOR_NAMES = ["section3.new", "section3.carried", "section3.carryover",
                "section3.results.withheld.state_secret", "section3.results.withheld.inquiry"]
SCALAR_NAMES = ["meta.year", "meta.date", "meta.level", "section6", "section2.fees.amount",
                "params.deadline_month"]
SCHEMA = Schema(scalars=set(SCALAR_NAMES), vectors={v: COLS for v in VECTOR_NAMES}, allow_prev=True)

CELLS = [f"{v}.{c}" for v in VECTOR_NAMES for c in COLS]
FACT_NAMES = CELLS + SCALAR_NAMES[:-1] + ["prev.section3.carryover.total", "prev.meta.year"]

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Fact:
    value: Any
    raw: Optional[str] = None
    location: Any = None


def compile_or_none(source: str):
    try:
        return compile_expr(source, SCHEMA)
    except RuleError:
        return None


# ---------------------------------------------------------------------------
# Strategies

VOCAB = (
    ["section3.new", "section3.new.total", "section3.carried", "section3.results.withheld.*",
     "section3.nwe", "meta.year", "meta.date", "section6", "prev.section3.carryover", "params.deadline_month",
     "prev.", "x", "section3.*", "meta.*"]
    + ["sum", "count", "min", "max", "abs", "round", "present", "blank", "coalesce", "date", "year",
       "contains", "matches", "approx", "percent", "if", "is_number", "is_integer", "decimals", "len", "summ"]
    + ["(", ")", ",", "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not",
       "true", "false", "True", "0", "1", "2.5", "10000000000000000000", "'信息处理费'", '"(a|aa)+$"',
       "'('", "'", '"', ".", "=", "&&", "（", "）", "，", "%", "\n", "\\"]
)

token_sequences = st.lists(st.sampled_from(VOCAB), max_size=14).flatmap(
    lambda toks: st.sampled_from([" ".join(toks), "".join(toks)]))

values = st.one_of(
    st.none(),
    st.integers(-3, 40),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from(["—", "", "  ", "无", "12", "本年度未收取信息处理费"]),
    st.dates(dt.date(2019, 1, 1), dt.date(2025, 12, 31)),
    st.booleans(),
)
sparse_facts = st.dictionaries(
    st.sampled_from(FACT_NAMES),
    st.builds(Fact, values, st.one_of(st.none(), st.sampled_from(["12.50", "3", "—", "1,234.5"]))),
    max_size=len(FACT_NAMES),
)
# Complete reports with small counts (so equalities often hold), then a few cells spoilt.
complete_facts = st.builds(
    lambda counts, spoilt: {**{n: Fact(v) for n, v in zip(FACT_NAMES, counts)},
                            "meta.date": Fact(dt.date(2023, 1, 20)), "meta.year": Fact(2022),
                            "section6": Fact("本年度未收取信息处理费"), **spoilt},
    st.lists(st.integers(0, 2), min_size=len(FACT_NAMES), max_size=len(FACT_NAMES)),
    st.dictionaries(st.sampled_from(FACT_NAMES), st.builds(Fact, values), max_size=3),
)
facts_strategy = st.one_of(sparse_facts, complete_facts)
params_strategy = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"deadline_month": st.integers(0, 13)}))

NUM_LEAVES = st.sampled_from(
    ["section3.new", "section3.carried", "section3.new.total", "section3.carryover.research",
     "meta.year", "section2.fees.amount", "prev.section3.carryover.total", "params.deadline_month",
     "sum(section3.results.withheld.*)", "count(section3.new)", "0", "1", "2.5", "100"])


def _num_expr():
    return st.recursive(
        NUM_LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"-{a}"),
            inner.map(lambda a: f"abs({a})"),
            inner.map(lambda a: f"round({a}, 1)"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"percent({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        ),
        max_leaves=6,
    )


NUM_EXPR = _num_expr()

BOOL_LEAVES = st.one_of(
    st.tuples(NUM_EXPR, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), NUM_EXPR).map(" ".join),
    st.tuples(NUM_EXPR, NUM_EXPR).map(lambda t: f"approx({t[0]}, {t[1]}, 0.5)"),
    NUM_EXPR.map(lambda a: f"is_integer({a})"),
    st.sampled_from([
        "present(section3.new)", "blank(section3.carried)", "present(meta.date)",
        "contains(section6, '信息处理费')", r"matches(section6, '\d+')", "is_number(section3.new)",
        "meta.date <= date(meta.year + 1, 1, 31)", "meta.level == 'department'", "true", "false",
        "decimals(section2.fees.amount) <= 2", "len(section6) > 3", "year(meta.date) == meta.year",
    ]),
)

BOOL_EXPR = st.recursive(
    BOOL_LEAVES,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda a: f"not ({a})"),
        st.tuples(inner, inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    ),
    max_leaves=4,
)


# ---------------------------------------------------------------------------
# 1. Only RuleError escapes compile_expr; compiled expressions evaluate safely

def _evaluates_safely(expr, facts, params=None):
    evaluate_value(expr, facts, params)
    if expr.is_boolean:
        outcome = evaluate(expr, facts, params)
        assert outcome.status in ("pass", "fail", "unknown")
    else:
        try:
            evaluate(expr, facts, params)
        except RuleError:
            pass
        else:
            raise AssertionError("a non-boolean expression was evaluated as a check")


@FAST
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_rule_error(text):
    expr = compile_or_none(text)
    if expr is not None:
        _evaluates_safely(expr, {})


@settings(max_examples=400, deadline=None)
@given(token_sequences, facts_strategy)
def test_token_sequences_raise_only_rule_error(source, facts):
    expr = compile_or_none(source)
    if expr is not None:
        _evaluates_safely(expr, facts)


# ---------------------------------------------------------------------------
# 2. Determinism

@FAST
@given(BOOL_EXPR, facts_strategy, params_strategy)
def test_evaluation_is_deterministic(source, facts, params):
    expr = compile_or_none(source)
    if expr is None:        # e.g. a comparison the static checks reject
        return
    first = evaluate(expr, facts, params)
    second = evaluate(expr, facts, params)
    assert first == second
    assert first.status in ("pass", "fail", "unknown")
    assert (first.status == "fail") == bool(first.failures)
    assert first.status != "pass" or first.missing == []
    assert set(first.values) == set(expr.names) | set(expr.params)
    # Recompiling gives the same outcome too.
    assert evaluate(compile_expr(source, SCHEMA), facts, params) == first


@FAST
@given(NUM_EXPR, facts_strategy)
def test_values_are_deterministic(source, facts):
    expr = compile_or_none(source)
    if expr is None:
        return
    assert evaluate_value(expr, facts) == evaluate_value(expr, facts)


# ---------------------------------------------------------------------------
# 3. Vector decisions equal the per-column decisions

@FAST
@given(facts_strategy, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
def test_vector_status_matches_per_column_status(facts, op):
    vector = evaluate(compile_expr(f"section3.new {op} section3.carried", SCHEMA), facts)
    per_column = [evaluate(compile_expr(f"section3.new.{c} {op} section3.carried.{c}", SCHEMA), facts)
                  for c in COLS]
    statuses = [o.status for o in per_column]
    expected = "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
    assert vector.status == expected
    failing = [c for c, o in zip(COLS, per_column) if o.status == "fail"]
    assert [f["column"] for f in vector.failures] == failing
    if expected != "pass":
        unknown_reasons = sorted({r for o in per_column if o.status == "unknown" for r in o.missing})
        assert vector.missing == unknown_reasons


# ---------------------------------------------------------------------------
# 4. Kleene laws

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BOOL_EXPR, BOOL_EXPR, facts_strategy)
def test_double_negation_and_de_morgan(a, b, facts):
    ea, eb = compile_or_none(a), compile_or_none(b)
    if ea is None or eb is None:
        return
    status = lambda src: evaluate(compile_expr(src, SCHEMA), facts).status  # noqa: E731
    assert status(f"not (not ({a}))") == status(a)
    assert status(f"not (({a}) and ({b}))") == status(f"(not ({a})) or (not ({b}))")
    assert status(f"not (({a}) or ({b}))") == status(f"(not ({a})) and (not ({b}))")
