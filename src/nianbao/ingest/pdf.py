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

Each page's cached objects are released before the next page is read, so a
PDF with hundreds of pages is read in constant memory per page (pdfminer's
document-level object cache aside).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..document import Block, Cell, Document
from ..errors import InputError, NianbaoError, UnreadableInput
from ..model import Location, ParseNote
from . import pdf_guard

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
    return edges + _closing_edges(edges)


def _closing_edges(edges: list[dict], tol: float = 3.0) -> list[dict]:
    """Horizontal rules a table lacks where it breaks across pages.

    Word processors often draw no bottom border under the last row before a
    page break (and no top border above the first row after it): the column
    rules simply stop. Where two or more vertical rules end at the same
    height and no horizontal rule closes the span between them, add one.
    """
    verticals = [e for e in edges if e["orientation"] == "v" and e["height"] >= tol]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    out: list[dict] = []
    for key in ("top", "bottom"):
        ends = sorted(verticals, key=lambda e: e[key])
        cluster: list[dict] = []
        for e in ends + [None]:
            if e is not None and cluster and e[key] - cluster[0][key] <= tol:
                cluster.append(e)
                continue
            if len(cluster) >= 2:
                y = sum(c[key] for c in cluster) / len(cluster)
                x0 = min(c["x0"] for c in cluster)
                x1 = max(c["x0"] for c in cluster)
                if x1 - x0 > tol and not _covered(horizontals, y, x0, x1, tol):
                    out.append({
                        "object_type": "closing_edge", "orientation": "h",
                        "x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0.0,
                        "doctop": y + (cluster[0]["doctop"] - cluster[0]["top"]) if "doctop" in cluster[0] else y,
                    })
            cluster = [e] if e is not None else []
    return out


def _covered(horizontals: list[dict], y: float, x0: float, x1: float, tol: float) -> bool:
    """Whether horizontal rules at height y cover [x0, x1] (gaps up to tol allowed)."""
    spans = sorted((h["x0"], h["x1"]) for h in horizontals if abs(h["top"] - y) <= tol)
    reach = x0
    for a, b in spans:
        if a > reach + tol:
            break
        reach = max(reach, b)
    return reach >= x1 - tol


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
# Tables


@dataclass
class _GridCell:
    bbox: tuple[float, float, float, float]
    r0: int
    r1: int
    c0: int
    c1: int
    chars: list[dict] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    text: str = ""


@dataclass
class _Grid:
    bbox: tuple[float, float, float, float]
    tops: list[float]          # top of each grid row
    bottoms: list[float]       # bottom of each grid row
    xs: list[float]            # left of each grid column
    cells: list[_GridCell]
    occ: list[list[int | None]]  # [row][col] -> index in cells

    def locate(self, x: float, y: float) -> _GridCell | None:
        r = bisect_right(self.tops, y) - 1
        c = bisect_right(self.xs, x) - 1
        if r < 0 or c < 0:
            return None
        idx = self.occ[r][c]
        return self.cells[idx] if idx is not None else None

    def nearest(self, x: float, y: float) -> _GridCell:
        def dist(cell: _GridCell) -> float:
            x0, t, x1, b = cell.bbox
            dx = max(x0 - x, 0.0, x - x1)
            dy = max(t - y, 0.0, y - b)
            return dx * dx + dy * dy
        return min(self.cells, key=dist)


def _build_grid(table: Any) -> _Grid | None:
    boxes = [tuple(float(v) for v in b) for b in table.cells]
    if not boxes:
        return None
    tops = sorted({b[1] for b in boxes})
    xs = sorted({b[0] for b in boxes})
    eps = 0.5
    cells: list[_GridCell] = []
    for b in boxes:
        r0 = tops.index(b[1])
        c0 = xs.index(b[0])
        r1 = max(r0, bisect_right(tops, b[3] - eps) - 1)
        c1 = max(c0, bisect_right(xs, b[2] - eps) - 1)
        cells.append(_GridCell(b, r0, r1, c0, c1))
    occ: list[list[int | None]] = [[None] * len(xs) for _ in tops]
    for i, cell in enumerate(cells):
        for r in range(cell.r0, cell.r1 + 1):
            for c in range(cell.c0, cell.c1 + 1):
                if occ[r][c] is None:
                    occ[r][c] = i
    bottoms = []
    for r in range(len(tops)):
        row_bottoms = [cells[i].bbox[3] for i in set(occ[r]) if i is not None and cells[i].r1 == r]
        nxt = tops[r + 1] if r + 1 < len(tops) else max(b[3] for b in boxes)
        bottoms.append(min(row_bottoms) if row_bottoms else nxt)
    x0 = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    bottom = max(b[3] for b in boxes)
    return _Grid((x0, top, x1, bottom), tops, bottoms, xs, cells, occ)


@dataclass
class _Row:
    cells: list[tuple[str, tuple[float, float, float, float]]]
    bbox: tuple[float, float, float, float]


def _grid_rows(grid: _Grid) -> list[_Row]:
    rows: list[_Row] = []
    for r, top in enumerate(grid.tops):
        bottom = grid.bottoms[r]
        out: list[tuple[str, tuple[float, float, float, float]]] = []
        for c in range(len(grid.xs)):
            idx = grid.occ[r][c]
            if idx is None:
                continue
            cell = grid.cells[idx]
            if cell.c0 != c:
                continue                       # spanned from a column to the left
            if cell.r0 == r:
                out.append((cell.text, cell.bbox))
            else:                              # spanned from a row above
                x0, _, x1, _ = cell.bbox
                out.append(("", (x0, top, x1, max(top, bottom))))
        if not out or not any(text for text, _ in out):
            continue
        bbox = (min(b[0] for _, b in out), min(b[1] for _, b in out),
                max(b[2] for _, b in out), max(b[3] for _, b in out))
        rows.append(_Row(out, bbox))
    return rows


# ---------------------------------------------------------------------------
# Page reading


@dataclass
class _PageResult:
    # (top, kind, payload): kind "line" -> _Line, "table" -> list[_Row]
    items: list[tuple[float, str, Any]]
    top: float            # page box, for the margin bands
    height: float
    char_count: int
    cid_count: int
    has_images: bool


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

    grids: list[_Grid] = []
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
                grid = _build_grid(table)
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
        rows = _grid_rows(grid)
        if rows:
            items.append((rows[0].bbox[1], "table", rows))

    for line in _group_lines(body):
        items.append((line.top, "line", line))
    items.sort(key=lambda it: it[0])
    # Page numbers in the margins.
    kept = []
    for top, kind, payload in items:
        if kind == "line" and _PAGE_NUMBER.match(payload.text) and (
                payload.bottom <= ptop + _PAGE_NO_TOP * height or payload.top >= ptop + _PAGE_NO_BOTTOM * height):
            continue
        kept.append((top, kind, payload))
    return _PageResult(kept, ptop, height, len(chars), cid, has_images)


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


def read_pdf(path: str) -> Document:
    """Read a PDF report into a Document of text lines and table rows, in reading order."""
    import pdfplumber

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
    pdf = None
    try:
        pdf = pdfplumber.open(path)
        pdf_guard.check_pages(pdf.doc)
        for page in pdf.pages:
            try:
                res = _read_page(page)
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

    if total_chars == 0:
        if truncated:
            raise _unreadable(path, "PDF 文件不完整（缺少文件结束标记，可能在下载或复制时被截断），无法读取")
        if page_count == 0:
            raise _unreadable(path, "PDF 文件中没有任何页面，无法读取")
        raise _unreadable(path, "PDF 文件没有可提取的文字层（可能是扫描件或图片），无法读取文字；"
                                "请提供由文字处理软件直接导出的 PDF，或经 OCR 识别的版本")
    if total_cid * 2 > total_chars:
        raise _unreadable(path, "PDF 文件的文字无法解码（字体缺少字符映射），无法读取文字内容")

    _emit(doc, path, results)
    for number in image_pages:
        loc = Location(path, page=number)
        doc.notes.append(ParseNote(
            "parse.unreadable",
            f"第{number}页只有图片、没有文字层（可能是扫描或截图），该页内容未能读取",
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
            if kind == "line":
                if _in_margin(payload, res) and _DIGITS.sub("#", payload.text) in running:
                    continue
                loc = Location(path, page=number, bbox=_box(payload))
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
                cells = [Cell(text, Location(path, page=number, bbox=_round(b))) for text, b in row.cells]
                doc.blocks.append(Block.row(cells, Location(path, page=number, bbox=_round(row.bbox)),
                                            table=table_index))
            last_kind = "row"
            last_row_page = number


def _in_margin(line: _Line, res: _PageResult) -> bool:
    return (line.bottom <= res.top + _TOP_ZONE * res.height
            or line.top >= res.top + _BOTTOM_ZONE * res.height)


def _round(b: Iterable[float]) -> tuple[float, float, float, float]:
    x0, top, x1, bottom = (round(float(v), 2) for v in b)
    return (x0, top, x1, bottom)


def _box(line: _Line) -> tuple[float, float, float, float]:
    return _round((line.x0, line.top, line.x1, line.bottom))
