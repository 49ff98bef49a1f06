"""Tools for the people who maintain rule packs: lint, catalogue, diff.

`lint_pack(ref)`          every problem of a pack at once, each with file:line:col
                          (`nianbao rules lint PATH`); the loader (packs.py) stops at
                          the first problem, the linter goes on.
`render_rules_doc(ref)`   a self-contained, printable HTML catalogue of a pack's
                          rules, inherited ones included (`nianbao rules doc`).
`diff_packs(a, b)`        what changes between two packs, by rule id, plus their
                          parameters, narrative facts and template names
                          (`nianbao rules diff`); `format_diff` writes it for a person.

The linter reads the YAML itself (with the same loader as packs.py) so that it
can keep going after a problem and point at the exact place of a value: list
items, and the lines of a folded (`>-`) expression, which the loader's own
marks do not locate. Expressions, message templates and test cases are then
checked rule by rule with the loader's own functions, so that a pack the
linter passes without errors is one `nianbao check` loads.
"""
from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
import regex
import yaml
from jinja2 import meta as jinja_meta
from jinja2 import nodes as jnodes

from . import packs as P
from .errors import NianbaoError, PackError
from .findings import CATEGORY_CN, SEVERITY_CN
from .lang import RuleError, Schema, compile_expr
from .template import Template, available_templates, describe, load_template

# ---------------------------------------------------------------------------
# Chinese names shown to supervisors
EXPECT_CN = {"pass": "应通过", "fail": "应发现问题", "unknown": "无法检查"}
GOT_CN = {"pass": "通过", "fail": "发现问题", "unknown": "无法检查", "error": "运行出错", "-": "未运行"}
KIND_CN = {"number": "件数", "percent": "百分比", "change": "增减幅度"}
LINT_SEVERITY_CN = {"error": "错误", "warning": "警告"}

REQUIRED_KEYS = ("title", "category", "severity", "basis", "message")
TEXT_KEYS = ("id", "title", "category", "severity", "basis", "check", "when", "message", "locate")
CASE_KEYS = ("expect", "facts", "zeros", "notes")
# Variables a message template gets besides the report's data, by kind of rule (engine._render).
_MESSAGE_COMMON = {"values", "label", "where", "quote", "value", "params"}
_MESSAGE_BY_KIND = {
    "plain": {"failures"},
    "row": {"failures", "row", "row_name", "row_label"},
    "cell": {"cells"},
    "notes": {"note"},
}
_MESSAGE_ONLY_IN = {"failures": "带 check 的规则（逐单元格规则除外）", "row": "for_each_row 规则",
                    "row_name": "for_each_row 规则", "row_label": "for_each_row 规则",
                    "cells": "for_each_cell 规则", "note": "from_notes 规则"}
_DATA_ROOTS = {"meta", "narrative", "params", "prev"} | {f"section{i}" for i in range(1, 7)}


# ===========================================================================
# Lint
@dataclass
class LintProblem:
    file: str
    line: int          # 1-based; 0 when the problem concerns no particular line (e.g. a pack not found)
    col: int
    severity: str      # "error" | "warning"
    message: str       # formal Chinese, one line
    context: str = ""  # the source line with a caret under the column (may be empty)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line > 0 else self.file

    def __str__(self) -> str:
        head = f"{self.where}: {LINT_SEVERITY_CN.get(self.severity, self.severity)}：{self.message}"
        return head + ("\n" + self.context if self.context else "")


@dataclass
class _Doc:
    """One YAML file of a pack: its data (as packs.py loads it) and its node tree (for positions)."""

    file: str
    lines: list[str]
    data: dict[str, Any]
    node: yaml.MappingNode


@dataclass
class _Entry:
    """A rule mapping as written in one file (a definition, or an override by id)."""

    id: str
    layer: str                 # the pack whose file holds it
    doc: _Doc
    node: yaml.MappingNode
    data: dict[str, Any]       # without position keys


@dataclass
class _NarrEntry:
    spec: P.NarrativeSpec | None
    name: str
    layer: str
    doc: _Doc
    node: yaml.Node
    data: dict[str, Any]


@dataclass
class _Layer:
    """One pack as written (its own files), with its base."""

    name: str
    where: str
    files: list[str]
    docs: list[_Doc]
    base: "_Layer | None"
    own: bool
    template: str | None = None
    template_at: tuple[_Doc, yaml.Node] | None = None
    abstract: bool = False
    description: str = ""
    params: dict[str, tuple[Any, _Doc, yaml.Node]] = field(default_factory=dict)
    narrative: list[_NarrEntry] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    disable: list[tuple[str, _Doc, yaml.Node]] = field(default_factory=list)
    base_failed: bool = False

    def chain(self) -> list["_Layer"]:
        out, layer = [], self
        while layer is not None:
            out.append(layer)
            layer = layer.base
        return out


@dataclass
class _RRule:
    """A rule after inheritance: merged keys, and for each key the entry that wrote it."""

    id: str
    data: dict[str, Any]
    src: dict[str, _Entry]
    entries: list[_Entry]

    @property
    def first(self) -> _Entry:
        return self.entries[0]

    @property
    def last(self) -> _Entry:
        return self.entries[-1]

    @property
    def origin_pack(self) -> str:
        return self.entries[0].layer


@dataclass
class _Resolved:
    layer: _Layer
    template: str | None
    params: dict[str, Any]
    param_src: dict[str, list[tuple[str, Any, _Doc, yaml.Node]]]   # name -> [(pack, value, doc, node)] base first
    narrative: dict[str, _NarrEntry]
    rules: dict[str, _RRule]
    disabled: dict[str, tuple[str, _Doc, yaml.Node]]               # id -> (pack, where)


class _Sink:
    """Collects problems; warnings about files outside the linted pack are dropped."""

    def __init__(self, active: bool = True):
        self.active = active
        self.problems: list[LintProblem] = []
        self.own_files: set[str] = set()
        self._seen: set[tuple] = set()

    def add(self, severity: str, file: str, line: int, col: int, message: str, context: str = "") -> None:
        if not self.active:
            return
        if severity == "warning" and self.own_files and file not in self.own_files:
            return
        key = (severity, file, line, col, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.problems.append(LintProblem(_shown(file), line, col, severity, message, context))

    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def at(self, severity: str, doc: _Doc, node: yaml.Node | None, message: str, offset: int | None = None,
           value: str | None = None) -> None:
        """A problem at a node of a file (or at a character offset of its scalar value)."""
        line, col = _position(doc, node, offset, value)
        self.add(severity, doc.file, line, col, message, _caret(doc, line, col))

    def from_pack_error(self, exc: NianbaoError, severity: str = "error") -> None:
        file, line, col = _split_where(exc.path)
        text = exc.message
        first, _, rest = text.partition("\n")
        self.add(severity, file, line, col, first, rest)


def _shown(file: str) -> str:
    """A file under the working directory is shown relative to it (as rules/gov-2021/pack.yaml)."""
    try:
        path = Path(file)
        if path.is_absolute():
            rel = path.relative_to(Path.cwd())
            return str(rel)
    except (ValueError, OSError):
        pass
    return file


def lint_pack(ref: str) -> list[LintProblem]:
    """Every problem of the pack `ref` (a name under rules/ or a path), errors and warnings.

    Never raises for a problem in the pack: a pack that cannot even be found is
    one problem. Problems in the files of packs it extends are reported too when
    they are errors (they break this pack as well); warnings only for its own files.
    """
    sink = _Sink()
    try:
        where, files = P.pack_files(ref)
    except PackError as exc:
        sink.from_pack_error(exc)
        return sink.problems
    sink.own_files = {str(f) for f in files}
    layer = _read_layer(ref, None, (), sink, own=True)
    if layer is None:
        return _sorted(sink.problems)
    try:
        _lint_resolved(_resolve(layer), sink)
    except Exception as exc:  # noqa: BLE001 - the linter reports, it never crashes on a pack
        sink.add("error", layer.files[0], 0, 0, f"检查规则包时出现内部错误（{type(exc).__name__}: {exc}），"
                                                f"请把该规则包文件提供给维护人员")
    if not any(p.severity == "error" for p in sink.problems):
        # Safety net: what the linter passes, the loader must load.
        try:
            source = P.read_pack(ref)
            if source.template is not None:
                P.compile_pack(source)
        except PackError as exc:
            sink.from_pack_error(exc)
    return _sorted(sink.problems)


def _sorted(problems: list[LintProblem]) -> list[LintProblem]:
    order: dict[str, int] = {}
    for p in problems:
        order.setdefault(p.file, len(order))
    return sorted(problems, key=lambda p: (order[p.file], p.line, p.col))


# ---------------------------------------------------------------------------
# Reading, with positions
def _load_doc(path: Path, sink: _Sink) -> _Doc | None:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        sink.add("error", file, 0, 0, f"规则包文件无法读取：{exc}")
        return None
    loader = P._MarkedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        message = f"YAML 格式错误：{_yaml_problem_cn(problem)}"
        if mark is not None:
            lines = text.splitlines()
            doc = _Doc(file, lines, {}, yaml.MappingNode("", []))
            sink.add("error", file, mark.line + 1, mark.column + 1, message,
                     _caret(doc, mark.line + 1, mark.column + 1))
        else:
            sink.add("error", file, 0, 0, message)
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        sink.add("error", file, 1, 1, "规则包文件的顶层应为键值映射（pack、rules 等）")
        return None
    data["__file__"] = file
    doc = _Doc(file, text.splitlines(), data, node)
    _duplicate_keys(doc, node, sink)
    return doc


_YAML_ERRORS_CN = (
    ("mapping values are not allowed", "此处不能再出现“键: 值”：值中含有“: ”时，请把整个值加引号，或改用 |- 块"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号、括号没有闭合"),
    ("found character '\\t'", "出现了制表符：YAML 缩进只能用空格"),
    ("expected <block end>", "缩进不一致：同一层的键应左对齐"),
    ("did not find expected key", "缩进不一致，或列表项前缺少“- ”"),
    ("did not find expected '-' indicator", "列表缩进不一致：各项的“- ”应左对齐"),
    ("found unexpected end of stream", "文件意外结束：引号或括号没有闭合"),
    ("found unknown escape character", "双引号中出现了无效的转义：正则表达式请改用单引号"),
    ("expected ',' or ']'", "方括号“[”没有闭合，或列表项之间缺少逗号"),
    ("expected ',' or '}'", "花括号“{”没有闭合，或各项之间缺少逗号"),
    ("found undefined alias", "出现了未定义的别名（以 * 开头的值请加引号）"),
    ("found character '@'", "值不能以“@”或“`”开头，请加引号"),
    ("found character '`'", "值不能以“@”或“`”开头，请加引号"),
    ("found character '%'", "值不能以“%”开头，请加引号"),
    ("found a tab character", "出现了制表符：YAML 缩进只能用空格"),
)


def _yaml_problem_cn(problem: str) -> str:
    for english, chinese in _YAML_ERRORS_CN:
        if english in problem:
            return f"{chinese}（{problem}）"
    return f"YAML 写法有误（{problem}）"


def _duplicate_keys(doc: _Doc, node: yaml.Node, sink: _Sink) -> None:
    """A key given twice in one mapping: YAML keeps the last one silently."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    first = seen[key.value].start_mark.line + 1
                    sink.at("error", doc, key, f"键“{key.value}”在同一处重复出现（第一次在第 {first} 行），"
                                               f"只有后一个生效")
                seen[key.value] = key
            _duplicate_keys(doc, value, sink)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(doc, item, sink)


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping node (the last one, as YAML keeps)."""
    found = None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found = v
    return found


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    found = None
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found = k
    return found


def _item(node: yaml.Node | None, index: int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and 0 <= index < len(node.value):
        return node.value[index]
    return None


def _strip(value: Any) -> Any:
    return P._strip_marks(value)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"（是否应为“{close[0]}”？）" if close else ""


def _read_layer(ref: str, relative_to: Path | None, seen: tuple[str, ...], sink: _Sink,
                own: bool) -> _Layer | None:
    try:
        where, files = P.pack_files(ref, relative_to)
    except PackError as exc:
        sink.from_pack_error(exc)
        return None
    docs = [d for d in (_load_doc(p, sink) for p in files) if d is not None]
    if not docs:
        return None
    names: list[str] = []
    for doc in docs:
        value = doc.data.get("pack")
        if value is None:
            sink.add("error", doc.file, 1, 1, "规则包文件缺少 pack（规则包名称）")
        elif not isinstance(value, str) or not value.strip():
            sink.at("error", doc, _child(doc.node, "pack"), "pack（规则包名称）应为文字")
        else:
            names.append(value)
    name = names[0] if names else Path(where).stem
    for doc in docs:
        value = doc.data.get("pack")
        if isinstance(value, str) and value != name:
            sink.at("error", doc, _child(doc.node, "pack"),
                    f"同一规则包的各文件应声明同一个 pack 名称：此处为“{value}”，其他文件为“{name}”")
    if name in seen:
        sink.add("error", docs[0].file, 1, 1, f"规则包继承出现循环：{' → '.join(seen + (name,))}")
        return None
    layer = _Layer(name=name, where=where, files=[d.file for d in docs], docs=docs, base=None, own=own)
    allowed = sorted(P.PACK_KEYS - {"__marks__"})
    for doc in docs:
        for key in doc.data:
            if key in ("__marks__", "__line__", "__file__"):
                continue
            if key not in P.PACK_KEYS:
                sink.at("error", doc, _key_node(doc.node, str(key)),
                        f"规则包中有未知的键“{key}”{_suggest(key, allowed)}"
                        f"（可用的键：{'、'.join(allowed)}）")
    # extends
    extends = [(d, d.data["extends"]) for d in docs if d.data.get("extends") is not None]
    for doc, value in extends:
        if not isinstance(value, str) or not value.strip():
            sink.at("error", doc, _child(doc.node, "extends"), "extends 应为被继承规则包的名称或路径")
    targets = {v for _, v in extends if isinstance(v, str) and v.strip()}
    if len(targets) > 1:
        doc = extends[-1][0]
        sink.at("error", doc, _child(doc.node, "extends"), "同一规则包的多个文件声明了不同的 extends")
    if targets:
        doc, value = next((d, v) for d, v in extends if v in targets)
        try:
            P.pack_files(value, Path(doc.file).parent)
        except PackError as exc:
            sink.at("error", doc, _child(doc.node, "extends"), f"找不到被继承的规则包“{value}”：{exc.message}")
            layer.base_failed = True
        else:
            base = _read_layer(value, Path(doc.file).parent, seen + (name,), sink, own=False)
            if base is None:
                sink.at("error", doc, _child(doc.node, "extends"), f"被继承的规则包“{value}”无法读取（见上）")
                layer.base_failed = True
            elif base.base_failed:
                layer.base_failed = True
            layer.base = base
    # template, abstract, description
    for doc in docs:
        if doc.data.get("template") is not None:
            node = _child(doc.node, "template")
            value = doc.data["template"]
            if not isinstance(value, str):
                sink.at("error", doc, node, "template 应为模板版本名称（如 gov-2021）")
                continue
            if layer.template and layer.template != value:
                sink.at("error", doc, node, f"同一规则包的多个文件声明了不同的 template：{layer.template}、{value}")
                continue
            try:
                load_template(value)
            except PackError:
                known = "、".join(available_templates()) or "（无）"
                sink.at("error", doc, node, f"找不到模板版本“{value}”{_suggest(value, available_templates())}"
                                            f"（可用的模板：{known}）")
                continue
            layer.template, layer.template_at = value, (doc, node)
        if "abstract" in doc.data and not isinstance(doc.data["abstract"], bool):
            sink.at("error", doc, _child(doc.node, "abstract"), "abstract 应为 true 或 false")
        layer.abstract = layer.abstract or doc.data.get("abstract") is True
        desc = doc.data.get("description")
        if desc is not None and not isinstance(desc, str):
            sink.at("error", doc, _child(doc.node, "description"), "description 应为文字")
        elif desc and not layer.description:
            layer.description = desc
        letter = doc.data.get("letter")
        if letter is not None and not isinstance(letter, dict):
            sink.at("error", doc, _child(doc.node, "letter"), "letter 应为键值映射")
    if layer.template is None and not layer.abstract and not layer.base_failed:
        inherited = next((b.template for b in layer.chain()[1:] if b.template), None)
        if inherited is None:
            sink.add("error", docs[0].file, 1, 1, "规则包没有声明 template（模板版本），也没有继承到模板版本；"
                                                  "供其他包继承的公共包请写 abstract: true")
    for doc in docs:
        _read_params(layer, doc, sink)
        _read_narrative(layer, doc, sink)
        _read_disable(layer, doc, sink)
        _read_rules(layer, doc, sink)
    return layer


def _read_params(layer: _Layer, doc: _Doc, sink: _Sink) -> None:
    raw = doc.data.get("params")
    if raw is None:
        return
    node = _child(doc.node, "params")
    if not isinstance(raw, dict):
        sink.at("error", doc, node, "params 应为键值映射（参数名: 值）")
        return
    for key, value in _strip(raw).items():
        vnode = _child(node, str(key))
        if not regex.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)):
            sink.at("error", doc, _key_node(node, str(key)),
                    f"参数名“{key}”只能由英文字母、数字和下划线组成，且不以数字开头")
            continue
        if isinstance(value, (dict, list)):
            sink.at("error", doc, vnode, f"参数 {key} 的值应为数值、文字或真假值，不能是列表或映射")
            continue
        if value is None:
            sink.at("error", doc, vnode, f"参数 {key} 没有给出值")
            continue
        layer.params[str(key)] = (value, doc, vnode)


def _read_narrative(layer: _Layer, doc: _Doc, sink: _Sink) -> None:
    raw = doc.data.get("narrative")
    if raw is None:
        return
    node = _child(doc.node, "narrative")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "narrative 应为列表，每一项定义一个叙述事实")
        return
    allowed = sorted(P.NARRATIVE_KEYS - {"__marks__"})
    for index, entry in enumerate(raw):
        enode = _item(node, index)
        if not isinstance(entry, dict):
            sink.at("error", doc, enode, "narrative 中的每一项都应为键值映射（name、label、section、patterns 等）")
            continue
        data = _strip(entry)
        ok = True
        for key in data:
            if key not in P.NARRATIVE_KEYS:
                sink.at("error", doc, _key_node(enode, str(key)),
                        f"叙述事实定义中有未知的键“{key}”{_suggest(key, allowed)}（可用的键：{'、'.join(allowed)}）")
                ok = False
        name = data.get("name")
        if not isinstance(name, str) or not regex.fullmatch(r"narrative\.[a-z_][a-z0-9_]*", name):
            sink.at("error", doc, _child(enode, "name") or enode,
                    f"叙述事实名称“{name if name is not None else ''}”应为 narrative.小写名称 的形式"
                    f"（如 narrative.applications_received）")
            ok = False
            name = str(name)
        if any(n.name == name and n.layer == layer.name for n in layer.narrative):
            sink.at("warning", doc, _child(enode, "name"), f"叙述事实 {name} 在本规则包中重复定义，只有后一个生效")
        if not data.get("label"):
            sink.at("warning", doc, enode, f"叙述事实 {name} 没有 label（中文说明），提示信息中将显示英文名称")
        section = str(data.get("section", "section1"))
        if not regex.fullmatch(r"section[1-6]|preamble|all", section):
            sink.at("error", doc, _child(enode, "section"),
                    f"叙述事实 {name} 的 section 应为 section1…section6、preamble（正文开头）或 all（全文）")
            ok = False
        kind = str(data.get("kind", "number"))
        if kind not in KIND_CN:
            sink.at("error", doc, _child(enode, "kind"), f"叙述事实 {name} 的 kind 应为 number、percent 或 change")
            ok = False
        patterns = data.get("patterns")
        pnode = _child(enode, "patterns")
        if isinstance(patterns, str):
            patterns, pnodes = [patterns], [pnode]
        elif isinstance(patterns, list):
            pnodes = [_item(pnode, i) for i in range(len(patterns))]
        else:
            patterns, pnodes = [], []
        if not patterns:
            sink.at("error", doc, pnode or enode, f"叙述事实 {name} 没有 patterns（正则表达式列表）")
            ok = False
        need = 2 if kind == "change" else 1
        for pattern, pn in zip(patterns, pnodes):
            if not isinstance(pattern, str):
                sink.at("error", doc, pn, f"叙述事实 {name} 的正则表达式应为文字（请加引号）")
                ok = False
                continue
            compiled = _check_regex(doc, pn, pattern, f"叙述事实 {name} 的正则表达式", sink)
            if compiled is None:
                ok = False
            elif compiled.groups < need:
                what = "两个捕获组（增减方向词和数值）" if kind == "change" else "捕获组（用圆括号括出数值）"
                sink.at("error", doc, pn, f"叙述事实 {name} 的正则表达式没有{what}，无法取出数值")
                ok = False
        spec = None
        if ok:
            try:
                spec = P._narrative_spec(entry, doc.file)
            except PackError as exc:
                sink.from_pack_error(exc)
        layer.narrative.append(_NarrEntry(spec, name, layer.name, doc, enode, data))


def _check_regex(doc: _Doc, node: yaml.Node | None, pattern: str, what: str, sink: _Sink):
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        pos = getattr(exc, "pos", None)
        msg = getattr(exc, "msg", None) or str(exc)
        sink.at("error", doc, node, f"{what}无效：{_regex_error_cn(msg)}", offset=pos, value=pattern)
        return None


_REGEX_ERRORS_CN = (
    ("missing )", "缺少右括号“)”"),
    ("unbalanced parenthesis", "括号不配对：多了右括号“)”"),
    ("missing ]", "方括号“[”没有闭合"),
    ("unterminated character set", "方括号“[”没有闭合"),
    ("nothing to repeat", "量词（*、+、?、{n}）前面没有可重复的内容"),
    ("multiple repeat", "量词重复（如 ** 或 +*），请检查是否漏写了转义符“\\”"),
    ("cannot refer to an open group", "反向引用（如 \\1）指向尚未闭合的分组"),
    ("invalid group reference", "反向引用了不存在的分组"),
    ("unknown group", "引用了不存在的分组"),
    ("bad escape", "无效的转义序列"),
    ("missing }", "花括号“{”没有闭合"),
    ("missing >", "分组名缺少“>”"),
    ("bad character range", "字符范围无效（如 [9-0]）"),
    ("unknown property", "未知的 Unicode 属性（如 \\p{Han} 写错）"),
)


def _regex_error_cn(msg: str) -> str:
    for english, chinese in _REGEX_ERRORS_CN:
        if msg.startswith(english):
            return f"{chinese}（{msg}）"
    return f"正则表达式写法有误（{msg}）"


def _jinja_error_cn(exc: jinja2.TemplateSyntaxError) -> str:
    msg = exc.message or str(exc)
    table = (
        ("Unexpected end of template", "模板意外结束：{% if %}、{% for %} 等标签没有用 {% endif %}、{% endfor %} 闭合"),
        ("Encountered unknown tag", "出现了未知的标签（{% … %} 中只能用 if、for、set 等，且须正确闭合）"),
        ("No filter named", "使用了不存在的过滤器（可用 num、find 及 Jinja 内置过滤器，如 length、join）"),
        ("No test named", "使用了不存在的判断（is …）"),
        ("expected token 'end of print statement'", "{{ … }} 中的表达式写法有误（是否缺少运算符或多了空格分隔的词？）"),
        ("unexpected '}'", "出现了多余的“}”，或 {{ }} 没有成对出现"),
        ("unexpected end of template", "模板意外结束：{{ 或 {% 没有闭合"),
        ("unexpected char", "出现了模板中不能使用的字符（请检查是否用了全角符号）"),
    )
    for english, chinese in table:
        if msg.startswith(english) or english in msg:
            return f"{chinese}（{msg}）"
    return f"模板写法有误（{msg}）"


def _read_disable(layer: _Layer, doc: _Doc, sink: _Sink) -> None:
    raw = doc.data.get("disable")
    if raw is None:
        return
    node = _child(doc.node, "disable")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "disable 应为规则 id 的列表，如 disable: [accountability-statement]")
        return
    for index, rid in enumerate(raw):
        if not isinstance(rid, str):
            sink.at("error", doc, _item(node, index), "disable 中的每一项应为规则 id")
            continue
        layer.disable.append((rid, doc, _item(node, index)))


def _read_rules(layer: _Layer, doc: _Doc, sink: _Sink) -> None:
    raw = doc.data.get("rules")
    if raw is None:
        return
    node = _child(doc.node, "rules")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "rules 应为规则的列表（每条规则以“- id:”开头）")
        return
    allowed = sorted(P.RULE_KEYS)
    for index, entry in enumerate(raw):
        enode = _item(node, index)
        if not isinstance(entry, dict):
            sink.at("error", doc, enode, "rules 中的每一项都应为一条规则（键值映射，以“- id:”开头）")
            continue
        data = _strip({k: v for k, v in entry.items() if k not in ("__marks__", "__line__")})
        rid = data.get("id")
        if rid is None:
            sink.at("error", doc, enode, "规则缺少 id")
            continue
        if not isinstance(rid, str) or not rid.strip():
            sink.at("error", doc, _child(enode, "id"), "规则 id 应为文字（如 table3-balance）")
            continue
        if not regex.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", rid):
            sink.at("warning", doc, _child(enode, "id"),
                    f"规则 id “{rid}”宜只用英文字母、数字、连字符，便于在命令行和 disable 中引用")
        dup = next((e for e in layer.entries if e.id == rid), None)
        if dup is not None:
            sink.at("error", doc, _child(enode, "id"),
                    f"规则 id “{rid}”在本规则包中重复（另见 {dup.doc.file}:{dup.node.start_mark.line + 1}）")
            continue
        for key in list(data):
            if key not in P.RULE_KEYS:
                sink.at("error", doc, _key_node(enode, str(key)),
                        f"规则 {rid} 中有未知的键“{key}”{_suggest(key, allowed)}（可用的键：{'、'.join(allowed)}）")
                del data[key]
        _check_rule_entry(rid, data, doc, enode, sink)
        layer.entries.append(_Entry(rid, layer.name, doc, enode, data))


def _invalid(data: dict[str, Any], key: str) -> None:
    """A key whose value is wrong (already reported): the rule is not compiled, and not reported as missing it."""
    data.setdefault("__invalid__", []).append(key)
    data[key] = None


def _check_rule_entry(rid: str, data: dict[str, Any], doc: _Doc, node: yaml.Node, sink: _Sink) -> None:
    """Checks of one rule entry that need neither inheritance nor a template. Bad values are dropped."""
    for key in TEXT_KEYS:
        if key in data and key != "id" and not isinstance(data[key], str):
            value = data[key]
            hint = "（请整体加引号）" if isinstance(value, (bool, int, float, dt.date)) else ""
            if value is None:
                sink.at("error", doc, _child(node, key), f"规则 {rid} 的 {key} 没有内容")
            else:
                sink.at("error", doc, _child(node, key), f"规则 {rid} 的 {key} 应为文字{hint}")
            _invalid(data, key)
    if "category" in data and data["category"] not in P.CATEGORIES:
        cat = data["category"]
        _invalid(data, "category")
        sink.at("error", doc, _child(node, "category"),
                f"规则 {rid} 的类别“{cat}”不在固定类别之中{_suggest(cat, P.CATEGORIES)}"
                f"（可用的类别：{'、'.join(P.CATEGORIES)}）")
    if "severity" in data and data["severity"] not in P.SEVERITIES:
        sev = data["severity"]
        _invalid(data, "severity")
        sink.at("error", doc, _child(node, "severity"),
                f"规则 {rid} 的级别“{sev}”无效，应为 error（错误）、warning（警告）或 info（提示）")
    for key in ("disabled", "reviewer_only"):
        if key in data and not isinstance(data[key], bool):
            sink.at("error", doc, _child(node, key), f"规则 {rid} 的 {key} 应为 true 或 false")
            _invalid(data, key)
    for key in ("for_each_row", "for_each_cell", "from_notes"):
        if key in data:
            value = data[key]
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(v, str) and v for v in items):
                sink.at("error", doc, _child(node, key), f"规则 {rid} 的 {key} 应为一个名称或名称的列表")
                _invalid(data, key)
    if isinstance(data.get("from_notes"), (str, list)):
        notes = data["from_notes"] if isinstance(data["from_notes"], list) else [data["from_notes"]]
        nnode = _child(node, "from_notes")
        for index, cat in enumerate(notes):
            if cat.partition(":")[0] not in P.CATEGORIES:
                where = _item(nnode, index) if isinstance(data["from_notes"], list) else nnode
                sink.at("error", doc, where, f"规则 {rid} 的 from_notes 类别“{cat}”不在固定类别之中"
                                             f"{_suggest(cat.partition(':')[0], P.CATEGORIES)}")
    if isinstance(data.get("locate"), str):
        if _check_regex(doc, _child(node, "locate"), data["locate"], f"规则 {rid} 的 locate 正则表达式", sink) is None:
            _invalid(data, "locate")
    if "tests" in data:
        tests = data["tests"]
        tnode = _child(node, "tests")
        if not isinstance(tests, list):
            sink.at("error", doc, tnode, f"规则 {rid} 的 tests 应为测试用例的列表")
            _invalid(data, "tests")
            return
        good = []
        for index, case in enumerate(tests, start=1):
            cnode = _item(tnode, index - 1)
            if not isinstance(case, dict):
                sink.at("error", doc, cnode, f"规则 {rid} 的第 {index} 个测试用例应为键值映射（expect、facts 等）")
                continue
            bad = False
            for key in case:
                if key not in CASE_KEYS:
                    sink.at("warning", doc, _key_node(cnode, str(key)),
                            f"规则 {rid} 的第 {index} 个测试用例中有未知的键“{key}”{_suggest(key, CASE_KEYS)}"
                            f"（可用的键：{'、'.join(CASE_KEYS)}），该键不起作用")
            expect = case.get("expect")
            if expect not in EXPECT_CN:
                sink.at("error", doc, _child(cnode, "expect") or cnode,
                        f"规则 {rid} 的第 {index} 个测试用例的 expect 应为 pass（应通过）、fail（应发现问题）"
                        f"或 unknown（无法检查）")
                bad = True
            if "facts" in case and not isinstance(case["facts"], dict):
                sink.at("error", doc, _child(cnode, "facts"), f"规则 {rid} 的第 {index} 个测试用例的 facts 应为键值映射")
                bad = True
            for key in ("zeros", "notes"):
                if key in case and not isinstance(case[key], list):
                    sink.at("error", doc, _child(cnode, key), f"规则 {rid} 的第 {index} 个测试用例的 {key} 应为列表")
                    bad = True
            for spec in case.get("notes") or [] if isinstance(case.get("notes"), list) else []:
                if str(spec).partition(":")[0] not in P.CATEGORIES:
                    sink.at("error", doc, _child(cnode, "notes"),
                            f"规则 {rid} 的第 {index} 个测试用例中的解析记录类别“{spec}”不在固定类别之中")
                    bad = True
            good.append(None if bad else case)
        data["__bad_cases__"] = [i for i, c in enumerate(good, start=1) if c is None]


# ---------------------------------------------------------------------------
# Inheritance
def _resolve(layer: _Layer) -> _Resolved:
    chain = list(reversed(layer.chain()))       # deepest base first
    template = next((l.template for l in reversed(chain) if l.template), None)
    params: dict[str, Any] = {}
    param_src: dict[str, list] = {}
    narrative: dict[str, _NarrEntry] = {}
    rules: dict[str, _RRule] = {}
    disabled: dict[str, tuple[str, _Doc, yaml.Node]] = {}
    for l in chain:
        for key, (value, doc, node) in l.params.items():
            params[key] = value
            param_src.setdefault(key, []).append((l.name, value, doc, node))
        for n in l.narrative:
            if n.spec is not None:
                narrative.pop(n.name, None)
                narrative[n.name] = n
        for rid, doc, node in l.disable:
            disabled[rid] = (l.name, doc, node)
        for e in l.entries:
            if e.id in rules:
                r = rules[e.id]
                r.data.update({k: v for k, v in e.data.items()})
                r.src.update({k: e for k in e.data})
                r.entries.append(e)
            else:
                rules[e.id] = _RRule(e.id, dict(e.data), {k: e for k in e.data}, [e])
            if e.data.get("disabled") is True:
                disabled[e.id] = (l.name, e.doc, _child(e.node, "disabled"))
            elif e.data.get("disabled") is False:
                disabled.pop(e.id, None)
    return _Resolved(layer, template, params, param_src, narrative, rules, disabled)


# ---------------------------------------------------------------------------
# Checks over the resolved pack
@dataclass
class _Env:
    """One template a pack's rules are compiled against."""

    template: Template
    schema: Schema
    vectors: list[str]
    vector_cols: list[str]
    cells: list[str]


def _env(template: Template, params: dict[str, Any], narrative: list[P.NarrativeSpec]) -> _Env:
    schema = P.base_schema(template, params, narrative)
    cells = [n for group in template.table_cells().values() for n in group]
    scalars = list(dict.fromkeys([f"section{i}" for i in range(1, 7)]
                                 + ["meta.agency", "meta.year", "meta.date", "meta.level"] + cells))
    return _Env(template, schema, list(template.vectors()), template.table3_columns, scalars)


def _lint_resolved(res: _Resolved, sink: _Sink) -> None:
    layer = res.layer
    base = _resolve(layer.base) if layer.base is not None else None
    base_rules = base.rules if base is not None else {}
    base_params = base.params if base is not None else {}
    # disable: naming a rule that does not exist
    for rid, doc, node in layer.disable:
        if rid not in res.rules:
            sink.at("warning", doc, node, f"disable 中的规则 id “{rid}”不存在{_suggest(rid, res.rules)}，该项不起作用")
    # parameters: a value of another kind than the base's
    for key, (value, doc, node) in layer.params.items():
        if key in base_params and _kind(base_params[key]) != _kind(value):
            sink.at("error", doc, node, f"参数 {key} 在被继承的规则包中为{_kind_cn(base_params[key])}"
                                        f"（{base_params[key]!r}），此处为{_kind_cn(value)}（{value!r}），类型不一致")
    # parameters and narrative facts no rule uses (own definitions only)
    texts = " ".join(str(r.data.get(k, "")) for r in res.rules.values() for k in ("check", "when", "message"))
    for key, (value, doc, node) in layer.params.items():
        if key not in base_params and not regex.search(rf"params\.{regex.escape(key)}\b", texts):
            sink.at("warning", doc, _key_node(_child(doc.node, "params"), key) or node,
                    f"参数 {key} 没有被任何规则使用")
    for n in layer.narrative:
        if n.spec is not None and not regex.search(rf"{regex.escape(n.name)}\b", texts):
            sink.at("warning", n.doc, _child(n.node, "name") or n.node, f"叙述事实 {n.name} 没有被任何规则使用")
    # Rule schema (after inheritance)
    ready = {rule.id for rule in res.rules.values() if _lint_rule_schema(rule, res, base_rules, sink)}
    # Template-dependent checks
    narrative = [n.spec for n in res.narrative.values() if n.spec is not None]
    if res.template is not None:
        envs = [_env(load_template(res.template), res.params, narrative)]
    elif layer.abstract:
        envs = []
        for version in available_templates():
            try:
                envs.append(_env(load_template(version), res.params, narrative))
            except PackError as exc:
                sink.from_pack_error(exc)
    else:
        envs = []
    if not envs:
        return
    runs: list[tuple[str, list[LintProblem]]] = []
    for env in envs:
        local = _Sink()
        local.own_files = sink.own_files
        _lint_against(env, res, list(res.rules.values()), ready, local)
        runs.append((env.template.version, local.problems))
    _merge_runs(runs, sink)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def _kind_cn(value: Any) -> str:
    return {"bool": "真假值", "number": "数值", "date": "日期", "text": "文字"}[_kind(value)]


def _merge_runs(runs: list[tuple[str, list[LintProblem]]], sink: _Sink) -> None:
    """Problems found compiling against several templates (an abstract pack): each once, naming where."""
    found: dict[tuple, tuple[LintProblem, list[str]]] = {}
    for version, problems in runs:
        for p in problems:
            key = (p.severity, p.file, p.line, p.col, p.message)
            if key not in found:
                found[key] = (p, [])
            found[key][1].append(version)
    for p, versions in found.values():
        message = p.message
        if len(runs) > 1 and len(versions) < len(runs):
            message += f"（按模板 {'、'.join(versions)} 检查时）"
        sink.add(p.severity, p.file, p.line, p.col, message, p.context)


def _rule_at(rule: _RRule, key: str | None = None) -> tuple[_Doc, yaml.Node | None]:
    """Where a key of a resolved rule was written (or the rule's newest entry)."""
    if key is not None and key in rule.src:
        e = rule.src[key]
        return e.doc, _child(e.node, key)
    e = rule.last
    return e.doc, _child(e.node, "id") or e.node


def _lint_rule_schema(rule: _RRule, res: _Resolved, base_rules: dict[str, _RRule], sink: _Sink) -> bool:
    """Required keys and combinations, after inheritance. True when the rule can be compiled."""
    d = rule.data
    doc, node = _rule_at(rule)
    invalid = _invalid_keys(rule)
    ok = not invalid
    missing = [k for k in REQUIRED_KEYS if not d.get(k) and k not in invalid]
    if missing:
        ok = False
        looks_like_override = (res.layer.base is not None and rule.first.layer == res.layer.name
                               and rule.id not in base_rules and len(missing) >= 3)
        if looks_like_override:
            # Most likely an override by id whose id is not in the base: say that, once.
            sink.at("error", doc, node, f"被继承的规则包中没有 id 为“{rule.id}”的规则{_suggest(rule.id, base_rules)}；"
                                        f"若本意是覆盖其中的规则，请核对 id；若是新规则，还缺少必填项 "
                                        f"{'、'.join(missing)}")
            return False
        sink.at("error", doc, node, f"规则 {rule.id} 缺少必填项 {'、'.join(missing)}")
    kinds = [k for k in ("check", "from_notes") if d.get(k) or k in invalid]
    if len(kinds) != 1:
        what = "同时给出了 check 和 from_notes" if kinds else "没有 check（表达式）或 from_notes（解析记录类别）"
        sink.at("error", doc, node, f"规则 {rule.id} {what}；两者必须有且只有一个")
        ok = False
    if d.get("for_each_row") and d.get("for_each_cell"):
        sink.at("error", *_rule_at(rule, "for_each_cell"), f"规则 {rule.id} 不能同时有 for_each_row 和 for_each_cell")
        ok = False
    if d.get("from_notes"):
        for key in ("when", "for_each_row", "for_each_cell", "locate"):
            if d.get(key):
                sink.at("warning", *_rule_at(rule, key),
                        f"规则 {rule.id} 由解析记录（from_notes）产生，{key} 对它不起作用")
    # Test-case coverage, for rules this pack writes or changes.
    if ok and rule.last.doc.file in sink.own_files:
        tests = d.get("tests") or []
        if not tests and "tests" not in invalid:
            sink.at("warning", doc, node, f"规则 {rule.id} 没有测试用例（tests），无法确认它按预期工作")
        elif tests and not any(isinstance(c, dict) and c.get("expect") == "fail" for c in tests):
            sink.at("warning", *_rule_at(rule, "tests"),
                    f"规则 {rule.id} 的测试用例中没有 expect: fail 的用例，无法确认它能发现问题")
    return ok


def _invalid_keys(rule: _RRule) -> set[str]:
    return {k for k, e in rule.src.items() if k in (e.data.get("__invalid__") or [])}


def _lint_against(env: _Env, res: _Resolved, rules: list[_RRule], ready: set[str], sink: _Sink) -> None:
    """Checks that need the template: names, expressions, templates, test cases.

    Every rule's expressions and templates are checked; only the rules in
    `ready` (schema without errors) are compiled as a whole and have their
    test cases run.
    """
    compiled: list[tuple[_RRule, P.Rule]] = []
    jinja = P.make_jinja()
    for rule in rules:
        try:
            done = _lint_rule_against(rule, env, ready, jinja, sink)
        except Exception as exc:  # noqa: BLE001 - one odd rule must not stop the others being checked
            doc, node = _rule_at(rule)
            sink.at("error", doc, node, f"检查规则 {rule.id} 时出现内部错误（{type(exc).__name__}: {exc}）")
            continue
        if done is not None:
            compiled.append((rule, done))
    if not compiled:
        return
    from .packtests import run_rule_cases
    pack = P.Pack(name=res.layer.name, chain=[l.name for l in res.layer.chain()], files=[], template=env.template,
                  description=res.layer.description, params=res.params, narrative=[], rules=[r for _, r in compiled],
                  disabled=set(), letter={}, schema=env.schema)
    for rule, compiled_rule in compiled:
        _lint_cases(rule, compiled_rule, pack, res, sink, run_rule_cases)


def _lint_rule_against(rule: _RRule, env: _Env, ready: set[str], jinja: jinja2.Environment,
                       sink: _Sink) -> P.Rule | None:
    """One rule's template-dependent checks; the compiled rule when it has no problem and can be run."""
    d = rule.data
    before = sink.errors()
    rule_schema = env.schema
    kind = "notes" if d.get("from_notes") else "plain"
    row_cols = list(env.vector_cols)
    for key, var in (("for_each_row", "row"), ("for_each_cell", "cell")):
        if not d.get(key) or d.get("from_notes"):
            continue
        kind = var
        patterns = d[key] if isinstance(d[key], list) else [d[key]]
        universe = env.vectors if var == "row" else env.cells
        doc, node = _rule_at(rule, key)
        empty = [p for p in patterns if not P.expand_names([str(p)], universe)]
        what = "表三的行" if var == "row" else "单元格或章节"
        for p in empty:
            pnode = _item(node, patterns.index(p)) if isinstance(d[key], list) else node
            severity = "error" if len(empty) == len(patterns) else "warning"
            hint = "" if "*" in str(p) else _suggest(p, universe)
            sink.at(severity, doc, pnode, f"规则 {rule.id} 的 {key} 中“{p}”没有匹配到任何{what}{hint}")
        if var == "row":
            matched = P.expand_names([str(p) for p in patterns], universe)
            if matched:
                row_cols = list(env.template.vectors()[matched[0]])   # the rows' own columns
            rule_schema = Schema(scalars=env.schema.scalars,
                                 vectors={**env.schema.vectors, "row": row_cols}, allow_prev=True)
        else:
            rule_schema = Schema(scalars=env.schema.scalars | {"cell"}, vectors=env.schema.vectors,
                                 allow_prev=True)
    for key in ("check", "when"):
        if isinstance(d.get(key), str) and d[key].strip():
            _lint_expr(rule, key, rule_schema, sink)
    if isinstance(d.get("message"), str):
        _lint_message(rule, env, kind, jinja, sink, row_cols)
    if isinstance(d.get("basis"), str):
        doc, node = _rule_at(rule, "basis")
        try:
            jinja.from_string(d["basis"]).render(template_basis=env.template.basis,
                                                 template=env.template.version)
        except jinja2.TemplateSyntaxError as exc:
            sink.at("error", doc, node, f"规则 {rule.id} 的 basis 模板有语法错误：{_jinja_error_cn(exc)}",
                    offset=_line_offset(d["basis"], exc.lineno), value=d["basis"])
        except jinja2.TemplateError as exc:
            sink.at("error", doc, node, f"规则 {rule.id} 的 basis 模板无法展开：{exc}"
                                        f"（basis 中只能使用 {{{{ template_basis }}}} 和 {{{{ template }}}}）")
    _lint_case_facts(rule, env, sink)
    if sink.errors() > before or rule.id not in ready:
        return None
    spec = P.RuleSpec(rule.id, {k: v for k, v in d.items() if not k.startswith("__")},
                      rule.last.doc.file, rule.last.node.start_mark.line + 1, {})
    try:
        return P._compile_rule(spec, env.schema, env.vectors, env.template.vectors(), env.cells, env.template)
    except PackError as exc:
        sink.from_pack_error(exc)
        return None


def _lint_expr(rule: _RRule, key: str, schema: Schema, sink: _Sink) -> None:
    doc, node = _rule_at(rule, key)
    text = rule.data[key]
    block = None
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        # A block scalar: compile its lines as written, so positions are the file's own.
        block = P._block_scalar(doc.file, node.start_mark.line + 1)
    if block is not None:
        try:
            compile_expr(block[0], schema, origin=(doc.file, block[1], block[2], key))
        except RuleError as exc:
            sink.add("error", doc.file, exc.line, exc.col, f"规则 {rule.id} 的 {key}：{exc.message}",
                     _caret(doc, exc.line, exc.col))
        return
    try:
        compile_expr(text, schema, origin=(doc.file, 1, 1, key))
    except RuleError as exc:
        offset = _line_offset(text, exc.line) + exc.col - 1
        sink.at("error", doc, node, f"规则 {rule.id} 的 {key}：{exc.message}", offset=offset, value=text)


def _line_offset(text: str, lineno: int | None) -> int:
    """Character offset where line `lineno` (1-based) of `text` starts."""
    offset = 0
    for _ in range(max(0, (lineno or 1) - 1)):
        nl = text.find("\n", offset)
        if nl < 0:
            break
        offset = nl + 1
    return offset


def _lint_message(rule: _RRule, env: _Env, kind: str, jinja: jinja2.Environment, sink: _Sink,
                  row_cols: list[str] | None = None) -> None:
    row_cols = row_cols or list(env.vector_cols)
    doc, node = _rule_at(rule, "message")
    text = rule.data["message"]
    try:
        jinja.from_string(text)
        ast = jinja.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        sink.at("error", doc, node, f"规则 {rule.id} 的 message 模板有语法错误：{_jinja_error_cn(exc)}",
                offset=_line_offset(text, exc.lineno), value=text)
        return

    def at_word(word: str, message: str) -> None:
        m = regex.search(rf"(?<![\w.]){regex.escape(word)}(?!\w)", text)
        sink.at("error", doc, node, message, offset=m.start() if m else None, value=text)

    available = _MESSAGE_COMMON | _MESSAGE_BY_KIND[kind] | set(jinja.globals) | _DATA_ROOTS
    heads = {n.split(".", 1)[0] for n in env.schema.scalars}
    available |= heads
    for name in sorted(jinja_meta.find_undeclared_variables(ast)):
        if name in available:
            continue
        if name in _MESSAGE_ONLY_IN:
            at_word(name, f"规则 {rule.id} 的 message 使用了变量 {name}，它只在 {_MESSAGE_ONLY_IN[name]}中可用")
        else:
            at_word(name, f"规则 {rule.id} 的 message 使用了未知变量 {name}"
                          f"{_suggest(name, available - set(jinja.globals))}")
    # Dotted data names: a misspelt name renders as itself, silently.
    known = set(env.schema.scalars) | set(env.schema.vectors)
    prefixes = {n.rsplit(".", i)[0] for n in known for i in range(1, n.count(".") + 1)}
    called = {id(c.node) for c in ast.find_all(jnodes.Call)}
    inner = {id(g.node) for g in ast.find_all(jnodes.Getattr) if isinstance(g.node, jnodes.Getattr)}
    for g in ast.find_all(jnodes.Getattr):
        if id(g) in inner:
            continue
        parts, cur = [], g
        while isinstance(cur, jnodes.Getattr):
            parts.insert(0, cur.attr)
            cur = cur.node
        if not isinstance(cur, jnodes.Name):
            continue
        root = cur.name
        if id(g) in called:
            parts = parts[:-1]       # a method call on the value (e.g. .split)
            if not parts:
                continue
        dotted = ".".join([root] + parts)
        if root == "row" and kind == "row":
            if parts[0] not in row_cols:
                at_word(dotted, f"规则 {rule.id} 的 message 中 {dotted} 不是该行的列"
                                f"{_suggest(parts[0], row_cols)}（可用的列：{'、'.join(row_cols)}）")
            continue
        if root not in _DATA_ROOTS:
            continue
        bare = dotted[5:] if dotted.startswith("prev.") else dotted
        if bare in known or bare in prefixes:
            continue
        at_word(dotted, f"规则 {rule.id} 的 message 中的名称 {dotted} 不是模板中的名称"
                        f"{_suggest(bare, known)}（报告中会原样显示为英文名称）")
    for call in ast.find_all(jnodes.Call):
        if (isinstance(call.node, jnodes.Name) and call.node.name in ("where", "quote", "label", "value")
                and call.args and isinstance(call.args[0], jnodes.Const) and isinstance(call.args[0].value, str)):
            name = call.args[0].value
            bare = name[5:] if name.startswith("prev.") else name
            if bare not in known:
                at_word(name, f"规则 {rule.id} 的 message 中 {call.node.name}(\"{name}\") 的名称不是模板中的名称"
                              f"{_suggest(bare, known)}")


def _lint_case_facts(rule: _RRule, env: _Env, sink: _Sink) -> None:
    """The names and shapes of the facts a rule's test cases give."""
    tests = rule.data.get("tests") or []
    if not tests:
        return
    doc, tnode = _rule_at(rule, "tests")
    bad = set(rule.data.get("__bad_cases__") or [])
    vectors = env.template.vectors()
    names = set(env.schema.scalars) | set(vectors)
    for index, case in enumerate(tests, start=1):
        cnode = _item(tnode, index - 1)
        if not isinstance(case, dict) or index in bad:
            continue
        facts = case.get("facts") or {}
        fnode = _child(cnode, "facts")
        for name, value in facts.items():
            name = str(name)
            bare = name[5:] if name.startswith("prev.") else name
            where = _key_node(fnode, name) or fnode
            head = f"规则 {rule.id} 的第 {index} 个测试用例中"
            if bare.startswith("params."):
                sink.at("warning", doc, where, f"{head}的 {name} 不起作用：参数取自规则包的 params")
            elif bare not in names:
                sink.at("error", doc, where, f"{head}的名称 {name} 不是模板中的名称{_suggest(bare, names)}")
            elif bare in vectors and isinstance(value, list) and len(value) != len(vectors[bare]):
                sink.at("error", doc, where, f"{head} {name} 应有 {len(vectors[bare])} 个数值"
                                             f"（{'、'.join(env.template.table3_column_labels)}），实际给出 {len(value)} 个")
            elif bare in vectors and not isinstance(value, list):
                sink.at("error", doc, where, f"{head} {name} 是表三的一整行，应写成 {len(vectors[bare])} 个数值的列表，"
                                             f"或写到具体的列（如 {name}.total）")
            elif bare not in vectors and isinstance(value, (list, dict)):
                sink.at("error", doc, where, f"{head} {name} 是单个单元格，值不能是列表或映射")
        for pattern in case.get("zeros") or []:
            if not P.expand_names([str(pattern)], list(vectors)):
                sink.at("warning", doc, _child(cnode, "zeros"),
                        f"规则 {rule.id} 的第 {index} 个测试用例中 zeros 的“{pattern}”没有匹配到表三的任何一行")


def _lint_cases(rule: _RRule, compiled: P.Rule, pack: P.Pack, res: _Resolved, sink: _Sink,
                run_rule_cases: Callable) -> None:
    """Run a rule's inline test cases; each failing case is an error at the case."""
    if not rule.data.get("tests"):
        return
    doc, tnode = _rule_at(rule, "tests")
    entry = rule.src.get("tests")
    bad = set(rule.data.get("__bad_cases__") or [])
    changed_here = rule.last.layer == res.layer.name or bool(res.layer.params)
    inherited_cases = entry is not None and entry.layer != res.layer.name and changed_here
    for result in run_rule_cases(pack, compiled):
        if result.index in bad:
            continue
        cnode = _item(tnode, result.index - 1)
        if not result.ok:
            detail = f"（{result.detail}）" if result.detail else ""
            hint = ""
            if inherited_cases:
                hint = (f"；该用例写在规则包 {entry.layer} 中，本包修改了该规则或参数，"
                        f"可在本包中按 id 覆盖该规则的 tests")
            sink.at("error", doc, cnode, f"规则 {rule.id} 的第 {result.index} 个测试用例未通过："
                                         f"应为“{EXPECT_CN.get(result.expect, result.expect)}”，"
                                         f"实际为“{GOT_CN.get(result.got, result.got)}”{detail}{hint}")
        elif "提示信息模板出错" in (result.detail or ""):
            mdoc, mnode = _rule_at(rule, "message")
            sink.at("error", mdoc, mnode, f"规则 {rule.id} 的 message 在第 {result.index} 个测试用例中无法生成："
                                          f"{result.detail}")


# ---------------------------------------------------------------------------
# Positions inside scalar values
def _position(doc: _Doc, node: yaml.Node | None, offset: int | None = None,
              value: str | None = None) -> tuple[int, int]:
    if node is None:
        return 1, 1
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.ScalarNode):
        segments = _segments(doc, node, value if value is not None else node.value)
        if segments:
            off = offset or 0
            start, sline, scol = segments[0]
            for seg in segments:
                if seg[0] <= off:
                    start, sline, scol = seg
            return sline, scol + (off - start)
    return line, col


def _segments(doc: _Doc, node: yaml.ScalarNode, value: str) -> list[tuple[int, int, int]] | None:
    """(offset in value, file line, file col) of each run of value text copied from one file line.

    Handles plain, quoted (one line) and block (| and >) scalars; the
    reconstruction is compared with the loaded value and dropped when it
    differs (escapes, more-indented folded lines), leaving the value's start.
    """
    lines = doc.lines
    l0, c0 = node.start_mark.line, node.start_mark.column
    l1, c1 = node.end_mark.line, node.end_mark.column
    style = node.style
    pieces: list[tuple[str, int, int]] = []      # (text, line 1-based, col 1-based)
    if style in ("'", '"'):
        if l0 != l1 or l0 >= len(lines):
            return None
        inner = lines[l0][c0 + 1:c1 - 1]
        if inner != value:
            return None
        return [(0, l0 + 1, c0 + 2)]
    if style in ("|", ">"):
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
        literal = style == "|"
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
            if literal:
                built += "\n"
            elif text == "":
                built += "\n"
            elif not previous_blank:
                built += " "
        out.append((len(built), line, col))
        built += text
        previous_blank = text == ""
    if built.rstrip("\n") != value.rstrip("\n"):
        return None
    return out


def _caret(doc: _Doc, line: int, col: int) -> str:
    if not (1 <= line <= len(doc.lines)):
        return ""
    text = doc.lines[line - 1].replace("\t", " ").rstrip()
    if not text.strip():
        return ""
    shown = "    " + text
    upto = "    " + text[: max(0, col - 1)]
    return f"{shown}\n{' ' * _width(upto)}^"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _split_where(where: str) -> tuple[str, int, int]:
    """'file:12:3' -> ('file', 12, 3); 'file' -> ('file', 0, 0)."""
    parts = where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    parts = where.rsplit(":", 1)
    if len(parts) == 2 and parts[1].isdigit():
        return parts[0], int(parts[1]), 1
    return where, 0, 0


# ===========================================================================
# Provenance (for the catalogue)
def _provenance(ref: str) -> _Resolved:
    layer = _read_layer(ref, None, (), _Sink(active=False), own=True)
    if layer is None:      # pragma: no cover - read_pack succeeded first
        raise PackError(ref, "规则包无法读取")
    return _resolve(layer)


# ===========================================================================
# Catalogue (HTML)
_DOC_TEMPLATE = "rules_doc.html.j2"


def _doc_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nianbao", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env


def render_rules_doc(ref: str, generated_at: dt.datetime) -> str:
    """A self-contained HTML catalogue of every rule of pack `ref`, inherited ones included.

    Raises PackError when the pack cannot be loaded (run `lint_pack` to see why).
    """
    source = P.read_pack(ref)
    pack = P.compile_pack(source) if source.template is not None else None
    template = pack.template if pack is not None else None
    prov = _provenance(ref)
    compiled = {r.id: r for r in pack.rules} if pack is not None else {}
    rules = []
    for spec in source.rules:
        rules.append(_rule_view(spec, compiled.get(spec.id), prov, source, template))
    groups = []
    for cat in P.CATEGORIES:
        members = [r for r in rules if r["category"] == cat]
        if members:
            groups.append({"code": cat, "name": CATEGORY_CN.get(cat, cat), "rules": members,
                           "anchor": "cat-" + cat.replace(".", "-")})
    params = []
    for key, value in source.params.items():
        history = prov.param_src.get(key, [])
        set_by = history[0][0] if history else source.name
        changes = [f"{p}：{_show(v)}" for p, v, *_ in history[1:]]
        params.append({"name": key, "value": _show(value), "set_by": set_by,
                       "history": "；".join([f"{set_by}：{_show(history[0][1])}"] + changes) if changes else ""})
    narrative = []
    for spec in source.narrative:
        owner = prov.narrative.get(spec.name)
        narrative.append({"name": spec.name, "label": spec.label, "section": _section_cn(spec.section, template),
                          "kind": KIND_CN.get(spec.kind, spec.kind), "patterns": [p.pattern for p in spec.patterns],
                          "pack": owner.layer if owner else source.name})
    counts = {
        "rules": len(rules), "disabled": sum(1 for r in rules if r["disabled"]),
        "inherited": sum(1 for r in rules if r["origin"] != source.name),
        "cases": sum(len(r["tests"]) for r in rules),
        "untested": sum(1 for r in rules if not r["tests"]),
        "by_severity": {s: sum(1 for r in rules if r["severity"] == s and not r["disabled"]) for s in P.SEVERITIES},
    }
    context = {
        "pack": {"name": source.name, "description": source.description, "chain": source.chain,
                 "bases": source.chain[1:], "files": [_rel(f) for f in source.files], "abstract": source.abstract},
        "template": None if template is None else {
            "version": template.version, "title": template.title, "basis": template.basis,
            "years": _years(template)},
        "params": params, "narrative": narrative, "groups": groups, "counts": counts,
        "severity_cn": SEVERITY_CN, "expect_cn": EXPECT_CN,
        "generated_at": generated_at.strftime("%Y年%m月%d日 %H:%M"),
        "generated_iso": generated_at.isoformat(timespec="seconds"),
    }
    return _doc_env().get_template(_DOC_TEMPLATE).render(**context)


def _rel(path: str) -> str:
    try:
        from .paths import project_root
        return str(Path(path).resolve().relative_to(project_root()))
    except (ValueError, RuntimeError):
        return path


def _years(template: Template) -> str:
    a, b = template.applies_from_year, template.applies_to_year
    if a and b:
        return f"适用于 {a}—{b} 年度的报告"
    if a:
        return f"适用于 {a} 年度起的报告"
    if b:
        return f"适用于 {b} 年度及以前的报告"
    return ""


_SECTION_CN = "一二三四五六"


def _section_cn(section: str, template: Template | None) -> str:
    if section == "preamble":
        return "正文开头（标题与前言）"
    if section == "all":
        return "全文"
    if regex.fullmatch(r"section[1-6]", section):
        n = int(section[-1])
        title = template.section_title(n) if template is not None else ""
        return f"第{_SECTION_CN[n - 1]}部分" + (f"“{title}”" if title else "")
    return section


def _show(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _rule_view(spec: P.RuleSpec, rule: P.Rule | None, prov: _Resolved, source: P.PackSource,
               template: Template | None) -> dict[str, Any]:
    d = spec.data
    pr = prov.rules.get(spec.id)
    origin = pr.origin_pack if pr else source.name
    overrides = []
    if pr is not None:
        for e in pr.entries[1:]:
            if e.layer != origin:
                keys = [k for k in e.data if not k.startswith("__") and k != "id"]
                overrides.append({"pack": e.layer, "what": "、".join(_KEY_CN.get(k, k) for k in keys)})
    disabled_by = prov.disabled.get(spec.id, (None,))[0] if spec.id in source.disabled else None
    for_each = None
    for key, var in (("for_each_row", "表三的每一行（在表达式中记作 row）"), ("for_each_cell", "每个单元格（在表达式中记作 cell）")):
        if d.get(key):
            patterns = d[key] if isinstance(d[key], list) else [d[key]]
            count = len(rule.for_each[1]) if rule is not None and rule.for_each else None
            for_each = {"what": var, "patterns": [str(p) for p in patterns], "count": count}
    notes = d.get("from_notes") or []
    if isinstance(notes, str):
        notes = [notes]
    basis = rule.basis if rule is not None else str(d.get("basis", ""))
    tests = [_case_view(case, template, prov) for case in (d.get("tests") or []) if isinstance(case, dict)]
    return {
        "id": spec.id, "title": str(d.get("title", "")), "category": d.get("category", ""),
        "category_cn": CATEGORY_CN.get(d.get("category", ""), d.get("category", "")),
        "severity": d.get("severity", ""), "severity_cn": SEVERITY_CN.get(d.get("severity", ""), ""),
        "basis": basis, "check": _block(d.get("check")), "when": _block(d.get("when")),
        "for_each": for_each, "from_notes": [_note_cn(n) for n in notes], "locate": d.get("locate"),
        "message": _block(d.get("message")), "tests": tests,
        "origin": origin, "overrides": overrides, "disabled": spec.id in source.disabled,
        "disabled_by": disabled_by, "file": f"{_rel(spec.file)}:{spec.line}",
        "anchor": "rule-" + regex.sub(r"[^A-Za-z0-9_-]", "_", spec.id),
    }


_KEY_CN = {"title": "标题", "category": "类别", "severity": "级别", "basis": "依据", "check": "检查表达式",
           "when": "适用条件", "message": "提示信息", "tests": "测试用例", "from_notes": "解析记录类别",
           "for_each_row": "逐行范围", "for_each_cell": "逐格范围", "locate": "定位正则", "disabled": "停用状态",
           "reviewer_only": "仅供审核人员"}


def _block(text: Any) -> str:
    if text is None:
        return ""
    return str(text).strip()


def _note_cn(spec: str) -> str:
    cat, _, kind = str(spec).partition(":")
    name = CATEGORY_CN.get(cat, cat)
    return f"{name}（{cat}{'，' + kind if kind else ''}）"


def _fact_label(name: str, template: Template | None, prov: _Resolved) -> str:
    bare = name[5:] if name.startswith("prev.") else name
    prefix = "上年报告" if name.startswith("prev.") else ""
    if bare.startswith("narrative."):
        n = prov.narrative.get(bare)
        return f"{prefix}正文所述“{n.data.get('label', bare) if n else bare}”"
    if bare.startswith("params."):
        return f"参数 {bare[7:]}"
    if template is None:
        return name
    text = describe(template, name)
    return "" if text == name else text


def _case_view(case: dict[str, Any], template: Template | None, prov: _Resolved) -> dict[str, Any]:
    facts = []
    for name, value in (case.get("facts") or {}).items():
        name = str(name)
        bare = name[5:] if name.startswith("prev.") else name
        shown = _show(value)
        if isinstance(value, list) and template is not None and bare in template.vectors():
            labels = template.table3_column_labels or template.table3_columns
            shown = "，".join(f"{lab} {_show(v)}" for lab, v in zip(labels, value))
        elif isinstance(value, str):
            shown = f"“{value}”"
        facts.append({"name": name, "label": _fact_label(name, template, prov), "value": shown})
    return {"expect": str(case.get("expect", "")), "expect_cn": EXPECT_CN.get(str(case.get("expect")), "（未写明）"),
            "facts": facts, "zeros": [str(z) for z in case.get("zeros") or []],
            "notes": [_note_cn(n) for n in case.get("notes") or []]}


# ===========================================================================
# Diff
@dataclass
class RuleChange:
    rule: str               # rule id (or parameter / narrative name / template name, see `section`)
    kind: str               # "added" | "removed" | "changed"
    title: str
    details: list[str] = field(default_factory=list)   # Chinese: which keys changed, old → new
    section: str = "rule"   # "rule" | "param" | "narrative" | "template"


_DIFF_KEYS = ("title", "category", "severity", "basis", "check", "when", "for_each", "message", "from_notes",
              "locate")
_SHORT = 40


def diff_packs(a: str, b: str) -> list[RuleChange]:
    """Differences from pack `a` to pack `b` (names or paths), over their fully resolved rules.

    Rules by id (added, removed, changed), then parameters, narrative facts, and
    the template names found in only one of the two templates. Raises PackError
    when either pack cannot be read.
    """
    sa, sb = P.read_pack(a), P.read_pack(b)
    out: list[RuleChange] = []
    ra = {r.id: r for r in sa.rules}
    rb = {r.id: r for r in sb.rules}
    for rid, spec in rb.items():
        if rid not in ra:
            out.append(RuleChange(rid, "added", str(spec.data.get("title", "")),
                                  _rule_summary(spec.data, rid in sb.disabled)))
    for rid, spec in ra.items():
        if rid not in rb:
            out.append(RuleChange(rid, "removed", str(spec.data.get("title", "")),
                                  _rule_summary(spec.data, rid in sa.disabled)))
    for rid, spec in rb.items():
        if rid in ra:
            details = _rule_details(ra[rid].data, spec.data, rid in sa.disabled, rid in sb.disabled)
            if details:
                out.append(RuleChange(rid, "changed", str(spec.data.get("title", "")), details))
    # Parameters
    for key in list(sb.params) + [k for k in sa.params if k not in sb.params]:
        if key not in sa.params:
            out.append(RuleChange(key, "added", f"参数 {key}", [_show(sb.params[key])], "param"))
        elif key not in sb.params:
            out.append(RuleChange(key, "removed", f"参数 {key}", [_show(sa.params[key])], "param"))
        elif sa.params[key] != sb.params[key] or _kind(sa.params[key]) != _kind(sb.params[key]):
            out.append(RuleChange(key, "changed", f"参数 {key}",
                                  [f"{_show(sa.params[key])} → {_show(sb.params[key])}"], "param"))
    # Narrative facts
    na = {n.name: n for n in sa.narrative}
    nb = {n.name: n for n in sb.narrative}
    for name in list(nb) + [n for n in na if n not in nb]:
        if name not in na:
            out.append(RuleChange(name, "added", nb[name].label, _narrative_summary(nb[name]), "narrative"))
        elif name not in nb:
            out.append(RuleChange(name, "removed", na[name].label, _narrative_summary(na[name]), "narrative"))
        else:
            details = _narrative_details(na[name], nb[name])
            if details:
                out.append(RuleChange(name, "changed", nb[name].label, details, "narrative"))
    # Templates
    out.extend(_template_changes(sa.template, sb.template))
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _field(data: dict[str, Any], key: str) -> Any:
    if key == "for_each":
        for k, what in (("for_each_row", "逐行"), ("for_each_cell", "逐格")):
            if data.get(k):
                value = data[k] if isinstance(data[k], list) else [data[k]]
                return f"{what}：{'、'.join(str(v) for v in value)}"
        return None
    if key == "from_notes":
        value = data.get(key)
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        return value
    return data.get(key)


_CJK_GAP = regex.compile(r"(?<=[\p{Han}\p{P}])\s+(?=[\p{Han}\p{P}])")


def _text(value: Any) -> str:
    """A value for display: one line; spaces YAML folding left between Chinese words dropped."""
    return _CJK_GAP.sub("", _norm(str(value)))


def _display(key: str, value: Any) -> str:
    if value is None or value == "":
        return "（无）"
    if key == "category":
        return f"{CATEGORY_CN.get(value, value)}（{value}）"
    if key == "severity":
        return SEVERITY_CN.get(value, value)
    if key in ("title", "basis", "message"):
        return _text(value)
    return _norm(str(value))


def _rule_summary(data: dict[str, Any], disabled: bool) -> list[str]:
    out = [f"类别：{_display('category', data.get('category'))}；级别：{_display('severity', data.get('severity'))}"
           + ("；已停用" if disabled else "")]
    if data.get("check"):
        out.append(f"检查：{_norm(str(data['check']))}")
    elif data.get("from_notes"):
        out.append(f"来自解析记录：{_field(data, 'from_notes')}")
    if data.get("when"):
        out.append(f"适用条件：{_norm(str(data['when']))}")
    if _field(data, "for_each"):
        out.append(f"范围：{_field(data, 'for_each')}")
    if data.get("basis"):
        out.append(f"依据：{_text(data['basis'])}")
    return out


def _rule_details(a: dict[str, Any], b: dict[str, Any], dis_a: bool, dis_b: bool) -> list[str]:
    out: list[str] = []
    for key in _DIFF_KEYS:
        old, new = _field(a, key), _field(b, key)
        if _norm(old) == _norm(new):
            continue
        label = _KEY_CN.get(key, {"for_each": "逐项范围"}.get(key, key))
        if key in ("check", "when", "message") and old and new:
            out.append({"check": "表达式已修改", "when": "适用条件已修改", "message": "提示信息模板已修改"}[key])
            out.append(f"原：{_display(key, old)}")
            out.append(f"新：{_display(key, new)}")
        elif key in ("check", "when") and (old or new):
            out.append(f"{label}：{'新增' if new else '删除'}")
            out.append(f"{'新' if new else '原'}：{_norm(str(new or old))}")
        else:
            so, sn = _display(key, old), _display(key, new)
            if len(so) <= _SHORT and len(sn) <= _SHORT:
                out.append(f"{label}：{so} → {sn}")
            else:
                out.append(f"{label}已修改")
                out.append(f"原：{so}")
                out.append(f"新：{sn}")
    if dis_a != dis_b:
        out.append(f"状态：{'已停用' if dis_a else '启用'} → {'已停用' if dis_b else '启用'}")
    ta, tb = a.get("tests") or [], b.get("tests") or []
    if _norm(_strip(ta)) != _norm(_strip(tb)):
        out.append(f"测试用例已修改（{len(ta)} 个 → {len(tb)} 个）")
    return out


def _narrative_summary(n: P.NarrativeSpec) -> list[str]:
    return [f"所在部分：{_section_cn(n.section, None)}；类型：{KIND_CN.get(n.kind, n.kind)}"] + [
        f"正则：{p.pattern}" for p in n.patterns]


def _narrative_details(a: P.NarrativeSpec, b: P.NarrativeSpec) -> list[str]:
    out = []
    if a.label != b.label:
        out.append(f"说明：{a.label} → {b.label}")
    if a.section != b.section:
        out.append(f"所在部分：{_section_cn(a.section, None)} → {_section_cn(b.section, None)}")
    if a.kind != b.kind:
        out.append(f"类型：{KIND_CN.get(a.kind, a.kind)} → {KIND_CN.get(b.kind, b.kind)}")
    pa, pb = [p.pattern for p in a.patterns], [p.pattern for p in b.patterns]
    if pa != pb:
        out.append("正则表达式已修改")
        out.extend(f"原：{p}" for p in pa)
        out.extend(f"新：{p}" for p in pb)
    return out


def _template_changes(va: str | None, vb: str | None) -> list[RuleChange]:
    if va == vb:
        return []
    ta = load_template(va) if va else None
    tb = load_template(vb) if vb else None
    out = [RuleChange("template", "changed", "模板版本",
                      [f"{_template_name(ta)} → {_template_name(tb)}"], "template")]
    if ta is None or tb is None:
        return out
    na, nb = ta.scalars(), tb.scalars()
    for kind, names, mine, template, other in (("removed", na - nb, na, ta, tb), ("added", nb - na, nb, tb, ta)):
        other_rows = _row_names(other)
        parents: dict[str, list[str]] = {}
        for name in sorted(names, key=_template_order(template)):
            parent = name.rsplit(".", 1)[0] if "." in name else name
            parents.setdefault(parent, []).append(name)
        for parent, group in parents.items():
            whole = [n for n in mine if n.startswith(parent + ".")]
            cols = [n[len(parent) + 1:] for n in group]
            if "." not in group[0] or len(group) == 1:
                label = group[0]
            elif len(group) == len(whole) and parent not in other_rows:
                label = f"{parent}.*"
            else:
                label = f"{parent}.{{{', '.join(cols)}}}"
            out.append(RuleChange(label, kind, _row_title(template, parent, cols), [], "template"))
    return out


def _row_names(template: Template) -> set[str]:
    return ({r.name for r in template.table2_rows} | set(template.vectors())
            | {g["name"] for g in template.table4_groups})


def _template_name(t: Template | None) -> str:
    return f"{t.version}（{t.title}）" if t is not None else "（无模板，供继承的公共包）"


def _template_order(template: Template) -> Callable[[str], tuple[int, str]]:
    order = {}
    for group in template.table_cells().values():
        for name in group:
            order.setdefault(name, len(order))
    return lambda n: (order.get(n, len(order)), n)


def _row_title(template: Template, parent: str, cols: list[str]) -> str:
    """表二“规章”的“本年制发件数”、“本年废止件数”; 表三“……”行."""
    for row in template.table2_rows:
        if row.name == parent:
            headers: dict[str, str] = {}
            for block in template.raw.get("table2", {}).get("blocks", []):
                headers.update(block.get("columns") or {})
            shown = "、".join(f"“{headers.get(c, c)}”" for c in cols)
            return f"表二“{row.label}”" + ("" if set(cols) == set(row.columns) else f"的{shown}")
    if parent in template.vectors():
        return describe(template, parent)
    return describe(template, f"{parent}.{cols[0]}" if cols else parent)


def format_diff(a: str, b: str, changes: list[RuleChange]) -> str:
    """The differences for a person at a terminal: 新增、删除、修改 rules, then 参数, 叙述事实, 模板栏目."""
    lines = [f"规则包对比：{a} → {b}", f"（以 {a} 为原、{b} 为新，继承的规则一并比较）", ""]
    rules = [c for c in changes if c.section == "rule"]
    groups = [
        ("新增规则", "+", [c for c in rules if c.kind == "added"]),
        ("删除规则", "-", [c for c in rules if c.kind == "removed"]),
        ("修改规则", "*", [c for c in rules if c.kind == "changed"]),
        ("参数", None, [c for c in changes if c.section == "param"]),
        ("叙述事实", None, [c for c in changes if c.section == "narrative"]),
        ("模板栏目", None, [c for c in changes if c.section == "template"]),
    ]
    mark = {"added": "+", "removed": "-", "changed": "*"}
    kind_cn = {"added": "新增", "removed": "删除", "changed": "修改"}
    number = 0
    for heading, _, items in groups:
        if not items:
            continue
        number += 1
        unit = "条" if heading.endswith("规则") else "项"
        lines.append(f"{'一二三四五六'[number - 1]}、{heading}（{len(items)} {unit}）")
        if heading == "模板栏目":
            lines.extend(_format_template(a, b, items))
        elif heading == "参数":
            for c in items:
                note = {"added": "（新增）", "removed": "（删除）", "changed": ""}[c.kind]
                lines.append(f"  {mark[c.kind]} {c.rule}：{'；'.join(c.details)}{note}")
        else:
            for c in items:
                tag = "" if heading.endswith("规则") else f"{kind_cn[c.kind]} "
                lines.append(f"  {mark[c.kind]} {tag}{c.rule}  {c.title}".rstrip())
                for d in c.details:
                    indent = "        " if d.startswith(("原：", "新：")) else "      "
                    lines.append(indent + d)
        lines.append("")
    if number == 0:
        lines.append("两个规则包的规则、参数、叙述事实和模板栏目均相同。")
    else:
        count = {k: sum(1 for c in rules if c.kind == k) for k in ("added", "removed", "changed")}
        lines.append(f"合计：新增规则 {count['added']} 条，删除 {count['removed']} 条，修改 {count['changed']} 条；"
                     f"参数变化 {len(groups[3][2])} 项，叙述事实变化 {len(groups[4][2])} 项。")
    return "\n".join(lines).rstrip() + "\n"


def _format_template(a: str, b: str, items: list[RuleChange]) -> list[str]:
    out = []
    for c in items:
        if c.rule == "template":
            out.extend(f"  模板版本：{d}" for d in c.details)
    for kind, who in (("removed", a), ("added", b)):
        names = [c for c in items if c.kind == kind]
        if names:
            out.append(f"  仅 {who} 的模板中有（{len(names)} 处）：")
            out.extend(f"    {c.rule}  {c.title}" for c in names)
    return out
