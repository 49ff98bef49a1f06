"""`rules lint` requires a headline on every rule a pack defines (issue 15); loading falls back to the title."""
from __future__ import annotations

PACK = """\
pack: county
extends: gov-2021
rules:
  - id: licensing-reported
    title: 行政许可处理决定数量不少于1件
    category: value.invalid
    severity: warning
    basis: 本省政务公开工作要点
    check: section2.licensing.decisions >= 1
    message: 表二行政许可处理决定为{{ section2.licensing.decisions }}件。
"""


def test_lint_requires_a_headline_and_check_falls_back_to_the_title(tmp_path, cli):
    pack = tmp_path / "county.yaml"
    pack.write_text(PACK, encoding="utf-8")
    run = cli("rules", "lint", pack)
    assert run.code == 1
    assert f"{pack}:4:9: 错误：规则 licensing-reported 缺少 headline" in run.out
    from nianbao import load_pack
    rule = next(r for r in load_pack(str(pack)).rules if r.id == "licensing-reported")
    assert not rule.headline                         # loads: a finding is then headed by its title
    pack.write_text(PACK.replace("    category:", "    headline: 未报告行政许可处理决定\n    category:"), encoding="utf-8")
    assert cli("rules", "lint", pack).code == 0
