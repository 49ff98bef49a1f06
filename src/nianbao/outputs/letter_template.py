"""Rendering letter templates in Jinja2's sandbox: a pack's template is untrusted input."""
from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import NianbaoError

MAX_TEMPLATE_OUTPUT = 5_000_000     # characters a pack's template may produce
MAX_SEQUENCE = 100_000              # longest string/list a pack's template may build with * or **


class LetterError(NianbaoError):
    """A letter option or template is wrong (bad value, missing file, template error or sandbox violation)."""


class _LetterSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, plus a bound on strings/lists built with * and **."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("exponent too large")
        else:
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
                    raise SecurityError("sequence too long")
        return super().call_binop(context, operator, left, right)


def _sandbox(autoescape: bool) -> _LetterSandbox:
    # No loader: a template cannot include, import or extend other files.
    return _LetterSandbox(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)


def render(source: str, context: dict[str, Any], where: str, autoescape: bool, what: str) -> str:
    """Render `source` in the sandbox; every failure is a one-line LetterError naming `where`."""
    env = _sandbox(autoescape)
    try:
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        line = f"第{exc.lineno}行" if exc.lineno else ""
        raise LetterError(where, f"{what}有语法错误{line}：{exc.message}") from None
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_TEMPLATE_OUTPUT:
                raise LetterError(where, f"{what}生成的内容过长（超过 {MAX_TEMPLATE_OUTPUT} 个字符），已停止")
            out.append(chunk)
    except SecurityError as exc:
        raise LetterError(where, f"{what}试图访问不允许的内容，已被安全沙箱拒绝（{exc}）") from None
    except UndefinedError as exc:
        raise LetterError(where, f"{what}使用了未定义的名称或属性（{exc.message}）；可用的名称见 docs/letters.md") from None
    except TemplateError as exc:
        raise LetterError(where, f"{what}出错：{exc}") from None
    except LetterError:
        raise
    except TypeError as exc:
        if "no loader" in str(exc):
            raise LetterError(where, f"{what}不能引用其他文件（include、import、extends），请写成一个完整的模板") from None
        raise LetterError(where, f"{what}无法渲染：{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # a pack's template must never surface as a traceback
        raise LetterError(where, f"{what}无法渲染：{type(exc).__name__}: {exc}") from None
    return "".join(out)
