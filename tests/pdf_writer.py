"""A minimal PDF writer for test fixtures (not a test module).

Pages are lists of drawing operations in top-left coordinates (points, as
pdfplumber reports them), converted to PDF's bottom-left ones when written:

    ("text", x, top, text, size)                 text whose em box starts at `top`
    ("line", x0, top0, x1, top1[, width])         a stroked black rule (width 0.5 by default)
    ("rect", x0, top, x1, bottom, paint[, (r, g, b)])  paint "S" stroke, "f" fill, "B" both
    ("image", x0, top, x1, bottom)                a tiny grey image scaled to the box

Text is set in the standard Adobe CJK font STSong-Light (UniGB-UCS2-H), which
PDF readers supply themselves: no font file is embedded. ASCII is half-width
(CIDs 1-95), everything else full-width; the font's ascent is 1000, so a line's
baseline is at top + size.
"""
from __future__ import annotations

import zlib
from pathlib import Path

PAGE_W, PAGE_H = 595, 842              # A4, points


def _op(op: tuple) -> str:
    """One drawing operation as PDF content-stream text."""
    kind = op[0]
    if kind == "text":
        _, x, top, text, size = op
        hexed = text.encode("utf-16-be").hex().upper()
        return f"BT /F1 {size:g} Tf 1 0 0 1 {x:.2f} {PAGE_H - top - size:.2f} Tm <{hexed}> Tj ET"
    if kind == "line":
        x0, t0, x1, t1 = op[1:5]
        width = op[5] if len(op) > 5 else 0.5
        return f"{width:g} w 0 G {x0:.2f} {PAGE_H - t0:.2f} m {x1:.2f} {PAGE_H - t1:.2f} l S"
    if kind == "rect":
        x0, t0, x1, t1, paint = op[1:6]
        color = op[6] if len(op) > 6 else None
        fill = "{:g} {:g} {:g} rg ".format(*color) if color else ""
        return f"q {fill}0.5 w {x0:.2f} {PAGE_H - t1:.2f} {x1 - x0:.2f} {t1 - t0:.2f} re {paint} Q"
    if kind == "image":
        x0, t0, x1, t1 = op[1:5]
        return f"q {x1 - x0:.2f} 0 0 {t1 - t0:.2f} {x0:.2f} {PAGE_H - t1:.2f} cm /Im1 Do Q"
    raise ValueError(f"unknown PDF drawing operation {kind!r}")


def pdf_bytes(pages: list[list[tuple]], *, title: str | None = None, producer: str | None = None) -> bytes:
    """A PDF of the given pages (lists of drawing operations); `title`/`producer` go in /Info."""
    objs: list[bytes | None] = []

    def add(body: bytes | None) -> int:
        objs.append(body)
        return len(objs)

    catalog = add(None)
    pages_id = add(None)
    descriptor = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -120 1000 880]"
                     b" /ItalicAngle 0 /Ascent 1000 /Descent 0 /CapHeight 880 /StemV 80 >>")
    cidfont = add(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
                  b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >>"
                  b" /FontDescriptor %d 0 R /DW 1000 /W [1 95 500] >>" % descriptor)
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
               b" /DescendantFonts [%d 0 R] >>" % cidfont)
    resources = b"/Font << /F1 %d 0 R >>" % font
    if any(op[0] == "image" for ops in pages for op in ops):
        image = add(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray"
                    b" /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\x80\x80\x00\nendstream")
        resources += b" /XObject << /Im1 %d 0 R >>" % image
    kids = []
    for ops in pages:
        data = zlib.compress("\n".join(map(_op, ops)).encode("ascii"))
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R"
                        b" /Resources << %s >> >>" % (pages_id, PAGE_W, PAGE_H, content, resources)))
    info = None
    if title is not None or producer is not None:
        fields = []
        if title is not None:
            fields.append(b"/Title <FEFF" + title.encode("utf-16-be").hex().upper().encode("ascii") + b">")
        if producer is not None:
            fields.append(b"/Producer (" + producer.encode("ascii") + b")")
        info = add(b"<< " + b" ".join(fields) + b" >>")
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objs[pages_id - 1] = (b"<< /Type /Pages /Count %d /Kids [" % len(kids)
                          + b" ".join(b"%d 0 R" % k for k in kids) + b"] >>")
    return pdf_file(objs, catalog, info)


def pdf_file(objs: list, root: int, info: int | None = None) -> bytes:
    """A PDF file of numbered objects (1-based; None is null) with a correct cross-reference table."""
    buf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(buf))
        buf += b"%d 0 obj\n" % number + (body or b"null") + b"\nendobj\n"
    xref = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        buf += b"%010d 00000 n \n" % off
    trailer = b"/Size %d /Root %d 0 R" % (len(objs) + 1, root) + (b" /Info %d 0 R" % info if info else b"")
    buf += b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(buf)


def write_pdf(path: Path, pages: list[list[tuple]], **info) -> Path:
    """Write `pdf_bytes(pages, **info)` to `path`; returns the path."""
    path.write_bytes(pdf_bytes(pages, **info))
    return path
