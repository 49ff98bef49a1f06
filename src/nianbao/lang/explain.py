"""Explaining a failed check: which comparisons failed, in which columns, with which values.

`Explainer` walks the checked AST of a failing expression once more, reusing
the closures the compiler built for each node (no recompiling). It runs only
for failures, so passing rules stay cheap.
"""
from __future__ import annotations

from typing import Mapping, Optional

from . import ast as A
from . import values as V
from .check import BOOL
from .vectors import columns

class Explainer:
    """Recomputes a failing check to say which comparisons failed, per column."""

    def __init__(self, expr, facts: Mapping, params: Optional[Mapping]):
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
        left = columns(self._value(node.left), info(node.left).shape, n)
        right = columns(self._value(node.right), info(node.right).shape, n)
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
            args = [columns(self._value(a), info(a).shape, n) for a in node.args[:2]]
            lefts = args[0] if args else (None,) * n
            rights = args[1] if len(args) > 1 else (None,) * n
            return [(t, [(col, node.func, V.plain(l), V.plain(r), text)])
                    for t, col, l, r in zip(truths, cols, lefts, rights)]
        vals = columns(self._value(node), self.checked.info_of(node).shape, n)
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
