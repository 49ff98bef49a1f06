"""A value cell merged over two grid columns (common in Word-exported tables) is one cell."""
from __future__ import annotations

from conftest import REPO
from nianbao.document import Cell
from nianbao.ingest import read_document
from nianbao.reading import report_from_document

SAMPLE = REPO / "examples" / "sample-report.txt"


def _with_spanned_cell(spanned: bool):
    doc = read_document(str(SAMPLE))
    row = next(b for b in doc.blocks if b.kind == "row" and any("（一）予以公开" in c.text for c in b.cells))
    at = next(i for i, c in enumerate(row.cells) if c.text == "12")
    # The 自然人 value spans two grid columns: the reader emits "" for the covered position.
    row.cells.insert(at + 1, Cell("", row.cells[at].location, spanned=spanned))
    return report_from_document(doc)


def test_spanned_position_is_not_a_cell():
    report = _with_spanned_cell(spanned=True)
    granted = [report.values[f"section3.results.granted.{c}"].value
               for c in ("natural_person", "commercial", "research", "social_welfare", "legal_service",
                         "other_org", "total")]
    assert granted == [12, 1, 0, 0, 0, 0, 13]
    assert not [n for n in report.notes if n.category in ("structure.extra_cells", "value.blank")]


def test_a_real_extra_cell_is_still_noted():
    report = _with_spanned_cell(spanned=False)
    notes = [n for n in report.notes if n.category == "structure.extra_cells"]
    assert len(notes) == 1
    assert "有8个数值单元格，比模板多1个" in notes[0].message
