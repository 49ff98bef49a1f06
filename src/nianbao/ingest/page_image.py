"""A page image read by OCR into text lines and ruled tables (numpy).

A page image is read in the shape the text-layer reader (pdf.py) gives a
page, in PDF points, so the rest of the path (page furniture, tables
continued across pages, mapping) is the same for both (scan.py decides
which pages and regions come here):

* a page scanned askew is straightened first (ocr/skew.py);
* rules are found in the raster (ocr/rulings.py) and become tables through
  the same grid code as born-digital tables (grid.py);
* every non-empty cell is cut out and all cells of a page are stacked into
  one strip image, read in one OCR call (one call per cell would cost a
  process and a model load each); cells that read as numbers are read again
  in the engine's digit mode, which does not confuse 0/O or 1/l;
* the rest of the page, tables and rules blanked out, is read as text lines.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

import numpy as np

from ..ocr import OcrEngine
from ..ocr.rulings import find_rulings, find_tables, ink
from ..ocr.skew import straighten
from .grid import build_grid, grid_rows
from .pdf import _is_prose, _Line, normalize_text

_PAD = 12                 # white margin around each cell crop in the strip, pixels
_STRIP_GAP = 28           # white space between two crops in the strip
_STRIP_MAX = 7000         # strip height per OCR call, pixels
_MIN_INK = 6              # dark pixels below which a cell is empty (dust, rule remnants)
_MAX_DIGITS = 14          # a value cell read without Chinese is at most this long
_SURE = 85                # text-model confidence below which a one- or two-character read is doubted
_VERTICAL = 2.5           # a cell's ink this many times taller than wide is text set vertically
_GRAIN = 4                # median grey step between neighbouring paper pixels above which a scan is grainy
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"^[\d.,]*\d[\d.,]*$")
_AMONG_NUMBERS = 0.7      # share of a row's or column's cells read as numbers that makes them values
_WORDLIKE = re.compile(r"[\u3400-\u9fff0-9A-Za-z]")
_MIN_LINE_CONFIDENCE = 20  # a running-text line read with less is noise (specks, a seal's ring)
# OCR prints ASCII punctuation inside Chinese text; the reports print full-width forms.
_FULLWIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；", "?": "？", "!": "！"})
_ASCII_PUNCT_IN_CJK = re.compile(r"(?<=[\u3400-\u9fff\uff08\uff09\u3001\uff0c])\s*[():,;?!]\s*|\s*[():,;?!]\s*(?=[\u3400-\u9fff\uff08\uff09])")


# Brackets the text model reads for the full-width parenthesis of list numbering: 〈一）, 《五）, (七 .
_ANGLE = str.maketrans({"〈": "（", "〉": "）"})
_NUMBERING = re.compile(r"^[《(（]\s*([一二三四五六七八九十]{1,3})\s*[)）]?(?=[^一二三四五六七八九十）)])")
# An item number whose full stop OCR lost or misread: “1 属于”, “1 .信访” -> “1.属于”.
_ITEM_NUMBER = re.compile(r"(^|[）)])\s*(\d{1,2})\s*[.,，。·]?\s*(?=[\u4e00-\u9fff])")
# A page number as OCR reads it in the margin: -1] -, — 3 —, |4|.
_OCR_PAGE_NUMBER = re.compile(r"^[\s\-—–_~·]*[\[\]|lI]?\s*(\d{1,4})\s*[\[\]|lI]?[\s\-—–_~·]*$")


def tidy(text: str) -> str:
    """OCR text in the printed form: full-width punctuation beside Chinese, no spaces between Chinese."""
    text = _ASCII_PUNCT_IN_CJK.sub(lambda m: m.group(0).strip().translate(_FULLWIDTH), text)
    text = normalize_text(text.translate(_ANGLE))
    return _NUMBERING.sub(lambda m: f"（{m.group(1)}）", text)


def tidy_cell(text: str) -> str:
    """A table cell: also the item number whose full stop OCR lost (not in running text: “12 月”)."""
    return _ITEM_NUMBER.sub(lambda m: f"{m.group(1)}{m.group(2)}.", tidy(text))


def _tidy_line(text: str) -> str:
    """A running-text line; a page number as OCR reads it (-1] -) in the form pdf.py drops."""
    text = tidy(text)
    page_number = _OCR_PAGE_NUMBER.match(text)
    return f"- {page_number.group(1)} -" if page_number else text


class _Slot:
    __slots__ = ("cell", "table", "top", "bottom", "crop", "lines")

    def __init__(self, cell: Any, table: int, crop: np.ndarray):
        self.cell = cell
        self.table = table
        self.crop = crop
        self.top = self.bottom = 0
        self.lines: list[tuple[int, str, float]] = []    # (top in the strip, text, confidence)


def read_page_image(image: Any, engine: OcrEngine, dpi: int) -> list[tuple[float, str, Any]]:
    """A page image (PIL, rendered at `dpi`) as items: (top, "line", _Line) and (top, "table", rows)."""
    gray = straighten(grayscale(image))
    scale = dpi / 72.0
    rulings = find_rulings(gray, scale)          # before despeckling: a median erases one-pixel rules
    gray = _despeckle(gray)
    grids = []
    for table in find_tables(rulings.edges):
        grid = build_grid(table)
        if grid is not None and len(grid.cells) >= 2 and len(grid.xs) >= 2:
            grids.append(grid)            # else a page frame or a text box: its text is read as body text
    rules = rulings.mask([grid.bbox for grid in grids], scale)
    dark = ink(gray) & ~rules
    if int(dark.sum()) < _MIN_INK:
        return []
    items: list[tuple[float, str, Any]] = []
    body = gray.copy()
    body[rules] = 255                     # table rules whitened (their whole band): crops without them
    clean = body.copy()
    slots: list[_Slot] = []
    for number, grid in enumerate(grids):
        x0, top, x1, bottom = _pixels(grid.bbox, scale, gray.shape)
        body[top:bottom, x0:x1] = 255
        for cell in grid.cells:
            crop = _cell_crop(clean, dark, cell.bbox, scale)
            if crop is not None:
                slots.append(_Slot(cell, number, crop))
    _read_slots(slots, engine, dpi)
    read = {id(slot.cell): [t for _, t, _ in sorted(slot.lines)] for slot in slots}
    for grid in grids:
        for cell in grid.cells:
            lines = [_Line([], *cell.bbox, text=t) for t in read.get(id(cell), [])]
            text = tidy_cell("".join(line.text for line in lines))
            if _is_prose(lines):              # a paragraph boxed in beside a table: running text
                x0, top, x1, bottom = cell.bbox
                items.append((top, "line", _Line([], x0, top, x1, bottom, text)))
                text = ""
            cell.text = text
        rows = grid_rows(grid)
        if rows:
            items.append((rows[0].bbox[1], "table", rows))
    from PIL import Image
    for line in engine.read_lines(Image.fromarray(body), "page", dpi):
        text = _tidy_line(line.text)
        if not _WORDLIKE.search(text) or line.confidence < _MIN_LINE_CONFIDENCE:
            continue
        x0, top, x1, bottom = (v / scale for v in line.bbox)
        items.append((top, "line", _Line([], x0, top, x1, bottom, text)))
    items.sort(key=lambda it: it[0])
    return items


def grayscale(image: Any) -> np.ndarray:
    """The page in grey levels, red ink (an official seal stamped over the 落款) turned white."""
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB")).astype(np.int16)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        red = (r > 120) & (r - np.maximum(g, b) > 60)
        gray = np.asarray(image.convert("L")).copy()
        gray[red] = 255
        return gray
    return np.asarray(image.convert("L"))


def _despeckle(gray: np.ndarray) -> np.ndarray:
    """A 3×3 median over a grainy page: the grain of the paper (its spread of grey levels
    between neighbouring pixels) would otherwise be read as ink and as characters."""
    from PIL import Image, ImageFilter

    sample = gray[::4, ::4].astype(np.int16)
    paper = sample > np.median(sample) - 25
    grain = np.abs(np.diff(sample, axis=1))[paper[:, 1:] & paper[:, :-1]]
    if grain.size == 0 or float(np.median(grain)) < _GRAIN:
        return gray
    return np.asarray(Image.fromarray(gray).filter(ImageFilter.MedianFilter(3)))


def _pixels(bbox, scale: float, shape) -> tuple[int, int, int, int]:
    h, w = shape
    x0, top, x1, bottom = bbox
    return (max(0, int(x0 * scale) - 2), max(0, int(top * scale) - 2),
            min(w, int(x1 * scale) + 3), min(h, int(bottom * scale) + 3))


def _cell_crop(clean: np.ndarray, dark: np.ndarray, bbox, scale: float) -> np.ndarray | None:
    """The ink of one cell, trimmed (rules already whitened in `clean`); None for an empty cell."""
    inset = 1                 # text may touch its cell's rules; the rules themselves are already white
    x0, top, x1, bottom = (int(round(v * scale)) for v in bbox)
    x0, top, x1, bottom = x0 + inset, top + inset, x1 - inset, bottom - inset
    if x1 - x0 < 4 or bottom - top < 4:
        return None
    region = dark[top:bottom, x0:x1]
    if int(region.sum()) < _MIN_INK:
        return None
    ys = np.flatnonzero(region.any(axis=1))
    xs = np.flatnonzero(region.any(axis=0))
    crop = clean[top + ys[0]:top + ys[-1] + 1, x0 + xs[0]:x0 + xs[-1] + 1]
    if crop.shape[0] > _VERTICAL * crop.shape[1] and crop.shape[0] > 3 * scale * 12:
        return _horizontal(crop, dark[top + ys[0]:top + ys[-1] + 1, x0 + xs[0]:x0 + xs[-1] + 1])
    return crop


def _horizontal(crop: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Text set vertically (one character per line, 三、本年度办理结果) laid out as one horizontal line."""
    rows = dark.any(axis=1)
    marks = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    glyphs = [crop[a:b] for a, b in zip(marks[::2], marks[1::2])]
    height = max(g.shape[0] for g in glyphs)
    gap = max(4, crop.shape[1] // 5)
    width = sum(g.shape[1] for g in glyphs) + gap * (len(glyphs) - 1)
    line = np.full((height, width), 255, dtype=crop.dtype)
    x = 0
    for g in glyphs:
        y = height - g.shape[0] if g.shape[0] < height // 3 else (height - g.shape[0]) // 2
        line[y:y + g.shape[0], x:x + g.shape[1]] = g       # a small mark (、) sits low, like a comma
        x += g.shape[1] + gap
    return line


def _read_slots(slots: list[_Slot], engine: OcrEngine, dpi: int) -> None:
    """OCR every cell crop: one strip per call; then value-like cells again in digit mode.

    Value-like: no Chinese read (0 read as O, 1 as ]), or one or two uncertain
    characters (5 read as 可); there the digit read wins when it is surer, or when
    the other cells of its row or of its column are numbers.
    """
    _read_strips(slots, engine, "text", dpi)
    if dpi < 250:
        # Table type (10-12pt) is small at scan resolutions: read once more enlarged, keep the surer read.
        first = {id(slot): slot.lines for slot in slots}
        _read_strips(slots, engine, "text", dpi, zoom=2)
        for slot in slots:
            if _confidence(first[id(slot)]) >= _confidence(slot.lines):
                slot.lines = first[id(slot)]
    numbers: dict[tuple[str, int, int], list[bool]] = {}      # (row|column, table, index) -> numbers?
    for slot in slots:
        if slot.lines:
            number = bool(_NUMBER.match("".join(t for _, t, _ in slot.lines)))
            numbers.setdefault(("row", slot.table, slot.cell.r0), []).append(number)
            numbers.setdefault(("column", slot.table, slot.cell.c0), []).append(number)

    def among_numbers(slot: _Slot) -> bool:
        return any(sum(seen) >= _AMONG_NUMBERS * len(seen) for seen in (
            numbers.get(("row", slot.table, slot.cell.r0), []), numbers.get(("column", slot.table, slot.cell.c0), [])))

    candidates = []
    for slot in slots:
        text = "".join(t for _, t, _ in slot.lines)
        if not _CJK_CHAR.search(text) and len(text) <= _MAX_DIGITS:
            candidates.append((slot, None))
        elif len(text) <= 2 and (_confidence(slot.lines) < _SURE or among_numbers(slot)):
            candidates.append((slot, _confidence(slot.lines)))
    text_read = {id(slot): slot.lines for slot, _ in candidates}
    for slot, _ in candidates:
        slot.lines = []
    _read_strips([slot for slot, _ in candidates], engine, "digits", dpi)
    for slot, text_conf in candidates:
        digits = slot.lines
        if not digits or (text_conf is not None and not among_numbers(slot) and _confidence(digits) <= text_conf):
            slot.lines = text_read[id(slot)]   # the text model's read stands


def _confidence(lines: list[tuple[int, str, float]]) -> float:
    return min((c for _, _, c in lines), default=-1.0)


def _read_strips(slots: list[_Slot], engine: OcrEngine, mode: str, dpi: int, zoom: int = 1) -> None:
    """OCR the crops stacked into strips; each line read goes to the crop it lies on."""
    from PIL import Image

    start = 0
    while start < len(slots):
        batch: list[_Slot] = []
        y = _PAD
        width = 0
        for slot in slots[start:]:
            h, w = slot.crop.shape
            if batch and y + h + _PAD > _STRIP_MAX:
                break
            slot.top, slot.bottom = y, y + h
            y += h + _STRIP_GAP
            width = max(width, w)
            batch.append(slot)
        start += len(batch)
        strip = np.full((y + _PAD, width + 2 * _PAD), 255, dtype=np.uint8)
        for slot in batch:
            h, w = slot.crop.shape
            strip[slot.top:slot.top + h, _PAD:_PAD + w] = slot.crop
        tops = [s.top - _STRIP_GAP // 2 for s in batch]
        image = Image.fromarray(strip)
        if zoom > 1:
            image = image.resize((image.width * zoom, image.height * zoom), Image.Resampling.BICUBIC)
        for slot in batch:
            slot.lines = []
        for line in engine.read_lines(image, mode, dpi * zoom):
            centre = (line.bbox[1] + line.bbox[3]) / 2 / zoom
            i = bisect_right(tops, centre) - 1
            if i >= 0 and line.text.strip():
                batch[i].lines.append((line.bbox[1] // zoom, line.text.strip(), line.confidence))


def shift_items(items: list[tuple[float, str, Any]], dx: float, dy: float) -> list[tuple[float, str, Any]]:
    """Items moved by (dx, dy) points: from the rendering's origin to the page's coordinates."""
    from .grid import Row

    def move(b):
        return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)

    out: list[tuple[float, str, Any]] = []
    for top, kind, payload in items:
        if kind == "line":
            out.append((top + dy, kind, _Line([], *move((payload.x0, payload.top, payload.x1, payload.bottom)),
                                              text=payload.text)))
        else:
            out.append((top + dy, kind, [Row([(t, move(b)) for t, b in row.cells], move(row.bbox)) for row in payload]))
    return out
