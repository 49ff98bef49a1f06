"""What the docs promise a newcomer still holds."""
from __future__ import annotations

import re

from conftest import REPO


def _readme_pack(tmp_path):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(pack: my-province.*?)```", text, re.S)
    assert found, "README lost its example province pack"
    path = tmp_path / "my-province.yaml"
    path.write_text(found.group(1), encoding="utf-8")
    return path


def test_readme_example_pack_passes_its_own_lint_and_tests(tmp_path, cli):
    pack = _readme_pack(tmp_path)
    lint = cli("rules", "lint", pack)
    assert lint.code == 0 and "错误 0 项" in lint.out, lint.out
    cases = cli("rules", "test", pack)
    assert cases.code == 0 and "失败 0 个" in cases.out, cases.out


def test_readme_sample_claim_matches_the_sample(cli, sample):
    run = cli("check", sample, "--format", "json")
    counts = run.json["reports"][0]["counts"]
    assert (run.code, counts["error"], counts["warning"]) == (1, 2, 2)
    assert "four findings, two errors and two warnings" in (REPO / "README.md").read_text(encoding="utf-8")


def test_rule_language_reference_names_real_params_and_files():
    doc = (REPO / "docs" / "rule-language.md").read_text(encoding="utf-8")
    params = set(re.findall(r"^\s+(\w+):", (REPO / "rules" / "common" / "pack.yaml").read_text(encoding="utf-8"), re.M))
    for name in re.findall(r"params\.(\w+)", doc):
        assert name in params, f"rule-language.md names params.{name}, which no bundled pack defines"
    for path in set(re.findall(r"(rules/[\w./-]+\.yaml)", doc)):
        assert (REPO / path).exists(), f"rule-language.md names {path}, which does not exist"
