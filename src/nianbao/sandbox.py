"""Jinja2 for untrusted templates (pack messages, letter templates), with budgets.

`BoundedSandbox` is Jinja2's `ImmutableSandboxedEnvironment` (no attribute tricks, no
`.append`/`.update` on lists and dicts: a message cannot change the pack's params or
the context for later reports) plus budgets, so that a hostile template ends fast
with a clear error instead of hanging or eating memory:

- time: every loop step, call, filter and output checks a deadline;
- loop steps: all `{% for %}` iterations of one rendering together (nested loops);
- output: characters produced anywhere in the template (`{% set %}` blocks and macros too);
- size: strings and lists built by `*`, `+`, `~`, `join`, `replace` and padding
  filters, and integers built by `*`/`**` (`9**9**9`), are bounded before they are built.

The budgets hang on the template class, so `template.render()` and
`template.generate()` are bounded wherever they are called. A budget that runs out
raises `BudgetExceeded` (a `SecurityError`, so a `TemplateError`) with a one-line
Chinese message.
"""
from __future__ import annotations

import contextvars
import functools
import time
from contextlib import contextmanager
from typing import Any, Iterator

import regex
from jinja2 import StrictUndefined, nodes, pass_eval_context
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_SEQUENCE = 100_000          # longest string or list a template may build
MAX_INT_BITS = 10_000           # largest integer (about 3,000 digits)
MAX_LOOP_STEPS = 1_000_000      # for-loop iterations per rendering, all loops together
MAX_CALLS = 200_000             # calls (functions, methods, macros) per rendering

_PREFIX = "_nb_"                # names of the budget hooks; templates may not use them
_budget: contextvars.ContextVar["Budget | None"] = contextvars.ContextVar("nianbao_template_budget", default=None)
_HUGE_WIDTH = regex.compile(r"\d{6,}")      # a field width of a million or more in a format string
_PADDING_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
_FREE_INT_FILTERS = {"default", "d", "format", "round", "int", "float", "abs", "string", "num"}


class BudgetExceeded(SecurityError):
    """A template went over one of its budgets."""


class Budget:
    """What one rendering may still spend."""

    __slots__ = ("deadline", "seconds", "output", "max_output", "steps", "calls")

    def __init__(self, seconds: float, max_output: int):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.max_output = max_output
        self.output = 0
        self.steps = 0
        self.calls = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"模板运行超过 {self.seconds:g} 秒，已停止")

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_STEPS:
            raise BudgetExceeded(f"模板中的循环次数超过 {MAX_LOOP_STEPS} 次，已停止")
        if not self.steps & 0xFF:
            self.tick()

    def call(self) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise BudgetExceeded(f"模板中的调用次数超过 {MAX_CALLS} 次，已停止")
        if not self.calls & 0x3F:
            self.tick()

    def emit(self, size: int) -> None:
        self.output += size
        if self.output > self.max_output:
            raise BudgetExceeded(f"模板生成的内容超过 {self.max_output} 个字符，已停止")


def _current() -> Budget:
    budget = _budget.get()
    if budget is None:      # only when Jinja folds constants while compiling: then nothing is evaluated
        raise BudgetExceeded("模板只能在预算内渲染")
    return budget


def _sized(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SEQUENCE:
        raise BudgetExceeded(f"模板生成的字符串或列表超过 {MAX_SEQUENCE} 项，已停止")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded("模板计算出的数值过大，已停止")
    return value


class BoundedTemplate(Template):
    """A template whose renderings run under a budget (see the module docstring)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with _budgeted(self.environment):
            return super().render(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        with _budgeted(self.environment):
            yield from super().generate(*args, **kwargs)


@contextmanager
def _budgeted(env: Any) -> Iterator[Budget]:
    budget = Budget(env.time_budget, env.output_budget)
    previous = _budget.get()
    _budget.set(budget)
    try:
        yield budget
    finally:
        if _budget.get() is budget:      # an abandoned generator closed later must not clobber another's
            _budget.set(previous)


class _Hooks(NodeTransformer):
    """Rewrites a parsed template so that loops, concatenations and output go through the budget.

    The hooks are filters: Jinja compiles a filter to a direct call, where a function
    call would go through the sandbox's (slower) call checks."""

    def _hook(self, name: str, value: nodes.Expr, lineno: int) -> nodes.Filter:
        return nodes.Filter(value, _PREFIX + name, [], [], None, None, lineno=lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = self._hook("iter", node.iter, node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        node = self.generic_visit(node)
        return self._hook("concat", nodes.Tuple(list(node.nodes), "load", lineno=node.lineno), node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        node = self.generic_visit(node)
        out: list[nodes.Expr] = []
        literal = 0
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                literal += len(part.data)
                out.append(part)
            else:
                out.append(self._hook("emit", part, part.lineno))
        if literal:
            out.insert(0, self._hook("literal", nodes.Const(literal), node.lineno))
        node.nodes = out
        return node


def _hook_iter(iterable: Any) -> Iterator[Any]:
    budget = _current()
    for value in iterable:
        budget.step()
        yield value


@pass_eval_context
def _hook_concat(eval_ctx: Any, parts: tuple) -> str:
    _current().call()
    if sum(len(str(p)) for p in parts) > MAX_SEQUENCE:
        raise BudgetExceeded(f"模板拼接出的字符串超过 {MAX_SEQUENCE} 个字符，已停止")
    return markup_join(parts) if eval_ctx.autoescape else str_join(parts)


def _hook_emit(value: Any) -> Any:
    _current().emit(len(value) if isinstance(value, str) else len(str(value)))
    return value


def _hook_literal(size: int) -> str:
    _current().emit(size)
    return ""


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox untrusted templates are compiled in (see the module docstring).

    time_budget: seconds per rendering; output_budget: characters per rendering.
    No loader: a template cannot include, import or extend other files.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    template_class = BoundedTemplate

    def __init__(self, *, time_budget: float = 1.0, output_budget: int = 100_000, **options: Any):
        options.setdefault("undefined", StrictUndefined)
        super().__init__(**options)
        self.time_budget = time_budget
        self.output_budget = output_budget
        self.filters = _BoundedFilters(self.filters)
        for name, hook in (("iter", _hook_iter), ("concat", _hook_concat), ("emit", _hook_emit),
                           ("literal", _hook_literal)):
            dict.__setitem__(self.filters, _PREFIX + name, hook)      # the hooks themselves are not wrapped

    # -- parse: refuse the hooks' names, then add the hooks
    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for found in tree.find_all((nodes.Name, nodes.Filter)):
            if found.name.startswith(_PREFIX):
                raise TemplateSyntaxError(f"名称 {found.name} 为系统保留，模板中不能使用", found.lineno, name, filename)
        return _Hooks().visit(tree)

    # -- operators and calls
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _current().call()
        if operator == "**" and _is_int(left) and _is_int(right):
            if right > 0 and right * max(1, abs(left).bit_length()) > MAX_INT_BITS:
                raise BudgetExceeded("模板中的乘方结果过大，已停止")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and _is_int(n) and len(seq) * n > MAX_SEQUENCE:
                    raise BudgetExceeded(f"模板生成的字符串或列表超过 {MAX_SEQUENCE} 项，已停止")
            if _is_int(left) and _is_int(right) and abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
                raise BudgetExceeded("模板计算出的数值过大，已停止")
        elif operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) \
                    and len(left) + len(right) > MAX_SEQUENCE:
                raise BudgetExceeded(f"模板拼接出的字符串或列表超过 {MAX_SEQUENCE} 项，已停止")
        elif operator == "%" and isinstance(left, str) and _HUGE_WIDTH.search(left):
            raise BudgetExceeded("格式字符串中的宽度过大，已停止")
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        _current().call()
        target = getattr(__obj, "__wrapped__", __obj)      # str.format arrives wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            method = getattr(target, "__name__", "")
            if method in _PADDING_METHODS and any(_is_int(a) and a > MAX_SEQUENCE for a in (*args, *kwargs.values())):
                raise BudgetExceeded("模板中的填充宽度过大，已停止")
            if method in ("format", "format_map") and _HUGE_WIDTH.search(owner):
                raise BudgetExceeded("格式字符串中的宽度过大，已停止")
            if method == "join" and args:
                _bounded_length(args[0], len(owner))
            if method == "replace" and len(args) >= 2:
                _replace_size(owner, *args[:2])
        return _sized(super().call(__context, __obj, *args, **kwargs))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded_length(items: Any, sep: int) -> None:
    total = 0
    for item in items if isinstance(items, (list, tuple, str)) else ():
        total += len(str(item)) + sep
        if total > MAX_SEQUENCE:
            raise BudgetExceeded(f"模板拼接出的字符串超过 {MAX_SEQUENCE} 个字符，已停止")


def _replace_size(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        if len(text) + count * max(0, len(new) - len(old)) > MAX_SEQUENCE:
            raise BudgetExceeded(f"模板替换后的字符串超过 {MAX_SEQUENCE} 个字符，已停止")


class _BoundedFilters(dict):
    """Filters, each checked against the budget before and after it runs."""

    def __init__(self, filters: dict[str, Any]):
        super().__init__()
        for name, func in filters.items():
            self[name] = func

    def __setitem__(self, name: str, func: Any) -> None:
        super().__setitem__(name, _bounded_filter(name, func))


def _bounded_filter(name: str, func: Any) -> Any:
    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _current().call()
        if len(args) == 1 and not kwargs:       # the common case: a filter without arguments
            return _sized(func(*args))
        values = [a for a in args if not hasattr(a, "environment") and not hasattr(a, "autoescape")]
        value, rest = (values[0], values[1:]) if values else (None, [])
        if name not in _FREE_INT_FILTERS and any(_is_int(a) and abs(a) > MAX_SEQUENCE
                                                  for a in (*rest, *kwargs.values())):
            raise BudgetExceeded(f"过滤器 {name} 的参数过大，已停止")
        if name == "format" and isinstance(value, str) and _HUGE_WIDTH.search(value):
            raise BudgetExceeded("格式字符串中的宽度过大，已停止")
        if name == "join":
            _bounded_length(value, len(str(rest[0])) if rest else len(str(kwargs.get("d", ""))))
        if name == "replace" and len(rest) >= 2:
            _replace_size(str(value), *rest[:2])
        return _sized(func(*args, **kwargs))
    return bounded
