"""The findings spreadsheets as a supervisor opens and prints them: openpyxl, LibreOffice, the CSV."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import REPO, SEEDS
from nianbao.cli import main
from nianbao.findings import CATEGORY_CN, SEVERITY_CN
from nianbao.outputs.tables import CsvWriter, XlsxWriter

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A small batch: the sample (five defects), a clean report, two seeds, an empty file."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed corpus not found at {SEEDS}")
    root = tmp_path_factory.mktemp("sheets")
    inbox = root / "in"
    inbox.mkdir()
    shutil.copy(REPO / "examples" / "sample-report.txt", inbox / "sample.txt")
    shutil.copy(FIXTURES / "clean-report.txt", inbox / "clean.txt")
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inbox / seed.name)
    (inbox / "empty.txt").write_bytes(b"")
    out = root / "out"
    main(["check", str(inbox), "--out", str(out), "--jobs", "1", "--no-letters"])
    reports = json.loads((out / "findings.json").read_text(encoding="utf-8"))["reports"]
    return out, {Path(r["source"]).name: r for r in reports}


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c for c in row))) for row in ws.iter_rows(min_row=2)]


def test_findings_sheet_reads_in_chinese_with_links(batch):
    out, reports = batch
    wb = load_workbook(out / "findings.xlsx")
    assert wb.sheetnames == ["问题清单", "报告汇总"]
    ws = wb["问题清单"]
    rows = _rows(ws)
    assert len(rows) == sum(len(r["findings"]) for r in reports.values())
    sample = [r for r in rows if r["源文件"].value == "sample.txt"]
    expected = reports["sample.txt"]["findings"]
    assert [r["问题"].value for r in sample] == [f["headline"] for f in expected]
    assert "未标注落款日期" not in [f["title"] for f in expected]          # headline, not the requirement
    assert [r["类别"].value for r in sample] == [CATEGORY_CN[f["category"]] for f in expected]
    assert [r["级别"].value for r in sample] == [SEVERITY_CN[f["severity"]] for f in expected]
    assert all("." not in r["类别"].value for r in rows)                   # no English category codes
    # Each finding links to its own place on its report's audit page, and that place exists.
    page = (out / "reports" / "sample.html").read_text(encoding="utf-8")
    for number, row in enumerate(sample, 1):
        link = row["审核页面"]
        assert link.value == f"问题{number}"
        assert link.hyperlink.target == f"reports/sample.html#finding-{number}"
        assert f'id="finding-{number}"' in page
    # Severity colours: an error's level cell is red, a notice's blue.
    fills = {r["级别"].value: r["级别"].fill.fgColor.rgb for r in rows}
    assert fills["错误"].endswith("FFC7CE") and fills["提示"].endswith("DDEBF7")


def test_reports_sheet_lists_every_report(batch):
    out, reports = batch
    ws = load_workbook(out / "findings.xlsx")["报告汇总"]
    rows = {r["源文件"].value and Path(r["源文件"].value).name: r for r in _rows(ws)}
    assert set(rows) == set(reports)                                      # no findings and unreadable too
    clean = rows["clean.txt"]
    assert reports["clean.txt"]["findings"] == []
    assert clean["报告机关"].value == "示例县人民政府"
    assert clean["报告年度"].value == 2024
    assert clean["机关层级"].value == "本级政府"
    assert clean["模板版本"].value == "gov-2021"
    assert clean["检查结论"].value == "未发现问题"
    assert [clean[k].value for k in ("错误", "警告", "提示", "问题合计")] == [0, 0, 0, 0]
    assert clean["审核页面"].hyperlink.target == "reports/clean.html"
    sample = rows["sample.txt"]
    counts = reports["sample.txt"]["counts"]
    assert [sample[k].value for k in ("错误", "警告", "提示")] == [counts["error"], counts["warning"], counts["info"]]
    assert sample["落款日期"].value == "2025年4月8日"
    assert sample["检查结论"].value == "有错误"
    empty = rows["empty.txt"]
    assert empty["检查结论"].value == "无法读取"
    assert "文件为空" in empty["说明"].value


@pytest.mark.parametrize("sheet", ["问题清单", "报告汇总"])
def test_sheets_are_set_up_to_print(batch, sheet):
    out, _ = batch
    ws = load_workbook(out / "findings.xlsx")[sheet]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert all(ws[1][i].font.b for i in range(ws.max_column))
    # Widths fit the text: a column is at least as wide as its header; no column is left at the default.
    for cell in ws[1]:
        width = ws.column_dimensions[cell.column_letter].width
        assert width >= 2 * len(cell.value), cell.value
    # A row holding a long message is taller than one holding a short one.
    heights = [ws.row_dimensions[r].height for r in range(2, ws.max_row + 1)]
    assert all(h and h >= 15 for h in heights)


def test_hostile_text_is_neither_formula_nor_illegal_xml(tmp_path):
    hostile = {
        "source": "=cmd|'/C calc'!A0.txt", "pack": "gov-2021",
        "meta": {"agency": "=HYPERLINK(\"http://evil\",\"点此\")", "year": 2024, "level": "government",
                 "template": "gov-2021", "date": None},
        "counts": {"error": 1, "warning": 0, "info": 0},
        "findings": [{"rule": "r", "title": "t", "headline": "+SUM(1,2)", "category": "value.invalid",
                      "severity": "error", "message": "@A1\x07 含控制字符\x00", "basis": "-2+3",
                      "evidence": [{"location": {"line": 3}}]},
                     {"rule": "r2", "title": "t2", "headline": "\t=1+1", "category": "value.invalid",
                      "severity": "error", "message": "\r=2", "basis": "正常", "evidence": []}],
    }
    xlsx, csv_path = tmp_path / "f.xlsx", tmp_path / "f.csv"
    for writer in (XlsxWriter(xlsx), CsvWriter(csv_path)):
        writer.add(hostile, page="reports/x.html")
        writer.close(True)
    wb = load_workbook(xlsx)
    for ws in wb:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", cell.value               # text, never a formula
                    assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in cell.value)
                    if cell.value[:1] in "=+-@\t\r":
                        assert cell.quotePrefix, cell.value
    finding = _rows(wb["问题清单"])[0]
    assert finding["问题说明"].value == "@A1 含控制字符"
    assert finding["报告机关"].value.startswith("=HYPERLINK")
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        for value in row:
            assert not value[:1] in ("=", "+", "-", "@", "\t", "\r"), value
            assert "\x00" not in value and "\x07" not in value
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\",\"点此\")"
    assert rows[1][4] == "数值无效" and rows[1][5] == "错误" and rows[1][6] == "'+SUM(1,2)"


def test_a_failed_run_leaves_no_spreadsheet(tmp_path):
    writer = XlsxWriter(tmp_path / "f.xlsx")
    writer.add({"source": "a.txt", "meta": {}, "counts": {}, "findings": []})
    writer.close(False)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# LibreOffice: the spreadsheet converted to PDF, as it prints.
def _soffice() -> str:
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("LibreOffice (soffice) not installed: Debian libreoffice-calc-nogui")


def _horizontal_rules(page) -> list[tuple[float, float, float]]:
    rules = [(e["top"], e["x0"], e["x1"]) for e in page.edges if e["orientation"] == "h"]
    return rules


def test_libreoffice_prints_it_landscape_without_overlapping_rows(batch, tmp_path):
    soffice = _soffice()
    pdfplumber = pytest.importorskip("pdfplumber")
    out, reports = batch
    profile = tmp_path / "profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out / "findings.xlsx")],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "findings.pdf"
    assert pdf.exists()
    with pdfplumber.open(pdf) as doc:
        text = "".join(page.extract_text() or "" for page in doc.pages)
        for page in doc.pages:
            assert page.width > page.height                             # landscape
            # Fit to width: every column on one page across, so each page starts with the header row.
            assert "序号" in (page.extract_text() or "")
            # No wrapped text runs over a row's border: no character straddles a horizontal rule.
            rules = _horizontal_rules(page)
            for ch in page.chars:
                middle = (ch["x0"] + ch["x1"]) / 2
                for y, x0, x1 in rules:
                    if x0 <= middle <= x1:
                        assert not (ch["top"] + 1.5 < y < ch["bottom"] - 1.5), (ch["text"], page.page_number)
    squeezed = text.replace("\n", "").replace(" ", "")
    for finding in reports["sample.txt"]["findings"]:
        assert finding["headline"] in squeezed
        assert finding["message"].replace(" ", "")[:30] in squeezed
    assert "未发现问题" in squeezed                                           # the clean report's row


def test_csv_rows_match_the_findings_sheet(batch):
    out, reports = batch
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sheet = _rows(load_workbook(out / "findings.xlsx")["问题清单"])
    assert len(rows) == len(sheet)
    for row, cells in zip(rows, sheet):
        assert row["问题"] == cells["问题"].value and row["类别"] == cells["类别"].value
        link = cells["审核页面"].hyperlink
        assert row["审核页面"] == (link.target if link else "")
    sample = [r for r in rows if Path(r["文件"]).name == "sample.txt"]
    assert [r["检查项"] for r in sample] == [f["title"] for f in reports["sample.txt"]["findings"]]


def test_a_reviewers_verdict_is_shown(tmp_path):
    writer = XlsxWriter(tmp_path / "f.xlsx")
    writer.add({"source": "a.txt", "meta": {"agency": "甲县人民政府", "year": 2024}, "counts": {"warning": 1},
                "findings": []}, page="reports/a.html", verdict="已复核：需整改")
    writer.add({"source": "b.txt", "meta": {"agency": "乙县人民政府", "year": 2024}, "counts": {},
                "findings": [], "verdict": "已复核：无问题"})
    writer.close(True)
    rows = _rows(load_workbook(tmp_path / "f.xlsx")["报告汇总"])
    assert [r["审核结论"].value for r in rows] == ["已复核：需整改", "已复核：无问题"]
    assert [r["检查结论"].value for r in rows] == ["有警告", "未发现问题"]
    assert rows[0]["审核页面"].hyperlink.target == "reports/a.html" and rows[1]["审核页面"].value is None


# ---------------------------------------------------------------------------
# A large run: the workbook is written as results come (tables.STREAM_AFTER).
def _report(i: int, agency: str, message: str) -> dict:
    finding = {"rule": f"rule-{i}", "title": "检查项", "headline": "问题", "category": "table.arithmetic",
               "severity": "error" if i % 2 else "warning", "message": message, "basis": "依据",
               "evidence": [], "id": f"f{i}"}
    return {"source": f"/in/{i:03d}.txt", "meta": {"agency": agency, "year": 2024},
            "counts": {finding["severity"]: 1}, "findings": [finding]}


def _sheet_values(path: Path) -> dict[str, list[list]]:
    wb = load_workbook(path)
    return {name: [[c.value for c in row] for row in wb[name].iter_rows()] for name in wb.sheetnames}


def test_a_large_run_streams_the_workbook_with_the_first_rows_widths(tmp_path, monkeypatch):
    from nianbao.outputs import tables

    reports = [_report(i, "甲县人民政府", "表三合计与分项之和不一致。") for i in range(4)]
    # Later reports: a longer agency name than any before (it wraps: its row grows), a formula-like
    # message (stored as text), and a message far wider than its column's cap.
    reports += [_report(4, "某某市某某区某某街道办事处", "=HYPERLINK(\"http://x\")"),
                _report(5, "乙县", "很长的说明" * 40)]
    for name, stream_after in (("whole.xlsx", 10_000), ("streamed.xlsx", 3)):
        monkeypatch.setattr(tables, "STREAM_AFTER", stream_after)
        writer = XlsxWriter(tmp_path / name)
        for r in reports:
            writer.add(r, page=f"reports/{r['source'][4:7]}.html")
        assert (writer._book is not None) == (stream_after == 3)
        writer.close(True)
    assert _sheet_values(tmp_path / "streamed.xlsx") == _sheet_values(tmp_path / "whole.xlsx")

    whole, streamed = load_workbook(tmp_path / "whole.xlsx"), load_workbook(tmp_path / "streamed.xlsx")
    for name in ("问题清单", "报告汇总"):
        a, b = whole[name], streamed[name]
        assert b.freeze_panes == "A2" and b.auto_filter.ref == a.auto_filter.ref
        assert b.print_title_rows == a.print_title_rows and b.page_setup.orientation == "landscape"
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
            for ca, cb in zip(row_a, row_b):
                assert [repr(x) for x in (ca.font, ca.fill, ca.border, ca.alignment, ca.quotePrefix)] == \
                       [repr(x) for x in (cb.font, cb.fill, cb.border, cb.alignment, cb.quotePrefix)]
                assert (ca.hyperlink.target if ca.hyperlink else None) == \
                       (cb.hyperlink.target if cb.hyperlink else None)
    # The agency column keeps the width of the first three reports; the long name wraps in it.
    ws, column = streamed["报告汇总"], "B"
    width = ws.column_dimensions[column].width
    assert width < whole["报告汇总"].column_dimensions[column].width
    assert width == round(tables.display_width("甲县人民政府") + 1.5, 1)
    long_row = 6                                        # header, then reports 0-4
    assert ws[f"{column}{long_row}"].value == "某某市某某区某某街道办事处"
    lines = tables.wrapped_lines("某某市某某区某某街道办事处", width)
    assert lines > 1 and ws.row_dimensions[long_row].height == lines * tables.LINE_HEIGHT + 4
    assert streamed["问题清单"]["G6"].quotePrefix and streamed["问题清单"]["G6"].data_type == "s"


def test_an_aborted_streamed_workbook_leaves_nothing_behind(tmp_path, monkeypatch):
    import tempfile

    from nianbao.outputs import tables

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))     # where openpyxl spools each sheet
    monkeypatch.setattr(tables, "STREAM_AFTER", 2)
    out = tmp_path / "out"
    out.mkdir()
    writer = XlsxWriter(out / "f.xlsx")
    for i in range(5):
        writer.add(_report(i, "甲县人民政府", "说明"), page="reports/a.html")
    assert writer._book is not None and list(scratch.iterdir())   # the sheets are being written
    writer.close(False)
    assert list(out.iterdir()) == [] and list(scratch.iterdir()) == []
