"""The one pack reader: files → layers → a resolved pack with provenance.

`read_pack(ref)` loads (the first error is raised as a PackError with file:line:col
and a caret); `read_pack(ref, sink)` with a collecting Sink goes on after each
problem (`rules lint`). Both run the same checks: every key a pack may hold is
validated here, `letter:` and `verdict:` included, and every file a pack names is
confined (confine.py). What needs a template (expressions, messages) is compiled
in compile.py; what only a linter says (warnings, inline test cases) is in lint.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import yaml

from ..errors import PackError
from ..template import available_templates, load_template
from . import confine
from .bounded_regex import RegexRefused, compile_bounded
from .explain import suggest
from .pack import NarrativeSpec
from .schema import (CASE_KEYS, CATEGORIES, EXPECT_CN, MAX_EXTENDS_DEPTH, NARRATIVE_KEYS, NARRATIVE_KINDS,
                     NARRATIVE_NAME_PATTERN, PACK_KEYS, PARAM_PATTERN, REQUIRED_KEYS, RULE_KEYS, SECTION_PATTERN,
                     SEVERITIES, TEXT_KEYS, VERDICT_KEYS, letter_keys, letter_value_problem, value_kind,
                     value_kind_cn)
from .sink import Sink, shown
from .yamlpos import Doc, child, item, key_node, load_doc, position


@dataclass
class Entry:
    """A rule mapping as written in one file (a definition, or an override by id)."""

    id: str
    layer: str                 # the pack whose file holds it
    doc: Doc
    node: yaml.MappingNode
    data: dict[str, Any]
    invalid: set[str] = field(default_factory=set)      # keys whose value was wrong (already reported)
    bad_cases: set[int] = field(default_factory=set)    # 1-based numbers of malformed test cases


@dataclass
class NarrEntry:
    spec: NarrativeSpec | None
    name: str
    layer: str
    doc: Doc
    node: yaml.Node
    data: dict[str, Any]


@dataclass
class Layer:
    """One pack as written (its own files), with its base."""

    name: str
    where: str
    folder: Path
    files: list[str]
    docs: list[Doc]
    base: "Layer | None"
    template: str | None = None
    abstract: bool = False
    description: str = ""
    params: dict[str, tuple[Any, Doc, yaml.Node]] = field(default_factory=dict)
    narrative: list[NarrEntry] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    disable: list[tuple[str, Doc, yaml.Node]] = field(default_factory=list)
    letter: dict[str, Any] = field(default_factory=dict)
    letter_template: tuple[str, str] | None = None        # (confined path, folder of the file naming it)
    verdict: list[tuple[str | None, str, str]] | None = None
    base_failed: bool = False

    def chain(self) -> list["Layer"]:
        out, layer = [], self
        while layer is not None:
            out.append(layer)
            layer = layer.base
        return out


@dataclass
class ResolvedRule:
    """A rule after inheritance: merged keys, and for each key the entry that wrote it."""

    id: str
    data: dict[str, Any]
    src: dict[str, Entry]
    entries: list[Entry]

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def last(self) -> Entry:
        return self.entries[-1]

    @property
    def origin_pack(self) -> str:
        return self.entries[0].layer

    @property
    def file(self) -> str:
        return self.last.doc.file

    @property
    def line(self) -> int:
        return self.last.node.start_mark.line + 1

    @property
    def invalid(self) -> set[str]:
        return {k for k, e in self.src.items() if k in e.invalid}

    @property
    def bad_cases(self) -> set[int]:
        entry = self.src.get("tests")
        return entry.bad_cases if entry is not None else set()

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def at(self, key: str | None = None) -> tuple[Doc, yaml.Node | None]:
        """Where a key was written (or the rule's newest entry, at its id)."""
        if key is not None and key in self.src:
            e = self.src[key]
            return e.doc, child(e.node, key)
        e = self.last
        return e.doc, child(e.node, "id") or e.node


@dataclass
class Resolved:
    """A pack after `extends` is resolved: everything needed to compile it, and where each part came from."""

    layer: Layer
    template: str | None
    params: dict[str, Any]
    param_src: dict[str, list[tuple[str, Any, Doc, yaml.Node]]]   # name -> [(pack, value, doc, node)] base first
    narrative_entries: dict[str, NarrEntry]
    rule_map: dict[str, ResolvedRule]
    disabled_by: dict[str, tuple[str, Doc, yaml.Node | None]]     # id -> (pack, where)
    letter: dict[str, Any]
    letter_template: tuple[str, str] | None
    verdict: list[tuple[str | None, str, str]]
    ready: set[str] = field(default_factory=set)                  # rules whose keys are complete and valid

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def chain(self) -> list[str]:
        return [layer.name for layer in self.layer.chain()]

    @property
    def files(self) -> list[str]:
        return [f for layer in self.layer.chain() for f in layer.files]

    @property
    def description(self) -> str:
        return next((layer.description for layer in self.layer.chain() if layer.description), "")

    @property
    def abstract(self) -> bool:
        return self.layer.abstract

    @property
    def narrative(self) -> list[NarrativeSpec]:
        return [n.spec for n in self.narrative_entries.values() if n.spec is not None]

    @property
    def rules(self) -> list[ResolvedRule]:
        return list(self.rule_map.values())

    @property
    def disabled(self) -> set[str]:
        return set(self.disabled_by)


def read_pack(ref: str, sink: Sink | None = None) -> Resolved | None:
    """Read pack `ref` (a path, or a bundled/NIANBAO_PACKS pack name) and the packs it extends.

    Without a sink the first error is raised as PackError; with a collecting sink
    every problem is recorded and None is returned when nothing could be read."""
    sink = sink if sink is not None else Sink(collect=False)
    try:
        where, files = confine.root_pack(ref)
    except PackError as exc:
        sink.from_pack_error(exc)
        return None
    sink.own_files |= {str(f) for f in files}
    layer = _read_layer(where, files, (), sink)
    if layer is None:
        return None
    return _resolve(layer, sink)


def _read_layer(where: str, files: list[Path], seen: tuple[str, ...], sink: Sink) -> Layer | None:
    docs = [d for d in (load_doc(p, sink) for p in files) if d is not None]
    if not docs:
        return None
    names: list[str] = []
    for doc in docs:
        value = doc.data.get("pack")
        if value is None:
            sink.add("error", doc.file, 1, 1, "规则包文件缺少 pack（规则包名称）")
        elif not isinstance(value, str) or not value.strip():
            sink.at("error", doc, child(doc.node, "pack"), "pack（规则包名称）应为文字")
        else:
            names.append(value)
    name = names[0] if names else Path(where).stem
    for doc in docs:
        value = doc.data.get("pack")
        if isinstance(value, str) and value != name:
            sink.at("error", doc, child(doc.node, "pack"),
                    f"规则包中每个文件都必须声明同一个 pack 名称：此处为“{value}”，其他文件为“{name}”")
    if name in seen:
        sink.add("error", docs[0].file, 1, 1, f"规则包继承出现循环：{' → '.join(seen + (name,))}")
        return None
    layer = Layer(name=name, where=where, folder=Path(docs[0].file).parent, files=[d.file for d in docs],
                  docs=docs, base=None)
    for doc in docs:
        for key in doc.data:
            if key not in PACK_KEYS:
                sink.at("error", doc, key_node(doc.node, str(key)),
                        f"规则包中有未知的键“{key}”{suggest(key, PACK_KEYS)}（可用的键：{'、'.join(PACK_KEYS)}）")
    _read_extends(layer, seen, sink)
    for doc in docs:
        _read_header(layer, doc, sink)
    if layer.template is None and not layer.abstract and not layer.base_failed:
        if next((b.template for b in layer.chain()[1:] if b.template), None) is None:
            sink.add("error", docs[0].file, 1, 1, "规则包没有声明 template（模板版本），也没有继承到模板版本；"
                                                  "供其他包继承的公共包请写 abstract: true")
    for doc in docs:
        _read_params(layer, doc, sink)
        _read_narrative(layer, doc, sink)
        _read_disable(layer, doc, sink)
        _read_rules(layer, doc, sink)
        _read_letter(layer, doc, sink)
        _read_verdict(layer, doc, sink)
    return layer


def _read_extends(layer: Layer, seen: tuple[str, ...], sink: Sink) -> None:
    extends = [(d, d.data["extends"]) for d in layer.docs if d.data.get("extends") is not None]
    for doc, value in extends:
        if not isinstance(value, str) or not value.strip():
            sink.at("error", doc, child(doc.node, "extends"), "extends 应为被继承规则包的名称或路径")
    targets = {v for _, v in extends if isinstance(v, str) and v.strip()}
    if len(targets) > 1:
        doc = extends[-1][0]
        sink.at("error", doc, child(doc.node, "extends"), "同一规则包的多个文件声明了不同的 extends")
    if not targets:
        return
    doc, value = next((d, v) for d, v in extends if v in targets)
    node = child(doc.node, "extends")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        sink.at("error", doc, node, f"规则包继承层次过深（超过 {MAX_EXTENDS_DEPTH} 层）")
        layer.base_failed = True
        return
    try:
        where, files = confine.base_pack(value, Path(doc.file).parent)
    except confine.Refused as exc:
        sink.at("error", doc, node, exc.message)
        layer.base_failed = True
        return
    except PackError as exc:
        sink.at("error", doc, node, f"找不到被继承的规则包“{value}”：{exc.message}")
        layer.base_failed = True
        return
    base = _read_layer(where, files, seen + (layer.name,), sink)
    if base is None:
        sink.at("error", doc, node, f"被继承的规则包“{value}”无法读取（见上）")
        layer.base_failed = True
    elif base.base_failed:
        layer.base_failed = True
    layer.base = base


def _read_header(layer: Layer, doc: Doc, sink: Sink) -> None:
    """template, abstract, description."""
    if doc.data.get("template") is not None:
        node = child(doc.node, "template")
        value = doc.data["template"]
        if not isinstance(value, str):
            sink.at("error", doc, node, "template 应为模板版本名称（如 gov-2021）")
        elif not confine.is_name(value):
            sink.at("error", doc, node, f"template 应为内置模板版本的名称（如 gov-2021），不能是路径“{value}”，已拒绝")
        elif layer.template and layer.template != value:
            sink.at("error", doc, node, f"同一规则包的多个文件声明了不同的 template：{layer.template}、{value}")
        else:
            try:
                load_template(value)
            except PackError:
                known = "、".join(available_templates()) or "（无）"
                sink.at("error", doc, node, f"找不到模板版本“{value}”{suggest(value, available_templates())}"
                                            f"（可用的模板：{known}）")
            else:
                layer.template = value
    if "abstract" in doc.data and not isinstance(doc.data["abstract"], bool):
        sink.at("error", doc, child(doc.node, "abstract"), "abstract 应为 true 或 false")
    layer.abstract = layer.abstract or doc.data.get("abstract") is True
    desc = doc.data.get("description")
    if desc is not None and not isinstance(desc, str):
        sink.at("error", doc, child(doc.node, "description"), "description 应为文字")
    elif desc and not layer.description:
        layer.description = desc


def _read_params(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("params")
    if raw is None:
        return
    node = child(doc.node, "params")
    if not isinstance(raw, dict):
        sink.at("error", doc, node, "params 应为键值映射（参数名: 值）")
        return
    for key, value in raw.items():
        vnode = child(node, str(key))
        if not regex.fullmatch(PARAM_PATTERN, str(key)):
            sink.at("error", doc, key_node(node, str(key)),
                    f"参数名“{key}”只能由英文字母、数字和下划线组成，且不以数字开头")
        elif isinstance(value, (dict, list)):
            sink.at("error", doc, vnode, f"参数 {key} 的值应为数值、文字或真假值，不能是列表或映射")
        elif value is None:
            sink.at("error", doc, vnode, f"参数 {key} 没有给出值")
        else:
            layer.params[str(key)] = (value, doc, vnode)


def _read_narrative(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("narrative")
    if raw is None:
        return
    node = child(doc.node, "narrative")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "narrative 应为列表，每一项定义一个叙述事实")
        return
    for index, entry in enumerate(raw):
        enode = item(node, index)
        if not isinstance(entry, dict):
            sink.at("error", doc, enode, "narrative 中的每一项都应为键值映射（name、label、section、patterns 等）")
            continue
        ok = True
        for key in entry:
            if key not in NARRATIVE_KEYS:
                sink.at("error", doc, key_node(enode, str(key)),
                        f"叙述事实定义中有未知的键“{key}”{suggest(key, NARRATIVE_KEYS)}"
                        f"（可用的键：{'、'.join(NARRATIVE_KEYS)}）")
                ok = False
        name = entry.get("name")
        if not isinstance(name, str) or not regex.fullmatch(NARRATIVE_NAME_PATTERN, name):
            sink.at("error", doc, child(enode, "name") or enode,
                    f"叙述事实名称“{name if name is not None else ''}”应为 narrative.小写名称 的形式"
                    f"（如 narrative.applications_received）")
            ok = False
            name = str(name)
        if any(n.name == name and n.layer == layer.name for n in layer.narrative):
            sink.at("warning", doc, child(enode, "name"), f"叙述事实 {name} 在本规则包中重复定义，只有后一个生效")
        label = entry.get("label")
        if label is None or label == "":
            sink.at("warning", doc, enode, f"叙述事实 {name} 没有 label（中文说明），提示信息中将显示英文名称")
        elif not isinstance(label, str):
            sink.at("error", doc, child(enode, "label"), f"叙述事实 {name} 的 label 应为文字")
            ok = False
        section = str(entry.get("section", "section1"))
        if not regex.fullmatch(SECTION_PATTERN, section):
            sink.at("error", doc, child(enode, "section"),
                    f"叙述事实 {name} 的 section 应为 section1…section6、preamble（正文开头）或 all（全文）")
            ok = False
        kind = str(entry.get("kind", "number"))
        if kind not in NARRATIVE_KINDS:
            sink.at("error", doc, child(enode, "kind"), f"叙述事实 {name} 的 kind 应为 number、percent 或 change")
            ok = False
        compiled = _narrative_patterns(doc, enode, entry.get("patterns"), name, kind, sink)
        ok = ok and compiled is not None
        spec = None
        if ok and compiled is not None:
            spec = NarrativeSpec(name, str(label or name), section, compiled, kind, doc.file, enode.start_mark.line + 1)
        layer.narrative.append(NarrEntry(spec, name, layer.name, doc, enode, entry))


def _narrative_patterns(doc: Doc, enode: yaml.Node, patterns: Any, name: str, kind: str,
                        sink: Sink) -> list[Any] | None:
    pnode = child(enode, "patterns")
    if isinstance(patterns, str):
        patterns, pnodes = [patterns], [pnode]
    elif isinstance(patterns, list):
        pnodes = [item(pnode, i) for i in range(len(patterns))]
    else:
        patterns, pnodes = [], []
    if not patterns:
        sink.at("error", doc, pnode or enode, f"叙述事实 {name} 没有 patterns（正则表达式列表）")
        return None
    need = 2 if kind == "change" else 1
    out: list[Any] = []
    for pattern, pn in zip(patterns, pnodes):
        if not isinstance(pattern, str):
            sink.at("error", doc, pn, f"叙述事实 {name} 的正则表达式应为文字（请加引号）")
            continue
        compiled = check_regex(doc, pn, pattern, f"叙述事实 {name} 的正则表达式", sink, no_empty=True)
        if compiled is None:
            continue
        if compiled.groups < need:
            what = "两个捕获组（增减方向词和数值）" if kind == "change" else "捕获组（用圆括号括出数值）"
            sink.at("error", doc, pn, f"叙述事实 {name} 的正则表达式没有{what}，无法取出数值")
            continue
        out.append(compiled)
    return out if len(out) == len(patterns) else None


def check_regex(doc: Doc, node: yaml.Node | None, pattern: str, what: str, sink: Sink, no_empty: bool = False):
    """A pack's regex compiled within limits, or None (the problem reported at its place in the pattern)."""
    try:
        return compile_bounded(pattern, no_empty=no_empty)
    except RegexRefused as exc:
        sink.at("error", doc, node, f"{what}无效：{exc.message}", offset=exc.pos, value=pattern)
        return None


def _read_disable(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("disable")
    if raw is None:
        return
    node = child(doc.node, "disable")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "disable 应为规则 id 的列表，如 disable: [accountability-statement]")
        return
    for index, rid in enumerate(raw):
        if not isinstance(rid, str):
            sink.at("error", doc, item(node, index), "disable 中的每一项应为规则 id")
            continue
        layer.disable.append((rid, doc, item(node, index)))


def _read_letter(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("letter")
    if raw is None:
        return
    node = child(doc.node, "letter")
    if not isinstance(raw, dict):
        sink.at("error", doc, node, "letter 应为键值映射（sender、template 等信函设置）")
        return
    allowed = letter_keys()
    for key, value in raw.items():
        key = str(key)
        vnode = child(node, key)
        if key not in allowed:
            sink.at("error", doc, key_node(node, key),
                    f"信函设置中有未知的键“{key}”{suggest(key, allowed)}（可用的键：{'、'.join(allowed)}）")
            continue
        if value is None:          # "not given", as letter.py reads it
            continue
        problem = letter_value_problem(key, value)
        if problem:
            sink.at("error", doc, vnode, problem)
            continue
        if key == "template":
            folder = Path(doc.file).parent
            try:
                path = confine.confined_path(str(value), folder, "信函模板 letter.template")
            except confine.Refused as exc:
                sink.at("error", doc, vnode, exc.message)
                continue
            if not path.is_file():
                sink.at("warning", doc, vnode, f"找不到信函模板文件“{value}”（相对于规则包文件所在目录），"
                                               f"生成信函时将报错")
            layer.letter_template = (str(path), str(folder))
        layer.letter[key] = value


def _read_verdict(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("verdict")
    if raw is None:
        return
    node = child(doc.node, "verdict")
    shape = "verdict 应为列表，每一项为 {when: 条件表达式, verdict: 结论}，最后一项可省略 when"
    if layer.verdict is not None:
        sink.at("error", doc, node, "同一规则包的多个文件声明了 verdict，只能在一个文件中声明")
        return
    if not isinstance(raw, list) or not raw:
        sink.at("error", doc, node, shape)
        return
    out: list[tuple[str | None, str, str]] = []
    for index, entry in enumerate(raw):
        enode = item(node, index)
        if not isinstance(entry, dict):
            sink.at("error", doc, enode, shape)
            continue
        for key in entry:
            if key not in VERDICT_KEYS:
                sink.at("error", doc, key_node(enode, str(key)),
                        f"verdict 中有未知的键“{key}”{suggest(key, VERDICT_KEYS)}（可用的键：when、verdict）")
        label, when = entry.get("verdict"), entry.get("when")
        if not isinstance(label, str) or not label.strip():
            sink.at("error", doc, child(enode, "verdict") or enode, "verdict 中每一项都应有 verdict（结论，文字）")
            continue
        if when is None and index != len(raw) - 1:
            sink.at("error", doc, enode, f"verdict 的第 {index + 1} 项缺少 when：只有最后一项可以省略 when")
            continue
        if when is not None and (not isinstance(when, str) or not when.strip()):
            sink.at("error", doc, child(enode, "when"), "verdict 中的 when 应为条件表达式（文字）")
            continue
        line, col = position(doc, enode)
        out.append((when, label, f"{shown(doc.file)}:{line}:{col}"))
    layer.verdict = out


def _read_rules(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw = doc.data.get("rules")
    if raw is None:
        return
    node = child(doc.node, "rules")
    if not isinstance(raw, list):
        sink.at("error", doc, node, "rules 应为规则的列表（每条规则以“- id:”开头）")
        return
    for index, entry in enumerate(raw):
        enode = item(node, index)
        if not isinstance(entry, dict):
            sink.at("error", doc, enode, "rules 中的每一项都应为一条规则（键值映射，以“- id:”开头）")
            continue
        data = dict(entry)
        rid = data.get("id")
        if rid is None:
            sink.at("error", doc, enode, "规则缺少 id")
            continue
        if not isinstance(rid, str) or not rid.strip():
            sink.at("error", doc, child(enode, "id"), "规则 id 应为文字（如 table3-balance）")
            continue
        if not regex.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", rid):
            sink.at("warning", doc, child(enode, "id"),
                    f"规则 id “{rid}”宜只用英文字母、数字、连字符，便于在命令行和 disable 中引用")
        dup = next((e for e in layer.entries if e.id == rid), None)
        if dup is not None:
            sink.at("error", doc, child(enode, "id"),
                    f"规则 id “{rid}” 重复（另见 {shown(dup.doc.file)}:{dup.node.start_mark.line + 1}），"
                    f"同一规则包中每条规则的 id 应各不相同")
            continue
        for key in list(data):
            if key not in RULE_KEYS:
                sink.at("error", doc, key_node(enode, str(key)),
                        f"规则 {rid} 中有未知的键“{key}”{suggest(key, RULE_KEYS)}（可用的键：{'、'.join(RULE_KEYS)}）")
                del data[key]
        entry_ = Entry(rid, layer.name, doc, enode, data)
        _check_rule_entry(entry_, sink)
        layer.entries.append(entry_)


def _invalid(entry: Entry, key: str) -> None:
    """A key whose value is wrong (already reported): the rule is not compiled, nor reported as missing it."""
    entry.invalid.add(key)
    entry.data[key] = None


def _check_rule_entry(entry: Entry, sink: Sink) -> None:
    """Checks of one rule entry that need neither inheritance nor a template. Bad values are dropped."""
    rid, data, doc, node = entry.id, entry.data, entry.doc, entry.node
    for key in TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            value = data[key]
            if value is None:
                sink.at("error", doc, child(node, key), f"规则 {rid} 的 {key} 没有内容")
            else:
                hint = "（请整体加引号）" if not isinstance(value, (dict, list)) else ""
                sink.at("error", doc, child(node, key), f"规则 {rid} 的 {key} 应为文字{hint}")
            _invalid(entry, key)
    if "category" in data and data["category"] is not None and data["category"] not in CATEGORIES:
        cat = data["category"]
        _invalid(entry, "category")
        sink.at("error", doc, child(node, "category"),
                f"规则 {rid} 的类别“{cat}”不在固定类别之中{suggest(cat, CATEGORIES)}"
                f"（可用的类别：{'、'.join(CATEGORIES)}）")
    if "severity" in data and data["severity"] is not None and data["severity"] not in SEVERITIES:
        sev = data["severity"]
        _invalid(entry, "severity")
        sink.at("error", doc, child(node, "severity"),
                f"规则 {rid} 的级别“{sev}”无效，应为 error（错误）、warning（警告）或 info（提示）")
    if "disabled" in data and not isinstance(data["disabled"], bool):
        sink.at("error", doc, child(node, "disabled"), f"规则 {rid} 的 disabled 应为 true 或 false")
        _invalid(entry, "disabled")
    for key in ("for_each_row", "for_each_cell", "from_notes"):
        if key in data:
            items = data[key] if isinstance(data[key], list) else [data[key]]
            if not items or not all(isinstance(v, str) and v for v in items):
                sink.at("error", doc, child(node, key), f"规则 {rid} 的 {key} 应为一个名称或名称的列表")
                _invalid(entry, key)
    if isinstance(data.get("from_notes"), (str, list)):
        notes = data["from_notes"] if isinstance(data["from_notes"], list) else [data["from_notes"]]
        nnode = child(node, "from_notes")
        for index, cat in enumerate(notes):
            if cat.partition(":")[0] not in CATEGORIES:
                where = item(nnode, index) if isinstance(data["from_notes"], list) else nnode
                sink.at("error", doc, where, f"规则 {rid} 的 from_notes 类别“{cat}”不在固定类别之中"
                                             f"{suggest(cat.partition(':')[0], CATEGORIES)}")
                _invalid(entry, "from_notes")
                break
    if isinstance(data.get("locate"), str):
        if check_regex(doc, child(node, "locate"), data["locate"], f"规则 {rid} 的 locate 正则表达式", sink) is None:
            _invalid(entry, "locate")
    if "tests" in data:
        _check_cases(entry, sink)


def _check_cases(entry: Entry, sink: Sink) -> None:
    rid, tests, doc = entry.id, entry.data["tests"], entry.doc
    tnode = child(entry.node, "tests")
    if not isinstance(tests, list):
        sink.at("error", doc, tnode, f"规则 {rid} 的 tests 应为测试用例的列表")
        _invalid(entry, "tests")
        return
    for index, case in enumerate(tests, start=1):
        cnode = item(tnode, index - 1)
        head = f"规则 {rid} 的第 {index} 个测试用例"
        if not isinstance(case, dict):
            sink.at("error", doc, cnode, f"{head}应为键值映射（expect、facts 等）")
            entry.bad_cases.add(index)
            continue
        for key in case:
            if key not in CASE_KEYS:
                sink.at("warning", doc, key_node(cnode, str(key)),
                        f"{head}中有未知的键“{key}”{suggest(key, CASE_KEYS)}（可用的键：{'、'.join(CASE_KEYS)}），该键不起作用")
        problems = []
        if case.get("expect") not in EXPECT_CN:
            problems.append((child(cnode, "expect") or cnode,
                             f"{head}的 expect 应为 pass（应通过）、fail（应发现问题）或 unknown（无法检查）"))
        if "facts" in case and not isinstance(case["facts"], dict):
            problems.append((child(cnode, "facts"), f"{head}的 facts 应为键值映射"))
        for key in ("zeros", "notes"):
            if key in case and not isinstance(case[key], list):
                problems.append((child(cnode, key), f"{head}的 {key} 应为列表"))
        for spec in case.get("notes") if isinstance(case.get("notes"), list) else []:
            if str(spec).partition(":")[0] not in CATEGORIES:
                problems.append((child(cnode, "notes"), f"{head}中的解析记录类别“{spec}”不在固定类别之中"))
        for where, message in problems:
            sink.at("error", doc, where, message)
        if problems:
            entry.bad_cases.add(index)


# ---------------------------------------------------------------------------
# Inheritance
def _resolve(layer: Layer, sink: Sink) -> Resolved:
    chain = list(reversed(layer.chain()))       # deepest base first
    template = next((l.template for l in reversed(chain) if l.template), None)
    params: dict[str, Any] = {}
    param_src: dict[str, list] = {}
    narrative: dict[str, NarrEntry] = {}
    rules: dict[str, ResolvedRule] = {}
    disabled: dict[str, tuple[str, Doc, yaml.Node | None]] = {}
    letter: dict[str, Any] = {}
    letter_template = None
    verdict: list = []
    for l in chain:
        for key, (value, doc, node) in l.params.items():
            if key in params and value_kind(params[key]) != value_kind(value):
                sink.at("error", doc, node, f"参数 {key} 在被继承的规则包中为{value_kind_cn(params[key])}"
                                            f"（{params[key]!r}），此处为{value_kind_cn(value)}（{value!r}），类型不一致")
                continue
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
                r.data.update(e.data)
                r.src.update({k: e for k in e.data})
                r.entries.append(e)
            else:
                rules[e.id] = ResolvedRule(e.id, dict(e.data), {k: e for k in e.data}, [e])
            if e.data.get("disabled") is True:
                disabled[e.id] = (l.name, e.doc, child(e.node, "disabled"))
            elif e.data.get("disabled") is False:
                disabled.pop(e.id, None)
        letter.update(l.letter)
        if "template" in l.letter:
            letter_template = l.letter_template
        if l.verdict is not None:
            verdict = l.verdict
    res = Resolved(layer, template, params, param_src, narrative, rules, disabled, letter, letter_template, verdict)
    for rid, doc, node in layer.disable:
        if rid not in rules:
            sink.at("warning", doc, node, f"disable 中的规则 id “{rid}”不存在{suggest(rid, rules)}，该项不起作用")
    base_ids = {e.id for l in chain[:-1] for e in l.entries}
    res.ready = {r.id for r in rules.values() if _check_rule_keys(r, res, base_ids, sink)}
    return res


def _check_rule_keys(rule: ResolvedRule, res: Resolved, base_ids: set[str], sink: Sink) -> bool:
    """Required keys and combinations, after inheritance. True when the rule can be compiled."""
    d = rule.data
    doc, node = rule.at()
    invalid = rule.invalid
    ok = not invalid
    missing = [k for k in REQUIRED_KEYS if not d.get(k) and k not in invalid]
    if missing:
        ok = False
        if (res.layer.base is not None and rule.first.layer == res.layer.name and rule.id not in base_ids
                and len(missing) >= 3):
            # Most likely an override by id whose id is not in the base: say that, once.
            sink.at("error", doc, node, f"被继承的规则包中没有 id 为“{rule.id}”的规则{suggest(rule.id, base_ids)}；"
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
        sink.at("error", *rule.at("for_each_cell"), f"规则 {rule.id} 不能同时有 for_each_row 和 for_each_cell")
        ok = False
    if d.get("from_notes"):
        for key in ("when", "for_each_row", "for_each_cell", "locate"):
            if d.get(key):
                sink.at("warning", *rule.at(key), f"规则 {rule.id} 由解析记录（from_notes）产生，{key} 对它不起作用")
    if ok and rule.last.doc.file in sink.own_files:
        tests = d.get("tests") or []
        if not tests and "tests" not in invalid:
            sink.at("warning", doc, node, f"规则 {rule.id} 没有测试用例（tests），无法确认它按预期工作")
        elif tests and not any(isinstance(c, dict) and c.get("expect") == "fail" for c in tests):
            sink.at("warning", *rule.at("tests"),
                    f"规则 {rule.id} 的测试用例中没有 expect: fail 的用例，无法确认它能发现问题")
    return ok
