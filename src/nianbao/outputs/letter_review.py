"""The follow-up review letter (整改复核意见函) for a resubmitted report.

Given the findings the first letter was about (version 1) and the check of the
resubmitted report (version 2), the letter says what was fixed, what remains and
what is new. Findings are paired by a key, by default the rule and the facts it
concerns (`finding_key`); the store's fingerprints can replace it (`key=`).
Supervisor-only remarks and findings `exclude` rejects count on neither side.
Info-level findings are not part of a review: it follows up a rectification request.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable

from ..findings import CheckResult, Finding
from .letter import (FORMATS, Exclude, LetterFiles, NoFindings, _options, closing_blocks, common_context,
                     finding_key, item, letter_findings, write_context)
from .letter_text import clean, cn_date, cn_number

Key = Callable[[Finding], Hashable]


@dataclass
class Comparison:
    fixed: list[Finding]        # version 1's findings not found again (as version 1 stated them)
    remaining: list[Finding]    # found again (as version 2 states them: figures may have changed)
    new: list[Finding]          # version 2's findings version 1 did not have


def compare_findings(before: Iterable[Finding], after: Iterable[Finding], key: Key = finding_key,
                     exclude: Exclude | None = None) -> Comparison:
    """Pair two versions' letter findings by `key` (as many times as each key occurs)."""
    def rectifiable(findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in letter_findings(findings, exclude) if f.severity in ("error", "warning")]

    old, new = rectifiable(before), rectifiable(after)
    unmatched_old = Counter(key(f) for f in old)
    remaining, added = [], []
    for f in new:
        k = key(f)
        if unmatched_old[k] > 0:
            unmatched_old[k] -= 1
            remaining.append(f)
        else:
            added.append(f)
    found_again = Counter(key(f) for f in remaining)
    fixed = []
    for f in old:
        k = key(f)
        if found_again[k] > 0:
            found_again[k] -= 1
        else:
            fixed.append(f)
    return Comparison(fixed, remaining, added)


def _first_letter(we: str, report_title: str, first_date: dt.date | None, first_reference: str) -> str:
    when = f"于{cn_date(first_date)}" if first_date else ("" if first_reference else "前期")
    how = f"以{first_reference}函" if first_reference else ""
    return f"{we}{when}{how}对{report_title}提出了审核意见"


def review_letter_context(before: Iterable[Finding], result: CheckResult, pack: Any, today: dt.date,
                          options: dict | None = None, *, exclude: Exclude | None = None, key: Key = finding_key,
                          first_date: dt.date | None = None, first_reference: str | None = None) -> dict[str, Any]:
    """Everything the review letter says, as plain data; the keys of `letter_context` plus
    `fixed`, `remaining`, `new` (item lists). Raises NoFindings when neither version has a
    problem to write about."""
    if isinstance(today, dt.datetime):
        today = today.date()
    opts, _ = _options(pack, options)
    compared = compare_findings(before, result.findings, key, exclude)
    if not (compared.fixed or compared.remaining or compared.new):
        raise NoFindings(result.source, "前后两版报告均未发现需要函告的问题，不生成整改复核意见函")
    ctx = common_context(result, pack, today, opts)
    we, report_title = ctx["self_reference"], ctx["report_title"]
    title = f"关于{report_title}整改情况复核意见的函"
    opening = (f"{_first_letter(we, report_title, first_date, clean(first_reference or ''))}。"
               f"你单位修改并重新公开报告后，{we}对修改后的报告进行了复核，现将复核意见函告如下：")

    def numbered(findings: list[Finding], with_basis: bool) -> list[dict[str, Any]]:
        items = [item(f, i, label=f"（{cn_number(i)}）") for i, f in enumerate(findings, 1)]
        if not with_basis:       # what was fixed is stated, not argued again
            for it in items:
                it["text"] = it["label"] + it["statement"]
                it["basis_text"] = ""
        return items

    sections = [("已完成整改的问题", numbered(compared.fixed, False)),
                ("尚未整改的问题", numbered(compared.remaining, True)),
                ("新发现的问题", numbered(compared.new, True))]
    blocks: list[dict[str, str]] = [{"kind": "sender", "text": ctx["sender"]}]
    if ctx["reference"]:
        blocks.append({"kind": "reference", "text": ctx["reference"]})
    blocks += [{"kind": "title", "text": title}, {"kind": "addressee", "text": ctx["addressee"] + "："},
               {"kind": "opening", "text": opening}]
    number = 0
    for heading, items in sections:
        if not items:
            continue
        number += 1
        blocks.append({"kind": "heading", "text": f"{cn_number(number)}、{heading}"})
        blocks += [{"kind": "item", "text": it["text"]} for it in items]

    deadline_cn = ctx["deadline_cn"]
    left = [name for name, found in (("尚未整改", compared.remaining), ("新发现", compared.new)) if found]
    if left:
        closing = (f"请你单位对上述{'和'.join(left)}的问题逐项核查整改，确有错误的予以更正，因统计口径等原因确需保留的，"
                   f"请在报告中作出说明。请于{deadline_cn}前完成整改并重新公开，同时将整改情况书面报送{we}。")
    else:
        closing = "经复核，原审核意见所列问题均已整改到位，修改后的报告未发现新的问题。"
    blocks.append({"kind": "closing", "text": closing})

    ctx.update({
        "kind": "review",
        "title": title,
        "opening": opening,
        "fixed": sections[0][1],
        "remaining": sections[1][1],
        "new": sections[2][1],
        "items": sections[1][1] + sections[2][1],
        "other": "",
        "closing": closing,
        "rectify_required": bool(left),
        "include_info": False,
        "counts": {"fixed": len(compared.fixed), "remaining": len(compared.remaining), "new": len(compared.new)},
    })
    ctx["blocks"] = blocks + closing_blocks(ctx)
    return ctx


def write_review_letters(before: Iterable[Finding], result: CheckResult, pack: Any, settings: Any,
                         out_dir: str | Path, name: str, formats: Iterable[str] = FORMATS, *,
                         exclude: Exclude | None = None, key: Key = finding_key, today: dt.date | None = None,
                         first_date: dt.date | None = None, first_reference: str | None = None) -> LetterFiles:
    """Write the review letter as `letters/<name>.<format>` under `out_dir` (as `write_letters`);
    empty when neither version has anything to write about."""
    options = settings.options() if settings is not None else None
    day = settings.letter_date(today) if settings is not None else (today or dt.date.today())
    try:
        ctx = review_letter_context(before, result, pack, day, options, exclude=exclude, key=key,
                                    first_date=first_date, first_reference=first_reference)
    except NoFindings:
        return LetterFiles()
    return write_context(ctx, pack, options, out_dir, name, formats)
