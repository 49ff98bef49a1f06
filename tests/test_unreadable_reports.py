"""Files that are reports but cannot be read: one clear parse.unreadable finding, never a crash or a clean result."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import real_path
from nianbao.cli import main
from test_ingest_pdf import write_pdf


def check_json(capsys, path):
    code = main(["check", str(path), "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)["reports"][0], captured.err


def test_scanned_pdf(tmp_path, capsys):
    path = write_pdf(tmp_path / "scan.pdf", [[("image", 0, 0, 595, 842)], [("image", 0, 0, 595, 842)]])
    code, report, err = check_json(capsys, path)
    assert code == 2
    assert [(f["category"], f["severity"]) for f in report["findings"]] == [("parse.unreadable", "error")]
    assert "扫描" in report["findings"][0]["message"]
    assert len(err.strip().splitlines()) == 1 and str(path) in err


def test_truncated_pdf(tmp_path, capsys):
    path = tmp_path / "cut.pdf"
    path.write_bytes(real_path("huaian-hongze-2024.pdf").read_bytes()[:60000])
    code, report, _ = check_json(capsys, path)
    assert code == 2
    assert [f["category"] for f in report["findings"]] == ["parse.unreadable"]


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf (Debian package) not installed: cannot make an encrypted PDF")
def test_encrypted_pdf(tmp_path, capsys):
    path = tmp_path / "locked.pdf"
    subprocess.run(["qpdf", "--encrypt", "secret", "owner", "256", "--", str(real_path("huaian-hongze-2024.pdf")),
                    str(path)], check=True)
    code, report, _ = check_json(capsys, path)
    assert code == 2
    assert [f["category"] for f in report["findings"]] == ["parse.unreadable"]
    assert "加密" in report["findings"][0]["message"]


def test_pdf_that_is_really_a_web_page(tmp_path, capsys):
    path = tmp_path / "report.pdf"
    path.write_text("<!DOCTYPE html><html><head><title>404</title></head><body><h1>404 页面不存在</h1>"
                    "<p>您访问的页面不存在或已被删除。</p></body></html>", encoding="utf-8")
    code, report, _ = check_json(capsys, path)
    assert [f["category"] for f in report["findings"]] == ["parse.unreadable"]
    assert "未能从文件中识别出年度报告" in report["findings"][0]["message"]
    assert code == 1
