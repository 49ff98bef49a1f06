"""Aligning a row's printed value cells to the template's columns.

A row with the expected number of cells maps directly. A row with too many
or too few is aligned every possible way; alignments that break the row's
own arithmetic (总计 = the sum of its parts) are discarded, and a cell gets a
value only if every remaining alignment agrees on it.
"""
from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence

from .cells import parse_number
from .document import Cell
from .template import normalize_label

# A row of thousands of cells (a garbled or hostile file) has astronomically many ways to
# drop its surplus: past this much work (alignments × cells) the row is left undecided,
# as an ambiguous row is. Real rows (≤ 30 cells) stay far below it.
_MAX_ALIGN_WORK = 2_000_000


def sum_constraint(parts: int, offset: int = 0) -> Callable[[Sequence], bool]:
    """Cells offset..offset+parts-1 add up to the cell after them (where all are numbers)."""
    def check(values: Sequence) -> bool:
        window = values[offset: offset + parts + 1]
        if any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in window):
            return True
        return abs(sum(window[:-1]) - window[-1]) < 1e-9
    return check


def align(value_cells: list[Cell], n: int, constraints) -> tuple[list[Cell | None], bool, str, list[Cell]]:
    """(cell per column or None where undecidable, ambiguous?, kind, the printed cells considered)."""
    aligned, ambiguous, kind = _align_cells(value_cells, n, constraints)
    lead, trail = edges(value_cells)
    return aligned, ambiguous, kind, value_cells[lead: len(value_cells) - trail]


def edges(cells: list[Cell]) -> tuple[int, int]:
    """How many empty cells open and close a row's value region."""
    lead = 0
    while lead < len(cells) and not cells[lead].text.strip():
        lead += 1
    trail = 0
    while trail < len(cells) - lead and not cells[len(cells) - 1 - trail].text.strip():
        trail += 1
    return lead, trail


def _align_cells(value_cells: list[Cell], n: int, constraints) -> tuple[list[Cell | None], bool, str]:
    cells = list(value_cells)
    lead, trail = edges(cells)
    core = cells[lead: len(cells) - trail]
    k = len(core)
    if k == n:
        return core, False, "exact"
    if k == 0:
        blank = cells[lead - 1] if lead else None
        if blank is not None and lead >= n:
            return [Cell("", blank.location)] * n, False, "exact"
        return [None] * n, True, "short"

    def consistent(candidate: list[Cell | None]) -> bool:
        values = [parse_number(c.text) if c is not None else None for c in candidate]
        return all(check(values) for check in constraints)

    if k < n:
        need = n - k
        # Empty cells at the row's edges are real (blank) cells: try those first.
        edge: list[list[Cell]] = []
        for front in range(0, min(need, lead) + 1):
            back = need - front
            if back <= trail:
                edge.append(cells[lead - front: lead] + core + cells[len(cells) - trail: len(cells) - trail + back])
        good = [c for c in edge if consistent(c)]
        if len(good) == 1:
            return good[0], False, "exact"
        if good:
            return _agree(good, n), True, "short"
        placeholder = core[0].location
        candidates = []
        for blanks in itertools.combinations(range(n), need):
            it = iter(core)
            candidates.append([Cell("", placeholder) if i in blanks else next(it) for i in range(n)])
        good = [c for c in candidates if consistent(c)] or candidates
        merged = _agree(good, n)
        # A column that is blank in every alignment is not a value we can vouch for.
        merged = [c if c is not None and c.text.strip() else None for c in merged]
        return merged, True, "short"
    surplus = k - n
    if k > 1000 or math.comb(k, surplus) * k > _MAX_ALIGN_WORK:
        return [None] * n, True, "surplus"
    candidates = []
    for dropped in itertools.combinations(range(k), surplus):
        gone = set(dropped)
        candidates.append([c for i, c in enumerate(core) if i not in gone])
    good = [c for c in candidates if consistent(c)] or candidates
    return _agree(good, n), True, "surplus"


def _agree(candidates: list[list[Cell]], n: int) -> list[Cell | None]:
    out: list[Cell | None] = []
    for i in range(n):
        texts = {normalize_label(c[i].text) for c in candidates}
        out.append(candidates[0][i] if len(texts) == 1 else None)
    return out
