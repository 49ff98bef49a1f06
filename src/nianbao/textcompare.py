"""Year-over-year text comparison: which sentences of a section repeat last year's report.

A supervisor's most common complaint about these reports is a section copied
from last year's (照搬照抄), above all section 5, whose problems and
improvements must be this year's. A section is split into sentences (and
clauses ended by a colon, since "主要是：" and "以下工作：一是…" join the
stock opening to the substance); each sentence of this year is looked up in
the whole of last year's section with rapidfuzz's `partial_ratio` (the best
window of last year's text as long as the sentence), so a sentence copied
across a changed sentence boundary is still found. Digits and spaces are
ignored ("2023 年" and "2024年" count as the same words): changing the year
does not make a copied sentence new.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import regex

# Similarity (0-100, rapidfuzz scale) from which a sentence counts as repeated.
SIMILARITY = 90.0
# Sentences shorter than this (after normalising) are headings or stock phrases:
# never counted as copied, but they stay in the denominator.
MIN_CHARS = 10
# Texts are compared up to this length: real sections are a few thousand characters at most,
# and an untrusted report's megabyte of text must not take minutes.
MAX_CHARS = 20000
# A longer "sentence" (a paragraph printed without a full stop) is matched in pieces of at most
# this many characters, cut after a comma where there is one: the matcher's cost grows with
# the square of the piece's length.
MAX_SENTENCE = 200

_SENTENCE_END = regex.compile(r"[。！？；：!?;:\n]+")
_IGNORED = regex.compile(r"[\s\d０-９]+")
_PUNCTUATION = regex.compile(r"\p{P}+")
# A numbered heading on a line of its own: （四）政府信息公开平台建设情况 / 二、主动公开 (no comma inside).
_HEADING = regex.compile(r"[（(]?[一二三四五六七八九十]{1,3}[）)、．.][^，,；;。]{0,24}[。：:]?")


@dataclass(frozen=True)
class Sentence:
    text: str                  # as printed (trimmed)
    start: int                 # offsets in the section text
    end: int
    key: str                   # normalised: no spaces, no digits
    heading: bool = False      # a numbered heading such as （四）政府信息公开平台建设情况

    @property
    def weight(self) -> int:
        """What the sentence counts for in a share: headings the template prescribes count for nothing."""
        return 0 if self.heading else len(self.key)


@dataclass(frozen=True)
class Match:
    sentence: Sentence         # this year's
    previous: Sentence         # last year's sentence where the match starts
    score: float               # rapidfuzz similarity, 0-100
    covers: tuple[int, ...] = ()   # indices of last year's sentences the matching window spans
    previous_text: str = ""    # those sentences, as printed


@dataclass(frozen=True)
class Comparison:
    sentences: tuple[Sentence, ...]
    previous: tuple[Sentence, ...]
    matches: tuple[Match | None, ...]      # per sentence of this year

    @property
    def copied(self) -> list[Match]:
        """Repeated sentences (headings, which every year prints alike, left out)."""
        return [m for m in self.matches if m is not None and not m.sentence.heading]

    @property
    def share(self) -> float:
        """Copied share of this year's text, in percent of its characters (digits and spaces not counted)."""
        total = sum(s.weight for s in self.sentences)
        if not total:
            return 0.0
        return round(100.0 * sum(m.sentence.weight for m in self.copied) / total, 2)

    @property
    def counted(self) -> list[Sentence]:
        return [s for s in self.sentences if not s.heading]

    @property
    def sentence_share(self) -> float:
        """Copied sentences in percent of this year's sentences (headings left out)."""
        if not self.counted:
            return 0.0
        return round(100.0 * len(self.copied) / len(self.counted), 2)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences and colon-ended clauses of a text, with their offsets; empty pieces dropped."""
    out: list[Sentence] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add(out, text, start, m.end())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    if end - start > MAX_SENTENCE:
        for a, b in _pieces(text, start, end):
            _add_one(out, text, a, b)
    else:
        _add_one(out, text, start, end)


def _pieces(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    while end - start > MAX_SENTENCE:
        window = text[start:start + MAX_SENTENCE]
        cut = max(window.rfind(c) for c in "，,、")
        cut = start + (cut + 1 if cut >= MAX_SENTENCE // 4 else MAX_SENTENCE)
        yield start, cut
        start = cut
    yield start, end


def _add_one(out: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    key = _IGNORED.sub("", stripped)
    if key and not _PUNCTUATION.fullmatch(key):
        heading = _HEADING.fullmatch(stripped) is not None and (end >= len(text) or text[end - 1] in "\n。：:")
        out.append(Sentence(stripped, start + lead, start + lead + len(stripped), key, heading))


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text without digits and spaces (what a sentence's key leaves out), and for each kept
    character its offset in `text`."""
    pieces: list[str] = []
    where: list[int] = []
    kept = 0
    for m in _IGNORED.finditer(text):
        if m.start() > kept:
            pieces.append(text[kept:m.start()])
            where.extend(range(kept, m.start()))
        kept = m.end()
    if kept < len(text):
        pieces.append(text[kept:])
        where.extend(range(kept, len(text)))
    return "".join(pieces), where


# The rules and the audit page of one report compare the same texts several times; nothing carries
# over to the next report, and 256 kept comparisons were 13,000 objects a batch worker's collector
# walked again and again.
@lru_cache(maxsize=32)
def compare(text: str, previous: str, similarity: float = SIMILARITY) -> Comparison:
    """Each sentence of `text` matched (or not) against last year's `previous` text."""
    text, previous = text[:MAX_CHARS], previous[:MAX_CHARS]
    sentences = split_sentences(text)
    prev_sentences = split_sentences(previous)
    prev_key, prev_where = _normalised(previous)
    starts = [s.start for s in prev_sentences]
    matches: list[Match | None] = []
    for sentence in sentences:
        matches.append(_best(sentence, prev_key, prev_where, prev_sentences, starts, similarity))
    return Comparison(tuple(sentences), tuple(prev_sentences), tuple(matches))


def _best(sentence: Sentence, prev_key: str, prev_where: list[int], prev_sentences: list[Sentence],
          starts: list[int], similarity: float) -> Match | None:
    if len(sentence.key) < MIN_CHARS or len(sentence.key) > len(prev_key):
        return None
    from rapidfuzz import fuzz       # only a report compared with last year's needs it (start-up)

    found = fuzz.partial_ratio_alignment(sentence.key, prev_key, score_cutoff=similarity)
    if found is None:
        return None
    at = prev_where[min(found.dest_start, len(prev_where) - 1)]
    until = prev_where[min(max(found.dest_end - 1, found.dest_start), len(prev_where) - 1)]
    # The sentences of last year's text the matching window starts in and runs over.
    first, last = max(0, _bisect(starts, at)), max(0, _bisect(starts, until))
    covers = tuple(range(first, last + 1))
    text = "".join(prev_sentences[i].text for i in covers)
    return Match(sentence, prev_sentences[first], round(found.score, 1), covers, text)


def _bisect(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= offset:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def copied_share(text: str, previous: str, similarity: float = SIMILARITY) -> float:
    return compare(text, previous, similarity).share


# ---------------------------------------------------------------------------
# Side by side: the two years' sentences in reading order, copied ones on one row.
@dataclass(frozen=True)
class Row:
    kind: str                  # "same" (copied), "new" (this year only), "old" (last year only)
    current: Sentence | None
    previous: str | None       # last year's text on this row
    score: float | None = None


def side_by_side(comparison: Comparison) -> list[Row]:
    """Rows pairing each copied sentence with last year's, in the order both texts print them."""
    left = [("m", m.covers[0]) if m is not None and m.covers else ("n", i)
            for i, m in enumerate(comparison.matches)]
    right = [("m", j) for j in range(len(comparison.previous))]
    used = {j for m in comparison.matches if m is not None for j in m.covers}
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        for i in range(a0, a1):
            m = comparison.matches[i]
            if m is not None:   # copied (from here, or from elsewhere when the order changed)
                rows.append(Row("same", comparison.sentences[i], m.previous_text, m.score))
            else:
                rows.append(Row("new", comparison.sentences[i], None))
        if op != "equal":
            for j in range(b0, b1):
                if j not in used:
                    rows.append(Row("old", None, comparison.previous[j].text))
    return rows


def char_diff(current: str, previous: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts as (piece, changed) runs: what a reader needs to see the few words that differ.
    (A shortest edit, from rapidfuzz's bit-parallel Indel distance: ~10x faster than difflib, which
    was a fifth of the cost of last year's comparison on an audit page. Still quadratic: overlong
    "sentences" of a hostile text are shown without the marks.)"""
    if len(current) + len(previous) > 2000:
        return [(current, False)], [(previous, False)]
    from rapidfuzz.distance import Indel

    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for op, a0, a1, b0, b1 in Indel.opcodes(current, previous):
        if a1 > a0:
            _run(left, current[a0:a1], op != "equal")
        if b1 > b0:
            _run(right, previous[b0:b1], op != "equal")
    return left, right


def _run(runs: list[tuple[str, bool]], text: str, changed: bool) -> None:
    """Append a piece, joined to the last one when both are marked alike (a deletion next to an insertion)."""
    if runs and runs[-1][1] == changed:
        runs[-1] = (runs[-1][0] + text, changed)
    else:
        runs.append((text, changed))


def copied_calls(root) -> Iterable[tuple]:
    """The `copied_share(...)` calls in a checked rule expression (for the engine's evidence)."""
    from dataclasses import fields, is_dataclass

    stack = [root]
    while stack:
        node = stack.pop()
        if not is_dataclass(node):
            continue
        if type(node).__name__ == "Call" and node.func == "copied_share":
            yield node
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, (list, tuple)):
                stack.extend(value)
            elif is_dataclass(value):
                stack.append(value)
