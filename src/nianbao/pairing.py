"""Pair reports of the same agency across years, for cross-year checks in a batch.

Agency names are printed with or without the higher levels
(`淮安市洪泽区人民政府` / `洪泽区人民政府`) and a government may title its
report with the bare place name (`交城县`). `agency_key` folds those.
"""
from __future__ import annotations

import re
import unicodedata

from .document import Block
from .errors import NianbaoError
from .model import Location, Report
from . import metadata

# A leading province/city that is followed by a lower unit (…市 then …区/县): dropped.
_HIGHER = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|自治州|州|盟|地区)(?=[\u4e00-\u9fff]{1,8}?(?:市|区|县|旗))")
_BARE_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,10}(?:省|自治区|市|自治州|州|盟|县|自治县|区|旗)$")


def agency_key(name: str | None) -> str | None:
    if not name:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    key = key.removeprefix("中华人民共和国")
    if _BARE_PLACE.match(key):
        key += "人民政府"
    while True:
        m = _HIGHER.match(key)
        if not m:
            break
        key = key[m.end():]
    return key or None


def identify(path: str) -> tuple[str | None, int | None]:
    """(agency key, report year) from the title, reading as little of the file as possible."""
    try:
        lines = _title_lines(path)
    except NianbaoError:
        return None, None
    except Exception:  # identification is best effort; the check itself reports unreadable files
        return None, None
    report = Report(source=path, format="")
    metadata.extract(report, lines, None, None)  # type: ignore[arg-type]
    year = report.meta_value("year")
    return agency_key(report.meta_value("agency")), year if isinstance(year, int) else None


def _title_lines(path: str) -> list[Block]:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    from .ingest import read_document, sniff_format
    if sniff_format(path, head) == "pdf":
        import pdfplumber
        with pdfplumber.open(path) as pdf:
            text = pdf.pages[0].extract_text() or "" if pdf.pages else ""
        return [Block.line(t.strip(), Location(path, page=1)) for t in text.splitlines() if t.strip()][:12]
    doc = read_document(path)
    return [b for b in doc.blocks if b.kind == "line"][:12]


def pair_reports(sources: list[str], ids: dict[str, tuple[str | None, int | None]]) -> dict[str, str]:
    """source -> last year's report of the same agency, where the batch holds one."""
    by_key: dict[tuple[str, int], str] = {}
    for source in sources:
        key, year = ids.get(source, (None, None))
        if key and year:
            by_key.setdefault((key, year), source)
    pairs: dict[str, str] = {}
    for source in sources:
        key, year = ids.get(source, (None, None))
        if key and year and (key, year - 1) in by_key:
            pairs[source] = by_key[(key, year - 1)]
    return pairs
