"""Evaluate a compiled pack on a report: facts in, findings out.

The facts a rule sees: the report's own (meta.*, section texts, table
cells), the pack's narrative facts pulled from the prose, the pack's
parameters (params.*), and, when last year's report is given, every fact
of that report under prev.*.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import ChainMap
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import regex

from .cells import to_number
from .findings import CheckResult, Evidence, Finding, Unchecked, plain
from .lang import evaluate, evaluate_raw
from .model import Fact, ParseNote, Report
from .packs import REGEX_TIMEOUT, Pack, Rule
from .template import column_label, describe

_MISSING_CN = {"absent": "报告中没有", "blank": "为空白", "invalid": "不是有效数值", "div_zero": "除数为零",
               "regex_timeout": "文本匹配超时"}


def _joined(paragraphs) -> tuple[str, list[int]]:
    """Paragraphs as one text (joined by newlines) and where each starts: one search per text."""
    starts, parts, offset = [], [], 0
    for para in paragraphs:
        starts.append(offset)
        parts.append(para.text)
        offset += len(para.text) + 1
    return "\n".join(parts), starts


def _at_offset(paragraphs, starts: list[int], offset: int):
    index = bisect_right(starts, offset) - 1
    para = paragraphs[index]
    return para, offset - starts[index]


def narrative_facts(report: Report, pack: Pack) -> dict[str, Fact]:
    """Figures the prose states, pulled out by the pack's patterns (first match in reading order wins)."""
    out: dict[str, Fact] = {}
    texts: dict[str, tuple[list, str, list[int]]] = {}
    for spec in pack.narrative:
        if spec.section not in texts:
            if spec.section == "preamble":
                paragraphs = list(report.preamble)
            elif spec.section == "all":
                paragraphs = list(report.preamble) + [p for n in sorted(report.sections)
                                                      for p in report.sections[n].paragraphs]
            else:
                sec = report.sections.get(int(spec.section[-1]))
                paragraphs = list(sec.paragraphs) if sec else []
            texts[spec.section] = (paragraphs, *_joined(paragraphs))
        paragraphs, text, starts = texts[spec.section]
        if text:
            fact = _first_match(spec, paragraphs, text, starts)
            if fact is not None:
                out[spec.name] = fact
    return out


def _first_match(spec, paragraphs, text: str, starts: list[int]) -> Fact | None:
    best = None
    for pattern in spec.patterns:
        try:
            m = pattern.search(text, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            continue
        while m is not None:
            groups = [g for g in m.groups() if g is not None]
            value = _narrative_value(spec.kind, groups)
            if value is not None:
                if best is None or m.start() < best[0].start():
                    best = (m, value)
                break
            try:
                # An empty match must not be searched for again at the same place (packs refuse such
                # patterns; this keeps a search finite whatever the pattern).
                m = pattern.search(text, m.end() + (m.end() == m.start()), timeout=REGEX_TIMEOUT)
            except TimeoutError:
                m = None
    if best is None:
        return None
    m, value = best
    para, local = _at_offset(paragraphs, starts, m.start())
    return Fact(spec.name, value, m.group(0), para.location_at(local))


def _narrative_value(kind: str, groups: list[str]) -> Any:
    if not groups:
        return None
    if kind == "change":
        direction, number = (groups + [""])[:2]
        value = to_number(number.strip())
        if value is None:
            return None
        value = float(value)
        return -value if any(w in direction for w in ("下降", "减少", "降低", "回落")) else value
    value = to_number(groups[-1].strip())
    if kind == "percent":
        return None if value is None else float(value)
    return value if isinstance(value, int) else None


def build_facts(report: Report, pack: Pack, previous: Report | None = None) -> dict[str, Fact]:
    facts = report.facts()
    facts.update(narrative_facts(report, pack))
    for key, value in pack.params.items():
        facts[f"params.{key}"] = Fact(f"params.{key}", value, None, None)
    if previous is not None:
        prev_facts = previous.facts()
        prev_facts.update(narrative_facts(previous, pack))
        for name, fact in prev_facts.items():
            facts[f"prev.{name}"] = fact
    return facts


class _Namespace:
    """A dotted-name prefix in a message template: `section3.new` then `.total`."""

    __slots__ = ("_ctx", "_name", "_text")

    def __init__(self, ctx: "_Context", name: str, text: str | None = None):
        self._ctx = ctx
        self._name = name
        self._text = text

    def __getattr__(self, part: str) -> Any:
        if part.startswith("_"):
            raise AttributeError(part)
        return self._ctx._resolve(f"{self._name}.{part}")

    __getitem__ = __getattr__

    def __str__(self) -> str:
        return self._text if self._text is not None else self._name

    def __contains__(self, item: Any) -> bool:
        return self._text is not None and str(item) in self._text


class _Context:
    """Lazily built rendering context shared by the rules of one report."""

    def __init__(self, pack: Pack, facts: Mapping[str, Fact], memo: "RuleMemo", report: Report | None = None,
                 previous: Report | None = None):
        self.pack = pack
        self.facts = facts
        self.memo = memo
        self.params = MappingProxyType(pack.params)    # what messages see: read-only
        self.report = report
        self.previous = previous
        self._tree: dict[str, Any] | None = None
        self._heads: tuple[set[str], set[str]] | None = None

    def heads(self) -> tuple[set[str], set[str]]:
        """The top-level names, and those of them that prefix others (`section3` of `section3.new`),
        found in one pass over the facts."""
        if self._heads is None:
            heads: set[str] = set()
            parents: set[str] = set()
            for name in self.facts:
                head, dot, _ = name.partition(".")
                heads.add(head)
                if dot:
                    parents.add(head)
            self._heads = heads, parents
        return self._heads

    def tree(self) -> dict[str, Any]:
        """Top-level names for message templates; deeper names resolve lazily (`section3.new.total`)."""
        if self._tree is None:
            self._tree = {head: self._resolve(head) for head in self.heads()[0]}
        return self._tree

    def _has_children(self, name: str) -> bool:
        if "." not in name:
            return name in self.heads()[1]
        return any(k.startswith(name + ".") for k in self.facts)

    def _resolve(self, name: str) -> Any:
        fact = self.facts.get(name)
        if fact is None:
            return _Namespace(self, name)
        if isinstance(fact.value, str) and self._has_children(name):
            # `section3` is both the section's text and the prefix of table 3's cells.
            return _Namespace(self, name, fact.value)
        return plain(fact.value)

    def label(self, name: str) -> str:
        for spec in self.pack.narrative:
            if name == spec.name:
                return f"正文所述“{spec.label}”"
            if name == "prev." + spec.name:
                return f"上年报告正文所述“{spec.label}”"
        return describe(self.pack.template, name)

    def where(self, name: str) -> str:
        fact = self.facts.get(name)
        return fact.location.describe() if fact is not None and fact.location is not None else "位置未知"

    def quote(self, name: str) -> str:
        fact = self.facts.get(name)
        return (fact.raw or "") if fact is not None else ""

    def text(self, name: str) -> str | None:
        fact = self.facts.get(name)
        return fact.value if fact is not None and isinstance(fact.value, str) else None

    def copied(self, name: str, prev_name: str | None = None, similarity: float | None = None) -> dict[str, Any]:
        """For messages: how much of a text repeats last year's (`copied("section5")`)."""
        text, previous = self.text(name), self.text(prev_name or f"prev.{name}")
        if text is None or previous is None:
            return {"share": 0.0, "sentence_share": 0.0, "copied": 0, "sentences": 0, "quotes": []}
        from . import textcompare           # only a report compared with last year's needs it (start-up)
        found = textcompare.compare(text, previous, similarity or textcompare.SIMILARITY)
        return {"share": found.share, "sentence_share": found.sentence_share, "copied": len(found.copied),
                "sentences": len(found.sentences), "quotes": [m.sentence.text for m in found.copied]}


class RuleMemo:
    """Verdicts of per-item rules that found nothing, keyed by the bound row's or cell's values.

    Such a rule is a pure function of the bound row or cell, so one verdict serves
    every item with the same values (most cells are 0). An explicit object owned by
    whoever runs the checks: one per pack, shared by the checks of that pack's
    reports (a fresh one per check_report call when none is passed); compiled rules
    hold no state of their own. Bounded per rule."""

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._quiet: dict[str, set[tuple]] = {}

    def knows(self, rule: Rule, key: tuple) -> bool:
        seen = self._quiet.get(rule.id)
        return seen is not None and key in seen

    def remember(self, rule: Rule, key: tuple) -> None:
        seen = self._quiet.setdefault(rule.id, set())
        if len(seen) > self.MAX_ENTRIES:
            seen.clear()
        seen.add(key)


def check_report(report: Report, pack: Pack, previous: Report | None = None,
                 memo: RuleMemo | None = None) -> CheckResult:
    """Evaluate every rule of `pack` on `report`. `memo` may be shared by the checks of one pack."""
    from .limits import using

    # The limits in force are read once for the report, not from the environment for every piece of
    # evidence (13 variables each time: a tenth of evaluating a report).
    with using(None):
        return _check_report(report, pack, previous, memo)


def _check_report(report: Report, pack: Pack, previous: Report | None, memo: RuleMemo | None) -> CheckResult:
    facts = build_facts(report, pack, previous)
    ctx = _Context(pack, facts, memo if memo is not None else RuleMemo(), report, previous)
    result = CheckResult(source=report.source, pack=pack.name, report=report,
                         previous=previous.source if previous is not None else None, previous_report=previous)
    # A report that could not be read gets that one finding, not a cascade of "missing" ones.
    unreadable = any(n.category == "parse.unreadable" and n.detail.get("kind") == "document" for n in report.notes)
    for rule in pack.rules:
        if rule.id in pack.disabled:
            continue
        if unreadable and not any(f.startswith("parse.unreadable") for f in rule.from_notes):
            continue
        if rule.from_notes:
            result.findings.extend(_note_findings(rule, report.notes, ctx))
        elif rule.for_each is not None:
            _run_for_each(rule, facts, ctx, result, report)
        else:
            _run_plain(rule, facts, ctx, result, report)
    _defer_to_reader(result, report)
    return result


def _defer_to_reader(result: CheckResult, report: Report) -> None:
    """An error that rests on OCR'd values, or content missing from a report with scanned pages,
    may be a misreading: it becomes a warning asking for a human look, never an error."""
    for finding in result.findings:
        if finding.severity != "error" or finding.category == "parse.unreadable":
            continue
        if any(e.location is not None and e.location.ocr for e in finding.evidence):
            reason = "所涉数值由扫描页面OCR识别，可能存在识别误差，请人工核对"
        elif report.ocr_pages and finding.category.startswith("structure."):
            pages = "、".join(str(n) for n in report.ocr_pages)
            reason = f"报告第{pages}页为扫描页面（OCR识别），相关内容可能未被识别，请人工核对"
        else:
            continue
        finding.severity = "warning"
        finding.message = f"{finding.message.rstrip('。')}。{reason}"
        # The supervisor looks at the page first: an OCR slip must not be put to the agency.
        finding.reviewer_only = True


def _holds(expr, facts: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """True when the expression holds everywhere: the cheap path taken by every passing rule."""
    result = evaluate_raw(expr, facts, params)
    if expr.columns is None:
        return result is True
    return all(item is True for item in result)


def _guard(rule: Rule, facts: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    return rule.when is None or _holds(rule.when, facts, params)


def _run_plain(rule: Rule, facts, ctx: _Context, result: CheckResult, report: Report) -> None:
    params = ctx.pack.params
    if not _guard(rule, facts, params) or _holds(rule.check, facts, params):
        return
    outcome = evaluate(rule.check, facts, params)
    if outcome.status == "pass":
        return
    if outcome.status == "unknown":
        result.unchecked.append(_unchecked(rule, outcome.missing, ctx))
        return
    failures = [_failure_view(f, ctx) for f in outcome.failures]
    names = list(rule.check.names)
    failing_cols = {f["column"] for f in outcome.failures if f.get("column")}
    if failing_cols:
        names = [n for n in names if n.rsplit(".", 1)[-1] in failing_cols or not _is_vector_cell(n, ctx)]
    evidence = [_evidence(n, ctx) for n in names if n in facts and not n.startswith("params.")]
    _locate(rule, report, evidence)
    if "copied_share" in rule.check.source:
        evidence = _copied_evidence(rule, ctx, evidence)
    message = _render(rule, ctx, failures=failures, values=outcome.values)
    result.findings.append(_finding(rule, message, names, evidence))


def _run_for_each(rule: Rule, facts, ctx: _Context, result: CheckResult, report: Report) -> None:
    var, items = rule.for_each  # type: ignore[misc]
    vectors = ctx.pack.template.vectors()
    params = ctx.pack.params
    bad_cells: list[dict[str, Any]] = []
    cell_names: list[str] = []
    # Most per-item rules read only the bound row or cell: then a small dict is all they need.
    read = set(rule.check.names) | (set(rule.when.names) if rule.when is not None else set())
    local_only = all(n == "cell" or n.startswith(("row.", "prev.row.")) for n in read)
    # Such a rule is a pure function of the bound row or cell, so its "nothing to
    # report" verdicts are remembered: most cells are 0 and share one verdict.
    memo = ctx.memo if local_only else None
    for item in items:
        cols = vectors.get(item, ())
        if var == "row":
            local = {f"row.{c}": facts[f"{item}.{c}"] for c in cols if f"{item}.{c}" in facts}
            # The same row of last year's report, when one is given: prev.row.*
            local.update({f"prev.row.{c}": facts[f"prev.{item}.{c}"] for c in cols if f"prev.{item}.{c}" in facts})
        else:
            fact = facts.get(item)
            local = {"cell": fact} if fact is not None else {}
        key = None
        if memo is not None:
            key = tuple((k, f.value.__class__, f.value, f.raw) for k, f in local.items())
            if memo.knows(rule, key):
                continue
        view = local if local_only else ChainMap(local, facts)
        if not _guard(rule, view, params) or _holds(rule.check, view, params):
            if memo is not None:
                memo.remember(rule, key)
            continue
        outcome = evaluate(rule.check, view, params)
        if outcome.status == "pass":
            continue
        if outcome.status == "unknown":
            missing = [(_unbind(n, var, item), k) for n, k in outcome.missing]
            result.unchecked.append(_unchecked(rule, missing, ctx, subject=ctx.label(item)))
            continue
        if var == "row":
            failures = [_failure_view(f, ctx) for f in outcome.failures]
            failing = {f["column"] for f in outcome.failures if f.get("column")}
            names = [f"{item}.{c}" for c in cols if (not failing or c in failing) and f"{item}.{c}" in facts]
            evidence = [_evidence(n, ctx) for n in names]
            row_values = {c: plain(facts[f"{item}.{c}"].value) for c in cols if f"{item}.{c}" in facts}
            message = _render(rule, ctx, failures=failures, values=outcome.values, row=row_values,
                              row_name=item, row_label=ctx.label(item))
            result.findings.append(_finding(rule, message, names, evidence))
        else:
            cell_names.append(item)
            fact = facts.get(item)
            bad_cells.append({"name": item, "label": ctx.label(item),
                              "value": plain(fact.value) if fact else None,
                              "raw": fact.raw if fact else None, "where": ctx.where(item)})
    if cell_names:
        evidence = [_evidence(n, ctx) for n in cell_names]
        _locate(rule, report, evidence)
        message = _render(rule, ctx, cells=bad_cells)
        result.findings.append(_finding(rule, message, cell_names, evidence))


def _unbind(name: str, var: str, item: str) -> str:
    if var == "row" and name.startswith("row."):
        return f"{item}.{name[4:]}"
    if var == "row" and name.startswith("prev.row."):
        return f"prev.{item}.{name[9:]}"
    if var == "cell" and name == "cell":
        return item
    return name


def _note_findings(rule: Rule, notes: Iterable[ParseNote], ctx: _Context) -> list[Finding]:
    out = []
    for note in notes:
        if not any(_note_matches(spec, note) for spec in rule.from_notes):
            continue
        evidence = [Evidence(n, ctx.label(n), plain(ctx.facts[n].value) if n in ctx.facts else None,
                             ctx.facts[n].location if n in ctx.facts else note.location) for n in note.fields]
        if note.location is not None and not any(e.location == note.location for e in evidence):
            evidence.insert(0, Evidence("", "解析位置", None, note.location))
        message = _render(rule, ctx, note={"message": note.message, "category": note.category,
                                           "detail": note.detail, "where": note.location.describe()
                                           if note.location else "位置未知"})
        out.append(_finding(rule, message, list(note.fields), evidence))
    return out


def _note_matches(spec: str, note: ParseNote) -> bool:
    """`category` or `category:kind` (the note's detail kind, e.g. parse.unreadable:image_page)."""
    category, _, kind = spec.partition(":")
    return note.category == category and (not kind or note.detail.get("kind") == kind)


def _finding(rule: Rule, message: str, names: list[str], evidence: list[Evidence]) -> Finding:
    return Finding(rule=rule.id, title=rule.title, category=rule.category, severity=rule.severity,
                   message=message, basis=rule.basis, fields=list(names), evidence=evidence,
                   headline=str(rule.data.get("headline") or ""), reviewer_only=rule.reviewer_only)


def _evidence(name: str, ctx: _Context) -> Evidence:
    fact = ctx.facts.get(name)
    return Evidence(name, ctx.label(name), plain(fact.value) if fact else None,
                    fact.location if fact else None)


def _locate(rule: Rule, report: Report, evidence: list[Evidence]) -> None:
    """Point text findings at the paragraph that shows the problem."""
    if rule.locate is None:
        return
    for number in sorted(report.sections):
        paragraphs = report.sections[number].paragraphs
        text, starts = _joined(paragraphs)
        try:
            m = rule.locate.search(text, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            return
        if m:
            para, local = _at_offset(paragraphs, starts, m.start())
            end = local + len(m.group(0))
            evidence.insert(0, Evidence(f"section{number}", f"原文：“{_excerpt(para.text, local, end)}”",
                                        m.group(0), para.location_at(local)))
            return


def _copied_evidence(rule: Rule, ctx: _Context, evidence: list[Evidence]) -> list[Evidence]:
    """For `copied_share(a, b)`: the repeated sentences themselves, each where this year prints it
    and where last year's report printed it, in place of the two whole texts."""
    from . import textcompare

    out: list[Evidence] = []
    compared: set[str] = set()
    for call in textcompare.copied_calls(rule.check._checked.root):
        names = [getattr(arg, "name", None) for arg in call.args[:2]]
        text, previous = (ctx.text(n) if n else None for n in names)
        if text is None or previous is None:
            continue
        similarity = textcompare.SIMILARITY
        if len(call.args) == 3:
            arg = call.args[2]
            value = ctx.pack.params.get(arg.name[len("params."):]) if getattr(arg, "param", False) else \
                getattr(arg, "value", None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                similarity = float(value)
        compared.update(names)
        here = _text_places(ctx.report, names[0], text)
        there = _text_places(ctx.previous, names[1].removeprefix("prev."), previous)
        for m in textcompare.compare(text, previous, similarity).copied:
            old = there(m.previous.start)
            label = "与上年报告相同的语句" if m.score >= 100 else f"与上年报告基本相同的语句（相似度{m.score:g}%）"
            if old is not None:
                label += f"，上年见{old.describe()}"
            out.append(Evidence(names[0], label, m.sentence.text, here(m.sentence.start)))
    kept = [e for e in evidence if e.field not in compared]
    return kept + out


def _text_places(report: Report | None, name: str, text: str):
    """offset in a section's text -> the Location of the line printing it (None when unknown)."""
    number = int(name[len("section"):]) if name.startswith("section") and name[len("section"):].isdigit() else None
    section = report.sections.get(number) if report is not None and number is not None else None
    if section is None:
        return lambda offset: None
    joined, starts = _joined(section.paragraphs)
    if joined != text or not starts:
        return lambda offset: section.location

    def place(offset: int):
        para, local = _at_offset(section.paragraphs, starts, offset)
        return para.location_at(local) or section.location
    return place


def _excerpt(text: str, start: int, end: int, pad: int = 12) -> str:
    a, b = max(0, start - pad), min(len(text), end + pad)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def _is_vector_cell(name: str, ctx: _Context) -> bool:
    head = name[5:] if name.startswith("prev.") else name
    return head.rsplit(".", 1)[0] in ctx.pack.template.vectors()


def _failure_view(failure: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
    column = failure.get("column")
    return {"column": column, "column_label": column_label(ctx.pack.template, column) if column else "",
            "left": plain(failure.get("left")), "right": plain(failure.get("right")), "op": failure.get("op")}


def _unchecked(rule: Rule, missing, ctx: _Context, subject: str | None = None) -> Unchecked:
    # Name a whole table-3 row once when all its cells are missing for the same reason.
    vectors = ctx.pack.template.vectors()
    by_vector: dict[tuple[str, str], list[str]] = {}
    for name, kind in missing:
        head = name.rsplit(".", 1)[0]
        base = head[5:] if head.startswith("prev.") else head
        if base in vectors:
            by_vector.setdefault((head, kind), []).append(name)
    whole = {key for key, names in by_vector.items() if len(set(names)) >= len(vectors[key[0].removeprefix("prev.")])}
    parts: list[str] = []
    for name, kind in missing:
        if name.startswith("params."):
            continue
        head = name.rsplit(".", 1)[0]
        text = f"{ctx.label(head if (head, kind) in whole else name)}{_MISSING_CN.get(kind, kind)}"
        if text not in parts:
            parts.append(text)
    shown = "；".join(parts[:6]) + (f"等{len(parts)}项" if len(parts) > 6 else "")
    reason = shown or "所需数据缺失"
    if subject:
        reason = f"{subject}：{reason}"
    return Unchecked(rule.id, rule.title, f"无法检查：{reason}", list(missing))


_CJK_GAP = regex.compile(r"(?<=[\p{Han}\p{P}])\s+|\s+(?=[\p{Han}\p{P}])")


def _tidy(text: str) -> str:
    """Folded YAML leaves spaces where Chinese lines were broken; drop them."""
    return _CJK_GAP.sub("", text.strip())


def _render(rule: Rule, ctx: _Context, **extra: Any) -> str:
    values = {k: plain(v) for k, v in (extra.pop("values", None) or {}).items()}
    context = dict(ctx.tree())
    context.update(extra)
    context.update({
        "values": values,
        "label": ctx.label, "where": ctx.where, "quote": ctx.quote,
        "value": lambda name: plain(ctx.facts[name].value) if name in ctx.facts else None,
        "copied": ctx.copied,
        "params": ctx.params,
    })
    try:
        return _tidy(rule.message.render(context))
    except Exception as exc:  # a pack's template must never crash a check
        from jinja2 import TemplateError       # imported by the render that failed

        if isinstance(exc, TemplateError):
            return f"{rule.title}（提示信息模板出错：{exc}）"
        return f"{rule.title}（提示信息无法生成：{type(exc).__name__}）"
