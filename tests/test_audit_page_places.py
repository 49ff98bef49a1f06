"""The audit page: each finding's place in the source, the way back to the index, and the
side-by-side comparison with last year's report."""
from __future__ import annotations

import base64
import datetime as dt
import io

import pytest

from conftest import REPO, real_path
from nianbao.engine import check_report
from nianbao.outputs.html_report import render_report_html
from nianbao.packs import load_pack
from nianbao.reading import read_report
from test_html_report import article_of, parse

CHECKED_AT = dt.datetime(2025, 5, 6, 14, 30)
SAMPLE = REPO / "examples" / "sample-report.txt"


@pytest.fixture(scope="module")
def pack():
    return load_pack("gov-2021")


@pytest.fixture(scope="module")
def hongze(pack):
    current = read_report(str(real_path("huaian-hongze-2024.pdf")), template="gov-2021")
    previous = read_report(str(real_path("huaian-hongze-2023.pdf")), template="gov-2021")
    result = check_report(current, pack, previous)
    return result, parse(render_report_html(result, pack, CHECKED_AT, index_href="../index.html"))


def test_pdf_findings_show_their_page_with_the_cells_outlined(hongze):
    PIL = pytest.importorskip("PIL.Image")
    result, dom = hongze
    findings = result.sorted_findings()
    number = next(i for i, f in enumerate(findings, 1) if f.rule == "outdated-rows")
    article = article_of(dom, number)
    figure = article.find("figure", cls="band")
    assert figure is not None
    pages = {e.location.page for e in findings[number - 1].evidence if e.location and e.location.page}
    assert f"原文第{min(pages)}页" in figure.text()
    img = figure.find("img")
    assert img.attrs["src"].startswith("data:image/png;base64,")
    picture = PIL.open(io.BytesIO(base64.b64decode(img.attrs["src"].split(",", 1)[1])))
    assert picture.size == (int(img.attrs["width"]), int(img.attrs["height"]))
    assert picture.size[0] > 600                                 # the page's whole width, readable
    boxes = figure.find_all("span", cls="box")
    located = {e.location.bbox for e in findings[number - 1].evidence if e.location and e.location.bbox}
    assert len(boxes) == len(located) and all("box-error" in b.classes for b in boxes)
    for box in boxes:
        style = dict(part.split(":") for part in box.attrs["style"].split(";"))
        assert all(0 <= float(style[k].rstrip("%")) <= 100 for k in ("left", "top", "width", "height"))
    link = figure.find("a")
    assert link.attrs["href"].startswith("file://") and link.attrs["href"].endswith(f"#page={min(pages)}")


def test_every_finding_links_back_to_the_index(hongze, pack):
    result, dom = hongze
    assert dom.find("p", cls="back").find("a").attrs["href"] == "../index.html"
    for number in range(1, len(result.findings) + 1):
        assert "../index.html" in article_of(dom, number).links()
    alone = parse(render_report_html(result, pack, CHECKED_AT))
    assert "../index.html" not in alone.links() and alone.find("p", cls="back") is None
    hostile = parse(render_report_html(result, pack, CHECKED_AT, index_href="javascript:alert(1)"))
    assert not [h for h in hostile.links() if h.startswith("javascript:")]


def test_copied_sentences_side_by_side(hongze):
    result, dom = hongze
    compare = dom.by_id("compare")
    assert compare is not None and "五、与上年报告对照" in compare.text()
    part = dom.by_id("compare-5")
    assert "本年7句中有2句与上年相同或基本相同，按字数计占34.89%" in part.text()
    same = part.find_all("tr", cls="cmp-same")
    assert len(same) == 2
    first, second = same
    left, right = first.find_all("td")
    assert left.text().startswith("一是扎实推进依申请公开工作") and left.text() == right.text()
    assert first.find_all("ins") == [] and first.find_all("del") == []
    left, right = second.find_all("td")
    assert left.text().startswith("三是继续加强业务指导培训") and right.text().startswith("三是继续加强业务指导培训")
    assert [n.text() for n in left.find_all("ins")] == ["，"]          # 2023 ended the sentence there
    # This year's new problems have rows of their own, last year's on the other side.
    new = [r.find_all("td")[0].text() for r in part.find_all("tr", cls="cmp-new")]
    assert any("个别部门对复杂申请件的研判能力不足" in t for t in new)
    old = [r.find_all("td")[1].text() for r in part.find_all("tr", cls="cmp-old")]
    assert any("洪泽区政府信息公开工作取得一定的成效" in t for t in old)
    # The text.copied finding links to that comparison.
    number = next(i for i, f in enumerate(result.sorted_findings(), 1) if f.category == "text.copied")
    assert "#compare-5" in article_of(dom, number).links()


def test_no_comparison_without_last_year(pack):
    report = read_report(str(real_path("huaian-hongze-2024.pdf")), template="gov-2021")
    dom = parse(render_report_html(check_report(report, pack), pack, CHECKED_AT))
    assert dom.by_id("compare") is None and "#compare" not in dom.links()


def test_text_findings_quote_their_line(pack, tmp_path):
    result = check_report(read_report(str(SAMPLE)), pack)
    dom = parse(render_report_html(result, pack, CHECKED_AT))
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    quoted = 0
    for number, finding in enumerate(result.sorted_findings(), 1):
        numbers = [e.location.line for e in finding.evidence if e.location and e.location.line]
        shown = article_of(dom, number).find_all("p", cls="srcline")
        assert len(shown) == min(len(dict.fromkeys(numbers)), 6), finding.rule
        for p, line in zip(shown, dict.fromkeys(numbers)):
            assert p.find("span", cls="ln").text() == f"原文第{line}行"
            assert p.find("span", cls="lt").text() == lines[line - 1].strip()[:240]
            quoted += 1
    assert quoted


def test_copied_sentences_are_quoted_whole_in_the_evidence(hongze):
    result, dom = hongze
    number = next(i for i, f in enumerate(result.sorted_findings(), 1) if f.category == "text.copied")
    finding = result.sorted_findings()[number - 1]
    values = [td.text() for td in article_of(dom, number).find_all("td", cls="v")]
    assert values == [e.value for e in finding.evidence]
    assert not any("该部分全文" in v for v in values)


def test_report_text_in_the_comparison_is_shown_never_run(tmp_path, pack):
    """Markup in either year's text (a web page converted carelessly, or a hostile file) is shown as
    text in the side-by-side rows; the marks of what changed are the page's own <ins>/<del> only."""
    text = SAMPLE.read_text(encoding="utf-8")
    line = "但仍存在政策解读形式单一、基层公开标准化水平不高等问题。"
    sentence = "下一步将<script>alert(1)</script>在官网<ins>专栏</ins>发布解读材料&图解，年内完成全面更新。"
    this_year = tmp_path / "2024.txt"
    last_year = tmp_path / "2023.txt"
    this_year.write_text(text.replace(line, line + sentence), encoding="utf-8")
    last_year.write_text(text.replace("2024", "2023").replace(line, line + sentence.replace("全面", "初步")),
                         encoding="utf-8")
    current = read_report(str(this_year), template="gov-2021")
    previous = read_report(str(last_year), template="gov-2021")
    dom = parse(render_report_html(check_report(current, pack, previous), pack, CHECKED_AT))
    part = dom.by_id("compare-5")
    assert part is not None and not part.find_all("script")
    row = next(r for r in part.find_all("tr", cls="cmp-same") if "alert(1)" in r.text())
    left, right = row.find_all("td")
    assert "<script>alert(1)</script>在官网<ins>专栏</ins>发布解读材料&图解" in left.text()
    assert [n.text() for n in left.find_all("ins")] == ["全面"]
    assert [n.text() for n in right.find_all("del")] == ["初步"]
