"""Compile checked expressions to closures, and evaluate them against facts.

Each AST node becomes a function ``fn(facts, params) -> value`` built once at
compile time; evaluating a rule is one call of the root function plus a small
wrapper that turns the result into an `Outcome`. Scalars are plain Python
values, vectors are tuples (their columns are known statically), and missing
data is a `Missing` carrying its reasons (see values.py).

When a check fails, `_Explainer` walks the AST once more to say which
comparisons failed in which columns, with their left and right values. That
second pass happens only for failures, so passing rules stay cheap.
"""
from __future__ import annotations

import re
from itertools import repeat
from operator import attrgetter
from typing import Any, Callable, Mapping, Optional

from . import ast as A
from . import values as V
from .check import ANY, BOOL, Checked, Schema, check
from .parser import Origin, parse
from .values import Missing, Outcome

#: Time allowed for one regex search on report text, in seconds.
REGEX_TIMEOUT_SECONDS = 0.05

_NOTFOUND = object()
_NUMERIC_TYPES = frozenset((int, float))
_get_value = attrgetter("value")
_NUMBER_IN_TEXT = re.compile(r"\d[\d,，]*(?:[.．](\d+))?")

Fn = Callable[[Mapping, Optional[Mapping]], Any]


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
    compiled = _Compiler(checked).compile()
    if expect == "bool" and not compiled.is_boolean:
        raise origin.error(source, 0, _not_boolean_message(compiled))
    return compiled


def _not_boolean_message(expr: CompiledExpr) -> str:
    from .check import TYPE_LABELS
    return (f"检查条件的结果应为真假值，而该表达式的结果是{TYPE_LABELS[expr.type]}；"
            f"请写成比较，例如 … == …。")


# ---------------------------------------------------------------------------
# Evaluation entry points

def evaluate(expr: CompiledExpr, facts: Mapping, params: Optional[Mapping] = None) -> Outcome:
    """Evaluate a check against a report's facts: pass, fail or unknown."""
    if not expr.is_boolean:
        raise expr.origin.error(expr.source, 0, _not_boolean_message(expr))
    result = expr._fn(facts, params)
    reasons: frozenset = frozenset()
    failed = False
    uncertain = False
    if expr.columns is None:
        if result is True:
            pass
        elif result is False:
            failed = True
        else:
            uncertain = True
            if result.__class__ is not Missing:
                result = V.invalid(expr.source)
            reasons = result.reasons
    else:
        for item in result:
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
        failures = _Explainer(expr, facts, params).failures()
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


def _fact_value(fact):
    try:
        return fact.value
    except AttributeError:
        return fact


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
        out[name] = None if fact is None else _fact_value(fact)
    for name in expr.params:
        v = _param_value(name, facts, params)
        out[name] = None if v is _NOTFOUND else v
    return out


def _param_value(full: str, facts: Mapping, params: Optional[Mapping]):
    """A parameter's value, or _NOTFOUND. Looked up in `params` by its bare key
    (``deadline_month``) or full name; when params is None, in the facts."""
    if params is not None:
        key = full[len("params."):]
        v = params.get(key, _NOTFOUND)
        if v is _NOTFOUND:
            v = params.get(full, _NOTFOUND)
        if v is _NOTFOUND:
            return _NOTFOUND
        return _fact_value(v)
    fact = facts.get(full)
    if fact is None:
        return _NOTFOUND
    return _fact_value(fact)


# ---------------------------------------------------------------------------
# Compiler

def _blank_text(v) -> bool:
    return v.__class__ is str and not v.strip()


def _lift1(op, fn, shape, blame):
    """fn's value through op(x, blame), column by column for a vector."""
    if shape is None:
        return lambda F, P: op(fn(F, P), blame)
    blames = blame
    return lambda F, P: tuple(map(op, fn(F, P), blames))


def _lift2(op, lf, rf, lshape, rshape, lblame, rblame):
    """Binary op with broadcasting; lblame/rblame are a name (scalar) or a tuple (vector)."""
    if lshape is None and rshape is None:
        return lambda F, P: op(lf(F, P), rf(F, P), lblame, rblame)
    if lshape is not None and rshape is not None:
        return lambda F, P: tuple(map(op, lf(F, P), rf(F, P), lblame, rblame))
    if lshape is not None:
        rbs = (rblame,) * len(lshape)
        return lambda F, P: tuple(map(op, lf(F, P), repeat(rf(F, P)), lblame, rbs))
    lbs = (lblame,) * len(rshape)
    return lambda F, P: tuple(map(op, repeat(lf(F, P)), rf(F, P), lbs, rblame))


def _columns(value, shape, n):
    """A node's value as a sequence of n column values (a scalar is repeated)."""
    return value if shape is not None else (value,) * n


class _Compiler:
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
            v = _param_value(name, F, P)
            if v is _NOTFOUND:
                return absent
            if v is None or _blank_text(v):
                return blank
            return v
        return fn

    # -- operators -------------------------------------------------------------------

    def c_Unary(self, node: A.Unary):
        fn = self.node(node.operand)
        op = V.neg if node.op == "-" else V.pos
        return _lift1(op, fn, self.shape(node.operand), self.blame(node.operand))

    _ARITH = {"+": V.add, "-": V.sub, "*": V.mul, "/": V.div}

    def c_Binary(self, node: A.Binary):
        lf = self.node(node.left)
        rf = self.node(node.right)
        return _lift2(self._ARITH[node.op], lf, rf, self.shape(node.left), self.shape(node.right),
                      self.blame(node.left), self.blame(node.right))

    def c_Compare(self, node: A.Compare):
        lf = self.node(node.left)
        rf = self.node(node.right)
        op = _compare_op(node)
        return _lift2(op, lf, rf, self.shape(node.left), self.shape(node.right),
                      self.blame(node.left), self.blame(node.right))

    def _truth_fn(self, node) -> tuple:
        """(fn, shape) where fn yields True/False/Missing (per column for a vector)."""
        fn = self.node(node)
        shape = self.shape(node)
        if self.type(node) == BOOL:
            return fn, shape
        return _lift1(V.truth, fn, shape, self.blame(node)), shape

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
        return lambda F, P: tuple(map(combine, _columns(lf(F, P), ls, n), _columns(rf(F, P), rs, n)))

    def c_Not(self, node: A.Not):
        fn, shape = self._truth_fn(node.operand)
        if shape is None:
            return lambda F, P: V.k_not(fn(F, P))
        return lambda F, P: tuple(map(V.k_not, fn(F, P)))

    # -- calls ---------------------------------------------------------------------------

    def c_Call(self, node: A.Call):
        return getattr(self, "f_" + node.func)(node)

    def _args(self, node):
        fns = [self.node(a) for a in node.args]
        shapes = [self.shape(a) for a in node.args]
        return fns, shapes

    def _column_args(self, node):
        """For a call of vector shape: a function giving each argument as n columns."""
        fns, shapes = self._args(node)
        n = len(self.shape(node))
        blames = [b if s is not None else (b,) * n
                  for b, s in zip((self.blame(a) for a in node.args), shapes)]

        def cols(F, P):
            return [fn(F, P) if s is not None else (fn(F, P),) * n for fn, s in zip(fns, shapes)]
        return cols, blames, n

    def f_sum(self, node):
        if self.shape(node) is None:
            fns, _ = self._args(node)
            blames = [self.blame(a) for a in node.args]
            first, b0 = fns[0], blames[0]
            rest = list(zip(fns[1:], blames[1:]))
            add = V.add

            def fn(F, P):
                acc = V.pos(first(F, P), b0)
                for f, b in rest:
                    acc = add(acc, f(F, P), b0, b)
                return acc
            return fn
        cols, blames, n = self._column_args(node)
        b0 = blames[0]
        rest_blames = blames[1:]
        numeric = _NUMERIC_TYPES

        def vfn(F, P):
            args = cols(F, P)
            types = set()
            for vals in args:
                types.update(map(type, vals))
            if types <= numeric:                      # common case: every cell a number
                return tuple(map(sum, zip(*args)))
            acc = tuple(map(V.pos, args[0], b0))
            for vals, b in zip(args[1:], rest_blames):
                acc = tuple(map(V.add, acc, vals, b0, b))
            return acc
        return vfn

    def _minmax(self, node, pick_max: bool):
        if self.shape(node) is None:
            fns, _ = self._args(node)
            blames = [self.blame(a) for a in node.args]
            return lambda F, P: V.minmax([f(F, P) for f in fns], blames, pick_max)
        cols, blames, n = self._column_args(node)

        def vfn(F, P):
            args = cols(F, P)
            return tuple(V.minmax([a[i] for a in args], [b[i] for b in blames], pick_max)
                         for i in range(n))
        return vfn

    def f_min(self, node):
        return self._minmax(node, False)

    def f_max(self, node):
        return self._minmax(node, True)

    def f_count(self, node):
        cells: list[str] = []
        param_names: list[str] = []
        others = []
        for arg in node.args:
            if isinstance(arg, A.Ref):
                if arg.param:
                    param_names.append(arg.name)
                else:
                    cells.extend(arg.cells)
                self.node(arg)
            else:
                others.append((self.node(arg), self.shape(arg) is not None))
        cells_t = tuple(cells)

        def fn(F, P):
            n = 0
            get = F.get
            for cell in cells_t:
                fact = get(cell)
                if fact is not None:
                    v = _fact_value(fact)
                    if v is not None and not _blank_text(v):
                        n += 1
            for name in param_names:
                v = _param_value(name, F, P)
                if v is not _NOTFOUND and v is not None and not _blank_text(v):
                    n += 1
            for f, is_vec in others:
                v = f(F, P)
                if is_vec:
                    n += sum(1 for x in v if x.__class__ is not Missing)
                elif v.__class__ is not Missing:
                    n += 1
            return n
        return fn

    def f_coalesce(self, node):
        if self.shape(node) is None:
            fns, _ = self._args(node)

            def fn(F, P):
                seen = []
                for f in fns:
                    v = f(F, P)
                    if v.__class__ is not Missing:
                        return v
                    seen.append(v)
                return V.merge_all(seen)
            return fn
        cols, _, n = self._column_args(node)

        def vfn(F, P):
            args = cols(F, P)
            out = []
            for i in range(n):
                column = [a[i] for a in args]
                for v in column:
                    if v.__class__ is not Missing:
                        out.append(v)
                        break
                else:
                    out.append(V.merge_all(column))
            return tuple(out)
        return vfn

    def f_abs(self, node):
        (arg,) = node.args
        return _lift1(V.abs_, self.node(arg), self.shape(arg), self.blame(arg))

    def f_round(self, node):
        x = node.args[0]
        xf = self.node(x)
        if len(node.args) == 2:
            nf = self.node(node.args[1])
            nb = self.blame(node.args[1])
        else:
            nf, nb = (lambda F, P: 0), ""
        xb = self.blame(x)
        if self.shape(x) is None:
            return lambda F, P: V.round_half_up(xf(F, P), nf(F, P), xb, nb)

        def vfn(F, P):
            nd = nf(F, P)
            return tuple(V.round_half_up(v, nd, b, nb) for v, b in zip(xf(F, P), xb))
        return vfn

    def _presence(self, node):
        (ref,) = node.args
        self.node(ref)
        return ref

    def f_present(self, node):
        ref = self._presence(node)
        if ref.param:
            name = ref.name
            return lambda F, P: _param_value(name, F, P) is not _NOTFOUND
        cells = ref.cells
        if len(cells) == 1:
            cell = cells[0]
            return lambda F, P: F.get(cell) is not None
        return lambda F, P: any(F.get(c) is not None for c in cells)

    def f_blank(self, node):
        ref = self._presence(node)
        if ref.param:
            name = ref.name

            def pfn(F, P):
                v = _param_value(name, F, P)
                return v is not _NOTFOUND and (v is None or _blank_text(v))
            return pfn
        cells = ref.cells

        def fn(F, P):
            for cell in cells:
                fact = F.get(cell)
                if fact is not None:
                    v = _fact_value(fact)
                    if v is None or _blank_text(v):
                        return True
            return False
        return fn

    def f_date(self, node):
        fy, fm, fd = (self.node(a) for a in node.args)
        blame = self.blame(node)
        return lambda F, P: V.make_date(fy(F, P), fm(F, P), fd(F, P), blame)

    def _date_part(self, node, part):
        (arg,) = node.args
        f = self.node(arg)
        blame = self.blame(arg)
        return lambda F, P: V.date_part(f(F, P), part, blame)

    def f_year(self, node):
        return self._date_part(node, "year")

    def f_month(self, node):
        return self._date_part(node, "month")

    def f_day(self, node):
        return self._date_part(node, "day")

    def _text(self, arg) -> Fn:
        """A function giving `arg` as text: a fact's text value, or its raw text as
        printed for a non-text fact, or the value written out; Missing passes through."""
        f = self.node(arg)
        if isinstance(arg, A.Ref) and not arg.param:
            name = arg.name

            def fn(F, P):
                v = f(F, P)
                if v.__class__ is str or v.__class__ is Missing:
                    return v
                raw = getattr(F.get(name), "raw", None)
                if isinstance(raw, str) and raw.strip():
                    return raw
                return _as_text(v)
            return fn

        def gn(F, P):
            v = f(F, P)
            if v.__class__ is str or v.__class__ is Missing:
                return v
            return _as_text(v)
        return gn

    def f_contains(self, node):
        text, needle = node.args
        tf = self._text(text)
        nf = self.node(needle)
        nb = self.blame(needle)

        def fn(F, P):
            t = tf(F, P)
            s = nf(F, P)
            if t.__class__ is Missing or s.__class__ is Missing:
                return V.merge(t, s)
            if not isinstance(s, str):
                return V.invalid(nb)
            return s in t
        return fn

    def f_matches(self, node):
        text, pattern = node.args
        self.node(pattern)
        tf = self._text(text)
        search = self.checked.regexes[id(pattern)].search
        timeout_m = V.missing(self.blame(text), V.REGEX_TIMEOUT)
        seconds = REGEX_TIMEOUT_SECONDS

        def fn(F, P):
            t = tf(F, P)
            if t.__class__ is Missing:
                return t
            try:
                return search(t, timeout=seconds) is not None
            except TimeoutError:
                return timeout_m
        return fn

    def f_approx(self, node):
        if self.shape(node) is None:
            fa, fb, ft = (self.node(a) for a in node.args)
            ba, bb, bt = (self.blame(a) for a in node.args)
            return lambda F, P: V.approx(fa(F, P), fb(F, P), ft(F, P), ba, bb, bt)
        cols, (ba, bb, bt), n = self._column_args(node)
        return lambda F, P: tuple(map(V.approx, *cols(F, P), ba, bb, bt))

    def f_percent(self, node):
        part, whole = node.args
        return _lift2(V.percent, self.node(part), self.node(whole), self.shape(part), self.shape(whole),
                      self.blame(part), self.blame(whole))

    def f_if(self, node):
        cond, a, b = node.args
        cf, cs = self._truth_fn(cond)
        if self.shape(node) is None:
            af = self.node(a)
            bf = self.node(b)

            def fn(F, P):
                c = cf(F, P)
                if c is True:
                    return af(F, P)
                if c is False:
                    return bf(F, P)
                return c
            return fn
        n = len(self.shape(node))
        af, as_ = self.node(a), self.shape(a)
        bf, bs = self.node(b), self.shape(b)

        def vfn(F, P):
            cv = _columns(cf(F, P), cs, n)
            av = _columns(af(F, P), as_, n)
            bv = _columns(bf(F, P), bs, n)
            return tuple(x if c is True else (y if c is False else c) for c, x, y in zip(cv, av, bv))
        return vfn

    def f_is_number(self, node):
        (arg,) = node.args
        f = self.node(arg)
        if self.shape(arg) is None:
            return lambda F, P: V.is_number(f(F, P))
        return lambda F, P: tuple(map(V.is_number, f(F, P)))

    def f_is_integer(self, node):
        (arg,) = node.args
        f = self.node(arg)
        if self.shape(arg) is None:
            return lambda F, P: V.is_integer(f(F, P))
        return lambda F, P: tuple(map(V.is_integer, f(F, P)))

    def f_decimals(self, node):
        (arg,) = node.args
        f = self.node(arg)
        if isinstance(arg, A.Ref) and not arg.param:
            cells = tuple((c, V.missing(c, V.ABSENT), V.missing(c, V.BLANK)) for c in arg.cells)
            if arg.columns is None:
                cell = cells[0]
                return lambda F, P: _decimals_of_fact(F.get(cell[0]), *cell)
            return lambda F, P: tuple(_decimals_of_fact(F.get(c[0]), *c) for c in cells)
        blame = self.blame(arg)
        if self.shape(arg) is None:
            return lambda F, P: _decimals_of_value(f(F, P), blame)
        return lambda F, P: tuple(map(_decimals_of_value, f(F, P), blame))

    def f_len(self, node):
        (arg,) = node.args
        tf = self._text(arg)

        def fn(F, P):
            t = tf(F, P)
            if t.__class__ is Missing:
                return t
            return len(t)
        return fn


    def f_copied_share(self, node):
        from ..textcompare import SIMILARITY, copied_share

        tf = self._text(node.args[0])
        pf = self._text(node.args[1])
        sf = self.node(node.args[2]) if len(node.args) == 3 else (lambda F, P: SIMILARITY)
        sb = self.blame(node.args[2]) if len(node.args) == 3 else ""

        def fn(F, P):
            t, p, s = tf(F, P), pf(F, P), sf(F, P)
            if t.__class__ is Missing or p.__class__ is Missing:
                return V.merge(t, p)
            if s.__class__ is Missing:
                return s
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 50 <= s <= 100:
                return V.invalid(sb)
            return copied_share(t, p, float(s))
        return fn


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


def _as_text(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _decimals_of_fact(fact, name, absent, blank):
    if fact is None:
        return absent
    v = _fact_value(fact)
    if v is None or _blank_text(v):
        return blank
    raw = getattr(fact, "raw", None)
    if isinstance(raw, str):
        m = _NUMBER_IN_TEXT.search(raw)
        if m:
            return len(m.group(1) or "")
    return _decimals_of_value(v, name)


def _decimals_of_value(v, blame):
    if v.__class__ is Missing:
        return v
    if V.kind_of(v) != "n":
        return V.invalid(blame)
    return V.decimals_of_number(v)


# ---------------------------------------------------------------------------
# Failure details

class _Explainer:
    """Recomputes a failing check to say which comparisons failed, per column."""

    def __init__(self, expr: CompiledExpr, facts: Mapping, params: Optional[Mapping]):
        self.checked = expr._checked
        self.fns = expr._fns
        self.blames = expr._blames
        self.F = facts
        self.P = params

    def failures(self) -> list:
        root = self.checked.root
        results = self.explain(root)
        seen = set()
        out = []
        for truth, witnesses in results:
            if truth is not False:
                continue
            for w in witnesses:
                key = (w[0], w[1], repr(w[2]), repr(w[3]), w[4])
                if key in seen:
                    continue
                seen.add(key)
                out.append({"column": w[0], "op": w[1], "left": w[2], "right": w[3], "expr": w[4]})
        return out

    def _value(self, node):
        return self.fns[id(node)](self.F, self.P)

    def _cols(self, node):
        shape = self.checked.info_of(node).shape
        return shape if shape is not None else (None,)

    def _truths(self, node):
        shape = self.checked.info_of(node).shape
        v = self._value(node)
        vals = v if shape is not None else (v,)
        if self.checked.info_of(node).type == BOOL:
            return list(vals)
        blame = self.blames.get(id(node)) or self.checked.text(node)
        blames = blame if shape is not None and isinstance(blame, tuple) else (blame,) * len(vals)
        return [V.truth(x, b) for x, b in zip(vals, blames)]

    def explain(self, node) -> list:
        """[(truth, witnesses)] per column; a witness is (column, op, left, right, text)."""
        if isinstance(node, A.Compare):
            return self._compare(node)
        if isinstance(node, (A.And, A.Or)):
            return self._logic(node)
        if isinstance(node, A.Not):
            return [(V.k_not(t), [_negate(w) for w in ws]) for t, ws in self.explain(node.operand)]
        if isinstance(node, A.Call) and node.func == "if":
            return self._if(node)
        return self._leaf(node)

    def _compare(self, node):
        cols = self._cols(node)
        n = len(cols)
        truths = self._truths(node)
        info = self.checked.info_of
        left = _columns(self._value(node.left), info(node.left).shape, n)
        right = _columns(self._value(node.right), info(node.right).shape, n)
        text = self.checked.text(node)
        return [(t, [(col, node.op, V.plain(l), V.plain(r), text)])
                for t, col, l, r in zip(truths, cols, left, right)]

    def _broadcast(self, results, n):
        return results if len(results) == n else results * n

    def _logic(self, node):
        n = len(self._cols(node))
        a = self._broadcast(self.explain(node.left), n)
        b = self._broadcast(self.explain(node.right), n)
        out = []
        is_and = isinstance(node, A.And)
        for (ta, wa), (tb, wb) in zip(a, b):
            t = V.k_and(ta, tb) if is_and else V.k_or(ta, tb)
            if t is (False if is_and else True):
                ws = (wa if ta is t else []) + (wb if tb is t else [])
            elif t is True or t is False:
                ws = wa + wb
            else:
                ws = []
            out.append((t, ws))
        return out

    def _if(self, node):
        cond, a, b = node.args
        n = len(self._cols(node))
        conds = self._broadcast([(t, []) for t in self._truths(cond)], n)
        ea = self._broadcast(self.explain(a), n)
        eb = self._broadcast(self.explain(b), n)
        out = []
        for (c, _), ra, rb in zip(conds, ea, eb):
            if c is True:
                out.append(ra)
            elif c is False:
                out.append(rb)
            else:
                out.append((c, []))
        return out

    def _leaf(self, node):
        cols = self._cols(node)
        n = len(cols)
        truths = self._truths(node)
        text = self.checked.text(node)
        if isinstance(node, A.Call):
            info = self.checked.info_of
            args = [_columns(self._value(a), info(a).shape, n) for a in node.args[:2]]
            lefts = args[0] if args else (None,) * n
            rights = args[1] if len(args) > 1 else (None,) * n
            return [(t, [(col, node.func, V.plain(l), V.plain(r), text)])
                    for t, col, l, r in zip(truths, cols, lefts, rights)]
        vals = _columns(self._value(node), self.checked.info_of(node).shape, n)
        return [(t, [(col, "==", V.plain(v), True, text)]) for t, col, v in zip(truths, cols, vals)]


def _negate(w):
    col, op, left, right, text = w
    if op in V.NEGATED_OP:
        op = V.NEGATED_OP[op]
    elif op.startswith("not "):
        op = op[4:]
    else:
        op = "not " + op
    return (col, op, left, right, text)


__all__ = ["CompiledExpr", "compile_expr", "evaluate", "evaluate_value", "evaluate_raw",
           "REGEX_TIMEOUT_SECONDS"]
