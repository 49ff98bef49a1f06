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

Each worker is sent its next task while it runs the current one (`PREFETCH`), so it never waits
for the parent to come round between two files. Tasks answer in the order they were sent, so the
first outstanding task is always the running one: on a death or an overrun it fails, and the
tasks queued behind it (not started) go back to the queue for the other workers.

The pool has no thread of its own: the caller's thread dispatches, waits and forks replacement
workers inside `wait()`. A worker forked from a second thread while the main thread was importing
a module inherited that module's import lock, held for ever (seen: a worker hung importing
outputs/html_report.py), so the only thread that forks is the one that is not importing.
"""
from __future__ import annotations

import concurrent.futures
import gc
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

_STOP = None
_IDLE_POLL = 0.5          # seconds between checks when nothing is due
# Tasks outstanding per worker: the running one and the next. Task arguments are small (a path and
# the run's settings), so a queued task always fits in the pipe's buffer and sending never blocks.
PREFETCH = 2


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
    tasks: deque = field(default_factory=deque)     # sent, unanswered; the first is running
    deadline: float | None = None                   # of the running task
    sent: int = 0

    def start_clock(self) -> None:
        head = self.tasks[0] if self.tasks else None
        self.deadline = time.monotonic() + head.timeout if head is not None and head.timeout else None


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
            if not any(w.tasks for w in self._workers) and not self._queue:
                raise RuntimeError("waiting on tasks this pool does not hold")
            self._poll()

    def stop(self) -> None:
        """Stop at once: running tasks' workers are killed and joined, queued tasks cancelled."""
        if not self._running:
            return
        self._running = False
        for worker in list(self._workers):
            tasks = list(worker.tasks)
            self._retire(worker, kill=bool(tasks))
            for i, task in enumerate(tasks):        # the running one died; the next never started
                task.future.set_exception(WorkerDied(None) if i == 0 else concurrent.futures.CancelledError())
        while self._queue:
            self._queue.popleft().future.cancel()

    # -- one step of the pool ------------------------------------------------------------

    def _fill(self) -> None:
        while len(self._workers) < self._size:
            ours, theirs = self._context.Pipe(duplex=True)
            siblings = [w.conn for w in self._workers] + [ours]
            process = self._context.Process(target=_worker_main, name="nianbao-worker", daemon=True,
                                            args=(theirs, siblings, self._initializer, self._initargs))
            # The child's collector would otherwise walk every object inherited from the parent
            # (packs, templates, modules) and write to each, copying every page of the heap: frozen,
            # they are not its to scan. The parent unfreezes its own at once.
            gc.freeze()
            try:
                process.start()
            finally:
                gc.unfreeze()
            theirs.close()
            self._workers.append(_Worker(process, ours))

    def _dispatch(self) -> None:
        # Idle workers first, then a second task to each busy one.
        for depth in range(PREFETCH):
            for worker in list(self._workers):
                if len(worker.tasks) != depth or not self._queue or not self._may_send(worker):
                    continue
                task = self._queue.popleft()
                # A task queued again after its worker died was already marked running.
                if not task.future.running() and not task.future.set_running_or_notify_cancel():
                    continue
                try:
                    worker.conn.send((task.fn, task.args))
                except (OSError, ValueError):          # the worker died between tasks
                    self._queue.appendleft(task)
                    self._died(worker)
                    continue
                except Exception as exc:               # the task's arguments cannot be pickled
                    task.future.set_exception(exc)
                    continue
                worker.tasks.append(task)
                worker.sent += 1
                if len(worker.tasks) == 1:
                    worker.start_clock()

    def _may_send(self, worker: _Worker) -> bool:
        return worker in self._workers and (not self._max_tasks or worker.sent < self._max_tasks)

    def _poll(self) -> None:
        deadlines = [w.deadline for w in self._workers if w.deadline is not None]
        wait_for = _IDLE_POLL
        if deadlines:
            wait_for = max(0.0, min(min(deadlines) - time.monotonic(), _IDLE_POLL))
        sources: list[Any] = []
        for worker in self._workers:
            sources.append(worker.process.sentinel)
            if worker.tasks:
                sources.append(worker.conn)
        ready = set(wait(sources, timeout=wait_for))
        for worker in list(self._workers):
            if worker.tasks and worker.conn in ready:
                self._answer(worker)
            elif worker.process.sentinel in ready:
                self._died(worker)
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                task = worker.tasks[0]
                self._died(worker, concurrent.futures.TimeoutError(f"task over {task.timeout} s"))

    def _answer(self, worker: _Worker) -> None:
        try:
            status, value = worker.conn.recv()
        except (EOFError, OSError):              # died while answering
            self._died(worker)
            return
        task = worker.tasks.popleft()
        worker.start_clock()
        if status == "ok":
            task.future.set_result(value)
        else:
            task.future.set_exception(value)
        if self._max_tasks and worker.sent >= self._max_tasks and not worker.tasks:
            self._retire(worker, kill=False)

    def _died(self, worker: _Worker, failure: BaseException | None = None) -> None:
        """The worker ended or overran: its running task fails, the ones queued behind it go back."""
        if worker not in self._workers:
            return
        tasks = list(worker.tasks)
        if failure is None:
            worker.process.join(0.1)
        self._retire(worker, kill=True)
        if tasks:
            head, rest = tasks[0], tasks[1:]
            head.future.set_exception(failure or WorkerDied(worker.process.exitcode))
            self._queue.extendleft(reversed(rest))

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

