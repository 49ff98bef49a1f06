"""The parent of a batch: schedule the tasks, pair the years, stream the results to disk.

Each file is read once: phase 1 parses every report in the workers and
answers with its identity (agency key, year, template, content hash); the
parent pairs each report with last year's report of the same agency from
those identities; phase 2 evaluates the parsed reports. Without pairing one
task per file does both. The parent keeps only compact index entries and
identities; findings go straight to findings.json/.csv/.xlsx on disk.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import strict_json
from ..atomic import atomic_open, atomic_write_text
from ..pairing import DuplicateGroup, current_first, duplicate_groups, pair_reports
from .executors import make_executor
from .executors.local import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from .folder import OutputFolder
from .inputs import collect, output_names
from .tasks import EvalTask, Identity, NotChecked, ReadTask, ReportOutcome, WorkSettings


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
    Index entries are spooled to a file in the run's private folder, not kept in memory."""
    out: Path
    spool_path: Path
    counts: BatchSummary = None      # type: ignore[assignment]
    done: bool = False

    def __enter__(self) -> "_Summary":
        from ..outputs.tables import CsvWriter, XlsxWriter
        self.counts = BatchSummary(self.out)
        self._offsets: list[tuple[int, int]] = []          # (seq, offset in the spool): 16 bytes a report
        self._spool = open(self.spool_path, "wb")
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
        self._offsets.append((outcome.seq, self._spool.tell()))
        self._spool.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        self.counts.reports += 1
        self.counts.errors += int((entry["counts"] or {}).get("error", 0))
        self.counts.unreadable += 1 if entry["error"] else 0
        return entry

    def entries(self, notes: dict[int, str]) -> Iterator[dict[str, Any]]:
        """The index entries in input order, read back from the spool, with the duplicate notes."""
        with open(self.spool_path, "rb") as fh:
            for seq, offset in sorted(self._offsets):
                fh.seek(offset)
                entry = json.loads(fh.readline())
                if seq in notes:
                    entry["duplicate"] = notes[seq]
                yield entry

    def finish(self, not_checked: list[NotChecked], duplicates: list[dict[str, Any]]) -> None:
        self._spool.close()
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
        self._spool.close()
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
        names = output_names(found.sources)
        tasks = [ReadTask(i, s, names[s]) for i, s in enumerate(found.sources)]
        settings = WorkSettings(pack=options.pack, pages=options.pages, letters=options.letters,
                                out_dir=None if options.scheduler else str(out),
                                letter_settings=options.letter_settings)
        summary = _Summary(out, folder.work_dir / "entries.jsonl")
        identities: dict[int, Identity] = {}
        # The backend first: a cluster that cannot be reached leaves the last run's results untouched.
        with make_executor(settings, jobs=options.jobs, cache_dir=str(folder.work_dir), timeout=options.timeout,
                           memory_mb=options.memory_mb, scheduler=options.scheduler,
                           ship_bytes=options.ship_bytes) as executor:
            folder.begin(_placeholder() if options.pages else None)
            with summary:
                stream = (_paired(executor, tasks, identities, reading) if options.pair
                          else executor.check(tasks))
                for outcome in stream:
                    for rel, data in outcome.files.items():
                        folder.write_bytes(rel, data)
                    folder.record(outcome.page)
                    for rel in outcome.letter_files or (outcome.letter,):
                        folder.record(rel)
                    if outcome.identity is not None:
                        identities[outcome.seq] = outcome.identity
                    entry = summary.add(outcome)
                    if progress:
                        progress(summary.counts.reports, len(tasks), entry)
                duplicates, notes = _duplicates(tasks, identities)
                summary.finish(found.not_checked, duplicates)
        for name in ("findings.json", "findings.csv", "findings.xlsx"):
            folder.record(name)
        if options.pages:
            from ..outputs.index_page import write_index_html
            write_index_html(out / "index.html", lambda: summary.entries(notes),
                             dt.datetime.now().replace(microsecond=0), not_checked=found.not_checked)
            folder.record("index.html")
        folder.finish(folder.previous_files())
    result = summary.counts
    result.not_checked, result.duplicates = found.not_checked, duplicates
    return result


def _paired(executor, tasks: list[ReadTask], identities: dict[int, Identity],
            reading: Callable[[int, int], None] | None) -> Iterator[ReportOutcome]:
    """Phase 1 for every file, pairing, then phase 2; files that failed to read are final after phase 1."""
    for done, read in enumerate(executor.read(tasks), start=1):
        if reading:
            reading(done, len(tasks))
        if read.failed is not None:
            yield read.failed
        else:
            identities[read.seq] = read.identity
    order = current_first(sorted(identities), duplicate_groups(sorted(identities), identities))
    pairs = pair_reports(order, {s: (i.agency_key, i.year) for s, i in identities.items()})
    users = {s: 1 for s in identities}                  # phase-2 tasks that still need each parsed report
    for prev in pairs.values():
        users[prev] += 1
    work = ((EvalTask(tasks[s], tasks[pairs[s]] if s in pairs else None,
                      identities[pairs[s]].template if s in pairs else None), identities[s])
            for s in sorted(identities))          # made as the executor takes them: not all held at once
    for outcome in executor.evaluate(work):
        for seq in (outcome.seq, pairs.get(outcome.seq)):
            if seq is not None:
                users[seq] -= 1
                if users[seq] == 0:
                    executor.release(seq)
        yield outcome


def _duplicates(tasks: list[ReadTask], identities: dict[int, Identity]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Duplicate groups for findings.json, and for the index a note per member saying which it is."""
    groups: list[DuplicateGroup] = duplicate_groups(sorted(identities), identities)
    found, notes = [], {}
    for g in groups:
        current = tasks[g.current].source
        for seq in g.members:
            if seq == g.current:
                notes[seq] = ("另有内容完全相同的重复文件" if g.identical else
                              "同一机关同一年度有多份文件，以本文件为该年度报告（修改时间较新者，其次文件较大者）")
            elif identities[seq].sha256 == identities[g.current].sha256:
                notes[seq] = f"与 {Path(current).name} 内容完全相同（重复文件）"
            else:
                notes[seq] = f"同一机关同一年度另有 {Path(current).name}，跨年度比对以该文件为准"
        found.append({"agency": g.agency_key, "year": g.year, "identical": g.identical, "current": current,
                      "files": [tasks[s].source for s in g.members]})
    return found, notes


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
