"""The typed data a batch passes between the parent and its workers.

Every report's result travels as `ReportOutcome`, whose `report` is exactly
the JSON `nianbao check --format json` prints for that report
(`CheckResult.to_json()`); the rest is batch bookkeeping (which files were
written, the report's identity for pairing). All of them are plain
dataclasses of JSON-able values, so they pickle cheaply to a local worker
and travel unchanged to a Dask worker on another machine.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Reasons the parent gives when no worker could report back (Chinese: users read them).
WORKER_DIED = "处理该文件的进程意外退出"


def worker_timeout(seconds: float) -> str:
    return f"处理超时（限额 {seconds:g} 秒）"


@dataclass(frozen=True)
class WorkSettings:
    """What every task of one run shares."""
    pack: str | None = None          # pack name or path; None: the pack of each report's template
    pages: bool = True
    letters: bool = True
    out_dir: str | None = None       # workers write pages here; None: pages travel back as bytes (Dask)
    # Dask: (output folder, probe file). A worker that sees this run's probe file sees the output
    # folder too (a shared mount at the same path, or the same machine): it writes its pages there.
    shared_out: tuple[str, str] | None = None
    letter_settings: Any = None      # nianbao.settings.LetterSettings: sender, reference… set once per campaign
    letter_formats: tuple[str, ...] = ("html", "docx")


# Made by the thousand (one of each per report and phase, from the run's ledger) and sent to the
# workers: slots keep each to a fraction of a dict-backed instance.
@dataclass(frozen=True, slots=True)
class ReadTask:
    """Phase 1 (or the one phase without pairing): read one input file."""
    seq: int                         # position in the run's input list
    source: str                      # the path users see in every output
    name: str                        # unique output stem (reports/<name>.html)
    data: bytes | None = None        # the file's bytes when shipped to a remote worker (--ship-bytes)


@dataclass(frozen=True, slots=True)
class Identity:
    """The compact facts of a parsed report the parent pairs and groups by."""
    agency_key: str | None
    year: int | None
    template: str | None
    sha256: str
    size: int
    mtime: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReadOutcome:
    """Phase 1's answer: the identity of a parsed report, or the final result of one that failed."""
    seq: int
    identity: Identity | None
    failed: "ReportOutcome | None" = None   # set when the file could not be read: nothing to evaluate
    stored: tuple[str, int, int] | None = None   # where the parsed report waits (spool.Stored)


@dataclass(frozen=True, slots=True)
class EvalTask:
    """Phase 2: evaluate a report already parsed, with last year's where the batch holds it."""
    read: ReadTask
    previous: ReadTask | None = None
    previous_template: str | None = None     # template last year's report was parsed with
    stored: tuple[str, int, int] | None = None            # spool.Stored of `read`
    previous_stored: tuple[str, int, int] | None = None   # … and of `previous`


@dataclass
class ReportOutcome:
    """One report's final result, as the parent streams it into the outputs."""
    seq: int
    source: str
    report: dict[str, Any]                       # CheckResult.to_json()
    error: str | None = None                     # why the file could not be read (parse.unreadable)
    page: str | None = None                      # relative paths of the files written for it
    letter: str | None = None
    letter_files: tuple[str, ...] = ()           # every letter written (HTML and Word)
    output_error: str | None = None              # checked, but its page or letter could not be made
    files: dict[str, bytes] = field(default_factory=dict)   # outputs to write, when workers do not
    identity: Identity | None = None

    def to_json(self) -> dict[str, Any]:
        """The report's entry in findings.json: the `check --format json` form."""
        return self.report

    def index_entry(self) -> dict[str, Any]:
        """What the index page shows for this report (small: kept for every report of the run)."""
        categories: dict[str, int] = {}
        for finding in self.report.get("findings", []):
            categories[finding["category"]] = categories.get(finding["category"], 0) + 1
        return {"seq": self.seq, "source": self.source, "page": self.page, "letter": self.letter,
                "error": self.error, "output_error": self.output_error, "meta": self.report.get("meta", {}),
                "pack": self.report.get("pack", ""), "counts": self.report.get("counts", {}),
                "categories": categories, "previous": self.report.get("previous")}


@dataclass(frozen=True)
class NotChecked:
    """An input the run found but could not check at all (a folder it may not enter, a photo, a FIFO)."""
    source: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "reason": self.reason}
