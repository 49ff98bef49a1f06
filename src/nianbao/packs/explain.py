"""Errors of the libraries a pack goes through (YAML, regex, Jinja), explained in Chinese for supervisors."""
from __future__ import annotations

import difflib
from typing import Iterable

import jinja2

_YAML_ERRORS_CN = (
    ("mapping values are not allowed", "此处不能再出现“键: 值”：值中含有“: ”时，请把整个值加引号，或改用 |- 块"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号、括号没有闭合"),
    ("found character '\\t'", "出现了制表符：YAML 缩进只能用空格"),
    ("expected <block end>", "缩进不一致：同一层的键应左对齐"),
    ("did not find expected key", "缩进不一致，或列表项前缺少“- ”"),
    ("did not find expected '-' indicator", "列表缩进不一致：各项的“- ”应左对齐"),
    ("found unexpected end of stream", "文件意外结束：引号或括号没有闭合"),
    ("found unknown escape character", "双引号中出现了无效的转义：正则表达式请改用单引号"),
    ("expected ',' or ']'", "方括号“[”没有闭合，或列表项之间缺少逗号"),
    ("expected ',' or '}'", "花括号“{”没有闭合，或各项之间缺少逗号"),
    ("found undefined alias", "出现了未定义的别名（以 * 开头的值请加引号）"),
    ("found character '@'", "值不能以“@”或“`”开头，请加引号"),
    ("found character '`'", "值不能以“@”或“`”开头，请加引号"),
    ("found character '%'", "值不能以“%”开头，请加引号"),
    ("found a tab character", "出现了制表符：YAML 缩进只能用空格"),
    ("could not determine a constructor", "规则包中不能使用 YAML 类型标签（如 !!python/…）"),
    ("unacceptable character", "文件中有 YAML 不允许的控制字符（请删除不可见字符后重新保存为 UTF-8 文本）"),
)


def yaml_problem_cn(problem: str) -> str:
    for english, chinese in _YAML_ERRORS_CN:
        if english in problem:
            return f"{chinese}（{problem}）"
    return f"YAML 写法有误（{problem}）"


_REGEX_ERRORS_CN = (
    ("missing )", "缺少右括号“)”"),
    ("unbalanced parenthesis", "括号不配对：多了右括号“)”"),
    ("missing ]", "方括号“[”没有闭合"),
    ("unterminated character set", "方括号“[”没有闭合"),
    ("nothing to repeat", "量词（*、+、?、{n}）前面没有可重复的内容"),
    ("multiple repeat", "量词重复（如 ** 或 +*），请检查是否漏写了转义符“\\”"),
    ("cannot refer to an open group", "反向引用（如 \\1）指向尚未闭合的分组"),
    ("invalid group reference", "反向引用了不存在的分组"),
    ("unknown group", "引用了不存在的分组"),
    ("bad escape", "无效的转义序列"),
    ("missing }", "花括号“{”没有闭合"),
    ("missing >", "分组名缺少“>”"),
    ("bad character range", "字符范围无效（如 [9-0]）"),
    ("unknown property", "未知的 Unicode 属性（如 \\p{Han} 写错）"),
)


def regex_error_cn(msg: str) -> str:
    for english, chinese in _REGEX_ERRORS_CN:
        if msg.startswith(english):
            return f"{chinese}（{msg}）"
    return f"正则表达式写法有误（{msg}）"


_JINJA_ERRORS_CN = (
    ("Unexpected end of template", "模板意外结束：{% if %}、{% for %} 等标签没有用 {% endif %}、{% endfor %} 闭合"),
    ("Encountered unknown tag", "出现了未知的标签（{% … %} 中只能用 if、for、set 等，且须正确闭合）"),
    ("No filter named", "使用了不存在的过滤器（可用 num、find 及 Jinja 内置过滤器，如 length、join）"),
    ("No test named", "使用了不存在的判断（is …）"),
    ("expected token 'end of print statement'", "{{ … }} 中的表达式写法有误（是否缺少运算符或多了空格分隔的词？）"),
    ("unexpected '}'", "出现了多余的“}”，或 {{ }} 没有成对出现"),
    ("unexpected end of template", "模板意外结束：{{ 或 {% 没有闭合"),
    ("unexpected char", "出现了模板中不能使用的字符（请检查是否用了全角符号）"),
)


def jinja_error_cn(exc: jinja2.TemplateSyntaxError) -> str:
    msg = exc.message or str(exc)
    for english, chinese in _JINJA_ERRORS_CN:
        if msg.startswith(english) or english in msg:
            return f"{chinese}（{msg}）"
    return f"模板写法有误（{msg}）"


def suggest(word: object, choices: Iterable[str]) -> str:
    """（是否应为“…”？） when a close spelling exists, else ""."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"（是否应为“{close[0]}”？）" if close else ""
