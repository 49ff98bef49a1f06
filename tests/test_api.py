"""The library is the one front door: the CLI's check and letter and the batch all go through Checker."""
from __future__ import annotations

import json
import zipfile

import docx
import pytest

import nianbao
from conftest import CLEAN, SAMPLE

# A pack that overrides the base `unreadable` rule: a warning with the office's own wording.
OVERRIDE = """\
pack: lenient-city
extends: gov-2021
rules:
  - id: unreadable
    title: 报告文件可以打开
    category: parse.unreadable
    severity: warning
    basis: 本市政务公开工作要点
    from_notes: parse.unreadable:document
    message: "本市要求重新报送：{{ note.message }}。"
"""


def _broken_pdf(path):
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 40)     # a PDF header and nothing readable
    return path


def test_library_check_in_a_few_lines():
    result = nianbao.check(str(SAMPLE))
    assert isinstance(result, nianbao.CheckResult)
    assert sorted(f.rule for f in result.findings) == [
        "date-deadline", "duplicate-words", "fee-statement", "prose-applications-received"]
    assert result.report.meta_value("agency") == "示例县人民政府"
    assert nianbao.check(str(CLEAN)).findings == []


def test_checker_reads_once_and_evaluates_a_report_it_is_given(checker):
    report = checker.read(SAMPLE)
    assert report.meta_value("year") == 2024
    again = checker.check(report)
    assert [f.rule for f in again.findings] == [f.rule for f in checker.check(SAMPLE).findings]


def test_unreadable_input_is_a_finding_not_an_exception(checker, tmp_path):
    result = checker.check(_broken_pdf(tmp_path / "broken.pdf"))
    assert result.report is None and result.unreadable
    assert [(f.rule, f.severity) for f in result.findings] == [("unreadable", "error")]
    assert result.findings[0].message.startswith("文件无法读取：")
    with pytest.raises(nianbao.UnreadableInput):
        checker.read(tmp_path / "broken.pdf")


def test_pack_override_of_unreadable_rule_is_honoured_by_check_batch_and_letter(tmp_path, cli):
    pack = tmp_path / "lenient.yaml"
    pack.write_text(OVERRIDE, encoding="utf-8")
    broken = _broken_pdf(tmp_path / "in" / "broken.pdf") if (tmp_path / "in").mkdir() is None else None

    run = cli("check", broken, "--pack", pack, "--format", "json")
    finding = run.json["reports"][0]["findings"][0]
    assert (finding["severity"], finding["title"]) == ("warning", "报告文件可以打开")
    assert finding["message"].startswith("本市要求重新报送：文件无法读取：")
    assert run.code == 2                      # a single input that cannot be read: status 2, as documented

    run = cli("check", tmp_path / "in", "--pack", pack, "--out", tmp_path / "out", "--jobs", "1")
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["reports"]
    assert [(f["severity"], f["message"][:9]) for f in data[0]["findings"]] == [("warning", "本市要求重新报送：")]
    assert run.code == 0                      # only a warning: the batch finds no error

    out = tmp_path / "letter.docx"
    run = cli("letter", broken, "--pack", pack, "--format", "docx", "--out", out)
    assert run.code == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "本市要求重新报送：文件无法读取：" in text


def test_unreadable_previous_year_is_handled_alike_by_check_batch_and_letter(tmp_path, cli):
    prev = _broken_pdf(tmp_path / "last-year.pdf")
    run = cli("check", SAMPLE, "--previous", prev, "--format", "json")
    report = run.json["reports"][0]
    notes = [f for f in report["findings"] if f["rule"] == "previous-unreadable"]
    assert len(notes) == 1 and notes[0]["severity"] == "warning" and "上一年度报告无法读取" in notes[0]["message"]
    assert run.code == 1                      # the sample's own errors; the previous year is only a warning
    assert not [f for f in report["findings"] if f["category"].startswith("crossyear.")]

    html = tmp_path / "letter.html"
    assert cli("letter", SAMPLE, "--previous", prev, "--out", html).code == 0
    letter = html.read_text(encoding="utf-8")
    # The same finding, but a remark for the supervisor (who supplied last year's file): never in the letter.
    assert "上一年度报告无法读取" not in letter
    assert "信息处理费" in letter                 # the sample's own defects are there

    # A batch worker checks a paired report through the same call.
    from nianbao import batch
    result = batch._checker(None).check(SAMPLE, previous=prev)
    assert [f.message for f in result.findings if f.rule == "previous-unreadable"] == [notes[0]["message"]]


def test_edited_pack_file_is_noticed(tmp_path):
    pack = tmp_path / "city.yaml"
    pack.write_text(OVERRIDE, encoding="utf-8")
    checker = nianbao.Checker(pack)
    first = checker.fixed_pack
    assert checker.fixed_pack is first                      # cached while unchanged
    pack.write_text(OVERRIDE.replace("本市要求重新报送", "请重新报送"), encoding="utf-8")
    import os
    os.utime(pack, ns=(os.stat(pack).st_atime_ns, os.stat(pack).st_mtime_ns + 1_000_000))
    assert checker.fixed_pack is not first
    rule = next(r for r in checker.fixed_pack.rules if r.id == "unreadable")
    assert "请重新报送" in rule.message_source


def test_cli_and_batch_hold_no_reading_logic_of_their_own():
    import inspect

    from nianbao import batch, cli
    for module in (cli, batch):
        source = inspect.getsource(module)
        assert "read_report" not in source and "check_report" not in source, module.__name__
