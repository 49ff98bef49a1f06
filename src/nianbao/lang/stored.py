"""Compiled expressions kept between runs (the pack cache, packs/stored.py).

A CompiledExpr holds closures, which cannot be pickled; what is pickled is the
checked expression (our own AST nodes, their static types and the literal
regexes), and loading recompiles the closures from it. That needs neither lark
nor the grammar, and it skips parsing and checking.
"""
from __future__ import annotations

from . import ast as A
from .check import Checked


def reduce_compiled(expr) -> tuple:
    """`CompiledExpr.__reduce__`: the checked tree, with the per-node facts keyed by node, not by id()."""
    checked: Checked = expr._checked
    nodes = list(A.walk(checked.root))
    info = [(n, checked.info[id(n)]) for n in nodes if id(n) in checked.info]
    regexes = [(n, checked.regexes[id(n)]) for n in nodes if id(n) in checked.regexes]
    return (rebuild, (checked.source, checked.origin, checked.root, info, list(checked.names),
                      list(checked.params), regexes))


def rebuild(source, origin, root, info, names, params, regexes):
    """The CompiledExpr of a stored checked tree (pickle keeps node identity, so the ids match again)."""
    from .compiler import Compiler

    checked = Checked(source, origin, root, {id(n): i for n, i in info}, names, params,
                      {id(n): rx for n, rx in regexes})
    return Compiler(checked).compile()
