"""The expression AST: small frozen dataclasses built from the lark tree.

Every node records `start`/`end`, character offsets into the expression text,
so later stages can point errors at the right place and quote the text of a
subexpression (`source[node.start:node.end]`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from .parser import Origin

if TYPE_CHECKING:       # the nodes need no lark: a cached expression loads without it
    import lark

#: Deepest nesting accepted (parentheses, operator chains, calls). Keeps the
#: recursive stages (this builder, the checker, the compiler) far from
#: Python's recursion limit whatever the input.
MAX_DEPTH = 120

#: Longest numeric literal, in characters.
MAX_NUMBER_CHARS = 30


@dataclass(frozen=True)
class Number:
    value: Union[int, float]
    start: int
    end: int


@dataclass(frozen=True)
class String:
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Boolean:
    value: bool
    start: int
    end: int


@dataclass(frozen=True)
class Name:
    """A dotted name as written; `name` may start with ``prev.`` or end with ``.*``."""

    name: str
    start: int
    end: int

    @property
    def wildcard(self) -> bool:
        return self.name.endswith(".*")


@dataclass(frozen=True)
class Unary:
    op: str                      # "-" or "+"
    operand: "Node"
    start: int
    end: int


@dataclass(frozen=True)
class Binary:
    op: str                      # "+", "-", "*", "/"
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True)
class Compare:
    op: str                      # "==", "!=", "<", "<=", ">", ">="
    left: "Node"
    right: "Node"
    start: int
    end: int
    op_start: int


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"
    start: int
    end: int


@dataclass(frozen=True)
class Not:
    operand: "Node"
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple
    start: int                   # also where the function name starts
    end: int


@dataclass(frozen=True)
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


def build(tree: "lark.Tree", source: str, origin: Origin) -> Node:
    """Turn a parse tree into AST nodes, or raise RuleError (the builder needs lark: see builder.py)."""
    from .builder import build as build_from_tree

    return build_from_tree(tree, source, origin)


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
