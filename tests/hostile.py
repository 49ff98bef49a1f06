"""Generators of hostile report files for tests/test_hostile_inputs.py.

Every file is built here, from the bundled sample report where a real report
shape is needed (examples/sample-report.txt), so the suite needs nothing from
outside. Each bomb is small on disk and would be huge once read without the
budgets of src/nianbao/limits.py: sizes are chosen just past the default
budgets, so a bounded reader refuses them quickly and an unbounded one would
blow the test's 1 GiB / 30 s limits.
"""
from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path

from conftest import REPO
from fixtures_render import render_docx
from pdf_writer import pdf_file

SAMPLE = REPO / "examples" / "sample-report.txt"
MB = 1024 * 1024

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def with_agency(name: str) -> str:
    """The sample report with its agency (first line, above the title) replaced by `name`."""
    text = sample_text()
    first, rest = text.split("\n", 1)
    assert first.startswith("示例县")
    return name + "\n" + rest


# ---------------------------------------------------------------------------
# Word


def sample_docx(path: Path) -> Path:
    return render_docx(sample_text(), path)


def _rewrite_zip(src: Path, dst: Path, edit_member=None, extra=None) -> Path:
    """Copy a .docx, editing word/document.xml with `edit_member(xml) -> xml`, then call `extra(zf)`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if edit_member is not None and info.filename == "word/document.xml":
                data = edit_member(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info.filename, data)
        if extra is not None:
            extra(zout)
    return dst


def _zeros_member(zf: zipfile.ZipFile, name: str, size: int) -> None:
    """A part of `size` zero bytes, streamed (never held in memory): ~1 KB on disk per MB."""
    chunk = b"\0" * MB
    with zf.open(name, "w", force_zip64=True) as fh:
        for _ in range(size // MB):
            fh.write(chunk)


def zip_bomb_docx(directory: Path, inflated: int = 300 * MB) -> Path:
    """A valid report .docx plus a media part of zeros: ~1 KB on disk per MB unzipped."""
    base = sample_docx(directory / "base.docx")
    out = _rewrite_zip(base, directory / "zip-bomb.docx",
                       extra=lambda zf: _zeros_member(zf, "word/media/image1.png", inflated))
    base.unlink()
    return out


def xml_bomb_docx(directory: Path, pad: int = 64 * MB) -> Path:
    """document.xml padded with white space inside the body: tiny on disk, too big to parse whole."""
    base = sample_docx(directory / "base.docx")

    def pad_body(xml: str) -> str:
        return xml.replace("<w:body>", "<w:body>" + " " * pad, 1)

    out = _rewrite_zip(base, directory / "xml-bomb.docx", edit_member=pad_body)
    base.unlink()
    return out


def grid_span_docx(directory: Path, span: int = 2_000_000_000) -> Path:
    """A 4 KB .docx whose table has one cell declaring a horizontal merge over `span` grid columns."""
    import docx

    document = docx.Document()
    document.add_paragraph("示例县人民政府2024年政府信息公开工作年度报告")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "行政许可"
    table.cell(0, 1).text = "1"
    tc_pr = table.cell(1, 0)._tc.get_or_add_tcPr()
    grid_span = tc_pr.makeelement(f"{{{_W}}}gridSpan", {f"{{{_W}}}val": str(span)})
    tc_pr.append(grid_span)
    path = directory / "gridspan.docx"
    document.save(str(path))
    return path


# ---------------------------------------------------------------------------
# Web pages


def colspan_html(span: int = 1_000_000_000) -> bytes:
    return ("<html><body><p>示例县人民政府2024年政府信息公开工作年度报告</p><table>"
            f"<tr><td colspan=\"{span}\">行政许可</td><td>1</td></tr>"
            "<tr><td>行政处罚</td><td>2</td></tr></table></body></html>").encode("utf-8")


def rowspan_grid_html(rows: int = 400, colspan: int = 999) -> bytes:
    """Spans each within the span budget, whose grid together is far over the cell budget."""
    body = "".join(f"<tr><td colspan=\"{colspan}\" rowspan=\"{rows}\">第{i}行</td><td>{i}</td></tr>"
                   for i in range(rows))
    return ("<html><body><p>示例县人民政府2024年政府信息公开工作年度报告</p><table>" + body
            + "</table></body></html>").encode("utf-8")


# ---------------------------------------------------------------------------
# PDF


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _one_page_pdf(content: bytes, filters: bytes = b"") -> bytes:
    """A PDF of one Letter-size page drawing `content` (already encoded by `filters`) in Helvetica."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), filters) + content + b"\nendstream",
        _FONT,
    ]
    return pdf_file(objects, 1)


def flate_bomb_pdf(inflated: int = 300 * MB) -> bytes:
    """One page whose content stream is a few text operators then `inflated` bytes of white space."""
    head = b"BT /F1 12 Tf 72 720 Td (2024 annual report) Tj ET\n"
    data = zlib.compressobj(9)
    parts = [data.compress(head)]
    chunk = b" " * MB
    parts += [data.compress(chunk) for _ in range(inflated // MB)]
    parts.append(data.flush())
    return _one_page_pdf(b"".join(parts), b" /Filter /FlateDecode")


def many_pages_pdf(pages: int = 20_000) -> bytes:
    """`pages` pages sharing one small content stream: a few hundred KB on disk."""
    content = b"BT /F1 12 Tf 72 720 Td (page) Tj ET"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [" % pages + kids + b"] /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        _FONT,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * pages
    return pdf_file(objects, 1)


def ruling_bomb_pdf(lines: int = 500) -> bytes:
    """One page of text ruled by `lines` vertical and `lines` horizontal lines: a grid of lines² cells."""
    ops = [b"BT /F1 12 Tf 72 720 Td (2024 annual report) Tj ET", b"0.5 w"]
    for i in range(lines):
        x, y = 20 + i * 1.1, 20 + i * 1.5
        ops.append(b"%.1f 20 m %.1f 770 l S" % (x, x))
        ops.append(b"20 %.1f m 600 %.1f l S" % (y, y))
    return _one_page_pdf(b"\n".join(ops))


def chars_bomb_pdf(draws: int = 200_000) -> bytes:
    """One page drawing a form of 10 characters `draws` times: 3 KB on disk, 2 million characters."""
    form = b"BT /F1 1 Tf 0 0 Td (0123456789) Tj ET"
    page = b"/X Do " * 1000
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> >>",
        None,
        _FONT,
        None,
    ]
    # Each page-level Do draws the middle form, which draws the character form draws/1000 times.
    inner = b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>" \
            b" /Length %d >>\nstream\n" % len(form) + form + b"\nendstream"
    middle_ops = b"/Y Do " * (draws // 1000)
    objects[3] = b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream"
    objects[5] = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /Y 7 0 R >> >>"
                  b" /Length %d >>\nstream\n" % len(middle_ops) + middle_ops + b"\nendstream")
    objects.append(inner)
    return pdf_file(objects, 1)


# ---------------------------------------------------------------------------
# Text


_HEADINGS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")


def repeated_headings_text(size: int = 760_000) -> bytes:
    """A title, then the six section headings with a sentence each, over and over, to `size` bytes."""
    chunk = "\n".join(f"{h}\n本年度共主动公开政府信息100条。" for h in _HEADINGS) + "\n"
    text = "某某市人民政府2023年政府信息公开工作年度报告\n"
    data = text.encode("utf-8")
    piece = chunk.encode("utf-8")
    return data + piece * ((size - len(data)) // len(piece) + 1)


def wide_row_text(cells: int = 20_000) -> str:
    """The sample with its 行政许可 row printed with `cells` values: a surplus no alignment can place."""
    text = sample_text()
    assert "行政许可\t1875" in text
    return text.replace("行政许可\t1875", "行政许可\t" + "\t".join(["12"] * cells), 1)


def huge_numbers_text(digits: int = 5000, decimal_digits: int = 400) -> str:
    """The sample with one table cell of `digits` digits and one of a `decimal_digits`-digit decimal."""
    text = sample_text()
    assert "行政许可\t1875" in text and "行政处罚\t642" in text
    text = text.replace("行政许可\t1875", "行政许可\t" + "9" * digits, 1)
    text = text.replace("行政处罚\t642", "行政处罚\t" + "7" * decimal_digits + ".5", 1)
    # and in the prose, where the pack's narrative patterns read figures
    return re.sub(r"(收到政府信息公开申请)(\d+)(件)", lambda m: m.group(1) + "8" * digits + m.group(3), text, count=1)


# Clear the screen, home the cursor, an OS command, a one-byte CSI (no digits nor ";": the
# agency line of a report has none).
ANSI_AGENCY = "示例县\x1b[H\x1b[J人民政府\x1b]lowned\x07\x9bJ"


def quoting_pdf_magic_text() -> str:
    """The sample with a sentence quoting a PDF header near its start (a text report, not a PDF)."""
    first, title, rest = sample_text().split("\n", 2)
    return "\n".join([first, title, "（说明：本报告的 PDF 版本以 %PDF-1.7 文件头开始。）", rest])


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
