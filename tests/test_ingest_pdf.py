"""PDF ingestion: real reports (when the shared corpus is present) and PDFs generated here.

Generated PDFs are written by the shared test writer (tests/pdf_writer.py): text
in the standard Adobe CJK font STSong-Light (UniGB-UCS2-H, no embedding needed),
ruled lines, rectangles and a small image, in pdfplumber's top-left coordinates.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nianbao.document import Block, Document
from nianbao.errors import InputError, UnreadableInput
from nianbao.ingest.pdf import normalize_text, read_pdf
from pdf_writer import write_pdf  # other test modules import write_pdf from here too

# ---------------------------------------------------------------------------
# Corpus


from conftest import real_path as _real  # noqa: E402  (the corpus is located in one place)


# ---------------------------------------------------------------------------
# Fixture PDFs


def table_ops(xs: list[float], ys: list[float], cells: list[tuple], *, open_top: bool = False,
              open_bottom: bool = False, size: float = 7, white_cells: bool = True) -> list[tuple]:
    """Ruled table. cells: (r0, r1, c0, c1, [text lines]) — a text line may be a list of
    (dx, text) pieces to print separate runs on one line. open_top / open_bottom leave out
    the table's outer top / bottom rule, as word processors do at a page break."""
    ops: list[tuple] = []
    for r0, r1, c0, c1, lines in cells:
        x0, x1, t0, t1 = xs[c0], xs[c1 + 1], ys[r0], ys[r1 + 1]
        if white_cells:       # the invisible white background word processors paint per cell
            ops.append(("rect", x0 + 0.3, t0 + 0.3, x1 - 0.3, t1 - 0.3, "f", (1, 1, 1)))
        if not (open_top and t0 == ys[0]):
            ops.append(("line", x0, t0, x1, t0))
        if not (open_bottom and t1 == ys[-1]):
            ops.append(("line", x0, t1, x1, t1))
        ops.append(("line", x0, t0, x0, t1))
        ops.append(("line", x1, t0, x1, t1))
        for i, line in enumerate(lines):
            pieces = [(0, line)] if isinstance(line, str) else line
            for dx, text in pieces:
                ops.append(("text", x0 + 2 + dx, t0 + 2 + i * (size + 2.5), text, size))
    return ops


def body_line(top: float, text: str, size: float = 14, x: float = 80) -> list[tuple]:
    """A body line with the white unstroked rectangle WPS paints behind it."""
    return [("rect", 70, top - 6, 525, top + size + 6, "f", (1, 1, 1)), ("text", x, top, text, size)]


ZEROS = ["0"] * 7
XS = [80, 106, 176, 330, 358, 386, 414, 442, 470, 498, 526]


def _values(values: list[str], row: int) -> list[tuple]:
    return [(row, row, 3 + i, 3 + i, [v]) for i, v in enumerate(values)]


def synthetic_report(tmp_path: Path) -> Path:
    """Two framed pages, running head, page numbers, table 3 broken across the pages."""
    head = ("text", 240, 30, "某县人民政府办公室文件", 9)
    frame = ("rect", 50, 55, 545, 790, "S")
    p1: list[tuple] = [head, frame, ("text", 280, 805, "- 1 -", 10)]
    p1 += body_line(70, "某县2024年政府信息公开工作年度报告", 18, x=130)
    p1 += body_line(110, "一、总体情况", 16, x=108)
    p1 += body_line(140, "2024 年，本机关共收到政府信息公开申请 8 件，")
    p1 += body_line(165, "均在法定期限内答复。")
    p1 += body_line(200, "三、收到和处理政府信息公开申请情况", 16, x=108)
    ys1 = [230, 262, 282, 302, 322, 346, 366, 386, 406]
    cells1 = [
        (0, 0, 0, 2, ["（本列数据的勾稽关系为：第一项加第二项之和，等", "于第三项加第四项之和）"]),
        (0, 0, 3, 3, ["自然人"]), (0, 0, 4, 4, ["商业", "企业"]), (0, 0, 5, 5, ["科研", "机构"]),
        (0, 0, 6, 6, ["社会", "公益", "组织"]), (0, 0, 7, 7, ["法律", "服务", "机构"]),
        (0, 0, 8, 8, ["其他"]), (0, 0, 9, 9, ["总计"]),
        (1, 1, 0, 2, ["一、本年新收政府信息公开申请数量"]),
        (2, 2, 0, 2, ["二、上年结转政府信息公开申请数量"]),
        (3, 7, 0, 0, list("三、本年度办理结果")),
        (3, 3, 1, 2, ["（一）予以公开"]),
        (4, 4, 1, 2, ["（二）部分公开（区分处理的，只计这一情", "形，不计其他情形）"]),
        (5, 7, 1, 1, ["（三）不予公开"]),
        (5, 5, 2, 2, ["1.属于国家秘密"]),
        (6, 6, 2, 2, ["2.其他法律行政法规 禁止公开"]),
        (7, 7, 2, 2, [[(0, "4.无正当理由大量反复"), (76, "申请")]]),
    ]
    cells1 += _values(["8", "2", "0", "0", "0", "0", "10"], 1) + _values(ZEROS, 2)
    cells1 += _values(["7", "2", "0", "0", "0", "0", "9"], 3)
    for r in (4, 5, 6, 7):
        cells1 += _values(ZEROS, r)
    ops = table_ops(XS, ys1, cells1, open_bottom=True)
    # A coloured, unstroked header background: not a rule either.
    ops.insert(0, ("rect", 80, 230, 330, 262, "f", (0.78, 0.85, 0.95)))
    p1 += ops
    ys1 = None

    p2: list[tuple] = [head, frame, ("text", 280, 805, "- 2 -", 10)]
    ys2 = [80, 100, 120, 140]
    cells2 = [
        (0, 1, 0, 0, []), (0, 0, 1, 1, []),
        (0, 0, 2, 2, ["5.属于三类内部事务信息"]),
        (1, 1, 1, 2, ["（七）总计"]),
        (2, 2, 0, 2, ["四、结转下年度继续办理"]),
    ]
    cells2 += _values(ZEROS, 0) + _values(["8", "2", "0", "0", "0", "0", "10"], 1) + _values(ZEROS, 2)
    p2 += table_ops(XS, ys2, cells2, open_top=True)
    p2 += body_line(170, "五、存在的主要问题及改进情况", 16, x=108)
    p2 += body_line(200, "一是信息公开意识有待提高。")
    return write_pdf(tmp_path / "synthetic.pdf", [p1, p2])


# ---------------------------------------------------------------------------
# Helpers over documents


def lines(doc: Document) -> list[str]:
    return [b.text for b in doc.blocks if b.kind == "line"]


def rows(doc: Document, table: int | None = None) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "row" and (table is None or b.table == table)]


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def split_row(block: Block) -> tuple[list[str], list[str]]:
    """Label cells (up to the first number) and value cells."""
    texts = [c.text for c in block.cells]
    for i, t in enumerate(texts):
        if _NUMBER.match(t):
            return texts[:i], texts[i:]
    return texts, []


def table_of(doc: Document, marker: str) -> int:
    for b in rows(doc):
        if any(marker in c.text for c in b.cells):
            return b.table
    raise AssertionError(f"no table row contains {marker!r}")


def labelled_rows(doc: Document, table: int) -> list[tuple[str, list[str]]]:
    out = []
    for b in rows(doc, table):
        labels, values = split_row(b)
        if values:
            out.append(([l for l in labels if l][-1] if any(labels) else "", values))
    return out


# ---------------------------------------------------------------------------
# Text normalisation


@pytest.mark.parametrize("raw, expected", [
    ("4.无正当理由大量反复 申请", "4.无正当理由大量反复申请"),
    ("号 ， 邮 编 ： 223100 ， 电 话 ：", "号，邮编：223100，电话："),
    ("总 计", "总计"),
    ("2023 年，我区", "2023 年，我区"),
    ("（国令第 711 号）", "（国令第 711 号）"),
    ("  hzzwgk@126.com  ", "hzzwgk@126.com"),
    ("Page  one", "Page one"),
    ("3.危及 “三安全一稳定”", "3.危及“三安全一稳定”"),
])
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


# ---------------------------------------------------------------------------
# Real reports

T3_LABELS = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量",
    "（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "1.属于国家秘密", "2.其他法律行政止公开",          # sic: both reports print 法律行政止公开
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息",
    "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理",                                   # one row, as in the gov-2019 template
    "（七）总计", "四、结转下年度继续办理",
]


def _t3(*firsts: int) -> list[list[str]]:
    """Table 3 values where only 自然人 and 总计 are non-zero (true of both reports)."""
    return [[str(n), "0", "0", "0", "0", "0", str(n)] for n in firsts]


REAL_EXPECTED = {
    2023: {
        "table2": {"规章": ["0", "0", "0"], "行政规范性文件": ["0", "5", "5"], "行政许可": ["550"],
                   "行政处罚": ["4119"], "行政强制": ["195"], "行政事业性收费": ["7730.28"]},
        "table3": _t3(21, 0, 0, 4, 1, 0, 0, 0, 0, 1, 1, 0, 10, 3, 0, 1, 0, 0, 0, 0, 0, 21, 0),
        "table4": "10 1 0 0 0 0 0 0 0 0 5 0 0 0 0".split(),
        "t3_first_page4": "3.补正后申请内容仍不明确",
    },
    2024: {
        "table2": {"规章": ["0", "0", "0"], "行政规范性文件": ["3", "0", "8"], "行政许可": ["9487"],
                   "行政处罚": ["2776"], "行政强制": ["84"], "行政事业性收费": ["7545"]},
        "table3": _t3(95, 0, 50, 9, 0, 0, 1, 0, 0, 1, 1, 0, 31, 1, 0, 1, 0, 0, 0, 0, 0, 95, 0),
        "table4": "1 1 0 0 2 1 0 0 0 1 2 0 1 0 3".split(),
        "t3_first_page4": "2.没有现成信息需要另行制作",
    },
}

HEADINGS = [
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
]


@pytest.fixture(scope="module", params=[2023, 2024])
def real_doc(request) -> tuple[int, Document]:
    year = request.param
    return year, read_pdf(str(_real(f"huaian-hongze-{year}.pdf")))


def test_real_document_basics(real_doc) -> None:
    year, doc = real_doc
    assert doc.format == "pdf"
    assert doc.properties["pages"] == "5"
    assert "creation_date" in doc.properties
    for b in doc.blocks:
        assert b.location.page in range(1, 6)
        for cell in b.cells:
            loc = cell.location
            assert loc.page in range(1, 6) and loc.bbox is not None and len(loc.bbox) == 4
            x0, top, x1, bottom = loc.bbox
            assert 0 <= x0 <= x1 <= 595 and 0 <= top <= bottom <= 842


def test_real_table3(real_doc) -> None:
    year, doc = real_doc
    expected = REAL_EXPECTED[year]
    t3 = table_of(doc, "本年新收政府信息公开申请数量")
    got = labelled_rows(doc, t3)
    assert [label for label, _ in got] == T3_LABELS
    assert [values for _, values in got] == expected["table3"]
    # Merged cells: the spanning text in the first row, "" below; column spans once.
    texts = [[c.text for c in b.cells] for b in rows(doc, t3)]
    first = texts.index(next(t for t in texts if "（一）予以公开" in t))
    assert texts[first][:2] == ["三、本年度办理结果", "（一）予以公开"]
    assert len(texts[first]) == 9
    secret = next(t for t in texts if "1.属于国家秘密" in t)
    assert secret[:3] == ["", "（三）不予公开", "1.属于国家秘密"] and len(secret) == 10
    law = next(t for t in texts if "2.其他法律行政止公开" in t)
    assert law[:3] == ["", "", "2.其他法律行政止公开"] and len(law) == 10
    new = next(t for t in texts if "一、本年新收政府信息公开申请数量" in t)
    assert new[0] == "一、本年新收政府信息公开申请数量" and len(new) == 8
    # The table runs over pages 3 and 4 as one table; cells carry their page.
    pages = [b.location.page for b in rows(doc, t3)]
    assert pages == sorted(pages) and set(pages) == {3, 4}
    first_p4 = next(b for b in rows(doc, t3) if b.location.page == 4)
    assert [c.text for c in first_p4.cells][:3] == ["", "", expected["t3_first_page4"]]
    assert all(c.location.page == 4 for c in first_p4.cells)


def test_real_table2(real_doc) -> None:
    year, doc = real_doc
    t2 = table_of(doc, "行政许可")
    got = {}
    for b in rows(doc, t2):
        labels, values = split_row(b)
        if values and labels:
            got[labels[0]] = values
    assert got == REAL_EXPECTED[year]["table2"]
    assert {b.location.page for b in rows(doc, t2)} == {2, 3}
    texts = [b.text for b in rows(doc, t2)]
    assert texts[0] == "第二十条第（一）项"
    assert "信息内容\t本年制发件数\t本年废止件数\t现行有效件数" in texts


def test_real_table4(real_doc) -> None:
    year, doc = real_doc
    t4 = table_of(doc, "行政复议")
    number_rows = [split_row(b)[1] for b in rows(doc, t4) if split_row(b)[1]]
    assert number_rows == [REAL_EXPECTED[year]["table4"]]
    header = [c.text for c in rows(doc, t4)[1].cells]
    assert header[:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert {b.location.page for b in rows(doc, t4)} == {4}


def test_real_three_tables_in_order(real_doc) -> None:
    year, doc = real_doc
    order = []
    for b in doc.blocks:
        if b.kind == "row" and b.table not in order:
            order.append(b.table)
    assert order == [0, 1, 2]
    assert [table_of(doc, m) for m in ("行政许可", "本年新收", "行政复议")] == [0, 1, 2]


def test_real_headings_and_lines(real_doc) -> None:
    year, doc = real_doc
    text = lines(doc)
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert text[0] in ("洪泽区人民政府", "淮安市洪泽区人民政府")
    assert text[1] == f"{year} 年政府信息公开工作年度报告"
    for sub in ("（一）主动公开情况", "（二）依申请公开情况", "（三）政府信息管理情况",
                "（四）政府信息公开平台建设情况", "（五）政府信息公开监督保障情况"):
        assert any(t.startswith(sub) for t in text), sub
    # Each table sits between its heading and the next one.
    blocks = doc.blocks
    index = {b.text: i for i, b in enumerate(blocks) if b.kind == "line"}
    for table, (before, after) in enumerate(zip(HEADINGS[1:4], HEADINGS[2:5])):
        where = [i for i, b in enumerate(blocks) if b.kind == "row" and b.table == table]
        assert index[before] < min(where) and max(where) < index[after]
    # No page numbers, no table text among the lines.
    assert not [t for t in text if re.fullmatch(r"[-\s\d]+", t)]
    for marker in ("第二十条", "信息内容", "本年制发件数", "属于国家秘密", "勾稽关系", "法人或其他组织",
                   "结果维持", "未经复议直接起诉", "本年度办理结果", "行政事业性收费"):
        assert not [t for t in text if marker in t], marker
    # One block per printed line, each with its page and box.
    assert all(len(t) <= 40 for t in text)
    last = doc.blocks[-1]
    assert last.kind == "line" and last.location.page == 5 and last.text.endswith("处理费 0 元。")


# ---------------------------------------------------------------------------
# Generated layouts


def test_synthetic_report(tmp_path: Path) -> None:
    doc = read_pdf(str(synthetic_report(tmp_path)))
    assert lines(doc) == [
        "某县2024年政府信息公开工作年度报告",
        "一、总体情况",
        "2024 年，本机关共收到政府信息公开申请 8 件，",
        "均在法定期限内答复。",
        "三、收到和处理政府信息公开申请情况",
        "五、存在的主要问题及改进情况",
        "一是信息公开意识有待提高。",
    ]
    got = [[c.text for c in b.cells] for b in rows(doc)]
    assert got == [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
         "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
        ["一、本年新收政府信息公开申请数量", "8", "2", "0", "0", "0", "0", "10"],
        ["二、上年结转政府信息公开申请数量"] + ZEROS,
        ["三、本年度办理结果", "（一）予以公开", "7", "2", "0", "0", "0", "0", "9"],
        ["", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"] + ZEROS,
        ["", "（三）不予公开", "1.属于国家秘密"] + ZEROS,
        ["", "", "2.其他法律行政法规禁止公开"] + ZEROS,
        ["", "", "4.无正当理由大量反复申请"] + ZEROS,
        ["", "", "5.属于三类内部事务信息"] + ZEROS,
        ["", "（七）总计", "8", "2", "0", "0", "0", "0", "10"],
        ["四、结转下年度继续办理"] + ZEROS,
    ]
    table_rows = rows(doc)
    assert {b.table for b in table_rows} == {0}
    assert [b.location.page for b in table_rows] == [1] * 8 + [2] * 3
    # Block order: the table between its heading and section five.
    kinds = [(b.kind, b.text) for b in doc.blocks]
    h3 = kinds.index(("line", "三、收到和处理政府信息公开申请情况"))
    h5 = kinds.index(("line", "五、存在的主要问题及改进情况"))
    assert all(k == "row" for k, _ in kinds[h3 + 1:h5]) and h5 - h3 - 1 == 11
    # Provenance: the merged placeholder sits in its own row's band.
    placeholder = table_rows[5].cells[0]
    assert placeholder.text == "" and placeholder.location.page == 1
    assert placeholder.location.bbox[1] == pytest.approx(346, abs=1)
    secret = table_rows[5].cells[2]
    assert secret.location.bbox == pytest.approx((176, 346, 330, 366), abs=1)


def test_frame_touching_table(tmp_path: Path) -> None:
    """A page frame whose sides are the table's sides: the prose it encloses stays text."""
    prose = ["本机关认真贯彻落实政府信息公开条例的各项要求，",
             "持续深化政务公开，不断提升政府信息公开质量，",
             "依法保障人民群众的知情权、参与权和监督权，",
             "推动政府信息公开工作规范化和标准化建设。"]
    after = ["下一步，本机关将继续加强政府信息公开工作，",
             "进一步完善制度机制，提升公开工作的实效性，",
             "切实回应人民群众的关切和期待，持续改进。"]
    ops: list[tuple] = [("rect", 70, 60, 525, 780, "S")]
    for i, t in enumerate(prose):
        ops.append(("text", 80, 80 + 25 * i, t, 14))
    ops.append(("text", 80, 272, "二、主动公开政府信息情况", 16))
    xs = [70, 250, 390, 525]
    ops += table_ops(xs, [300, 320, 340, 360], [
        (0, 0, 0, 0, ["信息内容"]), (0, 0, 1, 1, ["本年制发件数"]), (0, 0, 2, 2, ["本年废止件数"]),
        (1, 1, 0, 0, ["规章"]), (1, 1, 1, 1, ["0"]), (1, 1, 2, 2, ["0"]),
        (2, 2, 0, 0, ["行政规范性文件"]), (2, 2, 1, 1, ["3"]), (2, 2, 2, 2, ["0"]),
    ], size=9)
    for i, t in enumerate(after):
        ops.append(("text", 80, 400 + 25 * i, t, 14))
    doc = read_pdf(str(write_pdf(tmp_path / "frame.pdf", [ops])))
    assert [(b.kind, b.text) for b in doc.blocks] == (
        [("line", t) for t in prose] + [("line", "二、主动公开政府信息情况")]
        + [("row", "信息内容\t本年制发件数\t本年废止件数"), ("row", "规章\t0\t0"), ("row", "行政规范性文件\t3\t0")]
        + [("line", t) for t in after])


def test_boxed_text_is_not_a_table(tmp_path: Path) -> None:
    """A single box (text frame, page frame) or a one-column stack of boxes is text."""
    ops: list[tuple] = [("rect", 60, 60, 530, 120, "S"), ("text", 80, 80, "联系电话：0517-87290606", 12)]
    ops += [("rect", 60, 200, 530, 230, "S"), ("rect", 60, 230, 530, 260, "S"),
            ("text", 80, 208, "附件一", 12), ("text", 80, 238, "附件二", 12)]
    doc = read_pdf(str(write_pdf(tmp_path / "box.pdf", [ops])))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("line", "联系电话：0517-87290606"), ("line", "附件一"), ("line", "附件二")]


def test_running_heads_and_page_numbers(tmp_path: Path) -> None:
    pages = []
    for n in range(1, 4):
        pages.append([("text", 200, 30, "洪泽区人民政府信息公开年度报告", 9),
                      ("text", 80, 100, f"第{n}页正文。", 14),
                      ("text", 270, 800, f"第 {n} 页 共 3 页", 9)])
    pages[0].append(("text", 80, 300, "- 3 -", 14))          # mid-page: not a page number
    doc = read_pdf(str(write_pdf(tmp_path / "heads.pdf", pages)))
    assert lines(doc) == ["第1页正文。", "- 3 -", "第2页正文。", "第3页正文。"]


def test_many_pages_one_pass(tmp_path: Path, monkeypatch) -> None:
    """Hundreds of pages: each page parsed once and released before the next is read."""
    import pdfplumber.page as plpage

    n_pages = 300
    pages = [[("text", 80, 100, f"第{n}页：政府信息公开工作情况说明。", 14),
              ("text", 280, 805, f"- {n} -", 10)] for n in range(1, n_pages + 1)]
    path = write_pdf(tmp_path / "long.pdf", pages)
    events: list[tuple[str, int]] = []
    parse = plpage.Page.parse_objects
    close = plpage.Page.close

    def parse_objects(self):
        events.append(("parse", self.page_number))
        return parse(self)

    def page_close(self):
        events.append(("close", self.page_number))
        return close(self)

    monkeypatch.setattr(plpage.Page, "parse_objects", parse_objects)
    monkeypatch.setattr(plpage.Page, "close", page_close)
    doc = read_pdf(str(path))
    assert len(doc.blocks) == n_pages
    assert lines(doc)[299] == "第300页：政府信息公开工作情况说明。"
    assert [e for e in events if e[0] == "parse"] == [("parse", n) for n in range(1, n_pages + 1)]
    # Page n is closed before page n+1 is parsed.
    expected = [e for n in range(1, n_pages + 1) for e in (("parse", n), ("close", n))]
    assert events[:2 * n_pages] == expected


def test_image_only_page_is_noted(tmp_path: Path) -> None:
    pages = [[("text", 80, 100, "一、总体情况", 16)], [("image", 60, 60, 530, 780)]]
    doc = read_pdf(str(write_pdf(tmp_path / "partial.pdf", pages)))
    assert lines(doc) == ["一、总体情况"]
    assert [n.location.page for n in doc.notes] == [2]
    assert [n.category for n in doc.notes] == ["parse.unreadable"]
    assert doc.notes[0].detail["kind"] == "image_page"
    assert "第2页" in doc.notes[0].message


def test_kangxi_radicals_folded(tmp_path: Path) -> None:
    # ⼀ (U+2F00) and ⾏ (U+2F8F): what some fonts map 一 and 行 to.
    doc = read_pdf(str(write_pdf(tmp_path / "radicals.pdf", [[("text", 80, 100, "\u2f00、总体情况\u2f8f政", 16)]])))
    assert lines(doc) == ["一、总体情况行政"]


def test_simulated_bold_drawn_twice(tmp_path: Path) -> None:
    """Word processors fake bold CJK by printing the text twice, slightly offset."""
    ops = [("text", 80, 100, "一、总体情况", 16), ("text", 80.4, 100.2, "一、总体情况", 16),
           ("text", 80, 130, "正文。", 14)]
    doc = read_pdf(str(write_pdf(tmp_path / "bold.pdf", [ops])))
    assert lines(doc) == ["一、总体情况", "正文。"]


# ---------------------------------------------------------------------------
# Unreadable input


def _assert_unreadable(path: Path, *fragments: str) -> UnreadableInput:
    with pytest.raises(UnreadableInput) as info:
        read_pdf(str(path))
    err = info.value
    assert err.path == str(path)
    assert re.search(r"[\u4e00-\u9fff]", err.message)
    assert str(err) == f"{path}: {err.message}"
    # No pdfminer traceback chained to the user-facing error.
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    for fragment in fragments:
        assert fragment in err.message
    return err


def test_scan_without_text_layer(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("L", (420, 595), 255)
    draw = ImageDraw.Draw(img)
    for y in range(60, 540, 24):
        draw.rectangle((40, y, 380, y + 10), fill=0)     # "lines of text", as pixels
    path = tmp_path / "scan.pdf"
    img.save(path, "PDF", resolution=72)
    _assert_unreadable(path, "没有可提取的文字层", "扫描件")


def test_scan_generated_here(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan2.pdf", [[("image", 0, 0, 595, 842)], [("image", 0, 0, 595, 842)]])
    _assert_unreadable(path, "没有可提取的文字层")


def test_truncated_real_pdf(tmp_path: Path) -> None:
    data = _real("huaian-hongze-2024.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    _assert_unreadable(path, "不完整")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_generated_pdf(tmp_path: Path, fraction: float) -> None:
    data = synthetic_report(tmp_path).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    _assert_unreadable(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    _assert_unreadable(path)


def test_html_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
                    "<body><h1>政府信息公开工作年度报告</h1></body></html>", encoding="utf-8")
    _assert_unreadable(path, "不是有效的 PDF")


def _qpdf() -> str:
    qpdf = shutil.which("qpdf")
    if not qpdf:
        pytest.skip("qpdf is not installed (Debian: apt-get install -y qpdf); needed to make an encrypted PDF")
    return qpdf


def test_encrypted_pdf_needs_password(tmp_path: Path) -> None:
    qpdf = _qpdf()
    plain = synthetic_report(tmp_path)
    locked = tmp_path / "locked.pdf"
    subprocess.run([qpdf, "--encrypt", "secret", "owner", "256", "--", str(plain), str(locked)], check=True)
    _assert_unreadable(locked, "加密")


def test_encrypted_pdf_without_user_password_is_read(tmp_path: Path) -> None:
    """Owner-password-only encryption (printing/copying restrictions) opens without a password."""
    qpdf = _qpdf()
    plain = synthetic_report(tmp_path)
    restricted = tmp_path / "restricted.pdf"
    subprocess.run([qpdf, "--encrypt", "", "owner", "256", "--", str(plain), str(restricted)], check=True)
    assert lines(read_pdf(str(restricted))) == lines(read_pdf(str(plain)))


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_pdf(str(tmp_path / "absent.pdf"))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(InputError):
        read_pdf(str(empty))
