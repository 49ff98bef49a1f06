"""The output folder of a batch: one run at a time, never stale, never half-true.

- A lock (`.nianbao.lock`, an advisory `flock`): a second run into the same
  folder refuses at once with a one-line message (exit status 2).
- While a run is going, the folder holds an `.incomplete` marker and its
  `index.html` says the results are incomplete; the old summary files
  (findings.json/.csv/.xlsx) are removed at the start, so a summary is never
  older than the pages beside it. A run killed half-way leaves exactly that.
  The new summary files are written last, each atomically, then the index.
- A manifest (`.nianbao-manifest.json`) lists what the run wrote. Files the
  tool wrote in an earlier run (listed in its manifest, or in the journal of
  a run that was killed) and not written again are removed, so a report
  fixed since leaves no letter behind; files nianbao never wrote (the
  user's own) are never touched.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

from ..atomic import atomic_write_text
from ..errors import NianbaoError

LOCK = ".nianbao.lock"
MARKER = ".incomplete"
MANIFEST = ".nianbao-manifest.json"
JOURNAL = ".nianbao-journal"            # what a running (or killed) run has written so far
WORK = ".nianbao-work"                  # private: parsed reports between the two phases
SUMMARY = ("findings.json", "findings.csv", "findings.xlsx")


_HELD: set[int] = set()       # lock descriptors this process holds (a forked worker closes its copies)


def close_inherited_locks() -> None:
    """In a forked worker: close the copies of the parent's lock descriptors, so that the lock
    ends with the parent (a flock lasts while any copy is open), not with its last worker."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


class OutputLocked(NianbaoError):
    """Another run is writing into the same output folder."""


class OutputFolder:
    def __init__(self, path: Path):
        self.path = path
        self._lock_fd: int | None = None
        self._journal = None
        self.ledger = None                  # batch.ledger.RunLedger: what this run wrote, on disk

    # -- the lock ------------------------------------------------------------
    def acquire(self) -> None:
        import fcntl
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise NianbaoError(str(self.path), f"无法写入输出目录（{exc.strerror or exc}）") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputLocked(str(self.path), "另一次检查正在向该输出目录写入结果，请等待其结束后再运行，或换用其他输出目录") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        _HELD.add(fd)

    def release(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        shutil.rmtree(self.work_dir, ignore_errors=True)
        if self._lock_fd is not None:
            _HELD.discard(self._lock_fd)
            os.close(self._lock_fd)           # closing drops the flock
            self._lock_fd = None

    def __enter__(self) -> "OutputFolder":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -- a run ---------------------------------------------------------------
    @property
    def work_dir(self) -> Path:
        return self.path / WORK

    def begin(self, placeholder_index: str | None) -> None:
        """Mark the folder incomplete and take away the summary of the previous run."""
        from .ledger import RunLedger

        out = self.path
        for stale in out.rglob(".*.part*"):          # temp files an interrupted run left (never renamed)
            if stale.is_file():
                stale.unlink()
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir.mkdir()
        self.ledger = RunLedger(self.work_dir / "ledger.sqlite")
        atomic_write_text(out / MARKER, json.dumps({"started": dt.datetime.now().isoformat(timespec="seconds"),
                                                    "pid": os.getpid()}) + "\n")
        for name in SUMMARY:
            with contextlib.suppress(FileNotFoundError):
                (out / name).unlink()
        if placeholder_index is not None:
            atomic_write_text(out / "index.html", placeholder_index)
        # A killed run's journal is kept (appended to): its files are the tool's, to clean up later.
        self._journal = open(out / JOURNAL, "a", encoding="utf-8")

    def record(self, *rels: str | None) -> None:
        """Files of this run (relative to the folder): kept by the stale clean-up, listed in the manifest."""
        new = self.ledger.record(*(rel for rel in rels if rel))
        if new:
            self._journal.write("".join(json.dumps(rel, ensure_ascii=False) + "\n" for rel in new))
            self._journal.flush()

    def write_bytes(self, rel: str, data: bytes) -> None:
        from ..atomic import atomic_open
        with atomic_open(self._inside(rel), "wb") as fh:
            fh.write(data)
        self.record(rel)

    def _inside(self, rel: str) -> Path:
        target = (self.path / rel).resolve()
        if not target.is_relative_to(self.path.resolve()) or rel.startswith("."):
            raise NianbaoError(rel, "输出文件不在输出目录内，已拒绝写入")
        return target

    def _previous_files(self) -> Iterator[str]:
        """What earlier runs of the tool wrote here: the last manifest plus any killed run's journal."""
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            files = json.loads((self.path / MANIFEST).read_text(encoding="utf-8")).get("files", [])
            yield from (f for f in files if isinstance(f, str))
        with contextlib.suppress(OSError):
            with open(self.path / JOURNAL, encoding="utf-8") as fh:
                for line in fh:
                    with contextlib.suppress(ValueError):
                        rel = json.loads(line)
                        if isinstance(rel, str):
                            yield rel

    def remove_stale(self) -> list[str]:
        """Remove the tool's files of earlier runs that this run did not write again."""
        self.ledger.add_previous_files(self._previous_files())
        removed = []
        root = self.path.resolve()
        for rel in self.ledger.stale_files():
            target = (self.path / rel)
            if rel.startswith(".") or not target.resolve().is_relative_to(root):
                continue
            if target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(rel)
                parent = target.parent
                while parent != self.path and parent.resolve().is_relative_to(root):
                    try:
                        parent.rmdir()            # only when empty: a user's file keeps its folder
                    except OSError:
                        break
                    parent = parent.parent
        return removed

    def finish(self) -> None:
        """After the summary and index are in place: manifest, clean-up, marker off."""
        from ..atomic import atomic_open

        self.remove_stale()
        # Written a file name at a time: the list is as long as the run.
        with atomic_open(self.path / MANIFEST, "w") as fh:
            fh.write(json.dumps({"tool": "nianbao", "finished": dt.datetime.now().isoformat(timespec="seconds")},
                                ensure_ascii=False)[:-1] + ', "files": [')
            for i, rel in enumerate(self.ledger.files()):
                fh.write(("\n " if i == 0 else ",\n ") + json.dumps(rel, ensure_ascii=False))
            fh.write("\n]}\n")
        self._journal.close()
        self._journal = None
        with contextlib.suppress(FileNotFoundError):
            (self.path / JOURNAL).unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.path / MARKER).unlink()
