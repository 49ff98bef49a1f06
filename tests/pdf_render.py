"""Render a plain-text report into a PDF laid out like a government report.

Test helper (not a test module): `render_pdf(text, path)` turns a report in
the plain-text reference shape (running text lines; table rows as
tab-separated cells, as in the seed corpus and examples/sample-report.txt)
into an A4 PDF such as a word processor exports:

* the title centred in a large size, section headings, paragraphs with a
  first-line indent, wrapped to the page width (Chinese wraps at any
  character; Latin words and numbers are not split);
* tables drawn as grids of stroked rules, with merged cells where real
  reports merge them: header cells spanning the columns and header rows
  they head, in table 3 the `三、本年度办理结果` cell spanning the result
  rows, each `（三）不予公开`-style group cell spanning its items, rows
  without items spanning the item column; a label too long for its cell
  wraps inside it;
* tables that do not fit continue on the next page (a merged cell is cut
  at the page break, its text printed in the first part, as Word does);
* `- N -` page numbers at the bottom of every page;
* as WPS does, a white unstroked rectangle behind every line of text and
  every table cell (invisible geometry a reader must not take for rules).

The cell structure is derived from the text rows alone (label cells, then
value cells), whatever the seed: the renderer reproduces what the text says,
wrapped labels, empty cells and surplus values included, and fixes nothing.

Pages are written by the shared test PDF writer (pdf_writer.py): text in the
standard Adobe CJK font STSong-Light (UniGB-UCS2-H), which PDF readers must
supply themselves (no font file is embedded). Coordinates below are top-left
based (pdfplumber's), converted when written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fixtures_render import Line, Table, parse_plain
from nianbao.cells import is_label
from pdf_writer import PAGE_W, pdf_bytes, pdf_file  # noqa: F401  (pdf_file: for hostile-file tests)

LEFT, RIGHT = 64.0, 531.0              # text block
TOP, BOTTOM = 74.0, 768.0              # content stays out of the running head/foot bands
PAGE_NO_TOP = 796.0

TITLE_SIZE = 18.0
HEADING_SIZE = 14.0
BODY_SIZE = 12.0
CELL_SIZE = 9.0
VALUE_SIZE = 10.0
CELL_PAD = 3.0
CELL_LEADING = 1.25                    # line pitch inside cells, in font sizes
BODY_LEADING = 1.6
MIN_ROW = 16.0
HEADER_FILL = (0.84, 0.89, 0.96)       # the pale blue of the 第二十条 header rows
WHITE = (1.0, 1.0, 1.0)

_TOP_MARK = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_GROUP_MARK = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_ITEM_MARK = re.compile(r"^\d{1,2}\s*[.、．]")
_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_TERMINAL = "。！？；：!?;:，,"
_YEAR = re.compile(r"(?:19|20)\d{2}\s*年")
_NO_LINE_START = set("，。、；：？！）》」』”’〕】…,.;:?!)%")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,:/_\-@%][A-Za-z0-9]+)*|.", re.S)


# ---------------------------------------------------------------------------
# Measuring and wrapping


def char_width(ch: str, size: float) -> float:
    """Advance of one character: ASCII is set half-width (CIDs 1-95), everything else full-width."""
    return size * 0.5 if " " <= ch <= "~" else size


def text_width(text: str, size: float) -> float:
    return sum(char_width(c, size) for c in text)


def wrap(text: str, width: float, size: float, first_width: float | None = None) -> list[str]:
    """Greedy line breaking: CJK at any character, Latin words and numbers kept whole.

    A break never falls at a space between two words (the reader would lose
    the space at the line end): the word before the space moves down too.
    `first_width` is the room on the first line (an indented paragraph).
    """
    text = text.strip()
    if not text:
        return []
    tokens: list[str] = []
    for tok in _WORD.findall(text):
        if len(tok) > 1 and text_width(tok, size) > width:
            tokens.extend(tok)                 # longer than a line: split anyway
        else:
            tokens.append(tok)
    lines: list[list[str]] = []
    cur: list[str] = []
    used = 0.0
    limit = width if first_width is None else first_width
    for tok in tokens:
        w = text_width(tok, size)
        if not cur and tok.isspace():
            continue
        if cur and used + w > limit + 0.01:
            keep = list(cur)
            nxt = [tok]
            if tok in _NO_LINE_START and len(cur) >= 2:
                nxt.insert(0, cur.pop())           # closing punctuation never opens a line
            # Neither may the line end, nor the next one start, at a space between words.
            while len(cur) >= 2 and (cur[-1].isspace() or nxt[0].isspace()):
                nxt.insert(0, cur.pop())
            if text_width("".join(nxt), size) > width:
                cur = keep                         # cannot carry that much: break plainly
                nxt = [] if tok.isspace() else [tok]
            lines.append(cur)
            cur = nxt
            used = text_width("".join(cur), size)
            limit = width
            continue
        cur.append(tok)
        used += w
    if cur:
        lines.append(cur)
    out = ["".join(l).strip() for l in lines]
    return [l for l in out if l]


# ---------------------------------------------------------------------------
# Pages: drawing operations for the shared test PDF writer (pdf_writer.py)


class _Page:
    def __init__(self) -> None:
        self.ops: list[tuple] = []

    def text(self, x: float, top: float, text: str, size: float) -> None:
        """Text whose em box starts at `top` (baseline at top + size: the font's ascent is 1000)."""
        if text:
            self.ops.append(("text", x, top, text, size))

    def line(self, x0: float, t0: float, x1: float, t1: float, width: float = 0.6) -> None:
        self.ops.append(("line", x0, t0, x1, t1, width))

    def fill(self, x0: float, t0: float, x1: float, t1: float, color: tuple[float, float, float]) -> None:
        self.ops.append(("rect", x0, t0, x1, t1, "f", color))


# ---------------------------------------------------------------------------
# Reading the plain text


def _parse(text: str) -> list[Line | Table]:
    """Text lines and tables as nianbao's text reader reads them (fixtures_render.parse_plain);
    an empty row prints as nothing."""
    items: list[Line | Table] = []
    for item in parse_plain(text):
        if isinstance(item, Table):
            item.rows = [row for row in item.rows if any(row)]
            if not item.rows:
                continue
        items.append(item)
    return items


# ---------------------------------------------------------------------------
# Table layout: cells with row spans and x extents


@dataclass
class _Cell:
    r0: int
    r1: int
    x0: float
    x1: float
    text: str = ""
    align: str = "l"          # l | c
    size: float = CELL_SIZE
    fill: tuple[float, float, float] | None = None
    lines: list[str] = field(default_factory=list)

    def prepare(self) -> float:
        """Wrap the text; return the height it needs."""
        width = self.x1 - self.x0 - 2 * CELL_PAD
        if self.text and not is_label(self.text) and text_width(self.text, self.size) > width:
            # A value is shrunk to fit its cell rather than broken.
            self.size = max(5.0, self.size * width / text_width(self.text, self.size))
        self.lines = wrap(self.text, width, self.size)
        return self.height()

    def height(self) -> float:
        """Height the wrapped text needs, padding included (0 for an empty cell)."""
        n = len(self.lines)
        return n * self.size * CELL_LEADING + 2 * CELL_PAD if n else 0.0


@dataclass
class _Grid:
    cells: list[_Cell]
    nrows: int
    heights: list[float] = field(default_factory=list)


def _is_value(text: str) -> bool:
    return bool(text.strip()) and not is_label(text)


def _split_row(cells: list[str]) -> tuple[list[str], list[str]]:
    """Label cells (up to the last label) and the value cells after them."""
    last = -1
    for i, c in enumerate(cells):
        if is_label(c):
            last = i
    return cells[: last + 1], cells[last + 1:]


def _equal_xs(x0: float, x1: float, n: int) -> list[float]:
    step = (x1 - x0) / n
    return [x0 + i * step for i in range(n)] + [x1]


def _layout_positional(rows: list[list[str]], xs: list[float], header: list[bool],
                       fills: list[tuple | None] | None = None) -> list[_Cell]:
    """Cells at their text positions (tables 2 and 4, table 3's header).

    A header cell extends right over the empty cells after it and down over
    the header rows below that are empty where it stands. A data cell
    extends right over empty cells only within the header cell above it.
    """
    ncols = len(xs) - 1
    nrows = len(rows)
    grid = [(row + [""] * ncols)[:ncols] for row in rows]
    occ = [[False] * ncols for _ in range(nrows)]
    cover: list[list[int]] = [[-1] * ncols for _ in range(nrows)]   # cell covering each column
    cells: list[_Cell] = []
    last_header: list[int] | None = None

    def emit(r0: int, r1: int, c0: int, c1: int, text: str, align: str, size: float, fill) -> None:
        cells.append(_Cell(r0, r1, xs[c0], xs[c1 + 1], text, align, size, fill))
        idx = len(cells) - 1
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                occ[r][c] = True
                cover[r][c] = idx

    for r in range(nrows):
        row = grid[r]
        fill = fills[r] if fills else None
        if header[r]:
            c = 0
            while c < ncols:
                if occ[r][c]:
                    c += 1
                    continue
                # Over the empty cells after it (empty leading cells make one blank cell).
                c1 = c
                while c1 + 1 < ncols and not occ[r][c1 + 1] and not row[c1 + 1]:
                    c1 += 1
                r1 = r
                while (row[c] and r1 + 1 < nrows and header[r1 + 1]
                       and all(not grid[r1 + 1][k] and not occ[r1 + 1][k] for k in range(c, c1 + 1))):
                    r1 += 1
                emit(r, r1, c, c1, row[c], "c", CELL_SIZE, fill)
                c = c1 + 1
            last_header = cover[r]
            continue
        # Data row: segments follow the header cells above.
        c = 0
        while c < ncols:
            if occ[r][c]:
                c += 1
                continue
            seg_end = c
            if last_header is not None and last_header[c] >= 0:
                while (seg_end + 1 < ncols and last_header[seg_end + 1] == last_header[c]
                       and not occ[r][seg_end + 1]):
                    seg_end += 1
            if seg_end > c and all(not row[k] for k in range(c + 1, seg_end + 1)):
                c1 = seg_end
            else:
                c1 = c
            text = row[c]
            emit(r, r, c, c1, text, "l" if is_label(text) else "c",
                 CELL_SIZE if is_label(text) else VALUE_SIZE, fill)
            c = c1 + 1
    return cells


def _label_level(text: str) -> int | None:
    compact = re.sub(r"\s+", "", text)
    if _GROUP_MARK.match(compact):
        return 1
    if _ITEM_MARK.match(compact):
        return 2
    if _TOP_MARK.match(compact):
        return 0
    return None


def _is_hierarchical(table: Table) -> bool:
    """Table 3: rows labelled by groups （一）（二）… and items 1. 2. …"""
    for row in table.rows:
        labels, _ = _split_row(row)
        if any(_label_level(c) == 1 for c in labels if c):
            return True
    return False


def _layout_table3(table: Table) -> _Grid:
    rows = table.rows
    width = RIGHT - LEFT
    label_w = [22.0, 64.0, 150.0]
    lx = [LEFT, LEFT + label_w[0], LEFT + label_w[0] + label_w[1], LEFT + sum(label_w)]

    split = [_split_row(r) for r in rows]
    # Where the body starts: the first row with values or a numbered label.
    body_start = len(rows)
    for i, (labels, values) in enumerate(split):
        if any(_is_value(v) for v in values) or any(_label_level(c) is not None for c in labels if c):
            body_start = i
            break

    def core(values: list[str]) -> tuple[int, list[str], int]:
        lead = 0
        while lead < len(values) and not values[lead].strip():
            lead += 1
        trail = 0
        while trail < len(values) - lead and not values[len(values) - 1 - trail].strip():
            trail += 1
        return lead, values[lead: len(values) - trail], trail

    counts: dict[int, int] = {}
    for labels, values in split[body_start:]:
        k = len(core(values)[1])
        if k:
            counts[k] = counts.get(k, 0) + 1
    nvalues = max(counts, key=lambda k: (counts[k], k)) if counts else 7
    vx = _equal_xs(lx[3], LEFT + width, nvalues)

    cells: list[_Cell] = []
    # Header rows: text positions; the label area counts as one column.
    header_rows = rows[:body_start]
    if header_rows:
        positions = [i for row in header_rows for i, c in enumerate(row) if c and i > 0]
        lh = min(positions) if positions else 1
        virtual = []
        for row in header_rows:
            v = ["".join(row[:lh])] + [""] * nvalues
            for i, c in enumerate(row[lh:]):
                at = min(1 + i, nvalues)          # text beyond the last column joins it
                v[at] += c
            virtual.append(v)
        cells.extend(_layout_positional(virtual, [lx[0]] + vx, [True] * len(virtual)))

    # Body rows: labels by level into the three label columns, values after.
    body = split[body_start:]
    placed: list[list[tuple[int, int, str]]] = []     # per row: (c0, c1, text) label cells
    prev_level = 2
    for labels, _ in body:
        texts = [c for c in labels if c]
        levels: list[int] = []
        for t in texts:
            lv = _label_level(t)
            if lv is None:
                lv = min(levels[-1] + 1, 2) if levels else prev_level
            levels.append(lv)
        if len(texts) > 3:
            texts = texts[:2] + ["".join(texts[2:])]
            levels = levels[:3]
        if any(b <= a for a, b in zip(levels, levels[1:])):
            levels = list(range(3 - len(texts), 3)) if texts else []
        row_cells = []
        for j, (lv, t) in enumerate(zip(levels, texts)):
            c1 = levels[j + 1] - 1 if j + 1 < len(levels) else 2
            row_cells.append((lv, c1, t))
        placed.append(row_cells)
        if levels:
            prev_level = levels[-1]

    offset = len(header_rows)
    nbody = len(body)
    occ = [[False] * 3 for _ in range(nbody)]
    for r, row_cells in enumerate(placed):
        for c0, c1, t in row_cells:
            if occ[r][c0]:
                continue
            r1 = r
            while r1 + 1 < nbody:
                nxt = placed[r1 + 1]
                if nxt and min(c for c, _, _ in nxt) <= c1:
                    break
                r1 += 1
            for rr in range(r, r1 + 1):
                for cc in range(c0, c1 + 1):
                    occ[rr][cc] = True
            cells.append(_Cell(offset + r, offset + r1, lx[c0], lx[c1 + 1], t, "l", CELL_SIZE))
        # Label columns nobody covers: one blank cell.
        c = 0
        while c < 3:
            if occ[r][c]:
                c += 1
                continue
            c1 = c
            while c1 + 1 < 3 and not occ[r][c1 + 1]:
                c1 += 1
            for cc in range(c, c1 + 1):
                occ[r][cc] = True
            cells.append(_Cell(offset + r, offset + r, lx[c], lx[c1 + 1]))
            c = c1 + 1
        # Values: the printed core, with the text's blank edge cells where the row is short.
        _, values = body[r]
        lead, kept, trail = core(values)
        if not kept:
            shown = [""] * nvalues
        else:
            need = max(0, nvalues - len(kept))
            shown = [""] * min(need, lead) + kept + [""] * min(need, trail)
        xs = vx if len(shown) == nvalues else _equal_xs(lx[3], LEFT + width, len(shown))
        for i, v in enumerate(shown):
            cells.append(_Cell(offset + r, offset + r, xs[i], xs[i + 1], v, "c", VALUE_SIZE))
    return _Grid(cells, len(rows))


def _layout_positional_table(table: Table) -> _Grid:
    rows = table.rows
    ncols = max(len(r) for r in rows)
    header = [not any(_is_value(c) for c in r) for r in rows]
    # A first column of row names is wider than the value columns.
    named = sum(1 for r, h in zip(rows, header) if not h and r and is_label(r[0]))
    if named and ncols > 1:
        first = min(170.0, (RIGHT - LEFT) * 0.36)
        xs = [LEFT] + _equal_xs(LEFT + first, RIGHT, ncols - 1)
    else:
        xs = _equal_xs(LEFT, RIGHT, ncols)
    fills = []
    for r in rows:
        texts = [c for c in r if c]
        fills.append(HEADER_FILL if len(texts) == 1 and re.match(r"^第.{1,6}条", texts[0]) else None)
    return _Grid(_layout_positional(rows, xs, header, fills), len(rows))


def layout_table(table: Table) -> _Grid:
    grid = _layout_table3(table) if _is_hierarchical(table) else _layout_positional_table(table)
    heights = [MIN_ROW] * grid.nrows
    need = [(c, c.prepare()) for c in grid.cells]
    for cell, h in need:
        if cell.r0 == cell.r1:
            heights[cell.r0] = max(heights[cell.r0], h)
    for cell, h in need:
        if cell.r1 > cell.r0:
            have = sum(heights[cell.r0: cell.r1 + 1])
            if h > have:
                extra = (h - have) / (cell.r1 - cell.r0 + 1)
                for r in range(cell.r0, cell.r1 + 1):
                    heights[r] += extra
    grid.heights = heights
    return grid


# ---------------------------------------------------------------------------
# Page flow


class _Flow:
    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = TOP
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = TOP

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def ensure(self, height: float) -> None:
        if self.y + height > BOTTOM and self.y > TOP:
            self.new_page()

    def text_lines(self, lines: list[str], size: float, align: str, indent: float = 0.0,
                   leading: float = BODY_LEADING, space_before: float = 0.0) -> None:
        if space_before and self.y > TOP:
            self.y += space_before
        for i, line in enumerate(lines):
            self.ensure(size * leading)
            w = text_width(line, size)
            if align == "c":
                x = (PAGE_W - w) / 2
            elif align == "r":
                x = RIGHT - w - 2 * size
            else:
                x = LEFT + (indent if i == 0 else 0.0)
            # WPS paints a white rectangle behind each line of text.
            self.page.fill(LEFT - 6, self.y, RIGHT + 6, self.y + size * leading, WHITE)
            self.page.text(x, self.y + (leading - 1) * size / 2, line, size)
            self.y += size * leading

    def table(self, grid: _Grid) -> None:
        self.y += 4
        heights = grid.heights
        r = 0
        while r < grid.nrows:
            # Rows that fit on this page; a merged cell must keep its text on the first part.
            avail = BOTTOM - self.y
            end = r
            used = 0.0
            while end < grid.nrows and used + heights[end] <= avail:
                used += heights[end]
                end += 1
            if end < grid.nrows:
                while end > r and not self._can_break(grid, r, end):
                    end -= 1
            if end == r:
                if self.y > TOP:
                    self.new_page()
                    continue
                end = r + 1                      # a row taller than a page: print it anyway
            self._draw_rows(grid, r, end)
            r = end
            if r < grid.nrows:
                self.new_page()
        self.y += 6

    @staticmethod
    def _can_break(grid: _Grid, start: int, end: int) -> bool:
        """Whether rows start..end-1 can close a page: cut cells keep room for their text."""
        for cell in grid.cells:
            if cell.r0 < end <= cell.r1 and cell.r0 >= start and cell.lines:
                if sum(grid.heights[cell.r0:end]) < cell.height():
                    return False
        return True

    def _draw_rows(self, grid: _Grid, start: int, end: int) -> None:
        tops = [0.0] * (grid.nrows + 1)
        y = self.y
        for r in range(start, end):
            tops[r] = y
            y += grid.heights[r]
        tops[end] = y
        page = self.page
        for cell in grid.cells:
            if cell.r1 < start or cell.r0 >= end:
                continue
            a, b = max(cell.r0, start), min(cell.r1, end - 1)
            t0, t1 = tops[a], tops[b + 1]
            # Filled but unstroked: the shading of header rows, and the white
            # background WPS paints behind every cell (no rule for a reader).
            page.fill(cell.x0 + 0.3, t0 + 0.3, cell.x1 - 0.3, t1 - 0.3, cell.fill or WHITE)
            page.line(cell.x0, t0, cell.x1, t0)
            page.line(cell.x0, t1, cell.x1, t1)
            page.line(cell.x0, t0, cell.x0, t1)
            page.line(cell.x1, t0, cell.x1, t1)
            if cell.r0 >= start and cell.lines:
                pitch = cell.size * CELL_LEADING
                block = len(cell.lines) * pitch - (CELL_LEADING - 1) * cell.size
                ty = t0 + max(CELL_PAD, (t1 - t0 - block) / 2)
                for line in cell.lines:
                    w = text_width(line, cell.size)
                    if cell.align == "c":
                        x = (cell.x0 + cell.x1 - w) / 2
                    else:
                        x = cell.x0 + CELL_PAD
                    page.text(x, ty, line, cell.size)
                    ty += pitch
        self.y = y

    def finish(self) -> None:
        for n, page in enumerate(self.pages, 1):
            label = f"- {n} -"
            page.text((PAGE_W - text_width(label, 10.5)) / 2, PAGE_NO_TOP, label, 10.5)


# ---------------------------------------------------------------------------
# The document


def _title_lines(text: str) -> list[str]:
    """A title too long for one line breaks before its year, as report titles do."""
    width = RIGHT - LEFT
    if text_width(text, TITLE_SIZE) <= width:
        return [text]
    m = _YEAR.search(text)
    if m and m.start() > 0:
        head, tail = text[: m.start()].strip(), text[m.start():].strip()
        return wrap(head, width, TITLE_SIZE) + wrap(tail, width, TITLE_SIZE)
    return wrap(text, width, TITLE_SIZE)


def _is_heading(item: Line) -> bool:
    t = item.text
    if len(t) > 40 or (t[-1] in _TERMINAL):
        return False
    return item.level > 0 or bool(_SECTION_HEADING.match(t)) or bool(_GROUP_MARK.match(t) and len(t) <= 20)


def render_pdf(text: str, path, *, body_size: float = BODY_SIZE) -> Path:
    """Lay the report out on A4 pages and write it as a PDF; returns the path.

    `body_size` (points) sets the running text; other sizes move the page
    breaks, and with them where the tables are cut.
    """
    path = Path(path)
    items = _parse(text)
    flow = _Flow()
    texts = [i for i in items if isinstance(i, Line)]
    # Title: the short lines before the first paragraph or heading.
    title_ids: set[int] = set()
    for item in items:
        if not isinstance(item, Line):
            break
        t = item.text
        if len(t) > 60 or t[-1] in _TERMINAL or (title_ids and _is_heading(item) and item.level == 0):
            break
        if _SECTION_HEADING.match(t):
            break
        title_ids.add(id(item))
    # Signature: short lines closing the document (signer, date).
    closing: set[int] = set()
    for item in reversed(texts[-2:]):
        if len(item.text) <= 24 and item.text[-1] not in _TERMINAL and not _is_heading(item):
            closing.add(id(item))
        else:
            break
    title_items = [i for i in texts if id(i) in title_ids]
    width = RIGHT - LEFT
    for item in items:
        if isinstance(item, Table):
            flow.table(layout_table(item))
            continue
        if id(item) in title_ids:
            flow.text_lines(_title_lines(item.text), TITLE_SIZE, "c", leading=1.5)
            if item is title_items[-1]:
                flow.y += 10
        elif id(item) in closing:
            flow.text_lines([item.text], body_size, "r")
        elif _is_heading(item):
            major = bool(_SECTION_HEADING.match(item.text)) or 0 < item.level <= 2
            size = HEADING_SIZE if major else body_size
            flow.text_lines(wrap(item.text, width - 2 * size, size), size, "l", indent=2 * body_size,
                            space_before=4)
        else:
            indent = 2 * body_size
            lines = wrap(item.text, width, body_size, first_width=width - indent)
            flow.text_lines(lines, body_size, "l", indent=indent)
    flow.finish()
    path.write_bytes(pdf_bytes([page.ops for page in flow.pages], title="".join(i.text for i in title_items),
                               producer="nianbao tests/pdf_render.py"))
    return path
