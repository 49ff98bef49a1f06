"""What a supervisor sends from a batch (issue 15): Word letters signed by the office that sends them,
a reply deadline in working days, and an output folder that says only what this run found."""
from __future__ import annotations

import importlib.util
import shutil

import docx
import pytest
from openpyxl import load_workbook

from conftest import CLEAN, SAMPLE

SETTINGS = """\
[letter]
sender = "示例市人民政府办公室"
reference = "示政办函〔2026〕3号"
contact = "联系人：王敏，电话：0000-1234567"
date = 2026-02-10
"""


def _docx_text(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for section in d.sections:
        parts += [p.text for p in section.first_page_header.paragraphs] + [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def test_batch_writes_docx_letters_signed_by_the_campaign_settings(tmp_path, cli):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir(), out.mkdir()
    shutil.copy(SAMPLE, inbox / "示例县.txt")
    (out / "nianbao.toml").write_text(SETTINGS, encoding="utf-8")
    run = cli("check", inbox, "--out", out, "--jobs", "1", "--contact", "联系人：李华，电话：0000-7654321")
    assert run.code == 1
    letter = out / "letters" / "示例县.docx"
    text = _docx_text(letter)
    assert "示例市人民政府办公室" in text and "示政办函〔2026〕3号" in text
    assert "李华" in text and "王敏" not in text                 # a flag wins over the settings file
    if importlib.util.find_spec("chinesecalendar") is not None:
        # 15 working days from 10 February 2026 skip the Spring Festival holiday (15–23 February) and
        # count the make-up working days (14 and 28 February).
        assert "2026年3月9日" in text
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (Debian libreoffice-writer-nogui) not installed: the Word letter was not converted")
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as profile:
        proc = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                               "--outdir", str(tmp_path), str(letter)], capture_output=True, text=True, timeout=240,
                              stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and (tmp_path / "示例县.pdf").stat().st_size > 5000, proc.stderr[-800:]


def test_rerun_after_a_fix_leaves_no_letter_and_the_sheet_lists_every_report(tmp_path, cli):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "示例县.txt")
    shutil.copy(CLEAN, inbox / "另一县.txt")
    assert cli("check", inbox, "--out", out, "--jobs", "1").code == 1
    assert {p.name for p in (out / "letters").iterdir()} == {"示例县.html", "示例县.docx"}
    (out / "我的笔记.txt").write_text("督查人员自己的文件", encoding="utf-8")
    shutil.copy(CLEAN, inbox / "示例县.txt")                      # the agency corrected its report
    assert cli("check", inbox, "--out", out, "--jobs", "1").code == 0
    letters = out / "letters"
    assert not letters.exists() or not any(letters.iterdir())
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "督查人员自己的文件"
    ws = load_workbook(out / "findings.xlsx")["报告汇总"]
    sources = {str(c.value) for row in ws.iter_rows(min_row=2) for c in row if c.value}
    assert any("示例县.txt" in s for s in sources) and any("另一县.txt" in s for s in sources)
