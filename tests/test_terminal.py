"""Text shown on a terminal: escapes for what a terminal would obey, and display widths."""
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao import terminal
from nianbao.terminal import display_width, safe


def _slow_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def test_display_width_of_chinese_full_width_and_latin():
    assert display_width("2024年度") == 8
    assert display_width("（一）依申请公开") == 16
    assert display_width("ＡＢ１２") == 8            # full-width forms count two
    assert display_width("ﾊﾝｶｸ") == 4              # half-width katakana count one
    assert display_width("") == 0
    assert display_width("a\tb") == 3


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_display_width_counts_as_unicodedata_does(text):
    assert display_width(text) == _slow_width(text)


def test_display_width_keeps_a_bounded_table(monkeypatch):
    """A hostile text of many distinct characters is measured right without the table growing past its bound."""
    monkeypatch.setattr(terminal, "_WIDTHS", terminal._Widths())
    monkeypatch.setattr(terminal, "_MAX_KEPT", 100)
    text = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 500)) + "abc"
    assert display_width(text) == 1003
    assert len(terminal._WIDTHS) == 100
    assert display_width(text) == 1003


def test_safe_shows_escape_sequences_instead_of_obeying_them():
    assert safe("报告\x1b[2J名称\u202e") == "报告\\x1b[2J名称\\u202e"
    assert safe("第一行\n\t第二行") == "第一行\n\t第二行"
