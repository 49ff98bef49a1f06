"""Compiling calls of the language's functions (sum, count, matches, …; see check.FUNCTIONS).

`FunctionCalls` is mixed into the `Compiler` (compiler.py): each ``f_<name>``
method turns a checked call node into a closure ``fn(facts, params)``, using the
compiler's ``node``, ``shape``, ``blame``, ``_truth_fn`` and ``checked``.
"""
from __future__ import annotations

import re

from . import ast as A
from . import values as V
from .facts import NOTFOUND, blank_text, fact_value, param_value
from .values import Missing
from .vectors import Fn, columns, lift1, lift2, map1

#: Time allowed for one regex search on report text, in seconds.
REGEX_TIMEOUT_SECONDS = 0.05

_NUMERIC_TYPES = frozenset((int, float))
_NUMBER_IN_TEXT = re.compile(r"\d[\d,，]*(?:[.．](\d+))?")


class FunctionCalls:
    """The ``f_<name>`` compilers of function calls, one per language function."""

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
                    v = fact_value(fact)
                    if v is not None and not blank_text(v):
                        n += 1
            for name in param_names:
                v = param_value(name, F, P)
                if v is not NOTFOUND and v is not None and not blank_text(v):
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
        return lift1(V.abs_, self.node(arg), self.shape(arg), self.blame(arg))

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
            return lambda F, P: param_value(name, F, P) is not NOTFOUND
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
                v = param_value(name, F, P)
                return v is not NOTFOUND and (v is None or blank_text(v))
            return pfn
        cells = ref.cells

        def fn(F, P):
            for cell in cells:
                fact = F.get(cell)
                if fact is not None:
                    v = fact_value(fact)
                    if v is None or blank_text(v):
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
        return lift2(V.percent, self.node(part), self.node(whole), self.shape(part), self.shape(whole),
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
            cv = columns(cf(F, P), cs, n)
            av = columns(af(F, P), as_, n)
            bv = columns(bf(F, P), bs, n)
            return tuple(x if c is True else (y if c is False else c) for c, x, y in zip(cv, av, bv))
        return vfn

    def _test(self, node, predicate):
        """predicate(value) of the single argument, column by column for a vector."""
        (arg,) = node.args
        return map1(predicate, self.node(arg), self.shape(arg))

    def f_is_number(self, node):
        return self._test(node, V.is_number)

    def f_is_integer(self, node):
        return self._test(node, V.is_integer)

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
        tf = self._text(node.args[0])
        pf = self._text(node.args[1])
        sf = self.node(node.args[2]) if len(node.args) == 3 else None
        sb = self.blame(node.args[2]) if len(node.args) == 3 else ""

        def fn(F, P):
            t, p = tf(F, P), pf(F, P)
            if t.__class__ is Missing or p.__class__ is Missing:
                return V.merge(t, p)
            # Imported only when there is last year's text to compare (start-up of a single check).
            from ..textcompare import SIMILARITY, copied_share
            s = sf(F, P) if sf is not None else SIMILARITY
            if s.__class__ is Missing:
                return s
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 50 <= s <= 100:
                return V.invalid(sb)
            return copied_share(t, p, float(s))
        return fn


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
    v = fact_value(fact)
    if v is None or blank_text(v):
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

