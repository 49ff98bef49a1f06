"""The batch's worker pool on its own: deaths, overruns and recycling cost one task each, never the run."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import sys
import time

import pytest

from nianbao.batch.executors.pool import WorkerDied, WorkerPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc: Linux")
FORK = multiprocessing.get_context("fork")


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def unpicklable():
    return lambda: None


def fail():
    raise ValueError("bad file")


def drain(pool: WorkerPool, futures: list) -> list:
    pending = set(futures)
    while pending:
        _, pending = pool.wait(pending)
    return futures


def outcome(future):
    try:
        return future.result()
    except Exception as exc:        # the test looks at which failure each task had
        return type(exc)


def test_a_killed_worker_costs_its_task_and_is_replaced():
    pool = WorkerPool(1, FORK)
    try:
        first = pool.schedule(pid_after, (0.0,))
        pool.wait({first})
        victim = first.result()
        killed = pool.schedule(pid_after, (30.0,))
        after = [pool.schedule(pid_after, (0.0,)) for _ in range(3)]
        pool._dispatch()                              # the one worker now holds the long task
        assert pool._workers[0].tasks[0].future is killed
        os.kill(victim, signal.SIGKILL)
        drain(pool, [killed, *after])
        assert outcome(killed) is WorkerDied
        pids = {f.result() for f in after}
        assert len(pids) == 1 and victim not in pids
    finally:
        pool.stop()


def test_a_task_that_kills_its_worker_and_one_that_overruns():
    pool = WorkerPool(2, FORK)
    try:
        started = time.monotonic()
        futures = [pool.schedule(die), pool.schedule(pid_after, (60.0,), timeout=1.0),
                   pool.schedule(fail), pool.schedule(unpicklable), pool.schedule(pid_after, (0.0,))]
        drain(pool, futures)
        assert [outcome(f) for f in futures[:4]] == [WorkerDied, concurrent.futures.TimeoutError,
                                                      ValueError, RuntimeError]
        assert isinstance(futures[4].result(), int)
        assert time.monotonic() - started < 20
    finally:
        pool.stop()
    assert not pool._workers


def test_workers_are_replaced_after_max_tasks():
    pool = WorkerPool(1, FORK, max_tasks=2)
    try:
        futures = drain(pool, [pool.schedule(pid_after, (0.0,)) for _ in range(6)])
        pids = [f.result() for f in futures]
        assert pids[0] == pids[1] and pids[2] == pids[3] and len(set(pids)) == 3
    finally:
        pool.stop()


def test_stop_kills_running_workers_and_cancels_the_queue():
    pool = WorkerPool(1, FORK)
    running = pool.schedule(pid_after, (60.0,))
    queued = pool.schedule(pid_after, (0.0,))
    pool._fill()
    pool._dispatch()
    process = pool._workers[0].process
    pool.stop()
    assert not process.is_alive()
    assert outcome(running) is WorkerDied
    assert queued.cancelled() or outcome(queued) is concurrent.futures.CancelledError
    with pytest.raises(RuntimeError):
        pool.schedule(pid_after, (0.0,))
