"""The expression AST: small frozen dataclasses built from the lark tree.

Every node records `start`/`end`, character offsets into the expression text,
so later stages can point errors at the right place and quote the text of a
subexpression (`source[node.start:node.end]`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import lark
from lark import Transformer, v_args
from lark.exceptions import VisitError

from .parser import Origin

#: Deepest nesting accepted (parentheses, operator chains, calls). Keeps the
#: recursive stages (this builder, the checker, the compiler) far from
#: Python's recursion limit whatever the input.
MAX_DEPTH = 120

#: Longest numeric literal, in characters.
MAX_NUMBER_CHARS = 30


@dataclass(frozen=True, slots=True)
class Number:
    value: Union[int, float]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class String:
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name:
    """A dotted name as written; `name` may start with ``prev.`` or end with ``.*``."""

    name: str
    start: int
    end: int

    @property
    def wildcard(self) -> bool:
        return self.name.endswith(".*")


@dataclass(frozen=True, slots=True)
class Unary:
    op: str                      # "-" or "+"
    operand: "Node"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str                      # "+", "-", "*", "/"
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str                      # "==", "!=", "<", "<=", ">", ">="
    left: "Node"
    right: "Node"
    start: int
    end: int
    op_start: int


@dataclass(frozen=True, slots=True)
class And:
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Or:
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple
    start: int                   # also where the function name starts
    end: int


@dataclass(frozen=True, slots=True)
class Ref:
    """A name resolved against the schema (made by check.py, never by the parser).

    `name` is the full name (``prev.`` included); `columns` is the vector's
    column tuple, or None for a scalar; `param` is True for ``params.*``.
    """

    name: str
    columns: Optional[tuple]
    param: bool
    start: int
    end: int

    @property
    def cells(self) -> tuple:
        if self.columns is None:
            return (self.name,)
        return tuple(f"{self.name}.{c}" for c in self.columns)


Node = Union[Number, String, Boolean, Name, Unary, Binary, Compare, And, Or, Not, Call, Ref]

LEAVES = (Number, String, Boolean, Name, Ref)


class _PositionedProblem(Exception):
    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


def unescape(body: str) -> str:
    """Resolve the string-literal escapes \\\\ \\" \\' \\n \\t; keep any other backslash."""
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


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


def walk(node: Node):
    """Yield `node` and all nodes below it, depth first."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, (Unary, Not)):
            stack.append(cur.operand)
        elif isinstance(cur, (Binary, Compare, And, Or)):
            stack.append(cur.right)
            stack.append(cur.left)
        elif isinstance(cur, Call):
            stack.extend(reversed(cur.args))


__all__ = [
    "Number", "String", "Boolean", "Name", "Unary", "Binary", "Compare", "And", "Or", "Not",
    "Call", "Ref", "Node", "LEAVES", "build", "walk", "unescape", "MAX_DEPTH",
]
