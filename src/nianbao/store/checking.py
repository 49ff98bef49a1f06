"""Checking into the store and re-checking what it holds.

`check_into_store` reads each file (or takes its parse from the store when
this parser version has read the same bytes before), evaluates it with last
year's stored report of the same agency as `prev.*`, and records it.
`recheck` re-evaluates every stored report from its stored parse — no file
is read again unless the parser changed — and returns the difference with
each report's previous state.
"""
from __future__ import annotations

import functools
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import NianbaoError
from ..findings import CheckResult
from ..model import Fact, Report
from ..model_json import finding_from_json, report_from_dict, report_to_dict
from ..pairing import agency_key
from .campaign import Evaluated, ReportState, Store, Submission
from .diff import StateDiff, diff_states
from .roster import LEVEL_CN, roster_levels
from .verdict import pack_policy

# What decides how a file is read: a change in any of these re-reads stored files on the next recheck.
_PARSER_SOURCES = ("ingest", "mapping.py", "detect.py", "metadata.py", "cells.py", "reading.py", "template.py",
                   "document.py", "model.py")
RECHECK_CHUNK = 100     # reports written per transaction in a recheck (each report is still all-or-nothing)


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """A hash of the reading code and the templates: changes whenever the parser may read differently."""
    from .. import __version__
    from ..paths import rules_dir
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    paths: list[Path] = []
    for name in _PARSER_SOURCES:
        target = root / name
        paths += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    paths += sorted(rules_dir().glob("*/template.yaml"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"


def pack_hash(pack: Any) -> str:
    digest = hashlib.sha256(pack.name.encode())
    for file in pack.files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Reading and evaluating (the one place that calls the reader and the engine).
def _read(path: str, template: str | None) -> Report:
    from ..reading import read_report
    return read_report(path, template=template)


def _evaluate(report: Report, pack: Any, previous: Report | None) -> CheckResult:
    from ..engine import check_report
    return check_report(report, pack, previous)


def _unreadable_result(source: str, message: str, pack: Any) -> CheckResult:
    from ..checker import Checker
    return Checker().unreadable(source, message)


def _meta(report: Report) -> dict[str, Any]:
    date = report.meta_value("date")
    year = report.meta_value("year")
    return {"agency": report.meta_value("agency"), "agency_key": agency_key(report.meta_value("agency")),
            "year": year if isinstance(year, int) else None, "level": report.meta_value("level"),
            "template": report.meta_value("template"), "format": report.format,
            "date": date.isoformat() if hasattr(date, "isoformat") else None}


def _apply_roster(report: Report, levels: dict[str, str]) -> None:
    """The roster's level, where it has one, replaces the guess from the agency's name."""
    key = agency_key(report.meta_value("agency"))
    level = levels.get(key) if key else None
    if level:
        report.meta["level"] = Fact("meta.level", level, f"审核名单登记为{LEVEL_CN[level]}", None)


class _Packs:
    """Packs by name, each loaded once; the pack given on the command line, if any, for every report."""

    def __init__(self, ref: str | None):
        from ..packs import load_pack
        self.load = load_pack
        self.fixed = load_pack(ref) if ref else None     # a broken pack stops here, before any report

    def for_template(self, template: Any) -> Any:
        return self.fixed or self.load(str(template or "gov-2021"))

    def evaluated(self, result: CheckResult, pack: Any, content_hash: str, meta: dict[str, Any],
                  previous_id: int | None) -> Evaluated:
        return Evaluated(result, pack.name, pack_hash(pack), pack_policy(pack), content_hash,
                         meta.get("agency_key"), meta.get("year"), previous_id)


class _Previous:
    """Last year's report of an agency from the store, each parsed report decoded once."""

    def __init__(self, store: Store, parsed: dict[int, str] | None = None):
        self.store, self.parsed, self.cache = store, parsed or {}, {}

    def find(self, meta: dict[str, Any]) -> tuple[int | None, Report | None]:
        prev_id = self.store.previous_year(meta.get("agency_key"), meta.get("year"))
        if prev_id is None:
            return None, None
        if prev_id not in self.cache:
            text = self.parsed.get(prev_id)
            self.cache[prev_id] = report_from_dict(json.loads(text)) if text else self.store.parsed_report(prev_id)
        return prev_id, self.cache[prev_id]


# ---------------------------------------------------------------------------
@dataclass
class CheckedEntry:
    source: str
    report_id: int | None
    result: CheckResult
    error: str | None = None


@dataclass
class CheckSummary:
    run_id: int
    entries: list[CheckedEntry] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)   # (file, the file with the same content)


def read_submission(store: Store, path: str, template: str | None) -> tuple[Submission, Report | None]:
    """A file as the store keeps it: bytes, hash, parse (from the store when already read). Raises
    NianbaoError only when the file cannot be opened at all (then there is nothing to store)."""
    from ..errors import InputError
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"文件无法打开：{exc.strerror or exc}") from None
    content_hash = hashlib.sha256(data).hexdigest()
    version = parser_version() + (f"+{template}" if template else "")
    cached = store.stored_parse(content_hash, version)
    if cached is not None:
        report = report_from_dict(json.loads(cached))
        report.source = path
        return Submission(content_hash, data, Path(path).name, version, cached, _meta(report)), report
    try:
        report = _read(path, template)
    except NianbaoError as exc:
        return Submission(content_hash, data, Path(path).name, version, None, {}, exc.message), None
    return Submission(content_hash, data, Path(path).name, version,
                      json.dumps(report_to_dict(report), ensure_ascii=False), _meta(report)), report


def check_into_store(store: Store, inputs: list[str], pack_ref: str | None, user: str,
                     progress: Callable[[int, int, CheckedEntry], None] | None = None) -> CheckSummary:
    from ..batch import collect_inputs
    packs = _Packs(pack_ref)
    template = packs.fixed.template.version if packs.fixed else None
    sources = collect_inputs(inputs)
    summary = CheckSummary(store.begin_run("check", pack_ref, user, parser_version()))
    read: list[tuple[str, Submission | None, Report | None, str | None]] = []
    first_of: dict[str, str] = {}
    for source in sources:
        try:
            sub, report = read_submission(store, source, template)
        except NianbaoError as exc:
            read.append((source, None, None, exc.message))
            continue
        if sub.content_hash in first_of:     # the same bytes under another name: checked once
            summary.duplicates.append((source, first_of[sub.content_hash]))
            continue
        first_of[sub.content_hash] = source
        read.append((source, sub, report, sub.error))
    levels = roster_levels(store)
    previous = _Previous(store)
    # Earlier years first, so that last year's report checked in the same run is this year's prev.*
    read.sort(key=lambda item: (item[1].meta.get("year") or 0) if item[1] else 0)
    for number, (source, sub, report, error) in enumerate(read, start=1):
        if report is None:
            pack = packs.for_template(None)
            result = _unreadable_result(source, error or "", pack)
            entry = CheckedEntry(source, None, result, error)
            if sub is not None:
                entry.report_id = store.record(summary.run_id, sub, packs.evaluated(result, pack, sub.content_hash,
                                                                                     sub.meta, None))
        else:
            assert sub is not None
            _apply_roster(report, levels)
            sub.meta["level"] = report.meta_value("level")
            pack = packs.for_template(report.meta_value("template"))
            prev_id, prev = previous.find(sub.meta)
            result = _evaluate(report, pack, prev)
            entry = CheckedEntry(source, None, result)
            entry.report_id = store.record(summary.run_id, sub, packs.evaluated(result, pack, sub.content_hash,
                                                                                 sub.meta, prev_id))
        summary.entries.append(entry)
        if progress:
            progress(number, len(read), entry)
    store.finish_run(summary.run_id)
    return summary


@dataclass
class RecheckSummary:
    run_id: int
    reports: int
    reread: int
    diff: StateDiff
    states: list[ReportState]


def recheck(store: Store, pack_ref: str | None, user: str) -> RecheckSummary:
    """Evaluate every stored report again (after a pack edit), from its stored parse."""
    packs = _Packs(pack_ref)
    template = packs.fixed.template.version if packs.fixed else None
    version = parser_version() + (f"+{template}" if template else "")
    before = store.states()
    run_id = store.begin_run("recheck", pack_ref, user, parser_version())
    parsed = store.parsed_reports(version)
    levels = roster_levels(store)
    previous = _Previous(store, parsed)
    rows = sorted(store.report_rows(), key=lambda r: (r["year"] or 0, r["id"]))
    pending: list[Evaluated] = []
    reread = 0
    for row in rows:
        text = parsed.get(row["id"])
        if text is None:                  # a new parser (or another template): read the stored bytes again
            reread += 1
            text = _reread(store, row, template, version)
            if text is not None:
                parsed[row["id"]] = text
        meta = {"agency_key": row["agency_key"], "year": row["year"]}
        if text is None:
            pack = packs.for_template(None)
            result = _unreadable_result(row["source_name"], row["error"] or "", pack)
            pending.append(packs.evaluated(result, pack, row["content_hash"], meta, None))
        else:
            report = report_from_dict(json.loads(text))
            report.source = row["source_name"]
            _apply_roster(report, levels)
            pack = packs.for_template(report.meta_value("template"))
            prev_id, prev = previous.find(meta)
            pending.append(packs.evaluated(_evaluate(report, pack, prev), pack, row["content_hash"], meta, prev_id))
        pending[-1].report_id = row["id"]
        if len(pending) >= RECHECK_CHUNK:
            store.record_results(run_id, pending)
            pending = []
    if pending:
        store.record_results(run_id, pending)
    store.finish_run(run_id)
    after = store.states(run_id=run_id)
    return RecheckSummary(run_id, len(rows), reread, diff_states(before, after), after)


def _reread(store: Store, row: dict[str, Any], template: str | None, version: str) -> str | None:
    data = store.file_data(row["content_hash"])
    if data is None:
        return None
    suffix = Path(row["source_name"]).suffix
    with tempfile.TemporaryDirectory(prefix="nianbao-reread-") as tmp:
        path = Path(tmp) / f"report{suffix}"
        path.write_bytes(data)
        try:
            report = _read(str(path), template)
        except NianbaoError as exc:
            store.update_parse(row["id"], Submission(row["content_hash"], data, row["source_name"], version, None,
                                                     {}, exc.message))
            return None
    report.source = row["source_name"]
    sub = Submission(row["content_hash"], data, row["source_name"], version,
                     json.dumps(report_to_dict(report), ensure_ascii=False), _meta(report))
    store.update_parse(row["id"], sub)
    return sub.report_json
