"""Shapes converters and sites print, each built from a real report by code here and read back to
the same values; metadata as real reports print it; the rules that fit real reports."""
from __future__ import annotations

import json
import re

import pytest

from conftest import real_path, seed_path
from nianbao.cli import main
from nianbao.document import Block
from nianbao.ingest.text import layout_row
from nianbao.metadata import box_fields, classify_level, title_parts
from nianbao.model import Location
from nianbao.reading import read_report

FIXTURE = "tests/fixtures/gov2019-report-2020.txt"


def run(capsys, *args):
    code = main([str(a) for a in args])
    return code, json.loads(capsys.readouterr().out)


def check(capsys, path):
    code, data = run(capsys, "check", path, "--format", "json")
    return code, data["reports"][0]


def values(path):
    return {k: f.value for k, f in read_report(str(path)).values.items()}


# ---- layout lines -------------------------------------------------------------------------

@pytest.mark.parametrize("line, cells", [
    ("一、本年新收政府信息公开申请数量        95    0   0   0   0   0     95",
     ["一、本年新收政府信息公开申请数量", "95", "0", "0", "0", "0", "0", "95"]),
    ("行政许可 97", ["行政许可", "97"]),
    ("行政事业性收费                  7730.28", ["行政事业性收费", "7730.28"]),
    (" 1    1      0   0    2   1    0", ["1", "1", "0", "0", "2", "1", "0"]),
    ("4.无正当理由大量反复 申请        0    0   0", ["4.无正当理由大量反复 申请", "0", "0", "0"]),
])
def test_layout_rows(line, cells):
    assert layout_row(line) == cells


@pytest.mark.parametrize("line", [
    "府网站平台主动发布各类政府信息 2428 条，公开政府常务会议 7",   # prose wrapped at a number
    "其他需要报告的事项。本年度报告中所列数据统计期限为 2025",
    "起至 2024 年 12 月 31 日止。",
    "22",                                                          # a lone number is not a row
    "数据统计期限为 2025",                                          # one number after a single space
])
def test_prose_is_not_a_layout_row(line):
    assert layout_row(line) is None


# ---- metadata -------------------------------------------------------------------------------

def test_titles_as_printed():
    assert title_parts("2025 年上海市人民政府办公厅政府信息公开") == ("上海市人民政府办公厅", 2025)
    assert title_parts("# 沐阳县人民政府 2025 年 政府信息公开工作年度报告") == ("沐阳县人民政府", 2025)
    assert title_parts("2024 年政府信息公开工作年度报告") == ("", 2024)
    # a sentence is never a title, whatever it names
    assert title_parts("按照《条例》的要求，市科委编制了2024年政府信息公开工作年度报告。") is None


def _report_from_lines(tmp_path, head: list[str], tail: list[str]):
    seed = seed_path("002").read_text(encoding="utf-8")
    body = seed[seed.index("一、总体情况"):seed.rindex("运城市盐湖区人民政府办公室")]
    path = tmp_path / "r.txt"
    path.write_text("\n".join(head) + "\n" + body + "\n".join(tail) + "\n", encoding="utf-8")
    return read_report(str(path))


def test_agency_from_the_signature_never_from_a_sentence(tmp_path):
    report = _report_from_lines(
        tmp_path, ["2024年政府信息公开工作年度报告", "按照《条例》的要求，市科委编制了本报告。"],
        ["北京市科学技术委员会", "2025年1月20日"])
    assert report.meta_value("agency") == "北京市科学技术委员会"
    assert report.meta_value("level") == "department"
    assert report.meta_value("year") == 2024


def test_title_split_over_two_lines(tmp_path):
    report = _report_from_lines(tmp_path, ["2025 年上海市人民政府办公厅政府信息公开", "工作年度报告"], [])
    assert (report.meta_value("agency"), report.meta_value("year")) == ("上海市人民政府办公厅", 2025)
    report = _report_from_lines(tmp_path, ["运城市盐湖区人民政府办公室", "2024年政府信息公开工作年度报告"], [])
    assert report.meta_value("agency") == "运城市盐湖区人民政府办公室"


@pytest.mark.parametrize("line, date", [
    ("发布日期：2025-01-20", "2025-01-20"),
    ("来源：区政府办  公开日期：2025年2月3日  浏览次数：12", "2025-02-03"),
])
def test_publication_line_of_a_web_page(tmp_path, line, date):
    report = _report_from_lines(tmp_path, ["运城市盐湖区人民政府办公室", "2024年政府信息公开工作年度报告", line], [])
    assert report.meta_value("date").isoformat() == date
    assert report.meta_value("date_source") == "page"


def test_statistics_period_is_not_a_publication_date(tmp_path):
    report = _report_from_lines(
        tmp_path, ["运城市盐湖区人民政府办公室", "2024年政府信息公开工作年度报告", "统计时间：2024年1月1日至12月31日"], [])
    assert report.meta_value("date") is None


@pytest.mark.parametrize("agency, level", [
    ("某某县某某镇人民政府", "subordinate"), ("某某区某某街道办事处", "subordinate"),
    ("某某经济技术开发区管委会", "subordinate"), ("某某高新区", "subordinate"),
    ("平潭综合实验区", "government"), ("洪泽区人民政府", "government"),
    ("上海市人民政府办公厅", "department"), ("某某市教育局", "department"),
])
def test_agency_levels(agency, level):
    assert classify_level(agency)[0] == level


def test_township_deadline(tmp_path, capsys):
    seed = seed_path("002").read_text(encoding="utf-8")
    text = seed.replace("运城市盐湖区人民政府办公室", "某某县某某镇人民政府").replace("2025 年 1 月 21 日", "2025 年 4 月 2 日")
    path = tmp_path / "town.txt"
    path.write_text(text, encoding="utf-8")
    code, report = check(capsys, path)
    assert report["meta"]["level"] == "subordinate"
    deadline = next(f for f in report["findings"] if f["rule"] == "date-deadline")
    assert "乡镇（街道）、开发区等机关应于2025年3月31日前" in deadline["message"]
    path.write_text(text.replace("2025 年 4 月 2 日", "2025 年 3 月 20 日"), encoding="utf-8")
    _, report = check(capsys, path)
    assert "date-deadline" not in {f["rule"] for f in report["findings"]}


def test_metadata_box_rows():
    assert box_fields(["索引号：", "FJ001-2025-0012", "发布机构：", "区政府办"]) == {
        "索引号": "FJ001-2025-0012", "发布机构": "区政府办"}
    assert box_fields(["公开日期：2025-03-10"]) == {"公开日期": "2025-03-10"}
    assert box_fields(["行政许可", "97"]) is None


# ---- tables as converters print them -------------------------------------------------------

def _variant(tmp_path, name, transform):
    seed = seed_path("002")
    path = tmp_path / name
    path.write_text(transform(seed.read_text(encoding="utf-8")), encoding="utf-8")
    return seed, path


def test_table4_values_over_several_lines(tmp_path):
    seed, path = _variant(tmp_path, "t4.txt", lambda t: t.replace(
        "2\t0\t0\t0\t2\t0\t0\t0\t0\t0\t1\t0\t0\t0\t1", "2\t0\t0\t0\t2\n0\t0\t0\t0\t0\n1\t0\t0\t0\t1"))
    assert values(path) == values(seed)


def test_table4_as_three_tables_under_their_headings(tmp_path):
    tables = "\n".join(f"{h}\n| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n|---|---|---|---|---|\n| {v} |"
                       for h, v in (("行政复议", "2 | 0 | 0 | 0 | 2"), ("行政诉讼（未经复议直接起诉）", "0 | 0 | 0 | 0 | 0"),
                                    ("行政诉讼（复议后起诉）", "1 | 0 | 0 | 0 | 1")))
    seed, path = _variant(tmp_path, "t4.md", lambda t: re.sub(r"行政复议\t{5}行政诉讼.*?\n2\t0\t0\t0\t2\t0\t0\t0\t0\t0\t1\t0\t0\t0\t1",
                                                             lambda m: tables, t, flags=re.S))
    assert "| 结果维持 |" in path.read_text(encoding="utf-8")
    assert values(path) == values(seed)


@pytest.mark.parametrize("style", ["第{n}部分 {title}", "（{n}）{title}", "**{title}**"])
def test_section_headings_in_other_styles(tmp_path, style):
    titles = {"一": "总体情况", "二": "主动公开政府信息情况", "三": "收到和处理政府信息公开申请情况",
              "四": "政府信息公开行政复议、行政诉讼情况", "五": "存在的主要问题及改进情况", "六": "其他需要报告的事项"}

    def restyle(text):
        for n, title in titles.items():
            text = text.replace(f"{n}、{title}", style.format(n=n, title=title))
        return text
    seed, path = _variant(tmp_path, "styled.md", restyle)
    report = read_report(str(path))
    assert report.section_order == [1, 2, 3, 4, 5, 6]
    assert {k: f.value for k, f in report.values.items()} == values(seed)


def test_fee_amount_printed_in_yuan_is_converted_with_a_warning(tmp_path, capsys):
    seed, path = _variant(tmp_path, "yuan.txt", lambda t: t.replace("本年收费金额(单位:万元)", "本年收费金额(单位:元)")
                          .replace("行政事业性收费\t0", "行政事业性收费\t76543.21"))
    code, report = check(capsys, path)
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["fees-amount-unit"]["severity"] == "warning"
    assert "以元填报（“76543.21”）" in by_rule["fees-amount-unit"]["message"]
    assert "折合7.654321万元" in by_rule["fees-amount-unit"]["message"]
    assert "fees-amount-valid" not in by_rule
    assert values(path)["section2.fees.amount"] == pytest.approx(7.654321)
    _, path = _variant(tmp_path, "yuan-cell.txt", lambda t: t.replace("行政事业性收费\t0", "行政事业性收费\t380元"))
    assert values(path)["section2.fees.amount"] == pytest.approx(0.038)


def test_fee_amount_to_the_cent_is_valid(capsys):
    _, report = check(capsys, real_path("fujian-pingtan-2023.html"))
    assert not [f for f in report["findings"] if f["category"] == "value.invalid"]


def test_blank_gov2019_other_row_is_blank_not_missing(tmp_path, capsys):
    from conftest import REPO
    text = (REPO / FIXTURE).read_text(encoding="utf-8").replace("（六）其他处理\t\t1\t0\t0\t0\t0\t0\t1",
                                                               "（六）其他处理\t" + "\t" * 8)
    path = tmp_path / "blank.txt"
    path.write_text(text, encoding="utf-8")
    _, report = check(capsys, path)
    rules = {f["rule"]: f for f in report["findings"]}
    assert "table3-rows-present" not in rules
    assert "表三“（六）其他处理”行“自然人”列" in rules["blank-cells"]["message"]


def test_generic_header_rows_are_not_labels():
    from nianbao.cells import is_generic_header, is_placeholder_row
    assert is_generic_header(["类别", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "总计"])
    assert is_generic_header(["(数据项目)", "数量"])
    assert is_generic_header(["项目", "本年新收件数", "上年结转件数", "予以公开", "总计"])
    assert not is_generic_header(["予以公开", "290", "1", "0"])
    assert is_placeholder_row(["-", "-"]) and not is_placeholder_row(["-", "3"])


def test_unused_block_helpers_stay_plain():
    block = Block.line("行政许可 97", Location("x", line=1))
    assert block.shape is None and block.kind == "line"


def test_parts_of_section1_numbered_like_sections_stay_in_section1(tmp_path):
    """（二）主动公开政府信息情况 as a part of 总体情况 in a report numbering its sections 一、 … 六、."""
    seed, path = _variant(tmp_path, "parts.txt",
                          lambda t: t.replace("（二）依申请公开方面。", "（二）主动公开政府信息情况\n\n"))
    assert "（二）主动公开政府信息情况" in path.read_text(encoding="utf-8")
    report = read_report(str(path))
    assert report.section_order == [1, 2, 3, 4, 5, 6]
    assert "（二）主动公开政府信息情况" in report.sections[1].text
    assert not [n for n in report.notes if n.category == "structure.order"]
