"""A faster tokenizer for PDF content streams, token for token the same as pdfminer's.

Reading a PDF is mostly pdfminer interpreting page content streams, and more than half
of that is its tokenizer (`PDFContentParser`), which walks the stream through a chain
of per-state Python methods. This module gives pdfminer's page interpreter a
drop-in parser that matches each token with one compiled regular expression and
builds exactly the objects pdfminer builds (ints, floats, bytes, `PSLiteral`,
`PSKeyword`, lists, dicts, booleans), in the same order.

It only handles what it can reproduce exactly. At anything else — an inline image
(BI … ID … EI), a PostScript procedure `{ }`, an octal escape over 255, a name with
`#` escapes, an odd dictionary, an unbalanced `]`/`>>`, a token cut by the end of the
data — it hands the rest of the stream, from the start of that top-level object, to
pdfminer's own parser. Nothing about the stream budgets changes: the streams are
decoded by pdfminer (through the bounded decoders of pdf_guard), as before.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Sequence

from pdfminer import pdfinterp
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import KWD, LIT, PSEOF, PSLiteral, literal_name

_TOKEN = re.compile(
    rb"(?P<skip>[\s\x00]+|%[^\r\n]*)"
    rb"|(?P<num>[-+0-9][0-9]*(?:\.[0-9]*)?|\.[0-9]*)"
    rb"|/(?P<name>[^#/%\[\]()<>{}\s]*)"
    rb"|(?P<kw>[A-Za-z][^#/%\[\]()<>{}\s]*)"
    rb"|(?P<open><<|\[)"
    rb"|<(?P<hex>[0-9A-Fa-f\s]*)(?=[^0-9A-Fa-f\s])"
    rb"|(?P<close>>>|\])"
    rb"|(?P<gt>>)(?!>)"
    rb"|(?P<str>\()"
    rb"|(?P<other>[^\s\x00%/\-+0-9.A-Za-z(<>\[\]{}])"
)
_SKIP, _NUM, _NAME, _KW, _OPEN, _HEX, _CLOSE, _GT, _STR, _OTHER = range(1, 11)
_WS = re.compile(rb"\s")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_ESCAPES = {ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("f"): 12, ord("r"): 13,
            ord("("): 40, ord(")"): 41, ord("\\"): 92}
_INLINE_IMAGE = frozenset((KWD(b"BI"), KWD(b"ID"), KWD(b"EI")))
_TRUE, _FALSE = b"true", b"false"
_KEYWORDS: dict[bytes, Any] = {}


class _Fallback(Exception):
    """A construct this tokenizer leaves to pdfminer."""


def _hex(body: bytes) -> bytes:
    digits = _WS.sub(b"", body)
    if len(digits) % 2:                   # pdfminer reads an unpaired last digit alone: "3" -> 0x03
        return bytes.fromhex(digits[:-1].decode()) + bytes((int(digits[-1:], 16),))
    return bytes.fromhex(digits.decode())


def _string(data: bytes, i: int) -> tuple[bytes, int]:
    """A literal string whose "(" is at data[i-1]: its bytes and the index after its ")"."""
    out = bytearray()
    depth = 1
    n = len(data)
    while True:
        m = _STRING_SPECIAL.search(data, i)
        if m is None:
            raise _Fallback                      # unterminated
        j = m.start()
        out += data[i:j]
        c = data[j]
        if c == 0x5C:                            # backslash
            k = j + 1
            if k >= n:
                raise _Fallback
            e = data[k]
            if 0x30 <= e <= 0x37:                # up to three octal digits
                end = k + 1
                while end < k + 3 and end < n and 0x30 <= data[end] <= 0x37:
                    end += 1
                code = int(data[k:end], 8)
                if code > 255 or end >= n:
                    raise _Fallback              # pdfminer asserts; or the string ends in the escape
                out.append(code)
                i = end
            elif e in _ESCAPES:
                out.append(_ESCAPES[e])
                i = k + 1
            elif e == 0x0D and k + 1 < n and data[k + 1] == 0x0A:
                i = k + 2                        # backslash + CRLF: a line continuation
            else:
                i = k + 1                        # pdfminer drops the escaped character
            continue
        if c == 0x28:                            # "(" nested
            depth += 1
            out.append(c)
        elif depth > 1:                          # ")" closing a nested "("
            depth -= 1
            out.append(c)
        else:
            return bytes(out), j + 1
        i = j + 1


def _number(token: bytes) -> Any:
    try:
        return float(token) if b"." in token else int(token)
    except ValueError:
        return None                              # "-", "+", ".": pdfminer drops them


def _tokens(data: bytes) -> Iterator[tuple[int, Any]]:
    """Top-level objects of a content stream as (position, object), as PDFContentParser gives them."""
    n = len(data)
    pos = 0
    stack: list[tuple[bytes, int, list]] = []    # open containers: (kind, start, items)
    scan = _TOKEN.match
    keywords = _KEYWORDS
    start = 0
    try:
        while pos < n:
            start = pos
            m = scan(data, pos)
            if m is None:
                raise _Fallback
            kind = m.lastindex
            pos = m.end()
            if kind == _SKIP:
                continue
            if kind == _NUM:
                obj = _number(m.group(_NUM))
                if obj is None:
                    continue
            elif kind == _KW:
                word = m.group(_KW)
                if word == _TRUE:
                    obj = True
                elif word == _FALSE:
                    obj = False
                else:
                    obj = keywords.get(word)
                    if obj is None:
                        obj = KWD(word)              # interned: the very object pdfminer uses
                        if len(keywords) < 512:
                            keywords[word] = obj
                    if obj in _INLINE_IMAGE:
                        raise _Fallback
            elif kind == _HEX:
                obj = _hex(m.group(_HEX))
            elif kind == _NAME:
                if pos < n and data[pos] == 0x23:      # "#" escapes in a name
                    raise _Fallback
                raw = m.group(_NAME)
                try:
                    obj = LIT(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    obj = LIT(raw)
            elif kind == _STR:
                obj, pos = _string(data, pos)
            elif kind == _OPEN:
                stack.append((m.group(_OPEN), start, []))
                continue
            elif kind == _CLOSE:
                if not stack or (stack[-1][0] == b"[") != (m.group(_CLOSE) == b"]"):
                    raise _Fallback
                opener, start, items = stack.pop()
                if opener == b"[":
                    obj = items
                else:
                    if len(items) % 2 or not all(isinstance(k, PSLiteral) for k in items[::2]):
                        raise _Fallback
                    obj = {literal_name(k): v for k, v in zip(items[::2], items[1::2]) if v is not None}
            elif kind == _GT:
                continue                               # a lone ">": pdfminer drops it
            else:
                obj = KWD(m.group(_OTHER))
            if stack:
                stack[-1][2].append(obj)
            else:
                yield start, obj
        if stack:
            raise _Fallback                            # an array or dictionary left open
    except _Fallback:
        restart = stack[0][1] if stack else start
        yield from _pdfminer_tokens(data[restart:])


def _pdfminer_tokens(data: bytes) -> Iterator[tuple[int, Any]]:
    parser = _PDFMINER_PARSER([PDFStream({}, data)])
    while True:
        try:
            yield parser.nextobject()
        except PSEOF:
            return


class FastContentParser:
    """What `PDFPageInterpreter.execute` needs of a content parser: `nextobject()`."""

    def __init__(self, streams: Sequence[object]) -> None:
        datas = [stream_value(s).get_data() for s in streams]
        data = datas[0] if len(datas) == 1 else b"\n".join(datas)
        self._next = _tokens(data).__next__

    def nextobject(self) -> tuple[int, Any]:
        try:
            return self._next()
        except StopIteration:
            raise PSEOF("end of content stream") from None


_PDFMINER_PARSER = pdfinterp.PDFContentParser


def install() -> None:
    """Make pdfminer's page interpreter use the fast tokenizer (idempotent, process-wide)."""
    pdfinterp.PDFContentParser = FastContentParser  # type: ignore[misc, assignment]
