"""The audit-campaign store: what was submitted, every run, findings, reviews.

`Store` is the one object other code (CLI, web workbench, exports) holds. Each
report is written with its run entry and findings in one transaction, so a
run killed at any moment leaves every report either fully recorded or not at
all; the run itself stays marked as interrupted (no `finished_at`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from ..findings import CheckResult, Finding
from ..model_json import finding_from_json, report_from_dict
from . import schema as S
from .database import StoreError, connect, shown
from .fingerprint import figures, fingerprints
from .reviews import DISMISSED, NEEDS_REASON, STATUS_CN, Review, ReviewIndex, status_of
from .verdict import Policy, count_key, decide, empty_counts


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass
class Submission:
    """A file as read for the store: its bytes' hash, and the parsed report or why it could not be read."""

    content_hash: str
    data: bytes
    source_name: str
    parser_version: str
    report_json: str | None             # model_json form; None when unreadable
    meta: dict[str, Any]                # agency, agency_key, year, level, template, format, date
    error: str | None = None


@dataclass
class Evaluated:
    """A report's check result, ready to be recorded in a run."""

    result: CheckResult
    pack_name: str
    pack_hash: str
    policy: Policy
    content_hash: str
    agency_key: str | None
    year: int | None
    previous_report_id: int | None = None
    report_id: int | None = None      # set when recorded
    rule_signatures: dict[str, str] | None = None   # of the pack: rule id -> signature
    kept: list["StoredFinding"] = field(default_factory=list)   # carried over unchanged from the last run
    inputs_hash: str | None = None    # what the evaluation read besides the pack


@dataclass
class StoredFinding:
    id: int
    report_id: int
    fingerprint: str
    figures: str
    rule: str
    title: str
    category: str
    severity: str
    message: str
    basis: str
    fields_json: str
    evidence_json: str
    reviewer_only: bool = False
    review: Review | None = None

    @functools.cached_property
    def fields(self) -> list[str]:
        return json.loads(self.fields_json)

    @functools.cached_property
    def evidence(self) -> list[dict[str, Any]]:
        return json.loads(self.evidence_json)

    @property
    def status(self) -> str:
        return status_of(self.review)

    @property
    def dismissed(self) -> bool:
        return self.status in DISMISSED

    def to_finding(self) -> Finding:
        return finding_from_json({"rule": self.rule, "title": self.title, "category": self.category,
                                  "severity": self.severity, "message": self.message, "basis": self.basis,
                                  "fields": self.fields, "evidence": self.evidence,
                                  "reviewer_only": self.reviewer_only})

    def to_json(self) -> dict[str, Any]:
        out = self.to_finding().to_json()
        out.update({"fingerprint": self.fingerprint, "status": self.status, "status_cn": STATUS_CN[self.status],
                    "review": self.review.to_json() if self.review else None})
        return out


@dataclass
class ReportState:
    """A stored report as its latest run left it, with reviews applied."""

    report: dict[str, Any]              # the reports row
    run_id: int
    pack_name: str
    pack_hash: str
    inputs_hash: str | None
    policy: Policy
    previous_report_id: int | None
    unchecked: list[dict[str, Any]]
    checked_at: dt.datetime
    findings: list[StoredFinding] = field(default_factory=list)
    superseded: bool = False            # a later version of the same agency and year exists

    @property
    def counts(self) -> dict[str, int]:
        counts = empty_counts()
        for f in self.findings:
            key = count_key(f.severity, f.status)
            if key:
                counts[key] += 1
        return counts

    @property
    def verdict(self) -> str:
        return decide(self.policy, self.counts, f"规则包 {self.pack_name} 的 verdict")

    def live_findings(self) -> list[StoredFinding]:
        return [f for f in self.findings if not f.dismissed]

    def result(self, include_dismissed: bool = False, report: Any = None) -> CheckResult:
        """The CheckResult outputs/ render (dismissed findings left out unless asked); pages and letters
        want the parsed `report` too (`Store.parsed_report`)."""
        chosen = self.findings if include_dismissed else self.live_findings()
        return CheckResult(source=self.report["source_name"], pack=self.pack_name, report=report,
                           findings=[f.to_finding() for f in chosen])


class Store:
    """An open audit-campaign database (SQLite file or PostgreSQL URL)."""

    def __init__(self, db: str):
        self.engine = connect(db)
        self.where = shown(str(self.engine.url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ runs
    def begin_run(self, kind: str, pack_ref: str | None, user: str, parser_version: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(S.runs.insert().values(kind=kind, pack_ref=pack_ref, run_by=user,
                                                       parser_version=parser_version, started_at=now())
                                ).inserted_primary_key[0]

    def finish_run(self, run_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(S.runs.update().where(S.runs.c.id == run_id).values(finished_at=now()))

    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(S.runs).order_by(S.runs.c.id))]
            per_run = dict(conn.execute(select(S.run_reports.c.run_id, func.count())
                                        .group_by(S.run_reports.c.run_id)).all())
            findings = dict(conn.execute(select(S.findings.c.run_id, func.count())
                                         .group_by(S.findings.c.run_id)).all())
            packs = {}
            for run_id, name in conn.execute(select(S.run_reports.c.run_id, S.packs.c.name).join(
                    S.packs, S.packs.c.pack_hash == S.run_reports.c.pack_hash).distinct()):
                packs.setdefault(run_id, set()).add(name)
        for row in rows:
            row["reports"] = per_run.get(row["id"], 0)
            row["findings"] = findings.get(row["id"], 0)
            row["packs"] = sorted(packs.get(row["id"], ()))
        return rows

    # -------------------------------------------------------------- writing
    def stored_parse(self, content_hash: str, parser_version: str) -> str | None:
        """The parsed report JSON of a file already read by this parser version."""
        with self.engine.connect() as conn:
            return conn.execute(select(S.parsed_reports.c.report_json).where(and_(
                S.parsed_reports.c.content_hash == content_hash,
                S.parsed_reports.c.parser_version == parser_version))).scalar()

    def record(self, run_id: int, sub: Submission, evaluated: "Evaluated") -> int:
        """Store one report (file, parse, report row) with its run entry and findings, all or nothing.
        Returns the report's id."""
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    evaluated.report_id = self._save_submission(conn, sub)
                    self._save_result(conn, run_id, evaluated)
                    return evaluated.report_id
            except IntegrityError:
                if attempt == 2:      # a concurrent writer stored the same file first: once more sees it
                    raise
        raise AssertionError("unreachable")

    def record_results(self, run_id: int, items: list["Evaluated"]) -> list[list[StoredFinding]]:
        """Stored reports evaluated again (recheck): their run entries and findings, in one transaction.
        Returns each report's findings as written."""
        with self.engine.begin() as conn:
            return self._save_results(conn, run_id, items)

    def pack_signatures(self, pack_hash: str) -> dict[str, str]:
        """Rule id -> signature of a pack used before (empty for packs stored before signatures were)."""
        with self.engine.connect() as conn:
            text_ = conn.execute(select(S.packs.c.rules_json).where(S.packs.c.pack_hash == pack_hash)).scalar()
        return json.loads(text_) if text_ else {}

    def update_parse(self, report_id: int, sub: Submission) -> None:
        """A stored file read again by a new parser: its parse and the report's metadata."""
        with self.engine.begin() as conn:
            self._save_parse(conn, sub)
            conn.execute(S.reports.update().where(S.reports.c.id == report_id).values(
                parser_version=sub.parser_version, error=sub.error, **_meta_columns(sub.meta)))

    def _save_parse(self, conn, sub: Submission) -> None:
        if sub.report_json is None:
            return
        exists = conn.execute(select(S.parsed_reports.c.content_hash).where(and_(
            S.parsed_reports.c.content_hash == sub.content_hash,
            S.parsed_reports.c.parser_version == sub.parser_version))).first()
        if not exists:
            conn.execute(S.parsed_reports.insert().values(content_hash=sub.content_hash,
                                                          parser_version=sub.parser_version,
                                                          report_json=sub.report_json, parsed_at=now()))

    def _save_submission(self, conn, sub: Submission) -> int:
        if not conn.execute(select(S.files.c.content_hash).where(S.files.c.content_hash == sub.content_hash)).first():
            conn.execute(S.files.insert().values(content_hash=sub.content_hash, size=len(sub.data), data=sub.data,
                                                 stored_at=now()))
        self._save_parse(conn, sub)
        existing = conn.execute(select(S.reports.c.id).where(S.reports.c.content_hash == sub.content_hash)).scalar()
        if existing is not None:
            return existing
        version = 1
        key, year = sub.meta.get("agency_key"), sub.meta.get("year")
        if key and year:
            version += conn.execute(select(func.count()).select_from(S.reports).where(and_(
                S.reports.c.agency_key == key, S.reports.c.year == year))).scalar() or 0
        return conn.execute(S.reports.insert().values(
            content_hash=sub.content_hash, source_name=sub.source_name, parser_version=sub.parser_version,
            version=version, error=sub.error, received_at=now(), **_meta_columns(sub.meta))).inserted_primary_key[0]

    def _save_result(self, conn, run_id: int, item: "Evaluated") -> list[StoredFinding]:
        return self._save_results(conn, run_id, [item])[0]

    def _save_results(self, conn, run_id: int, items: list["Evaluated"]) -> list[list[StoredFinding]]:
        """Run entries and findings of several reports: one INSERT per table."""
        at = now()
        for item in {i.pack_hash: i for i in items}.values():
            if not conn.execute(select(S.packs.c.pack_hash).where(S.packs.c.pack_hash == item.pack_hash)).first():
                conn.execute(S.packs.insert().values(
                    pack_hash=item.pack_hash, name=item.pack_name, first_used=at,
                    verdict_json=json.dumps(item.policy, ensure_ascii=False),
                    rules_json=json.dumps(item.rule_signatures) if item.rule_signatures else None))
        conn.execute(S.run_reports.insert(), [{
            "run_id": run_id, "report_id": item.report_id, "pack_hash": item.pack_hash,
            "previous_report_id": item.previous_report_id, "checked_at": at, "inputs_hash": item.inputs_hash,
            "unchecked_json": json.dumps([u.to_json() for u in item.result.unchecked], ensure_ascii=False)}
            for item in items])
        written: list[list[StoredFinding]] = []
        rows: list[dict[str, Any]] = []
        for item in items:
            found = item.result.sorted_findings()
            prints = fingerprints(found, item.agency_key, item.year, item.content_hash)
            mine = []
            for finding, fp in zip(found, prints):
                data = finding.to_json()
                mine.append(StoredFinding(0, item.report_id, fp, figures(data["evidence"]), finding.rule, finding.title,
                                          finding.category, finding.severity, finding.message, finding.basis,
                                          json.dumps(data["fields"], ensure_ascii=False),
                                          json.dumps(data["evidence"], ensure_ascii=False), finding.reviewer_only))
            # Findings of rules the edit left alone, carried over as they were stored (see checking.recheck).
            mine += [dataclasses.replace(f, id=0, review=None) for f in item.kept]
            rows += [{"run_id": run_id, "report_id": item.report_id, "fingerprint": f.fingerprint, "figures": f.figures,
                      "rule": f.rule, "title": f.title, "category": f.category, "severity": f.severity,
                      "message": f.message, "basis": f.basis, "fields_json": f.fields_json,
                      "evidence_json": f.evidence_json, "reviewer_only": f.reviewer_only} for f in mine]
            written.append(mine)
        if rows:
            conn.execute(S.findings.insert(), rows)
        return written

    # -------------------------------------------------------------- reports
    def report_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(*[c for c in S.reports.c if c.name != "content_hash"], S.reports.c.content_hash)
                .order_by(S.reports.c.id))]

    def report_row(self, report_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(S.reports).where(S.reports.c.id == report_id)).first()
        return dict(row._mapping) if row else None

    def parsed_report(self, report_id: int, parser_version: str | None = None):
        """The stored Report of a report (model_json), or None if not parsed by that parser version."""
        with self.engine.connect() as conn:
            row = conn.execute(select(S.reports.c.content_hash, S.reports.c.parser_version)
                               .where(S.reports.c.id == report_id)).first()
            if row is None:
                return None
            text = conn.execute(select(S.parsed_reports.c.report_json).where(and_(
                S.parsed_reports.c.content_hash == row.content_hash,
                S.parsed_reports.c.parser_version == (parser_version or row.parser_version)))).scalar()
        return report_from_dict(json.loads(text)) if text else None

    def parsed_reports(self, parser_version: str) -> dict[int, str]:
        """report id -> stored parse JSON text, for every report this parser version has read (one query)."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(S.reports.c.id, S.parsed_reports.c.report_json).join(
                S.parsed_reports, and_(S.parsed_reports.c.content_hash == S.reports.c.content_hash,
                                       S.parsed_reports.c.parser_version == parser_version))).all())

    def file_data(self, content_hash: str) -> bytes | None:
        with self.engine.connect() as conn:
            return conn.execute(select(S.files.c.data).where(S.files.c.content_hash == content_hash)).scalar()

    def previous_year(self, agency_key: str | None, year: int | None) -> int | None:
        """The latest version of last year's report of the same agency, if stored and readable."""
        if not agency_key or not year:
            return None
        with self.engine.connect() as conn:
            return conn.execute(select(S.reports.c.id).where(and_(
                S.reports.c.agency_key == agency_key, S.reports.c.year == year - 1, S.reports.c.error.is_(None)))
                .order_by(S.reports.c.version.desc()).limit(1)).scalar()

    # --------------------------------------------------------------- states
    def reviews(self) -> list[Review]:
        with self.engine.connect() as conn:
            return [Review(**dict(r._mapping)) for r in conn.execute(select(S.reviews).order_by(S.reviews.c.id))]

    def states(self, run_id: int | None = None, report_ids: Iterable[int] | None = None) -> list[ReportState]:
        """Each report as its latest run (or the given run) left it, with reviews applied."""
        with self.engine.connect() as conn:
            if run_id is None:
                latest = (select(S.run_reports.c.report_id, func.max(S.run_reports.c.run_id).label("run_id"))
                          .group_by(S.run_reports.c.report_id).subquery())
                entries = select(S.run_reports).join(latest, and_(
                    latest.c.report_id == S.run_reports.c.report_id, latest.c.run_id == S.run_reports.c.run_id))
            else:
                entries = select(S.run_reports).where(S.run_reports.c.run_id == run_id)
            entry_rows = [dict(r._mapping) for r in conn.execute(entries)]
            if report_ids is not None:
                wanted = set(report_ids)
                entry_rows = [e for e in entry_rows if e["report_id"] in wanted]
            reports = {r["id"]: r for r in (dict(x._mapping) for x in conn.execute(select(S.reports)))}
            packs = {r.pack_hash: (r.name, json.loads(r.verdict_json)) for r in conn.execute(select(S.packs))}
            pairs = {(e["run_id"], e["report_id"]) for e in entry_rows}
            run_ids = {e["run_id"] for e in entry_rows}
            by_entry: dict[tuple[int, int], list[StoredFinding]] = {}
            if run_ids:
                query = select(S.findings).where(S.findings.c.run_id.in_(run_ids)).order_by(S.findings.c.id)
                for r in conn.execute(query):
                    if (r.run_id, r.report_id) in pairs:
                        by_entry.setdefault((r.run_id, r.report_id), []).append(StoredFinding(
                            r.id, r.report_id, r.fingerprint, r.figures, r.rule, r.title, r.category, r.severity,
                            r.message, r.basis, r.fields_json, r.evidence_json, r.reviewer_only))
        index = ReviewIndex(self.reviews())
        latest_version: dict[tuple, int] = {}
        for r in reports.values():
            if r["agency_key"] and r["year"]:
                key = (r["agency_key"], r["year"])
                latest_version[key] = max(latest_version.get(key, 0), r["version"])
        out = []
        for e in sorted(entry_rows, key=lambda e: e["report_id"]):
            row = reports[e["report_id"]]
            name, policy = packs[e["pack_hash"]]
            state = ReportState(row, e["run_id"], name, e["pack_hash"], e["inputs_hash"],
                                [(w, l) for w, l in policy], e["previous_report_id"],
                                json.loads(e["unchecked_json"]), e["checked_at"],
                                by_entry.get((e["run_id"], e["report_id"]), []))
            state.superseded = bool(row["agency_key"] and row["year"]
                                    and latest_version[(row["agency_key"], row["year"])] > row["version"])
            for f in state.findings:
                f.review = index.lookup(f.fingerprint, row["agency_key"], f.rule)
            out.append(state)
        return out

    # -------------------------------------------------------------- reviews
    def review(self, fingerprints_: list[str], status: str, reason: str, reviewer: str, scope: str = "report",
               expires: dt.datetime | None = None) -> list[StoredFinding]:
        """Record a review of the findings with these fingerprints (all must be known). Returns the
        findings it was given for (one per fingerprint, as last stored)."""
        if status not in STATUS_CN:
            raise StoreError(self.where, f"复核状态“{status}”无效，应为 {'、'.join(STATUS_CN)}")
        if scope not in ("report", "agency", "rule"):
            raise StoreError(self.where, f"复核范围“{scope}”无效，应为 report、agency 或 rule")
        if status in NEEDS_REASON and not reason.strip():
            raise StoreError(self.where, f"标记为“{STATUS_CN[status]}”时必须填写理由（--reason）")
        if not reviewer.strip():
            raise StoreError(self.where, "必须填写复核人（--by）")
        with self.engine.begin() as conn:
            latest: dict[str, Any] = {}
            for fp in dict.fromkeys(fingerprints_):
                row = conn.execute(select(S.findings, S.reports.c.agency_key).join(
                    S.reports, S.reports.c.id == S.findings.c.report_id).where(S.findings.c.fingerprint == fp)
                    .order_by(S.findings.c.id.desc()).limit(1)).first()
                if row is None:
                    raise StoreError(self.where, f"没有指纹为 {fp} 的问题（用 nianbao findings 查看）")
                if scope == "agency" and not row.agency_key:
                    raise StoreError(self.where, f"问题 {fp} 所属报告未识别出报告机关，不能按机关范围复核")
                latest[fp] = row
            at = now()
            for fp, row in latest.items():
                conn.execute(S.reviews.insert().values(
                    scope=scope, fingerprint=fp if scope == "report" else None,
                    agency_key=row.agency_key if scope == "agency" else None,
                    rule=row.rule if scope in ("agency", "rule") else None,
                    status=status, reason=reason.strip(), reviewer=reviewer.strip(), created_at=at, expires_at=expires))
        return [StoredFinding(r.id, r.report_id, r.fingerprint, r.figures, r.rule, r.title, r.category, r.severity,
                              r.message, r.basis, r.fields_json, r.evidence_json, r.reviewer_only)
                for r in latest.values()]


def _meta_columns(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in ("agency", "agency_key", "year", "level", "template", "format")} | {
        "report_date": meta.get("date")}
