"""What a batch worker does with one file. Runs in a worker process (local or on a Dask worker).

The library is reached in ONE place, `_checker()` (a `nianbao.Checker`): reading a report, choosing
its pack and evaluating it all go through it, and its packs are loaded once
per worker process. Nothing here raises for a bad file: a file that cannot
be read becomes a result holding the pack's `parse.unreadable` finding.

Phase 1 (`read_phase`) reads and parses a file once, keeps the parsed Report
(appended to this worker's spool file in the run's private folder; a Dask worker sends it back
pickled for the command's spool) and answers with its compact `Identity`; phase 2 (`evaluate_phase`) evaluates it with
last year's parsed report where the parent paired one. Without pairing,
`check_phase` does both in one task.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import pickle
import tempfile
import traceback
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..errors import NianbaoError
from .tasks import EvalTask, Identity, ReadOutcome, ReadTask, ReportOutcome, WorkSettings

_CHECKERS: dict[str | None, Any] = {}


def _checker(pack: str | None):
    """The library's Checker for this run's pack, made once per worker process."""
    if pack not in _CHECKERS:
        from ..checker import Checker
        _CHECKERS[pack] = Checker(pack)
    return _CHECKERS[pack]


def warm(pack: str | None) -> None:
    """Load what every task needs before workers fork from the parent, so none loads it again."""
    checker = _checker(pack)
    from .. import engine  # noqa: F401  (imported here: a worker short of memory may not manage it)
    from ..outputs import letter  # noqa: F401  (and not again in every fresh worker)
    from ..outputs.pages import _env
    _env().get_template("report_page.html")         # compiled once here, inherited by every worker
    if pack is None:
        from ..template import available_templates
        for version in available_templates():
            try:
                checker.packs.get(version)
            except NianbaoError:
                pass        # a template without a pack of its own: loaded (and reported) when used


# ---------------------------------------------------------------------------
# The pieces every phase uses
def _identity(report, digest: str, size: int, mtime: float) -> Identity:
    from ..pairing import agency_key
    year = report.meta_value("year")
    template = report.meta_value("template")
    return Identity(agency_key(report.meta_value("agency")), year if isinstance(year, int) else None,
                    str(template) if template else None, digest, size, mtime)


def _read(task: ReadTask, settings: WorkSettings, template: str | None = None):
    """(report, identity) of one input, read from its path or from the bytes shipped with the task."""
    checker = _checker(settings.pack)
    if task.data is None:
        with open(task.source, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
            info = os.fstat(fh.fileno())
        report = checker.read(task.source, template=template)
        return report, _identity(report, digest, info.st_size, info.st_mtime)
    with tempfile.TemporaryDirectory(prefix="nianbao-shipped-") as tmp:
        path = os.path.join(tmp, "input" + Path(task.source).suffix.lower())
        with open(path, "wb") as fh:
            fh.write(task.data)
        report = checker.read(path, template=template)
    _relocate(report, path, task.source)
    return report, _identity(report, hashlib.sha256(task.data).hexdigest(), len(task.data), 0.0)


def _relocate(obj: Any, old: str, new: str, seen: set[int] | None = None) -> None:
    """Name the original file, not the worker's temporary copy, wherever the parsed report names its source."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None), dt.date)):
        return
    seen.add(id(obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.name == "source" and value == old:
                object.__setattr__(obj, "source", new)      # Location is frozen
            else:
                _relocate(value, old, new, seen)
    elif isinstance(obj, dict):
        for value in obj.values():
            _relocate(value, old, new, seen)
    elif isinstance(obj, (list, tuple, set)):
        for value in obj:
            _relocate(value, old, new, seen)


def failed_outcome(task: ReadTask, error: NianbaoError | str, pack: str | None = None) -> ReportOutcome:
    """The result of a file that could not be read: the pack's verdict on its parse.unreadable note."""
    result = _checker(pack).unreadable(task.source, error)
    return ReportOutcome(task.seq, task.source, result.to_json(), error=result.unreadable)


MEMORY_EXCEEDED = "处理该文件所需内存超过限额"


def _memory_exhausted() -> bool:
    """True when this process came within 10% of its address-space limit (the failure was memory)."""
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return False
        with open("/proc/self/status", encoding="ascii") as fh:
            peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmPeak:"))
    except (ImportError, OSError, StopIteration, ValueError):
        return False
    return peak >= 0.9 * limit


def _guarded(task: ReadTask, settings: WorkSettings, work) -> Any:
    """Run `work()`; a file that cannot be read, or a bug, becomes that file's unreadable result."""
    try:
        return work()
    except NianbaoError as exc:
        if _memory_exhausted():      # the reader turned the worker's limit into "out of memory": say which
            return failed_outcome(task, MEMORY_EXCEEDED, settings.pack)
        return failed_outcome(task, exc, settings.pack)
    except MemoryError:
        return failed_outcome(task, MEMORY_EXCEEDED, settings.pack)
    except Exception as exc:  # a bug must not stop the batch; it is reported with the file
        if _memory_exhausted():      # C code short of memory fails in odd ways (SystemError, …)
            return failed_outcome(task, MEMORY_EXCEEDED, settings.pack)
        message = f"内部错误（{type(exc).__name__}: {exc}），请将此文件提交给 nianbao 维护者"
        outcome = failed_outcome(task, message, settings.pack)
        outcome.report["traceback"] = traceback.format_exc(limit=5)
        return outcome


def _evaluate(task: ReadTask, settings: WorkSettings, report, previous, identity: Identity) -> ReportOutcome:
    checker = _checker(settings.pack)
    result = checker.evaluate(report, previous=previous)
    pack = checker.pack_for(report)
    outcome = ReportOutcome(task.seq, task.source, result.to_json(), identity=identity)
    checked_at = dt.datetime.now().replace(microsecond=0)
    try:
        if settings.pages:
            from ..outputs.html_report import render_report_html
            outcome.page = f"reports/{task.name}.html"
            _emit(outcome, settings, outcome.page, render_report_html(result, pack, checked_at,
                                                                      index_href="../index.html"))
        if settings.letters and result.findings:
            _write_letters(outcome, settings, task.name, result, pack, checked_at.date())
    except NianbaoError as exc:
        # The report was checked; only an output failed (e.g. a pack's letter template).
        outcome.output_error = exc.message
    return outcome


_SHARED_OUT: dict[str, bool] = {}


def _out_dir(settings: WorkSettings) -> str | None:
    """Where this worker writes pages and letters itself; None: they travel back with the result."""
    if settings.out_dir is not None:
        return settings.out_dir
    if settings.shared_out is None:
        return None
    folder, probe = settings.shared_out
    if probe not in _SHARED_OUT:            # looked at once per run and worker process
        _SHARED_OUT[probe] = os.path.isfile(probe)
    return folder if _SHARED_OUT[probe] else None


def _write_letters(outcome: ReportOutcome, settings: WorkSettings, name: str, result, pack, today) -> None:
    """The report's letter in every format, signed as the campaign's settings say (nothing when the
    report has nothing to put to the agency: only supervisor remarks, or nothing at all)."""
    from ..outputs.letter import write_letters
    out_dir = _out_dir(settings)
    if out_dir is not None:
        files = write_letters(result, pack, settings.letter_settings, out_dir, name,
                              settings.letter_formats, today=today)
    else:                                   # a remote worker: the files travel back as bytes
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            files = write_letters(result, pack, settings.letter_settings, tmp, name, settings.letter_formats,
                                  today=today)
            for rel in files.values():
                outcome.files[rel] = (Path(tmp) / rel).read_bytes()
    if files:
        outcome.letter = files.get("html") or next(iter(files.values()))
        outcome.letter_files = tuple(files.values())


def _emit(outcome: ReportOutcome, settings: WorkSettings, rel: str, text: str) -> None:
    """Write an output beside the others (local workers, remote ones that see the output folder),
    or send it back to the parent."""
    out_dir = _out_dir(settings)
    if out_dir is not None:
        atomic_write_text(Path(out_dir) / rel, text)
    else:
        outcome.files[rel] = text.encode("utf-8")


# ---------------------------------------------------------------------------
# Local workers: the parsed report waits in this worker's spool file (spool.py)
_SPOOLS: dict[str, Any] = {}


def read_phase(task: ReadTask, settings: WorkSettings, cache_dir: str) -> ReadOutcome:
    from .spool import SpoolWriter

    def work() -> ReadOutcome:
        report, identity = _read(task, settings)
        writer = _SPOOLS.get(cache_dir)
        if writer is None:
            writer = _SPOOLS[cache_dir] = SpoolWriter(cache_dir)
        return ReadOutcome(task.seq, identity, stored=writer.put(report))
    outcome = _guarded(task, settings, work)
    return outcome if isinstance(outcome, ReadOutcome) else ReadOutcome(task.seq, None, outcome)


def evaluate_phase(task: EvalTask, settings: WorkSettings, cache_dir: str, identity: Identity) -> ReportOutcome:
    from .spool import load as load_stored

    def load(stored):
        if stored is None:
            raise OSError("no stored copy")
        return load_stored(cache_dir, stored)

    def work() -> ReportOutcome:
        report = load(task.stored)
        return _evaluate(task.read, settings, report, _previous(task, settings, report, load), identity)
    return _guarded(task.read, settings, work)


def _previous(task: EvalTask, settings: WorkSettings, report, load):
    """Last year's report for the Checker: the parsed one when it was read with this year's template,
    else its path, which the Checker reads with this year's template (an unreadable one becomes a note)."""
    if task.previous is None:
        return None
    template = _checker(settings.pack).pack_for(report).template.version
    if task.previous_template == template:
        try:
            return load(task.previous_stored)
        except OSError:
            pass          # phase 1's copy went away: read the file again
    return task.previous.source


def check_phase(task: ReadTask, settings: WorkSettings) -> ReportOutcome:
    """Read and evaluate in one task (no pairing)."""
    def work() -> ReportOutcome:
        report, identity = _read(task, settings)
        return _evaluate(task, settings, report, None, identity)
    return _guarded(task, settings, work)


# ---------------------------------------------------------------------------
# Dask workers: several files a task (each Dask task costs a few ms of scheduler, worker and command
# time); the parsed report travels back pickled, the command keeps it in its spool, and the phase-2
# task brings it (and last year's) to whichever worker runs it: the cluster holds nothing between phases.
@dataclasses.dataclass
class Parsed:
    """Phase 1's answer from a Dask worker: the identity, and the report pickled (~23 KiB for a text
    report, a quarter of its size as objects); the command stores the bytes without unpickling them."""
    outcome: ReadOutcome
    report: bytes | None = None


def parse_remote(task: ReadTask, settings: WorkSettings) -> Parsed:
    def work() -> Parsed:
        report, identity = _read(task, settings)
        return Parsed(ReadOutcome(task.seq, identity), pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
    parsed = _guarded(task, settings, work)
    return parsed if isinstance(parsed, Parsed) else Parsed(ReadOutcome(task.seq, None, parsed))


def parse_many(tasks: tuple[ReadTask, ...], settings: WorkSettings) -> tuple[Parsed, ...]:
    return tuple(parse_remote(task, settings) for task in tasks)


def evaluate_shipped(task: EvalTask, settings: WorkSettings, report: bytes | None, previous: bytes | None,
                     identity: Identity) -> ReportOutcome:
    """Phase 2 with the parsed reports brought along (pickled, as phase 1 sent them back)."""
    def load(stored):
        if stored is None or previous is None:
            raise OSError("last year's report was not brought along")
        return pickle.loads(previous)

    def work() -> ReportOutcome:
        # Brought along, or (the command's copy gone) read again from the file.
        parsed = pickle.loads(report) if report is not None else _read(task.read, settings)[0]
        return _evaluate(task.read, settings, parsed, _previous(task, settings, parsed, load), identity)
    return _guarded(task.read, settings, work)


def evaluate_many(items: tuple[tuple[EvalTask, bytes | None, bytes | None, Identity], ...],
                  settings: WorkSettings) -> tuple[ReportOutcome, ...]:
    return tuple(evaluate_shipped(task, settings, report, previous, identity)
                 for task, report, previous, identity in items)


def check_many(tasks: tuple[ReadTask, ...], settings: WorkSettings) -> tuple[ReportOutcome, ...]:
    return tuple(check_phase(task, settings) for task in tasks)
