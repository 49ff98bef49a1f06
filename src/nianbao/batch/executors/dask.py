"""The same batch tasks on a Dask distributed cluster (`nianbao check DIR --scheduler tcp://HOST:8786`).

Workers on other machines read each input from the same path (a shared
folder mounted alike everywhere) or, with `--ship-bytes`, from the bytes the
parent sends with the task. A parsed report stays in the cluster's memory
(the value of its phase-1 future, pickled) until every phase-2 task that needs
it has run; the parent gets that value once to learn the report's identity
(the pickled report is not unpickled there) and each report's compact result.
A worker that sees the output folder (the same machine, or a shared mount at
the same path: it looks for this run's probe file there) writes pages and
letters into it itself;
elsewhere they travel back as bytes and the parent writes them, so the output
folder need not be shared. A worker that dies is retried by Dask on another worker;
a task that has killed several workers becomes the file's unreadable result.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ...errors import NianbaoError
from ..tasks import WORKER_DIED, EvalTask, Identity, ReadOutcome, ReadTask, ReportOutcome, WorkSettings
from .. import worker
from .base import Executor, failed_check, failed_read, stream


class DaskExecutor(Executor):
    writes_outputs = False

    def __init__(self, settings: WorkSettings, address: str, ship_bytes: bool = False, window: int | None = None):
        super().__init__(settings)
        try:
            from distributed import Client
        except ImportError:
            raise NianbaoError(address, "使用 --scheduler 需要安装 Dask 分布式组件：pip install 'nianbao[dask]'") from None
        try:
            self.client = Client(address, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise NianbaoError(address, f"无法连接 Dask 调度器（{exc.__class__.__name__}），请确认地址和端口") from None
        self.ship_bytes = ship_bytes
        workers = max(1, sum(self.client.nthreads().values()))
        self.window = window or workers * 4
        self._parsed: dict[int, object] = {}
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

    def _shipped(self, task: ReadTask) -> ReadTask:
        if not self.ship_bytes:
            return task
        try:
            data = Path(task.source).read_bytes()
        except OSError:
            return task        # the worker names the problem (missing, no permission)
        return ReadTask(task.seq, task.source, task.name, data)

    def read(self, tasks: Iterable[ReadTask]) -> Iterator[ReadOutcome]:
        # The parsed value itself comes back (its report is bytes, ~23 KiB, left unpickled here) and also
        # stays in the cluster for phase 2: fetching it costs less than a second task per file to
        # extract its identity (each Dask task costs several ms of scheduler, worker and client time).
        def submit(task: ReadTask):
            parsed = self.client.submit(worker.parse_remote, self._shipped(task), self.settings, pure=False)
            self._parsed[task.seq] = parsed
            return parsed

        def outcome(task: ReadTask, future) -> ReadOutcome:
            reason = self._failure(future)
            if reason:
                self._parsed.pop(task.seq, None)
                return failed_read(task, self.settings, reason)
            result = future.result().outcome
            if result.failed is not None:
                self._parsed.pop(task.seq, None)
            return result
        return stream(tasks, submit, self._wait, outcome, self.window)

    def evaluate(self, tasks: Iterable[tuple[EvalTask, Identity]]) -> Iterator[ReportOutcome]:
        def submit(item):
            task, _ = item
            previous = self._parsed.get(task.previous.seq) if task.previous is not None else None
            return self.client.submit(worker.evaluate_remote, task, self.settings, self._parsed[task.read.seq],
                                      previous, pure=False)

        def outcome(item, future) -> ReportOutcome:
            reason = self._failure(future)
            return failed_check(item[0].read, self.settings, reason) if reason else future.result()
        return stream(tasks, submit, self._wait, outcome, self.window)

    def check(self, tasks: Iterable[ReadTask]) -> Iterator[ReportOutcome]:
        def submit(task: ReadTask):
            return self.client.submit(worker.check_phase, self._shipped(task), self.settings, pure=False)

        def outcome(task: ReadTask, future) -> ReportOutcome:
            reason = self._failure(future)
            return failed_check(task, self.settings, reason) if reason else future.result()
        return stream(tasks, submit, self._wait, outcome, self.window)

    def release(self, seq: int, stored: tuple[str, int, int] | None = None) -> None:
        self._parsed.pop(seq, None)      # the last reference: Dask frees the parsed report

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._parsed.clear()
            self.client.close()
