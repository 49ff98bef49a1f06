"""The parent of a batch: schedule the tasks, pair the years, stream the results to disk.

Each file is read once: phase 1 parses every report in the workers and
answers with its identity (agency key, year, template, content hash); the
parent pairs each report with last year's report of the same agency from
those identities; phase 2 evaluates the parsed reports. Without pairing one
task per file does both. Findings go straight to findings.json/.csv/.xlsx on
disk; what the parent must remember of each report (task, identity, pair, index
entry, files written) is kept in the run's ledger on disk (ledger.py), so its
memory stays flat however many files a run holds.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import strict_json
from ..atomic import atomic_open, atomic_write_text
from .executors import make_executor
from .executors.local import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from .folder import OutputFolder
from .inputs import collect, output_names
from .tasks import NotChecked, ReportOutcome, WorkSettings


@dataclass
class BatchOptions:
    out_dir: Path
    pack: str | None = None          # name or path; None: the pack of each report's template
    jobs: int = 1
    letters: bool = True
    pages: bool = True
    pair: bool = True                # pair reports of the same agency across years, for cross-year rules
    timeout: float | None = DEFAULT_TIMEOUT      # wall time per file and phase; None: no limit
    memory_mb: int = DEFAULT_MEMORY_MB           # address space of a local worker; 0: no limit
    scheduler: str | None = None     # a Dask scheduler address: run the tasks on that cluster
    ship_bytes: bool = False         # Dask: send each file's bytes with its task (no shared folder)
    letter_settings: Any = None      # nianbao.settings.LetterSettings (nianbao.toml + --sender…); None: defaults


@dataclass
class BatchSummary:
    out_dir: Path
    reports: int = 0                 # reports checked (unreadable ones included)
    errors: int = 0                  # error-severity findings, all reports together
    unreadable: int = 0              # files that could not be read
    not_checked: list[NotChecked] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) during a run: workers stopped, folder left marked incomplete."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.status = 128 + signum


@dataclass
class _Summary:
    """findings.json/.csv/.xlsx as temp files filled as results arrive; renamed into place only at the end.
    Index entries go to the run's ledger on disk, not into memory."""
    out: Path
    ledger: Any                      # batch.ledger.RunLedger
    counts: BatchSummary = None      # type: ignore[assignment]
    done: bool = False

    def __enter__(self) -> "_Summary":
        from ..outputs.tables import CsvWriter, XlsxWriter
        self.counts = BatchSummary(self.out)
        self._json_ctx = atomic_open(self.out / "findings.json", "w")
        self._json = self._json_ctx.__enter__()
        self._json.write('{"reports": [\n')
        self._csv, self._xlsx = CsvWriter(self.out / "findings.csv"), XlsxWriter(self.out / "findings.xlsx")
        return self

    def add(self, outcome: ReportOutcome) -> dict[str, Any]:
        if self.counts.reports:
            self._json.write(",\n")
        data = outcome.to_json()
        self._json.write(strict_json.dumps(data))          # no Infinity/NaN, raw controls escaped
        self._csv.add(data, page=outcome.page)
        self._xlsx.add(data, page=outcome.page)
        entry = outcome.index_entry()
        self.ledger.add_entry(outcome.seq, entry)
        self.counts.reports += 1
        self.counts.errors += int((entry["counts"] or {}).get("error", 0))
        self.counts.unreadable += 1 if entry["error"] else 0
        return entry

    def finish(self, not_checked: list[NotChecked], duplicates: list[dict[str, Any]]) -> None:
        self._json.write("\n],\n" + strict_json.dumps({"not_checked": [n.to_json() for n in not_checked],
                                                "duplicates": duplicates}, ensure_ascii=False)[1:] + "\n")
        self.done = True
        self._json_ctx.__exit__(None, None, None)
        self._csv.close(True)
        self._xlsx.close(True)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not self.done:
            self.abort()

    def abort(self) -> None:
        self.done = True
        err = RuntimeError("aborted")
        self._json_ctx.__exit__(RuntimeError, err, None)
        self._csv.close(False)
        self._xlsx.close(False)


def run_batch(inputs: list[str], options: BatchOptions,
              progress: Callable[[int, int, dict[str, Any]], None] | None = None,
              reading: Callable[[int, int], None] | None = None) -> BatchSummary:
    """Check every input into `options.out_dir`. Raises OutputLocked (another run writes there) and
    Interrupted (SIGTERM); never raises for one bad file.

    `progress(done, total, entry)` after each report's final result; `reading(done, total)` after each
    file read in phase 1 (with pairing)."""
    out = options.out_dir
    folder = OutputFolder(out)
    with folder, _signals_raise():
        found = collect(inputs, exclude=out)
        total = len(found.sources)
        probe = folder.work_dir / f"shared-{secrets.token_hex(8)}" if options.scheduler else None
        settings = WorkSettings(pack=options.pack, pages=options.pages, letters=options.letters,
                                out_dir=None if options.scheduler else str(out),
                                shared_out=(str(out.resolve()), str(probe.resolve())) if probe else None,
                                letter_settings=options.letter_settings)
        # The backend first: a cluster that cannot be reached leaves the last run's results untouched.
        with make_executor(settings, jobs=options.jobs, cache_dir=str(folder.work_dir), timeout=options.timeout,
                           memory_mb=options.memory_mb, scheduler=options.scheduler,
                           ship_bytes=options.ship_bytes) as executor:
            folder.begin(_placeholder() if options.pages else None)
            if probe is not None:
                probe.write_text("nianbao\n", encoding="utf-8")    # what remote workers look for
            ledger = folder.ledger
            ledger.add_tasks(found.sources, output_names(found.sources))
            found.sources = []                      # from here on the ledger holds them
            summary = _Summary(out, ledger)
            with summary:
                stream = (_paired(executor, ledger, total, reading) if options.pair
                          else executor.check(ledger.tasks()))
                for outcome in stream:
                    for rel, data in outcome.files.items():
                        folder.write_bytes(rel, data)
                    folder.record(outcome.page, *(outcome.letter_files or (outcome.letter,)))
                    if outcome.identity is not None and not options.pair:
                        ledger.add_identity(outcome.seq, outcome.identity)
                    entry = summary.add(outcome)
                    if progress:
                        progress(summary.counts.reports, total, entry)
                if not options.pair:
                    ledger.pair()                   # duplicate years are reported without pairing too
                duplicates = _duplicates(ledger)
                summary.finish(found.not_checked, duplicates)
        for name in ("findings.json", "findings.csv", "findings.xlsx"):
            folder.record(name)
        if options.pages:
            from ..outputs.index_page import write_index_html
            write_index_html(out / "index.html", ledger.entries,
                             dt.datetime.now().replace(microsecond=0), not_checked=found.not_checked)
            folder.record("index.html")
        folder.finish()
    result = summary.counts
    result.not_checked, result.duplicates = found.not_checked, duplicates
    return result


def _paired(executor, ledger, total: int, reading: Callable[[int, int], None] | None) -> Iterator[ReportOutcome]:
    """Phase 1 for every file, pairing, then phase 2; files that failed to read are final after phase 1."""
    for done, read in enumerate(executor.read(ledger.tasks()), start=1):
        if reading:
            reading(done, total)
        if read.failed is not None:
            yield read.failed
        else:
            ledger.add_identity(read.seq, read.identity, read.stored)
    ledger.pair()
    for outcome in executor.evaluate(ledger.evaluations()):   # tasks made as the executor takes them
        for seq in ledger.evaluated(outcome.seq):
            executor.release(seq, ledger.stored(seq))
        yield outcome


def _duplicates(ledger) -> list[dict[str, Any]]:
    """Duplicate groups for findings.json; each member gets a note for the index saying which it is."""
    found = []
    for g in ledger.duplicates:
        current = ledger.task(g.current).source
        current_sha = ledger.identity(g.current).sha256
        files = []
        for seq in g.members:
            files.append(ledger.task(seq).source)
            if seq == g.current:
                note = ("另有内容完全相同的重复文件" if g.identical else
                        "同一机关同一年度有多份文件，以本文件为该年度报告（修改时间较新者，其次文件较大者）")
            elif ledger.identity(seq).sha256 == current_sha:
                note = f"与 {Path(current).name} 内容完全相同（重复文件）"
            else:
                note = f"同一机关同一年度另有 {Path(current).name}，跨年度比对以该文件为准"
            ledger.add_note(seq, note)
        found.append({"agency": g.agency_key, "year": g.year, "identical": g.identical, "current": current,
                      "files": files})
    return found


def _placeholder() -> str:
    from ..outputs.index_page import render_incomplete_html
    return render_incomplete_html(dt.datetime.now().replace(microsecond=0))


class _signals_raise:
    """SIGTERM raises `Interrupted` in the parent (SIGINT stays KeyboardInterrupt), so every `finally`
    runs: workers stopped, temp files removed, the folder left marked incomplete."""

    def __enter__(self):
        self._old = None
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                raise Interrupted(signum)
            self._old = signal.signal(signal.SIGTERM, handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
