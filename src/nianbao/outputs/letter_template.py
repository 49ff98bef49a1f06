"""Rendering letter templates in the budgeted sandbox (nianbao.sandbox): a pack's template is untrusted input."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from ..errors import NianbaoError
from ..sandbox import BoundedSandbox, BudgetExceeded

MAX_TEMPLATE_OUTPUT = 5_000_000     # characters a pack's template may produce
TEMPLATE_SECONDS = 2.0              # time a pack's template may take to render (nianbao.sandbox budgets)


class LetterError(NianbaoError):
    """A letter option or template is wrong (bad value, missing file, template error or sandbox violation)."""


def _sandbox(autoescape: bool) -> BoundedSandbox:
    # Budgeted (nianbao.sandbox). No loader: a template cannot include, import or extend other files.
    return BoundedSandbox(time_budget=TEMPLATE_SECONDS, output_budget=MAX_TEMPLATE_OUTPUT, autoescape=autoescape,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@lru_cache(maxsize=32)
def _compiled(source: str, autoescape: bool):
    """A letter template is compiled once per process, not once per letter (a batch writes thousands);
    the sandbox's budgets are per rendering, so a compiled template is safely reused."""
    return _sandbox(autoescape).from_string(source)


def render(source: str, context: dict[str, Any], where: str, autoescape: bool, what: str) -> str:
    """Render `source` in the sandbox; every failure is a one-line LetterError naming `where`."""
    try:
        template = _compiled(source, autoescape)
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
    except BudgetExceeded as exc:
        raise LetterError(where, f"{what}超出运行限制，已停止：{exc}") from None
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
