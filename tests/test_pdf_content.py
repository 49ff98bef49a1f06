"""The fast content-stream tokenizer gives exactly pdfminer's objects (ingest/pdf_content.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdftypes import PDFStream, resolve1, stream_value
from pdfminer.psparser import PSEOF

from nianbao.ingest import pdf_content

from conftest import CORPUS

PDFMINER = pdf_content._PDFMINER_PARSER


def _objects(parser_class, data: bytes):
    """Every top-level object the parser gives, or the kind of exception it stops with."""
    parser = parser_class([PDFStream({}, data)])
    out = []
    while True:
        try:
            obj = parser.nextobject()[1]
            if isinstance(obj, PDFStream):        # an inline image: PDFStream has no ==
                obj = ("inline image", obj.attrs, obj.rawdata)
            out.append(obj)
        except PSEOF:
            return out
        except Exception as exc:            # what pdfminer raises, the fast parser must raise too
            return out + [type(exc).__name__]


def assert_same(data: bytes) -> list:
    expected = _objects(PDFMINER, data)
    got = _objects(pdf_content.FastContentParser, data)
    assert got == expected, data
    # Same objects, and keywords/names are pdfminer's interned objects (compared by identity there).
    for a, b in zip(got, expected):
        assert type(a) is type(b)
        if not isinstance(a, (list, dict, bytes, int, float, str, tuple)):
            assert a is b
    return got


@pytest.mark.parametrize("data", [
    b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET",
    b"q 1 0 0 1 0 0 cm 0.5 g 10 10 100 50 re f Q",
    b"[(A) -120 (B) 3.5 <0041>] TJ",
    b"(nested (parens) inside) Tj (a\\)b\\(c\\\\) Tj",
    b"(oct \\101\\60\\7x \\0053) Tj",                      # octal escapes of one to three digits
    b"(esc \\n\\r\\t\\b\\f \\q drop) Tj (line\\\r\ncont) Tj (line\\\ncont) Tj",
    b"<48 65 6C6C 6F> Tj <414> Tj <> Tj",                   # spaces in hex, an odd digit, empty
    b"<00>> <</A 1>> /Span <</MCID 0 /Alt (x)>> BDC EMC",    # pdfminer reads "<00>>" as hex + ">>"
    b"/Name /N#41me /b\xc3\xa9 /\xff\xfe 1 Tf",            # "#" escapes and non-UTF-8 names
    b"1.5.3 -.5 +7 - + . 5. 12abc 0.0 -0 T* ' \" d0",
    b"true false null [true [1 [2]] <</K [3]>>] x",
    b"% a comment\n 1 2 m %another\r 3 4 l S",
    b"1 2 { 3 4 } 5 exec",                                  # a procedure: left to pdfminer
    b"q BI /W 2 /H 2 /BPC 8 /CS /G ID \x00\xff\x10\x20 EI Q 1 0 0 RG",  # an inline image
    b"(\\777) Tj 1 2 m",                                     # octal over 255: pdfminer asserts
    b"] 1 2 >> 3 <</A>> 4 [1 2",                             # unbalanced and unterminated
    b"(unterminated string",
    b"<4142",
    b"\x00\x01 ) # { \x80\xfe  1",
    b"",
])
def test_the_same_objects_as_pdfminer(data):
    assert_same(data)


def test_a_construct_left_to_pdfminer_mid_stream_is_not_read_twice():
    got = assert_same(b"1 0 0 RG [1 2 (x)] TJ BI /W 1 /H 1 ID \x00 EI 5 w")
    assert got.count(5) == 1 and sum(1 for o in got if o == [1, 2, b"x"]) == 1


_PIECES = st.sampled_from([
    b" ", b"\n", b"\r\n", b"\x00", b"%c\n", b"1", b"-2.5", b".5", b"+", b"-", b"3.", b"/F1", b"/A#42",
    b"/", b"Tj", b"TJ", b"T*", b"'", b"\"", b"re", b"true", b"false", b"(", b")", b"\\", b"\\(",
    b"\\101", b"\\9", b"<", b">", b"<<", b">>", b"[", b"]", b"{", b"}", b"4142", b"a b", b"#",
    b"BI", b"ID", b"EI", b"\xe4\xb8\xad", b"\xff",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map(b"".join))
def test_fuzz_the_same_objects_as_pdfminer(data):
    assert_same(data)


@pytest.mark.skipif(not (CORPUS / "real").is_dir(), reason=f"the real corpus is not at {CORPUS / 'real'}")
@pytest.mark.parametrize("name", ["huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf"])
def test_real_reports_give_the_same_objects(name):
    import pdfplumber

    path = Path(CORPUS / "real" / name)
    compared = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            streams = [stream_value(s).get_data() for s in page.page_obj.contents]
            for xobject in (resolve1(page.page_obj.resources.get("XObject")) or {}).values():
                xobject = stream_value(xobject)
                if getattr(xobject.get("Subtype"), "name", "") == "Form":
                    streams.append(xobject.get_data())
            for data in streams:
                compared += len(assert_same(data))
    assert compared > 30_000


def test_installed_for_pdfminer_page_interpreter(tmp_path):
    """After a PDF is read, pdfminer's interpreter builds its parser from the fast one."""
    from pdf_render import render_pdf

    from nianbao.ingest.pdf import read_pdf
    import pdfminer.pdfinterp as interp

    path = tmp_path / "r.pdf"
    render_pdf("（一）主动公开情况\n本机关主动公开政府信息 12 条。\n", path)
    assert read_pdf(str(path)).blocks
    assert interp.PDFContentParser is pdf_content.FastContentParser
    assert PDFPageInterpreter.execute.__module__ == "pdfminer.pdfinterp"
