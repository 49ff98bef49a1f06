"""Parsed reports kept between a local batch's two phases, appended to one spool file per worker.

Phase 1 parses each report once; phase 2 evaluates it (and gives it to next
year's report as last year's). In between the parsed report waits on disk in
the run's private folder. One file per report meant a file created and, once
evaluated, deleted for every input: 100,000 of each in a national run, slow on
network shares and measurably slow even on a local disk (ext4 without a journal
checks every recently deleted inode before reusing one). So each worker process
appends its reports to a spool file of its own and answers with where it put
each one (`Stored`: file name, offset, length); any worker reads one back with
one seek and one read. A spool file is deleted once every report in it has
been evaluated (`SpoolFiles`, kept by the parent), or with the run's folder.
On Dask the command keeps the spool: workers send each parsed report back
pickled, and phase-2 tasks carry it (and last year's) to whichever worker runs them.
"""
from __future__ import annotations

import os
import pickle
import secrets
from collections import Counter
from typing import Any, NamedTuple


class Stored(NamedTuple):
    """Where a parsed report waits: a spool file in the run's private folder, and its bytes there."""
    segment: str
    offset: int
    length: int


class SpoolWriter:
    """The appending end, one per worker process (a forked child opens a spool file of its own)."""

    def __init__(self, folder: str):
        self._folder = folder
        self._fd: int | None = None
        self._pid = 0
        self._name = ""

    def put(self, report: Any) -> Stored:
        return self.put_bytes(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))

    def put_bytes(self, data: bytes) -> Stored:
        """A report already pickled (a Dask worker's, kept by the command)."""
        # A forked child opens a file of its own; so does a writer whose file was deleted under it
        # (its run's folder removed): bytes written to an unlinked file could never be read back.
        if self._fd is None or self._pid != os.getpid() or os.fstat(self._fd).st_nlink == 0:
            if self._fd is not None:
                os.close(self._fd)          # the parent's, or the deleted file's: this process's copy only
            self._pid = os.getpid()
            self._name = f"spool-{self._pid}-{secrets.token_hex(4)}.bin"
            self._fd = os.open(os.path.join(self._folder, self._name),
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
        # The end of the file, not a running count: a write that failed half-way (disk full) leaves
        # bytes nobody points to, and the next report still says truly where it starts.
        offset = os.lseek(self._fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        return Stored(self._name, offset, len(data))


def load(folder: str, stored: tuple[str, int, int]) -> Any:
    """A parsed report back from its spool file (`stored`: a `Stored`, or the same three values as they
    come back from the ledger). OSError when the file or its bytes are gone."""
    return pickle.loads(load_bytes(folder, stored))


def load_bytes(folder: str, stored: tuple[str, int, int]) -> bytes:
    """The pickled report as stored (what a Dask task carries to its worker)."""
    segment, offset, length = stored
    with open(os.path.join(folder, os.path.basename(segment)), "rb", buffering=0) as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise OSError(f"spool file {segment} is shorter than expected")
    return data


class SpoolFiles:
    """The parent's count of reports still needed in each spool file: the file goes when none is."""

    def __init__(self, folder: str):
        self._folder = folder
        self._live: Counter[str] = Counter()
        self._writing = True        # phase 1 may still append to any spool file

    def stored(self, stored: tuple[str, int, int] | None) -> None:
        if stored is not None:
            self._live[stored[0]] += 1

    def written(self) -> None:
        """Phase 1 is over: no spool file grows any more."""
        self._writing = False
        for segment in [s for s, n in self._live.items() if n <= 0]:
            self._remove(segment)

    def release(self, stored: tuple[str, int, int] | None) -> None:
        if stored is None or stored[0] not in self._live:
            return
        segment = stored[0]
        self._live[segment] -= 1
        if self._live[segment] <= 0 and not self._writing:
            self._remove(segment)

    def _remove(self, segment: str) -> None:
        del self._live[segment]
        try:
            os.unlink(os.path.join(self._folder, os.path.basename(segment)))
        except OSError:
            pass                    # gone already; the run's folder is removed at its end anyway
