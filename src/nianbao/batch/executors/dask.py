"""The same batch tasks on a Dask distributed cluster (`nianbao check DIR --scheduler tcp://HOST:8786`).

Workers on other machines read each input from the same path (a shared
folder mounted alike everywhere) or, with `--ship-bytes`, from the bytes the
parent sends with the task. Each Dask task handles a few files (`CHUNK`): a
task costs several milliseconds of scheduler, worker and command time, a
fifth of a text report's own. A worker sends each parsed report back pickled;
the command appends the bytes to its spool file in the run's private folder
(spool.py, as local workers do) and each phase-2 task carries its reports (this
year's and last year's) to whichever worker runs it, so the cluster keeps
nothing between the phases and any worker can take any task. A worker that
sees the output folder (the same machine, or a shared mount at the same path:
it looks for this run's probe file there) writes pages and letters into it
itself; elsewhere they travel back as bytes and the parent writes them, so the
output folder need not be shared. A worker that dies is retried by Dask on
another worker; when a task has killed several workers its files are tried one
by one, and the file that kills its worker becomes that file's unreadable result.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from ...errors import NianbaoError
from ..spool import SpoolFiles, SpoolWriter, load_bytes
from ..tasks import WORKER_DIED, EvalTask, Identity, ReadOutcome, ReadTask, ReportOutcome, WorkSettings
from .. import worker
from .base import Executor, failed_check, failed_read, stream

CHUNK = 4            # files a Dask task
T = TypeVar("T")
R = TypeVar("R")


def _chunks(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield tuple(chunk)
            chunk = []
    if chunk:
        yield tuple(chunk)


class DaskExecutor(Executor):
    writes_outputs = False

    def __init__(self, settings: WorkSettings, address: str, cache_dir: str, ship_bytes: bool = False,
                 window: int | None = None, chunk: int = CHUNK):
        super().__init__(settings)
        try:
            import dask
            from distributed import Client
        except ImportError:
            raise NianbaoError(address, "使用 --scheduler 需要安装 Dask 分布式组件：pip install 'nianbao[dask]'") from None
        # The client keeps a copy of its last messages to the scheduler for debugging (1,000 by default):
        # here each message is a task carrying parsed reports (or, with --ship-bytes, a whole input
        # file), so those copies would grow the command by tens of KiB a report up to that count.
        dask.config.set({"distributed.admin.low-level-log-length": 0})
        try:
            self.client = Client(address, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise NianbaoError(address, f"无法连接 Dask 调度器（{exc.__class__.__name__}），请确认地址和端口") from None
        self.ship_bytes, self.cache_dir, self.chunk = ship_bytes, cache_dir, max(1, chunk)
        workers = max(1, sum(self.client.nthreads().values()))
        self.window = window or workers * 2            # tasks in flight: one running, one waiting a worker
        self._spool = SpoolWriter(cache_dir)           # phase 1's parsed reports, kept by the command
        self._spools = SpoolFiles(cache_dir)
        self._closed = False

    def _wait(self, futures: set) -> tuple[set, set]:
        from distributed import wait
        with self.client.as_current():
            result = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    @staticmethod
    def _failure(future) -> str | None:
        if future.status == "finished":
            return None
        try:
            future.result()
        except Exception as exc:       # KilledWorker, a lost connection: the file's result says so
            from distributed import KilledWorker
            if isinstance(exc, KilledWorker):
                return WORKER_DIED
            return f"{WORKER_DIED}（{type(exc).__name__}）"
        return None

    def _run(self, items: Iterable[T], fn: Callable, args_of: Callable, done: Callable[[T, object], R],
             failed: Callable[[T, str], R], carries_data: bool) -> Iterator[R]:
        """`fn(chunk of args, settings)` over chunks of `items`, a result per item as each chunk finishes.
        A chunk whose task failed (its workers died more often than the scheduler allows) runs again one
        item a task, one after the other, so that only the file that kills its worker fails (Dask counts
        a death against every task waiting on that worker, so the retries are not run side by side)."""
        def submit(chunk: tuple[T, ...]):
            args = tuple(args_of(item) for item in chunk)
            if carries_data:
                # Parsed reports (or shipped files) are handed to a worker with `scatter`, not as task
                # arguments: the scheduler keeps a copy of the last 1,000 task messages it sends to
                # each worker (a debugging log), which grew it by the reports of as many tasks.
                [args] = self.client.scatter([args], hash=False)
            return self.client.submit(fn, args, self.settings, pure=False)

        def outcome(chunk: tuple[T, ...], future) -> list[R]:
            reason = self._failure(future)
            if reason is None:
                return [done(item, value) for item, value in zip(chunk, future.result())]
            if len(chunk) == 1:
                return [failed(chunk[0], reason)]
            return [result for item in chunk for result in outcome((item,), self._settled(submit((item,))))]

        for results in stream(_chunks(items, self.chunk), submit, self._wait, outcome, self.window):
            yield from results

    def _settled(self, future):
        from distributed import wait
        with self.client.as_current():
            wait([future])
        return future

    def _shipped(self, task: ReadTask) -> ReadTask:
        if not self.ship_bytes:
            return task
        try:
            data = Path(task.source).read_bytes()
        except OSError:
            return task        # the worker names the problem (missing, no permission)
        return ReadTask(task.seq, task.source, task.name, data)

    def _kept(self, task: ReadTask, parsed: worker.Parsed) -> ReadOutcome:
        """Phase 1's answer, its pickled report appended to the command's spool file."""
        if parsed.outcome.failed is not None or parsed.report is None:
            return parsed.outcome
        stored = self._spool.put_bytes(parsed.report)
        self._spools.stored(stored)
        return dataclasses.replace(parsed.outcome, stored=tuple(stored))

    def _brought(self, item: tuple[EvalTask, Identity]) -> tuple:
        """A phase-2 task's own parsed report and last year's, as the worker will unpickle them."""
        task, identity = item

        def load(stored):
            if stored is None:
                return None
            try:
                return load_bytes(self.cache_dir, stored)
            except OSError:
                return None         # gone: the worker reads the file again
        return task, load(task.stored), load(task.previous_stored), identity

    def read(self, tasks: Iterable[ReadTask]) -> Iterator[ReadOutcome]:
        yield from self._run(tasks, worker.parse_many, self._shipped, self._kept,
                             lambda task, reason: failed_read(task, self.settings, reason), self.ship_bytes)
        self._spools.written()

    def evaluate(self, tasks: Iterable[tuple[EvalTask, Identity]]) -> Iterator[ReportOutcome]:
        return self._run(tasks, worker.evaluate_many, self._brought, lambda item, outcome: outcome,
                         lambda item, reason: failed_check(item[0].read, self.settings, reason), True)

    def check(self, tasks: Iterable[ReadTask]) -> Iterator[ReportOutcome]:
        return self._run(tasks, worker.check_many, self._shipped, lambda task, outcome: outcome,
                         lambda task, reason: failed_check(task, self.settings, reason), self.ship_bytes)

    def release(self, seq: int, stored: tuple[str, int, int] | None = None) -> None:
        self._spools.release(stored)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.client.close()
