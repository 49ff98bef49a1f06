"""Year-over-year text comparison: section 5 copied from last year's report (照搬照抄)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import real_path
from nianbao.cli import main
from nianbao.engine import check_report
from nianbao.errors import PackError
from nianbao.packs import load_pack
from nianbao.reading import read_report
from nianbao.textcompare import compare, split_sentences

FIXTURES = Path(__file__).parent / "fixtures"


def _check_json(capsys, current: Path, previous: Path) -> dict:
    main(["check", str(current), "--previous", str(previous), "--format", "json"])
    return json.loads(capsys.readouterr().out)["reports"][0]


def _copied(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["category"] == "text.copied"]


# ---------------------------------------------------------------------------
# The real consecutive reports, judged as they are.
def test_hongze_2024_repeats_two_of_its_three_measures(capsys):
    """Hongze 2024's problems are new, but its measures 一是 and 三是 are 2023's, word for word
    (三是 differs by one punctuation mark): a notice naming both, not a warning of a copied section."""
    report = _check_json(capsys, real_path("huaian-hongze-2024.pdf"), real_path("huaian-hongze-2023.pdf"))
    copied = _copied(report)
    assert [(f["rule"], f["severity"]) for f in copied] == [("section5-partly-copied", "info")]
    finding = copied[0]
    assert finding["headline"] == "第五部分部分语句与上年报告相同"
    assert "第五部分" in finding["message"] and "7句中有2句" in finding["message"] and "34.89%" in finding["message"]
    sentences = [e["value"] for e in finding["evidence"]]
    assert len(sentences) == 2
    assert sentences[0].startswith("一是扎实推进依申请公开工作，全面梳理和优化工作流程")
    assert sentences[1].startswith("三是继续加强业务指导培训，实行政府信息公开工作人员跟班学习制度")
    assert [e["location"]["page"] for e in finding["evidence"]] == [4, 5]     # where 2024 prints them
    assert all("上年见第4页" in e["label"] for e in finding["evidence"])       # where 2023 printed them
    assert "相同的语句" in finding["evidence"][0]["label"] and "相似度" in finding["evidence"][1]["label"]
    assert all(e["location"].get("bbox") for e in finding["evidence"])


def test_pingtan_2024_section5_is_its_own(capsys):
    report = _check_json(capsys, real_path("fujian-pingtan-2024.html"), real_path("fujian-pingtan-2023.html"))
    assert _copied(report) == []
    this = read_report(str(real_path("fujian-pingtan-2024.html")))
    last = read_report(str(real_path("fujian-pingtan-2023.html")))
    assert compare(this.sections[5].text, last.sections[5].text).share == 0


# ---------------------------------------------------------------------------
# A section 5 copied word for word (the year changed): a warning naming the section and the share.
def _years(text: str, shift: int) -> str:
    for year in (2026, 2025, 2024, 2023) if shift > 0 else (2023, 2024, 2025, 2026):
        text = text.replace(str(year), str(year + shift))
    return text


@pytest.fixture()
def pair(tmp_path):
    base = (FIXTURES / "clean-report.txt").read_text(encoding="utf-8")
    last = tmp_path / "last-year.txt"
    last.write_text(_years(base, -1), encoding="utf-8")
    this = tmp_path / "this-year.txt"
    this.write_text(base, encoding="utf-8")
    return this, last, base


def test_section5_copied_word_for_word_is_a_warning(capsys, pair):
    this, last, _ = pair
    report = _check_json(capsys, this, last)
    copied = _copied(report)
    assert [(f["rule"], f["severity"]) for f in copied] == [("section5-copied", "warning")]
    finding = copied[0]
    assert finding["headline"] == "第五部分与上年报告基本相同"
    assert "第五部分“存在的主要问题及改进情况”" in finding["message"] and "按字数计占100%" in finding["message"]
    assert [e["value"] for e in finding["evidence"]] == [
        "2024年，我县政府信息公开工作取得一定成效，但仍存在政策解读形式单一、基层公开标准化水平不高等问题。",
        "下一步，将持续丰富解读形式，加强基层政务公开标准化规范化建设。"]
    assert [e["location"]["line"] for e in finding["evidence"]] == [77, 77]
    assert all("上年见第77行" in e["label"] for e in finding["evidence"])


def test_rewritten_section5_passes(capsys, pair, tmp_path):
    this, last, base = pair
    rewritten = base.replace(
        "2024年，我县政府信息公开工作取得一定成效，但仍存在政策解读形式单一、基层公开标准化水平不高等问题。"
        "下一步，将持续丰富解读形式，加强基层政务公开标准化规范化建设。",
        "本年度依申请公开答复文书格式不够统一，个别栏目更新不及时。"
        "明年将制定答复文书范本，并建立栏目更新月度通报制度。")
    assert rewritten != base
    this.write_text(rewritten, encoding="utf-8")
    assert _copied(_check_json(capsys, this, last)) == []


def test_without_last_year_nothing_is_compared(pair, capsys):
    this, _, _ = pair
    main(["check", str(this), "--format", "json"])
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert _copied(report) == []
    assert not [u for u in report["unchecked"] if u["rule"].startswith("section5-")]


# ---------------------------------------------------------------------------
# The matcher itself.
def test_sentences_split_at_stops_and_colons_with_offsets():
    text = "存在的问题主要有：一是解读不够。\n二是栏目噪音；三是平台不稳定！"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["存在的问题主要有：", "一是解读不够。", "二是栏目噪音；", "三是平台不稳定！"]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_copy_found_across_a_moved_sentence_boundary_and_a_new_year():
    last = "2023年继续加强业务指导培训。实行政府信息公开工作人员跟班学习制度，不断提高业务工作水平。"
    this = "2024年继续加强业务指导培训，实行政府信息公开工作人员跟班学习制度，不断提高业务工作水平。"
    found = compare(this, last)
    assert len(found.copied) == 1 and found.share == 100.0
    assert found.copied[0].score >= 95


def test_short_stock_phrases_and_headings_are_not_copies():
    last = "（一）存在的主要问题\n一是机制不完善。\n（二）改进措施\n将加强培训，提升政务公开工作人员业务水平。"
    this = "（一）存在的主要问题\n一是机制不完善。\n（二）改进措施\n将编制答复文书范本，统一依申请公开答复格式。"
    found = compare(this, last)
    assert [s.text for s in found.sentences if s.heading] == ["（一）存在的主要问题", "（二）改进措施"]
    assert found.copied == []                 # 一是机制不完善 is under ten characters: a stock phrase
    assert found.share == 0


def test_copied_share_in_the_rule_language(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nextends: gov-2021\nrules:\n"
        "  - id: s1-copied\n    title: 第一部分不照搬上年\n    headline: 第一部分照搬上年\n"
        "    category: text.copied\n    severity: warning\n    basis: 本地要求\n"
        "    when: present(prev.section1)\n"
        "    check: copied_share(section1, prev.section1, 95) < 10\n"
        "    message: 第一部分照搬上年{{ copied('section1').share }}%。\n", encoding="utf-8")
    base = (FIXTURES / "clean-report.txt").read_text(encoding="utf-8")
    (tmp_path / "last.txt").write_text(_years(base, -1), encoding="utf-8")
    (tmp_path / "this.txt").write_text(base, encoding="utf-8")
    p = load_pack(str(pack))
    report = read_report(str(tmp_path / "this.txt"), template="gov-2021")
    previous = read_report(str(tmp_path / "last.txt"), template="gov-2021")
    result = check_report(report, p, previous)
    mine = [f for f in result.findings if f.rule == "s1-copied"]
    assert len(mine) == 1 and mine[0].headline == "第一部分照搬上年" and mine[0].heading == "第一部分照搬上年"
    assert mine[0].evidence and all(e.field == "section1" for e in mine[0].evidence)
    bad = tmp_path / "bad.yaml"
    bad.write_text(pack.read_text(encoding="utf-8").replace("prev.section1, 95)", "prev.section1, 20)"),
                   encoding="utf-8")
    with pytest.raises(PackError) as err:
        load_pack(str(bad))
    assert "相似度应在 50 至 100 之间" in str(err.value)


def test_a_hostile_megabyte_is_compared_in_bounded_time():
    import time

    from nianbao.textcompare import MAX_CHARS, side_by_side

    text = "政务公开工作机制还不够完善，工作人员业务水平有待提高" * 40000     # one "sentence", 1 MB
    started = time.perf_counter()
    found = compare(text, text[:-1] + "。")
    rows = side_by_side(found)
    assert time.perf_counter() - started < 10
    assert sum(len(s.text) for s in found.sentences) <= MAX_CHARS
    assert found.share == 100.0 and rows[0].kind == "same"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("政府信息公开２０２４年 　\n\t，。：1234567890①²\x1cabc"), max_size=200))
def test_last_years_text_is_normalised_as_each_sentence_is(text):
    """Last year's text loses exactly what a sentence's key loses (spaces, digits), and every kept
    character points back to where the text prints it: matches are located in the original."""
    from nianbao.textcompare import _IGNORED, _normalised

    key, where = _normalised(text)
    assert key == _IGNORED.sub("", text)
    assert len(where) == len(key) and where == sorted(set(where))
    assert all(text[at] == ch for at, ch in zip(where, key))
