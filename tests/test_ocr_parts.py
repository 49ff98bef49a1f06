"""The parts of the OCR path that need no OCR engine: table rules found in a drawn image,
tesseract's TSV, OCR text tidying, and how findings on OCR'd values are reported."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import REPO, real_path
from nianbao.engine import check_report
from nianbao.ocr.tesseract import parse_tsv
from nianbao.packs import load_pack
from nianbao.reading import read_report

DPI = 200
SCALE = DPI / 72


def _draw_table():
    """A 3-row table: a header cell spanning three columns, and a label cell spanning two rows."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (int(595 * SCALE), int(300 * SCALE)), 255)
    d = ImageDraw.Draw(img)
    xs = [60, 220, 300, 380, 460]
    ys = [40, 80, 120, 160]

    def px(v):
        return int(v * SCALE)

    for y in ys:                                            # full-width rows
        d.line((px(xs[0]), px(y), px(xs[-1]), px(y)), fill=0, width=2)
    for x in (xs[0], xs[1], xs[-1]):                        # outer and label column
        d.line((px(x), px(ys[0]), px(x), px(ys[-1])), fill=0, width=2)
    for x in xs[2:4]:                                       # inner columns below the header only
        d.line((px(x), px(ys[1]), px(x), px(ys[-1])), fill=0, width=2)
    d.rectangle((px(70), px(130), px(75), px(150)), fill=0)  # ink in the label cell (rows 2-3)
    # Text-like strokes shorter than a rule must not become rules.
    for i in range(8):
        d.line((px(100 + 12 * i), px(200), px(110 + 12 * i), px(200)), fill=0, width=3)
    return img


def test_rules_in_a_drawn_table_give_its_cells():
    np = pytest.importorskip("numpy")
    from nianbao.ingest.grid import build_grid
    from nianbao.ocr.rulings import find_rulings, find_tables

    gray = np.asarray(_draw_table())
    rulings = find_rulings(gray, SCALE)
    tables = find_tables(rulings.edges)
    assert len(tables) == 1
    grid = build_grid(tables[0])
    assert [round(x) for x in grid.xs] == [60, 220, 300, 380]
    assert [round(t) for t in grid.tops] == [40, 80, 120]
    header = [c for c in grid.cells if c.r0 == 0 and c.c0 == 1]
    assert len(header) == 1 and (header[0].c0, header[0].c1) == (1, 3)    # spans three columns
    assert all(round(e["top"]) != 200 for e in rulings.edges if e["orientation"] == "h")


def test_tsv_words_become_lines():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t20\t30\t15\t91.5\t行政",
        "5\t1\t1\t1\t1\t2\t45\t21\t30\t15\t88.5\t许可",
        "4\t1\t1\t1\t2\t0\t10\t50\t60\t15\t-1\t",
        "5\t1\t1\t1\t2\t1\t10\t50\t20\t15\t95\t97",
        "5\t1\t1\t1\t2\t2\t40\t50\t20\t15\t-1\t ",
    ]
    lines = parse_tsv("\n".join([header, *rows]))
    assert [l.text for l in lines] == ["行政 许可", "97"]
    assert lines[0].bbox == (10, 20, 75, 36)
    assert lines[0].confidence == pytest.approx(90.0)


@pytest.mark.parametrize("read,printed", [
    ("〈一）予以公开", "（一）予以公开"),
    ("《五）不予处理", "（五）不予处理"),
    ("(七总计", "（七）总计"),
    ("1 属于国家秘密", "1.属于国家秘密"),
    ("1 .信访举报投诉类申请", "1.信访举报投诉类申请"),
    ("本年收费金额 (单位: 万元)", "本年收费金额（单位：万元）"),
    ("政府 信息 公开", "政府信息公开"),
    ("7730.28", "7730.28"),
])
def test_ocr_cell_text_in_printed_form(read, printed):
    pytest.importorskip("numpy")
    from nianbao.ingest.page_image import tidy_cell

    assert tidy_cell(read) == printed


def test_ocr_running_text_keeps_its_numbers():
    pytest.importorskip("numpy")
    from nianbao.ingest.page_image import tidy

    # As the text-layer reader gives it: spaces between Chinese characters only are dropped.
    assert tidy("12 月 31 日止，受 理申请 21 件") == "12 月 31 日止，受理申请 21 件"
    assert tidy("(一)主动公开情况") == "（一）主动公开情况"


def _ocr_everywhere(report):
    for name, fact in report.values.items():
        report.values[name] = dataclasses.replace(fact, location=dataclasses.replace(fact.location, ocr=True))
    return report


def test_errors_on_ocr_values_ask_for_a_human_look():
    path = str(real_path("huaian-hongze-2023.pdf"))
    pack = load_pack("gov-2021")
    report = read_report(path)
    plain = check_report(report, pack)
    errors = {f.rule: f for f in plain.findings if f.severity == "error"}
    on_values = {r for r, f in errors.items() if any(e.field in report.values for e in f.evidence)}
    assert {"table4-review-total", "table4-after-review-total"} <= on_values
    scanned = check_report(_ocr_everywhere(read_report(path)), pack)
    got = {f.rule: f for f in scanned.findings}
    assert set(got) == {f.rule for f in plain.findings}
    for rule in on_values:
        assert got[rule].severity == "warning"
        assert got[rule].message.startswith(errors[rule].message.rstrip("。"))
        assert got[rule].message.endswith("所涉数值由扫描页面OCR识别，可能存在识别误差，请人工核对")
    # Errors that rest on no OCR'd value stay errors, word for word.
    for rule in set(errors) - on_values:
        assert (got[rule].severity, got[rule].message) == ("error", errors[rule].message)


def test_missing_content_beside_scanned_pages_is_a_warning():
    report = read_report(str(REPO / "examples" / "sample-report.txt"))
    report.sections.pop(5, None)
    report.section_order = [n for n in report.section_order if n != 5]
    pack = load_pack("gov-2021")
    assert [f.severity for f in check_report(report, pack).findings if f.rule == "sections-present"] == ["error"]
    report.ocr_pages = [4, 5]
    finding = next(f for f in check_report(report, pack).findings if f.rule == "sections-present")
    assert finding.severity == "warning"
    assert finding.message.endswith("报告第4、5页为扫描页面（OCR识别），相关内容可能未被识别，请人工核对")


def test_errors_on_text_stay_errors_when_the_tables_were_ocrd():
    path = str(REPO / "examples" / "sample-report.txt")
    pack = load_pack("gov-2021")
    plain = {(f.rule, f.severity, f.message) for f in check_report(read_report(path), pack).findings}
    scanned = {(f.rule, f.severity, f.message) for f in check_report(_ocr_everywhere(read_report(path)), pack).findings}
    errors = {(r, s, m) for r, s, m in plain if s == "error"}
    assert {r for r, _, _ in errors} == {"fee-statement", "date-deadline"}
    assert {(r, s, m) for r, s, m in scanned if s == "error"} == errors
    assert {(r, s) for r, s, _ in scanned} == {(r, s) for r, s, _ in plain}


def test_a_red_seal_is_not_ink():
    np = pytest.importorskip("numpy")
    from PIL import Image, ImageDraw

    from nianbao.ingest.page_image import grayscale

    img = Image.new("RGB", (200, 100), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse((60, 5, 140, 95), outline=(220, 30, 40), width=6)     # the seal's ring
    d.rectangle((10, 40, 190, 50), fill=(0, 0, 0))                  # a black text line across it
    gray = grayscale(img)
    assert int((np.asarray(img.convert("L")) < 160).sum()) > 11 * 181   # plain grey: the ring is ink
    dark = gray < 160
    assert int(dark.sum()) == 11 * 181 and dark[40:51, 10:191].all()  # here only the text is


@pytest.mark.parametrize("turn", [0.0, 0.6, -1.4, 3.0])
def test_a_page_scanned_askew_is_straightened(turn):
    np = pytest.importorskip("numpy")
    import pypdfium2 as pdfium
    from PIL import Image

    from nianbao.ocr.rulings import find_rulings, find_tables
    from nianbao.ocr.skew import skew_angle, straighten

    pdf = pdfium.PdfDocument(str(real_path("huaian-hongze-2024.pdf")))
    page = pdf[2].render(scale=150 / 72, grayscale=True).to_pil().convert("L")
    pdf.close()
    turned = np.asarray(page.rotate(turn, resample=Image.Resampling.BICUBIC, fillcolor=255))
    assert skew_angle(turned) == pytest.approx(-turn, abs=0.1)
    cells = [len(t.cells) for t in find_tables(find_rulings(straighten(turned), 150 / 72).edges)]
    straight = [len(t.cells) for t in find_tables(find_rulings(np.asarray(page), 150 / 72).edges)]
    assert cells == straight and sum(cells) > 100


def _page_3(dpi: int = 150):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(real_path("huaian-hongze-2024.pdf")))
    try:
        return pdf[2].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def test_a_grainy_faded_scan_keeps_its_table_rules():
    np = pytest.importorskip("numpy")
    from PIL import ImageFilter

    from nianbao.ingest.page_image import _despeckle
    from nianbao.ocr.rulings import find_rulings, find_tables

    page = _page_3()
    clean = np.asarray(page)
    blurred = np.asarray(page.filter(ImageFilter.GaussianBlur(0.7))).astype(float)
    noise = np.random.default_rng(7).normal(0, 12, clean.shape)
    grainy = np.clip(60 + 0.7 * blurred + noise, 0, 255).astype(np.uint8)    # grey paper, faded toner, grain

    def cells(gray):
        return [len(t.cells) for t in find_tables(find_rulings(gray, 150 / 72).edges)]

    assert cells(grainy) == cells(clean) and sum(cells(clean)) > 100
    assert _despeckle(clean) is clean                     # a clean page is left as it is
    smoothed = _despeckle(grainy)
    assert smoothed is not grainy and np.abs(np.diff(smoothed[:200].astype(int), axis=1)).mean() < \
        np.abs(np.diff(grainy[:200].astype(int), axis=1)).mean() / 2
