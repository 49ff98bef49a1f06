"""Text helpers of the letters: safe strings, Chinese numbers and dates, signature indents."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..words import cn_date, cn_number  # noqa: F401  (one home: words.py; letters import them from here)
# Characters XML 1.0 forbids (python-docx would refuse them) and bidi controls that could
# make an agency name display as something else.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def clean(text: Any) -> str:
    """A string from a report or pack, safe to put in XML and free of display tricks."""
    return _UNSAFE_CHARS.sub("", str(text)).strip()


def sentence(text: str) -> str:
    """End a statement with 。 unless it already ends with sentence punctuation."""
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in "。！？!?…" else text.rstrip("；;，,：:") + "。"


def _width(text: str) -> float:
    """Printed width in Chinese character widths (ASCII is half width)."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def signature_indents(sender: str, date_text: str) -> dict[str, float]:
    """Right indents, in character widths, for the 署名 and 成文日期 (GB/T 9704 7.3.5.1).

    The date sits four characters from the right margin and the sender is centred over it;
    a sender longer than the date sits two characters from the margin and the date is
    centred under it.
    """
    ws, wd = _width(sender), _width(date_text)
    if ws <= wd:
        return {"sender": 4 + (wd - ws) / 2, "date": 4.0}
    return {"sender": 2.0, "date": 2 + (ws - wd) / 2}


def self_reference(sender: str) -> str:
    """How the sender refers to itself in the body: 我办, 我局, 我委…"""
    for suffix, word in (("办公室", "我办"), ("办", "我办"), ("委员会", "我委"), ("委", "我委"), ("局", "我局"),
                         ("厅", "我厅"), ("中心", "我中心"), ("处", "我处"), ("科", "我科")):
        if sender.endswith(suffix):
            return word
    return "我单位"


def span(first: int, last: int) -> str:
    """第一项 / 第一、二项 / 第一项至第三项."""
    if first == last:
        return f"第{cn_number(first)}项"
    if last == first + 1:
        return f"第{cn_number(first)}、{cn_number(last)}项"
    return f"第{cn_number(first)}项至第{cn_number(last)}项"
