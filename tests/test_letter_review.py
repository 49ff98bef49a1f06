"""What a letter leaves out (dismissed findings, supervisor-only remarks) and the follow-up
review letter (整改复核) of a resubmitted report."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from conftest import REPO, real_path
from nianbao.engine import check_report
from nianbao.errors import PackError
from nianbao.outputs.letter import Excluded, NoFindings, letter_context, render_letter_html, write_letters
from nianbao.outputs.letter_review import (compare_findings, finding_key, review_letter_context,
                                           write_review_letters)
from nianbao.packs import load_pack
from nianbao.reading import read_report
from nianbao.packs import lint_pack
from nianbao.settings import LetterSettings
from test_letter_settings import pack, sample  # noqa: F401  (the gov-2021 pack and the checked sample)

TODAY = dt.date(2025, 5, 6)
SAMPLE = REPO / "examples" / "sample-report.txt"


def resubmission(tmp_path: Path, pack):
    """The sample report as its agency resubmits it: the repeated word and the late date fixed
    (the date simply deleted, which is a new problem), the fee statement and the figure left."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert "我县我县" in text and "\n2025年4月8日" in text
    path = tmp_path / "sample-v2.txt"
    path.write_text(text.replace("我县我县", "我县").replace("\n2025年4月8日", "\n"), encoding="utf-8")
    return check_report(read_report(str(path)), pack)


# ---------------------------------------------------------------------------
# exclude: findings a supervisor dismissed
def test_excluded_findings_are_left_out_and_the_rest_renumbered(sample, pack):
    assert {f.rule for f in sample.findings} >= {"fee-statement", "duplicate-words"}
    dismissed = {("fee-statement", ("section6",))}            # e.g. the store's 误报/豁免 fingerprints
    ctx = letter_context(sample, pack, TODAY, exclude=lambda f: finding_key(f) in dismissed)
    texts = [i["text"] for i in ctx["items"]]
    assert len(texts) == 3 and not any("信息处理费" in t for t in texts)
    assert [i["label"] for i in ctx["items"]] == ["一、", "二、", "三、"]
    assert "第一项所列问题，请予以整改；第二、三项所列问题，请逐项核实" in ctx["closing"]
    html = render_letter_html(sample, pack, TODAY, exclude=lambda f: finding_key(f) in dismissed)
    assert "信息处理费" not in html and "我县我县" in html
    # The picklable form a batch hands its worker processes says the same.
    import pickle
    excluded = pickle.loads(pickle.dumps(Excluded(frozenset(dismissed))))
    assert letter_context(sample, pack, TODAY, exclude=excluded)["items"] == ctx["items"]
    # Dismissing everything leaves nothing to write.
    with pytest.raises(NoFindings):
        letter_context(sample, pack, TODAY, exclude=lambda f: True)


# ---------------------------------------------------------------------------
# supervisor-only remarks
def _with_scanned_last_page(src: Path, tmp_path: Path) -> Path:
    """The real report with its last page replaced by a picture of it (what a scanned signature page is)."""
    from PIL import Image

    for tool in ("pdftoppm", "qpdf"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed (Debian poppler-utils / qpdf)")
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(src)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(pages), "-l", str(pages), str(src),
                    str(tmp_path / "last")], check=True)
    png = next(tmp_path.glob("last*.png"))
    scan = tmp_path / "scan.pdf"
    Image.open(png).convert("RGB").save(scan, resolution=60)
    out = tmp_path / "with-scan.pdf"
    subprocess.run(["qpdf", "--empty", "--pages", str(src), f"1-{pages - 1}", str(scan), "--", str(out)], check=True)
    return out


def test_request_to_check_a_page_by_hand_never_reaches_the_agency(pack, tmp_path):
    # The real report with its signature page scanned: the page is read by OCR, and whatever rests on
    # it is for the supervisor to look at first (reviewer-only), never put to the agency.
    if not shutil.which("tesseract"):
        pytest.skip("tesseract (Debian tesseract-ocr) not installed: the scanned page cannot be read")
    path = _with_scanned_last_page(real_path("huaian-hongze-2023.pdf"), tmp_path)
    report = read_report(str(path))
    assert report.ocr_pages
    result = check_report(report, pack)
    remarks = [f for f in result.findings if "人工核对" in f.message]
    assert all(f.reviewer_only and f.to_json()["reviewer_only"] is True for f in remarks)
    ctx = letter_context(result, pack, TODAY, {"include_info": True})
    assert not any("人工核对" in b["text"] for b in ctx["blocks"])
    # The letter still states the agency's own problems (table 4 totals of the real report).
    assert any("行政复议“总计”" in i["text"] for i in ctx["items"])
    files = write_letters(result, pack, LetterSettings(date=TODAY), tmp_path / "out", "hongze")
    assert "人工核对" not in (tmp_path / "out" / files["html"]).read_text(encoding="utf-8")
    doc = docx.Document(str(tmp_path / "out" / files["docx"]))
    assert not any("人工核对" in p.text for p in doc.paragraphs)


def test_findings_resting_on_ocr_values_are_for_the_supervisor(pack):
    from nianbao.engine import _defer_to_reader
    from nianbao.findings import CheckResult, Evidence, Finding
    from nianbao.model import Location, Report
    finding = Finding("table4-review-total", "t", "arith.sum", "error", "表四行政复议“总计”为0。", "b",
                      evidence=[Evidence("section4.review.total", "总计", 0, Location("x.pdf", page=4, ocr=True))])
    result = CheckResult("x.pdf", pack.name, None, [finding])
    _defer_to_reader(result, Report("x.pdf", "pdf"))
    assert (finding.severity, finding.reviewer_only) == ("warning", True)
    assert finding.message.endswith("请人工核对")
    with pytest.raises(NoFindings):             # nothing left to put to the agency: no letter
        letter_context(result, pack, TODAY, {"include_info": True})


def test_shipped_packs_mark_the_unreadable_page_remark_reviewer_only():
    # A page the tool could not read, and last year's file the supervisor supplied but the tool could
    # not read, are the supervisor's tasks, not the agency's.
    for name in ("gov-2021", "gov-2019"):
        marked = {r.id for r in load_pack(name).rules if r.reviewer_only}
        assert marked == {"image-pages", "previous-unreadable"}, name


def test_reviewer_only_must_be_true_or_false(tmp_path):
    pack_file = tmp_path / "pack.yaml"
    pack_file.write_text("pack: local\nextends: gov-2021\nrules:\n  - id: local-note\n    title: 本地提示\n"
                         "    category: date.missing\n    severity: info\n    basis: 本地要求\n"
                         "    check: not blank(meta.date)\n    message: 请核对落款。\n    reviewer_only: 是\n",
                         encoding="utf-8")
    with pytest.raises(PackError, match="reviewer_only 应为 true 或 false"):
        load_pack(str(pack_file))
    assert any("reviewer_only 应为 true 或 false" in str(p) for p in lint_pack(str(pack_file)))
    pack_file.write_text(pack_file.read_text(encoding="utf-8").replace("reviewer_only: 是", "reviewer_only: true"),
                         encoding="utf-8")
    rule = next(r for r in load_pack(str(pack_file)).rules if r.id == "local-note")
    assert rule.reviewer_only


# ---------------------------------------------------------------------------
# 整改复核
def test_compare_pairs_findings_by_rule_and_fields(sample, pack, tmp_path):
    v2 = resubmission(tmp_path, pack)
    compared = compare_findings(sample.findings, v2.findings)
    assert sorted(f.rule for f in compared.fixed) == ["date-deadline", "duplicate-words"]
    assert sorted(f.rule for f in compared.remaining) == ["fee-statement", "prose-applications-received"]
    assert [f.rule for f in compared.new] == ["date-present"]
    # The key is a parameter: pairing by rule alone gives the same answer here, pairing by message
    # too (the remaining findings' texts did not change).
    by_message = compare_findings(sample.findings, v2.findings, key=lambda f: f.message)
    assert sorted(f.rule for f in by_message.remaining) == sorted(f.rule for f in compared.remaining)
    # A version 2 that repeats version 1 exactly: everything remains, nothing fixed or new.
    same = compare_findings(sample.findings, sample.findings)
    assert not same.fixed and not same.new and len(same.remaining) == 4


def test_review_letter_says_what_was_fixed_what_remains_and_what_is_new(sample, pack, tmp_path):
    v2 = resubmission(tmp_path, pack)
    opts = {"sender": "示例市人民政府办公室", "reference": "示政办函〔2025〕21号"}
    ctx = review_letter_context(sample.findings, v2, pack, TODAY, opts,
                                first_date=dt.date(2025, 4, 10), first_reference="示政办函〔2025〕8号")
    texts = [b["text"] for b in ctx["blocks"]]
    assert ctx["title"] == "关于《示例县人民政府2024年政府信息公开工作年度报告》整改情况复核意见的函"
    assert ctx["opening"].startswith("我办于2025年4月10日以示政办函〔2025〕8号函对《示例县人民政府")
    headings = [b["text"] for b in ctx["blocks"] if b["kind"] == "heading"]
    assert headings == ["一、已完成整改的问题", "二、尚未整改的问题", "三、新发现的问题"]
    fixed_at = texts.index("一、已完成整改的问题")
    remaining_at = texts.index("二、尚未整改的问题")
    new_at = texts.index("三、新发现的问题")
    fixed, remaining, new = texts[fixed_at + 1:remaining_at], texts[remaining_at + 1:new_at], texts[new_at + 1:new_at + 2]
    assert len(fixed) == 2 and any("我县我县" in t for t in fixed) and any("2025年4月8日" in t for t in fixed)
    assert all(t.startswith(("（一）", "（二）")) and "依据：" not in t for t in fixed)
    assert any("信息处理费" in t for t in remaining) and all("依据：" in t for t in remaining)
    assert new[0].startswith("（一）报告末尾未标注落款日期")
    assert "尚未整改和新发现的问题" in ctx["closing"] and "请于2025年5月27日前" in ctx["closing"]
    assert ctx["counts"] == {"fixed": 2, "remaining": 2, "new": 1}
    assert texts[-2:] == ["示例市人民政府办公室", "2025年5月6日"]

    files = write_review_letters(sample.findings, v2, pack, LetterSettings(**opts, date=TODAY),
                                 tmp_path / "out", "sample-复核", first_date=dt.date(2025, 4, 10),
                                 first_reference="示政办函〔2025〕8号")
    assert dict(files) == {"html": "letters/sample-复核.html", "docx": "letters/sample-复核.docx"}
    doc = docx.Document(str(tmp_path / "out" / files["docx"]))
    body = [p for p in doc.paragraphs if p.text.strip()]
    assert [p.text for p in body] == texts[1:]         # the sender is the first-page letterhead
    heading = next(p for p in body if p.text == "一、已完成整改的问题")
    assert heading.runs[0]._r.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia")) == "黑体"
    html = (tmp_path / "out" / files["html"]).read_text(encoding="utf-8")
    assert '<p class="heading">三、新发现的问题</p>' in html


def test_everything_fixed_is_a_closing_letter_without_a_deadline(sample, pack, tmp_path):
    clean = check_report(read_report(str(REPO / "tests" / "fixtures" / "clean-report.txt")), pack)
    ctx = review_letter_context(sample.findings, clean, pack, TODAY)
    assert [b["text"] for b in ctx["blocks"] if b["kind"] == "heading"] == ["一、已完成整改的问题"]
    assert ctx["closing"] == "经复核，原审核意见所列问题均已整改到位，修改后的报告未发现新的问题。"
    assert not ctx["rectify_required"] and "请于" not in "".join(b["text"] for b in ctx["blocks"])
    assert ctx["opening"].startswith("我单位前期对《示例县人民政府2024年")
    # Nothing before, nothing now: no letter.
    with pytest.raises(NoFindings):
        review_letter_context([], clean, pack, TODAY)
    assert write_review_letters([], clean, pack, None, tmp_path, "none") == {}


def test_review_ignores_dismissed_and_supervisor_only_findings(sample, pack, tmp_path):
    v2 = resubmission(tmp_path, pack)
    dismissed = {"fee-statement"}
    ctx = review_letter_context(sample.findings, v2, pack, TODAY, exclude=lambda f: f.rule in dismissed)
    assert not any("信息处理费" in b["text"] for b in ctx["blocks"])
    assert ctx["counts"] == {"fixed": 2, "remaining": 1, "new": 1}


# ---------------------------------------------------------------------------
# `nianbao review-letter` (cli_letters.add_commands, wired into the CLI by cli.py)
def review_letter(*argv: str) -> int:
    import argparse

    from nianbao import cli_letters

    parser = argparse.ArgumentParser(prog="nianbao")
    cli_letters.add_commands(parser.add_subparsers())
    args = parser.parse_args(["review-letter", *map(str, argv)])
    return args.func(args)


def test_review_letter_command_with_campaign_settings(tmp_path, capsys):
    v2 = tmp_path / "sample-v2.txt"
    v2.write_text(SAMPLE.read_text(encoding="utf-8").replace("我县我县", "我县"), encoding="utf-8")
    out = tmp_path / "letters" / "sample-复核.docx"
    out.parent.mkdir()
    (out.parent / "nianbao.toml").write_text('[letter]\nsender = "示例市人民政府办公室"\ndate = 2026-02-10\n',
                                            encoding="utf-8")
    code = review_letter(v2, "--first", SAMPLE, "--format", "docx", "--out", out, "--first-date", "2026-01-20",
                         "--reference", "示政办函〔2026〕9号")
    printed = capsys.readouterr()
    assert code == 0 and printed.out.strip() == (f"已生成整改复核意见函：{out}（已整改 1 项，尚未整改 3 项，新发现 0 项）")
    doc = docx.Document(str(out))
    assert doc.sections[0].first_page_header.paragraphs[0].text == "示例市人民政府办公室"
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert texts[0] == "示政办函〔2026〕9号" and "我办于2026年1月20日对《示例县人民政府" in texts[3]
    assert texts[4] == "一、已完成整改的问题" and texts[5].startswith("（一）") and "我县我县" in texts[5]
    assert "请于2026年3月9日前" in next(t for t in texts if t.startswith("请你单位"))   # after 春节 2026


def test_review_letter_command_bad_inputs_are_one_line(tmp_path, capsys):
    missing = tmp_path / "first.pdf"
    assert review_letter(SAMPLE, "--first", missing, "--out", tmp_path / "x.html") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "首次报送的报告无法读取" in err
    assert review_letter(SAMPLE, "--first", SAMPLE, "--first-date", "1月20日", "--out", tmp_path / "x.html") == 2
    assert "--first-date 应为日期" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
