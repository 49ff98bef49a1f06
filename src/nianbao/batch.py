"""Batch audits: many reports, several processes, every output written atomically.

`run_batch` reads every input (directories recursively, mixed formats),
checks each report in a worker process, and streams the results into the
output folder: one HTML page (and letter) per report, `index.html`,
`findings.json` (the schema of `nianbao check --format json`),
`findings.csv` and `findings.xlsx`. A file that cannot be read becomes a
`parse.unreadable` entry; the run goes on.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from . import strict_json
from .atomic import atomic_open, atomic_write_text
from .errors import NianbaoError

REPORT_SUFFIXES = {".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".shtml", ".xhtml", ".docx"}


@dataclass
class BatchOptions:
    out_dir: Path
    pack: str | None = None          # name or path; None: the pack of each report's template
    jobs: int = 1
    letters: bool = True
    pages: bool = True
    pair: bool = True                # pair reports of the same agency across years, for cross-year rules


def collect_inputs(paths: Iterable[str]) -> list[str]:
    """Files named directly, plus report files found recursively in directories; sorted, no duplicates."""
    found: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in REPORT_SUFFIXES and not child.name.startswith("."):
                    found.append(str(child))
        else:
            found.append(str(path))     # a missing or odd file becomes an unreadable entry, not a crash
    seen: set[str] = set()
    return [p for p in found if not (p in seen or seen.add(p))]


def output_names(sources: list[str]) -> dict[str, str]:
    """A readable, unique file stem per input (stem, then -2, -3… in input order)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for source in sources:
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(source).stem) or "report"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        names[source] = name
    return names


# ---------------------------------------------------------------------------
# Worker side: one report in, one summary out. Runs in a child process.
_CHECKERS: dict[str | None, Any] = {}


def _checker(pack_ref: str | None):
    from .checker import Checker
    if pack_ref not in _CHECKERS:
        _CHECKERS[pack_ref] = Checker(pack_ref)
    return _CHECKERS[pack_ref]


def check_one(task: tuple[str, str, str | None, str | None, dict]) -> dict[str, Any]:
    """Check one file; never raises. Returns the report's JSON plus batch bookkeeping."""
    source, name, pack_ref, previous, opts = task
    out_dir = Path(opts["out_dir"])
    try:
        checker = _checker(pack_ref)
        result = checker.check(source, previous=previous)
        data = result.to_json()
        if result.unreadable:
            return {"entry": _entry(data, error=result.unreadable), "report": data}
        active = checker.pack_of(result)
        entry = _entry(data, error=None)
        checked_at = dt.datetime.now().replace(microsecond=0)
        try:
            if opts.get("pages"):
                entry["page"] = _write_page(result, active, checked_at, out_dir, name)
            if opts.get("letters") and result.findings:
                entry["letter"] = _write_letter(result, active, checked_at.date(), out_dir, name)
        except NianbaoError as exc:
            # The report was checked; only an output failed (e.g. a pack's letter template).
            entry["output_error"] = exc.message
        return {"entry": entry, "report": data}
    except Exception as exc:  # a bug must not stop the batch; it is reported with the file
        message = f"内部错误（{type(exc).__name__}: {exc}），请将此文件提交给 nianbao 维护者"
        result = _checker(None).unreadable(source, message)
        data = result.to_json()
        data["traceback"] = traceback.format_exc(limit=5)
        return {"entry": _entry(data, error=message), "report": data}


def _entry(data: dict[str, Any], error: str | None) -> dict[str, Any]:
    categories: dict[str, int] = {}
    for finding in data.get("findings", []):
        categories[finding["category"]] = categories.get(finding["category"], 0) + 1
    return {"source": data["source"], "page": None, "letter": None, "error": error, "meta": data.get("meta", {}),
            "pack": data.get("pack", ""), "counts": data.get("counts", {}), "categories": categories,
            "previous": data.get("previous")}


def _write_page(result, pack, checked_at, out_dir: Path, name: str) -> str | None:
    from .outputs.html_report import render_report_html
    rel = f"reports/{name}.html"
    atomic_write_text(out_dir / rel, render_report_html(result, pack, checked_at, index_href="../index.html"))
    return rel


def _write_letter(result, pack, today, out_dir: Path, name: str) -> str | None:
    from .outputs.letter import NoFindings, render_letter_html
    rel = f"letters/{name}.html"
    try:
        atomic_write_text(out_dir / rel, render_letter_html(result, pack, today))
    except NoFindings:
        return None
    return rel


# ---------------------------------------------------------------------------
# Parent side.
@dataclass
class BatchSummary:
    entries: list[dict[str, Any]]
    out_dir: Path

    @property
    def errors(self) -> int:
        return sum(e["counts"].get("error", 0) for e in self.entries)

    @property
    def unreadable(self) -> int:
        return sum(1 for e in self.entries if e["error"])


def run_batch(inputs: list[str], options: BatchOptions,
              progress: Callable[[int, int, dict[str, Any]], None] | None = None) -> BatchSummary:
    from .outputs.tables import CsvWriter, XlsxWriter

    sources = collect_inputs(inputs)
    names = output_names(sources)
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    # Temp files an interrupted earlier run left behind (never renamed, so never taken for results).
    for stale in out.rglob(".*.part*"):
        if stale.is_file():
            stale.unlink()
    opts = {"out_dir": str(out), "pages": options.pages, "letters": options.letters}
    previous = _pairs(sources, options.jobs) if options.pair else {}
    tasks = [(s, names[s], options.pack, previous.get(s), opts) for s in sources]
    entries: list[dict[str, Any]] = []
    csv_out, xlsx_out = CsvWriter(out / "findings.csv"), XlsxWriter(out / "findings.xlsx")
    ok = False
    try:
        with atomic_open(out / "findings.json", "w") as js:
            js.write('{"reports": [\n')
            for i, item in enumerate(_results(tasks, options.jobs), start=1):
                entries.append(item["entry"])
                if i > 1:
                    js.write(",\n")
                js.write(strict_json.dumps(item["report"]))
                csv_out.add(item["report"], page=item["entry"].get("page"))
                xlsx_out.add(item["report"], page=item["entry"].get("page"))
                if progress:
                    progress(i, len(tasks), item["entry"])
            js.write("\n]}\n")
        ok = True
    finally:
        csv_out.close(ok)
        xlsx_out.close(ok)
    if options.pages:
        from .outputs.html_report import render_index_html
        atomic_write_text(out / "index.html", render_index_html(entries, dt.datetime.now().replace(microsecond=0)))
    return BatchSummary(entries, out)


def _pairs(sources: list[str], jobs: int) -> dict[str, str]:
    from .pairing import identify, pair_reports
    ids = dict(zip(sources, _map(identify, sources, jobs)))
    return pair_reports(sources, ids)


def _map(fn, items: list, jobs: int) -> list:
    if len(items) <= 1:
        return [fn(item) for item in items]
    with _pool(jobs) as pool:
        return pool.map(fn, items, chunksize=4)


def _pool(jobs: int):
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    # maxtasksperchild bounds a worker's memory (pdfminer caches grow with what it has read).
    return ctx.Pool(processes=jobs, maxtasksperchild=50)


def _results(tasks: list[tuple], jobs: int):
    """Results in input order, from `jobs` worker processes. Even with one job the work runs in
    a worker, recycled every 50 reports, so the memory a long batch needs stays flat."""
    if len(tasks) <= 1:
        for task in tasks:
            yield check_one(task)
        return
    with _pool(jobs) as pool:
        yield from pool.imap(check_one, tasks, chunksize=1)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
