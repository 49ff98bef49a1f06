"""lark tree -> AST nodes (ast.py). Only compiling an expression needs this, and lark."""
from __future__ import annotations

import lark
from lark import Transformer, v_args
from lark.exceptions import VisitError

from .ast import (MAX_DEPTH, MAX_NUMBER_CHARS, And, Boolean, Call, Compare, Name, Node, Not, Number, Or,
                  String, Unary, Binary, unescape)
from .parser import Origin


class _PositionedProblem(Exception):
    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


@v_args(meta=True)
class _Builder(Transformer):
    """lark tree -> AST nodes."""

    def number(self, meta, children):
        tok = children[0]
        text = str(tok)
        if len(text) > MAX_NUMBER_CHARS:
            raise _PositionedProblem(tok.start_pos, f"数字“{text[:12]}…”过长（超过 {MAX_NUMBER_CHARS} 位）。")
        value = float(text) if "." in text else int(text)
        return Number(value, tok.start_pos, tok.end_pos)

    def string(self, meta, children):
        tok = children[0]
        return String(unescape(str(tok)[1:-1]), tok.start_pos, tok.end_pos)

    def true(self, meta, children):
        return Boolean(True, meta.start_pos, meta.end_pos)

    def false(self, meta, children):
        return Boolean(False, meta.start_pos, meta.end_pos)

    def name(self, meta, children):
        tok = children[0]
        return Name(str(tok), tok.start_pos, tok.end_pos)

    def call(self, meta, children):
        tok = children[0]
        args: tuple = ()
        if len(children) > 1 and children[1] is not None:
            args = tuple(children[1])
        return Call(str(tok), args, tok.start_pos, meta.end_pos)

    def arguments(self, meta, children):
        return list(children)

    def unary(self, meta, children):
        op, operand = children
        return Unary(str(op), operand, op.start_pos, operand.end)

    def binop(self, meta, children):
        left, op, right = children
        return Binary(str(op), left, right, left.start, right.end)

    def compare(self, meta, children):
        if len(children) > 3:
            second = children[3]
            raise _PositionedProblem(
                second.start_pos,
                f"比较运算不能连写；请用 and 连接，例如 a {children[1]} b and b {second} c。")
        left, op, right = children
        return Compare(str(op), left, right, left.start, right.end, op.start_pos)

    def and_(self, meta, children):
        left, right = children
        return And(left, right, left.start, right.end)

    def or_(self, meta, children):
        left, right = children
        return Or(left, right, left.start, right.end)

    def not_(self, meta, children):
        (operand,) = children
        return Not(operand, meta.start_pos, operand.end)


_BUILDER = _Builder()


def _depth(tree: lark.Tree) -> int:
    """Nesting depth of a lark tree, computed without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        for child in node.children:
            if isinstance(child, lark.Tree):
                stack.append((child, depth + 1))
    return deepest


def build(tree: lark.Tree, source: str, origin: Origin) -> Node:
    """Turn a parse tree into AST nodes, or raise RuleError."""
    if _depth(tree) > MAX_DEPTH:
        raise origin.error(source, 0, f"表达式嵌套过深（超过 {MAX_DEPTH} 层），请拆分为多条规则。")
    try:
        return _BUILDER.transform(tree)
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _PositionedProblem):
            raise origin.error(source, inner.pos, inner.message) from None
        raise


