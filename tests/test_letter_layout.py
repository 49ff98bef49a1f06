"""The letter as printed: GB/T 9704 信函格式 in the DOCX (read back by python-docx, converted by
LibreOffice, its first page rendered by pdftoppm and measured) and in the HTML printed by Chromium.

Measured on the rendered page: the 发文机关标志 starts 30 mm from the top; a red double line,
thick over thin, lies under it; another, thin over thick, 20 mm above the bottom edge; both
170 mm long and centred on the 156 mm text block; page 1 has no page number, page 2 has
"— 2 —".
"""
from __future__ import annotations

import importlib.util

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from conftest import real_path
from nianbao.engine import check_report
from nianbao.outputs.letter import write_letters
from nianbao.packs import load_pack
from nianbao.reading import read_report
from nianbao.settings import LetterSettings
from test_html_report import chromium, file_url, needs_chromium

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
needs_office = pytest.mark.skipif(not (SOFFICE and PDFTOPPM), reason=(
    "LibreOffice (Debian libreoffice-writer-nogui) and pdftoppm (poppler-utils) are needed to convert and render "
    "the DOCX letter"))

SETTINGS = LetterSettings(sender="淮安市洪泽区人民政府办公室", reference="洪政办函〔2026〕3号",
                          contact="联系人：张三，电话：0517-12345678", date=dt.date(2026, 2, 10))
DPI = 100
MM = DPI / 25.4                      # pixels per millimetre


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    """The real 洪泽区 2023 report's letter, info findings included so it runs onto page 2."""
    pack = load_pack("gov-2021")
    result = check_report(read_report(str(real_path("huaian-hongze-2023.pdf"))), pack)
    out = tmp_path_factory.mktemp("letters")
    with_info = dataclasses.replace(pack, letter={**pack.letter, "include_info": True})   # as a pack overlay sets it
    files = write_letters(result, with_info, SETTINGS, out, "hongze")
    return out, files


# ---------------------------------------------------------------------------
# the DOCX as python-docx reads it back
def test_docx_page_setup_and_first_page_letterhead(letters):
    out, files = letters
    doc = docx.Document(str(out / files["docx"]))
    section = doc.sections[0]
    margins = [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                      section.right_margin)]
    assert margins == [37, 35, 28, 26]                     # 版心 156 × 225 mm on A4
    assert round(section.header_distance.mm) == 30 and round(section.footer_distance.mm) == 20
    assert section.different_first_page_header_footer and doc.settings.odd_and_even_pages_header_footer

    head = section.first_page_header.paragraphs[0]
    assert head.text == "淮安市洪泽区人民政府办公室" and head.alignment == WD_ALIGN_PARAGRAPH.CENTER
    run = head.runs[0]
    assert str(run.font.color.rgb) == "C00000" and run._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    top_rule = head._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert top_rule.get(qn("w:val")) == "thickThinSmallGap" and top_rule.get(qn("w:color")) == "C00000"
    assert round(head.paragraph_format.left_indent.mm) == round(head.paragraph_format.right_indent.mm) == -7
    bottom_rule = section.first_page_footer.paragraphs[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom_rule.get(qn("w:val")) == "thinThickSmallGap"
    assert "PAGE" not in section.first_page_footer._element.xml          # 首页不显示页码

    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT and even.alignment == WD_ALIGN_PARAGRAPH.LEFT
    for footer, paragraph in ((section.footer, odd), (section.even_page_footer, even)):
        assert "PAGE" in footer._element.xml and paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"

    body = [p for p in doc.paragraphs]
    assert body[0].text == "洪政办函〔2026〕3号" and body[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    title_at = next(i for i, p in enumerate(body) if p.text.startswith("关于《"))
    assert [p.text for p in body[1:title_at]] == ["", ""]                 # 标题与发文字号相距二行


# ---------------------------------------------------------------------------
# the DOCX as LibreOffice converts and prints it
def _soffice_pdf(path: Path, outdir: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as profile:
        proc = subprocess.run([SOFFICE, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                               "--convert-to", "pdf", "--outdir", str(outdir), str(path)],
                              capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    pdf = outdir / (path.stem + ".pdf")
    assert proc.returncode == 0 and pdf.is_file(), f"LibreOffice failed: {proc.stdout[-500:]} {proc.stderr[-1500:]}"
    return pdf


def _page_text(pdf: Path, page: int) -> str:
    """The page's text without whitespace (pdftotext spaces Latin from Chinese and drops some spaces)."""
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def _red_rules(pdf: Path, workdir: Path) -> tuple[list[list[tuple[int, int]]], int, tuple[int, int], float]:
    """Page 1 rendered: the red horizontal lines, grouped into double lines ([(first row, thickness)…]),
    the page height in pixels, the lines' horizontal extent, and where the first red pixel is (mm from top)."""
    from PIL import Image

    subprocess.run([PDFTOPPM, "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(workdir / "page1")], check=True)
    image = Image.open(workdir / "page1.png").convert("RGB")
    width, height = image.size
    pixels = image.load()

    def red(x: int, y: int) -> bool:
        r, g, b = pixels[x, y]
        return r > 150 and g < 90 and b < 90

    rows = [y for y in range(height) if sum(red(x, y) for x in range(0, width, 2)) > 0.6 * 170 * MM / 2]
    lines: list[tuple[int, int]] = []          # (first row, thickness in rows)
    for y in rows:
        if lines and y == lines[-1][0] + lines[-1][1]:
            lines[-1] = (lines[-1][0], lines[-1][1] + 1)
        else:
            lines.append((y, 1))
    groups: list[list[tuple[int, int]]] = []
    for line in lines:
        if groups and line[0] - (groups[-1][-1][0] + groups[-1][-1][1]) < 2 * MM:
            groups[-1].append(line)
        else:
            groups.append([line])
    y0 = lines[0][0] + lines[0][1] // 2
    xs = [x for x in range(width) if red(x, y0)]
    first_red = next(y for y in range(height) if any(red(x, y) for x in range(0, width, 2)))
    return groups, height, (xs[0], xs[-1]), first_red / MM


@needs_office
def test_libreoffice_converts_the_docx_and_prints_the_letter_format(letters, tmp_path):
    out, files = letters
    pdf = _soffice_pdf(out / files["docx"], tmp_path)
    pages = int(next(l.split()[-1] for l in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                          check=True).stdout.splitlines() if l.startswith("Pages:")))
    assert pages >= 2
    first, second = _page_text(pdf, 1), _page_text(pdf, 2)
    assert "淮安市洪泽区人民政府办公室" in first and "洪政办函〔2026〕3号" in first
    assert "—1—" not in first and "—2—" in second
    text = "".join(_page_text(pdf, p) for p in range(1, pages + 1))
    if importlib.util.find_spec("chinesecalendar") is not None:   # the letters extra: official holidays
        assert "请于2026年3月9日前完成整改并重新公开" in text      # the Spring Festival skipped

    groups, height, (left, right), sender_top = _red_rules(pdf, tmp_path)
    assert len(groups) == 2 and all(len(g) == 2 for g in groups), groups
    top, bottom = groups
    # thick over thin under the letterhead; thin over thick at the foot.
    assert top[0][1] > top[1][1] and bottom[0][1] < bottom[1][1], groups
    assert abs((height - (bottom[1][0] + bottom[1][1])) / MM - 20) < 2.5       # 20 mm above the bottom edge
    assert 28 <= sender_top <= 36                                              # 发文机关标志 30 mm down
    assert abs((right - left) / MM - 170) < 3 and abs(left / MM - 21) < 2.5    # 170 mm, centred on the block
    assert top[0][0] / MM < 60                                                 # right under the letterhead


@needs_chromium
def test_printed_html_letter_has_the_same_format(letters, tmp_path):
    if not PDFTOPPM:
        pytest.skip("pdftoppm (poppler-utils) is needed to render the printed letter")
    out, files = letters
    pdf = tmp_path / "letter.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url=file_url(out / files["html"]), timeout=120)
    first, second = _page_text(pdf, 1), _page_text(pdf, 2)
    assert "淮安市洪泽区人民政府办公室" in first and "—1—" not in first and "—2—" in second
    groups, height, (left, right), sender_top = _red_rules(pdf, tmp_path)
    assert len(groups) == 2 and all(len(g) == 2 for g in groups), groups
    top, bottom = groups
    assert top[0][1] > top[1][1] and bottom[0][1] < bottom[1][1], groups
    assert abs((height - (bottom[1][0] + bottom[1][1])) / MM - 20) < 2.5
    assert 28 <= sender_top <= 36
    assert abs((right - left) / MM - 170) < 3 and abs(left / MM - 21) < 2.5


def test_letter_files_are_written_atomically_and_only_them(letters):
    out, files = letters
    assert sorted(os.listdir(out / "letters")) == ["hongze.docx", "hongze.html"]


def test_letters_start_from_one_blank_document_and_stay_independent(tmp_path, monkeypatch):
    """Every Word letter starts from a copy of one styled blank document (built once per process): a
    letter is byte for byte the letter built from a fresh document, and no letter carries another's text
    or python-docx's template extras (a Word 2010 styles copy, a thumbnail of some other document)."""
    import io
    import zipfile

    from nianbao.outputs import letter_docx
    from nianbao.outputs.letter import letter_context

    pack = load_pack("gov-2021")
    ctxs = []
    for name, agency in (("one", "甲县人民政府"), ("two", "乙区人民政府")):
        report = read_report(str(real_path("huaian-hongze-2024.pdf")))
        result = check_report(report, pack)
        ctx = letter_context(result, pack, dt.date(2026, 3, 2), None)
        ctx["blocks"] = [dict(b, text=b["text"].replace("淮安市洪泽区人民政府", agency)) for b in ctx["blocks"]]
        ctxs.append(ctx)

    def parts(doc) -> dict[str, bytes]:
        buf = io.BytesIO()
        doc.save(buf)
        with zipfile.ZipFile(buf) as z:
            return {n: z.read(n) for n in z.namelist()}

    first, second = (parts(letter_docx.build_letter_docx(c)) for c in ctxs)
    assert "甲县人民政府".encode() in first["word/document.xml"]
    assert "甲县人民政府".encode() not in second["word/document.xml"]
    assert not any("stylesWithEffects" in n or "thumbnail" in n for n in first)
    assert b"stylesWithEffects" not in first["word/_rels/document.xml.rels"]

    def fresh():          # what the copy stands for: the blank built anew, not copied
        doc = docx.Document()
        letter_docx._drop_template_extras(doc)
        letter_docx._styles(doc)
        letter_docx._page_setup(doc)
        return doc
    monkeypatch.setattr(letter_docx, "blank_document", fresh)
    assert parts(letter_docx.build_letter_docx(ctxs[1])) == second

    # The parts the blank holds as bytes (styles, settings…) read back as Word's parts again.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in second.items():
            z.writestr(name, data)
    reopened = docx.Document(io.BytesIO(buf.getvalue()))
    assert reopened.styles["Normal"].font.size == docx.shared.Pt(16)
    assert reopened.settings.odd_and_even_pages_header_footer
