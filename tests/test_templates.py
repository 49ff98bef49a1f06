"""Template versions: gov-2019 detection and rules, outdated tables, overlays, cross-year pairs."""
from __future__ import annotations

import copy

import pytest

from conftest import CLEAN, REPO, real_path
from nianbao.engine import check_report
from nianbao.packs import load_pack
from nianbao.reading import read_report

GOV2019 = REPO / "tests" / "fixtures" / "gov2019-report-2020.txt"


def test_gov2019_report_is_detected_and_read(cli):
    data = cli("parse", GOV2019, "--format", "json").json
    assert data["meta"]["template"] == "gov-2019"
    assert "2019年试行版" in data["meta"]["template_reason"] and "本年新制作数量" in data["meta"]["template_reason"]
    values = data["values"]
    assert {k: v for k, v in values.items() if k.startswith("section2.")} == {
        "section2.rules.made": 0, "section2.rules.published": 0, "section2.rules.total": 0,
        "section2.normative_docs.made": 4, "section2.normative_docs.published": 4, "section2.normative_docs.total": 37,
        "section2.licensing.prev_items": 215, "section2.licensing.change": -6, "section2.licensing.decisions": 1620,
        "section2.other_services.prev_items": 48, "section2.other_services.change": 3,
        "section2.other_services.decisions": 512,
        "section2.penalty.prev_items": 402, "section2.penalty.change": 12, "section2.penalty.decisions": 356,
        "section2.coercion.prev_items": 31, "section2.coercion.change": 0, "section2.coercion.decisions": 14,
        "section2.fees.prev_items": 22, "section2.fees.change": -2,
        "section2.procurement.items": 86, "section2.procurement.amount": 2365.48,
    }
    assert [values[f"section3.results.other.{c}"] for c in ("natural_person", "total")] == [1, 1]
    assert not any(k.startswith("section3.results.other.overdue") for k in values)
    assert data["notes"] == []


def test_gov2019_report_is_checked_with_gov2019_rules(cli):
    run = cli("check", GOV2019, "--format", "json")
    report = run.json["reports"][0]
    assert report["pack"] == "gov-2019"
    assert report["findings"] == [] and report["unchecked"] == []
    assert run.code == 0


def test_gov2019_results_total_uses_the_single_other_row(tmp_path, cli):
    text = GOV2019.read_text(encoding="utf-8").replace("（六）其他处理\t\t1\t0\t0\t0\t0\t0\t1",
                                                        "（六）其他处理\t\t2\t0\t0\t0\t0\t0\t2")
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    data = cli("check", path, "--format", "json").json
    rules = {f["rule"] for f in data["reports"][0]["findings"]}
    assert rules == {"table3-results-total"}


def test_gov2019_tables_in_a_2024_report_are_outdated(tmp_path, cli):
    text = GOV2019.read_text(encoding="utf-8").replace("2020年", "2024年").replace("2021年3月15日", "2025年3月15日")
    path = tmp_path / "2024.txt"
    path.write_text(text, encoding="utf-8")
    run = cli("check", path, "--format", "json")
    report = run.json["reports"][0]
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert {r: (f["category"], f["severity"]) for r, f in by_rule.items()} == {
        "outdated-rows": ("template.outdated", "error"),
        # Requirements of 2021-and-later reports still apply to a report on the old tables.
        "fee-statement": ("content.required_missing", "error"),
        "work-points-statement": ("content.required_missing", "warning"),
    }
    assert "2024年" in by_rule["outdated-rows"]["message"] and "2021年版" in by_rule["outdated-rows"]["message"]
    assert run.code == 1


def test_gov2021_report_of_2024_is_not_outdated(cli):
    data = cli("parse", CLEAN, "--format", "json").json
    assert data["meta"]["template"] == "gov-2021"
    assert "本年制发件数" in data["meta"]["template_reason"]


def test_overlay_changes_the_deadline_and_the_finding_follows(cli):
    data = cli("check", CLEAN, "--format", "json").json
    assert data["reports"][0]["findings"] == []                        # 2025-03-20 is within 31 March
    run = cli("check", CLEAN, "--pack", "example-city", "--format", "json")
    findings = run.json["reports"][0]["findings"]
    assert [f["rule"] for f in findings] == ["date-deadline"]
    assert "2025年2月20日" in findings[0]["message"]
    assert findings[0]["basis"].startswith("示例市政务公开办通知")
    assert run.code == 1


def test_abstract_base_pack_cannot_check(cli):
    code, _, err = cli("check", CLEAN, "--pack", "common")
    assert code == 2
    assert "公共基础包" in err


def test_real_pdfs_as_a_pair_are_consistent_and_a_changed_figure_is_caught():
    this = read_report(str(real_path("huaian-hongze-2024.pdf")))
    last = read_report(str(real_path("huaian-hongze-2023.pdf")))
    pack = load_pack("gov-2021")
    cross = lambda result: [f.rule for f in result.findings if f.category.startswith("crossyear.")]
    assert cross(check_report(this, pack, last)) == []
    changed = copy.deepcopy(last)
    changed.values["section3.carryover.natural_person"].value = 2
    changed.values["section3.carryover.total"].value = 2
    result = check_report(this, pack, changed)
    assert cross(result) == ["carried-equals-last-carryover"]
    finding = next(f for f in result.findings if f.category.startswith("crossyear."))
    assert "自然人列本年为0，上年为2" in finding.message
    changed = copy.deepcopy(last)
    changed.values["section2.normative_docs.in_force"].value = 4
    assert cross(check_report(this, pack, changed)) == ["normative-docs-in-force-carried"]


def test_agency_names_are_normalised_for_pairing():
    from nianbao.pairing import agency_key, pair_reports
    assert agency_key("淮安市洪泽区人民政府") == agency_key("洪泽区人民政府") == "洪泽区人民政府"
    assert agency_key("交城县") == agency_key("交城县人民政府")
    assert agency_key("淮安市人民政府") == "淮安市人民政府"
    assert agency_key("淮安市市场监督管理局") == "淮安市市场监督管理局"
    ids = {"a": ("洪泽区人民政府", 2024), "b": ("洪泽区人民政府", 2023), "c": ("交城县人民政府", 2024)}
    assert pair_reports(["a", "b", "c"], ids) == {"a": "b"}


def test_gov2019_report_published_as_a_web_page(tmp_path):
    """Real 2019/2020 reports were published as web pages (often GB2312): same values, same verdict."""
    from fixtures_render import render_html
    text = GOV2019.read_text(encoding="utf-8")
    page = tmp_path / "2020.html"
    page.write_bytes(render_html(text, encoding="gb2312"))
    from_txt, from_html = read_report(str(GOV2019)), read_report(str(page))
    assert from_html.format == "html"
    assert from_html.meta_value("template") == "gov-2019"
    assert {k: f.value for k, f in from_html.values.items()} == {k: f.value for k, f in from_txt.values.items()}
    result = check_report(from_html, load_pack("gov-2019"))
    assert result.findings == [] and result.unchecked == []


@pytest.mark.parametrize("last_change, fired", [("12", []), ("10", ["items-carried"])])
def test_gov2019_items_carried_across_years(tmp_path, cli, last_change, fired):
    text = GOV2019.read_text(encoding="utf-8")
    last = (text.replace("2020年", "2019年").replace("2021年3月15日", "2020年3月10日")
            .replace("行政许可\t215\t-6\t1620", f"行政许可\t203\t{last_change}\t1544")
            .replace("其他对外管理服务事项\t48\t3\t512", "其他对外管理服务事项\t45\t3\t498")
            .replace("行政处罚\t402\t12\t356", "行政处罚\t390\t12\t371")
            .replace("四、结转下年度继续办理\t\t\t0\t0\t0\t0\t0\t0\t0", "四、结转下年度继续办理\t\t\t1\t0\t0\t0\t0\t0\t1")
            # last year's own section 5 (a repeated one is a text.copied finding of its own)
            .replace("仍存在政策解读不够深入等问题。下一步将加强政策解读，提升公开质量。",
                     "仍存在网站栏目更新不及时等问题。下一步将建立栏目更新通报制度。"))
    path = tmp_path / "2019.txt"
    path.write_text(last, encoding="utf-8")
    data = cli("check", GOV2019, "--previous", path, "--format", "json").json
    findings = data["reports"][0]["findings"]
    assert [f["rule"] for f in findings] == fired
    if fired:
        assert "表二“行政许可”行的“上一年项目数量”为215" in findings[0]["message"]
        assert "推算应为213" in findings[0]["message"]
