"""The one interface every batch backend implements (local processes, a Dask cluster).

A backend runs the worker functions of `batch.worker` on the run's tasks and
streams their typed results back in the order they finish; it never raises
for one file: a worker that dies or overruns its time becomes that file's
unreadable result, with the reason.
"""
from __future__ import annotations

import abc
from typing import Callable, Iterable, Iterator, TypeVar

from ..tasks import EvalTask, Identity, ReadOutcome, ReadTask, ReportOutcome, WorkSettings

T = TypeVar("T")
R = TypeVar("R")


class Executor(abc.ABC):
    #: True when workers write pages and letters into the output folder themselves
    #: (they share its file system); False when they send them back with the result.
    writes_outputs: bool = True

    def __init__(self, settings: WorkSettings):
        self.settings = settings

    @abc.abstractmethod
    def read(self, tasks: Iterable[ReadTask]) -> Iterator[ReadOutcome]:
        """Phase 1: parse every file once and keep the parsed report for phase 2."""

    @abc.abstractmethod
    def evaluate(self, tasks: Iterable[tuple[EvalTask, Identity]]) -> Iterator[ReportOutcome]:
        """Phase 2: evaluate reports kept by phase 1, each with last year's where paired."""

    @abc.abstractmethod
    def check(self, tasks: Iterable[ReadTask]) -> Iterator[ReportOutcome]:
        """Read and evaluate in one task per file (no pairing)."""

    def release(self, seq: int, stored: tuple[str, int, int] | None = None) -> None:
        """The parsed report `seq` is no longer needed by any task (`stored`: where phase 1 kept it)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop every worker now (also on an interrupted run); idempotent."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def failed_read(task: ReadTask, settings: WorkSettings, reason: str) -> ReadOutcome:
    from ..worker import failed_outcome
    return ReadOutcome(task.seq, None, failed_outcome(task, reason, settings.pack))


def failed_check(task: ReadTask, settings: WorkSettings, reason: str) -> ReportOutcome:
    from ..worker import failed_outcome
    return failed_outcome(task, reason, settings.pack)


def stream(items: Iterable[T], submit: Callable[[T], object], wait_one: Callable[[set], tuple[set, set]],
           outcome: Callable[[T, object], R], window: int) -> Iterator[R]:
    """Keep at most `window` tasks in flight; yield each one's outcome as it finishes.

    Bounding the tasks in flight keeps the parent's memory flat however many files a run holds.
    """
    pending: dict[object, T] = {}
    source = iter(items)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                item = next(source)
            except StopIteration:
                exhausted = True
                break
            pending[submit(item)] = item
        if not pending:
            return
        done, _ = wait_one(set(pending))
        for future in done:
            yield outcome(pending.pop(future), future)
