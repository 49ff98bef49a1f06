"""Real reports as supervisors receive them: converted Markdown/text, web pages, and the two real
PDFs re-printed as layout text, copy-paste text and per-row Markdown. Every table value, the
metadata, and exactly the findings that are real defects of each report (or honest notes about
what a converter lost)."""
from __future__ import annotations

import json

import pytest

from conftest import real_path
from converted_variants import copy_paste, page_with_metadata_box, pdftotext_layout, per_row_markdown, viewer_copy
from expected_values import REAL, REAL_CONVERTED
from nianbao.cli import main

# rule id -> severity, per document. Why each is there is written in the report of this work
# (real defect of the agency, or what a converter lost and the checker says it cannot read).
EXPECTED_FINDINGS = {
    "jiangsu-shuyang-xian-2025.txt": {
        "overview-parts": "warning",             # 总体情况 has no 政府信息管理 part
        "work-points-statement": "warning",      # section 6 silent on 政务公开工作要点
        "accountability-statement": "info",
    },
    "shanghai-shizhengfu-bangongting-2025.md": {
        "date-present": "warning",               # no 落款 date in the text
        "section-untitled": "warning",           # section 5's heading lost (converter) or missing
        "converted-rows": "warning",             # two table-2 rows lost a cell in conversion
        "accountability-statement": "info",
        "label-variants": "info",                # three table-3 labels cut or lost by the converter
    },
    "fujian-pingtan-2023.html": {
        "work-points-statement": "warning",
        "date-from-publication": "info",         # no 落款: the site's 时间 line is the publication date
    },
    "fujian-pingtan-2024.html": {
        "work-points-statement": "warning",
        "accountability-statement": "info",
        "date-from-publication": "info",
    },
}


def run(capsys, *args):
    code = main([str(a) for a in args])
    return code, json.loads(capsys.readouterr().out)


def findings(capsys, path, *extra):
    code, data = run(capsys, "check", path, *extra, "--format", "json")
    return code, data["reports"][0]


@pytest.mark.parametrize("name", sorted(REAL_CONVERTED))
def test_every_table_value_and_the_metadata(name, capsys):
    code, data = run(capsys, "parse", real_path(name), "--format", "json")
    assert code == 0
    assert data["values"] == REAL_CONVERTED[name]["values"]
    for key, value in REAL_CONVERTED[name]["meta"].items():
        assert data["meta"][key] == value, key
    assert data["section_order"] == [f"section{n}" for n in range(1, 7)]


@pytest.mark.parametrize("name", sorted(EXPECTED_FINDINGS))
def test_real_defects_and_no_false_error(name, capsys):
    code, report = findings(capsys, real_path(name))
    got = {f["rule"]: f["severity"] for f in report["findings"]}
    assert got == EXPECTED_FINDINGS[name]
    assert code == 0          # none of these reports has an error-level defect


def test_per_row_tables_under_generic_headers_are_not_glued_to_labels(capsys):
    _, data = run(capsys, "parse", real_path("jiangsu-shuyang-xian-2025.txt"), "--format", "json")
    assert not [n for n in data["notes"] if n["category"] in ("structure.missing_row", "template.label_variant")]
    # table 4 printed as three small tables under 行政复议 / 未经复议直接起诉 / 复议后起诉
    assert data["provenance"]["section4.review.total"]["location"]["line"] == 163
    assert data["provenance"]["section4.litigation_after_review.total"]["location"]["line"] == 173


def test_received_counting_new_plus_carried_is_not_a_mismatch(capsys):
    """沭阳: 受理749件 = 新收713 + 上年结转36; the prose states no separate carried-over figure."""
    _, report = findings(capsys, real_path("jiangsu-shuyang-xian-2025.txt"))
    assert "prose-applications-received" not in {f["rule"] for f in report["findings"]}
    assert "prose-applications-received" not in {u["rule"] for u in report["unchecked"]}


def test_combined_prose_figures_are_compared_with_the_right_sums(capsys, tmp_path):
    """上海: 予以公开及部分公开208 = 206 + 2, 无法提供564 = 513 + 48 + 3 …; a changed figure is found."""
    source = real_path("shanghai-shizhengfu-bangongting-2025.md")
    _, report = findings(capsys, source)
    assert not [f for f in report["findings"] if f["category"] == "narrative.mismatch"]
    changed = tmp_path / "changed.md"
    changed.write_text(source.read_text(encoding="utf-8").replace("分公开 208 件", "分公开 209 件")
                       .replace("无法提供 564 件", "无法提供 560 件"), encoding="utf-8")
    _, report = findings(capsys, changed)
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert "予以公开及部分公开209件" in by_rule["prose-granted-and-partial"]["message"]
    assert "合计为208件" in by_rule["prose-granted-and-partial"]["message"]
    assert "三项总计之和为564件" in by_rule["prose-unavailable"]["message"]
    assert by_rule["prose-unavailable"]["severity"] == "warning"


def test_converter_losses_are_notes_not_missing_rows(capsys):
    _, data = run(capsys, "parse", real_path("shanghai-shizhengfu-bangongting-2025.md"), "--format", "json")
    notes = [n["message"] for n in data["notes"]]
    assert not [n for n in data["notes"] if n["category"] in ("structure.missing_row", "structure.missing_section")
                and n.get("detail", {}).get("kind") != "untitled"]
    assert any("只印出行名的一部分“缴纳费用、行政机关不再处理其政”" in m and "缴纳费用" in m for m in notes)
    assert any("没有印出行名" in m and "要求行政机关确认或重新出具已获取信息" in m for m in notes)
    assert any("表二“规章”行在转换后的文本中只有2个数值（22 235）" in m for m in notes)
    assert data["sections"]["section5"]["title"] == "（标题未印出）"


def test_publication_date_from_the_page_is_shown_with_its_source(capsys):
    path = real_path("fujian-pingtan-2023.html")
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "发布日期：2024-03-08（来源：页面所载“时间”，第4行）" in out
    _, report = findings(capsys, path)
    note = next(f for f in report["findings"] if f["rule"] == "date-from-publication")
    assert "页面所载“时间”" in note["message"] and "2024年3月8日" in note["message"]
    assert main(["check", str(path)]) == 0
    assert "发布日期 2024-03-08" in capsys.readouterr().out


def test_pdf_file_date_stands_in_for_a_missing_signature(capsys):
    path = real_path("huaian-hongze-2024.pdf")
    assert main(["parse", str(path)]) == 0
    assert "文件属性日期：2025-02-25（来源：PDF文件属性“修改日期”（ModDate））" in capsys.readouterr().out
    _, report = findings(capsys, path)
    note = next(f for f in report["findings"] if f["rule"] == "date-from-publication")
    assert "PDF文件属性" in note["message"] and "请以实际公布日期为准" in note["message"]


def test_the_two_pingtan_years_as_a_pair(capsys):
    """A real defect across the two years: 现行有效 440 ≠ 470 + 62 − 33 = 499 (the 2024 page does not
    account for 59 documents); 上年结转 0 matches last year's 结转下年度 0."""
    _, report = findings(capsys, real_path("fujian-pingtan-2024.html"),
                         "--previous", real_path("fujian-pingtan-2023.html"))
    cross = {f["rule"]: f for f in report["findings"] if f["category"].startswith("crossyear.")}
    assert set(cross) == {"normative-docs-in-force-carried"}
    finding = cross["normative-docs-in-force-carried"]
    assert finding["severity"] == "warning"
    assert "440件" in finding["message"] and "470件" in finding["message"] and "应为499件" in finding["message"]
    assert "carried-equals-last-carryover" not in {u["rule"] for u in report["unchecked"]}


def test_metadata_box_and_cells_in_paragraphs(capsys, tmp_path):
    """The same page with the site's 名称/索引号/发布机构/公开日期 box and <p> in every cell."""
    page = page_with_metadata_box(real_path("fujian-pingtan-2024.html"), tmp_path / "box.html", "2025-03-10")
    code, data = run(capsys, "parse", page, "--format", "json")
    assert code == 0
    assert data["values"] == REAL_CONVERTED["fujian-pingtan-2024.html"]["values"]
    assert data["meta"]["date"] == "2025-03-10" and data["meta"]["date_source"] == "page"
    assert not [n for n in data["notes"] if n["category"].startswith("template.label")]
    _, report = findings(capsys, page)
    assert {f["rule"]: f["severity"] for f in report["findings"]} == EXPECTED_FINDINGS["fujian-pingtan-2024.html"]
    note = next(f for f in report["findings"] if f["rule"] == "date-from-publication")
    assert "页面信息栏“公开日期”" in note["message"]


# ---- the real PDFs re-printed by converters ------------------------------------------------

VARIANTS = {"layout": pdftotext_layout, "copy": copy_paste, "markdown": per_row_markdown}


def _pdf_findings_without_file_date(name):
    from test_real_pdfs import EXPECTED_FINDINGS as PDF_FINDINGS
    expected = dict(PDF_FINDINGS[name])
    # A text copy has no file properties: the missing 落款 is the date-present warning again.
    del expected["date-from-publication"]
    expected["date-present"] = "warning"
    return expected


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", sorted(REAL))
def test_converted_pdf_reads_like_the_pdf(name, variant, capsys, tmp_path):
    suffix = ".md" if variant == "markdown" else ".txt"
    path = VARIANTS[variant](real_path(name), tmp_path / f"{variant}{suffix}")
    code, data = run(capsys, "parse", path, "--format", "json")
    assert code == 0
    assert data["values"] == REAL[name]["values"]
    for key in ("agency", "year", "level"):
        assert data["meta"][key] == REAL[name]["meta"][key], key
    assert data["meta"]["date"] is None
    assert data["section_order"] == [f"section{n}" for n in range(1, 7)]
    code, report = findings(capsys, path)
    assert {f["rule"]: f["severity"] for f in report["findings"]} == _pdf_findings_without_file_date(name)
    assert code == 1


@pytest.mark.parametrize("name", sorted(REAL))
def test_viewer_copy_reads_no_wrong_value_and_says_what_it_cannot_tie(name, capsys, tmp_path):
    """A viewer's copy centres a row's numbers between the two lines of its label: those rows cannot
    be told apart. Every value read is the PDF's; the rows not read are one warning, not errors."""
    path = viewer_copy(real_path(name), tmp_path / "viewer.txt")
    code, data = run(capsys, "parse", path, "--format", "json")
    expected = REAL[name]["values"]
    assert {k: v for k, v in data["values"].items() if k in expected} == {
        k: expected[k] for k in data["values"] if k in expected}
    assert len(data["values"]) >= 0.75 * len(expected)
    assert all(k.startswith("section3.") for k in set(expected) - set(data["values"]))
    code, report = findings(capsys, path)
    got = {f["rule"]: f["severity"] for f in report["findings"]}
    errors = {r for r, sev in got.items() if sev == "error"}
    assert errors == {r for r, sev in _pdf_findings_without_file_date(name).items() if sev == "error"}
    assert got["table3-rows-unresolved"] == "warning"
    unresolved = next(f for f in report["findings"] if f["rule"] == "table3-rows-unresolved")
    assert "属于国家秘密" in unresolved["message"] and "无法确定对应的行名" in unresolved["message"]
