"""A compiled pack as the engine uses it: Pack, Rule, NarrativeSpec, and the message sandbox.

Compiled objects hold no mutable state of their own: caches (verdict memos,
compiled packs) live in explicit objects (engine.RuleMemo, registry.PackRegistry).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import regex

from ..lang import Schema
from ..template import Template
from ..bounded_regex import RegexRefused, compile_bounded
from .schema import REGEX_TIMEOUT

MESSAGE_TIME_BUDGET = 1.0           # seconds to render one message
MESSAGE_OUTPUT_BUDGET = 100_000     # characters of one message


@dataclass
class NarrativeSpec:
    name: str
    label: str
    section: str
    patterns: list[Any]              # compiled regex objects
    kind: str                        # number | percent | change
    file: str
    line: int


@dataclass
class Rule:
    id: str
    title: str
    category: str
    severity: str
    basis: str
    file: str
    line: int
    check: Any = None                      # compiled expression
    when: Any = None
    message: Any = None                    # a Message: a jinja2 template compiled on first render
    message_source: str = ""
    from_notes: tuple[str, ...] = ()
    for_each: tuple[str, list[str]] | None = None   # ("row"|"cell", [names])
    locate: Any = None                     # compiled regex: where in the text the finding is
    tests: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    headline: str | None = None            # a short statement of the problem, e.g. "未标注落款日期"
    reviewer_only: bool = False            # its findings are remarks for the supervisor, never in a letter


@dataclass
class Pack:
    name: str
    chain: list[str]
    files: list[str]
    template: Template
    description: str
    params: dict[str, Any]
    narrative: list[NarrativeSpec]
    rules: list[Rule]
    disabled: set[str]
    letter: dict[str, Any]
    schema: Schema
    # (when expression or None, label, "file:line:col"), in order; the last may have no `when`.
    verdict: list[tuple[str | None, str, str]] = field(default_factory=list)
    # The letter template the pack names, resolved inside the folder of the file naming it.
    letter_template: str | None = None
    letter_folder: str | None = None


class Message:
    """A rule's message template. compile_pack checks its syntax and keeps jinja2's compiled code
    (marshalled bytes, so the pack cache can store it); a pack loaded from the cache turns that code
    into a template (importing jinja2) only when a finding's message is first rendered."""

    __slots__ = ("source", "_template", "_code")

    def __init__(self, source: str, template: Any = None, code: bytes | None = None) -> None:
        self.source = source
        self._template = template
        self._code = code

    @classmethod
    def compile(cls, env: Any, source: str) -> "Message":
        """Compile `source` in sandbox `env` (raises jinja2.TemplateSyntaxError), as env.from_string does."""
        import marshal

        code = env.compile(source)
        return cls(source, env.template_class.from_code(env, code, env.make_globals(None), None), marshal.dumps(code))

    def render(self, context: dict[str, Any]) -> str:
        if self._template is None:
            self._template = _from_code(self._code) if self._code else None
            if self._template is None:
                self._template = _message_jinja().from_string(self.source)
        return self._template.render(context)

    def __reduce__(self):         # the code, not the template object, is kept
        return (Message, (self.source, None, self._code))


def _from_code(code: bytes) -> Any:
    """The template of stored compiled code, or None when it cannot be loaded (then compile the text)."""
    import marshal

    try:
        env = _message_jinja()
        return env.template_class.from_code(env, marshal.loads(code), env.make_globals(None), None)
    except (ValueError, EOFError, TypeError):
        return None


_jinja = None


def _message_jinja():
    """The process-wide sandbox for messages of packs loaded from the cache (made on first use)."""
    global _jinja
    if _jinja is None:
        _jinja = make_jinja()
    return _jinja


def make_jinja():
    """The sandbox rule messages and bases are compiled in (budgets: MESSAGE_*): a BoundedSandbox."""
    from ..sandbox import BoundedSandbox

    env = BoundedSandbox(time_budget=MESSAGE_TIME_BUDGET, output_budget=MESSAGE_OUTPUT_BUDGET,
                         autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt_number
    env.filters["find"] = _find
    env.filters["cndate"] = _cn_date
    return env


def _cn_date(value: Any) -> str:
    """'2025-04-08' or a date -> 2025年4月8日, as dates are written in official documents."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date):
        from ..words import cn_date
        return cn_date(value)
    return "（空白）" if value is None else str(value)


def _find(text: Any, pattern: str) -> str:
    """First match of a regex in a text, for quoting in messages (bounded by a timeout)."""
    if not isinstance(text, str) or not isinstance(pattern, str):
        return ""
    try:
        m = compile_bounded(pattern).search(text, timeout=REGEX_TIMEOUT)
    except (RegexRefused, TimeoutError):
        return ""
    return m.group(0) if m else ""


def _fmt_number(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def base_schema(template: Template, params: dict[str, Any], narrative: list[NarrativeSpec]) -> Schema:
    scalars = set(template.scalars())
    scalars.update(f"params.{k}" for k in params)
    scalars.update(n.name for n in narrative)
    return Schema(scalars=scalars, vectors=template.vectors(), allow_prev=True)


def expand_names(patterns: list[str], names: list[str]) -> list[str]:
    """Glob patterns (`*` one segment, `**` any depth) over the template's names, in template order."""
    out: list[str] = []
    for pattern in patterns:
        rx = regex.compile("^" + regex.escape(pattern).replace(r"\*\*", r"[^\n]+").replace(r"\*", r"[^.\n]+") + "$")
        for name in names:
            if rx.match(name) and name not in out:
                out.append(name)
    return out
