"""`nianbao letter` as a supervisor runs it."""
from __future__ import annotations

from docx import Document as Docx

from conftest import REPO
from nianbao.cli import main

SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"


def test_letter_html_and_docx(tmp_path, capsys):
    html = tmp_path / "letter.html"
    assert main(["letter", str(SAMPLE), "--out", str(html), "--sender", "示例市人民政府办公室",
                 "--reference", "示政办函〔2025〕12号"]) == 0
    assert "已生成整改函" in capsys.readouterr().out
    text = html.read_text(encoding="utf-8")
    assert "示例县人民政府" in text and "示政办函〔2025〕12号" in text
    assert "2025年4月8日" in text and "我办" in text
    docx = tmp_path / "letter.docx"
    assert main(["letter", str(SAMPLE), "--format", "docx", "--out", str(docx)]) == 0
    paragraphs = [p.text for p in Docx(str(docx)).paragraphs]
    assert any("信息处理费" in p for p in paragraphs)
    assert any(p.startswith("示例县人民政府") for p in paragraphs)


def test_no_findings_no_letter(tmp_path, capsys):
    out = tmp_path / "none.html"
    assert main(["letter", str(CLEAN), "--out", str(out)]) == 0
    assert "不生成审核意见函" in capsys.readouterr().out
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_unreadable_report_is_a_one_line_error(tmp_path, capsys):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert main(["letter", str(empty)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "文件为空" in err
