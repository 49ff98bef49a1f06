"""The format-neutral document every ingestion module produces.

A document is a sequence of blocks in reading order: a `line` of running
text (a heading or a paragraph, or a fragment of one) or a table `row` of
cells. Template mapping (mapping.py) works on this alone, which is what
makes the same report give the same values as .txt, .html, .docx or .pdf.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .model import Location, ParseNote


@dataclass
class Cell:
    text: str
    location: Location
    # A grid position covered by a merged cell that starts elsewhere (colspan/rowspan,
    # gridSpan/vMerge): "" in the row shape, but not a cell of its own.
    spanned: bool = False


@dataclass
class Block:
    kind: str                     # "line" | "row"
    cells: list[Cell]             # a line has exactly one cell
    location: Location
    table: int | None = None      # index of the source table (rows only), when the format knows it
    # How a text row was printed: "tab" (copied from Word/web), "markdown" or "layout"
    # (a converter's Markdown table, whitespace-aligned columns). A converter drops cells,
    # so a short row of that kind is the converter's doing as often as the agency's.
    shape: str | None = None

    @property
    def text(self) -> str:
        """The block's text; a row's cells joined by tabs."""
        return "\t".join(c.text for c in self.cells)

    @staticmethod
    def line(text: str, location: Location) -> "Block":
        return Block("line", [Cell(text, location)], location)

    @staticmethod
    def row(cells: list[Cell], location: Location, table: int | None = None, shape: str | None = None) -> "Block":
        return Block("row", cells, location, table, shape)


@dataclass
class Document:
    source: str
    format: str                   # "text" | "pdf" | "html" | "docx"
    blocks: list[Block] = field(default_factory=list)
    notes: list[ParseNote] = field(default_factory=list)
    # Metadata the container carries (PDF creation date...), informative only.
    properties: dict[str, str] = field(default_factory=dict)
    ocr_pages: list[int] = field(default_factory=list)   # pages whose text came from OCR of their image
