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
from .explain import suggest
from .pack import NarrativeSpec
from .rule_entries import Entry, ResolvedRule, check_regex, check_rule_keys, read_rules
from .schema import (MAX_EXTENDS_DEPTH, NARRATIVE_KEYS, NARRATIVE_KINDS, NARRATIVE_NAME_PATTERN, PACK_KEYS,
                     PARAM_PATTERN, SECTION_PATTERN, VERDICT_KEYS, letter_keys, letter_value_problem, value_kind,
                     value_kind_cn)
from .sink import Sink, shown
from .yamlpos import Doc, child, item, key_node, load_doc, mappings, position, section


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
        read_rules(layer.name, layer.entries, doc, sink)
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
    raw, node = section(doc, "params", dict, "params 应为键值映射（参数名: 值）", sink)
    if raw is None:
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
    raw, node = section(doc, "narrative", list, "narrative 应为列表，每一项定义一个叙述事实", sink)
    if raw is None:
        return
    for _, entry, enode in mappings(doc, node, raw, "narrative 中的每一项都应为键值映射（name、label、section、patterns 等）",
                                    sink):
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
        where = str(entry.get("section", "section1"))
        if not regex.fullmatch(SECTION_PATTERN, where):
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
            spec = NarrativeSpec(name, str(label or name), where, compiled, kind, doc.file, enode.start_mark.line + 1)
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


def _read_disable(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw, node = section(doc, "disable", list, "disable 应为规则 id 的列表，如 disable: [accountability-statement]", sink)
    if raw is None:
        return
    for index, rid in enumerate(raw):
        if not isinstance(rid, str):
            sink.at("error", doc, item(node, index), "disable 中的每一项应为规则 id")
            continue
        layer.disable.append((rid, doc, item(node, index)))


def _read_letter(layer: Layer, doc: Doc, sink: Sink) -> None:
    raw, node = section(doc, "letter", dict, "letter 应为键值映射（sender、template 等信函设置）", sink)
    if raw is None:
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
    shape = "verdict 应为列表，每一项为 {when: 条件表达式, verdict: 结论}，最后一项可省略 when"
    raw, node = section(doc, "verdict", list, shape, sink)
    if raw is None:
        return
    if layer.verdict is not None:
        sink.at("error", doc, node, "同一规则包的多个文件声明了 verdict，只能在一个文件中声明")
        return
    if not raw:
        sink.at("error", doc, node, shape)
        return
    out: list[tuple[str | None, str, str]] = []
    for index, entry, enode in mappings(doc, node, raw, shape, sink):
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
    res.ready = {r.id for r in rules.values()
                 if check_rule_keys(r, layer.name, layer.base is not None, base_ids, sink)}
    return res


