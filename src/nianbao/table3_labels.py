"""Table-3 row labels as printed, matched to the template's rows.

Labels come with typos, wrapped over lines, with their group marker （三） or
item number 1. on another line, cut short by a converter, or with a
converter's punctuation. Everything here answers one question: which
template row does this printed label stand for, and how sure is that.
"""
from __future__ import annotations

import copy
import difflib
from functools import lru_cache
import re

from .template import Template, normalize_label

TOP = re.compile(r"^([一二三四])、")
GROUP = re.compile(r"（([一二三四五六七])）")
ITEM = re.compile(r"(?<![\d.])(\d{1,2})[.、](?!\d)")


def match_row(label: str, current_group: str | None, template: Template):
    """(template row, how) for a printed table-3 label; how is exact / variant / legacy, or (None, "")."""
    rows = template.table3_rows
    groups = GROUP.findall(label)
    group = groups[-1] if groups else current_group
    item_match = None
    for m in ITEM.finditer(label):
        item_match = m
    if item_match is not None:
        item = int(item_match.group(1))
        text = label[item_match.end():]
        candidates = [r for r in rows if r.group == group and r.item == item]
        by_number = candidates[0] if candidates else None
        best, score = best_row(text, [r for r in rows if r.item is not None])
        if by_number is not None:
            num_score = max(ratio(text, lab) for lab in by_number.labels)
            if text in by_number.labels or bare(text) == bare(by_number.labels[0]):
                return by_number, "exact" if bare(text) == bare(by_number.labels[0]) else "variant"
            if best is not None and best is not by_number and score >= 0.85 and score > num_score + 0.15:
                return best, "exact" if bare(text) == bare(best.labels[0]) else "variant"
            if num_score >= 0.5 or text == "":
                return by_number, "variant"
        if best is not None and score >= 0.75:
            return best, "exact" if text == best.labels[0] else "variant"
        return None, ""
    # Top-level rows: 一、 二、 四、
    top = TOP.match(label)
    if top and top.group(1) in ("一", "二", "四") and not groups:
        text = label[top.end():]
        for r in rows:
            if r.top == top.group(1):
                return r, "exact" if text == r.labels[0] else ("variant" if ratio(text, r.labels[0]) >= 0.5 else "")
    if groups:
        tail = label[label.rfind("（" + group + "）") + 3:] if group else label
        for r in rows:
            if r.group == group and r.item is None:
                return r, "exact" if tail == r.labels[0] or starts(tail, r) else "variant"
        for r in template.table3_legacy_rows:
            if r.group == group:
                return r, "legacy"
    best, score = best_row(label, rows)
    if best is not None and score >= 0.8:
        return best, "exact" if label == best.labels[0] else "variant"
    return None, ""


# Header words of tables 2-4: a line made of nothing else is a table header a converter printed
# as text ("结果结果其他尚未"), not prose of the section.
_FURNITURE = re.compile(r"结果|维持|纠正|其他|尚未|审结|总计|合计|行政复议|行政诉讼|未经复议直接起诉|复议后起诉|"
                        r"申请人情况|自然人|法人或其他组织|商业|企业|科研|机构|社会|公益|组织|法律|服务|"
                        r"信息内容|本年制发件数|本年废止件数|现行有效件数|本年处理决定数量|本年收费金额|单位|万元|"
                        r"数据|类别|项目|数量|[\s\d（）()：:，,、.]")


def is_table_furniture(text: str) -> bool:
    """A line made only of table header words (结果结果其他尚未), not prose."""
    return bool(text.strip()) and not _FURNITURE.sub("", normalize_label(text))


def fragment_row(label: str, rows, seen: dict, previous: int):
    """A label a converter cut short ("行政机关不再处理其政府信息公"): the one unread template row
    whose label contains it, or, among several, the first after the previous row read."""
    short = bare(label)
    if len(short) < 6:
        return None, ""
    hits = [(i, r) for i, r in enumerate(rows) if r.name not in seen and any(short in bare(lab) for lab in r.labels)]
    if len(hits) > 1:
        hits = [h for h in hits if h[0] > previous][:1]
    return (hits[0][1], "fragment") if len(hits) == 1 else (None, "")


_PUNCT = re.compile(r"[，、。；：,.;:（）()\s]")


def bare(text: str) -> str:
    """A label without punctuation: a converter's 、 -> ", " is not a different wording."""
    return _PUNCT.sub("", text)


@lru_cache(maxsize=1024)
def _indexed(label: str) -> difflib.SequenceMatcher:
    """A matcher with `label` as its b, indexed once (most of ratio()'s set-up cost); never mutated."""
    matcher = difflib.SequenceMatcher(None, "", label)
    matcher.quick_ratio()                     # builds fullbcount too
    return matcher


def matcher(a: str, b: str) -> difflib.SequenceMatcher:
    """SequenceMatcher(None, a, b) from b's cached index: a shallow copy shares the read-only
    index, so threads (the web workbench) never share a matcher's state."""
    m = copy.copy(_indexed(b))
    m.set_seq1(a)
    return m


def ratio(a: str, b: str) -> float:
    return matcher(a, b).ratio()


def starts(text: str, row) -> bool:
    return any(text.startswith(lab[:4]) for lab in row.labels)


def best_row(text: str, rows):
    best, score = None, 0.0
    for row in rows:
        for lab in row.labels:
            m = matcher(text, lab)
            # real_quick_ratio and quick_ratio are upper bounds of ratio: a row they rule out cannot win.
            if m.real_quick_ratio() <= score or m.quick_ratio() <= score:
                continue
            similarity = m.ratio()
            if similarity > score:
                best, score = row, similarity
    return best, score


def closest(text: str, options: list[str], cutoff: float) -> str | None:
    hits = difflib.get_close_matches(text, options, n=1, cutoff=cutoff)
    return hits[0] if hits else None
