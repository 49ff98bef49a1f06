"""The audit-findings letter (审核意见函): what the reporting agency reads, in HTML and Word.

Results come from the real pipeline (read_report + check_report with the
gov-2021 pack) on the bundled sample, the clean fixture with single defects
injected, and the real 洪泽区 2023 PDF when the shared corpus is present.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from conftest import REPO, real_path
from nianbao.engine import check_report
from nianbao.errors import NianbaoError
from nianbao.outputs.letter import (LetterError, NoFindings, cn_date, cn_number, letter_context,
                                    render_letter_html, write_letter_docx)
from nianbao.packs import PackError, load_pack
from nianbao.reading import read_report

TODAY = dt.date(2025, 3, 5)            # a Wednesday
SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"


# ---------------------------------------------------------------------------
# helpers
@pytest.fixture(scope="module")
def pack():
    return load_pack("gov-2021")


def check(path, pack):
    return check_report(read_report(str(path)), pack)


@pytest.fixture(scope="module")
def sample(pack):
    return check(SAMPLE, pack)


@pytest.fixture(scope="module")
def hongze(pack):
    return check(real_path("huaian-hongze-2023.pdf"), pack)


def variant(tmp_path: Path, old: str, new: str, name: str = "variant.txt") -> Path:
    text = CLEAN.read_text(encoding="utf-8")
    assert old in text, f"clean fixture no longer contains {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


class _Paragraphs(HTMLParser):
    """Text of every <p> and <h1> of a page, in order (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "h1"):
            self._buf = []

    def handle_endtag(self, tag):
        if tag in ("p", "h1") and self._buf is not None:
            self.out.append("".join(self._buf).strip())
            self._buf = None

    def handle_data(self, data):
        if self._buf is not None:
            self._buf.append(data)


def html_paragraphs(html: str) -> list[str]:
    parser = _Paragraphs()
    parser.feed(html)
    return [p for p in parser.out if p]


def docx_paragraphs(path: Path) -> list[str]:
    """What the first page prints, in order: the letterhead (first-page header), then the body."""
    doc = docx.Document(str(path))
    head = doc.sections[0].first_page_header.paragraphs
    return [p.text for p in [*head, *doc.paragraphs] if p.text.strip()]


def block_texts(ctx) -> list[str]:
    return [b["text"] for b in ctx["blocks"]]


def says(text: str, message: str) -> bool:
    """The letter's item states the finding's message (its location may be added before the last bracket)."""
    return message.rstrip("。").rstrip("）") in text


# ---------------------------------------------------------------------------
# what the letter says (sample report: 2 errors, 2 warnings)
def test_sample_letter_addresses_the_agency_and_lists_every_finding(sample, pack):
    ctx = letter_context(sample, pack, TODAY)
    texts = block_texts(ctx)
    assert ctx["addressee"] == "示例县人民政府"
    assert "示例县人民政府：" in texts
    assert ctx["title"] == "关于《示例县人民政府2024年政府信息公开工作年度报告》审核意见的函"
    assert ctx["opening"].startswith("根据《中华人民共和国政府信息公开条例》第四十九条")
    assert "国办公开办函〔2021〕30号" in ctx["opening"]
    assert ctx["opening"].endswith("发现以下问题：")

    errors = [f for f in sample.findings if f.severity == "error"]
    warnings = [f for f in sample.findings if f.severity == "warning"]
    assert len(ctx["items"]) == len(errors) + len(warnings) == 4
    # Errors first, then warnings, numbered 一、二、三、四 in one sequence.
    assert [i["severity"] for i in ctx["items"]] == ["error"] * len(errors) + ["warning"] * len(warnings)
    assert [i["label"] for i in ctx["items"]] == ["一、", "二、", "三、", "四、"]
    items = [t for t in texts if re.match(r"^[一二三四五六七八九十]+、", t)]
    assert len(items) == 4
    for finding in errors:
        matching = [t for t in items[:len(errors)] if says(t, finding.message)]
        assert len(matching) == 1, finding.message
        assert finding.basis.rstrip("。") in matching[0]
    # The figures and where they are.
    late = next(t for t in items if "2025年4月8日" in t)
    assert late.startswith(("一、", "二、")) and "3月31日" in late and "第84行" in late
    fee = next(t for t in items if "信息处理费" in t)
    assert "见报告第79行" in fee
    prose = next(t for t in items if "35件" in t)
    assert "33件" in prose and prose.startswith(("三、", "四、"))


def test_deadline_sender_and_date(sample, pack):
    ctx = letter_context(sample, pack, TODAY)
    # 15 working days after Wednesday 5 March 2025 (no holiday in between): three weeks.
    assert ctx["deadline"] == "2025-03-26" and ctx["deadline_days"] == 15
    assert "请于2025年3月26日前完成整改并重新公开" in ctx["closing"]
    # Errors are to be rectified, warnings verified: the closing names the item numbers.
    assert "第一、二项所列问题，请予以整改" in ctx["closing"]
    assert "第三、四项所列问题，请逐项核实" in ctx["closing"]
    texts = block_texts(ctx)
    assert texts[0] == "政府信息公开工作主管部门"          # default sender, heading
    assert texts[-2:] == ["政府信息公开工作主管部门", "2025年3月5日"]  # signature and 成文日期
    assert texts[-3] == "特此函告。"


def test_options_override_pack_and_weekend_deadline(sample, pack):
    opts = {"sender": "某市人民政府办公室", "reference": "某政办函〔2025〕8号",
            "contact": "联系人：王五，电话：010-12345678", "deadline_days": 10}
    ctx = letter_context(sample, pack, TODAY, opts)
    texts = block_texts(ctx)
    assert texts[:2] == ["某市人民政府办公室", "某政办函〔2025〕8号"]
    assert texts[-3:] == ["某市人民政府办公室", "2025年3月5日", "（联系人：王五，电话：010-12345678）"]
    assert "我办" in ctx["opening"] and "书面报送我办" in ctx["closing"]
    assert ctx["deadline"] == "2025-03-19"        # 10 working days after Wednesday 5 March: weekends skipped
    # An explicit date wins over a number of days; both are validated.
    assert letter_context(sample, pack, TODAY, {"deadline": "2025-04-30"})["deadline_cn"] == "2025年4月30日"
    with pytest.raises(LetterError, match="早于成文日期"):
        letter_context(sample, pack, TODAY, {"deadline": "2025-01-01"})
    with pytest.raises(LetterError, match="deadline_days"):
        letter_context(sample, pack, TODAY, {"deadline_days": "two weeks"})
    with pytest.raises(LetterError, match="未知的键"):
        letter_context(sample, pack, TODAY, {"deadlne_days": 10})
    # None means "not given" (the CLI passes unset flags as None).
    assert letter_context(sample, pack, TODAY, {"sender": None})["sender"] == "政府信息公开工作主管部门"


def test_custom_title_and_opening_use_the_sandbox(sample, pack):
    ctx = letter_context(sample, pack, TODAY, {"title": "关于{{ agency }}{{ year }}年度报告整改的通知",
                                               "opening": "经审核，{{ report_title }}存在以下问题："})
    assert ctx["title"] == "关于示例县人民政府2024年度报告整改的通知"
    assert ctx["opening"] == "经审核，《示例县人民政府2024年政府信息公开工作年度报告》存在以下问题："
    with pytest.raises(LetterError, match="安全沙箱"):
        letter_context(sample, pack, TODAY, {"title": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})


# ---------------------------------------------------------------------------
# HTML and DOCX say the same thing
def test_html_and_docx_have_the_same_paragraphs(sample, pack, tmp_path):
    opts = {"reference": "某政办函〔2025〕8号", "contact": "联系人：王五"}
    ctx = letter_context(sample, pack, TODAY, opts)
    html = render_letter_html(sample, pack, TODAY, opts)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "@page { size: A4" in html
    assert not re.search(r"<(script|link|img)\b|src=|href=", html)        # self-contained, no resources
    out = tmp_path / "letter.docx"
    write_letter_docx(sample, pack, TODAY, out, opts)
    assert html_paragraphs(html) == block_texts(ctx)
    assert docx_paragraphs(out) == block_texts(ctx)


def test_docx_layout(sample, pack, tmp_path):
    out = tmp_path / "letter.docx"
    write_letter_docx(sample, pack, TODAY, out)
    doc = docx.Document(str(out))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)   # A4
    normal = doc.styles["Normal"].paragraph_format
    assert normal.line_spacing == Pt(28)

    def east_asia(paragraph):
        return paragraph.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia"))

    paragraphs = [p for p in doc.paragraphs if p.text.strip()]
    title = next(p for p in paragraphs if p.text.startswith("关于《"))
    assert east_asia(title) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)
    body = next(p for p in paragraphs if p.text.startswith("一、"))
    assert east_asia(body) == "仿宋" and body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert paragraphs[-1].alignment == 2       # the date, right-aligned
    assert doc.core_properties.title == title.text
    assert "PAGE" in section.footer._element.xml


# ---------------------------------------------------------------------------
# the real 洪泽区 2023 report: table 4 totals, page numbers, info findings
def test_real_pdf_letter(hongze, pack, tmp_path):
    ctx = letter_context(hongze, pack, TODAY)
    assert ctx["addressee"] == "洪泽区人民政府"
    items = [i["text"] for i in ctx["items"]]
    errors = [f for f in hongze.findings if f.severity == "error"]
    assert len(errors) == 3
    for text in items[:3]:
        assert any(says(text, f.message) for f in errors)
    review = next(t for t in items if "行政复议“总计”" in t)
    assert "为0" in review and "合计为11" in review and "见报告第4页" in review
    assert any("合计为5" in t for t in items[:3])
    # The missing 落款 is no longer a warning: the PDF's own date stands in (an info finding says so).
    assert [i["severity"] for i in ctx["items"]] == ["error"] * 3 + ["warning"]
    assert "第一项至第三项所列问题，请予以整改" in ctx["closing"]
    # Info findings are left out by default ...
    assert not ctx["other"] and not any("责任追究" in t for t in block_texts(ctx))
    # ... and come as one 其他提示 paragraph when asked for.
    ctx = letter_context(hongze, pack, TODAY, {"include_info": True})
    assert len(ctx["items"]) == 4
    assert ctx["other"].startswith("其他提示：1.") and "责任追究" in ctx["other"] and "3." in ctx["other"]
    assert "PDF文件属性" in ctx["other"]
    out = tmp_path / "hongze.docx"
    write_letter_docx(hongze, pack, TODAY, out, {"include_info": True})
    assert docx_paragraphs(out) == block_texts(ctx)


# ---------------------------------------------------------------------------
# no letter
def test_clean_report_raises_no_findings(pack, tmp_path):
    result = check(CLEAN, pack)
    assert not result.findings
    with pytest.raises(NoFindings):
        letter_context(result, pack, TODAY)
    with pytest.raises(NoFindings):
        render_letter_html(result, pack, TODAY)
    out = tmp_path / "none.docx"
    with pytest.raises(NoFindings):
        write_letter_docx(result, pack, TODAY, out)
    assert not out.exists()


def test_info_only_report(pack, tmp_path):
    result = check(variant(tmp_path, "全年未发生责任追究情况", "全年工作平稳有序"), pack)
    assert {f.severity for f in result.findings} == {"info"}
    with pytest.raises(NoFindings, match="include_info"):
        letter_context(result, pack, TODAY)
    ctx = letter_context(result, pack, TODAY, {"include_info": True})
    assert len(ctx["items"]) == 1 and ctx["items"][0]["label"] == "一、"
    assert "未发现需要整改的问题" in ctx["opening"]
    assert not ctx["rectify_required"] and "请于" not in ctx["closing"]


# ---------------------------------------------------------------------------
# untrusted input: report text and pack templates
def test_agency_name_is_escaped_in_html(pack, tmp_path):
    path = variant(tmp_path, "示例县人民政府\n", "示例县<script>alert('x')</script>人民政府\n")
    path.write_text(path.read_text(encoding="utf-8").replace("示例县坚持", "示例县示例县坚持", 1), encoding="utf-8")
    result = check(path, pack)
    assert result.report.meta_value("agency") == "示例县<script>alert('x')</script>人民政府"
    assert result.findings
    html = render_letter_html(result, pack, TODAY)
    assert "<script" not in html
    assert "示例县&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;人民政府：" in html
    assert "示例县<script>alert('x')</script>人民政府：" in html_paragraphs(html)
    out = tmp_path / "x.docx"
    write_letter_docx(result, pack, TODAY, out)          # plain runs: the text as text
    assert "示例县<script>alert('x')</script>人民政府：" in docx_paragraphs(out)


def test_control_and_bidi_characters_are_dropped(sample, pack, tmp_path):
    out = tmp_path / "ctl.docx"
    opts = {"sender": "某市\x00政务\u202e公开办\x0b", "contact": "电话\x1f：123"}
    write_letter_docx(sample, pack, TODAY, out, opts)
    texts = docx_paragraphs(out)
    assert texts[0] == "某市政务公开办" and texts[-1] == "（电话：123）"


def write_pack(tmp_path: Path, letter_yaml: str, template: str | None = None,
               template_name: str = "custom-letter.html.j2") -> Path:
    folder = tmp_path / "overlay"
    folder.mkdir(exist_ok=True)
    (folder / "pack.yaml").write_text(f"pack: overlay\nextends: gov-2021\nletter:\n{letter_yaml}",
                                      encoding="utf-8")
    if template is not None:
        (folder / template_name).write_text(template, encoding="utf-8")
    return folder / "pack.yaml"


CUSTOM = """<!DOCTYPE html><html><body><div id="custom">
<p>{{ addressee }}：</p>
{% for item in items %}<p>{{ item.text }}</p>{% endfor %}
<p>截止：{{ deadline_cn }}</p><p>{{ sender }}</p>
</div></body></html>
"""


def test_pack_template_and_keys_override_the_default(sample, tmp_path):
    pack_file = write_pack(tmp_path, "  template: custom-letter.html.j2\n  sender: 某市政务公开办\n"
                                     "  deadline_days: 14\n  include_info: false\n", CUSTOM)
    overlay = load_pack(str(pack_file))
    assert overlay.letter["template"] == "custom-letter.html.j2"
    result = check_report(sample.report, overlay)
    html = render_letter_html(result, overlay, TODAY)
    assert '<div id="custom">' in html and "@page" not in html
    paragraphs = html_paragraphs(html)
    assert paragraphs[0] == "示例县人民政府："
    assert "截止：2025年3月25日" in paragraphs and paragraphs[-1] == "某市政务公开办"   # 14 working days
    assert sum(1 for p in paragraphs if re.match(r"^[一二三四]、", p)) == 4
    # The caller's options still win over the pack's, template included.
    other = tmp_path / "mine.html.j2"
    other.write_text("<p>{{ sender }}|{{ deadline }}</p>", encoding="utf-8")
    assert render_letter_html(result, overlay, TODAY, {"sender": "甲", "template": str(other),
                                                       "deadline_days": 21}) == "<p>甲|2025-04-03</p>"
    # The DOCX does not use the HTML template, but it does use the pack's keys.
    out = tmp_path / "overlay.docx"
    write_letter_docx(result, overlay, TODAY, out)
    texts = docx_paragraphs(out)
    assert texts[0] == "某市政务公开办" and any("2025年3月25日" in t for t in texts)


def test_missing_pack_template_is_a_clear_error(sample, tmp_path):
    overlay = load_pack(str(write_pack(tmp_path, "  template: nowhere.html.j2\n")))
    with pytest.raises(LetterError, match="找不到信函模板文件"):
        render_letter_html(sample, overlay, TODAY)


@pytest.mark.parametrize("hostile", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ items.__class__.__init__.__globals__ }}",
    "{{ 'x' * 100000000 }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
])
def test_hostile_pack_template_cannot_reach_python(sample, tmp_path, hostile):
    overlay = load_pack(str(write_pack(tmp_path, "  template: evil.html.j2\n", hostile, "evil.html.j2")))
    with pytest.raises(LetterError) as info:
        render_letter_html(check_report(sample.report, overlay), overlay, TODAY)
    err = info.value
    assert isinstance(err, NianbaoError)           # the CLI prints it as one line, exit 2
    text = str(err)
    assert "信函模板" in text and "\n" not in text
    assert "<class" not in text and "__globals__" not in text.replace(hostile, "")


def test_template_syntax_error_names_the_line(sample, tmp_path):
    overlay = load_pack(str(write_pack(tmp_path, "  template: broken.html.j2\n",
                                       "<p>ok</p>\n{% for x in items %}\n<p>{{ x.text }</p>\n", "broken.html.j2")))
    with pytest.raises(LetterError, match=r"语法错误第\d+行"):
        render_letter_html(sample, overlay, TODAY)


def test_unknown_letter_key_in_a_pack(sample, tmp_path):
    # A typo in a pack's letter: settings stops the pack loading (check, letter and lint alike), at its place.
    with pytest.raises(PackError) as info:
        load_pack(str(write_pack(tmp_path, "  sendr: 某市政务公开办\n")))
    assert "sendr" in str(info.value) and info.value.path.endswith("pack.yaml:4:3")


# ---------------------------------------------------------------------------
# atomic write
def test_failed_save_leaves_no_partial_file(sample, pack, tmp_path, monkeypatch):
    out = tmp_path / "letters" / "letter.docx"
    write_letter_docx(sample, pack, TODAY, out)
    before = out.read_bytes()

    def broken_save(self, target):
        with open(target, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    with pytest.raises(LetterError, match="无法写入"):
        write_letter_docx(sample, pack, TODAY, out, {"sender": "乙"})
    assert out.read_bytes() == before                       # the old letter is intact
    assert sorted(p.name for p in out.parent.iterdir()) == ["letter.docx"]   # no temp file left

    fresh = tmp_path / "letters" / "new.docx"
    with pytest.raises(LetterError):
        write_letter_docx(sample, pack, TODAY, fresh)
    assert not fresh.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["letter.docx"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_folder(sample, pack, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(LetterError, match="无法写入"):
            write_letter_docx(sample, pack, TODAY, folder / "letter.docx")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------------------
def test_chinese_numbers_and_dates():
    assert [cn_number(n) for n in (1, 9, 10, 11, 19, 20, 21, 99, 100, 105, 110, 123)] == [
        "一", "九", "十", "十一", "十九", "二十", "二十一", "九十九", "一百", "一百零五", "一百一十", "一百二十三"]
    assert cn_date(dt.date(2025, 3, 5)) == "2025年3月5日"
    assert cn_date(dt.date(2025, 12, 31)) == "2025年12月31日"
