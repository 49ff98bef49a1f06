"""Scanned and partly scanned PDFs read by OCR (tesseract), against the born-digital read of the same report.

The scans are made here from the real PDFs (tests/scan_fixtures.py): every page
rasterised at 150 dpi, a partial scan with only pages 4-5 as images, (2024) the
table pages 3-4 scanned askew, and (2023) the tables of pages 2 and 4 pasted as
pictures between typed text. Each variant is parsed and checked once per session
(OCR takes seconds per page).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import real_path
from nianbao import ocr
from nianbao.cli import main
from scan_fixtures import page_image, picture_tables, rasterise, with_background

NAMES = ("huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf")
PARTIAL_PAGES = {4, 5}
# kind -> (pages whose content becomes images, None for all; how the variant is made)
KINDS = {
    "scan": (None, lambda src, out: rasterise(src, out, dpi=150)),
    "partial": (PARTIAL_PAGES, lambda src, out: rasterise(src, out, dpi=150, pages=PARTIAL_PAGES)),
    "skewed": ({3, 4}, lambda src, out: rasterise(src, out, dpi=150, pages={3, 4}, skew=0.8)),
    "pictures": ({2, 4}, lambda src, out: picture_tables(src, out, {2, 4})),
}
VARIANTS = ([(name, kind) for name in NAMES for kind in ("scan", "partial")]
            + [(NAMES[1], "skewed"), (NAMES[0], "pictures")])


def _engine_or_skip() -> None:
    try:
        ocr.engine()
    except ocr.OcrUnavailable as exc:
        pytest.skip(f"no OCR engine on this machine: {exc}")


def _run(*args: str) -> tuple[int, dict]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, json.loads(out.getvalue())


@pytest.fixture(scope="session")
def readings(tmp_path_factory):
    """(parse JSON, check JSON, check exit code) per (name, "original"|"scan"|"partial"), made on first use."""
    cache: dict[tuple[str, str], tuple[dict, dict, int]] = {}
    folder = tmp_path_factory.mktemp("scans")

    def get(name: str, kind: str) -> tuple[dict, dict, int]:
        if (name, kind) not in cache:
            source = real_path(name)
            if kind == "original":
                path = source
            else:
                _engine_or_skip()
                path = KINDS[kind][1](source, folder / f"{kind}-{name}")
            _, parsed = _run("parse", str(path), "--format", "json")
            code, checked = _run("check", str(path), "--format", "json")
            cache[(name, kind)] = (parsed, checked["reports"][0], code)
        return cache[(name, kind)]

    return get


@pytest.mark.parametrize("name,kind", VARIANTS)
def test_ocr_reads_the_table_values(readings, name, kind):
    original = readings(name, "original")[0]
    scanned = readings(name, kind)[0]
    expected = original["values"]
    got = scanned["values"]
    mismatches = [(k, v, got.get(k, "（缺失）")) for k, v in expected.items() if got.get(k, "（缺失）") != v]
    share = 1 - len(mismatches) / len(expected)
    assert len(expected) > 150
    assert share >= 0.95, f"OCR read {share:.1%} of {len(expected)} table values; mismatches: {mismatches}"
    assert not [k for k in got if k not in expected], "values OCR invented"
    for key in ("year", "agency", "level", "template"):
        assert scanned["meta"][key] == original["meta"][key], key
    assert scanned["section_order"] == original["section_order"]


@pytest.mark.parametrize("name,kind", VARIANTS)
def test_ocr_values_say_so(readings, name, kind):
    parsed = readings(name, kind)[0]
    pages = KINDS[kind][0] or {1, 2, 3, 4, 5}
    assert parsed["ocr_pages"] == sorted(pages)
    for fact, prov in parsed["provenance"].items():
        location = prov["location"]
        assert location.get("ocr", False) == (location["page"] in pages), fact


@pytest.mark.parametrize("name,kind", VARIANTS)
def test_no_error_caused_by_ocr(readings, name, kind):
    original_findings = {f["rule"]: f for f in readings(name, "original")[1]["findings"]}
    checked, code = readings(name, kind)[1], readings(name, kind)[2]
    for finding in checked["findings"]:
        on_ocr = any((e["location"] or {}).get("ocr") for e in finding["evidence"])
        if on_ocr:
            assert finding["severity"] != "error", finding["rule"]
        if finding["severity"] == "error":
            # An error left standing is one the born-digital report has too, on text the scan did not touch.
            assert finding["rule"] in original_findings and not on_ocr, finding
        assert not finding["category"].startswith("structure.missing"), finding["message"]
        assert finding["category"] != "parse.unreadable", finding["message"]
    # The real defects of the original are all still reported; those read by OCR ask for a human look.
    got = {f["rule"]: f for f in checked["findings"]}
    for rule, finding in original_findings.items():
        assert rule in got, rule
        if got[rule]["severity"] != finding["severity"]:
            assert finding["severity"] == "error" and got[rule]["severity"] == "warning"
            assert got[rule]["message"].endswith("请人工核对"), got[rule]["message"]
    assert code == (1 if any(f["severity"] == "error" for f in checked["findings"]) else 0)


def test_2023_table4_defect_becomes_a_check_by_a_person(readings):
    checked = readings("huaian-hongze-2023.pdf", "scan")[1]
    finding = next(f for f in checked["findings"] if f["rule"] == "table4-review-total")
    assert finding["severity"] == "warning"
    assert "表四行政复议“总计”为0" in finding["message"] and "合计为11" in finding["message"]
    assert finding["message"].endswith("OCR识别，可能存在识别误差，请人工核对")
    assert {e["location"]["page"] for e in finding["evidence"]} == {4}


def test_parse_text_marks_ocr_values(tmp_path, capsys):
    _engine_or_skip()
    path = rasterise(real_path("huaian-hongze-2024.pdf"), tmp_path / "p.pdf", dpi=150, pages={4})
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "OCR识别：第4页为扫描图像" in out
    line = next(l for l in out.splitlines() if l.strip().startswith("section4.review.total "))
    assert line.rstrip().endswith("第4页（OCR识别）")
    line = next(l for l in out.splitlines() if l.strip().startswith("section2.licensing.decisions "))
    assert "OCR" not in line


# ---------------------------------------------------------------------------
# A page saved as an image file


def test_a_photographed_page_is_read_as_a_one_page_scan(readings, tmp_path, capsys):
    _engine_or_skip()
    original = readings("huaian-hongze-2024.pdf", "original")[0]
    on_page_3 = {k: v for k, v in original["values"].items() if original["provenance"][k]["location"]["page"] == 3}
    assert len(on_page_3) > 60
    path = page_image(real_path("huaian-hongze-2024.pdf"), tmp_path / "page3.jpg", 3)
    assert main(["parse", str(path), "--format", "json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["format"] == "image" and parsed["ocr_pages"] == [1]
    same = [k for k, v in on_page_3.items() if parsed["values"].get(k, "（缺失）") == v]
    assert len(same) >= 0.95 * len(on_page_3), sorted(set(on_page_3) - set(same))
    assert all(p["location"]["ocr"] and p["location"]["page"] == 1 for p in parsed["provenance"].values())


def test_a_broken_image_file_is_one_clear_line(tmp_path, capsys):
    path = tmp_path / "page.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert main(["parse", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"nianbao: {path}: 图片文件已损坏或格式无法识别，无法读取"


# ---------------------------------------------------------------------------
# A machine without the OCR engine


@pytest.fixture()
def no_tesseract(tmp_path, monkeypatch):
    """PATH without tesseract (worker processes inherit it); the engine found so far forgotten."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    ocr.reset_engine()
    yield
    ocr.reset_engine()


def test_without_engine_a_scan_is_one_clear_unreadable_finding(tmp_path, no_tesseract, capsys):
    path = rasterise(real_path("huaian-hongze-2023.pdf"), tmp_path / "partial.pdf", dpi=100, pages={4, 5})
    code = main(["check", str(path), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    findings = json.loads(captured.out)["reports"][0]["findings"]
    assert [(f["category"], f["severity"]) for f in findings] == [("parse.unreadable", "error")]
    message = findings[0]["message"]
    assert "第4、5页的内容是图片（扫描件或插图），没有可提取的文字层" in message and "tesseract" in message and "tesseract-ocr-chi-sim" in message
    assert len(captured.err.strip().splitlines()) == 1 and str(path) in captured.err


def test_without_engine_an_image_file_says_what_is_missing(tmp_path, no_tesseract, capsys):
    path = page_image(real_path("huaian-hongze-2024.pdf"), tmp_path / "page.png", 2, dpi=72)
    assert main(["parse", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"nianbao: {path}: 这是报告页面的图片，需用 OCR 识别，但本机未安装 OCR 引擎 tesseract")
    assert len(err.splitlines()) == 1


def test_without_engine_a_table_pasted_as_a_picture_is_named(tmp_path, no_tesseract, capsys):
    path = picture_tables(real_path("huaian-hongze-2023.pdf"), tmp_path / "pictures.pdf", {2, 4})
    assert main(["parse", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"nianbao: {path}: 第2、4页的内容是图片（扫描件或插图），没有可提取的文字层，需用 OCR 识别，"
                          "但本机未安装 OCR 引擎 tesseract")


def test_a_pale_background_image_needs_no_ocr(readings, tmp_path, no_tesseract, capsys):
    original = readings("huaian-hongze-2024.pdf", "original")[0]
    path = with_background(real_path("huaian-hongze-2024.pdf"), tmp_path / "letterhead.pdf", 3)
    assert main(["parse", str(path), "--format", "json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["values"] == original["values"] and parsed["ocr_pages"] == []


def test_without_engine_a_batch_goes_on(tmp_path, no_tesseract, capsys):
    inbox = tmp_path / "in"
    inbox.mkdir()
    rasterise(real_path("huaian-hongze-2024.pdf"), inbox / "scan.pdf", dpi=100)
    (inbox / "good.pdf").write_bytes(real_path("huaian-hongze-2024.pdf").read_bytes())
    out = tmp_path / "out"
    main(["check", str(inbox), "--out", str(out), "--jobs", "1", "--no-pairing"])
    capsys.readouterr()
    entries = {Path(r["source"]).name: r for r in
               json.loads((out / "findings.json").read_text(encoding="utf-8"))["reports"]}
    assert set(entries) == {"scan.pdf", "good.pdf"}
    assert [f["category"] for f in entries["scan.pdf"]["findings"]] == ["parse.unreadable"]
    assert "tesseract" in entries["scan.pdf"]["findings"][0]["message"]
    assert "table4-review-total" not in {f["rule"] for f in entries["good.pdf"]["findings"]}
    assert {f["rule"] for f in entries["good.pdf"]["findings"]} >= {"outdated-rows", "prose-applications-received"}
