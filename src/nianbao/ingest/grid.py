"""Tables as grids of cells, built from the rules that enclose them.

Shared by both readers of a PDF page: the text layer (pdf.py, rules from the
drawing operators) and the page image (scan.py, rules found in the raster).
pdfplumber finds the cell rectangles; here they become a row/column grid
with merged cells, emitted row by row in the plain-text reference shape.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any


def closing_edges(edges: list[dict], tol: float = 3.0) -> list[dict]:
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
class GridCell:
    bbox: tuple[float, float, float, float]
    r0: int
    r1: int
    c0: int
    c1: int
    chars: list[dict] = field(default_factory=list)
    lines: list = field(default_factory=list)     # printed lines (pdf._Line)
    text: str = ""


@dataclass
class Grid:
    bbox: tuple[float, float, float, float]
    tops: list[float]          # top of each grid row
    bottoms: list[float]       # bottom of each grid row
    xs: list[float]            # left of each grid column
    cells: list[GridCell]
    occ: list[list[int | None]]  # [row][col] -> index in cells

    def locate(self, x: float, y: float) -> GridCell | None:
        r = bisect_right(self.tops, y) - 1
        c = bisect_right(self.xs, x) - 1
        if r < 0 or c < 0:
            return None
        idx = self.occ[r][c]
        return self.cells[idx] if idx is not None else None

    def nearest(self, x: float, y: float) -> GridCell:
        def dist(cell: GridCell) -> float:
            x0, t, x1, b = cell.bbox
            dx = max(x0 - x, 0.0, x - x1)
            dy = max(t - y, 0.0, y - b)
            return dx * dx + dy * dy
        return min(self.cells, key=dist)


def build_grid(table: Any) -> Grid | None:
    boxes = [tuple(float(v) for v in b) for b in table.cells]
    if not boxes:
        return None
    tops = sorted({b[1] for b in boxes})
    xs = sorted({b[0] for b in boxes})
    eps = 0.5
    cells: list[GridCell] = []
    for b in boxes:
        r0 = tops.index(b[1])
        c0 = xs.index(b[0])
        r1 = max(r0, bisect_right(tops, b[3] - eps) - 1)
        c1 = max(c0, bisect_right(xs, b[2] - eps) - 1)
        cells.append(GridCell(b, r0, r1, c0, c1))
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
    return Grid((x0, top, x1, bottom), tops, bottoms, xs, cells, occ)


@dataclass
class Row:
    cells: list[tuple[str, tuple[float, float, float, float]]]
    bbox: tuple[float, float, float, float]


def grid_rows(grid: Grid) -> list[Row]:
    rows: list[Row] = []
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
        rows.append(Row(out, bbox))
    return rows
