"""Reviews of findings: 待复核, 已确认, 误报, 豁免 — attached to fingerprints, so they outlive runs.

A review is stored once and never changed; a later review of the same thing
supersedes it. Scope: `report` (this finding of this agency and year: the
fingerprint), `agency` (this rule for this agency, any year), `rule` (this
rule for every report of the campaign). The most specific review in force
decides; among equals, the latest. An expired review no longer counts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUS_CN = {"open": "待复核", "confirmed": "已确认", "false_positive": "误报", "waived": "豁免"}
SCOPE_CN = {"report": "本报告", "agency": "本机关各年度", "rule": "全部报告"}
DISMISSED = frozenset({"false_positive", "waived"})
NEEDS_REASON = frozenset({"false_positive", "waived"})


@dataclass(frozen=True)
class Review:
    id: int
    scope: str
    fingerprint: str | None
    agency_key: str | None
    rule: str | None
    status: str
    reason: str
    reviewer: str
    created_at: dt.datetime
    expires_at: dt.datetime | None

    def in_force(self, now: dt.datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def to_json(self) -> dict:
        return {"status": self.status, "status_cn": STATUS_CN[self.status], "scope": self.scope,
                "reason": self.reason, "reviewer": self.reviewer, "at": self.created_at.isoformat(),
                "expires": self.expires_at.isoformat() if self.expires_at else None}


class ReviewIndex:
    """Every review, indexed for lookups by fingerprint, by agency and rule, and by rule."""

    def __init__(self, reviews: list[Review], now: dt.datetime | None = None):
        now = now or dt.datetime.now()
        self.by_fingerprint: dict[str, Review] = {}
        self.by_agency_rule: dict[tuple[str, str], Review] = {}
        self.by_rule: dict[str, Review] = {}
        for review in sorted(reviews, key=lambda r: r.id):       # later ones overwrite earlier ones
            if not review.in_force(now):
                continue
            if review.scope == "report" and review.fingerprint:
                self.by_fingerprint[review.fingerprint] = review
            elif review.scope == "agency" and review.agency_key and review.rule:
                self.by_agency_rule[(review.agency_key, review.rule)] = review
            elif review.scope == "rule" and review.rule:
                self.by_rule[review.rule] = review

    def lookup(self, fingerprint: str, agency_key: str | None, rule: str) -> Review | None:
        found = self.by_fingerprint.get(fingerprint)
        if found is None and agency_key:
            found = self.by_agency_rule.get((agency_key, rule))
        if found is None:
            found = self.by_rule.get(rule)
        return found


def status_of(review: Review | None) -> str:
    return review.status if review is not None else "open"
