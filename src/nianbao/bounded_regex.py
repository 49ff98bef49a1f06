"""Regexes from packs (narrative patterns, `locate`, `matches()`, the `find` filter), compiled within limits.

The `regex` module unrolls counted repeats when it compiles: `(?:(?:a{1000}){1000}){1000}`
would take gigabytes before any timeout could apply. So a pattern is measured
before it is compiled (its length, and the product of nested repeat counts), and
a pattern that can match the empty string is refused where that would make a
search loop (narrative patterns). Matching itself runs with a timeout (REGEX_TIMEOUT).
"""
from __future__ import annotations

import regex

MAX_PATTERN_CHARS = 2_000
MAX_REPEAT_PRODUCT = 10_000       # of nested counted repeats ({m}, {m,n}): what compiling unrolls
# Text a pattern is tried on to see whether it can match the empty string somewhere.
_PROBES = ("", "x", "一二三，。；：\n 12.5% 2024年3月31日（）《》、abc", "\n\n")


class RegexRefused(Exception):
    """message: formal Chinese; pos: the offset in the pattern the problem is at (or None)."""

    def __init__(self, message: str, pos: int | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos


_COUNT = regex.compile(r"\{(\d*)(?:,(\d*))?\}")


def repeat_product(pattern: str) -> tuple[int, int]:
    """The largest product of nested counted repeats in `pattern`, and where it is reached."""
    stack: list[int] = [1]          # per open group: the largest product inside it so far
    best, at = 1, 0
    last_group = 1                  # the product inside the group just closed
    prev_atom_group = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            prev_atom_group = False
            continue
        if ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            prev_atom_group = False
            continue
        if ch == "(":
            stack.append(1)
            i += 1
            prev_atom_group = False
            continue
        if ch == ")":
            last_group = stack.pop() if len(stack) > 1 else 1
            stack[-1] = max(stack[-1], last_group)
            prev_atom_group = True
            i += 1
            continue
        if ch == "{":
            m = _COUNT.match(pattern, i)
            if m:
                low = int(m.group(1)) if m.group(1) else 0
                high = int(m.group(2)) if m.group(2) else low
                count = max(low, high, 1)
                value = count * (last_group if prev_atom_group else 1)
                stack[-1] = max(stack[-1], value)
                if value > best:
                    best, at = value, i
                i = m.end()
                prev_atom_group = False
                continue
        prev_atom_group = False
        i += 1
    return best, at


def check_bounds(pattern: str) -> None:
    """Raise RegexRefused when compiling `pattern` could exhaust memory (too long, repeats nested too deep)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RegexRefused(f"正则表达式过长（{len(pattern)} 个字符，上限 {MAX_PATTERN_CHARS}）", MAX_PATTERN_CHARS)
    product, at = repeat_product(pattern)
    if product > MAX_REPEAT_PRODUCT:
        raise RegexRefused(f"正则表达式中的计数重复（{{m,n}}）嵌套后次数过大（{product} 次，上限 {MAX_REPEAT_PRODUCT}），"
                           f"编译时会耗尽内存，已拒绝", at)


def compile_bounded(pattern: str, *, no_empty: bool = False) -> regex.Pattern:
    """Compile a pack's pattern, or raise RegexRefused (with a Chinese reason and a position)."""
    check_bounds(pattern)
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        from .packs.explain import regex_error_cn      # lazily: lang/ uses this module and packs/ uses lang/
        raise RegexRefused(regex_error_cn(getattr(exc, "msg", None) or str(exc)), getattr(exc, "pos", None)) from None
    except (OverflowError, MemoryError, RecursionError) as exc:
        raise RegexRefused(f"正则表达式过于复杂，无法编译（{type(exc).__name__}）") from None
    if no_empty and matches_empty(compiled):
        raise RegexRefused("正则表达式可以匹配空字符串（如整体可省略的 x*、x?），在正文中逐处查找时会原地循环；"
                           "请确保它至少匹配一个字符", 0)
    return compiled


def matches_empty(compiled: regex.Pattern) -> bool:
    for probe in _PROBES:
        try:
            for m in compiled.finditer(probe, timeout=0.05):
                if m.end() == m.start():
                    return True
        except TimeoutError:
            return True
    return False
