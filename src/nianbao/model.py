"""The report model: what nianbao knows about one annual report.

Plain objects only. Ingestion (per format) produces a `Document`
(see document.py); template mapping turns it into a `Report`; rules read
the report's facts by their stable dotted names.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Union

# A fact's value: a number (int for counts, float for money), None for a
# cell that is present but empty, str for cell text that is not a number,
# a date, or a bool (derived facts).
FactValue = Union[int, float, str, None, _dt.date, bool]


@dataclass(frozen=True)
class Location:
    """Where a value or a piece of text came from."""

    source: str
    line: int | None = None          # 1-based, text-like formats
    page: int | None = None          # 1-based, PDF
    bbox: tuple[float, float, float, float] | None = None  # PDF points (x0, top, x1, bottom)
    label: str | None = None         # e.g. "表格第3行" for HTML/DOCX tables
    ocr: bool = False                # read by OCR from a page image: may be misread

    def describe(self) -> str:
        """Short Chinese description for supervisors: 第3页 / 第12行."""
        parts = []
        if self.page is not None:
            parts.append(f"第{self.page}页")
        if self.line is not None:
            parts.append(f"第{self.line}行")
        if self.label:
            parts.append(self.label)
        where = "，".join(parts) if parts else "位置未知"
        return f"{where}（OCR识别）" if self.ocr else where

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        if self.page is not None:
            out["page"] = self.page
        if self.line is not None:
            out["line"] = self.line
        if self.bbox is not None:
            out["bbox"] = [round(v, 1) for v in self.bbox]
        if self.label:
            out["label"] = self.label
        if self.ocr:
            out["ocr"] = True
        return out


@dataclass
class Fact:
    """One named fact with its provenance."""

    name: str
    value: FactValue
    raw: str | None = None
    location: Location | None = None

    def __reduce__(self):
        # A batch pickles every parsed report for its second phase (and reads it twice): a report's
        # hundreds of facts load ~30% faster rebuilt from a tuple than from a state dict each.
        return (Fact, (self.name, self.value, self.raw, self.location))


@dataclass
class ParseNote:
    """Something ingestion or mapping saw and could not take at face value.

    `category` uses the fixed finding categories (e.g. `value.blank`,
    `structure.extra_cells`, `template.label_variant`), so packs can turn
    notes into findings without knowing how they were produced.
    """

    category: str
    message: str                      # formal Chinese, for supervisors
    location: Location | None = None
    fields: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "message": self.message,
            "fields": list(self.fields),
            "location": self.location.to_json() if self.location else None,
            "detail": self.detail,
        }


@dataclass
class Paragraph:
    """A paragraph of running text joined from printed lines, with where each line starts."""

    text: str
    segments: list[tuple[int, Location]] = field(default_factory=list)  # (offset in text, line's location)

    def location_at(self, offset: int) -> Location | None:
        found = self.segments[0][1] if self.segments else None
        for start, loc in self.segments:
            if start > offset:
                break
            found = loc
        return found


@dataclass
class Section:
    number: int                        # 1..6
    title: str                         # heading as printed
    text: str                          # body text, paragraphs joined by "\n"
    location: Location | None = None   # the heading's
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Report:
    source: str
    format: str                        # text | pdf | html | docx
    meta: dict[str, Fact] = field(default_factory=dict)
    sections: dict[int, Section] = field(default_factory=dict)
    section_order: list[int] = field(default_factory=list)   # as found in the report
    preamble: list[Paragraph] = field(default_factory=list)  # title and introduction, before section 1
    tables_found: list[str] = field(default_factory=list)    # "table2", "table3", "table4"
    values: dict[str, Fact] = field(default_factory=dict)    # full cell name -> fact
    notes: list[ParseNote] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)       # pages read by OCR from their image

    def meta_value(self, key: str) -> FactValue:
        fact = self.meta.get(key)
        return fact.value if fact else None

    def note(self, category: str, message: str, location: Location | None = None,
             fields: list[str] | None = None, **detail: Any) -> None:
        self.notes.append(ParseNote(category, message, location, list(fields or []), detail))

    def facts(self) -> dict[str, Fact]:
        """Every fact a rule can name: meta.*, section texts, table cells."""
        out: dict[str, Fact] = {}
        for key, fact in self.meta.items():
            out[f"meta.{key}"] = fact
        for num, sec in self.sections.items():
            out[f"section{num}"] = Fact(f"section{num}", sec.text, None, sec.location)
        out.update(self.values)
        return out
