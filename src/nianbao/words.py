"""Every word the user reads about a finding, defined once: severities, categories, agency levels,
where a date came from, and the Chinese numbers and dates the outputs print.

Pages, letters, spreadsheets, the text output and the rule tools import them from here (findings.py
re-exports the finding words for older callers). Knowledge of a template's tables (titles, group
names, column labels) is in its template.yaml, not here.
"""
from __future__ import annotations

import datetime as dt

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_CN = {"error": "错误", "warning": "警告", "info": "提示"}
LEVEL_CN = {"government": "本级政府", "department": "政府部门", "subordinate": "乡镇街道、开发区等"}
# Chinese names of the fixed finding categories (packs.CATEGORIES), for pages and tools.
CATEGORY_CN: dict[str, str] = {
    "structure.missing_section": "缺少章节",
    "structure.missing_table": "缺少统计表",
    "structure.missing_row": "缺少表格行",
    "structure.extra_cells": "表格数值个数不符",
    "structure.order": "章节顺序",
    "value.blank": "空白单元格",
    "value.invalid": "数值无效",
    "arith.balance": "勾稽关系",
    "arith.sum": "合计数",
    "narrative.mismatch": "正文与表格不一致",
    "date.missing": "缺少落款日期",
    "date.period": "统计期间",
    "date.deadline": "公布时限",
    "template.outdated": "沿用旧版格式",
    "template.label_variant": "表格项目名称",
    "content.required_missing": "缺少规定内容",
    "text.duplicate_word": "重复字词",
    "text.copied": "照搬上年内容",
    "crossyear.carryover": "跨年度结转",
    "crossyear.in_force": "现行有效件数衔接",
    "parse.unreadable": "无法读取",
}

# Where a report's date was read (meta.date_source), as pages and messages name it.
DATE_SOURCE_CN = {"signature": "落款日期", "page": "发布日期", "file": "文件属性日期"}

# 一 … 十: section and group numbers as the template prints them (一、 （三）).
CN_NUMERALS = "一二三四五六七八九十"
_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (item and section numbers)."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _CN_DIGITS[units]
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if units:
        out += _CN_DIGITS[units]
    return out


def cn_date(day: dt.date) -> str:
    """成文日期 style: 2025年3月5日 (GB/T 9704: Arabic numerals, no padding)."""
    return f"{day.year}年{day.month}月{day.day}日"
