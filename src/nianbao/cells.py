"""Reading single cells: numbers as printed, and which cells are labels.

Full-width digits and thousands separators are numbers; anything else that
is not empty stays text, so a rule can flag it (value.invalid).
"""
from __future__ import annotations

import re
import unicodedata

# No count or amount in a report has more digits; a longer one (a 4,300-digit "number",
# a 400-digit decimal that float() would turn into inf) is not a valid value.
MAX_DIGITS = 30
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_GROUP_MARK = re.compile(r"^[（(][一二三四五六七八九十][）)]")
# Text a reporter typed into a value cell: Chinese numerals, "无", dashes.
_VALUE_LIKE = re.compile(r"^(?:[〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟]+(?:件|个|条|元|万元)?"
                         r"|无|空|暂无|不适用|[—－\-/／…]+)$")


# Column headers converters invent for a table they could not read: 类别 | 数据1 | … | 总计,
# (数据项目) | 数量, or a header whose first cell is 项目/类别.
_GENERIC_HEADER = re.compile(r"^[（(]?(?:类别|项目|数据项目|数据\d{0,2}|数量|序号)[）)]?$")
_PLACEHOLDER = re.compile(r"^[—－\-]+$")


def is_generic_header(texts: list[str]) -> bool:
    """A converter's own header row: its first non-empty cell is a generic word and no cell is a number."""
    cells = [unicodedata.normalize("NFKC", t).strip().replace(" ", "") for t in texts]
    cells = [c for c in cells if c]
    if not cells or any(isinstance(parse_number(c), (int, float)) for c in cells):
        return False
    return bool(_GENERIC_HEADER.match(cells[0]))


def is_placeholder_row(texts: list[str]) -> bool:
    """A row of dashes only: what a converter prints under a header it kept without data."""
    cells = [t.strip() for t in texts if t.strip()]
    return bool(cells) and all(_PLACEHOLDER.match(c) for c in cells)


def parse_number(text: str) -> int | float | str | None:
    """'' -> None (blank); '1,234' / '１２３４' -> 1234; '7730.28' -> 7730.28; anything else -> the text."""
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = folded.replace(" ", "")
    if folded == "":
        return None
    if _NUMBER.match(folded):
        plain = folded.replace(",", "")
        number = to_number(plain)
        if number is not None:
            return number
    return text.strip()


def to_number(digits: str) -> int | float | None:
    """An int or a finite float from plain digits ('12', '7.5'); None when too long to be a real figure."""
    if sum(ch.isdigit() for ch in digits) > MAX_DIGITS:
        return None
    try:
        return float(digits) if "." in digits else int(digits)
    except ValueError:
        return None


def is_label(text: str) -> bool:
    """A label cell names a row or column: Chinese text, not a stray value like '无' or '—'."""
    if _VALUE_LIKE.match(text.strip()):
        return False
    if len(_CJK.findall(text)) >= 2:
        return True
    return bool(_GROUP_MARK.match(text.strip()))

