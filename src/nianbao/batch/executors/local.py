"""Local worker processes that the run survives (`pool.WorkerPool`: why not a library pool is
said there): each task has its own timeout; a worker that overran or died is killed and
replaced, that task fails (`TimeoutError`, `WorkerDied`) and the others go on.

Each worker: an address-space limit (RLIMIT_AS: default 1 GiB beyond what the worker has mapped when
it starts, since a worker forked from a large process inherits its mappings) so one
hostile file cannot take the machine's memory; SIGINT ignored (Ctrl-C goes
to the whole terminal process group; the parent stops the workers itself,
so no worker prints a traceback); and on Linux it dies with the parent
(PR_SET_PDEATHSIG), so even a parent killed with SIGKILL leaves no orphan.
Workers are forked from a parent that has already loaded the packs, and are
replaced after `MAX_TASKS` reports to keep their memory flat.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import sys
from typing import Iterable, Iterator

from ..tasks import WORKER_DIED, EvalTask, Identity, ReadOutcome, ReadTask, ReportOutcome, WorkSettings, worker_timeout
from .. import worker
from ..folder import close_inherited_locks
from ..spool import SpoolFiles
from .base import Executor, failed_check, failed_read, stream

DEFAULT_MEMORY_MB = 1024
DEFAULT_TIMEOUT = 120.0
MAX_TASKS = 500


def _init_worker(memory_mb: int) -> None:
    import faulthandler
    faulthandler.disable()          # a worker that crashes is reported with its file, not as a C traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    close_inherited_locks()
    # A worker speaks through its results (a failure is that file's finding, with the traceback in
    # findings.json for a bug); what the pool machinery would print when a worker runs out of memory
    # must not reach the supervisor's terminal.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:        # the parent died before the line above ran
            os._exit(0)
    if memory_mb:
        import resource
        # The budget is what a report may add: a worker forked from a large process (a test run, a
        # server with many libraries loaded) starts with that process's address space already mapped.
        limit = memory_mb * 1024 * 1024 + _address_space()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """This process's mapped address space (VmSize), in bytes; 0 where /proc cannot tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return 0


class LocalExecutor(Executor):
    writes_outputs = True

    def __init__(self, settings: WorkSettings, jobs: int, cache_dir: str,
                 timeout: float | None = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB):
        super().__init__(settings)
        from .pool import WorkerPool

        worker.warm(settings.pack)
        self.jobs, self.timeout, self.cache_dir = jobs, timeout or None, cache_dir
        self._spools = SpoolFiles(cache_dir)       # phase 1's spool files, deleted once evaluated
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self._pool = WorkerPool(jobs, context, max_tasks=MAX_TASKS, initializer=_init_worker,
                                initargs=(memory_mb,))
        self._closed = False

    def _wait(self, futures: set) -> tuple[set, set]:
        return self._pool.wait(futures)

    def _failure(self, future) -> str | None:
        """Why a task gave no result: the worker died or overran; None when it answered."""
        from .pool import WorkerDied
        try:
            future.result()
        except concurrent.futures.TimeoutError:
            return worker_timeout(self.timeout or 0)
        except WorkerDied:
            return WORKER_DIED
        except concurrent.futures.CancelledError:
            return WORKER_DIED
        except MemoryError:
            return worker.MEMORY_EXCEEDED
        except Exception as exc:       # the worker failed even to report its failure: still only this file
            return f"内部错误（{type(exc).__name__}），请将此文件提交给 nianbao 维护者"
        return None

    def _run(self, items, fn, args, on_failure):
        def submit(item):
            return self._pool.schedule(fn, args=args(item), timeout=self.timeout)

        def outcome(item, future):
            reason = self._failure(future)
            return on_failure(item, reason) if reason else future.result()
        return stream(items, submit, self._wait, outcome, window=self.jobs * 4)

    def read(self, tasks: Iterable[ReadTask]) -> Iterator[ReadOutcome]:
        for outcome in self._run(tasks, worker.read_phase, lambda t: (t, self.settings, self.cache_dir),
                                 lambda t, reason: failed_read(t, self.settings, reason)):
            self._spools.stored(outcome.stored)
            yield outcome
        self._spools.written()

    def evaluate(self, tasks: Iterable[tuple[EvalTask, Identity]]) -> Iterator[ReportOutcome]:
        return self._run(tasks, worker.evaluate_phase, lambda ti: (ti[0], self.settings, self.cache_dir, ti[1]),
                         lambda ti, reason: failed_check(ti[0].read, self.settings, reason))

    def check(self, tasks: Iterable[ReadTask]) -> Iterator[ReportOutcome]:
        return self._run(tasks, worker.check_phase, lambda t: (t, self.settings),
                         lambda t, reason: failed_check(t, self.settings, reason))

    def release(self, seq: int, stored: tuple[str, int, int] | None = None) -> None:
        self._spools.release(stored)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.stop()
