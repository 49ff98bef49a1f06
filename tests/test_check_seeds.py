"""`nianbao check` on the five seed reports: the findings an expert would write, pinned."""
from __future__ import annotations

import pytest

from conftest import seed_path

EXPECTED = {
    # 交城县 2024: signed 2024-01-17 (before the year ended); sections 2 and 3 headings and table 2 missing.
    "000": {"date-after-period": "error", "sections-present": "error", "table2-present": "error",
            "work-points-statement": "warning", "accountability-statement": "info"},
    # 新县政府办 2024: no signing date; prose says 12 normative documents issued, table 2 says 8.
    "001": {"date-present": "warning", "prose-normative-docs": "warning"},
    # 盐湖区政府办 2024: clean apart from a column-label typo (本年度止件数) and no word on accountability.
    "002": {"accountability-statement": "info", "label-variants": "info"},
    # 隆德县 2024: no signing date.
    "003": {"date-present": "warning"},
    # 交口县 2025: 16 values in table 4, an empty cell in table 3, prose 6 vs table 5, 我县我县.
    "004": {"extra-cells": "error", "blank-cells": "error", "work-points-statement": "warning",
            "prose-applications-received": "warning", "duplicate-words": "warning",
            "accountability-statement": "info", "label-variants": "info"},
}


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_findings_per_seed(seed, cli):
    run = cli("check", seed_path(seed), "--format", "json")
    got = {f["rule"]: f["severity"] for f in run.json["reports"][0]["findings"]}
    assert got == EXPECTED[seed]
    assert run.code == (1 if "error" in got.values() else 0)


def test_messages_quote_the_figures_and_places(cli):
    report = cli("check", seed_path("004"), "--format", "json").json["reports"][0]
    by_rule = {f["rule"]: f for f in report["findings"]}
    prose = by_rule["prose-applications-received"]
    assert "6件" in prose["message"] and "5件" in prose["message"]
    assert {e["location"]["line"] for e in prose["evidence"]} == {23, 61, 62}   # prose, 新收, 上年结转
    blank = by_rule["blank-cells"]
    assert blank["fields"] == ["section3.carryover.commercial"]
    assert "表三“四、结转下年度继续办理”行“商业企业”列" in blank["message"]
    assert "我县我县" in by_rule["duplicate-words"]["message"]
    assert by_rule["duplicate-words"]["evidence"][0]["location"]["line"] == 98


def test_cannot_check_is_reported_not_passed(cli):
    report = cli("check", seed_path("004"), "--format", "json").json["reports"][0]
    unchecked = {u["rule"]: u for u in report["unchecked"]}
    # The blank cell makes the balance rule uncheckable in that column: it says so.
    assert "table3-balance" in unchecked
    assert ["section3.carryover.commercial", "blank"] in [[m["field"], m["kind"]] for m in unchecked["table3-balance"]["missing"]]
    assert "table4-after-review-total" in unchecked


def test_text_output_groups_by_severity(cli):
    code, out, _ = cli("check", seed_path("000"), "--format", "text")
    assert code == 1
    assert out.index("【错误】") < out.index("【警告】") < out.index("【提示】")
    assert "报告缺少2个部分：第二部分“主动公开政府信息情况”、第三部分“收到和处理政府信息公开申请情况”" in out
    assert "位置：第72行" in out
