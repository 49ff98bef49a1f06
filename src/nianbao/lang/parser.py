"""Parse rule-expression text into a lark tree; render errors with positions.

The grammar lives in grammar/expr.lark and is loaded once per process. Every
problem found in an expression, from here or from the later checks, is raised
as a `RuleError` that points at file:line:col of the rule file the expression
came from and shows the offending line with a caret under the position.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from ..terminal import display_width

if TYPE_CHECKING:       # lark is imported only when an expression is parsed (a warm start never does)
    import lark
    from lark.exceptions import UnexpectedInput

def grammar_path() -> Path:
    """grammar/expr.lark of the project (found like rules/: see nianbao.paths)."""
    from ..paths import grammar_dir
    return grammar_dir() / "expr.lark"

#: Longest expression accepted, in characters. Rules are one-liners; this only
#: keeps hostile or accidental input (a pasted report) from costing much.
MAX_SOURCE_CHARS = 10_000

_parser: Optional["lark.Lark"] = None
_parser_lock = threading.Lock()


class RuleError(ValueError):
    """A problem in a rule expression, positioned in the rule file.

    Attributes: `file`, `line`, `col` (1-based, in the rule file), `message`
    (formal Chinese). `str(err)` gives ``file:line:col: message`` followed by
    the expression line and a caret under the position.
    """

    def __init__(self, message: str, file: str = "<表达式>", line: int = 1, col: int = 1,
                 source_line: Optional[str] = None, source_col: Optional[int] = None,
                 label: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line      # the expression line shown under the header
        self.source_col = source_col        # 1-based column of the caret in source_line
        self.label = label                  # e.g. "check": shown as "check: <expr>"

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.message}"
        if self.source_line is None or self.source_col is None:
            return head
        prefix = "    " + (f"{self.label}: " if self.label else "")
        line = self.source_line.replace("\t", " ")
        shown = prefix + line
        upto = prefix + line[: self.source_col - 1]
        return f"{head}\n{shown}\n{' ' * display_width(upto)}^"

    def __reduce__(self):  # keep pickling (multiprocessing) working with the extra fields
        return (RuleError, (self.message, self.file, self.line, self.col,
                            self.source_line, self.source_col, self.label))


class Origin:
    """Where an expression's text starts in its rule file.

    Built from the `origin` argument of compile_expr: ``(file, line, col)`` or
    ``(file, line, col, label)``. Lines after the first are taken to share the
    first line's indentation (a YAML literal block ``|``), so their columns
    are shifted by the same amount.
    """

    __slots__ = ("file", "line", "col", "label")

    def __init__(self, origin: Optional[Sequence] = None):
        if origin is None:
            origin = ("<表达式>", 1, 1)
        if isinstance(origin, Origin):
            self.file, self.line, self.col, self.label = origin.file, origin.line, origin.col, origin.label
            return
        items = tuple(origin)
        if len(items) not in (3, 4):
            raise TypeError("origin must be (file, line, col) or (file, line, col, label)")
        self.file = str(items[0])
        self.line = int(items[1])
        self.col = int(items[2])
        self.label = str(items[3]) if len(items) == 4 and items[3] is not None else None

    def error(self, source: str, pos: int, message: str) -> RuleError:
        """A RuleError for character offset `pos` of `source`."""
        pos = max(0, min(pos, len(source)))
        line_idx = source.count("\n", 0, pos)
        line_start = source.rfind("\n", 0, pos) + 1
        line_end = source.find("\n", pos)
        if line_end < 0:
            line_end = len(source)
        col_in_src = pos - line_start + 1
        text_line = source[line_start:line_end].rstrip("\r")
        return RuleError(
            message,
            file=self.file,
            line=self.line + line_idx,
            col=self.col + col_in_src - 1,
            source_line=text_line,
            source_col=col_in_src,
            label=self.label if line_idx == 0 else None,
        )


def get_parser() -> "lark.Lark":
    """The expression parser, built from grammar/expr.lark on first use."""
    global _parser
    import lark

    if _parser is None:
        with _parser_lock:
            if _parser is None:
                grammar = grammar_path().read_text(encoding="utf-8")
                _parser = lark.Lark(grammar, parser="lalr", lexer="basic", cache=_cache_file(),
                                    propagate_positions=True, maybe_placeholders=False)
    return _parser


def _cache_file() -> str | bool:
    """Where lark keeps the analysed grammar between runs (16 ms → under 1 ms at start-up).

    Lark stores a hash of the grammar and its options in the file and rebuilds when
    they differ. The cache is a pickle, so it lives only in this user's own cache
    folder (usercache.cache_dir); without one the parser is built without a cache.
    """
    import os

    import lark

    from ..usercache import cache_dir
    folder = cache_dir()
    if folder is None:
        return False
    return os.path.join(folder, f"expr-grammar-lark{lark.__version__}.cache")


def parse(source: str, origin: Optional[Origin] = None) -> "lark.Tree":
    """Parse expression text into a lark tree, or raise RuleError."""
    from lark.exceptions import UnexpectedInput

    origin = origin if isinstance(origin, Origin) else Origin(origin)
    if not isinstance(source, str):
        raise origin.error("", 0, "规则表达式必须是文本。")
    if len(source) > MAX_SOURCE_CHARS:
        raise origin.error(source, 0, f"表达式过长（{len(source)} 个字符，上限为 {MAX_SOURCE_CHARS} 个）。")
    if not source.strip():
        raise origin.error(source, 0, "表达式为空。")
    try:
        return get_parser().parse(source)
    except UnexpectedInput as exc:
        pos, message = describe_syntax_error(source, exc)
        raise origin.error(source, pos, message) from None


# ---------------------------------------------------------------------------
# Syntax error messages

_TERMINAL_NAMES = {
    "NAME": "名称", "NUMBER": "数字", "STRING": "字符串", "COMP_OP": "比较运算符",
    "PLUS": "“+”", "MINUS": "“-”", "STAR": "“*”", "SLASH": "“/”",
    "LPAR": "“(”", "RPAR": "“)”", "COMMA": "“,”",
    "AND": "and", "OR": "or", "NOT": "not", "TRUE": "true", "FALSE": "false",
    "$END": "表达式结尾",
}
_OPERAND_TERMINALS = {"NAME", "NUMBER", "STRING", "TRUE", "FALSE", "LPAR"}
_OPERATOR_TERMINALS = {"PLUS", "MINUS", "STAR", "SLASH", "COMP_OP", "AND", "OR"}
_EXPECTED_ORDER = ["NAME", "NUMBER", "STRING", "TRUE", "FALSE", "LPAR", "RPAR", "COMMA",
                   "PLUS", "MINUS", "STAR", "SLASH", "COMP_OP", "AND", "OR", "NOT", "$END"]

_FULL_WIDTH = {
    "（": "(", "）": ")", "，": ",", "“": '"', "”": '"', "‘": "'", "’": "'",
    "＋": "+", "－": "-", "＊": "*", "／": "/", "＝": "=", "＜": "<", "＞": ">",
    "！": "!", "．": ".", "。": ".", "、": ",", "×": "*", "÷": "/",
}


def _token_text(tok: "lark.Token") -> str:
    if tok.type == "$END":
        return "表达式结尾"
    desc = _TERMINAL_NAMES.get(tok.type, "")
    if tok.type in ("NAME", "NUMBER", "STRING"):
        return f"{desc}“{tok}”"
    return desc or f"“{tok}”"


def _expected_text(expected) -> str:
    names = [_TERMINAL_NAMES[t] for t in _EXPECTED_ORDER if t in expected]
    return "、".join(names)


def describe_syntax_error(source: str, exc: "UnexpectedInput") -> tuple[int, str]:
    """(character offset, Chinese message) for a lark parse error."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = source[pos] if pos < len(source) else ""
        nxt = source[pos + 1] if pos + 1 < len(source) else ""
        return pos, _unexpected_char_message(ch, nxt, source, pos)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = set(exc.expected or ())
        if tok.type == "$END":
            pos = len(source.rstrip())
            if expected == {"RPAR"} or ("RPAR" in expected and not expected & _OPERAND_TERMINALS):
                return pos, "表达式不完整：缺少右括号“)”。"
            if expected & _OPERAND_TERMINALS:
                return pos, "表达式不完整：末尾缺少运算对象。"
            return pos, f"表达式不完整：此处应为{_expected_text(expected)}。"
        pos = tok.start_pos if tok.start_pos is not None else 0
        if tok.type == "RPAR" and expected & _OPERAND_TERMINALS:
            if pos > 0 and source[:pos].rstrip().endswith(","):
                return pos, "语法错误：逗号后缺少参数。"
            return pos, "语法错误：“)”之前缺少运算对象。"
        if tok.type == "RPAR":
            return pos, "语法错误：多余的右括号“)”。"
        if tok.type == "COMMA" and not expected & {"COMMA"}:
            return pos, "语法错误：此处不应出现逗号“,”；逗号只用于分隔函数参数。"
        if tok.type in _OPERAND_TERMINALS and expected & _OPERATOR_TERMINALS:
            return pos, f"语法错误：此处不应出现{_token_text(tok)}；两个运算对象之间缺少运算符。"
        if tok.type in _OPERATOR_TERMINALS | {"NOT"} and expected & _OPERAND_TERMINALS:
            return pos, f"语法错误：{_token_text(tok)}之前缺少运算对象。"
        return pos, f"语法错误：此处不应出现{_token_text(tok)}，应为{_expected_text(expected)}。"
    # Any other lark input error: position if known.
    pos = getattr(exc, "pos_in_stream", None) or 0
    return pos, "语法错误：无法解析该表达式。"


def _unexpected_char_message(ch: str, nxt: str, source: str, pos: int) -> str:
    if ch in _FULL_WIDTH:
        return f"语法错误：出现全角字符“{ch}”，请改用半角字符“{_FULL_WIDTH[ch]}”。"
    if ch == "=":
        return "语法错误：“=”不是运算符；判断相等请写“==”。"
    if ch == "!":
        return "语法错误：不支持“!”；取反请写 not，判断不等请写“!=”。"
    if ch == "&":
        return "语法错误：不支持“&”；并且请写 and。"
    if ch == "|":
        return "语法错误：不支持“|”；或者请写 or。"
    if ch in "\"'":
        return "语法错误：字符串缺少结束引号（字符串不能跨行）。"
    if ch == ".":
        before = source[pos - 1] if pos > 0 else ""
        if before.isascii() and (before.isalnum() or before == "_"):
            return "语法错误：名称中的“.”之后应为名称段或通配符“*”。"
        return "语法错误：小数须以数字开头，例如 0.5。"
    if ch == "%":
        return "语法错误：不支持“%”；百分比请用 percent(部分, 整体) 计算。"
    if ch == "*":
        return "语法错误：通配符“*”只能作为名称的最后一段，例如 section3.results.withheld.*。"
    if ch.isspace():
        return "语法错误：不能识别的空白字符。"
    if ch.isdigit():
        return f"语法错误：数字只能使用半角数字 0-9，不能出现“{ch}”。"
    if ch.isalpha() or ch == "_":
        return f"语法错误：名称只能由英文字母、数字和下划线组成，不能出现“{ch}”；文字内容请放在引号中。"
    shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
    return f"语法错误：不能识别的字符“{shown}”。"
