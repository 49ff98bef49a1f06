"""Batch audits: many reports, worker processes (or a Dask cluster), every output written safely.

`run_batch` finds every input (folders recursively, mixed formats; what it
cannot check is listed as not checked), reads each report once in a worker,
pairs reports of one agency across years, evaluates them, and streams the
results into the output folder: one HTML page (and letter) per report,
`findings.json` (the schema of `nianbao check --format json`, plus
`not_checked` and `duplicates`), `findings.csv`, `findings.xlsx`, and
`index.html` last. See docs/batch.md.
"""
from __future__ import annotations

from .folder import OutputLocked
from .inputs import REPORT_SUFFIXES, collect, output_names
from .runner import BatchOptions, BatchSummary, Interrupted, default_jobs, run_batch
from .tasks import (WORKER_DIED, EvalTask, Identity, NotChecked, ReadOutcome, ReadTask, ReportOutcome,
                    WorkSettings, worker_timeout)

__all__ = ["run_batch", "BatchOptions", "BatchSummary", "Interrupted", "OutputLocked", "default_jobs",
           "collect_inputs", "collect", "output_names", "REPORT_SUFFIXES",
           "ReadTask", "EvalTask", "Identity", "ReadOutcome", "ReportOutcome", "NotChecked", "WorkSettings",
           "WORKER_DIED", "worker_timeout"]


def collect_inputs(paths) -> list[str]:
    """The report files a batch over `paths` checks (what it cannot check: `collect(paths).not_checked`)."""
    return collect(paths).sources

