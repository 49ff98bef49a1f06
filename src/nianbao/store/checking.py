"""Checking into the store: reading, evaluating, and what decides whether a stored result still holds.

`check_into_store` reads each file (or takes its parse from the store when
this parser version has read the same bytes before), evaluates it with last
year's stored report of the same agency as `prev.*`, and records it. The
versions and signatures here (parser, evaluator, pack, rules, inputs) are
what `recheck` (recheck.py) compares to re-evaluate only what an edit changed.
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
from ..model_json import report_from_dict, report_to_dict
from ..pairing import agency_key
from .campaign import Evaluated, Store, Submission
from .roster import LEVEL_CN, roster_levels
from .verdict import pack_policy

# What decides how a file is read: a change in any of these re-reads stored files on the next recheck.
_PARSER_SOURCES = ("ingest", "mapping.py", "detect.py", "metadata.py", "cells.py", "reading.py", "template.py",
                   "document.py", "model.py", "model_json.py")


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


@functools.lru_cache(maxsize=1)
def evaluator_version() -> str:
    """A hash of the code that turns facts and rules into findings: a change re-evaluates every rule."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    # This module too: how findings are carried over from one run to the next is part of evaluating.
    for path in [root / "engine.py", root / "findings.py", Path(__file__), *sorted((root / "lang").glob("*.py")),
                 *sorted((root.parent.parent / "grammar").glob("*.lark")), *sorted((root / "grammar").glob("*.lark"))]:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def rule_signatures(pack: Any) -> dict[str, str]:
    """Rule id -> a hash of everything the rule's findings depend on besides the report: the rule as written
    (after inheritance), and, for every rule alike, the template, the parameters, the narrative facts and the
    evaluator. Two packs give a rule the same signature only when it finds the same on any report."""
    cached = getattr(pack, "_nianbao_signatures", None)
    if cached is not None:
        return cached
    shared = json.dumps([pack.template.version, pack.params,
                         [(n.name, n.label, n.section, n.kind, [p.pattern for p in n.patterns]) for n in pack.narrative],
                         evaluator_version()], sort_keys=True, default=str, ensure_ascii=False)
    out = {}
    for rule in pack.rules:
        if rule.id in pack.disabled:       # a rule switched back on is evaluated again, not carried over
            continue
        text = json.dumps([rule.id, rule.data], sort_keys=True, default=str, ensure_ascii=False)
        out[rule.id] = hashlib.sha256(f"{shared}\x1f{text}".encode()).hexdigest()[:16]
    pack._nianbao_signatures = out
    return out


def pack_hash(pack: Any) -> str:
    """The pack's files as read (and the evaluator's version, which its stored rule signatures depend on)."""
    digest = hashlib.sha256(f"{pack.name}\x1f{evaluator_version()}".encode())
    for file in pack.files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


def _meta(report: Report) -> dict[str, Any]:
    date = report.meta_value("date")
    year = report.meta_value("year")
    return {"agency": report.meta_value("agency"), "agency_key": agency_key(report.meta_value("agency")),
            "year": year if isinstance(year, int) else None, "level": report.meta_value("level"),
            "template": report.meta_value("template"), "format": report.format,
            "date": date.isoformat() if hasattr(date, "isoformat") else None}


def apply_roster(report: Report, levels: dict[str, str]) -> None:
    """The roster's level, where it has one, replaces the guess from the agency's name."""
    key = agency_key(report.meta_value("agency"))
    level = levels.get(key) if key else None
    if level:
        report.meta["level"] = Fact("meta.level", level, f"审核名单登记为{LEVEL_CN[level]}", None)


class PackSet:
    """The run's `Checker` (the one path to reading and evaluating; the pack given on the command line,
    if any, for every report; packs from the process-wide cache, reloaded when their files change, as
    a pack edit before a recheck does) and, per pack, its hash, verdict policy and rule signatures."""

    def __init__(self, ref: str | None):
        from ..checker import Checker, default_checker
        self.checker = Checker(ref, packs=default_checker().packs)   # a broken pack stops here
        self.fixed = self.checker.fixed_pack
        self.hashes: dict[int, tuple] = {}

    def for_template(self, template: Any) -> Any:
        from ..checker import DEFAULT_TEMPLATE
        return self.fixed or self.checker.packs.get(str(template or DEFAULT_TEMPLATE))

    def parse_version(self) -> str:
        """The key of a parse: the parser's version, and the template when the pack imposes one."""
        return parser_version() + (f"+{self.fixed.template.version}" if self.fixed else "")

    def read(self, path: str) -> Report:
        """Raises InputError / UnreadableInput for a file that cannot be read."""
        return self.checker.read(path)

    def evaluate(self, report: Report, pack: Any, previous: Report | None) -> CheckResult:
        return self.checker.evaluate(report, previous=previous, pack=pack)

    def unreadable(self, source: str, message: str) -> tuple[CheckResult, Any]:
        """The pack's verdict on a file that could not be read, and that pack."""
        return self.checker.unreadable(source, message), self.for_template(None)

    def evaluated(self, result: CheckResult, pack: Any, content_hash: str, meta: dict[str, Any],
                  previous_id: int | None) -> Evaluated:
        if id(pack) not in self.hashes:
            self.hashes[id(pack)] = (pack_hash(pack), pack_policy(pack), rule_signatures(pack))
        digest, policy, signatures = self.hashes[id(pack)]
        return Evaluated(result, pack.name, digest, policy, content_hash, meta.get("agency_key"), meta.get("year"),
                         previous_id, rule_signatures=signatures)


class _Previous:
    """Last year's report of an agency from the store (roster level applied, as to this year's), with the
    key of the parse it comes from; each decoded once."""

    def __init__(self, store: Store, levels: dict[str, str]):
        self.store, self.levels, self.cache = store, levels, {}

    def find(self, meta: dict[str, Any]) -> tuple[int | None, Report | None, str]:
        prev_id = self.store.previous_year(meta.get("agency_key"), meta.get("year"))
        if prev_id is None:
            return None, None, ""
        if prev_id not in self.cache:
            row = self.store.report_row(prev_id)
            report = self.store.parsed_report(prev_id)
            if report is not None:
                report.source = row["source_name"]
                apply_roster(report, self.levels)
            self.cache[prev_id] = (report, f"{row['content_hash']}:{row['parser_version']}")
        return (prev_id, *self.cache[prev_id])


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


def read_submission(store: Store, packs: PackSet, path: str) -> tuple[Submission, Report | None]:
    """A file as the store keeps it: bytes, hash, parse (from the store when already read). Raises
    NianbaoError only when the file cannot be opened at all (then there is nothing to store)."""
    from ..errors import InputError
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"文件无法打开：{exc.strerror or exc}") from None
    content_hash = hashlib.sha256(data).hexdigest()
    version = packs.parse_version()
    cached = store.stored_parse(content_hash, version)
    if cached is not None:
        report = report_from_dict(json.loads(cached))
        report.source = path
        return Submission(content_hash, data, Path(path).name, version, cached, _meta(report)), report
    try:
        report = packs.read(path)
    except NianbaoError as exc:
        return Submission(content_hash, data, Path(path).name, version, None, {}, exc.message), None
    return Submission(content_hash, data, Path(path).name, version,
                      json.dumps(report_to_dict(report), ensure_ascii=False), _meta(report)), report


def check_into_store(store: Store, inputs: list[str], pack_ref: str | None, user: str,
                     progress: Callable[[int, int, CheckedEntry], None] | None = None) -> CheckSummary:
    from ..batch import collect_inputs
    packs = PackSet(pack_ref)
    sources = collect_inputs(inputs)
    summary = CheckSummary(store.begin_run("check", pack_ref, user, parser_version()))
    read: list[tuple[str, Submission | None, Report | None, str | None]] = []
    first_of: dict[str, str] = {}
    for source in sources:
        try:
            sub, report = read_submission(store, packs, source)
        except NianbaoError as exc:
            read.append((source, None, None, exc.message))
            continue
        if sub.content_hash in first_of:     # the same bytes under another name: checked once
            summary.duplicates.append((source, first_of[sub.content_hash]))
            continue
        first_of[sub.content_hash] = source
        read.append((source, sub, report, sub.error))
    levels = roster_levels(store)
    previous = _Previous(store, levels)
    # Earlier years first, so that last year's report checked in the same run is this year's prev.*
    read.sort(key=lambda item: (item[1].meta.get("year") or 0) if item[1] else 0)
    for number, (source, sub, report, error) in enumerate(read, start=1):
        if report is None:
            result, pack = packs.unreadable(source, error or "")
            entry = CheckedEntry(source, None, result, error)
            if sub is not None:
                entry.report_id = store.record(summary.run_id, sub, packs.evaluated(result, pack, sub.content_hash,
                                                                                     sub.meta, None))
        else:
            assert sub is not None
            apply_roster(report, levels)
            sub.meta["level"] = report.meta_value("level")
            pack = packs.for_template(report.meta_value("template"))
            prev_id, prev, prev_key = previous.find(sub.meta)
            result = packs.evaluate(report, pack, prev)
            entry = CheckedEntry(source, None, result)
            item = packs.evaluated(result, pack, sub.content_hash, sub.meta, prev_id)
            item.inputs_hash = inputs_hash(sub.content_hash, sub.meta.get("agency_key"), sub.parser_version,
                                            prev_id, prev_key, levels)
            entry.report_id = store.record(summary.run_id, sub, item)
        summary.entries.append(entry)
        if progress:
            progress(number, len(read), entry)
    store.finish_run(summary.run_id)
    return summary


def inputs_hash(content_hash: str, key: str | None, version: str, prev_id: int | None, prev_key: str,
                 levels: dict[str, str]) -> str:
    """What an evaluation reads besides the pack: the parse, last year's report (and its parse), the roster
    level of the agency (of both years), the evaluator."""
    parts = [content_hash, version, str(prev_id or ""), prev_key, levels.get(key or "", ""), evaluator_version()]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def reread_stored(store: Store, packs: PackSet, row: dict[str, Any]) -> str | None:
    """A stored file read again (by a new parser version); its new parse, or None if it cannot be read."""
    version = packs.parse_version()
    data = store.file_data(row["content_hash"])
    if data is None:
        return None
    suffix = Path(row["source_name"]).suffix
    with tempfile.TemporaryDirectory(prefix="nianbao-reread-") as tmp:
        path = Path(tmp) / f"report{suffix}"
        path.write_bytes(data)
        try:
            report = packs.read(str(path))
        except NianbaoError as exc:
            store.update_parse(row["id"], Submission(row["content_hash"], data, row["source_name"], version, None,
                                                     {}, exc.message))
            return None
    report.source = row["source_name"]
    sub = Submission(row["content_hash"], data, row["source_name"], version,
                     json.dumps(report_to_dict(report), ensure_ascii=False), _meta(report))
    store.update_parse(row["id"], sub)
    return sub.report_json
