"""Where a finding is in the source, shown on the audit page: the PDF page with the cell marked,
or the line of a text report as printed.

A PDF place becomes a band of its page, rendered (pypdfium2, which pdfplumber
already brings) in grey at screen resolution and embedded in the page as a PNG
data URI, with the cells the finding names outlined on top by the page's CSS:
the audit page stays one self-contained file. A text place becomes the line
itself. Anything that cannot be shown (the file moved, a damaged page) is
simply left out: the page number or line number is still printed beside it.
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..model import Location

SCALE = 1.25                 # pixels per PDF point: about 90 dpi
MARGIN = 36.0                # points of context above and below the marked cells
MAX_BAND = 300.0             # tallest band shown, in points
MAX_LINE_CHARS = 240


def source_href(source: str, page: int | None = None) -> str | None:
    """A link to the source file (and PDF page) on this computer; None if it is not a local file."""
    path = Path(source)
    try:
        if not path.is_file():
            return None
        uri = path.resolve().as_uri()
    except (OSError, ValueError):
        return None
    return f"{uri}#page={page}" if page else uri


def pdf_band(source: str, page: int, boxes: Iterable[tuple[float, float, float, float]]) -> dict[str, Any] | None:
    """The band of a PDF page around `boxes` (PDF points, top-down), as an image with the boxes marked."""
    boxes = [tuple(b) for b in boxes if b is not None]
    if not boxes:
        return None
    top = min(b[1] for b in boxes)
    bottom = max(b[3] for b in boxes)
    if bottom - top > MAX_BAND - 2 * MARGIN:       # many cells far apart: show the first ones
        bottom = top + MAX_BAND - 2 * MARGIN
        boxes = [b for b in boxes if b[1] < bottom]
    rendered = _render_band(source, page, round(top - MARGIN, 1), round(bottom + MARGIN, 1))
    if rendered is None:
        return None
    data, width, band_top, band_height = rendered
    marks = [{"left": _pct(b[0], width), "top": _pct(b[1] - band_top, band_height),
              "width": _pct(b[2] - b[0], width), "height": _pct(b[3] - b[1], band_height)} for b in boxes]
    return {"src": data, "page": page, "marks": marks,
            "width": round(width * SCALE), "height": round(band_height * SCALE)}


def _pct(value: float, whole: float) -> str:
    return f"{max(0.0, min(100.0, 100.0 * value / whole)):.2f}%" if whole else "0%"


@lru_cache(maxsize=64)
def _render_band(source: str, page: int, top: float, bottom: float) -> tuple[str, float, float, float] | None:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return None
    try:
        doc = pdfium.PdfDocument(source)
        try:
            if not 1 <= page <= len(doc):
                return None
            pdf_page = doc[page - 1]
            width, height = pdf_page.get_size()
            top, bottom = max(0.0, top), min(height, bottom)
            if bottom <= top:
                return None
            # pdfium crops from each edge: left, bottom, right, top (points)
            bitmap = pdf_page.render(scale=SCALE, crop=(0, height - bottom, 0, top), grayscale=True)
            image = bitmap.to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", compress_level=6)
        finally:
            doc.close()
    except Exception:   # a page pdfium cannot draw is shown without its picture, never a crash
        return None
    data = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return data, float(width), top, bottom - top


@lru_cache(maxsize=32)
def _text_lines(source: str) -> tuple[str, ...]:
    from ..ingest.text import decode_text
    try:
        data = Path(source).read_bytes()
        return tuple(decode_text(data, source).splitlines())
    except Exception:   # unreadable now (moved, changed): the line number alone is shown
        return ()


def text_line(source: str, line: int) -> str | None:
    lines = _text_lines(source)
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].strip()
    return text[:MAX_LINE_CHARS] + ("……" if len(text) > MAX_LINE_CHARS else "")


def places(report_format: str, locations: Iterable[Location | None]) -> list[dict[str, Any]]:
    """What the page shows for a finding's places: one PDF band per page, or each text line once."""
    out: list[dict[str, Any]] = []
    locations = [loc for loc in locations if loc is not None]
    if report_format == "pdf":
        by_page: dict[tuple[str, int], list] = {}
        for loc in locations:
            if loc.page is not None:
                by_page.setdefault((loc.source, loc.page), []).append(loc.bbox)
        for (source, page), boxes in list(by_page.items())[:3]:
            band = pdf_band(source, page, boxes)
            out.append({"kind": "pdf", "page": page, "href": source_href(source, page), "band": band})
    elif report_format == "text":
        seen: set[tuple[str, int]] = set()
        for loc in locations:
            if loc.line is None or (loc.source, loc.line) in seen:
                continue
            seen.add((loc.source, loc.line))
            text = text_line(loc.source, loc.line)
            if text is not None:
                out.append({"kind": "line", "line": loc.line, "text": text})
            if len(out) >= 6:
                break
    return out
