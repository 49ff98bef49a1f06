"""`nianbao rules diff`: what changes between two packs, by rule id, plus their parameters,
narrative facts and template names; `format_diff` writes it for a person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import regex

from ..findings import CATEGORY_CN, SEVERITY_CN
from ..template import Template, describe, load_template
from .catalogue import KEY_CN, section_cn, show
from .pack import NarrativeSpec
from .reader import read_pack
from .schema import NARRATIVE_KINDS, value_kind

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
    sa, sb = read_pack(a), read_pack(b)
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
            out.append(RuleChange(key, "added", f"参数 {key}", [show(sb.params[key])], "param"))
        elif key not in sb.params:
            out.append(RuleChange(key, "removed", f"参数 {key}", [show(sa.params[key])], "param"))
        elif sa.params[key] != sb.params[key] or value_kind(sa.params[key]) != value_kind(sb.params[key]):
            out.append(RuleChange(key, "changed", f"参数 {key}",
                                  [f"{show(sa.params[key])} → {show(sb.params[key])}"], "param"))
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
        label = KEY_CN.get(key, {"for_each": "逐项范围"}.get(key, key))
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
    if _norm(ta) != _norm(tb):
        out.append(f"测试用例已修改（{len(ta)} 个 → {len(tb)} 个）")
    return out


def _narrative_summary(n: NarrativeSpec) -> list[str]:
    return [f"所在部分：{section_cn(n.section, None)}；类型：{NARRATIVE_KINDS.get(n.kind, n.kind)}"] + [
        f"正则：{p.pattern}" for p in n.patterns]


def _narrative_details(a: NarrativeSpec, b: NarrativeSpec) -> list[str]:
    out = []
    if a.label != b.label:
        out.append(f"说明：{a.label} → {b.label}")
    if a.section != b.section:
        out.append(f"所在部分：{section_cn(a.section, None)} → {section_cn(b.section, None)}")
    if a.kind != b.kind:
        out.append(f"类型：{NARRATIVE_KINDS.get(a.kind, a.kind)} → {NARRATIVE_KINDS.get(b.kind, b.kind)}")
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
