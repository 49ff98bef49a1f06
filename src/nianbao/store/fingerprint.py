"""A finding's stable identity across re-runs, rule edits and resubmissions.

The fingerprint names the problem, not its wording: the agency (normalised
key), the report year, the rule and the facts the finding is about. The
message text, the figures and the file are left out, so a corrected figure
or a reworded message is still "the same finding"; `figures` (a hash of the
evidence values) tells a changed finding from an unchanged one.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from ..findings import Finding


def _digest(parts: Iterable[str], length: int) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def fingerprints(findings: list[Finding], agency_key: str | None, year: int | None, content_hash: str) -> list[str]:
    """One fingerprint per finding, in order. Two findings of one rule about the same facts (e.g. two
    parse notes) are told apart by their order of occurrence."""
    subject = agency_key or f"file:{content_hash}"
    seen: dict[tuple, int] = {}
    out = []
    for finding in findings:
        key = (finding.rule, tuple(sorted(finding.fields)))
        seen[key] = seen.get(key, 0) + 1
        parts = [subject, str(year or ""), finding.rule, *key[1]]
        if seen[key] > 1:
            parts.append(f"#{seen[key]}")
        out.append(_digest(parts, 20))
    return out


def figures(evidence_json: list[dict[str, Any]]) -> str:
    """The values a finding shows (field → value), hashed: differs when the same finding's figures change."""
    pairs = sorted((str(e.get("field")), json.dumps(e.get("value"), ensure_ascii=False, sort_keys=True))
                   for e in evidence_json)
    return _digest((f"{f}={v}" for f, v in pairs), 16)
