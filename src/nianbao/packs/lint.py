"""`nianbao rules lint`: every problem of a pack at once, each with file:line:col.

The same reader and compiler as loading (reader.py, compile.py), with a sink that
collects instead of raising, so a pack the linter passes without errors is one
`nianbao check` loads. On top, what only a linter says: parameters and narrative
facts no rule uses, names in message templates that are not the template's, test
case facts of the wrong shape, and the rules' inline test cases run.
"""
from __future__ import annotations

from typing import Any

import regex
from jinja2 import meta as jinja_meta
from jinja2 import nodes as jnodes

from ..errors import PackError
from ..template import available_templates, load_template
from .compile import Env, compile_pack, compile_rule, make_env, rule_scope
from .explain import suggest
from .pack import Pack, Rule, expand_names
from .reader import Resolved, ResolvedRule, read_pack
from .schema import EXPECT_CN
from .sink import LintProblem, Sink, sorted_problems
from .yamlpos import child, item, key_node

GOT_CN = {"pass": "通过", "fail": "发现问题", "unknown": "无法检查", "error": "运行出错", "-": "未运行"}
# Variables a message template gets besides the report's data, by kind of rule (engine._render).
_MESSAGE_COMMON = {"values", "label", "where", "quote", "value", "params", "copied"}
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


def lint_pack(ref: str) -> list[LintProblem]:
    """Every problem of the pack `ref` (a name or a path), errors and warnings.

    Never raises for a problem in the pack: a pack that cannot even be found is
    one problem. Problems in the files of packs it extends are reported too when
    they are errors (they break this pack as well); warnings only for its own files.
    """
    sink = Sink(collect=True)
    source = read_pack(ref, sink)
    if source is None:
        return sorted_problems(sink.problems)
    try:
        _lint_resolved(source, sink)
    except Exception as exc:  # noqa: BLE001 - the linter reports, it never crashes on a pack
        sink.add("error", source.layer.files[0], 0, 0, f"检查规则包时出现内部错误（{type(exc).__name__}: {exc}），"
                                                      f"请把该规则包文件提供给维护人员")
    if not sink.errors():
        # Safety net: what the linter passes, the loader must load.
        try:
            loaded = read_pack(ref)
            if loaded is not None and loaded.template is not None:
                compile_pack(loaded)
        except PackError as exc:
            sink.from_pack_error(exc)
    return sorted_problems(sink.problems)


def _lint_resolved(res: Resolved, sink: Sink) -> None:
    layer = res.layer
    base_params = {k for l in layer.chain()[1:] for k in l.params}
    texts = " ".join(str(r.data.get(k, "")) for r in res.rules for k in ("check", "when", "message"))
    texts += " ".join(str(w or "") for w, _, _ in res.verdict)
    for key, (_, doc, node) in layer.params.items():
        if key not in base_params and not regex.search(rf"params\.{regex.escape(key)}\b", texts):
            sink.at("warning", doc, key_node(child(doc.node, "params"), key) or node, f"参数 {key} 没有被任何规则使用")
    for rule in res.rules:
        # Pages, spreadsheets and letters head a finding with the problem, not the requirement:
        # a rule this pack defines must say it (the loader falls back to the title).
        if rule.first.layer == layer.name and not rule.data.get("headline") and "headline" not in rule.invalid:
            sink.at("error", *rule.at(), f"规则 {rule.id} 缺少 headline（问题标题：简短写明问题，如“未标注落款日期”；"
                                         f"title 写要求，headline 写问题）")
    for n in layer.narrative:
        if n.spec is not None and not regex.search(rf"{regex.escape(n.name)}\b", texts):
            sink.at("warning", n.doc, child(n.node, "name") or n.node, f"叙述事实 {n.name} 没有被任何规则使用")
    if res.template is not None:
        versions = [res.template]
    elif layer.abstract:
        versions = available_templates()
    else:
        return
    runs: list[tuple[str, list[LintProblem]]] = []
    for version in versions:
        try:
            env = make_env(load_template(version), res.params, res.narrative)
        except PackError as exc:
            sink.from_pack_error(exc)
            continue
        local = Sink(collect=True)
        local.own_files = sink.own_files
        _lint_against(env, res, local)
        runs.append((version, local.problems))
    _merge_runs(runs, sink)


def _merge_runs(runs: list[tuple[str, list[LintProblem]]], sink: Sink) -> None:
    """Problems found compiling against several templates (a shared base pack): each once, naming where."""
    found: dict[tuple, tuple[LintProblem, list[str]]] = {}
    for version, problems in runs:
        for p in problems:
            key = (p.severity, p.file, p.line, p.col, p.message)
            found.setdefault(key, (p, []))[1].append(version)
    for p, versions in found.values():
        message = p.message
        if len(runs) > 1 and len(versions) < len(runs):
            message += f"（按模板 {'、'.join(versions)} 检查时）"
        sink.add(p.severity, p.file, p.line, p.col, message, p.context)


def _lint_against(env: Env, res: Resolved, sink: Sink) -> None:
    """Checks that need the template: every rule's expressions and templates; the rules whose keys
    are complete (res.ready) are compiled as a whole and have their test cases run."""
    compiled: list[tuple[ResolvedRule, Rule]] = []
    for rule in res.rules:
        before = sink.errors()
        try:
            done = compile_rule(rule, env, sink, ready=rule.id in res.ready)
            kind, row_cols = rule_scope(rule, env)
            if isinstance(rule.data.get("message"), str):
                _lint_message(rule, env, kind, sink, row_cols)
            _lint_case_facts(rule, env, sink)
        except Exception as exc:  # noqa: BLE001 - one odd rule must not stop the others being checked
            doc, node = rule.at()
            sink.at("error", doc, node, f"检查规则 {rule.id} 时出现内部错误（{type(exc).__name__}: {exc}）")
            continue
        if done is not None and sink.errors() == before:
            compiled.append((rule, done))
    if not compiled:
        return
    from ..packtests import run_rule_cases
    pack = Pack(name=res.name, chain=res.chain, files=[], template=env.template, description=res.description,
                params=res.params, narrative=[], rules=[r for _, r in compiled], disabled=set(), letter={},
                schema=env.schema)
    for rule, compiled_rule in compiled:
        _lint_cases(rule, compiled_rule, pack, res, sink, run_rule_cases)


def _lint_message(rule: ResolvedRule, env: Env, kind: str, sink: Sink, row_cols: list[str]) -> None:
    doc, node = rule.at("message")
    text = rule.data["message"]
    try:
        ast = env.jinja.parse(text)
    except Exception:  # noqa: BLE001 - a syntax error is reported by compile_rule
        return

    def at_word(word: str, message: str) -> None:
        m = regex.search(rf"(?<![\w.]){regex.escape(word)}(?!\w)", text)
        sink.at("error", doc, node, message, offset=m.start() if m else None, value=text)

    available = _MESSAGE_COMMON | _MESSAGE_BY_KIND[kind] | set(env.jinja.globals) | _DATA_ROOTS
    available |= {n.split(".", 1)[0] for n in env.schema.scalars}
    for name in sorted(jinja_meta.find_undeclared_variables(ast)):
        if name in available:
            continue
        if name in _MESSAGE_ONLY_IN:
            at_word(name, f"规则 {rule.id} 的 message 使用了变量 {name}，它只在 {_MESSAGE_ONLY_IN[name]}中可用")
        else:
            at_word(name, f"规则 {rule.id} 的 message 使用了未知变量 {name}"
                          f"{suggest(name, available - set(env.jinja.globals))}")
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
                                f"{suggest(parts[0], row_cols)}（可用的列：{'、'.join(row_cols)}）")
            continue
        if root not in _DATA_ROOTS:
            continue
        bare = dotted[5:] if dotted.startswith("prev.") else dotted
        if bare in known or bare in prefixes:
            continue
        at_word(dotted, f"规则 {rule.id} 的 message 中的名称 {dotted} 不是模板中的名称"
                        f"{suggest(bare, known)}（报告中会原样显示为英文名称）")
    for call in ast.find_all(jnodes.Call):
        if (isinstance(call.node, jnodes.Name) and call.node.name in ("where", "quote", "label", "value")
                and call.args and isinstance(call.args[0], jnodes.Const) and isinstance(call.args[0].value, str)):
            name = call.args[0].value
            bare = name[5:] if name.startswith("prev.") else name
            if bare not in known:
                at_word(name, f"规则 {rule.id} 的 message 中 {call.node.name}(\"{name}\") 的名称不是模板中的名称"
                              f"{suggest(bare, known)}")


def _lint_case_facts(rule: ResolvedRule, env: Env, sink: Sink) -> None:
    """The names and shapes of the facts a rule's test cases give."""
    tests = rule.data.get("tests") or []
    if not isinstance(tests, list) or not tests:
        return
    doc, tnode = rule.at("tests")
    bad = rule.bad_cases
    vectors = env.template.vectors()
    names = set(env.schema.scalars) | set(vectors)
    for index, case in enumerate(tests, start=1):
        cnode = item(tnode, index - 1)
        if not isinstance(case, dict) or index in bad:
            continue
        fnode = child(cnode, "facts")
        for name, value in (case.get("facts") or {}).items():
            name = str(name)
            bare = name[5:] if name.startswith("prev.") else name
            where = key_node(fnode, name) or fnode
            head = f"规则 {rule.id} 的第 {index} 个测试用例中"
            if bare.startswith("params."):
                sink.at("warning", doc, where, f"{head}的 {name} 不起作用：参数取自规则包的 params")
            elif bare not in names:
                sink.at("error", doc, where, f"{head}的名称 {name} 不是模板中的名称{suggest(bare, names)}")
            elif bare in vectors and isinstance(value, list) and len(value) != len(vectors[bare]):
                sink.at("error", doc, where, f"{head} {name} 应有 {len(vectors[bare])} 个数值"
                                             f"（{'、'.join(env.template.table3_column_labels)}），实际给出 {len(value)} 个")
            elif bare in vectors and not isinstance(value, list):
                sink.at("error", doc, where, f"{head} {name} 是表三的一整行，应写成 {len(vectors[bare])} 个数值的列表，"
                                             f"或写到具体的列（如 {name}.total）")
            elif bare not in vectors and isinstance(value, (list, dict)):
                sink.at("error", doc, where, f"{head} {name} 是单个单元格，值不能是列表或映射")
        for pattern in case.get("zeros") or []:
            if not expand_names([str(pattern)], list(vectors)):
                sink.at("warning", doc, child(cnode, "zeros"),
                        f"规则 {rule.id} 的第 {index} 个测试用例中 zeros 的“{pattern}”没有匹配到表三的任何一行")


def _lint_cases(rule: ResolvedRule, compiled: Rule, pack: Pack, res: Resolved, sink: Sink,
                run_rule_cases: Any) -> None:
    """Run a rule's inline test cases; each failing case is an error at the case."""
    if not rule.data.get("tests"):
        return
    doc, tnode = rule.at("tests")
    entry = rule.src.get("tests")
    bad = rule.bad_cases
    changed_here = rule.last.layer == res.name or bool(res.layer.params)
    inherited_cases = entry is not None and entry.layer != res.name and changed_here
    for result in run_rule_cases(pack, compiled):
        if result.index in bad:
            continue
        cnode = item(tnode, result.index - 1)
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
            mdoc, mnode = rule.at("message")
            sink.at("error", mdoc, mnode, f"规则 {rule.id} 的 message 在第 {result.index} 个测试用例中无法生成："
                                          f"{result.detail}")
