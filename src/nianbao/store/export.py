"""The folder outputs written from the store, with review status and verdicts.

The same files a batch writes (`reports/*.html`, `letters/*.html`,
`index.html`, `findings.json`, `findings.csv`, `findings.xlsx`), made by the
same renderers in `outputs/`, for the current version of every stored report
as its latest run left it. Findings reviewed as 误报 or 豁免 are struck through
on the pages with the reason, left out of letters and verdicts, and listed
with their status in the JSON and spreadsheets.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import strict_json
from ..atomic import atomic_open, atomic_write_text
from ..batch import output_names
from ..errors import NianbaoError
from ..findings import CheckResult
from .campaign import ReportState, Store
from .reviews import STATUS_CN


@dataclass
class ExportSummary:
    out_dir: Path
    reports: int
    letters: int
    problems: list[str]          # reports whose page or letter could not be written, with the reason


def state_json(state: ReportState) -> dict[str, Any]:
    """One report as `check --format json` gives it, plus fingerprint/status per finding and the verdict."""
    row = state.report
    counts = {s: 0 for s in ("error", "warning", "info")}
    for f in state.live_findings():
        counts[f.severity] = counts.get(f.severity, 0) + 1
    findings = []
    for f in state.findings:
        data = f.to_json()
        data["review_reason"] = f.review.reason if f.review else ""
        findings.append(data)
    return {"source": row["source_name"], "pack": state.pack_name, "report_id": row["id"], "version": row["version"],
            "meta": {"agency": row["agency"], "year": row["year"], "date": row["report_date"], "level": row["level"],
                     "template": row["template"]},
            "verdict": state.verdict, "counts": counts, "review_counts": state.counts, "findings": findings,
            "unchecked": state.unchecked, "checked_at": state.checked_at.isoformat()}


def _pack_of(state: ReportState, cache: dict[str, Any]):
    from ..packs import load_pack
    for ref in (state.pack_name, state.report["template"] or "gov-2021"):
        if ref not in cache:
            try:
                cache[ref] = load_pack(ref)
            except NianbaoError:
                cache[ref] = None
        if cache[ref] is not None:
            return cache[ref]
    return load_pack("gov-2021")


def export(store: Store, out_dir: Path, letters: bool = True, today: dt.date | None = None) -> ExportSummary:
    from ..outputs.html_report import render_index_html, render_report_html
    from ..outputs.letter import NoFindings, render_letter_html
    from ..outputs.tables import CsvWriter, XlsxWriter

    today = today or dt.date.today()
    states = [s for s in store.states() if not s.superseded]
    names = output_names([f"{s.report['id']}-{Path(s.report['source_name']).stem}" for s in states])
    out_dir.mkdir(parents=True, exist_ok=True)
    packs: dict[str, Any] = {}
    entries, problems, letter_count = [], [], 0
    csv_out = CsvWriter(out_dir / "findings.csv", reviews=True)
    xlsx_out = XlsxWriter(out_dir / "findings.xlsx", reviews=True)
    ok = False
    try:
        with atomic_open(out_dir / "findings.json", "w") as js:
            js.write('{"reports": [\n')
            for i, state in enumerate(states):
                name = names[f"{state.report['id']}-{Path(state.report['source_name']).stem}"]
                data = state_json(state)
                js.write((",\n" if i else "") + strict_json.dumps(data))
                page = f"reports/{name}.html"
                csv_out.add(data, page, data["verdict"])
                xlsx_out.add(data, page, data["verdict"])
                pack = _pack_of(state, packs)
                full = state.result(include_dismissed=True, report=store.parsed_report(state.report["id"]))
                reviews = {id(f): _review_view(s) for f, s in zip(full.findings, state.findings) if s.review}
                entry = {"source": data["source"], "meta": data["meta"], "pack": state.pack_name,
                         "counts": data["counts"], "verdict": data["verdict"], "error": state.report["error"],
                         "categories": _categories(state), "page": None, "letter": None}
                try:
                    atomic_write_text(out_dir / page, render_report_html(
                        full, pack, state.checked_at, "../index.html", reviews=reviews, verdict=data["verdict"]))
                    entry["page"] = page
                    live = CheckResult(full.source, full.pack, full.report,
                                       [f for f, s in zip(full.findings, state.findings) if not s.dismissed])
                    if letters and live.findings and not state.report["error"]:
                        try:
                            atomic_write_text(out_dir / "letters" / f"{name}.html",
                                              render_letter_html(live, pack, today))
                            entry["letter"] = f"letters/{name}.html"
                            letter_count += 1
                        except NoFindings:
                            pass
                except NianbaoError as exc:
                    problems.append(f"{data['source']}：{exc.message}")
                entries.append(entry)
            js.write("\n]}\n")
        ok = True
    finally:
        csv_out.close(ok)
        xlsx_out.close(ok)
    _remove_stale(out_dir, {e["page"] for e in entries} | {e["letter"] for e in entries})
    atomic_write_text(out_dir / "index.html", render_index_html(entries, dt.datetime.now().replace(microsecond=0),
                                                                title="年报审核汇总（审核库）"))
    return ExportSummary(out_dir, len(states), letter_count, problems)


def _review_view(finding) -> dict[str, Any]:
    review = finding.review
    return {"status": review.status, "status_cn": STATUS_CN[review.status], "reason": review.reason,
            "reviewer": review.reviewer, "at": review.created_at.strftime("%Y-%m-%d %H:%M"),
            "dismissed": finding.dismissed}


def _categories(state: ReportState) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in state.live_findings():
        out[f.category] = out.get(f.category, 0) + 1
    return out


MANIFEST = ".nianbao-export.json"


def _remove_stale(out_dir: Path, written: set[str | None]) -> None:
    """Pages and letters an earlier export wrote and this one did not (e.g. the letter of a report whose
    findings are now all dismissed) are removed, so the folder shows what is true now. Only files listed
    in the earlier export's manifest are touched, never anyone else's."""
    manifest = out_dir / MANIFEST
    now_written = sorted(w for w in written if w)
    try:
        earlier = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        earlier = []
    for rel in earlier:
        if isinstance(rel, str) and rel not in now_written and rel.startswith(("reports/", "letters/")) \
                and "/" not in rel.split("/", 1)[1] and ".." not in rel:
            (out_dir / rel).unlink(missing_ok=True)
    atomic_write_text(manifest, json.dumps({"files": now_written}, ensure_ascii=False))
