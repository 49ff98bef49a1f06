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

from .findings import Evidence, Finding
from .model import Fact, Location, Paragraph, ParseNote, Report, Section

FORMAT_VERSION = 1


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
def location_to_json(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"source": loc.source, "line": loc.line, "page": loc.page,
            "bbox": [encode_value(v) for v in loc.bbox] if loc.bbox is not None else None, "label": loc.label}


def location_from_json(data: dict[str, Any] | None) -> Location | None:
    if data is None:
        return None
    bbox = data.get("bbox")
    return Location(source=data["source"], line=data.get("line"), page=data.get("page"),
                    bbox=tuple(decode_value(v) for v in bbox) if bbox is not None else None,  # type: ignore[arg-type]
                    label=data.get("label"))


def _fact_to_json(fact: Fact) -> dict[str, Any]:
    return {"name": fact.name, "value": encode_value(fact.value), "raw": fact.raw,
            "location": location_to_json(fact.location)}


def _fact_from_json(data: dict[str, Any]) -> Fact:
    return Fact(data["name"], decode_value(data["value"]), data.get("raw"), location_from_json(data.get("location")))


def _paragraph_to_json(para: Paragraph) -> dict[str, Any]:
    return {"text": para.text, "segments": [[offset, location_to_json(loc)] for offset, loc in para.segments]}


def _paragraph_from_json(data: dict[str, Any]) -> Paragraph:
    return Paragraph(data["text"], [(offset, location_from_json(loc)) for offset, loc in data["segments"]])  # type: ignore[misc]


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "source": report.source,
        "format": report.format,
        "meta": [[key, _fact_to_json(f)] for key, f in report.meta.items()],
        "sections": [{"number": s.number, "key": key, "title": s.title, "text": s.text,
                      "location": location_to_json(s.location),
                      "paragraphs": [_paragraph_to_json(p) for p in s.paragraphs]}
                     for key, s in report.sections.items()],
        "section_order": list(report.section_order),
        "preamble": [_paragraph_to_json(p) for p in report.preamble],
        "tables_found": list(report.tables_found),
        "values": [[key, _fact_to_json(f)] for key, f in report.values.items()],
        "notes": [{"category": n.category, "message": n.message, "location": location_to_json(n.location),
                   "fields": list(n.fields), "detail": encode_value(n.detail)} for n in report.notes],
    }


def report_from_dict(data: dict[str, Any]) -> Report:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unknown stored report format {data.get('format_version')!r}")
    report = Report(source=data["source"], format=data["format"])
    report.meta = {key: _fact_from_json(f) for key, f in data["meta"]}
    report.sections = {
        s["key"]: Section(number=s["number"], title=s["title"], text=s["text"],
                          location=location_from_json(s["location"]),
                          paragraphs=[_paragraph_from_json(p) for p in s["paragraphs"]])
        for s in data["sections"]}
    report.section_order = list(data["section_order"])
    report.preamble = [_paragraph_from_json(p) for p in data["preamble"]]
    report.tables_found = list(data["tables_found"])
    report.values = {key: _fact_from_json(f) for key, f in data["values"]}
    report.notes = [ParseNote(n["category"], n["message"], location_from_json(n["location"]), list(n["fields"]),
                              decode_value(n["detail"])) for n in data["notes"]]
    return report


# ---------------------------------------------------------------------------
# Findings, as `Finding.to_json` writes them (evidence values already plain).
def finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"], title=data["title"], category=data["category"], severity=data["severity"],
        message=data["message"], basis=data.get("basis", ""), fields=list(data.get("fields", [])),
        evidence=[Evidence(e["field"], e["label"], e["value"], _plain_location(e.get("location")))
                  for e in data.get("evidence", [])])


def _plain_location(data: dict[str, Any] | None) -> Location | None:
    if data is None:
        return None
    bbox = data.get("bbox")
    return Location(data["source"], data.get("line"), data.get("page"), tuple(bbox) if bbox else None,  # type: ignore[arg-type]
                    data.get("label"))
