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

