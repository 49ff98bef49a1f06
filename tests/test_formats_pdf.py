"""The same report as .txt and as .pdf gives the same values and the same findings.

Each seed report (and examples/sample-report.txt) is rendered into a PDF laid
out like a government report (tests/pdf_render.py: ruled tables with merged
cells, table 3 cut across pages, page numbers) and read back through the PDF
reader. The report must come out as from the text: the same values, the same
metadata, the same kinds of parse notes and the same findings; and every
value read from the PDF must point at the page and box where it is printed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao.engine import check_report
from nianbao.ingest import read_document
from nianbao.model import Report
from nianbao.packs import load_pack
from nianbao.reading import read_report
from pdf_render import render_pdf

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-report.txt"


from conftest import SEEDS  # noqa: E402  (the corpus is located in one place)
SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []

if SEED_FILES:
    SOURCES = [pytest.param(p, id=p.name[:3]) for p in SEED_FILES]
else:
    SOURCES = [pytest.param(None, id="seeds", marks=pytest.mark.skip(
        reason=f"seed corpus not found at {SEEDS} (set NIANBAO_CORPUS to the shared corpus folder)"))]
SOURCES.append(pytest.param(SAMPLE, id="sample"))

META = ("agency", "year", "date", "level")


@pytest.fixture(scope="module")
def pack():
    return load_pack("gov-2021")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """(source, text size) -> (text report, PDF report, PDF path); each rendered and read once."""
    cache: dict[tuple[Path, float | None], tuple[Report, Report, Path]] = {}
    text_reports: dict[Path, Report] = {}

    def get(source: Path, body_size: float | None = None) -> tuple[Report, Report, Path]:
        key = (source, body_size)
        if key not in cache:
            if source not in text_reports:
                text_reports[source] = read_report(str(source))
            out = tmp_path_factory.mktemp("pdf") / f"{source.stem}.pdf"
            options = {} if body_size is None else {"body_size": body_size}
            render_pdf(source.read_text(encoding="utf-8"), out, **options)
            cache[key] = (text_reports[source], read_report(str(out)), out)
        return cache[key]

    return get


def _values(report: Report) -> dict:
    return {name: fact.value for name, fact in report.values.items()}


def _meta(report: Report) -> dict:
    return {k: report.meta[k].value if k in report.meta else None for k in META}


def _categories(report: Report) -> set[str]:
    return {note.category for note in report.notes}


def _rules(report: Report, pack) -> set[str]:
    return {f.rule for f in check_report(report, pack).findings}


def _value_diff(a: dict, b: dict) -> list[str]:
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name, "<absent>") != b.get(name, "<absent>"):
            out.append(f"{name}: txt={a.get(name, '<absent>')!r} pdf={b.get(name, '<absent>')!r}")
    return out


# ---------------------------------------------------------------------------
# Same report, same reading


@pytest.mark.parametrize("source", SOURCES)
def test_same_values(source, reports):
    text, pdf, _ = reports(source)
    assert text.values, "the text report has no table values: nothing to compare"
    diff = _value_diff(_values(text), _values(pdf))
    assert not diff, "values differ between .txt and .pdf:\n" + "\n".join(diff[:40])


@pytest.mark.parametrize("source", SOURCES)
def test_same_metadata(source, reports):
    text, pdf, _ = reports(source)
    assert _meta(pdf) == _meta(text)


@pytest.mark.parametrize("source", SOURCES)
def test_same_parse_note_categories(source, reports):
    text, pdf, _ = reports(source)
    assert _categories(pdf) == _categories(text), [n.message for n in pdf.notes]


@pytest.mark.parametrize("source", SOURCES)
def test_same_findings(source, reports, pack):
    text, pdf, _ = reports(source)
    assert _rules(pdf, pack) == _rules(text, pack)


# ---------------------------------------------------------------------------
# Provenance: every value points at where it is printed


_PRINTED: dict[Path, dict[int, list[dict]]] = {}


def _printed(pdf_path: Path) -> dict[int, list[dict]]:
    """Page number -> the characters printed on it (centres), straight from pdfplumber."""
    import pdfplumber

    if pdf_path in _PRINTED:
        return _PRINTED[pdf_path]
    with pdfplumber.open(str(pdf_path)) as doc:
        _PRINTED[pdf_path] = {
            page.page_number: [{"text": c["text"], "x": (c["x0"] + c["x1"]) / 2, "y": (c["top"] + c["bottom"]) / 2}
                               for c in page.chars if c["text"].strip()]
            for page in doc.pages}
    return _PRINTED[pdf_path]


def _text_in(chars: list[dict], bbox) -> str:
    x0, top, x1, bottom = bbox
    inside = [c for c in chars if x0 <= c["x"] <= x1 and top <= c["y"] <= bottom]
    inside.sort(key=lambda c: (round(c["y"]), c["x"]))
    return "".join(c["text"] for c in inside)


def _check_provenance(report: Report, pdf_path: Path) -> None:
    printed = _printed(pdf_path)
    for name, fact in report.values.items():
        loc = fact.location
        assert loc is not None and loc.page is not None, f"{name} has no page"
        assert loc.bbox is not None, f"{name} has no box on page {loc.page}"
        shown = _text_in(printed[loc.page], loc.bbox)
        assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", fact.raw or ""), (
            f"{name} = {fact.raw!r} is said to be on page {loc.page} at {loc.bbox}, where {shown!r} is printed")


@pytest.mark.parametrize("source", SOURCES)
def test_values_point_at_their_cells(source, reports):
    _, pdf, path = reports(source)
    _check_provenance(pdf, path)


def _table3_pages(report: Report) -> list[int]:
    return sorted({f.location.page for n, f in report.values.items() if n.startswith("section3.")})


@pytest.mark.parametrize("source", SOURCES)
def test_table3_continued_on_the_next_page(source, reports):
    """A table 3 cut by a page break: the cells on the continuation page carry that page."""
    # The default layout cuts table 3 of the longer reports; other text sizes move the cut.
    for size in (None, 14.0, 10.0):
        _, pdf, path = reports(source, size)
        pages = _table3_pages(pdf)
        if len(pages) > 1:
            break
    else:
        pytest.fail(f"table 3 of {source.name} was never cut across pages")
    first, *continued = pages
    assert continued == [first + 1]
    later = [f for n, f in pdf.values.items() if n.startswith("section3.") and f.location.page == first + 1]
    assert later
    _check_provenance(pdf, path)
    # The continuation is read as the same table, not as a new one.
    rows = [b for b in read_document(str(path)).blocks if b.kind == "row"]
    opening = next(b for b in rows if any("本年新收" in c.text for c in b.cells))
    closing = next(b for b in rows if any("结转下年度" in c.text for c in b.cells))
    assert (opening.location.page, closing.location.page) == (first, first + 1)
    assert opening.table == closing.table


# ---------------------------------------------------------------------------
# Where the page breaks fall does not matter


def _variant(stem: str, size: float, reason: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(stem, size, id=f"{stem}-{size:g}pt", marks=marks)




@pytest.mark.parametrize("stem, size", [
    _variant("sample", 10.0),
    _variant("sample", 14.0),
    _variant("003", 11.0),
])
def test_other_text_sizes(stem, size, reports, pack):
    if stem == "sample":
        source = SAMPLE
    else:
        matches = [p for p in SEED_FILES if p.name.startswith(stem)]
        if not matches:
            pytest.skip(f"seed {stem}* not found in {SEEDS}")
        source = matches[0]
    text, pdf, _ = reports(source, size)
    assert not _value_diff(_values(text), _values(pdf))
    assert _meta(pdf) == _meta(text)
    assert _categories(pdf) == _categories(text)
    assert _rules(pdf, pack) == _rules(text, pack)
