"""Batch runs: many reports, mixed formats, broken files, every output written."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import REAL, REPO, SEEDS
from nianbao.cli import main


@pytest.fixture()
def inbox(tmp_path):
    folder = tmp_path / "in"
    (folder / "pdf").mkdir(parents=True)
    if not SEEDS.is_dir():
        pytest.skip(f"seed corpus not found at {SEEDS}")
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    for pdf in sorted(REAL.glob("*.pdf")):
        shutil.copy(pdf, folder / "pdf" / pdf.name)
    shutil.copy(REPO / "examples" / "sample-report.txt", folder / "sample.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "pdf" / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")
    (folder / "notes.docx").write_text("这不是 Word 文档", encoding="utf-8")
    (folder / "ignored.png").write_bytes(b"\x89PNG\r\n")          # not a report format: not read
    return folder


def test_batch_writes_every_output(inbox, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["check", str(inbox), "--out", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 1                                               # error findings (and unreadable files)
    entries = json.loads((out / "findings.json").read_text(encoding="utf-8"))["reports"]
    sources = [Path(r["source"]).name for r in entries]
    assert "ignored.png" not in sources
    assert len(entries) == 5 + len(list(REAL.glob("*.pdf"))) + 4
    by_name = {Path(r["source"]).name: r for r in entries}
    # Broken files are entries with one parse.unreadable finding; the batch went on.
    for bad in ("empty.txt", "broken.pdf", "notes.docx"):
        assert [f["category"] for f in by_name[bad]["findings"]] == ["parse.unreadable"], bad
    assert {f["rule"] for f in by_name["sample.txt"]["findings"]} >= {"fee-statement", "date-deadline"}
    # Per-report pages and letters; no letter for a report without findings to act on.
    pages = sorted(p.name for p in (out / "reports").iterdir())
    assert "sample.html" in pages and "000_5d5432998cf31e59.html" in pages
    assert (out / "letters" / "sample.html").exists()
    assert not (out / "letters" / "002_8a984f5b1bda23de.html").exists()     # info findings only
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "reports/sample.html" in index and "empty.txt" in index
    # CSV (Excel-friendly BOM) and XLSX: one row per finding.
    total = sum(len(r["findings"]) for r in entries)
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["文件", "报告机关", "报告年度", "规则", "类别", "级别"]
    assert len(rows) == total + 1
    sheet = load_workbook(out / "findings.xlsx").active
    assert sheet.max_row == total + 1
    assert sheet.cell(1, 2).value == "报告机关"
    # No temp files left behind.
    assert not list(out.rglob("*.part*"))
    # Not a terminal: plain progress lines on stderr.
    assert f"[{len(entries)}/{len(entries)}]" in captured.err
    assert "无法读取" in captured.err


def test_batch_pairs_the_two_real_years(tmp_path, capsys):
    if not (REAL / "huaian-hongze-2023.pdf").exists():
        pytest.skip(f"real PDFs not found in {REAL}")
    folder = tmp_path / "in"
    folder.mkdir()
    for pdf in REAL.glob("huaian-hongze-*.pdf"):
        shutil.copy(pdf, folder / pdf.name)
    out = tmp_path / "out"
    main(["check", str(folder), "--out", str(out), "--jobs", "1", "--no-letters"])
    entries = {Path(r["source"]).name: r for r in
               json.loads((out / "findings.json").read_text(encoding="utf-8"))["reports"]}
    assert Path(entries["huaian-hongze-2024.pdf"]["previous"]).name == "huaian-hongze-2023.pdf"
    assert "previous" not in entries["huaian-hongze-2023.pdf"]
    assert not [f for f in entries["huaian-hongze-2024.pdf"]["findings"] if f["category"].startswith("crossyear.")]
    assert not (out / "letters").exists()


def test_clean_batch_exits_0(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "clean-report.txt", folder / "clean.txt")
    code = main(["check", str(folder), "--out", str(tmp_path / "out")])
    assert code == 0
    assert "已检查 1 份报告" in capsys.readouterr().out


def test_several_files_without_out_keep_going(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code = main(["check", str(REPO / "tests" / "fixtures" / "clean-report.txt"), str(empty), "--format", "json"])
    captured = capsys.readouterr()
    reports = json.loads(captured.out)["reports"]
    assert [len(r["findings"]) for r in reports] == [0, 1]
    assert reports[1]["findings"][0]["category"] == "parse.unreadable"
    assert "文件为空" in captured.err
    assert code == 1


def test_interrupted_batch_leaves_no_half_written_file(tmp_path):
    """Kill the batch mid-run: every file present is complete (temp files are never renamed)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(40):
        shutil.copy(REPO / "examples" / "sample-report.txt", folder / f"r{i:02d}.txt")
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "nianbao"
    proc = subprocess.Popen([str(exe), "check", str(folder), "--out", str(out), "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Wait until some pages exist, then interrupt.
    for line in proc.stderr:
        if line.startswith("[5/"):
            break
    proc.kill()
    proc.wait()
    assert not (out / "findings.json").exists() or json.loads((out / "findings.json").read_text("utf-8"))
    for page in (out / "reports").glob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
    # A re-run completes everything.
    assert subprocess.run([str(exe), "check", str(folder), "--out", str(out), "--jobs", "2"],
                          capture_output=True).returncode == 1
    assert len(json.loads((out / "findings.json").read_text("utf-8"))["reports"]) == 40
    assert len(list((out / "reports").glob("*.html"))) == 40
    assert not list(out.rglob(".*.part*"))
