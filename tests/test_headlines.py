"""Finding headlines: every bundled rule states its problem in a few words, and findings carry it."""
from __future__ import annotations

import json

import pytest
import regex

from conftest import REPO
from nianbao.cli import main
from nianbao.packs import available_packs, load_pack


@pytest.mark.parametrize("name", available_packs())
def test_every_bundled_rule_has_a_short_headline(name):
    pack = load_pack(name)
    for rule in pack.rules:
        headline = str(rule.data.get("headline") or "")
        assert headline, f"{name}: rule {rule.id} has no headline"
        assert headline != rule.title, rule.id                  # the problem, not the requirement
        assert len(headline) <= 24 and regex.search(r"\p{Han}", headline), (rule.id, headline)
        assert not headline.endswith(("。", "；", "，")), (rule.id, headline)


def test_findings_carry_the_headline(capsys):
    main(["check", str(REPO / "examples" / "sample-report.txt"), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["reports"][0]["findings"]
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["date-deadline"]["headline"] == "未在法定时限内公布"
    assert by_rule["date-deadline"]["title"] == "在法定时限内公布"
    assert by_rule["fee-statement"]["headline"] == "未报告信息处理费收取情况"


def test_a_local_rule_without_headline_is_headed_by_its_title(tmp_path, capsys):
    pack = tmp_path / "local.yaml"
    pack.write_text(
        "pack: local\nextends: gov-2021\nrules:\n"
        "  - id: always\n    title: 总体情况不少于一万字\n    category: content.required_missing\n"
        "    severity: info\n    basis: 本地要求\n    check: len(section1) >= 10000\n"
        "    message: 总体情况过短。\n", encoding="utf-8")
    main(["check", "--pack", str(pack), str(REPO / "examples" / "sample-report.txt"), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["reports"][0]["findings"]
    mine = next(f for f in findings if f["rule"] == "always")
    assert mine["headline"] == mine["title"] == "总体情况不少于一万字"
