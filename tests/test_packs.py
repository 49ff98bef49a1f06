"""Supervisors' own packs: extending gov-2021, overriding, and precise errors when malformed."""
from __future__ import annotations

import json
import textwrap

import pytest

from conftest import REPO
from nianbao.cli import main

SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"


def write_pack(tmp_path, body: str, name="mine.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def check_json(capsys, *args):
    code = main(["check", "--format", "json", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out else None), captured.err


RULE = """
  - id: licensing-at-least-2000
    title: 行政许可处理决定数量不少于2000件
    category: value.invalid
    severity: warning
    basis: 本省2025年政务公开工作要点
    check: section2.licensing.decisions >= 2000
    message: 表二行政许可处理决定{{{{ section2.licensing.decisions }}}}件，少于本省要求的2000件。
    tests:
      - expect: fail
        facts: {{section2.licensing.decisions: 1875}}
      - expect: pass
        facts: {{section2.licensing.decisions: 2100}}
"""


def test_supervisor_rule_in_an_extending_pack(tmp_path, capsys):
    pack = write_pack(tmp_path, "pack: my-province\nextends: gov-2021\nrules:" + RULE.format())
    code, data, _ = check_json(capsys, str(CLEAN), "--pack", str(pack))
    report = data["reports"][0]
    assert report["pack"] == "my-province"
    assert [f["rule"] for f in report["findings"]] == ["licensing-at-least-2000"]
    assert report["findings"][0]["message"] == "表二行政许可处理决定1875件，少于本省要求的2000件。"
    assert report["findings"][0]["evidence"][0]["location"]["line"] > 0
    assert code == 0  # a warning only
    # The base pack's rules still run: the sample's defects are still found.
    code, data, _ = check_json(capsys, str(SAMPLE), "--pack", str(pack))
    rules = {f["rule"] for f in data["reports"][0]["findings"]}
    assert {"licensing-at-least-2000", "fee-statement", "date-deadline"} <= rules
    assert code == 1


def test_override_disable_and_params(tmp_path, capsys):
    pack = write_pack(tmp_path, """
        pack: strict-province
        extends: gov-2021
        params:
          government_deadline_month: 2
          government_deadline_day: 20
        disable: [duplicate-words]
        rules:
          - id: fee-statement
            severity: warning
    """)
    code, data, _ = check_json(capsys, str(CLEAN), "--pack", str(pack))
    findings = data["reports"][0]["findings"]
    assert [f["rule"] for f in findings] == ["date-deadline"]      # 2025-03-20 is after 20 February
    assert "2025年2月20日" in findings[0]["message"]
    code, data, _ = check_json(capsys, str(SAMPLE), "--pack", str(pack))
    by_rule = {f["rule"]: f for f in data["reports"][0]["findings"]}
    assert by_rule["fee-statement"]["severity"] == "warning"
    assert "duplicate-words" not in by_rule


def test_rules_test_runs_a_supervisors_cases(tmp_path, capsys):
    pack = write_pack(tmp_path, "pack: my-province\nextends: gov-2021\nrules:" + RULE.format())
    assert main(["rules", "test", str(pack)]) == 0
    out = capsys.readouterr().out
    assert "失败 0 个" in out
    broken = write_pack(tmp_path, ("pack: my-province\nextends: gov-2021\nrules:" + RULE.format())
                        .replace("section2.licensing.decisions: 1875", "section2.licensing.decisions: 2500"), "b.yaml")
    assert main(["rules", "test", str(broken)]) == 1
    assert "licensing-at-least-2000 第1个用例：应为 fail，实际为 pass" in capsys.readouterr().out


@pytest.mark.parametrize("check_expr, where, words", [
    ("section3.nwe + section3.carried == section3.results.total", ":6:12:", "未知名称 section3.nwe，是否应为 section3.new？"),
    ("sum(section3.new + ) > 1", ":6:", "语法错误"),
    ("abs(section3.new.total, 2) > 1", ":6:12:", "函数 abs 需要 1 个参数"),
    ("frobnicate(section3.new.total) > 1", ":6:12:", "frobnicate"),
])
def test_malformed_expression_points_at_the_spot(tmp_path, capsys, check_expr, where, words):
    pack = write_pack(tmp_path, f"""
        pack: broken
        extends: gov-2021
        rules:
          - id: r1
            title: 测试规则
            check: {check_expr}
            category: arith.sum
            severity: error
            basis: 测试
            message: 测试
    """)
    code, _, err = check_json(capsys, str(CLEAN), "--pack", str(pack))
    assert code == 2
    assert f"{pack}{where}" in err
    assert words in err
    assert "^" in err.splitlines()[-1]        # the caret line under the expression
    assert "Traceback" not in err


@pytest.mark.parametrize("body, words", [
    ("  - id: r1\n    title: t\n    category: arith.wrong\n    severity: error\n    basis: b\n    check: 1 == 1\n    message: m\n",
     "类别“arith.wrong”不在固定类别之中"),
    ("  - id: r1\n    title: t\n    category: arith.sum\n    severity: fatal\n    basis: b\n    check: 1 == 1\n    message: m\n",
     "级别“fatal”无效"),
    ("  - id: r1\n    title: t\n    category: arith.sum\n    severity: error\n    check: 1 == 1\n    message: m\n",
     "缺少必填项 basis"),
    ("  - id: r1\n    title: t\n    category: arith.sum\n    severity: error\n    basis: b\n    check: 1 == 1\n"
     "    message: m\n  - id: r1\n    title: t\n    category: arith.sum\n    severity: error\n    basis: b\n"
     "    check: 1 == 1\n    message: m\n", "规则 id “r1” 重复"),
    ("  - id: r1\n    title: t\n    category: arith.sum\n    severity: error\n    basis: b\n    check: 1 == 1\n"
     "    message: '{{ oops'\n", "message 模板有语法错误"),
    ("  - id: r1\n    title: [unclosed\n", "YAML 格式错误"),
])
def test_malformed_pack_file(tmp_path, capsys, body, words):
    pack = write_pack(tmp_path, "pack: broken\nextends: gov-2021\nrules:\n" + body)
    code, _, err = check_json(capsys, str(CLEAN), "--pack", str(pack))
    assert code == 2
    assert str(pack) in err and words in err
    assert "Traceback" not in err


def test_unknown_pack_name(capsys):
    code, _, err = check_json(capsys, str(CLEAN), "--pack", "no-such-pack")
    assert code == 2
    assert "找不到规则包" in err and "gov-2021" in err


def test_packs_are_data_not_code(tmp_path, capsys):
    """A pack cannot construct Python objects or reach Python internals from a message."""
    pack = write_pack(tmp_path, """
        pack: hostile
        extends: gov-2021
        rules:
          - id: r1
            title: t
            category: arith.sum
            severity: warning
            basis: b
            check: section3.new.total < 0
            message: "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    """)
    code, data, err = check_json(capsys, str(CLEAN), "--pack", str(pack))
    finding = next(f for f in data["reports"][0]["findings"] if f["rule"] == "r1")
    assert "subclasses" not in finding["message"] or "出错" in finding["message"]
    assert "<class" not in finding["message"]
    yaml_attack = write_pack(tmp_path, "pack: !!python/object/apply:os.system ['echo pwned']\nrules: []\n", "evil.yaml")
    code, _, err = check_json(capsys, str(CLEAN), "--pack", str(yaml_attack))
    assert code == 2 and "YAML" in err


def test_error_inside_a_folded_block_points_at_its_own_line(tmp_path, capsys):
    pack = write_pack(tmp_path, """
        pack: broken
        extends: gov-2021
        rules:
          - id: r1
            title: t
            category: arith.sum
            severity: error
            basis: b
            message: m
            check: >-
              section3.new.total == section3.carried.total
                + section3.nwe.total
    """)
    code, _, err = check_json(capsys, str(CLEAN), "--pack", str(pack))
    assert code == 2
    assert f"{pack}:12:11: 未知名称 section3.nwe.total" in err
    assert err.splitlines()[-2].strip() == "+ section3.nwe.total"
    from nianbao.packs import lint_pack
    problems = [p for p in lint_pack(str(pack)) if p.severity == "error" and "缺少 headline" not in p.message]
    assert [(p.line, p.col) for p in problems] == [(12, 11)]


def test_a_letter_typo_stops_check_and_lint_at_the_same_place(tmp_path, capsys):
    pack = write_pack(tmp_path, """
        pack: mine
        extends: gov-2021
        letter:
          sender: 某市政务公开办
          dedline_days: 14
    """)
    code, _, err = check_json(capsys, str(CLEAN), "--pack", str(pack))
    assert code == 2 and "Traceback" not in err
    assert f"{pack}:5:3: 信函设置中有未知的键“dedline_days”（是否应为“deadline_days”？）" in err
    assert main(["rules", "lint", str(pack)]) == 1
    out = capsys.readouterr().out
    assert f"{pack}:5:3: 错误：信函设置中有未知的键“dedline_days”" in out
