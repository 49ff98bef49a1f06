"""Text for a terminal: report content shown, never obeyed.

A report (or a file name) can hold control characters and ANSI escape
sequences that would move the cursor, rewrite lines, retitle the window or
hide text on a supervisor's terminal, and bidirectional overrides that show
text in another order than it is stored. Each such character is written
visibly instead (``\\x1b``, ``\\u202e``); line breaks and tabs stay.
"""
from __future__ import annotations

import re
import unicodedata

# C0 controls but \t and \n, DEL, C1 controls (U+009B is a one-character CSI),
# bidirectional embeddings, overrides and isolates, line/paragraph separators.
# Lone surrogates (undecodable bytes of a file name) could not even be encoded for output.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def _visible(m: re.Match) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:          # a byte of a file name that is not UTF-8, as Python keeps it
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """text with every character that a terminal would act on shown as an escape."""
    return _UNSAFE.sub(_visible, text)


def safe_line(text: str) -> str:
    """One line of text: a line break inside it is shown too, so it cannot forge a line."""
    return safe(text).replace("\n", "\\n").replace("\t", " ")


def shown_error(exc) -> str:
    """A NianbaoError for stderr: the path on the same line whatever it holds; a pack error's
    source line and caret (the message's own line breaks) kept."""
    return f"{safe_line(exc.path)}: {safe(exc.message)}"


_MAX_KEPT = 30_000          # characters _Widths remembers; the CJK characters of real text are a few thousand


class _Widths(dict):
    """Character code -> the character once (narrow) or twice (east-Asian wide or full-width), filled
    as characters are first seen: str.translate then measures a text in C, not a Python loop. A text
    of every code point (hostile) fills it only up to _MAX_KEPT characters."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        value = ch * 2 if unicodedata.east_asian_width(ch) in ("W", "F") else ch
        if len(self) < _MAX_KEPT:
            self[code] = value
        return value


_WIDTHS = _Widths()


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced display (a terminal; a spreadsheet's width units):
    east-Asian wide and full-width characters count two, every other character one."""
    return len(text) if text.isascii() else len(text.translate(_WIDTHS))
