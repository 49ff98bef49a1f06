"""A process pool whose workers share nothing: one pipe per worker, no lock between them.

Why not a library pool: multiprocessing.Pool waits forever for a killed worker's result;
concurrent.futures.ProcessPoolExecutor (and loky) break the whole pool when one worker dies;
pebble survives a death but its workers take tasks from one shared pipe under one shared
lock, and a worker killed while holding that lock (the OOM killer, SIGKILL; a few
microseconds per task, hit about one run in four in our killed-worker test under load) leaves
the lock held by a dead process: every later worker waits on it and the run never ends.

Here the parent hands each task to one idle worker over that worker's own pipe and waits on
the workers' pipes and process sentinels together, so it always knows which task a dead
worker held: that task fails (`WorkerDied`), a new worker is started, the rest go on. A task
over its time has its worker killed and fails with `concurrent.futures.TimeoutError`.
Workers are replaced after `max_tasks` tasks to keep their memory flat.

The pool has no thread of its own: the caller's thread dispatches, waits and forks replacement
workers inside `wait()`. A worker forked from a second thread while the main thread was importing
a module inherited that module's import lock, held for ever (seen: a worker hung importing
outputs/html_report.py), so the only thread that forks is the one that is not importing.
"""
from __future__ import annotations

import concurrent.futures
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

_STOP = None
_IDLE_POLL = 0.5          # seconds between checks when nothing is due


class WorkerDied(Exception):
    """The worker holding a task ended without answering (killed, crashed, out of memory)."""

    def __init__(self, exitcode: int | None):
        super().__init__(f"worker ended with exit code {exitcode}")
        self.exitcode = exitcode


@dataclass
class _Task:
    fn: Callable
    args: tuple
    timeout: float | None
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: _Task | None = None
    deadline: float | None = None
    done: int = 0


def _worker_main(conn: Connection, siblings: list[Connection], initializer, initargs) -> None:
    for other in siblings:          # forked copies of the other workers' pipe ends: not ours
        other.close()
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):       # the parent is gone
            return
        if message is _STOP:
            return
        fn, args = message
        try:
            reply = ("ok", fn(*args))
        except BaseException as exc:       # the parent decides what a failure means
            reply = ("error", exc)
        try:
            conn.send(reply)
        except Exception as exc:           # an unpicklable result or exception
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


class WorkerPool:
    def __init__(self, workers: int, context, max_tasks: int = 0,
                 initializer: Callable | None = None, initargs: tuple = ()):
        self._size, self._context, self._max_tasks = max(1, workers), context, max_tasks
        self._initializer, self._initargs = initializer, initargs
        self._queue: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._running = True

    def schedule(self, fn: Callable, args: tuple = (), timeout: float | None = None) -> concurrent.futures.Future:
        if not self._running:
            raise RuntimeError("the pool is stopped")
        task = _Task(fn, tuple(args), timeout)
        self._queue.append(task)
        return task.future

    def wait(self, futures: set) -> tuple[set, set]:
        """Run the pool until at least one of `futures` is done; (done, not done)."""
        while True:
            done = {f for f in futures if f.done()}
            if done or not self._running:
                return done, set(futures) - done
            self._fill()
            self._dispatch()
            if not any(w.task for w in self._workers) and not self._queue:
                raise RuntimeError("waiting on tasks this pool does not hold")
            self._poll()

    def stop(self) -> None:
        """Stop at once: running tasks' workers are killed, queued tasks cancelled."""
        if not self._running:
            return
        self._running = False
        for worker in list(self._workers):
            task = worker.task
            self._retire(worker, kill=task is not None)
            if task is not None:
                task.future.set_exception(WorkerDied(None))
        while self._queue:
            self._queue.popleft().future.cancel()

    def join(self) -> None:
        """Workers are joined as they are retired; nothing is left running after `stop()`."""

    # -- one step of the pool ------------------------------------------------------------

    def _fill(self) -> None:
        while len(self._workers) < self._size:
            ours, theirs = self._context.Pipe(duplex=True)
            siblings = [w.conn for w in self._workers] + [ours]
            process = self._context.Process(target=_worker_main, name="nianbao-worker", daemon=True,
                                            args=(theirs, siblings, self._initializer, self._initargs))
            process.start()
            theirs.close()
            self._workers.append(_Worker(process, ours))

    def _dispatch(self) -> None:
        for worker in list(self._workers):
            while worker.task is None and self._queue:
                task = self._queue.popleft()
                if not task.future.set_running_or_notify_cancel():
                    continue
                try:
                    worker.conn.send((task.fn, task.args))
                except (OSError, ValueError):          # the worker died between tasks
                    self._queue.appendleft(task)
                    self._retire(worker, kill=True)
                    break
                except Exception as exc:               # the task's arguments cannot be pickled
                    task.future.set_exception(exc)
                    continue
                worker.task = task
                worker.deadline = time.monotonic() + task.timeout if task.timeout else None

    def _poll(self) -> None:
        deadlines = [w.deadline for w in self._workers if w.deadline is not None]
        wait_for = _IDLE_POLL
        if deadlines:
            wait_for = max(0.0, min(min(deadlines) - time.monotonic(), _IDLE_POLL))
        sources: list[Any] = []
        for worker in self._workers:
            sources.append(worker.process.sentinel)
            if worker.task is not None:
                sources.append(worker.conn)
        ready = set(wait(sources, timeout=wait_for))
        for worker in list(self._workers):
            if worker.task is not None and worker.conn in ready:
                self._answer(worker)
            elif worker.process.sentinel in ready:
                self._died(worker)
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                task, timeout = worker.task, worker.task.timeout
                self._retire(worker, kill=True)
                task.future.set_exception(concurrent.futures.TimeoutError(f"task over {timeout} s"))

    def _answer(self, worker: _Worker) -> None:
        task = worker.task
        try:
            status, value = worker.conn.recv()
        except (EOFError, OSError):              # died while answering
            self._died(worker)
            return
        worker.task, worker.deadline = None, None
        worker.done += 1
        if status == "ok":
            task.future.set_result(value)
        else:
            task.future.set_exception(value)
        if self._max_tasks and worker.done >= self._max_tasks:
            self._retire(worker, kill=False)

    def _died(self, worker: _Worker) -> None:
        task = worker.task
        worker.process.join(0.1)
        self._retire(worker, kill=True)
        if task is not None:
            task.future.set_exception(WorkerDied(worker.process.exitcode))

    def _retire(self, worker: _Worker, kill: bool) -> None:
        self._workers.remove(worker)
        if not kill:
            try:
                worker.conn.send(_STOP)
            except (OSError, ValueError):
                kill = True
        if kill and worker.process.is_alive():
            try:
                os.kill(worker.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.process.join(5 if not kill else 1)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(1)
        worker.conn.close()
