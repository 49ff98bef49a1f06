"""Evaluating compiled expressions against a report's facts.

Compiling (compiler.py) turns each AST node into a function ``fn(facts, params)``
built once; evaluating a rule is one call of the root function plus a small
wrapper that turns the result into an `Outcome`. Scalars are plain Python
values, vectors are tuples (their columns are known statically), and missing
data is a `Missing` carrying its reasons (see values.py). When a check fails,
explain.py says which comparisons failed in which columns.

The stages live in their own modules; this one keeps the names callers import
(`compile_expr`, `CompiledExpr`, `REGEX_TIMEOUT_SECONDS`) available here too.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Mapping, Optional

from . import values as V
from .compiler import CompiledExpr, compile_expr, not_boolean_message
from .explain import Explainer
from .facts import NOTFOUND, fact_value, param_value
from .functions import REGEX_TIMEOUT_SECONDS
from .values import Missing, Outcome

_get_value = attrgetter("value")

def evaluate(expr: CompiledExpr, facts: Mapping, params: Optional[Mapping] = None) -> Outcome:
    """Evaluate a check against a report's facts: pass, fail or unknown."""
    if not expr.is_boolean:
        raise expr.origin.error(expr.source, 0, not_boolean_message(expr))
    result = expr._fn(facts, params)
    reasons: frozenset = frozenset()
    failed = False
    uncertain = False
    for item in (result,) if expr.columns is None else result:
        if item is True:
            continue
        if item is False:
            failed = True
        else:
            uncertain = True
            if item.__class__ is not Missing:
                item = V.invalid(expr.source)
            reasons = reasons | item.reasons
    values = _read_values(expr, facts, params)
    if failed:
        failures = Explainer(expr, facts, params).failures()
        return Outcome(V.FAIL, failures, sorted(reasons), values)
    if uncertain:
        return Outcome(V.UNKNOWN, [], sorted(reasons), values)
    return Outcome(V.PASS, [], [], values)


def evaluate_value(expr: CompiledExpr, facts: Mapping, params: Optional[Mapping] = None) -> Any:
    """The expression's plain Python value: vectors as {column: value}, Missing as None."""
    result = expr._fn(facts, params)
    if expr.columns is None:
        return V.plain(result)
    return {col: V.plain(v) for col, v in zip(expr.columns, result)}


def evaluate_raw(expr: CompiledExpr, facts: Mapping, params: Optional[Mapping] = None) -> Any:
    """The expression's internal value (Missing kept; vectors as tuples). For diagnostics."""
    return expr._fn(facts, params)


def _read_values(expr: CompiledExpr, facts: Mapping, params: Optional[Mapping]) -> dict:
    get = facts.get
    if not expr.params:
        try:                                          # common case: every fact present
            return dict(zip(expr.names, map(_get_value, map(get, expr.names))))
        except AttributeError:
            pass
    out = {}
    for name in expr.names:
        fact = get(name)
        out[name] = None if fact is None else fact_value(fact)
    for name in expr.params:
        v = param_value(name, facts, params)
        out[name] = None if v is NOTFOUND else v
    return out


__all__ = ["CompiledExpr", "compile_expr", "evaluate", "evaluate_value", "evaluate_raw",
           "REGEX_TIMEOUT_SECONDS"]
