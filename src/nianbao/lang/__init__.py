"""The nianbao rule language: expressions over report facts addressed by dotted names.

    from nianbao.lang import Schema, compile_expr, evaluate, RuleError, Outcome

    schema = Schema(scalars={...}, vectors={"section3.new": [...columns...]}, allow_prev=True)
    expr = compile_expr("section3.new + section3.carried == section3.results.total + section3.carryover",
                        schema, origin=("rules/gov-2021/arith.yaml", 12, 12))
    outcome = evaluate(expr, report.facts())     # .status: "pass" | "fail" | "unknown"

Stages, each in its own module: parser (grammar/expr.lark -> lark tree, syntax
errors), ast (frozen dataclasses; builder: lark tree -> them), check (names,
functions, types), compiler (nodes -> closures; calls of functions in functions,
column-wise broadcasting in vectors, fact and parameter lookup in facts), evaluate
(outcomes), explain (which comparisons failed), values (runtime values and
operations), stored (a compiled expression pickled as its checked tree). Only
parsing imports lark, so a pack loaded from the cache runs without it.
See docs/rule-language.md for the language itself.
"""
from .check import FUNCTIONS, Schema
from .evaluate import CompiledExpr, compile_expr, evaluate, evaluate_raw, evaluate_value
from .parser import RuleError
from .values import FAIL, KIND_LABELS, PASS, UNKNOWN, Missing, Outcome

__all__ = [
    "Schema", "compile_expr", "evaluate", "evaluate_value", "evaluate_raw", "CompiledExpr",
    "RuleError", "Outcome", "Missing", "PASS", "FAIL", "UNKNOWN", "KIND_LABELS", "FUNCTIONS",
]
