"""HTML and Word ingestion: the same report as .txt, .html and .docx gives the same values and findings.

Every seed report (and the bundled sample) is rendered by fixtures_render
into a UTF-8 web page, a GB2312 web page and a Word document with real
merged cells; each must read back to the values, metadata, parse-note
categories and finding rule ids of the plain text. The readers' own
behaviour (encodings, merged cells, layout tables, unclosed tags, damaged
files) is tested on small documents below.
"""
from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import pytest

from fixtures_render import Table, parse_plain, render_docx, render_html
from nianbao.cli import main
from nianbao.engine import check_report
from nianbao.errors import InputError, UnreadableInput
from nianbao.ingest import read_document
from nianbao.ingest.docx import read_docx
from nianbao.ingest.html import decode_html, read_html
from nianbao.packs import load_pack
from nianbao.reading import read_report

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-report.txt"


from conftest import SEEDS  # noqa: E402  (the corpus is located in one place)


def _sources():
    params = [pytest.param(SAMPLE, id="sample")]
    if SEEDS.is_dir() and sorted(SEEDS.glob("*.txt")):
        params += [pytest.param(p, id=p.name[:3]) for p in sorted(SEEDS.glob("*.txt"))]
    else:
        params.append(pytest.param(None, id="seeds", marks=pytest.mark.skip(
            reason=f"seed corpus not found at {SEEDS} (set NIANBAO_CORPUS to the shared corpus folder)")))
    return params


FORMATS = ["html-utf8", "html-gb2312", "docx"]


def render(source_text: str, fmt: str, directory: Path, stem: str = "report") -> Path:
    if fmt == "html-utf8":
        path = directory / f"{stem}.html"
        path.write_bytes(render_html(source_text, "utf-8"))
    elif fmt == "html-gb2312":
        path = directory / f"{stem}-gb.html"
        path.write_bytes(render_html(source_text, "gb2312"))
    else:
        path = render_docx(source_text, directory / f"{stem}.docx")
    return path


@functools.lru_cache(maxsize=None)
def _reference(path: Path):
    report = read_report(str(path))
    return report, _summary(report)


def _summary(report):
    pack = load_pack("gov-2021")
    return {
        "values": {name: fact.value for name, fact in report.values.items()},
        "meta": {key: report.meta_value(key) for key in ("agency", "year", "date", "level")},
        "notes": {note.category for note in report.notes},
        "findings": {finding.rule for finding in check_report(report, pack).findings},
        "sections": {num: sec.text for num, sec in report.sections.items()},
        "tables": sorted(report.tables_found),
    }


def _shape(doc):
    return [(b.kind, [c.text for c in b.cells]) for b in doc.blocks]


# ---------------------------------------------------------------------------
# The product requirement: same report, same values and findings, whatever the format


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", _sources())
def test_rendered_report_reads_like_text(source, fmt, tmp_path):
    _, expected = _reference(source)
    path = render(source.read_text(encoding="utf-8"), fmt, tmp_path)
    report = read_report(str(path))
    got = _summary(report)
    assert report.format == ("docx" if fmt == "docx" else "html")
    assert got["values"] == expected["values"]
    assert got["meta"] == expected["meta"]
    assert got["notes"] == expected["notes"]
    assert got["findings"] == expected["findings"]
    assert got["sections"] == expected["sections"]
    assert got["tables"] == expected["tables"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", _sources())
def test_rendered_blocks_have_reference_shape(source, fmt, tmp_path):
    """Block for block, the text reader's lines and rows; rows padded with "" to their table's width."""
    text = source.read_text(encoding="utf-8")
    expected = _shape(read_document(str(source)))
    got = _shape(read_document(str(render(text, fmt, tmp_path))))
    assert [kind for kind, _ in got] == [kind for kind, _ in expected]
    for (kind, want), (_, have) in zip(expected, got):
        if kind == "line":
            assert have == want
        else:
            assert len(have) >= len(want) and have[: len(want)] == want and not any(have[len(want):]), (want, have)


def test_renderer_uses_real_merges_on_table3(tmp_path):
    page = render_html(SAMPLE.read_text(encoding="utf-8")).decode("utf-8")
    assert 'rowspan="22"' in page and "三、本年度办理结果" in page          # 三、 spans every result row
    assert '<td rowspan="8" valign="center"><p align="center"><span style="font-size:10.5pt">（三）不予公开' in page
    assert "&nbsp;" in page and "<br>" in page
    tables = [i for i in parse_plain(SAMPLE.read_text(encoding="utf-8")) if isinstance(i, Table)]
    assert [t.width for t in tables] == [4, 10, 15]


# ---------------------------------------------------------------------------
# HTML specifics


def _sample_html(tmp_path, encoding="utf-8") -> Path:
    path = tmp_path / f"sample-{encoding}.html"
    path.write_bytes(render_html(SAMPLE.read_text(encoding="utf-8"), encoding))
    return path


def test_script_style_comments_and_hidden_text_stay_out(tmp_path):
    path = _sample_html(tmp_path)
    raw = path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" in raw and "<style" in raw and "display:none" in raw
    report = read_report(str(path))
    texts = [sec.text for sec in report.sections.values()] + [p.text for p in report.preamble]
    for leaked in ("alert", "siteTitle", "document.write", "text-indent", "请启用浏览器脚本", "注释", "隐藏元素"):
        assert not any(leaked in t for t in texts), leaked
    doc = read_document(str(path))
    assert not any("alert" in b.text or "隐藏元素" in b.text for b in doc.blocks)
    assert report.section_order == [1, 2, 3, 4, 5, 6]


def test_gb2312_page_decodes(tmp_path):
    path = _sample_html(tmp_path, "gb2312")
    data = path.read_bytes()
    assert b"charset=gb2312" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = read_report(str(path))
    assert report.meta_value("agency") == "示例县人民政府"
    assert "政府信息管理" in report.sections[1].text
    assert report.values["section3.new.total"].value == 33


@pytest.mark.parametrize("declaration", [
    '<meta charset="gbk">',
    '<meta http-equiv="Content-Type" content="text/html; charset=GB2312" />',
    "<meta http-equiv=content-type content=text/html;charset=gb18030>",
])
def test_declared_gb_charsets(declaration):
    body = "<p>二、主动公开政府信息情况 — 《条例》“三安全一稳定”</p>"
    data = f"<html><head>{declaration}</head><body>{body}</body></html>".encode("gb18030")
    assert "二、主动公开政府信息情况 — 《条例》“三安全一稳定”" in decode_html(data, "x.html")


def test_encoding_evidence_order():
    text = "<html><head><meta charset=gb2312></head><body><p>示例县人民政府</p></body></html>"
    # A byte-order mark wins over the declaration.
    assert "示例县人民政府" in decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), "x.html")
    # Declared GB2312 but the bytes are UTF-8 (a mislabelled portal template).
    assert "示例县人民政府" in decode_html(text.encode("utf-8"), "x.html")
    # No declaration: UTF-8, else GB18030.
    plain = "<p>示例县人民政府</p>"
    assert "示例县人民政府" in decode_html(plain.encode("utf-8"), "x.html")
    assert "示例县人民政府" in decode_html(plain.encode("gb18030"), "x.html")
    # A Western default charset on a Chinese page.
    western = '<meta charset="iso-8859-1"><p>示例县人民政府</p>'.encode("gb18030")
    assert "示例县人民政府" in decode_html(western, "x.html")
    # UTF-16 with a byte-order mark.
    assert "示例县人民政府" in decode_html(plain.encode("utf-16"), "x.html")


def test_binary_bytes_are_not_a_page():
    with pytest.raises(InputError):
        read_html("x.html", b"<html>" + bytes(range(256)) * 8)


def _rows(doc):
    return [[c.text for c in b.cells] for b in doc.blocks if b.kind == "row"]


def _lines(doc):
    return [b.text for b in doc.blocks if b.kind == "line"]


def test_nbsp_cell_is_blank_not_zero(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    row = "四、结转下年度继续办理\t\t\t1\t0\t0\t0\t0\t0\t1"
    assert row in text
    text = text.replace(row, "四、结转下年度继续办理\t\t\t1\t\t0\t0\t0\t0\t1")
    (tmp_path / "blank.txt").write_text(text, encoding="utf-8")
    page = render(text, "html-utf8", tmp_path, "blank")
    assert "<td>&nbsp;</td>" in page.read_text(encoding="utf-8")
    docx_path = render(text, "docx", tmp_path, "blank")
    reference = read_report(str(tmp_path / "blank.txt"))
    assert reference.values["section3.carryover.commercial"].value is None
    for path in (page, docx_path):
        report = read_report(str(path))
        fact = report.values["section3.carryover.commercial"]
        assert fact.value is None and fact.raw == ""
        assert report.values["section3.carryover.natural_person"].value == 1
        assert {n.category for n in report.notes} == {n.category for n in reference.notes}


def test_rowspan_colspan_grid_in_reference_shape():
    page = """<html><body><p>三、收到和处理政府信息公开申请情况</p>
<table border=1>
<tr><td rowspan="4">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td>7</td><td>2</td><td>&nbsp;</td></tr>
<tr><td rowspan="3">（三）不予公开</td><td>1.属于国家秘密</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>2.其他法律行政法规<br>禁止公开</td><td>0</td><td> </td><td>0</td></tr>
<tr><td>3.危及<br/>“三安全一稳定”</td><td>0</td><td>0</td><td>0</td></tr>
</table></body></html>"""
    doc = read_html("t.html", page.encode("utf-8"))
    assert _rows(doc) == [
        ["三、本年度办理结果", "（一）予以公开", "", "7", "2", ""],
        ["", "（三）不予公开", "1.属于国家秘密", "0", "0", "0"],
        ["", "", "2.其他法律行政法规禁止公开", "0", "", "0"],
        ["", "", "3.危及“三安全一稳定”", "0", "0", "0"],
    ]
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert rows[0].location.label == "表格1第1行" and rows[2].location.label == "表格1第3行"
    assert rows[0].location.line == 3 and rows[0].table == 0
    assert _lines(doc) == ["三、收到和处理政府信息公开申请情况"]


def test_br_in_cell_joins_without_space_only_next_to_cjk():
    page = ("<table><tr><td>本年收费金额<br>（单位：万元）</td><td>Total<br>amount</td><td>1,234<br>56</td></tr>"
            "<tr><td><p>三、本年度</p><p>办理结果</p></td><td>x</td><td>y</td></tr></table>")
    assert _rows(read_html("t.html", page.encode())) == [
        ["本年收费金额（单位：万元）", "Total amount", "1,234 56"],
        ["三、本年度办理结果", "x", "y"],
    ]


def test_layout_tables_do_not_swallow_body_text():
    page = """<html><body>
<table width="100%"><tr><td>
  <table><tr><td class="nav"><ul><li>首页</li><li>政务公开</li></ul></td>
  <td class="main">
    <h2>示例县2024年政府信息公开工作年度报告</h2>
    <p>一、总体情况</p>
    <p>2024年，示例县持续深化政务公开工作。全年主动公开政府信息2316条。</p>
    <table class="data"><tr><td>信息内容</td><td>本年处理决定数量</td></tr><tr><td>行政许可</td><td>1875</td></tr></table>
    <p>二、主动公开政府信息情况</p>
  </td></tr></table>
</td></tr></table>
<table><tr><td><p>（一）主动公开。全年在县政府门户网站主动公开政府信息2316条，发布政策解读21篇。</p>
<p>（二）依申请公开。全年共收到政府信息公开申请35件。</p></td><td>&nbsp;</td></tr></table>
</body></html>"""
    doc = read_html("t.html", page.encode("utf-8"))
    assert _lines(doc) == [
        "首页", "政务公开", "示例县2024年政府信息公开工作年度报告", "一、总体情况",
        "2024年，示例县持续深化政务公开工作。全年主动公开政府信息2316条。", "二、主动公开政府信息情况",
        "（一）主动公开。全年在县政府门户网站主动公开政府信息2316条，发布政策解读21篇。",
        "（二）依申请公开。全年共收到政府信息公开申请35件。",
    ]
    assert _rows(doc) == [["信息内容", "本年处理决定数量"], ["行政许可", "1875"]]
    # Reading order: the data table sits between the paragraphs around it.
    kinds = [b.kind for b in doc.blocks]
    assert kinds.index("row") == 5


def test_unclosed_cells_and_paragraphs_read_as_a_browser_shows_them():
    page = ("<p>一、总体情况<p>正文第一段。<table><tr><td>行政处罚<td>642<tr><td>行政强制<td>17</table>"
            "<p>五、存在的主要问题及改进情况")
    doc = read_html("t.html", page.encode("utf-8"))
    assert _rows(doc) == [["行政处罚", "642"], ["行政强制", "17"]]
    assert _lines(doc) == ["一、总体情况", "正文第一段。", "五、存在的主要问题及改进情况"]


def test_whitespace_and_line_breaks_in_running_text():
    page = ("<div>2024年，我县共收到政府信\n    息公开申请35件，\n"
            "<span>其中</span> <b>予以公开</b>13件。<br>示例县人民政府办公室<br/>2025年4月8日</div>"
            "<p>&nbsp;</p><p>A\nB</p>")
    assert _lines(read_html("t.html", page.encode("utf-8"))) == [
        "2024年，我县共收到政府信息公开申请35件，其中 予以公开13件。", "示例县人民政府办公室", "2025年4月8日", "A B"]


def test_head_without_end_tag_does_not_hide_the_body():
    page = "<html><head><meta charset=utf-8><title>标题</title><body><p>一、总体情况</p></body></html>"
    assert _lines(read_html("t.html", page.encode("utf-8"))) == ["一、总体情况"]


def test_many_unclosed_rows_read_in_reasonable_time():
    rows = "".join("<tr>" + "".join(f"<td>{c}" for c in ("行政处罚", "1", "2")) for _ in range(500))
    doc = read_html("t.html", f"<table>{rows}</table>".encode("utf-8"))
    assert _rows(doc) == [["行政处罚", "1", "2"]] * 500


def test_deep_nesting_is_not_a_crash():
    page = "<p>一、总体情况</p>" + "<font>" * 5000 + "正文。" + "</font>" * 10
    assert _lines(read_html("t.html", page.encode("utf-8"))) == ["一、总体情况", "正文。"]


def test_page_properties():
    page = ('<html><head><title>示例县2024年年报</title><meta name="PubDate" content="2025-01-20 09:00">'
            "</head><body><p>x</p></body></html>")
    props = read_html("t.html", page.encode("utf-8")).properties
    assert props == {"title": "示例县2024年年报", "pub_date": "2025-01-20 09:00"}


# ---------------------------------------------------------------------------
# Word specifics


def test_docx_order_merges_and_locations(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("一、总体情况")
    document.add_paragraph("")                                   # empty paragraphs are not counted
    document.add_paragraph("正文第一行\n正文第二行")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).merge(table.cell(2, 0)).text = "三、本年度办理结果"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "（一）予以公开"
    table.cell(0, 3).text = "7"
    cell = table.cell(1, 1).merge(table.cell(2, 1))
    cell.text = "（三）不予"
    cell.add_paragraph("公开")
    table.cell(1, 2).text = "1.属于国家秘密"
    table.cell(1, 3).text = "0"
    table.cell(2, 2).text = "2.其他法律行政法规禁止公开"
    table.cell(2, 3).text = "\u00a0"
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    path = tmp_path / "t.docx"
    document.save(str(path))

    doc = read_docx(str(path))
    assert doc.format == "docx"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("line", "一、总体情况"),
        ("line", "正文第一行"),
        ("line", "正文第二行"),
        ("row", "三、本年度办理结果\t（一）予以公开\t\t7"),
        ("row", "\t（三）不予公开\t1.属于国家秘密\t0"),
        ("row", "\t\t2.其他法律行政法规禁止公开\t"),
        ("line", "四、政府信息公开行政复议、行政诉讼情况"),
    ]
    labels = [b.location.label for b in doc.blocks]
    assert labels == ["第1段", "第2段", "第2段", "表格1第1行", "表格1第2行", "表格1第3行", "第3段"]
    assert {b.table for b in doc.blocks if b.kind == "row"} == {0}


def test_docx_layout_table_is_running_text(tmp_path):
    import docx

    document = docx.Document()
    outer = document.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)
    cell.paragraphs[0].text = "一、总体情况"
    cell.add_paragraph("2024年，示例县持续深化政务公开工作。")
    inner = cell.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "信息内容", (0, 1): "本年处理决定数量", (1, 0): "行政许可", (1, 1): "1875"}.items():
        inner.cell(r, c).text = text
    cell.add_paragraph("二、主动公开政府信息情况")
    path = tmp_path / "layout.docx"
    document.save(str(path))
    doc = read_docx(str(path))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("line", "一、总体情况"),
        ("line", "2024年，示例县持续深化政务公开工作。"),
        ("row", "信息内容\t本年处理决定数量"),
        ("row", "行政许可\t1875"),
        ("line", "二、主动公开政府信息情况"),
    ]


def test_docx_revisions_hidden_text_fields_and_grid_before(tmp_path):
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    body = document.element.body
    paragraphs = [
        # A tracked deletion and a hidden run are not shown; an insertion is.
        f'<w:p {w}><w:r><w:t>六、其他</w:t></w:r><w:del w:id="1" w:author="a"><w:r><w:delText>删除的</w:delText>'
        f'</w:r></w:del><w:ins w:id="2" w:author="a"><w:r><w:t>需要报告的事项</w:t></w:r></w:ins>'
        f'<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏文字</w:t></w:r></w:p>',
        # A field shows its result, not its code; a content control shows its content.
        f'<w:p {w}><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE \\@ "yyyy年M月d日" </w:instrText>'
        f'</w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2025年1月20日</w:t></w:r>'
        f'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        f'<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>示例县人民政府办公室</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        # A row that starts one grid column in (gridBefore) keeps its cells under their columns.
        f'<w:tbl {w}><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>'
        f'<w:tr><w:tc><w:p><w:r><w:t>信息内容</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>本年制发件数</w:t></w:r></w:p></w:tc>'
        f'<w:tc><w:p><w:r><w:t>本年废止件数</w:t></w:r></w:p></w:tc></w:tr>'
        f'<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:p><w:r><w:t>6</w:t></w:r></w:p></w:tc>'
        f'<w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
    ]
    sect = body[-1]
    for xml in paragraphs:
        sect.addprevious(parse_xml(xml))
    path = tmp_path / "revisions.docx"
    document.save(str(path))
    doc = read_docx(str(path))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("line", "六、其他需要报告的事项"),
        ("line", "2025年1月20日"),
        ("line", "示例县人民政府办公室"),
        ("row", "信息内容\t本年制发件数\t本年废止件数"),
        ("row", "\t6\t2"),
    ]


# ---------------------------------------------------------------------------
# Damaged and mislabelled Word files: one line, exit 2, no traceback


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line_error(err: str, path: Path, words: str | None = None):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    assert "Traceback" not in err
    if words:
        assert words in lines[0], lines[0]


def test_docx_that_is_not_a_zip(tmp_path, capsys):
    path = tmp_path / "report.docx"
    path.write_text("一、总体情况\n这不是 Word 文档。\n", encoding="utf-8")
    code, out, err = _run(["parse", str(path)], capsys)
    assert code == 2 and out == ""
    _assert_one_line_error(err, path, "不是有效的 Word 文档")


def test_zip_that_is_not_a_docx(tmp_path, capsys):
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a word document")
    code, out, err = _run(["parse", str(path)], capsys)
    assert code == 2 and out == ""
    _assert_one_line_error(err, path, "不是 Word .docx 文档")


def test_truncated_docx(tmp_path, capsys):
    whole = render_docx(SAMPLE.read_text(encoding="utf-8"), tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(whole[: len(whole) // 2])
    code, out, err = _run(["parse", str(path)], capsys)
    assert code == 2 and out == ""
    _assert_one_line_error(err, path)


def _zip_with(path: Path, source: bytes, replace: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    dst.writestr(info.filename, replace[info.filename])
                continue
            dst.writestr(info, src.read(info.filename))
    return path


@pytest.mark.parametrize("damage, words", [
    ({"word/document.xml": b"<?xml version='1.0'?><w:document xmlns:w='x'><w:body><w:p>"}, "已损坏"),
    ({"[Content_Types].xml": None}, "无法读取"),
    ({"word/_rels/document.xml.rels": b"garbage"}, "无法读取"),
])
def test_corrupt_docx_is_one_line_error(tmp_path, capsys, damage, words):
    whole = render_docx(SAMPLE.read_text(encoding="utf-8"), tmp_path / "whole.docx").read_bytes()
    path = _zip_with(tmp_path / "corrupt.docx", whole, damage)
    with pytest.raises(UnreadableInput):
        read_docx(str(path))
    code, out, err = _run(["parse", str(path)], capsys)
    assert code == 2 and out == ""
    _assert_one_line_error(err, path, words)
