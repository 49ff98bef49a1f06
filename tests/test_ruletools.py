"""Pack maintenance tools: lint (every problem, with file:line:col), the HTML catalogue, pack diff."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from markupsafe import escape

from nianbao.packs import load_pack, read_pack
from nianbao.packs import LintProblem, RuleChange, diff_packs, format_diff, lint_pack, render_rules_doc

WHEN = dt.datetime(2025, 3, 1, 9, 30)


def write(tmp_path, body: str, name: str = "pack.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def where(path, needle: str, nth: int = 1, shift: int = 0) -> tuple[int, int]:
    """(line, col), 1-based, of the nth occurrence of `needle` in the file (plus `shift` columns)."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        start = 0
        while (col := line.find(needle, start)) >= 0:
            seen += 1
            if seen == nth:
                return number, col + 1 + shift
            start = col + 1
    raise AssertionError(f"{needle!r} not in {path}")


def find(problems: list[LintProblem], text: str) -> LintProblem:
    hits = [p for p in problems if text in p.message]
    assert len(hits) == 1, (text, [str(p) for p in problems])
    return hits[0]


# ---------------------------------------------------------------------------
# lint
@pytest.mark.parametrize("pack", ["gov-2021", "gov-2019", "example-city", "common"])
def test_shipped_packs_lint_without_errors(pack):
    problems = lint_pack(pack)
    assert [str(p) for p in problems if p.severity == "error"] == []


BROKEN = """
pack: broken
extends: gov-2021
disable: [acountability-statement]
rules:
  - id: unknown-name
    title: 表四合计
    category: arith.sum
    severity: error
    basis: 测试
    check: >-
      section4.review.total == section4.review.upheld
      + section4.review.corectd
    message: 表四总计为{{ section4.review.totl }}。
    tests:
      - {expect: fail, facts: {section4.review.total: 1}}
  - id: syntax-error
    title: 语法错误
    category: arith.sum
    severity: error
    basis: 测试
    check: section3.new.total >= (1
    message: 不应出现
    tests:
      - {expect: fail, facts: {section3.new.total: 0}}
  - id: unknown-name
    title: 重复的 id
    category: arith.sum
    severity: error
    basis: 测试
    check: section3.new.total >= 0
    message: 不应出现
  - id: bad-category
    title: 类别写错
    category: arith.sums
    severity: error
    basis: 测试
    check: section3.new.total >= 0
    message: 不应出现
    tests:
      - {expect: fail, facts: {section3.new.total: -1}}
  - id: no-tests
    title: 没有用例
    category: value.invalid
    severity: warning
    basis: 测试
    check: section3.new.total >= 0
    message: 不应出现
  - id: failing-case
    title: 用例不通过
    category: value.invalid
    severity: warning
    basis: 测试
    check: section3.new.total >= 0
    message: 本年新收申请为负数
    tests:
      - expect: pass
        facts: {section3.new.total: 1}
      - expect: fail
        facts: {section3.new.total: 1}
  - id: bad-regex
    title: 正则写错
    category: text.duplicate_word
    severity: warning
    basis: 测试
    check: not matches(section1, "重复")
    locate: '(\\p{Han}{2,4}\\1'
    message: 重复
    tests:
      - {expect: fail, facts: {section1: 重复}}
  - id: date-deadline
    basiss: 覆盖时把键名写错
"""


def test_broken_pack_reports_every_problem_with_its_position(tmp_path):
    path = write(tmp_path, BROKEN)
    problems = lint_pack(str(path))
    assert all(Path(p.file).resolve() == path.resolve() for p in problems), [str(p) for p in problems]

    # An unknown name on the second line of a folded (>-) expression: that line, that column.
    p = find(problems, "未知名称 section4.review.corectd")
    assert (p.line, p.col, p.severity) == (*where(path, "section4.review.corectd"), "error")
    assert "是否应为 section4.review.corrected" in p.message
    assert p.context.splitlines()[0].strip() == "+ section4.review.corectd"
    # A misspelt name in the message template would be printed as is: an error too.
    p = find(problems, "section4.review.totl")
    assert (p.line, p.col) == where(path, "section4.review.totl")
    # A syntax error in another rule.
    p = find(problems, "缺少右括号")
    assert (p.line, p.col) == where(path, "(1", shift=2) and p.message.startswith("规则 syntax-error")
    # The duplicate id, at the second one.
    p = find(problems, "重复（另见")
    assert (p.line, p.col) == where(path, "unknown-name", nth=2)
    # An unknown category, with the likely one.
    p = find(problems, "arith.sums")
    assert (p.line, p.col) == where(path, "arith.sums") and "arith.sum”" in p.message
    assert not any("缺少必填项" in q.message for q in problems)   # not also reported as missing
    # A rule without test cases: a warning.
    p = find(problems, "no-tests 没有测试用例")
    assert (p.severity, p.line) == ("warning", where(path, "no-tests")[0])
    # A failing test case: its number and what it got, at the case.
    p = find(problems, "failing-case 的第 2 个测试用例未通过")
    assert "应为“应发现问题”，实际为“通过”" in p.message
    assert (p.line, p.col) == where(path, "- expect: fail", shift=2)
    # An invalid regex in locate: at the end of the pattern, where the regex library stops.
    p = find(problems, "locate 正则表达式无效")
    line, col = where(path, "'(\\p{Han}")
    assert (p.line, p.col) == (line, col + 1 + len("(\\p{Han}{2,4}\\1"))
    # A disable naming no rule: a warning with the likely id.
    p = find(problems, "acountability-statement")
    assert p.severity == "warning" and "accountability-statement" in p.message
    # An override naming a key that does not exist.
    p = find(problems, "basiss")
    assert (p.line, p.col, p.severity) == (*where(path, "basiss"), "error")
    # Each problem once; errors are errors.
    assert len({(p.line, p.col, p.message) for p in problems}) == len(problems)
    assert {p.severity for p in problems} == {"error", "warning"}
    assert p.message.startswith("规则 date-deadline 中有未知的键")
    assert str(p) == f"{p.file}:{p.line}:{p.col}: 错误：{p.message}\n{p.context}"


def test_literal_block_and_quoted_positions(tmp_path):
    path = write(tmp_path, """
        pack: blocks
        extends: gov-2021
        rules:
          - id: literal
            title: 字面块
            category: arith.sum
            severity: error
            basis: 测试
            check: |-
              section4.review.total ==
                section4.review.upheld + section4.review.pendng
            message: m
            tests: [{expect: fail, facts: {section4.review.total: 1, section4.review.upheld: 0, section4.review.pending: 0}}]
          - id: quoted
            title: 引号
            category: arith.sum
            severity: error
            basis: 测试
            check: "section4.review.total >= sectoin4.review.upheld"
            message: m
            tests: [{expect: fail, facts: {section4.review.total: 0, section4.review.upheld: 1}}]
    """)
    problems = [p for p in lint_pack(str(path)) if "缺少 headline" not in p.message]   # positions of the others
    assert [(p.line, p.col) for p in problems if p.severity == "error"] == [
        where(path, "section4.review.pendng"), where(path, "sectoin4.review.upheld")]


def test_narrative_patterns_and_for_each(tmp_path):
    path = write(tmp_path, """
        pack: prose
        extends: gov-2021
        narrative:
          - name: narrative.fees
            label: 收费金额
            patterns: ['收取费用\\d+', '(未闭合']
        rules:
          - id: per-cell
            title: 逐格
            category: value.invalid
            severity: warning
            basis: 测试
            for_each_cell: [section2.procurement.*]
            check: cell >= 0 and narrative.fees >= 0
            message: "{{ cells | length }}"
            tests: [{expect: fail, facts: {section2.fees.amount: -1}}]
    """)
    problems = lint_pack(str(path))
    p = find(problems, "没有捕获组")
    assert (p.line, p.col) == where(path, "收取费用")
    p = find(problems, "正则表达式无效")
    assert (p.line, p.col) == where(path, "(未闭合", shift=len("(未闭合"))
    p = find(problems, "没有匹配到任何单元格")
    assert (p.line, p.col, p.severity) == (*where(path, "section2.procurement.*"), "error")


def test_inherited_cases_broken_by_a_parameter_change(tmp_path):
    """An overlay that moves a deadline without rewriting the inherited cases is told where and why."""
    path = write(tmp_path, """
        pack: earlier
        extends: gov-2021
        params: {government_deadline_month: 2, government_deadline_day: 20}
    """)
    problems = lint_pack(str(path))
    failing = [p for p in problems if "date-deadline 的第" in p.message]
    assert failing and all(p.file.endswith("dates.yaml") and p.severity == "error" for p in failing)
    assert "按 id 覆盖该规则的 tests" in failing[0].message
    # The shipped example overlay does exactly that, and is clean.
    assert not [p for p in lint_pack("example-city") if p.severity == "error"]


def test_yaml_error_and_missing_pack_are_single_problems(tmp_path):
    path = write(tmp_path, """
        pack: y
        extends: gov-2021
        rules:
          - id: a
            check: a: b
    """)
    problems = lint_pack(str(path))
    assert len(problems) == 1
    assert (problems[0].line, problems[0].severity) == (5, "error") and "YAML" in problems[0].message
    missing = lint_pack(str(tmp_path / "nowhere"))
    assert len(missing) == 1 and missing[0].severity == "error" and "找不到规则包" in missing[0].message


# ---------------------------------------------------------------------------
# doc
def test_doc_lists_every_rule_with_its_source_pack():
    pack = load_pack("gov-2021")
    html = render_rules_doc("gov-2021", WHEN)
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and 'lang="zh-CN"' in html
    for rule in pack.rules:
        assert rule.id in html
        assert str(escape(rule.title)) in html
    assert "继承自 common" in html and "本包规则" in html
    assert "中华人民共和国政府信息公开工作年度报告格式（2021年版）" in html
    assert "government_deadline_month" in html and "narrative.applications_received" in html
    assert "应通过" in html and "应发现问题" in html and "无法检查" in html
    assert "2025年03月01日 09:30" in html
    assert "勾稽关系" in html and "公布时限" in html  # Chinese category names


def test_doc_shows_overrides_and_disabled_rules_and_escapes(tmp_path):
    path = write(tmp_path, """
        pack: my-province
        extends: example-city
        disable: [accountability-statement]
        rules:
          - id: xss
            title: 标题<b>加粗</b>
            category: value.invalid
            severity: warning
            basis: 依据 & 说明
            check: section2.licensing.decisions >= 1
            message: 表二<script>alert("x")</script>{{ section2.licensing.decisions }}
            tests:
              - {expect: fail, facts: {section2.licensing.decisions: 0}}
    """)
    html = render_rules_doc(str(path), WHEN)
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<b>加粗" not in html and "&lt;b&gt;加粗" in html and "依据 &amp; 说明" in html
    assert "继承自 gov-2021" in html and "继承自 common" in html
    assert "example-city 覆盖：依据、测试用例" in html          # date-deadline
    assert "已停用（由 my-province 停用）" in html
    assert "common：3；example-city：2" in html                 # a parameter's history


# ---------------------------------------------------------------------------
# diff
def by_id(changes: list[RuleChange], section: str = "rule") -> dict[str, RuleChange]:
    return {c.rule: c for c in changes if c.section == section}


def test_diff_2019_to_2021():
    changes = diff_packs("gov-2019", "gov-2021")
    rules = by_id(changes)
    total = rules["table3-results-total"]
    assert total.kind == "changed" and "表达式已修改" in total.details
    old = next(d for d in total.details if d.startswith("原："))
    new = next(d for d in total.details if d.startswith("新："))
    assert old.endswith("+ section3.results.other")
    assert "coalesce(sum(section3.results.other.*), section3.results.other_legacy)" in new
    assert rules["fees-amount-valid"].kind == "added"
    # The 信息处理费 and 工作要点 statements are required by year (2021 on), whatever the
    # tables: shared rules, not a difference between the two packs.
    assert "fee-statement" not in rules and "work-points-statement" not in rules
    for rid in ("procurement-amount-valid", "changes-are-whole-numbers"):
        assert rules[rid].kind == "removed"
    assert "table3-balance" not in rules            # shared rules from common are unchanged
    assert rules["prose-normative-docs"].kind == "changed"
    narrative = by_id(changes, "narrative")
    assert narrative["narrative.normative_docs_made"].kind == "removed"
    assert narrative["narrative.normative_docs_issued"].kind == "added"
    names = by_id(changes, "template")
    assert names["section2.procurement.*"].kind == "removed"
    assert names["section2.rules.{issued, repealed, in_force}"].kind == "added"
    assert names["section2.fees.amount"].kind == "added"
    assert names["section3.results.other.*"].kind == "removed"
    assert not by_id(changes, "param")
    text = format_diff("gov-2019", "gov-2021", changes)
    for heading in ("新增规则", "删除规则", "修改规则", "叙述事实", "模板栏目"):
        assert heading in text
    assert text.index("新增规则") < text.index("删除规则") < text.index("修改规则") < text.index("模板栏目")
    assert "仅 gov-2019 的模板中有" in text and "section2.procurement.*  表二“政府集中采购”" in text


def test_diff_of_a_pack_with_itself_is_empty():
    assert diff_packs("gov-2021", "gov-2021") == []
    assert "均相同" in format_diff("gov-2021", "gov-2021", [])


def test_diff_overlay_against_its_base(tmp_path):
    changes = diff_packs("gov-2021", "example-city")
    params = by_id(changes, "param")
    assert params["government_deadline_month"].details == ["3 → 2"]
    assert params["government_deadline_day"].details == ["31 → 20"]
    rules = by_id(changes)
    assert rules["city-review-statement"].kind == "added"
    assert rules["date-deadline"].kind == "changed"
    assert any(d.startswith("依据") for d in rules["date-deadline"].details)
    assert not by_id(changes, "template")
    text = format_diff("gov-2021", "example-city", changes)
    assert "government_deadline_month：3 → 2" in text
    # Disabling a rule is a change of state.
    path = write(tmp_path, "pack: quiet\nextends: gov-2021\ndisable: [accountability-statement]\n")
    rules = by_id(diff_packs("gov-2021", str(path)))
    assert rules["accountability-statement"].details == ["状态：启用 → 已停用"]
    assert read_pack(str(path)).name == "quiet"
