"""PDF reports: running text and ruled tables from the page geometry.

One pass per page, through pdfplumber:

* The visible rules of the page (stroked rectangles and lines, thin filled
  bars) are handed to pdfplumber's own table finder as explicit edges.
  Invisible geometry is left out: word processors (WPS, Word) paint a white
  unstroked rectangle behind every paragraph line and every table cell, and
  pdfplumber's default "lines" strategy would take the whole body text for a
  table.
* Every character is assigned once: to the table cell its centre lies in,
  or else to the running text. Cell text and text lines are both built from
  that single assignment (no separate extract_text / extract_tables calls).
* A table is emitted row by row in the plain-text reference shape: cells
  left to right; a cell spanning several columns appears once; a cell
  spanning several rows has its text in its first row and "" below.
* Boxes that are not tables are read as running text: a single cell (a
  page frame or a text box), a single column, and any cell holding a
  paragraph of prose (a page frame whose sides touch a table's).
* A table that opens a page right after a table that closed the previous
  page (no text between) is the same table continued: same `table` index.
* Page numbers (“- 3 -”, “第3页 共5页”) in the top or bottom margin and
  running heads/footers repeated on several pages are removed.
* A page that is an image (a scan: images cover it, next to no text layer)
  is read by OCR (scan.py) into the same lines and rows; its locations say
  `ocr=True`. Without an OCR engine the file is unreadable, with that reason.
  Tables as grids of cells come from grid.py for both kinds of page.

Each page's cached objects are released before the next page is read, so a
PDF with hundreds of pages is read in constant memory per page (pdfminer's
document-level object cache aside).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..document import Block, Cell, Document
from ..errors import InputError, NianbaoError, UnreadableInput
from ..model import Location, ParseNote
from ..ocr import OcrUnavailable
from . import pdf_guard, scan
from .grid import Grid, build_grid, closing_edges, grid_rows

# ---------------------------------------------------------------------------
# Text normalisation

# Ideographs, kana, CJK punctuation and full-width forms: characters between
# which a space is never part of Chinese text (only a justification gap).
_CJK = (
    "\u2e80-\u2fdf"      # CJK radicals, Kangxi radicals
    "\u3000-\u303f"      # CJK symbols and punctuation
    "\u3040-\u30ff"      # kana
    "\u3400-\u4dbf"      # extension A
    "\u4e00-\u9fff"      # unified ideographs
    "\uf900-\ufaff"      # compatibility ideographs
    "\ufe30-\ufe4f"      # compatibility forms
    "\uff00-\uffef"      # full-width forms
    "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7\u2160-\u217f\u2460-\u24ff"
)
# Punctuation that takes no space on either side, whatever its neighbour.
_CJK_PUNCT = (
    "\u3000-\u303f\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
)
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACE_AFTER_PUNCT = re.compile(rf"(?<=[{_CJK_PUNCT}])\s+")
_SPACE_BEFORE_PUNCT = re.compile(rf"\s+(?=[{_CJK_PUNCT}])")
_SPACES = re.compile(r"\s+")

# Kangxi radicals and compatibility ideographs are font-mapping artefacts
# (a PDF maps 一 to ⼀ U+2F00): fold them to the unified ideographs.
_RADICAL_FOLD: dict[int, str] = {}


def _radical_fold() -> dict[int, str]:
    if not _RADICAL_FOLD:
        import unicodedata
        for lo, hi in ((0x2E80, 0x2EF3), (0x2F00, 0x2FD5), (0xF900, 0xFAD9)):
            for cp in range(lo, hi + 1):
                ch = chr(cp)
                folded = unicodedata.normalize("NFKC", ch)
                if folded != ch and len(folded) == 1:
                    _RADICAL_FOLD[cp] = folded
    return _RADICAL_FOLD


def normalize_text(text: str) -> str:
    """Collapse white space; drop the spaces PDF justification puts between CJK characters."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return text
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _SPACE_AFTER_PUNCT.sub("", text)
    text = _SPACE_BEFORE_PUNCT.sub("", text)
    return text


# A page number alone on its line: - 3 -, —3—, 3, ·3·, 第3页, 第 3 页 共 5 页, 3/5, Page 3 of 5.
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－~～·•_]*"
    r"(?:(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*[,，]?\s*共\s*\d{1,4}\s*页)?"
    r"|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)"
    r"[\s\-—–－~～·•_]*$"
)
# A line that announces the continuation of a table does not end it.
_CONTINUED = re.compile(r"^\s*[（(]?\s*(?:续表|续上表|接上表)")
_DIGITS = re.compile(r"\d+")

# Geometry thresholds, in PDF points unless stated.
_THIN = 2.0               # a filled rectangle at most this thick is a drawn rule
_TOP_ZONE = 0.08          # running heads: line bottom within this fraction of the page height
_BOTTOM_ZONE = 0.92       # running footers: line top below this fraction
_PAGE_NO_TOP = 0.12       # page numbers are looked for in a wider margin band
_PAGE_NO_BOTTOM = 0.85
_PROSE_MIN_CHARS = 60     # a cell with this much text on ≥3 lines of ≥12 chars is a paragraph
_PROSE_MIN_LINES = 3
_PROSE_MIN_AVG = 12


# ---------------------------------------------------------------------------
# Errors


def _unreadable(path: str, message: str) -> UnreadableInput:
    return UnreadableInput(path, message)


def _describe_failure(path: str, exc: BaseException, truncated: bool) -> UnreadableInput:
    """Turn a pdfminer/pdfplumber failure into a one-line Chinese message."""
    inner = exc
    while getattr(inner, "args", None) and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    name = type(inner).__name__
    text = str(inner)
    if name in ("PDFPasswordIncorrect",) or "password" in text.lower():
        return _unreadable(path, "PDF 文件已加密，需要密码才能打开，无法提取内容；请提供未加密的版本")
    if name in ("PDFEncryptionError", "PDFEncryptionWarning") or "encrypt" in text.lower():
        return _unreadable(path, "PDF 文件已加密，且加密方式无法处理，无法提取内容；请提供未加密的版本")
    if truncated:
        return _unreadable(path, "PDF 文件不完整（缺少文件结束标记，可能在下载或复制时被截断），无法读取")
    if name == "PDFSyntaxError" and "Root" in text:
        return _unreadable(path, "文件不是有效的 PDF 文档（找不到文档结构），可能已损坏或并非 PDF 文件")
    return _unreadable(path, "PDF 文件已损坏，无法解析其内容")


def _looks_truncated(path: str) -> bool:
    """A complete PDF ends with %%EOF (possibly followed by a little padding)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 16384))
            tail = fh.read()
    except OSError:
        return False
    return b"%%EOF" not in tail


# ---------------------------------------------------------------------------
# Geometry helpers


def _is_white(color: Any) -> bool:
    if color is None or isinstance(color, str):
        return False          # default black, or a pattern
    if isinstance(color, (int, float)):
        color = (color,)
    try:
        values = [float(v) for v in color]
    except (TypeError, ValueError):
        return False
    if len(values) == 1:
        return values[0] >= 0.98
    if len(values) == 3:
        return all(v >= 0.98 for v in values)
    if len(values) == 4:      # CMYK
        return all(v <= 0.02 for v in values)
    return False


def _visible_rules(page: Any) -> list[dict]:
    """Edges of the graphic objects that draw a visible rule: what a reader sees as borders."""
    from pdfplumber.utils import obj_to_edges

    objs: list[dict] = []
    for rect in page.rects:
        if rect.get("stroke") and not _is_white(rect.get("stroking_color")):
            objs.append(rect)
        elif (rect.get("fill") and not _is_white(rect.get("non_stroking_color"))
              and min(rect["width"], rect["height"]) <= _THIN):
            objs.append(rect)
    for line in page.lines:
        if min(line["width"], line["height"]) > 1.0:
            continue                      # a diagonal (corner header slash), not a rule
        if line.get("stroke", True) and not _is_white(line.get("stroking_color")):
            objs.append(line)
        elif line.get("fill") and not _is_white(line.get("non_stroking_color")):
            objs.append(line)
    for curve in page.curves:
        if curve.get("stroke") and not _is_white(curve.get("stroking_color")):
            objs.append(curve)
    edges = []
    for obj in objs:
        for e in obj_to_edges(obj):
            if e.get("orientation") in ("h", "v"):
                edges.append(e)
    return edges + closing_edges(edges)


@dataclass
class _Line:
    chars: list[dict]
    x0: float
    top: float
    x1: float
    bottom: float
    text: str = ""


def _char_size(c: dict) -> float:
    size = c.get("size") or (c["bottom"] - c["top"])
    return float(size) if size and size > 0 else 10.0


def _group_lines(chars: list[dict]) -> list[_Line]:
    """Cluster characters into printed lines (top to bottom), each left to right."""
    if not chars:
        return []
    ordered = sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2)
    groups: list[list[dict]] = []
    centre_sum = 0.0
    size_max = 0.0
    current: list[dict] = []
    for c in ordered:
        cy = (c["top"] + c["bottom"]) / 2
        size = _char_size(c)
        if current and abs(cy - centre_sum / len(current)) <= 0.35 * max(size_max, size):
            current.append(c)
            centre_sum += cy
            size_max = max(size_max, size)
            continue
        if current:
            groups.append(current)
        current = [c]
        centre_sum = cy
        size_max = size
    groups.append(current)

    lines = []
    for group in groups:
        group.sort(key=lambda c: (c["x0"], c["top"]))
        kept = _dedupe(group)
        line = _Line(
            kept,
            min(c["x0"] for c in kept), min(c["top"] for c in kept),
            max(c["x1"] for c in kept), max(c["bottom"] for c in kept),
        )
        line.text = _line_text(kept)
        if line.text:
            lines.append(line)
    return lines


def _dedupe(chars: list[dict]) -> list[dict]:
    """Drop a character drawn twice at (nearly) the same place (simulated bold)."""
    out: list[dict] = []
    for c in chars:
        if out:
            p = out[-1]
            w = max(0.5, c["x1"] - c["x0"])
            if (p["text"] == c["text"] and abs(p["x0"] - c["x0"]) < 0.3 * w
                    and abs(p["top"] - c["top"]) < 0.3 * max(0.5, c["bottom"] - c["top"])):
                continue
        out.append(c)
    return out


def _line_text(chars: list[dict]) -> str:
    parts: list[str] = []
    prev = None
    for c in chars:
        t = c["text"]
        if prev is not None:
            gap = c["x0"] - prev["x1"]
            if gap > max(1.0, 0.15 * _char_size(c)):
                parts.append(" ")
        parts.append(t)
        prev = c
    return normalize_text("".join(parts))


def _join_cell_lines(lines: list[_Line]) -> str:
    """Join the printed lines of one cell: no separator in Chinese, a space between Latin words."""
    out = ""
    for line in lines:
        t = line.text
        if out and t and out[-1].isascii() and out[-1].isalpha() and t[0].isascii() and t[0].isalpha():
            out += " "
        out += t
    return normalize_text(out)


def _is_prose(lines: list[_Line]) -> bool:
    if len(lines) < _PROSE_MIN_LINES:
        return False
    total = sum(len(l.text) for l in lines)
    return total >= _PROSE_MIN_CHARS and total / len(lines) >= _PROSE_MIN_AVG


# ---------------------------------------------------------------------------
# Page reading


@dataclass
class _PageResult:
    # (top, kind, payload): kind "line" -> _Line, "table" -> list[Row]
    items: list[tuple[float, str, Any]]
    top: float            # page box, for the margin bands
    height: float
    char_count: int
    cid_count: int
    has_images: bool
    ocr: bool = False     # items read by OCR from the page image
    needs_ocr: bool = False
    # Large images on a page that has a text layer (PDF points), to be read by OCR; once
    # read, the same boxes mark which items came from OCR.
    image_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)


# A page is a scan when images cover this much of it and its text layer has
# fewer characters than this (a scanner may add a page number as text).
_SCAN_IMAGE_COVER = 0.3
_SCAN_MAX_CHARS = 10


_TABLE_SETTINGS = {"vertical_strategy": "explicit", "horizontal_strategy": "explicit"}


def _read_page(page: Any) -> _PageResult:
    height = float(page.height)
    px0, ptop, px1, pbottom = (float(v) for v in page.bbox)
    chars = []
    cid = 0
    for c in page.chars:
        t = c.get("text") or ""
        if not t or t.isspace():
            continue
        cx = (c["x0"] + c["x1"]) / 2
        cy = (c["top"] + c["bottom"]) / 2
        if not (px0 - 1 <= cx <= px1 + 1 and ptop - 1 <= cy <= pbottom + 1):
            continue                                 # outside the visible page
        if t.startswith("(cid:"):
            cid += 1
        elif len(t) == 1 and ord(t) in _radical_fold():
            c = dict(c, text=_radical_fold()[ord(t)])
        chars.append(c)
    has_images = bool(page.images) if not chars else False
    if len(chars) < _SCAN_MAX_CHARS and scan.image_cover(page) >= _SCAN_IMAGE_COVER:
        return _PageResult([], ptop, height, 0, 0, True, needs_ocr=True)
    image_boxes = scan.content_images(page) if chars else []

    grids: list[Grid] = []
    if chars:
        rules = _visible_rules(page)
        vertical = [e for e in rules if e["orientation"] == "v"]
        horizontal = [e for e in rules if e["orientation"] == "h"]
        if len(vertical) >= 2 and len(horizontal) >= 2:
            pdf_guard.check_rules(vertical, horizontal, page.page_number)
            settings = dict(_TABLE_SETTINGS, explicit_vertical_lines=vertical,
                            explicit_horizontal_lines=horizontal)
            try:
                tables = page.find_tables(settings)
            except ValueError:      # fewer than two rules in one orientation
                tables = []
            for table in tables:
                grid = build_grid(table)
                if grid is not None:
                    grids.append(grid)

    body: list[dict] = []
    if grids:
        for c in chars:
            cx = (c["x0"] + c["x1"]) / 2
            cy = (c["top"] + c["bottom"]) / 2
            for grid in grids:
                gx0, gt, gx1, gb = grid.bbox
                if gx0 <= cx <= gx1 and gt <= cy <= gb:
                    cell = grid.locate(cx, cy) or grid.nearest(cx, cy)
                    cell.chars.append(c)
                    break
            else:
                body.append(c)
    else:
        body = chars

    items: list[tuple[float, str, Any]] = []
    for grid in grids:
        for cell in grid.cells:
            if cell.chars:
                cell.lines = _group_lines(cell.chars)
                cell.text = _join_cell_lines(cell.lines)
        # Not a table: one cell (a page frame, a text box) or one column.
        not_table = len(grid.cells) < 2 or len(grid.xs) < 2
        # A paragraph of prose filling a row: a page frame that touches a table.
        prose = {i for i, cell in enumerate(grid.cells) if _is_prose(cell.lines)}
        for i in prose:
            cell = grid.cells[i]
            cell.text = ""
            body.extend(cell.chars)
        if not_table:
            for cell in grid.cells:
                if cell.text:
                    body.extend(cell.chars)
            continue
        rows = grid_rows(grid)
        if rows:
            items.append((rows[0].bbox[1], "table", rows))

    for line in _group_lines(body):
        items.append((line.top, "line", line))
    items.sort(key=lambda it: it[0])
    return _PageResult(_without_page_numbers(items, ptop, height), ptop, height, len(chars), cid, has_images,
                       image_boxes=image_boxes)


def _without_page_numbers(items: list[tuple[float, str, Any]], ptop: float, height: float) -> list:
    """Drop page numbers printed alone in the top or bottom margin."""
    kept = []
    for top, kind, payload in items:
        if kind == "line" and _PAGE_NUMBER.match(payload.text) and (
                payload.bottom <= ptop + _PAGE_NO_TOP * height or payload.top >= ptop + _PAGE_NO_BOTTOM * height):
            continue
        kept.append((top, kind, payload))
    return kept


# ---------------------------------------------------------------------------
# Metadata


def _decode_info(value: Any) -> str | None:
    try:
        if hasattr(value, "resolve"):
            value = value.resolve()
        if isinstance(value, bytes):
            if value.startswith(b"\xfe\xff"):
                return value[2:].decode("utf-16-be", "replace").rstrip("\x00")
            if value.startswith(b"\xff\xfe"):       # little-endian BOM: not per spec, but seen (WPS/Jisupdf)
                return value[2:].decode("utf-16-le", "replace").rstrip("\x00")
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                from pdfminer.utils import decode_text
                return decode_text(value)
        if isinstance(value, str):
            return value
        name = getattr(value, "name", None)
        if isinstance(name, str):
            return name
    except Exception:   # metadata is informative only
        return None
    return None


_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*([Zz+\-])?\s*(\d{2})?'?(\d{2})?'?")


def _iso_date(raw: str) -> str:
    m = _PDF_DATE.match(raw.strip())
    if not m:
        return raw
    y, mo, d, h, mi, s, sign, th, tm = m.groups()
    out = f"{y}-{mo or '01'}-{d or '01'}T{h or '00'}:{mi or '00'}:{s or '00'}"
    if sign in ("Z", "z"):
        out += "Z"
    elif sign in ("+", "-") and th:
        out += f"{sign}{th}:{tm or '00'}"
    return out


def _properties(pdf: Any, pages: int) -> dict[str, str]:
    keys = {"Title": "title", "Author": "author", "Subject": "subject", "Creator": "creator",
            "Producer": "producer", "CreationDate": "creation_date", "ModDate": "mod_date"}
    props: dict[str, str] = {"pages": str(pages)}
    for info in getattr(pdf.doc, "info", None) or []:
        for key, name in keys.items():
            if key in info:
                text = _decode_info(info[key])
                if text and text.strip():
                    text = text.strip()
                    props[name] = _iso_date(text) if name.endswith("_date") else text
    return props


# ---------------------------------------------------------------------------
# Document


def _quiet_pdfminer() -> None:
    """pdfminer calls `log.debug(...)` for every token of every content stream (about 30,000 on a
    page of a WPS report): two Python calls each even with debug logging off, ~2.5% of reading a
    PDF. While none of its loggers is enabled for DEBUG, their `debug` is a no-op (checked on each
    read, so turning debug logging on brings the messages back)."""
    import logging

    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not name.startswith("pdfminer") or not isinstance(logger, logging.Logger):
            continue
        if logger.isEnabledFor(logging.DEBUG):
            logger.__dict__.pop("debug", None)
        else:
            logger.debug = _ignore


def _ignore(*_args, **_kwargs) -> None:
    return None


def read_pdf(path: str) -> Document:
    """Read a PDF report into a Document of text lines and table rows, in reading order."""
    import pdfplumber

    from . import pdf_content

    _quiet_pdfminer()
    pdf_content.install()

    path = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        raise InputError(path, "文件不存在") from None
    except IsADirectoryError:
        raise InputError(path, "这是一个目录，不是报告文件") from None
    except OSError as exc:
        raise InputError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if not head:
        raise InputError(path, "文件为空（0 字节）")
    if b"%PDF-" not in head:
        raise _unreadable(path, "文件不是有效的 PDF 文档（缺少 PDF 文件头），可能已损坏或并非 PDF 文件")
    truncated = _looks_truncated(path)
    pdf_guard.reset()

    doc = Document(source=path, format="pdf")
    results: list[tuple[int, _PageResult]] = []
    total_chars = 0
    total_cid = 0
    image_pages: list[int] = []
    no_engine = ""                 # why scanned pages cannot be read here (no OCR engine)
    unread_scans: list[int] = []
    pdf = None
    try:
        pdf = pdfplumber.open(path)
        pdf_guard.check_pages(pdf.doc)
        for page in pdf.pages:
            try:
                res = _read_page(page)
                if res.needs_ocr or res.image_boxes:
                    try:
                        res = scan.read_images(page, res)
                    except OcrUnavailable as exc:
                        no_engine = str(exc)
                        unread_scans.append(page.page_number)
            finally:
                page.close()
            total_chars += res.char_count
            total_cid += res.cid_count
            if res.char_count == 0 and res.has_images:
                image_pages.append(page.page_number)
            results.append((page.page_number, res))
        page_count = len(pdf.pages)
        doc.properties = _properties(pdf, page_count)
    except NianbaoError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # pdfminer raises many kinds; none may leak out
        raise pdf_guard.failure(path) or _describe_failure(path, exc, truncated) from None
    finally:
        if pdf is not None:
            pdf_guard.close(pdf)
    pdf_guard.raise_if_tripped(path)      # a budget failure a library caught and went past

    if unread_scans:
        pages = "、".join(str(n) for n in unread_scans)
        raise _unreadable(path, f"第{pages}页的内容是图片（扫描件或插图），没有可提取的文字层，需用 OCR 识别，但{no_engine}")
    if total_chars == 0:
        if truncated:
            raise _unreadable(path, "PDF 文件不完整（缺少文件结束标记，可能在下载或复制时被截断），无法读取")
        if page_count == 0:
            raise _unreadable(path, "PDF 文件中没有任何页面，无法读取")
        if any(res.ocr for _, res in results):
            raise _unreadable(path, "PDF 文件没有可提取的文字层（可能是扫描件或图片），OCR 也未能从页面图像中"
                                    "识别出文字；请提供清晰的扫描件或由文字处理软件直接导出的 PDF")
        raise _unreadable(path, "PDF 文件没有可提取的文字层（可能是扫描件或图片），无法读取文字；"
                                "请提供由文字处理软件直接导出的 PDF，或经 OCR 识别的版本")
    if total_cid * 2 > total_chars:
        raise _unreadable(path, "PDF 文件的文字无法解码（字体缺少字符映射），无法读取文字内容")

    _emit(doc, path, results)
    doc.ocr_pages = [number for number, res in results if (res.ocr and res.char_count) or res.image_boxes]
    for number in image_pages:
        loc = Location(path, page=number)
        ocr_tried = "，OCR 也未能识别出文字" if number in {n for n, r in results if r.ocr} else ""
        doc.notes.append(ParseNote(
            "parse.unreadable",
            f"第{number}页只有图片、没有文字层（可能是扫描或截图）{ocr_tried}，该页内容未能读取",
            loc, [], {"page": number, "kind": "image_page"}))
    return doc


def _emit(doc: Document, path: str, results: list[tuple[int, _PageResult]]) -> None:
    """Turn per-page items into blocks: drop running heads/footers, number tables."""
    # Running heads and footers: margin lines whose text (digits aside) recurs on two or more pages.
    seen: dict[str, set[int]] = {}
    for number, res in results:
        for _, kind, payload in res.items:
            if kind == "line" and _in_margin(payload, res):
                seen.setdefault(_DIGITS.sub("#", payload.text), set()).add(number)
    running = {key for key, pages in seen.items() if len(pages) >= 2}

    table_index = -1
    last_kind = None          # "line" | "row" of the last emitted block
    last_row_page = None
    for number, res in results:
        first_table_on_page = True
        for _, kind, payload in res.items:
            ocr = res.ocr or _inside(_box(payload) if kind == "line" else payload[0].bbox, res.image_boxes)
            if kind == "line":
                if _in_margin(payload, res) and _DIGITS.sub("#", payload.text) in running:
                    continue
                loc = Location(path, page=number, bbox=_box(payload), ocr=ocr)
                doc.blocks.append(Block.line(payload.text, loc))
                if not _CONTINUED.match(payload.text):
                    last_kind = "line"
                continue
            # A table that opens a page right after a table that closed the
            # previous one (no text between) is that table continued.
            continues = (first_table_on_page and last_kind == "row"
                         and last_row_page is not None and last_row_page == number - 1)
            if not continues:
                table_index += 1
            first_table_on_page = False
            for row in payload:
                cells = [Cell(text, Location(path, page=number, bbox=_round(b), ocr=ocr)) for text, b in row.cells]
                doc.blocks.append(Block.row(cells, Location(path, page=number, bbox=_round(row.bbox), ocr=ocr),
                                            table=table_index))
            last_kind = "row"
            last_row_page = number


def _inside(box: Iterable[float], boxes: list[tuple[float, float, float, float]]) -> bool:
    """Whether the centre of `box` lies in one of `boxes` (an OCR'd image region)."""
    x0, top, x1, bottom = box
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    return any(a <= cx <= c and b <= cy <= d for a, b, c, d in boxes)


def _in_margin(line: _Line, res: _PageResult) -> bool:
    return (line.bottom <= res.top + _TOP_ZONE * res.height
            or line.top >= res.top + _BOTTOM_ZONE * res.height)


def _round(b: Iterable[float]) -> tuple[float, float, float, float]:
    x0, top, x1, bottom = (round(float(v), 2) for v in b)
    return (x0, top, x1, bottom)


def _box(line: _Line) -> tuple[float, float, float, float]:
    return _round((line.x0, line.top, line.x1, line.bottom))
