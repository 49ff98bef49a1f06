"""`nianbao rules doc`: a self-contained, printable HTML catalogue of a pack's rules, inherited ones included.

Each rule shows where it comes from (the pack that defines it, the packs that
override it or disable it), its expressions, message and test cases, in Chinese.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
import regex

from ..findings import CATEGORY_CN, SEVERITY_CN
from ..paths import rules_dir
from ..template import Template, describe
from .compile import compile_pack
from .reader import Resolved, ResolvedRule, read_pack
from .pack import Rule
from .schema import CATEGORIES, EXPECT_CN, NARRATIVE_KINDS, SEVERITIES

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
    source = read_pack(ref)
    pack = compile_pack(source) if source.template is not None else None
    template = pack.template if pack is not None else None
    prov = source
    compiled = {r.id: r for r in pack.rules} if pack is not None else {}
    rules = []
    for spec in source.rules:
        rules.append(_rule_view(spec, compiled.get(spec.id), prov, source, template))
    groups = []
    for cat in CATEGORIES:
        members = [r for r in rules if r["category"] == cat]
        if members:
            groups.append({"code": cat, "name": CATEGORY_CN.get(cat, cat), "rules": members,
                           "anchor": "cat-" + cat.replace(".", "-")})
    params = []
    for key, value in source.params.items():
        history = prov.param_src.get(key, [])
        set_by = history[0][0] if history else source.name
        changes = [f"{p}：{show(v)}" for p, v, *_ in history[1:]]
        params.append({"name": key, "value": show(value), "set_by": set_by,
                       "history": "；".join([f"{set_by}：{show(history[0][1])}"] + changes) if changes else ""})
    narrative = []
    for spec in source.narrative:
        owner = prov.narrative_entries.get(spec.name)
        narrative.append({"name": spec.name, "label": spec.label, "section": section_cn(spec.section, template),
                          "kind": NARRATIVE_KINDS.get(spec.kind, spec.kind), "patterns": [p.pattern for p in spec.patterns],
                          "pack": owner.layer if owner else source.name})
    counts = {
        "rules": len(rules), "disabled": sum(1 for r in rules if r["disabled"]),
        "inherited": sum(1 for r in rules if r["origin"] != source.name),
        "cases": sum(len(r["tests"]) for r in rules),
        "untested": sum(1 for r in rules if not r["tests"]),
        "by_severity": {s: sum(1 for r in rules if r["severity"] == s and not r["disabled"]) for s in SEVERITIES},
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
    """A bundled pack's file as rules/<pack>/<file>; any other as given."""
    try:
        return str(Path(path).resolve().relative_to(rules_dir().resolve().parent))
    except (ValueError, OSError):
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


def section_cn(section: str, template: Template | None) -> str:
    if section == "preamble":
        return "正文开头（标题与前言）"
    if section == "all":
        return "全文"
    if regex.fullmatch(r"section[1-6]", section):
        n = int(section[-1])
        title = template.section_title(n) if template is not None else ""
        return f"第{_SECTION_CN[n - 1]}部分" + (f"“{title}”" if title else "")
    return section


def show(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _rule_view(spec: ResolvedRule, rule: Rule | None, prov: Resolved, source: Resolved,
               template: Template | None) -> dict[str, Any]:
    d = spec.data
    pr = prov.rule_map.get(spec.id)
    origin = pr.origin_pack if pr else source.name
    overrides = []
    if pr is not None:
        for e in pr.entries[1:]:
            if e.layer != origin:
                keys = [k for k in e.data if not k.startswith("__") and k != "id"]
                overrides.append({"pack": e.layer, "what": "、".join(KEY_CN.get(k, k) for k in keys)})
    disabled_by = prov.disabled_by.get(spec.id, (None,))[0] if spec.id in source.disabled else None
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


KEY_CN = {"title": "标题", "headline": "问题摘要", "category": "类别", "severity": "级别", "basis": "依据", "check": "检查表达式",
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


def _fact_label(name: str, template: Template | None, prov: Resolved) -> str:
    bare = name[5:] if name.startswith("prev.") else name
    prefix = "上年报告" if name.startswith("prev.") else ""
    if bare.startswith("narrative."):
        n = prov.narrative_entries.get(bare)
        return f"{prefix}正文所述“{n.data.get('label', bare) if n else bare}”"
    if bare.startswith("params."):
        return f"参数 {bare[7:]}"
    if template is None:
        return name
    text = describe(template, name)
    return "" if text == name else text


def _case_view(case: dict[str, Any], template: Template | None, prov: Resolved) -> dict[str, Any]:
    facts = []
    for name, value in (case.get("facts") or {}).items():
        name = str(name)
        bare = name[5:] if name.startswith("prev.") else name
        shown = show(value)
        if isinstance(value, list) and template is not None and bare in template.vectors():
            labels = template.table3_column_labels or template.table3_columns
            shown = "，".join(f"{lab} {show(v)}" for lab, v in zip(labels, value))
        elif isinstance(value, str):
            shown = f"“{value}”"
        facts.append({"name": name, "label": _fact_label(name, template, prov), "value": shown})
    return {"expect": str(case.get("expect", "")), "expect_cn": EXPECT_CN.get(str(case.get("expect")), "（未写明）"),
            "facts": facts, "zeros": [str(z) for z in case.get("zeros") or []],
            "notes": [_note_cn(n) for n in case.get("notes") or []]}


