"""The campaign at a glance: every stored report's latest state in compact rows, and the counts.

The web workbench's dashboard, report list and findings list read this, not
`Store.states()`: only the columns they show are fetched (no evidence, no
messages), in four queries, and the result is reused until the store changes
(runs, findings, reviews or the roster), so a campaign of 10,000 reports
answers in well under a second.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select

from . import schema as S
from .reviews import DISMISSED, Review, ReviewIndex
from .verdict import count_key, decide, empty_counts


@dataclass(slots=True)
class FindingRow:
    report_id: int
    fingerprint: str
    rule: str
    title: str
    category: str
    severity: str
    status: str


@dataclass(slots=True)
class ReportRow:
    id: int
    source_name: str
    agency: str | None
    agency_key: str | None
    year: int | None
    level: str | None
    template: str | None
    version: int
    error: str | None
    report_date: str | None
    received_at: dt.datetime
    pack: str = ""
    verdict: str = ""
    counts: dict[str, int] = field(default_factory=empty_counts)
    reviewed: int = 0
    total: int = 0
    superseded: bool = False
    region: str | None = None

    def severity_counts(self) -> dict[str, int]:
        return {"error": self.counts["errors.open"] + self.counts["errors.confirmed"],
                "warning": self.counts["warnings.open"] + self.counts["warnings.confirmed"],
                "info": self.counts["infos.open"] + self.counts["infos.confirmed"]}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source_name, "agency": self.agency, "year": self.year,
                "level": self.level, "template": self.template, "version": self.version, "pack": self.pack,
                "verdict": self.verdict, "counts": self.severity_counts(), "review_counts": dict(self.counts),
                "reviewed": self.reviewed, "findings": self.total, "unreadable": self.error,
                "date": self.report_date, "received_at": self.received_at.isoformat(),
                "superseded": self.superseded, "region": self.region}


@dataclass
class Summary:
    reports: list[ReportRow]
    findings: list[FindingRow]

    def by(self, what: str) -> list[tuple[str, int]]:
        """Counts of live (not dismissed) findings by category, rule, severity; of reports by verdict, region…"""
        if what in ("category", "rule", "severity"):
            counter = Counter(getattr(f, what) for f in self.findings if f.status not in DISMISSED)
        elif what == "status":
            counter = Counter(f.status for f in self.findings)
        elif what == "verdict":
            counter = Counter(r.verdict for r in self.current())
        elif what == "region":
            counter = Counter(r.region or "（未在名单中）" for r in self.current())
        elif what == "agency":
            counter, shown = Counter(), {}
            for r in self.current():          # one bar per agency (name variants share a key), latest name
                key = r.agency_key or r.source_name
                shown[key] = r.agency or r.source_name
                counter[key] += sum(r.severity_counts().values())
            return [(shown[k], n) for k, n in counter.most_common()]
        else:
            raise ValueError(what)
        return counter.most_common()

    def current(self) -> list[ReportRow]:
        """The reports in force: the latest version of each agency's report for a year."""
        return [r for r in self.reports if not r.superseded]


class SummaryCache:
    """One computed Summary, reused until the store changes.

    What was read (reports, runs, findings, roster) is re-read only when one of them
    changes (an upload, a re-check); a new review only re-applies the reviews to the
    rows already held, which is what a supervisor's clicks cause most of the time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data_stamp: tuple | None = None
        self._review_stamp: tuple | None = None
        self._base: _Base | None = None
        self._summary: Summary | None = None
        self.extras: dict[str, Any] = {}          # views' derived data, valid for this summary only
        self.data_extras: dict[str, Any] = {}     # ... valid until reports, runs or the roster change

    def get(self, store) -> Summary:
        data_stamp, review_stamp = _stamps(store)
        with self._lock:
            if (data_stamp, review_stamp) == (self._data_stamp, self._review_stamp) and self._summary is not None:
                return self._summary
            base = self._base if data_stamp == self._data_stamp else None
        if base is None:
            base = _read_base(store)
        summary = _apply_reviews(base, _read_reviews(store))
        with self._lock:
            if data_stamp != self._data_stamp:
                self.data_extras = {}
            self._data_stamp, self._review_stamp, self._base, self._summary = data_stamp, review_stamp, base, summary
            self.extras = {}
        return summary


def _stamps(store) -> tuple[tuple, tuple]:
    """(data stamp, review stamp): each changes whenever a row of its tables is added (rows are
    append-only); the review stamp also changes each hour, so an expired review stops counting."""
    with store.engine.connect() as conn:
        row = conn.execute(select(
            select(func.max(S.runs.c.id)).scalar_subquery(),
            select(func.count()).select_from(S.run_reports).scalar_subquery(),
            select(func.max(S.findings.c.id)).scalar_subquery(),
            select(func.max(S.reports.c.id)).scalar_subquery(),
            select(func.count()).select_from(S.roster).scalar_subquery(),
            select(func.max(S.reviews.c.id)).scalar_subquery(),
        )).first()
    return tuple(row[:5]), (row[5], dt.datetime.now().strftime("%Y-%m-%d %H"))


@dataclass
class _Base:
    reports: dict[int, tuple]                       # id -> ReportRow fields
    findings: list[tuple]                           # (report_id, run_id, fingerprint, rule, title, category, severity)
    entries: dict[int, tuple]                       # report id -> (run id, pack hash)
    packs: dict[str, tuple]                         # pack hash -> (name, policy)
    regions: dict[str, str | None]


def _read_reviews(store) -> list[Review]:
    with store.engine.connect() as conn:
        return [Review(**dict(r._mapping)) for r in conn.execute(select(S.reviews))]


def compute(store) -> Summary:
    return _apply_reviews(_read_base(store), _read_reviews(store))


def _read_base(store) -> _Base:
    with store.engine.connect() as conn:
        latest = (select(S.run_reports.c.report_id, func.max(S.run_reports.c.run_id).label("run_id"))
                  .group_by(S.run_reports.c.report_id).subquery())
        entries = {r.report_id: (r.run_id, r.pack_hash) for r in conn.execute(
            select(S.run_reports.c.report_id, S.run_reports.c.run_id, S.run_reports.c.pack_hash).join(
                latest, and_(latest.c.report_id == S.run_reports.c.report_id,
                             latest.c.run_id == S.run_reports.c.run_id)))}
        packs = {r.pack_hash: (r.name, json.loads(r.verdict_json)) for r in conn.execute(select(S.packs))}
        regions = {r.agency_key: r.region for r in conn.execute(select(S.roster.c.agency_key, S.roster.c.region))}
        cols = [S.reports.c[name] for name in ("id", "source_name", "agency", "agency_key", "year", "level",
                                               "template", "version", "error", "report_date", "received_at")]
        reports = {r.id: tuple(r) for r in conn.execute(select(*cols).order_by(S.reports.c.id))}
        found = [tuple(r) for r in conn.execute(
            select(S.findings.c.report_id, S.findings.c.run_id, S.findings.c.fingerprint, S.findings.c.rule,
                   S.findings.c.title, S.findings.c.category, S.findings.c.severity)
            .join(latest, and_(latest.c.report_id == S.findings.c.report_id, latest.c.run_id == S.findings.c.run_id))
        )]
    return _Base(reports, found, entries, packs, regions)


def _apply_reviews(base: _Base, reviews: list[Review]) -> Summary:
    index = ReviewIndex(reviews)
    reports = {rid: ReportRow(*fields) for rid, fields in base.reports.items()}
    entries, packs, regions = base.entries, base.packs, base.regions
    findings: list[FindingRow] = []
    # The hot loop of the dashboard (one pass per finding): lookups bound once, counts by a table.
    keys = {(sev, st): count_key(sev, st) for sev in ("error", "warning", "info")
            for st in ("open", "confirmed", "false_positive", "waived")}
    by_fingerprint = index.by_fingerprint.get
    scoped = bool(index.by_agency_rule or index.by_rule)
    append = findings.append
    for report_id, _run, fp, rule, title, category, severity in base.findings:
        report = reports.get(report_id)
        if report is None:
            continue
        review = index.lookup(fp, report.agency_key, rule) if scoped else by_fingerprint(fp)
        status = review.status if review is not None else "open"
        append(FindingRow(report_id, fp, rule, title, category, severity, status))
        report.total += 1
        if status != "open":
            report.reviewed += 1
        key = keys.get((severity, status), count_key(severity, status))
        if key:
            report.counts[key] += 1
    newest: dict[tuple, int] = {}
    for r in reports.values():
        if r.agency_key and r.year:
            newest[(r.agency_key, r.year)] = max(newest.get((r.agency_key, r.year), 0), r.version)
    verdicts: dict[tuple, str] = {}         # a policy's verdict depends only on the counts: decide each once
    for r in reports.values():
        entry = entries.get(r.id)
        if entry is not None and entry[1] in packs:
            name, policy = packs[entry[1]]
            r.pack = name
            key = (entry[1], tuple(sorted(r.counts.items())))
            if key not in verdicts:
                verdicts[key] = decide([(w, l) for w, l in policy], r.counts, f"规则包 {name} 的 verdict")
            r.verdict = verdicts[key]
        r.superseded = bool(r.agency_key and r.year and newest[(r.agency_key, r.year)] > r.version)
        r.region = regions.get(r.agency_key or "")
    return Summary(list(reports.values()), findings)
