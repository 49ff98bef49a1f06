"""Compile a resolved pack against its template: expressions, messages, per-row/per-cell scopes.

`compile_pack(source)` gives the Pack the engine runs (raising the first problem);
`compile_rule(rule, env, sink)` is the same step for one rule, used by the linter
with a collecting sink (and against every template, for a shared base pack).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import jinja2
import yaml

from ..errors import PackError
from ..lang import RuleError, Schema, compile_expr
from ..template import Template, load_template
from ..bounded_regex import compile_bounded
from .confine import available_packs
from .explain import jinja_error_cn, suggest
from .pack import Message, NarrativeSpec, Pack, Rule, base_schema, expand_names, make_jinja
from .reader import Resolved, ResolvedRule
from .sink import Sink
from .yamlpos import block_scalar, caret, item, position, style


@dataclass
class Env:
    """One template a pack's rules are compiled against."""

    template: Template
    schema: Schema
    vectors: list[str]
    cells: list[str]                 # sections, meta names and table cells, in template order
    jinja: jinja2.Environment


def make_env(template: Template, params: dict[str, Any], narrative: list[NarrativeSpec]) -> Env:
    cells = [n for group in template.table_cells().values() for n in group]
    scalars = list(dict.fromkeys([f"section{i}" for i in range(1, 7)]
                                 + ["meta.agency", "meta.year", "meta.date", "meta.level"] + cells))
    return Env(template, base_schema(template, params, narrative), list(template.vectors()), scalars, make_jinja())


def compile_pack(source: Resolved) -> Pack:
    """The Pack the engine runs; raises PackError (file:line:col) at the first problem."""
    if source.template is None:
        others = ", ".join(p for p in available_packs() if p != source.name)
        raise PackError(source.name, f"规则包 {source.name} 是供其他规则包继承的公共基础包，没有模板版本，"
                                     f"不能直接用于检查；请使用 {others}")
    env = make_env(load_template(source.template), source.params, source.narrative)
    sink = Sink(collect=False)
    rules = [compile_rule(rule, env, sink) for rule in source.rules]
    letter_template, letter_folder = source.letter_template or (None, None)
    return Pack(
        name=source.name, chain=source.chain, files=source.files, template=env.template,
        description=source.description, params=source.params, narrative=source.narrative,
        rules=[r for r in rules if r is not None], disabled=source.disabled, letter=dict(source.letter),
        schema=env.schema, verdict=list(source.verdict), letter_template=letter_template, letter_folder=letter_folder,
    )


def rule_scope(rule: ResolvedRule, env: Env) -> tuple[str, list[str]]:
    """What a rule's message sees ("plain", "row", "cell" or "notes") and the columns `row` has."""
    d = rule.data
    if d.get("from_notes"):
        return "notes", list(env.template.table3_columns)
    if d.get("for_each_row"):
        matched = expand_names(_as_list(d["for_each_row"]), env.vectors)
        cols = env.template.vectors()[matched[0]] if matched else env.template.table3_columns
        return "row", list(cols)
    if d.get("for_each_cell"):
        return "cell", list(env.template.table3_columns)
    return "plain", list(env.template.table3_columns)


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def compile_rule(rule: ResolvedRule, env: Env, sink: Sink, ready: bool = True) -> Rule | None:
    """One rule compiled against `env`; its problems go to the sink. None when it cannot be compiled
    (a problem reported here, or `ready` False: its keys had problems the reader reported)."""
    d = rule.data
    before = sink.errors()
    schema, for_each = _scope(rule, env, sink)
    exprs: dict[str, Any] = {}
    for key in ("check", "when"):
        if isinstance(d.get(key), str) and d[key].strip():
            exprs[key] = _compile_expression(rule, key, schema, sink)
    message = _compile_message(rule, env, sink)
    basis = _render_basis(rule, env, sink)
    if sink.errors() > before or not ready or message is None or basis is None:
        return None
    if d.get("check") and exprs.get("check") is None:
        return None
    return Rule(
        id=rule.id, title=str(d["title"]), category=d["category"], severity=d["severity"], basis=basis,
        file=rule.file, line=rule.line, check=exprs.get("check"), when=exprs.get("when"), message=message,
        message_source=str(d["message"]), from_notes=tuple(_as_list(d["from_notes"])) if d.get("from_notes") else (),
        for_each=for_each, locate=compile_bounded(d["locate"]) if d.get("locate") else None,
        tests=copy.deepcopy(d.get("tests") or []), data=dict(d), headline=d.get("headline"),
        reviewer_only=bool(d.get("reviewer_only", False)),
    )


def _scope(rule: ResolvedRule, env: Env, sink: Sink) -> tuple[Schema, tuple[str, list[str]] | None]:
    """The schema a per-row/per-cell rule is checked in, and the names it runs over."""
    d = rule.data
    if d.get("from_notes"):
        return env.schema, None
    for key, var in (("for_each_row", "row"), ("for_each_cell", "cell")):
        if not d.get(key):
            continue
        patterns = _as_list(d[key])
        universe = env.vectors if var == "row" else env.cells
        doc, node = rule.at(key)
        empty = [p for p in patterns if not expand_names([p], universe)]
        what = "表三的行" if var == "row" else "单元格或章节"
        for p in empty:
            pnode = item(node, patterns.index(p)) if isinstance(d[key], list) else node
            severity = "error" if len(empty) == len(patterns) else "warning"
            hint = "" if "*" in p else suggest(p, universe)
            sink.at(severity, doc, pnode, f"规则 {rule.id} 的 {key} 中“{p}”没有匹配到任何{what}{hint}",
                    load_message=f"规则 {rule.id} 的 {key} 没有匹配到任何名称：{patterns}")
        names = expand_names(patterns, universe)
        if not names:
            return env.schema, None
        if var == "row":
            shapes = {tuple(env.template.vectors()[n]) for n in names}
            if len(shapes) > 1:
                sink.at("error", doc, node, f"规则 {rule.id} 的 {key} 匹配到的行列数不同（如表二与表三的行），"
                                            f"请分成两条规则")
                return env.schema, None
            schema = Schema(scalars=env.schema.scalars, vectors={**env.schema.vectors, "row": list(shapes.pop())},
                            allow_prev=True)
        else:
            schema = Schema(scalars=env.schema.scalars | {"cell"}, vectors=env.schema.vectors, allow_prev=True)
        return schema, (var, names)
    return env.schema, None


def _compile_expression(rule: ResolvedRule, key: str, schema: Schema, sink: Sink) -> Any:
    """A check/when expression, which must be a condition; errors at the file's own line and column."""
    doc, node = rule.at(key)
    text = rule.data[key]

    def report(file_line: int, file_col: int, exc: RuleError) -> None:
        sink.add("error", doc.file, file_line, file_col, f"规则 {rule.id} 的 {key}：{exc.message}",
                 caret(doc.lines, file_line, file_col), load_message=f"{exc.message}（规则 {rule.id} 的 {key}）")

    block = block_scalar(doc.lines, node) if style(node) in ("|", ">") and node is not None else None
    if block is not None:
        # A block scalar: compile its lines as written, so positions are the file's own.
        try:
            return compile_expr(block[0], schema, origin=(doc.file, block[1], block[2], key), expect="bool")
        except RuleError as exc:
            report(exc.line, exc.col, exc)
            return None
    single = isinstance(node, yaml.ScalarNode) and node.start_mark.line == node.end_mark.line and "\n" not in text
    line, col = position(doc, node, 0, text)
    try:
        return compile_expr(text, schema, origin=(doc.file, line if single else 1, col if single else 1, key),
                            expect="bool")
    except RuleError as exc:
        if single:
            report(exc.line, exc.col, exc)
        else:
            offset = _line_offset(text, exc.line) + exc.col - 1
            report(*position(doc, node, offset, text), exc)
        return None


def _line_offset(text: str, lineno: int | None) -> int:
    """Character offset where line `lineno` (1-based) of `text` starts."""
    offset = 0
    for _ in range(max(0, (lineno or 1) - 1)):
        nl = text.find("\n", offset)
        if nl < 0:
            break
        offset = nl + 1
    return offset


def _compile_message(rule: ResolvedRule, env: Env, sink: Sink) -> Any:
    text = rule.data.get("message")
    if not isinstance(text, str):
        return None
    try:
        return Message.compile(env.jinja, text)
    except jinja2.TemplateSyntaxError as exc:
        doc, node = rule.at("message")
        sink.at("error", doc, node, f"规则 {rule.id} 的 message 模板有语法错误：{jinja_error_cn(exc)}",
                offset=_line_offset(text, exc.lineno), value=text)
        return None


def _render_basis(rule: ResolvedRule, env: Env, sink: Sink) -> str | None:
    """A shared rule names the template it is checked against: {{ template_basis }}."""
    text = rule.data.get("basis")
    if not isinstance(text, str):
        return None
    doc, node = rule.at("basis")
    try:
        return env.jinja.from_string(text).render(template_basis=env.template.basis, template=env.template.version)
    except jinja2.TemplateSyntaxError as exc:
        sink.at("error", doc, node, f"规则 {rule.id} 的 basis 模板有语法错误：{jinja_error_cn(exc)}",
                offset=_line_offset(text, exc.lineno), value=text)
    except jinja2.TemplateError as exc:
        sink.at("error", doc, node, f"规则 {rule.id} 的 basis 模板无法展开：{exc}"
                                    f"（basis 中只能使用 {{{{ template_basis }}}} 和 {{{{ template }}}}）")
    return None
