"""A `Report` as JSON and back, losslessly for everything rules read.

The store keeps each parsed report in this form, so a rule edit re-evaluates
stored reports without reading their files again. Unlike `nianbao parse
--format json` (a view for people), this form keeps every fact's value type
(dates, booleans, non-finite numbers), every location at full precision,
paragraph segments, the preamble and the notes' details.
Findings (for exports from the store) are read back here too.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from .findings import Evidence, Finding, Unchecked
from .model import Fact, Location, Paragraph, ParseNote, Report, Section

FORMAT_VERSION = 2


# ---------------------------------------------------------------------------
# Values: JSON keeps str/int/float/bool/None; dates, tuples and NaN/inf are tagged.
def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if "$date" in value:
            return dt.date.fromisoformat(value["$date"])
        if "$datetime" in value:
            return dt.datetime.fromisoformat(value["$datetime"])
        if "$float" in value:
            return float(value["$float"])
        if "$tuple" in value:
            return tuple(decode_value(v) for v in value["$tuple"])
        if "$dict" in value:
            return {decode_value(k): decode_value(v) for k, v in value["$dict"]}
    return value


# ---------------------------------------------------------------------------
# Reports. Compact, because a campaign holds thousands and a recheck decodes them all: every distinct
# location is listed once ([source, line, page, bbox, label] without trailing nulls) and referred to by
# its index (the cells of a table row share one); a fact is [key, value, raw, location index] (+ its
# name where it differs from the key).
class _Encoder:
    def __init__(self) -> None:
        self.index: dict[Location, int] = {}

    def location(self, loc: Location | None) -> int | None:
        if loc is None:
            return None
        return self.index.setdefault(loc, len(self.index))

    def locations(self) -> list[list[Any]]:
        out = []
        for loc in self.index:
            item = [loc.source, loc.line, loc.page,
                    [encode_value(v) for v in loc.bbox] if loc.bbox is not None else None, loc.label]
            while item[-1] is None:
                item.pop()
            out.append(item)
        return out

    def fact(self, key: Any, fact: Fact) -> list[Any]:
        out = [key, encode_value(fact.value), fact.raw, self.location(fact.location)]
        if fact.name != key:
            out.append(fact.name)
        return out

    def paragraph(self, para: Paragraph) -> list[Any]:
        return [para.text, [[offset, self.location(loc)] for offset, loc in para.segments]]


class _Decoder:
    def __init__(self, locations: list[list[Any]]) -> None:
        self.table = []
        for item in locations:
            item = item + [None] * (5 - len(item))
            bbox = tuple(decode_value(v) for v in item[3]) if item[3] is not None else None
            self.table.append(Location(item[0], item[1], item[2], bbox, item[4]))  # type: ignore[arg-type]

    def location(self, index: int | None) -> Location | None:
        return None if index is None else self.table[index]

    def facts(self, rows: list[list[Any]]) -> dict[Any, Fact]:
        """One loop for all of a report's facts (a campaign's recheck decodes hundreds of thousands)."""
        table, out = self.table, {}
        for row in rows:
            key, value, raw, loc = row[0], row[1], row[2], row[3]
            if value.__class__ is dict or value.__class__ is list:
                value = decode_value(value)
            out[key] = Fact(row[4] if len(row) > 4 else key, value, raw, None if loc is None else table[loc])
        return out

    def paragraph(self, data: list[Any]) -> Paragraph:
        return Paragraph(data[0], [(offset, self.location(loc)) for offset, loc in data[1]])  # type: ignore[misc]


def report_to_dict(report: Report) -> dict[str, Any]:
    enc = _Encoder()
    out = {
        "format_version": FORMAT_VERSION,
        "source": report.source,
        "format": report.format,
        "meta": [enc.fact(key, f) for key, f in report.meta.items()],
        "sections": [[key, s.number, s.title, s.text, enc.location(s.location), [enc.paragraph(p) for p in s.paragraphs]]
                     for key, s in report.sections.items()],
        "section_order": list(report.section_order),
        "preamble": [enc.paragraph(p) for p in report.preamble],
        "tables_found": list(report.tables_found),
        "values": [enc.fact(key, f) for key, f in report.values.items()],
        "notes": [[n.category, n.message, enc.location(n.location), list(n.fields), encode_value(n.detail)]
                  for n in report.notes],
    }
    out["locations"] = enc.locations()
    return out


def report_from_dict(data: dict[str, Any]) -> Report:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unknown stored report format {data.get('format_version')!r}")
    dec = _Decoder(data["locations"])
    report = Report(source=data["source"], format=data["format"])
    report.meta = dec.facts(data["meta"])
    report.sections = {key: Section(number, title, text, dec.location(loc), [dec.paragraph(p) for p in paragraphs])
                       for key, number, title, text, loc, paragraphs in data["sections"]}
    report.section_order = list(data["section_order"])
    report.preamble = [dec.paragraph(p) for p in data["preamble"]]
    report.tables_found = list(data["tables_found"])
    report.values = dec.facts(data["values"])
    report.notes = [ParseNote(category, message, dec.location(loc), list(fields), decode_value(detail))
                    for category, message, loc, fields, detail in data["notes"]]
    return report


# ---------------------------------------------------------------------------
# Findings, as `Finding.to_json` writes them (evidence values already plain).
def finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"], title=data["title"], category=data["category"], severity=data["severity"],
        message=data["message"], basis=data.get("basis", ""), fields=list(data.get("fields", [])),
        evidence=[Evidence(e["field"], e["label"], e["value"], _plain_location(e.get("location")))
                  for e in data.get("evidence", [])], reviewer_only=bool(data.get("reviewer_only", False)))


def _plain_location(data: dict[str, Any] | None) -> Location | None:
    if data is None:
        return None
    bbox = data.get("bbox")
    return Location(data["source"], data.get("line"), data.get("page"), tuple(bbox) if bbox else None,  # type: ignore[arg-type]
                    data.get("label"))


def unchecked_from_json(data: dict[str, Any]) -> Unchecked:
    return Unchecked(data["rule"], data["title"], data["reason"],
                     [(m["field"], m["kind"]) for m in data.get("missing", [])])
