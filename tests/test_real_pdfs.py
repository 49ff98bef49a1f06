"""The two real PDF reports (洪泽区 2023 and 2024): every value, the real defects, page provenance."""
from __future__ import annotations

import pytest

from conftest import real_path
from expected_values import REAL

EXPECTED_FINDINGS = {
    "huaian-hongze-2023.pdf": {
        "table4-review-total": "error", "table4-after-review-total": "error", "outdated-rows": "error",
        "work-points-statement": "warning", "date-from-publication": "info",
        "accountability-statement": "info", "label-variants": "info",
    },
    "huaian-hongze-2024.pdf": {
        "outdated-rows": "error", "work-points-statement": "warning", "date-from-publication": "info",
        "prose-applications-received": "warning", "accountability-statement": "info", "label-variants": "info",
    },
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_every_table_value(name, cli):
    run = cli("parse", real_path(name), "--format", "json")
    assert run.code == 0
    data = run.json
    assert data["format"] == "pdf"
    assert data["values"] == REAL[name]["values"]
    for key, value in REAL[name]["meta"].items():
        assert data["meta"][key] == value, key
    assert data["section_order"] == [f"section{n}" for n in range(1, 7)]


def test_values_carry_page_and_box(cli):
    data = cli("parse", real_path("huaian-hongze-2024.pdf"), "--format", "json").json
    prov = data["provenance"]
    assert prov["section2.licensing.decisions"]["location"]["page"] == 2
    assert prov["section2.penalty.decisions"]["location"]["page"] == 3          # table 2 continues on page 3
    assert prov["section3.results.withheld.inquiry.total"]["location"]["page"] == 3
    assert prov["section3.results.unavailable.needs_creation.total"]["location"]["page"] == 4  # table 3 continues
    box = prov["section4.review.total"]["location"]["bbox"]
    assert len(box) == 4 and box[0] < box[2] and box[1] < box[3]
    assert prov["section4.review.total"]["raw"] == "2"


@pytest.mark.parametrize("name", sorted(EXPECTED_FINDINGS))
def test_real_defects_and_nothing_false_at_error_level(name, cli):
    run = cli("check", real_path(name), "--format", "json")
    report = run.json["reports"][0]
    got = {f["rule"]: f["severity"] for f in report["findings"]}
    assert got == EXPECTED_FINDINGS[name]
    assert run.code == 1


def test_findings_point_to_pages(cli):
    data = cli("check", real_path("huaian-hongze-2023.pdf"), "--format", "json").json
    by_rule = {f["rule"]: f for f in data["reports"][0]["findings"]}
    review = by_rule["table4-review-total"]
    assert "表四行政复议“总计”为0" in review["message"] and "合计为11" in review["message"]
    assert {e["location"]["page"] for e in review["evidence"]} == {4}
    code, out, _ = cli("check", real_path("huaian-hongze-2023.pdf"))
    assert code == 1
    assert "位置：第4页" in out


def test_prose_scope_difference_is_a_warning_with_both_places(cli):
    data = cli("check", real_path("huaian-hongze-2024.pdf"), "--format", "json").json
    finding = next(f for f in data["reports"][0]["findings"] if f["rule"] == "prose-applications-received")
    assert finding["severity"] == "warning"
    assert "17件" in finding["message"] and "95件" in finding["message"]
    # The prose, the new-applications total and the carried-over total (受理 may mean 新收+结转).
    assert [e["location"]["page"] for e in finding["evidence"]] == [1, 3, 3]
    assert sorted(e["field"] for e in finding["evidence"][1:]) == ["section3.carried.total", "section3.new.total"]


def test_the_two_years_are_consistent(cli):
    data = cli("check", real_path("huaian-hongze-2024.pdf"),
               "--previous", real_path("huaian-hongze-2023.pdf"), "--format", "json").json
    report = data["reports"][0]
    assert not [f for f in report["findings"] if f["category"].startswith("crossyear.")]
    assert not [u for u in report["unchecked"] if u["rule"] in
                ("carried-equals-last-carryover", "normative-docs-in-force-carried", "rules-in-force-carried")]
