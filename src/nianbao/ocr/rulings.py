"""Ruled tables in a page image: the drawn rules, then the cells they enclose.

Rules are found in the raster with numpy: a pixel belongs to a horizontal
(vertical) rule when it lies in an unbroken dark run at least `min_len`
long along that axis (longer than any stroke of a character), and the run
band is thin. The rules become edges in PDF points, and pdfplumber's own
geometry (`merge_edges`, `edges_to_intersections`, `intersections_to_cells`,
`cells_to_tables`) turns them into the cell rectangles of each table: the
same code the born-digital reader relies on, so merged cells come out the
same way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_INK_SHARE = 0.35        # ink is darker than the paper by this share of the paper-to-ink contrast
_GAP = 3                 # pixels: breaks in a printed rule bridged


@dataclass
class Rulings:
    edges: list[dict]            # pdfplumber-style edges, PDF points
    # Pixel bands of the rules (x0, top, x1, bottom, inclusive), a pixel either side: a scanned
    # rule's blurred or broken edges would otherwise be left in the cells for OCR to read.
    bands: list[tuple[int, int, int, int]]
    shape: tuple[int, int]

    def mask(self, boxes: list[tuple[float, float, float, float]], scale: float) -> np.ndarray:
        """True on the pixels of the rules that lie in `boxes` (tables, PDF points). Rules
        outside tables are left alone: a long stroke of large type (a title) looks like one."""
        out = np.zeros(self.shape, dtype=bool)
        for x0, top, x1, bottom in self.bands:
            cx, cy = (x0 + x1) / 2 / scale, (top + bottom) / 2 / scale
            if any(a - 2 <= cx <= c + 2 and b - 2 <= cy <= d + 2 for a, b, c, d in boxes):
                out[top:bottom + 1, x0:x1 + 1] = True
        return out


def ink(gray: np.ndarray) -> np.ndarray:
    """Pixels of ink, measured against the page's own paper and ink (grey paper, faded toner):
    a clean white page gives a level of about 166, as a fixed threshold would."""
    sample = gray[::4, ::4]
    paper = float(np.median(sample))              # a page is mostly paper
    darkest = float(np.percentile(sample, 0.5))
    if paper - darkest < 40:                      # no contrast: a blank page
        return gray < min(paper - 40, 160)
    return gray < paper - _INK_SHARE * (paper - darkest)


def _bridge(dark: np.ndarray, gap: int) -> np.ndarray:
    """Breaks of up to `gap` pixels along axis 1 closed: noise and toner gaps in a scanned rule."""
    out = dark.copy()
    for d in range(1, gap + 1):
        for left in range(1, d + 1):                # a gap of d pixels: dark `left` before, d+1-left after
            right = d + 1 - left
            out[:, left:-right or None] |= dark[:, :-(left + right)] & dark[:, left + right:]
    return out


def _long_runs(dark: np.ndarray, k: int) -> np.ndarray:
    """True where a pixel lies in a run of at least k dark pixels along axis 1."""
    h, w = dark.shape
    if w < k:
        return np.zeros_like(dark)
    c = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(dark, axis=1, out=c[:, 1:])
    full = (c[:, k:] - c[:, :-k]) == k              # window [j, j+k) all dark, j = 0..w-k
    f = np.zeros((h, full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=f[:, 1:])
    j = np.arange(w)
    hi = np.minimum(j, w - k) + 1
    lo = np.clip(j - k + 1, 0, w - k + 1)
    return (f[:, hi] - f[:, lo]) > 0


def _segments(mask: np.ndarray, max_thick: int) -> list[tuple[int, int, int, int, int]]:
    """Rule bands along axis 1: (centre row, start, end, first row, last row) for each run of marked pixels."""
    rows = np.flatnonzero(mask.any(axis=1))
    out: list[tuple[int, int, int, int, int]] = []
    if rows.size == 0:
        return out
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for band in bands:
        thick = int(band[-1] - band[0] + 1)
        if thick > max_thick:
            continue                                  # a filled area, not a rule
        cols = np.flatnonzero(mask[band[0]:band[-1] + 1].any(axis=0))
        runs = np.split(cols, np.flatnonzero(np.diff(cols) > _GAP + 1) + 1)
        centre = int(round((band[0] + band[-1]) / 2))
        for run in runs:
            out.append((centre, int(run[0]), int(run[-1]), int(band[0]), int(band[-1])))
    return out


def find_rulings(gray: np.ndarray, scale: float) -> Rulings:
    """The drawn rules of a page image; `scale` is pixels per PDF point."""
    dark = ink(gray)
    min_len = max(20, int(26 * scale))          # longer than a stroke of 20pt type
    max_thick = max(3, int(3.5 * scale))
    h_mask = _long_runs(_bridge(dark, 2), min_len) & dark
    v_mask = (_long_runs(_bridge(dark.T, 2), min_len) & dark.T).T
    edges: list[dict] = []
    bands: list[tuple[int, int, int, int]] = []
    for y, x0, x1, lo, hi in _segments(h_mask, max_thick):
        edges.append(_edge("h", x0 / scale, x1 / scale, y / scale, y / scale))
        bands.append((x0, max(0, lo - 1), x1, hi + 1))
    for x, y0, y1, lo, hi in _segments(v_mask.T, max_thick):
        edges.append(_edge("v", x / scale, x / scale, y0 / scale, y1 / scale))
        bands.append((max(0, lo - 1), y0, hi + 1, y1))
    return Rulings(edges, bands, dark.shape)


def _edge(orientation: str, x0: float, x1: float, top: float, bottom: float) -> dict:
    return {"object_type": "raster_rule", "orientation": orientation, "x0": x0, "x1": x1,
            "top": top, "bottom": bottom, "width": x1 - x0, "height": bottom - top,
            "doctop": top}


@dataclass
class RasterTable:
    """Cell rectangles of one table, in PDF points; shaped like pdfplumber's Table for grid.build_grid."""

    cells: list[tuple[float, float, float, float]]


def find_tables(edges: list[dict], tolerance: float = 3.0) -> list[RasterTable]:
    """Tables (two or more cells) enclosed by the edges."""
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    from ..ingest.grid import closing_edges

    edges = edges + closing_edges(edges, tolerance)
    if sum(e["orientation"] == "v" for e in edges) < 2 or sum(e["orientation"] == "h" for e in edges) < 2:
        return []
    merged = merge_edges(edges, snap_x_tolerance=tolerance, snap_y_tolerance=tolerance,
                         join_x_tolerance=tolerance, join_y_tolerance=tolerance)
    points = edges_to_intersections(merged, x_tolerance=tolerance, y_tolerance=tolerance)
    cells = intersections_to_cells(points)
    return [RasterTable(cells=list(t)) for t in cells_to_tables(cells) if len(t) >= 2]
