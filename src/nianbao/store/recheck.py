"""Re-checking what the store holds, after a pack edit, without reading the files again.

Every stored report is evaluated from its stored parse (a new parser version
re-reads the stored bytes first). A report whose inputs (its parse, last
year's report, its roster level, the evaluator) are those of its previous run
keeps the stored findings of every rule whose signature is unchanged; only
the rules the edit added or changed are evaluated on it. Results are written
in chunks (each report whole, with its run entry) and compared with each
report's previous state for the run diff.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..findings import CheckResult
from ..model import Report
from ..model_json import report_from_dict, unchecked_from_json
from .campaign import Evaluated, ReportState, Store, StoredFinding
from . import checking
from .checking import PackSet, apply_roster, inputs_hash, reread_stored, rule_signatures
from .diff import StateDiff, diff_states
from .roster import roster_levels

WRITE_CHUNK = 250       # reports per transaction (each report is still all-or-nothing)


@dataclass
class RecheckSummary:
    run_id: int
    reports: int
    reread: int
    evaluated_in_full: int          # reports whose inputs changed (or first seen): every rule evaluated
    rules_evaluated: int            # rules evaluated on the others: those the edit added or changed
    diff: StateDiff


@dataclass
class _Plan:
    """What to do for one stored report."""

    row: dict[str, Any]
    pack: Any
    prev_id: int | None = None
    inputs: str | None = None
    rules: list[Any] | None = None                  # rules to evaluate; None: all of them
    kept: list[StoredFinding] = field(default_factory=list)
    kept_unchecked: list[dict[str, Any]] = field(default_factory=list)
    result: CheckResult | None = None


def recheck(store: Store, pack_ref: str | None, user: str) -> RecheckSummary:
    packs = PackSet(pack_ref)
    version = packs.parse_version()
    before = {s.report["id"]: s for s in store.states()}
    run_id = store.begin_run("recheck", pack_ref, user, checking.parser_version())
    parsed = store.parsed_reports(version)
    levels = roster_levels(store)
    rows = sorted(store.report_rows(), key=lambda r: (r["year"] or 0, r["id"]))
    reread = {row["id"] for row in rows if row["id"] not in parsed}
    for row in rows:
        if row["id"] in reread:           # a new parser (or another template): read the stored bytes again
            text = reread_stored(store, packs, row)
            if text is not None:
                parsed[row["id"]] = text
    rows = [store.report_row(r["id"]) if r["id"] in reread else r for r in rows]
    plans = _plan(store, rows, parsed, before, reread, packs, version, levels)
    _evaluate_plans([p for p in plans if p.result is None], packs, parsed, {r["id"]: r for r in rows}, levels)
    after: list[ReportState] = []
    for start in range(0, len(plans), WRITE_CHUNK):
        after += _write(store, run_id, plans[start:start + WRITE_CHUNK], packs)
    store.finish_run(run_id)
    changed = {r.id for p in plans if p.rules is not None for r in p.rules}
    in_full = sum(1 for p in plans if p.rules is None and p.inputs is not None)
    return RecheckSummary(run_id, len(rows), len(reread), in_full, len(changed),
                          diff_states(list(before.values()), after))


def _plan(store: Store, rows: list[dict[str, Any]], parsed: dict[int, str], before: dict[int, ReportState],
          reread: set[int], packs: PackSet, version: str, levels: dict[str, str]) -> list[_Plan]:
    latest = _latest_versions(rows, parsed)
    by_id = {r["id"]: r for r in rows}
    signatures: dict[str, dict[str, str]] = {}
    plans = []
    for row in rows:
        if row["id"] not in parsed:
            result, pack = packs.unreadable(row["source_name"], row["error"] or "")
            plans.append(_Plan(row, pack, result=result))
            continue
        plan = _Plan(row, packs.for_template(row["template"]))
        plan.prev_id = latest.get((row["agency_key"], (row["year"] or 0) - 1)) if row["agency_key"] else None
        prev_key = f"{by_id[plan.prev_id]['content_hash']}:{version}" if plan.prev_id else ""
        plan.inputs = inputs_hash(row["content_hash"], row["agency_key"], version, plan.prev_id, prev_key, levels)
        old = before.get(row["id"])
        if old is not None and old.inputs_hash == plan.inputs and row["id"] not in reread:
            if old.pack_hash not in signatures:
                signatures[old.pack_hash] = store.pack_signatures(old.pack_hash)
            _carry_over(plan, old, signatures[old.pack_hash])
        plans.append(plan)
    return plans


def _carry_over(plan: _Plan, old: ReportState, old_signatures: dict[str, str]) -> None:
    """Keep the stored findings of the rules the edit left alone (same signature, same inputs: they would
    find exactly the same); evaluate only the rules it added or changed."""
    pack = plan.pack
    new_signatures = rule_signatures(pack)
    active = [r for r in pack.rules if r.id not in pack.disabled]
    plan.rules = [r for r in active if old_signatures.get(r.id) != new_signatures.get(r.id)]
    kept = {r.id for r in active} - {r.id for r in plan.rules}
    plan.kept = [f for f in old.findings if f.rule in kept]
    plan.kept_unchecked = [u for u in old.unchecked if u["rule"] in kept]
    if not plan.rules:
        plan.result = CheckResult(source=plan.row["source_name"], pack=pack.name, report=None)


# ---------------------------------------------------------------------------
def _evaluate_plans(plans: list[_Plan], packs: PackSet, parsed: dict[int, str], by_id: dict[int, dict[str, Any]],
                    levels: dict[str, str]) -> None:
    """Evaluate what each plan asks for; every stored report decoded once (last year's ones are shared)."""
    decoded: dict[int, Report] = {}

    def report(report_id: int) -> Report:
        if report_id not in decoded:
            found = report_from_dict(json.loads(parsed[report_id]))
            found.source = by_id[report_id]["source_name"]
            apply_roster(found, levels)
            decoded[report_id] = found
        return decoded[report_id]

    partial: dict[tuple, Any] = {}        # the pack cut down to the rules an edit changed, made once
    for plan in plans:
        pack = plan.pack
        if plan.rules is not None:
            key = (id(plan.pack), tuple(r.id for r in plan.rules))
            if key not in partial:
                partial[key] = dataclasses.replace(plan.pack, rules=plan.rules, disabled=set())
            pack = partial[key]
        plan.result = packs.evaluate(report(plan.row["id"]), pack, report(plan.prev_id) if plan.prev_id else None)


# ---------------------------------------------------------------------------
def _write(store: Store, run_id: int, plans: list[_Plan], packs: PackSet) -> list[ReportState]:
    """Record a chunk of reports; their states as written (for the run diff, without reading them back)."""
    items = []
    for plan in plans:
        row, result = plan.row, plan.result
        assert result is not None
        result.unchecked = [unchecked_from_json(u) for u in plan.kept_unchecked] + result.unchecked
        item: Evaluated = packs.evaluated(result, plan.pack, row["content_hash"],
                                          {"agency_key": row["agency_key"], "year": row["year"]}, plan.prev_id)
        item.report_id, item.inputs_hash, item.kept = row["id"], plan.inputs, plan.kept
        items.append(item)
    if not items:
        return []
    written = store.record_results(run_id, items)
    return [ReportState(plan.row, run_id, item.pack_name, item.pack_hash, item.inputs_hash, item.policy,
                        item.previous_report_id, [], dt.datetime.now(), findings)
            for plan, item, findings in zip(plans, items, written)]


def _latest_versions(rows: list[dict[str, Any]], parsed: dict[int, str]) -> dict[tuple[str, int], int]:
    """(agency key, year) -> the latest readable version's id: last year's report for `prev.*`."""
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for row in rows:
        if row["agency_key"] and row["year"] and row["id"] in parsed:
            key = (row["agency_key"], row["year"])
            if key not in out or out[key][0] < row["version"]:
                out[key] = (row["version"], row["id"])
    return {key: report_id for key, (_, report_id) in out.items()}
