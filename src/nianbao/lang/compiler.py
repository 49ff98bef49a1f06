"""Compiling checked expression trees to closures ``fn(facts, params) -> value``.

Each AST node becomes one function built once at compile time: leaves read
facts and literals, operators combine their operands' functions (column by
column for vectors, see vectors.py), and calls are compiled by the methods of
`FunctionCalls` (functions.py). The functions built for each node, and the
names blamed for its invalid values, are kept so a failure can be explained
(explain.py) without compiling again.
"""
from __future__ import annotations

from typing import Any, Optional

from . import ast as A
from . import values as V
from .check import ANY, BOOL, TYPE_LABELS, Checked, Schema, check
from .facts import NOTFOUND, blank_text, param_value
from .functions import FunctionCalls
from .parser import Origin, parse
from .vectors import Fn, columns, lift1, lift2, map1


class CompiledExpr:
    """A compiled rule expression. Compile once with compile_expr, evaluate many times.

    source  -- the expression text
    origin  -- an Origin (file, line, col, label) for positioning errors
    names   -- sorted full names of the report facts read (vectors and wildcards expanded
               to cells, ``prev.`` names included, ``params.`` excluded)
    params  -- sorted ``params.*`` names read
    type    -- static type: "bool", "num", "str", "date" or "any" (unknown until run time)
    columns -- the result's columns if it is a vector, else None
    """

    __slots__ = ("source", "origin", "names", "params", "type", "columns", "_fn", "_checked",
                 "_fns", "_blames", "__weakref__")

    def __init__(self, checked: Checked, fn: Fn, fns: dict, blames: dict):
        root_info = checked.info_of(checked.root)
        self.source = checked.source
        self.origin = checked.origin
        self.names = list(checked.names)
        self.params = list(checked.params)
        self.type = root_info.type
        self.columns = root_info.shape
        self._fn = fn
        self._checked = checked
        self._fns = fns
        self._blames = blames

    @property
    def is_boolean(self) -> bool:
        """True when the expression can serve as a check (a condition)."""
        return self.type in (BOOL, ANY)

    def __repr__(self) -> str:
        return f"CompiledExpr({self.source!r})"

    def __reduce__(self):      # closures cannot be pickled: keep the checked tree (lang/stored.py)
        from .stored import reduce_compiled
        return reduce_compiled(self)


def compile_expr(source: str, schema: Schema, origin=None, expect: Optional[str] = None) -> CompiledExpr:
    """Parse, check and compile an expression; raise RuleError for any problem in it.

    origin -- (file, line, col) or (file, line, col, label): where the expression text
              starts in its rule file, so errors point there.
    expect -- "bool" to require a condition (an error otherwise, at compile time);
              None (default) accepts any expression.
    """
    origin = origin if isinstance(origin, Origin) else Origin(origin)
    tree = parse(source, origin)
    node = A.build(tree, source, origin)
    checked = check(node, source, schema, origin)
    compiled = Compiler(checked).compile()
    if expect == "bool" and not compiled.is_boolean:
        raise origin.error(source, 0, not_boolean_message(compiled))
    return compiled


def not_boolean_message(expr: CompiledExpr) -> str:
    return (f"检查条件的结果应为真假值，而该表达式的结果是{TYPE_LABELS[expr.type]}；"
            f"请写成比较，例如 … == …。")


class Compiler(FunctionCalls):
    """Builds the closures of one checked expression; `fns` and `blames` are keyed by id(node)."""

    def __init__(self, checked: Checked):
        self.checked = checked
        self.fns: dict[int, Fn] = {}
        self.blames: dict[int, Any] = {}

    def compile(self) -> CompiledExpr:
        fn = self.node(self.checked.root)
        return CompiledExpr(self.checked, fn, self.fns, self.blames)

    def shape(self, node):
        return self.checked.info_of(node).shape

    def type(self, node):
        return self.checked.info_of(node).type

    def blame(self, node):
        """Name reported when `node`'s value is invalid: per column for a vector."""
        key = id(node)
        if key in self.blames:
            return self.blames[key]
        shape = self.shape(node)
        if isinstance(node, A.Ref):
            b = node.name if shape is None else tuple(f"{node.name}.{c}" for c in shape)
        else:
            text = " ".join(self.checked.text(node).split())
            b = text if shape is None else (text,) * len(shape)
        self.blames[key] = b
        return b

    def node(self, node) -> Fn:
        fn = getattr(self, "c_" + type(node).__name__)(node)
        self.fns[id(node)] = fn
        return fn

    # -- leaves ------------------------------------------------------------------

    def c_Number(self, node):
        v = node.value
        return lambda F, P: v

    c_String = c_Number
    c_Boolean = c_Number

    def c_Ref(self, node: A.Ref):
        if node.param:
            return self._param_ref(node)
        if node.columns is None:
            return self._scalar_ref(node.name)
        return self._vector_ref(node)

    @staticmethod
    def _scalar_ref(name: str) -> Fn:
        absent = V.missing(name, V.ABSENT)
        blank = V.missing(name, V.BLANK)

        def fn(F, P):
            fact = F.get(name)
            if fact is None:
                return absent
            try:
                v = fact.value
            except AttributeError:
                v = fact
            if v is None:
                return blank
            if v.__class__ is str and not v.strip():
                return blank
            return v
        return fn

    @staticmethod
    def _vector_ref(node: A.Ref) -> Fn:
        cells = tuple((c, V.missing(c, V.ABSENT), V.missing(c, V.BLANK)) for c in node.cells)

        def fn(F, P):
            get = F.get
            out = []
            append = out.append
            for cell, absent, blank in cells:
                fact = get(cell)
                if fact is None:
                    append(absent)
                    continue
                try:
                    v = fact.value
                except AttributeError:
                    v = fact
                if v is None or (v.__class__ is str and not v.strip()):
                    append(blank)
                else:
                    append(v)
            return tuple(out)
        return fn

    @staticmethod
    def _param_ref(node: A.Ref) -> Fn:
        name = node.name
        absent = V.missing(name, V.ABSENT)
        blank = V.missing(name, V.BLANK)

        def fn(F, P):
            v = param_value(name, F, P)
            if v is NOTFOUND:
                return absent
            if v is None or blank_text(v):
                return blank
            return v
        return fn

    # -- operators -------------------------------------------------------------------

    def c_Unary(self, node: A.Unary):
        fn = self.node(node.operand)
        op = V.neg if node.op == "-" else V.pos
        return lift1(op, fn, self.shape(node.operand), self.blame(node.operand))

    _ARITH = {"+": V.add, "-": V.sub, "*": V.mul, "/": V.div}

    def c_Binary(self, node: A.Binary):
        return self._binary(node, self._ARITH[node.op])

    def c_Compare(self, node: A.Compare):
        return self._binary(node, _compare_op(node))

    def _binary(self, node, op):
        lf = self.node(node.left)
        rf = self.node(node.right)
        return lift2(op, lf, rf, self.shape(node.left), self.shape(node.right),
                     self.blame(node.left), self.blame(node.right))

    def _truth_fn(self, node) -> tuple:
        """(fn, shape) where fn yields True/False/Missing (per column for a vector)."""
        fn = self.node(node)
        shape = self.shape(node)
        if self.type(node) == BOOL:
            return fn, shape
        return lift1(V.truth, fn, shape, self.blame(node)), shape

    def c_And(self, node: A.And):
        return self._logic(node, V.k_and, short=False)

    def c_Or(self, node: A.Or):
        return self._logic(node, V.k_or, short=True)

    def _logic(self, node, combine, short: bool):
        lf, ls = self._truth_fn(node.left)
        rf, rs = self._truth_fn(node.right)
        if ls is None and rs is None:
            if short:       # or: True decides
                def fn(F, P):
                    a = lf(F, P)
                    if a is True:
                        return True
                    return combine(a, rf(F, P))
            else:           # and: False decides
                def fn(F, P):
                    a = lf(F, P)
                    if a is False:
                        return False
                    return combine(a, rf(F, P))
            return fn
        n = len(ls or rs)
        return lambda F, P: tuple(map(combine, columns(lf(F, P), ls, n), columns(rf(F, P), rs, n)))

    def c_Not(self, node: A.Not):
        fn, shape = self._truth_fn(node.operand)
        return map1(V.k_not, fn, shape)

    # -- calls ---------------------------------------------------------------------------

    def c_Call(self, node: A.Call):
        return getattr(self, "f_" + node.func)(node)


def _compare_op(node: A.Compare):
    """The comparison function for a Compare node (text literals compare plainly)."""
    op = node.op
    if op in ("==", "!=") and (isinstance(node.left, A.String) or isinstance(node.right, A.String)):
        negate = op == "!="
        if isinstance(node.right, A.String):
            lit = node.right.value
            return lambda x, y, lb, rb: V.eq_literal(x, lit, negate)
        lit = node.left.value
        return lambda x, y, lb, rb: V.eq_literal(y, lit, negate)
    return V.COMPARE[op]

