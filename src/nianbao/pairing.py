"""Pair reports of the same agency across years, and find two reports of one agency and year.

Works on the facts a batch's workers parsed once (agency key, year, content
hash, size, modification time): nothing here reads a file.

Agency names are printed with or without the higher levels
(`淮安市洪泽区人民政府` / `洪泽区人民政府`) and a government may title its
report with the bare place name (`交城县`). `agency_key` folds those.

Two files of one agency and year: with the same content they are duplicates;
with different content the one taken as that year's report (the one next
year's report is compared with) is the later-modified file, then the larger
one, then the first in input order (a resubmission is usually the newer file).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)

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


def pair_reports(sources: Sequence[K], ids: Mapping[K, tuple[str | None, int | None]]) -> dict[K, K]:
    """source -> last year's report of the same agency, where the batch holds one.

    Where a year holds several reports of the agency, the first in `sources` is that year's.
    """
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


@dataclass(frozen=True)
class DuplicateGroup:
    """Several inputs of one agency and year."""
    agency_key: str
    year: int
    members: tuple              # input keys, in input order
    current: Hashable           # the one taken as that year's report
    identical: bool             # every member has the same content


def duplicate_groups(order: Sequence[K], ids: Mapping[K, "object"]) -> list[DuplicateGroup]:
    """Groups of inputs with the same agency key and year. `ids[k]` has agency_key, year, sha256, size, mtime."""
    groups: dict[tuple[str, int], list[K]] = {}
    for k in order:
        ident = ids.get(k)
        if ident is not None and ident.agency_key and ident.year:
            groups.setdefault((ident.agency_key, ident.year), []).append(k)
    found = []
    for (key, year), members in groups.items():
        if len(members) < 2:
            continue
        rank = {k: i for i, k in enumerate(members)}
        current = max(members, key=lambda k: (ids[k].mtime, ids[k].size, -rank[k]))
        identical = len({ids[k].sha256 for k in members}) == 1
        found.append(DuplicateGroup(key, year, tuple(members), current, identical))
    return found


def current_first(order: Sequence[K], groups: list[DuplicateGroup]) -> list[K]:
    """`order` with every group's current member first (stable), so `pair_reports` takes it as its year's."""
    currents = {g.current for g in groups}
    return sorted(order, key=lambda k: k not in currents)
