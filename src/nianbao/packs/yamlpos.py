"""A pack file's YAML, read safely and with positions.

Each file is read as a node tree (the C parser when PyYAML has it: same nodes and
marks, about ten times faster) and then constructed by the safe constructor. The
tree is kept beside the data so that every problem can be put at file:line:col,
down to a character inside a folded expression.

Packs are untrusted: files over a size cap, alias bombs (more than a few hundred
`*alias` uses, or a document that would expand past a node budget), recursive
aliases and nesting too deep for the constructor are refused, not expanded.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import yaml

from .explain import yaml_problem_cn
from .schema import MAX_ALIAS_USES, MAX_FILE_BYTES, MAX_YAML_NODES

if TYPE_CHECKING:
    from .sink import Sink

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Doc:
    """One YAML file of a pack: its data, its node tree (for positions) and its lines (for carets)."""

    file: str
    lines: list[str]
    data: dict[str, Any]
    node: yaml.MappingNode


class _Refused(Exception):
    def __init__(self, message: str, node: yaml.Node | None):
        super().__init__(message)
        self.message = message
        self.node = node


def load_doc(path: Path, sink: "Sink") -> Doc | None:
    """Read one pack file; a problem goes to the sink and gives None."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            sink.add("error", file, 0, 0, f"规则包文件过大（超过 {MAX_FILE_BYTES // 1_000_000} MB），已拒绝读取")
            return None
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        sink.add("error", file, 0, 0, f"规则包文件无法读取：{exc}")
        return None
    lines = text.splitlines()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node)
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        line, col = _mark(exc.node)
        sink.add("error", file, line, col, exc.message, caret(lines, line, col))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())     # one line
        message = f"YAML 格式错误：{yaml_problem_cn(problem)}"
        if mark is not None:
            sink.add("error", file, mark.line + 1, mark.column + 1, message,
                     caret(lines, mark.line + 1, mark.column + 1))
        else:
            sink.add("error", file, 0, 0, message)
        return None
    except RecursionError:
        sink.add("error", file, 0, 0, "YAML 格式错误：嵌套层次过深，已拒绝读取")
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        sink.add("error", file, 1, 1, "规则包文件的顶层应为键值映射（pack、rules 等）")
        return None
    doc = Doc(file, lines, data, node)
    _duplicate_keys(doc, sink)
    return doc


def _mark(node: yaml.Node | None) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_size(root: yaml.Node) -> None:
    """Refuse alias bombs before anything expands them: count alias uses and the expanded size."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    uses = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(c)] for c in _children(node))
            if size > MAX_YAML_NODES:
                raise _Refused(f"YAML 内容展开后过大（超过 {MAX_YAML_NODES} 个节点），疑似别名炸弹，已拒绝读取", node)
            sizes[key] = size
            continue
        if key in on_path:
            raise _Refused("YAML 中的别名引用了自身（循环引用），已拒绝读取", node)
        if key in sizes:
            continue
        on_path.add(key)
        stack.append((node, True))
        seen_here: set[int] = set()
        for child in _children(node):
            if id(child) in sizes or id(child) in seen_here or id(child) in on_path:
                uses += 1
                if uses > MAX_ALIAS_USES:
                    raise _Refused(f"YAML 中的别名（*…）引用超过 {MAX_ALIAS_USES} 次，疑似别名炸弹，已拒绝读取", child)
            if id(child) in on_path:
                raise _Refused("YAML 中的别名引用了自身（循环引用），已拒绝读取", child)
            if id(child) not in seen_here:
                seen_here.add(id(child))
                stack.append((child, False))


def _duplicate_keys(doc: Doc, sink: "Sink") -> None:
    """A key given twice in one mapping: YAML keeps the last one silently."""
    seen_nodes: set[int] = set()
    stack: list[yaml.Node] = [doc.node]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, yaml.Node] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        first = keys[key.value].start_mark.line + 1
                        sink.at("error", doc, key, f"键“{key.value}”在同一处重复出现（第一次在第 {first} 行），"
                                                   f"只有后一个生效")
                    keys[key.value] = key
        stack.extend(reversed(_children(node)))


# ---------------------------------------------------------------------------
# Nodes
def _pair(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of `key` in a mapping node (the last one, as YAML keeps)."""
    found = None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found = (k, v)
    return found


def child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping node."""
    pair = _pair(node, key)
    return pair[1] if pair else None


def key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The key node of `key` in a mapping node."""
    pair = _pair(node, key)
    return pair[0] if pair else None


def section(doc: Doc, key: str, kind: type, shape: str, sink: "Sink") -> tuple[Any, yaml.Node | None]:
    """A top-level key of a pack file and its node: (None, …) when absent, or when not of `kind`
    (then `shape`, what it should be, is reported at it)."""
    raw = doc.data.get(key)
    node = child(doc.node, key)
    if raw is not None and not isinstance(raw, kind):
        sink.at("error", doc, node, shape)
        return None, node
    return raw, node


def mappings(doc: Doc, node: yaml.Node | None, raw: list, shape: str,
             sink: "Sink") -> Iterator[tuple[int, dict, yaml.Node | None]]:
    """(index, mapping, its node) for each item of a list that is a mapping; any other item is
    reported as not of `shape`."""
    for index, entry in enumerate(raw):
        enode = item(node, index)
        if isinstance(entry, dict):
            yield index, entry, enode
        else:
            sink.at("error", doc, enode, shape)


def item(node: yaml.Node | None, index: int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and 0 <= index < len(node.value):
        return node.value[index]
    return None


def style(node: yaml.Node | None) -> str | None:
    """A scalar's style: None (plain), "'", '"', "|" or ">" (the C parser says "" for plain)."""
    return (getattr(node, "style", None) or None) if isinstance(node, yaml.ScalarNode) else None


# ---------------------------------------------------------------------------
# Positions inside scalar values
def position(doc: Doc, node: yaml.Node | None, offset: int | None = None,
             value: str | None = None) -> tuple[int, int]:
    """(line, col), 1-based, of a node, or of character `offset` of its scalar value."""
    if node is None:
        return 1, 1
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.ScalarNode):
        segments = _segments(doc.lines, node, value if value is not None else node.value)
        if segments:
            off = offset or 0
            start, sline, scol = segments[0]
            for seg in segments:
                if seg[0] <= off:
                    start, sline, scol = seg
            return sline, scol + (off - start)
    return line, col


def block_scalar(lines: list[str], node: yaml.ScalarNode) -> tuple[str, int, int] | None:
    """A block scalar (| or >) as written: its text without indentation, first content line, its column.

    Compiling an expression from this text keeps its line breaks, so that error
    positions are the file's own lines and columns."""
    indicator = node.start_mark.line + 1
    if not 1 <= indicator <= len(lines):
        return None
    key_indent = len(lines[indicator - 1]) - len(lines[indicator - 1].lstrip(" "))
    body: list[str] = []
    first = indent = None
    for number in range(indicator + 1, len(lines) + 1):
        raw = lines[number - 1]
        if not raw.strip():
            if first is not None:
                body.append("")
            continue
        width = len(raw) - len(raw.lstrip(" "))
        if width <= key_indent:
            break
        if first is None:
            first, indent = number, width
        body.append(raw[indent:] if width >= (indent or 0) else raw.strip())
    if first is None or indent is None:
        return None
    return "\n".join(body).rstrip("\n"), first, indent + 1


def _segments(lines: list[str], node: yaml.ScalarNode, value: str) -> list[tuple[int, int, int]] | None:
    """(offset in value, file line, file col) of each run of value text copied from one file line.

    Handles plain, quoted (one line) and block (| and >) scalars; the
    reconstruction is compared with the loaded value and dropped when it
    differs (escapes, more-indented folded lines), leaving the value's start.
    """
    l0, c0 = node.start_mark.line, node.start_mark.column
    l1, c1 = node.end_mark.line, node.end_mark.column
    kind = style(node)
    pieces: list[tuple[str, int, int]] = []      # (text, line 1-based, col 1-based)
    if kind in ("'", '"'):
        if l0 != l1 or l0 >= len(lines):
            return None
        if lines[l0][c0 + 1:c1 - 1] != value:
            return None
        return [(0, l0 + 1, c0 + 2)]
    if kind in ("|", ">"):
        body = []
        indent = None
        for i in range(l0 + 1, min(l1 + 1, len(lines))):
            raw = lines[i]
            if not raw.strip():
                body.append(("", i))
                continue
            lead = len(raw) - len(raw.lstrip(" "))
            if indent is None:
                indent = lead
            if lead < indent:
                break
            body.append((raw[indent:], i))
        if indent is None:
            return None
        while body and body[-1][0] == "":
            body.pop()
        pieces = [(text, i + 1, indent + 1) for text, i in body]
        literal = kind == "|"
    else:
        if l0 >= len(lines):
            return None
        for i in range(l0, min(l1 + 1, len(lines))):
            raw = lines[i]
            start = c0 if i == l0 else len(raw) - len(raw.lstrip())
            end = c1 if i == l1 else len(raw.rstrip())
            text = raw[start:end].rstrip() if i != l1 else raw[start:end]
            pieces.append((text, i + 1, start + 1))
        literal = False
    out: list[tuple[int, int, int]] = []
    built = ""
    previous_blank = True
    for n, (text, line, col) in enumerate(pieces):
        if n:
            if literal or text == "":
                built += "\n"
            elif not previous_blank:
                built += " "
        out.append((len(built), line, col))
        built += text
        previous_blank = text == ""
    if built.rstrip("\n") != value.rstrip("\n"):
        return None
    return out


def caret(lines: list[str], line: int, col: int) -> str:
    """The source line with a caret under the column (display width aware), or ""."""
    if not (1 <= line <= len(lines)):
        return ""
    text = lines[line - 1].replace("\t", " ").rstrip()
    if not text.strip():
        return ""
    shown = "    " + text
    upto = "    " + text[: max(0, col - 1)]
    return f"{shown}\n{' ' * _width(upto)}^"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
