"""Batch backends behind one interface (`Executor`): local worker processes, or a Dask cluster."""
from __future__ import annotations

from .base import Executor

__all__ = ["Executor", "make_executor"]


def make_executor(settings, *, jobs: int, cache_dir: str, timeout: float | None, memory_mb: int,
                  scheduler: str | None = None, ship_bytes: bool = False) -> Executor:
    """Local processes, or the Dask cluster at `scheduler` (imported only when asked for)."""
    if scheduler:
        from .dask import DaskExecutor
        return DaskExecutor(settings, scheduler, cache_dir, ship_bytes=ship_bytes)
    from .local import LocalExecutor
    return LocalExecutor(settings, jobs, cache_dir, timeout=timeout, memory_mb=memory_mb)
