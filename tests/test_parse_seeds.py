"""`nianbao parse` on the five seed reports: every value a careful reader sees."""
from __future__ import annotations

import pytest

from conftest import seed_path
from expected_values import SEEDS


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_cell_of_every_table(seed, cli):
    run = cli("parse", seed_path(seed), "--format", "json")
    assert run.code == 0
    data = run.json
    expected = SEEDS[seed]["values"]
    assert data["values"] == expected


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_metadata(seed, cli):
    data = cli("parse", seed_path(seed), "--format", "json").json
    for key, value in SEEDS[seed]["meta"].items():
        assert data["meta"][key] == value, key
    assert data["meta"]["template"] == "gov-2021"


def test_every_value_has_provenance(cli):
    data = cli("parse", seed_path("002"), "--format", "json").json
    prov = data["provenance"]["section3.results.unavailable.not_held.total"]
    assert prov["raw"] == "16"
    assert prov["location"]["line"] == 59
    assert prov["location"]["source"].endswith("002_8a984f5b1bda23de.txt")


def test_missing_sections_and_table_are_recorded(cli):
    data = cli("parse", seed_path("000"), "--format", "json").json
    assert data["section_order"] == ["section1", "section4", "section5", "section6"]
    assert data["tables"] == ["table3", "table4"]
    assert not any(k.startswith("section2.") for k in data["values"])


def test_label_typo_is_mapped_and_noted(cli):
    data = cli("parse", seed_path("002"), "--format", "json").json
    assert data["values"]["section2.normative_docs.repealed"] == 0
    variants = [n for n in data["notes"] if n["category"] == "template.label_variant"]
    assert len(variants) == 1 and "本年度止件数" in variants[0]["message"]
    assert variants[0]["location"]["line"] == 28


def test_extra_cell_is_recorded_not_shifted(cli):
    data = cli("parse", seed_path("004"), "--format", "json").json
    extra = [n for n in data["notes"] if n["category"] == "structure.extra_cells"]
    assert len(extra) == 1
    assert extra[0]["detail"]["unresolved"] == ["section4.litigation_after_review.corrected",
                                                 "section4.litigation_after_review.other"]
    assert extra[0]["location"]["line"] == 94


def test_blank_cell_is_null_not_zero(cli):
    data = cli("parse", seed_path("004"), "--format", "json").json
    assert data["values"]["section3.carryover.commercial"] is None
    assert data["provenance"]["section3.carryover.commercial"]["raw"] == ""


def test_wrapped_row_label_is_joined(cli):
    data = cli("parse", seed_path("000"), "--format", "json").json
    assert [n for n in data["notes"] if n["category"] == "template.label_variant"] == []
    assert data["values"]["section3.results.not_processed.excessive.total"] == 0
    assert data["values"]["section3.results.not_processed.confirmation.total"] == 0


def test_text_dump_is_readable(cli):
    code, out, _ = cli("parse", seed_path("003"), "--format", "text")
    assert code == 0
    assert "报告机关：隆德县" in out
    assert "section2.fees.amount" in out and "611.1281" in out
    assert "section6  六、其他需要报告的事项" in out
