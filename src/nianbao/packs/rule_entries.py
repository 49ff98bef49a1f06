"""Rules as written in a pack: one entry per file that defines or overrides a rule, and the rule
after inheritance. Their keys are checked here (part of the one reader, reader.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import regex
import yaml

from ..bounded_regex import RegexRefused, compile_bounded
from .explain import suggest
from .schema import CASE_KEYS, CATEGORIES, EXPECT_CN, REQUIRED_KEYS, RULE_KEYS, SEVERITIES, TEXT_KEYS
from .sink import Sink, shown
from .yamlpos import Doc, child, item, key_node, mappings, section


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


def check_regex(doc: Doc, node: yaml.Node | None, pattern: str, what: str, sink: Sink, no_empty: bool = False):
    """A pack's regex compiled within limits, or None (the problem reported at its place in the pattern)."""
    try:
        return compile_bounded(pattern, no_empty=no_empty)
    except RegexRefused as exc:
        sink.at("error", doc, node, f"{what}无效：{exc.message}", offset=exc.pos, value=pattern)
        return None


def read_rules(layer: str, entries: list[Entry], doc: Doc, sink: Sink) -> None:
    """The rule entries of one file of pack `layer`, appended to `entries` (the layer's so far)."""
    raw, node = section(doc, "rules", list, "rules 应为规则的列表（每条规则以“- id:”开头）", sink)
    if raw is None:
        return
    for _, entry, enode in mappings(doc, node, raw, "rules 中的每一项都应为一条规则（键值映射，以“- id:”开头）", sink):
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
        dup = next((e for e in entries if e.id == rid), None)
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
        entry_ = Entry(rid, layer, doc, enode, data)
        _check_rule_entry(entry_, sink)
        entries.append(entry_)


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
    for key in ("disabled", "reviewer_only"):
        if key in data and not isinstance(data[key], bool):
            sink.at("error", doc, child(node, key), f"规则 {rid} 的 {key} 应为 true 或 false")
            _invalid(entry, key)
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


def check_rule_keys(rule: ResolvedRule, layer: str, has_base: bool, base_ids: set[str], sink: Sink) -> bool:
    """Required keys and combinations, after inheritance. True when the rule can be compiled."""
    d = rule.data
    doc, node = rule.at()
    invalid = rule.invalid
    ok = not invalid
    missing = [k for k in REQUIRED_KEYS if not d.get(k) and k not in invalid]
    if missing:
        ok = False
        if (has_base and rule.first.layer == layer and rule.id not in base_ids
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
