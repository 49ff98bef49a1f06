"""Single defects injected into a clean report: exactly the right rule fires.

The clean report (tests/fixtures/clean-report.txt) passes every rule of the
gov-2021 pack. Each case changes one thing, as real reports get it wrong,
and asserts which rule fires and that nothing else fires at error level.
"""
from __future__ import annotations

import re

import pytest

from conftest import CLEAN as CLEAN_REPORT

CLEAN = CLEAN_REPORT.read_text(encoding="utf-8")


def replace(old: str, new: str, count: int = 1):
    def mutate(text: str) -> str:
        assert old in text, f"fixture no longer contains {old!r}"
        return text.replace(old, new, count)
    return mutate


def drop_line(prefix: str):
    def mutate(text: str) -> str:
        lines = text.split("\n")
        kept = [line for line in lines if not line.startswith(prefix)]
        assert len(kept) == len(lines) - 1, f"expected one line starting with {prefix!r}"
        return "\n".join(kept)
    return mutate


def swap_sections_5_and_6(text: str) -> str:
    head, rest = text.split("五、存在的主要问题及改进情况", 1)
    five, six = rest.split("六、其他需要报告的事项", 1)
    six_body, signature = six.split("示例县人民政府办公室", 1)
    return head + "六、其他需要报告的事项" + six_body + "五、存在的主要问题及改进情况" + five + "\n示例县人民政府办公室" + signature


def legacy_other_row(text: str) -> str:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if "（六）其他处理" in line)
    legacy = "\t（六）其他处理\t\t1\t0\t0\t0\t0\t0\t1"
    return "\n".join(lines[:start] + [legacy] + lines[start + 3:])


CASES = [
    # (id, mutation, rule expected to fire, other rules allowed to fire below error level)
    ("missing_section", drop_line("五、存在的主要问题及改进情况"), "sections-present", set()),
    ("missing_table", lambda t: re.sub(r"行政复议\t.*?\n1\t1\t0\t0\t2[^\n]*\n", "", t, flags=re.S),
     "table4-present", set()),
    ("missing_row", drop_line("\t\t8.属于行政查询事项"), "table3-rows-present", set()),
    ("extra_cells", replace("1\t1\t0\t0\t2\t1\t0\t0\t0\t1\t0\t0\t0\t0\t0", "1\t1\t0\t0\t2\t1\t0\t0\t0\t1\t0\t0\t0\t0\t0\t7"),
     "extra-cells", set()),
    ("order", swap_sections_5_and_6, "sections-order", set()),
    ("blank", replace("四、结转下年度继续办理\t\t\t1\t0\t0", "四、结转下年度继续办理\t\t\t1\t0\t"), "blank-cells", set()),
    ("invalid", replace("行政处罚\t642", "行政处罚\t六百四十二"), "counts-are-whole-numbers", set()),
    ("balance", replace("四、结转下年度继续办理\t\t\t1\t0\t0\t0\t0\t0\t1", "四、结转下年度继续办理\t\t\t2\t0\t0\t0\t0\t0\t2"),
     "table3-balance", set()),
    ("sum", replace("\n1\t1\t0\t0\t2\t", "\n1\t1\t0\t0\t3\t"), "table4-review-total", {"prose-reviews"}),
    ("narrative", replace("行政诉讼1件", "行政诉讼3件"), "prose-litigation", set()),
    ("date_missing", drop_line("2025年3月20日"), "date-present", set()),
    ("date_period", replace("2025年3月20日", "2024年3月20日"), "date-after-period", set()),
    ("date_deadline", replace("2025年3月20日", "2025年4月8日"), "date-deadline", set()),
    ("outdated", legacy_other_row, "outdated-rows", set()),
    ("label_variant", replace("本年废止件数", "本年度止件数"), "label-variants", set()),
    ("required_missing", replace("（二）2024年，本机关未收取政府信息公开信息处理费。", ""), "fee-statement", set()),
    ("duplicate_word", replace("我县持续推进", "我县我县持续推进"), "duplicate-words", set()),
    ("unreadable", lambda t: "这是一份会议通知，与政府信息公开年报无关。\n", "unreadable", set()),
]


def test_clean_report_has_no_findings(tmp_path, cli):
    path = tmp_path / "clean.txt"
    path.write_text(CLEAN, encoding="utf-8")
    run = cli("check", path, "--format", "json")
    report = run.json["reports"][0]
    assert run.code == 0
    assert report["findings"] == []
    assert report["unchecked"] == []


@pytest.mark.parametrize("case_id, mutate, rule, allowed", CASES, ids=[c[0] for c in CASES])
def test_injected_defect(case_id, mutate, rule, allowed, tmp_path, cli):
    path = tmp_path / f"{case_id}.txt"
    path.write_text(mutate(CLEAN), encoding="utf-8")
    run = cli("check", path, "--format", "json")
    report = run.json["reports"][0]
    fired = {f["rule"] for f in report["findings"]}
    assert rule in fired, report["findings"]
    assert fired - {rule} <= allowed, report["findings"]
    errors = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert errors <= {rule}
    assert run.code == (1 if errors else 0)
    finding = next(f for f in report["findings"] if f["rule"] == rule)
    assert finding["message"]
    assert finding["category"].split(".")[0] in case_id.replace("_", ".") or finding["category"]


def _previous_year(carryover="2\t0\t0\t0\t0\t0\t2", in_force="37"):
    text = CLEAN.replace("2024年政府信息公开工作年度报告", "2023年政府信息公开工作年度报告")
    text = text.replace("2024年1月1日起至2024年12月31日", "2023年1月1日起至2023年12月31日")
    text = text.replace("四、结转下年度继续办理\t\t\t1\t0\t0\t0\t0\t0\t1", f"四、结转下年度继续办理\t\t\t{carryover}")
    # Last year's own problems and measures: a section 5 repeated from last year is a finding of its own.
    text = text.replace("但仍存在政策解读形式单一、基层公开标准化水平不高等问题。下一步，将持续丰富解读形式，加强基层政务公开标准化规范化建设。",
                        "但仍存在依申请公开答复文书不够规范、个别栏目更新不及时等问题。下一步，将制定答复文书范本，建立栏目更新通报制度。")
    return text.replace("行政规范性文件\t6\t2\t41", f"行政规范性文件\t5\t1\t{in_force}")


@pytest.mark.parametrize("carryover, in_force, rule", [
    ("2\t0\t0\t0\t0\t0\t2", "37", None),
    ("3\t0\t0\t0\t0\t0\t3", "37", "carried-equals-last-carryover"),
    ("2\t0\t0\t0\t0\t0\t2", "30", "normative-docs-in-force-carried"),
])
def test_cross_year(carryover, in_force, rule, tmp_path, cli):
    this = tmp_path / "2024.txt"
    this.write_text(CLEAN, encoding="utf-8")
    last = tmp_path / "2023.txt"
    last.write_text(_previous_year(carryover, in_force), encoding="utf-8")
    report = cli("check", this, "--format", "json", "--previous", last).json["reports"][0]
    fired = [f["rule"] for f in report["findings"]]
    assert fired == ([rule] if rule else [])
    assert report["previous"] == str(last)
