"""Batch throughput and peak memory: `nianbao check DIR --out OUT --jobs N`.

Builds a folder of N reports (copies of the bundled sample and test fixtures,
the seed reports and the two real PDFs, cycled, so that about one in five is
a PDF), then runs the real command as a subprocess with --jobs 1 and --jobs 2
and prints reports per second, the speed-up from the second worker (target
>= 1.6x) and the peak resident memory of any one process (parent or
worker). Running the same with a quarter of the reports shows whether peak
memory grows with the number of reports (it must not).

Usage: .venv/bin/python benchmarks/batch_throughput.py [--reports 200]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("NIANBAO_CORPUS", REPO.parent / "shared" / "corpus"))


def sources() -> list[Path]:
    found = [REPO / "examples" / "sample-report.txt", REPO / "tests" / "fixtures" / "clean-report.txt",
             REPO / "tests" / "fixtures" / "gov2019-report-2020.txt"]
    found += sorted((CORPUS / "seeds").glob("*.txt"))
    found += sorted((CORPUS / "real").glob("*.pdf"))
    return [p for p in found if p.exists()]


def build(folder: Path, count: int) -> None:
    pool = sources()
    for i in range(count):
        src = pool[i % len(pool)]
        shutil.copyfile(src, folder / f"{i:04d}-{src.name}")


def run(folder: Path, out: Path, jobs: int) -> tuple[float, int]:
    exe = Path(sys.executable).parent / "nianbao"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), "check", str(folder), "--out", str(out), "--jobs", str(jobs)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"nianbao failed ({proc.returncode}): {proc.stderr[-2000:]}")
    # ru_maxrss of waited-for descendants: the largest single process (KiB on Linux).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = {}
        for count in (max(1, args.reports // 4), args.reports):
            folder = tmp / f"in-{count}"
            folder.mkdir()
            build(folder, count)
            for jobs in (1, 2):
                # Each measurement in a fresh interpreter so ru_maxrss is not carried over.
                code = (f"import sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r}); import batch_throughput as b;"
                        f"from pathlib import Path; e, m = b.run(Path({str(folder)!r}), Path({str(tmp / f'out-{count}-{jobs}')!r}), {jobs});"
                        f"print(e, m)")
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
                elapsed, peak = out.split()
                results[(count, jobs)] = (float(elapsed), int(peak))
                print(f"{count:>4} reports, --jobs {jobs}: {float(elapsed):7.1f} s, "
                      f"{count / float(elapsed):6.2f} reports/s, peak RSS {int(peak) / 1024:6.1f} MiB", flush=True)
        n = args.reports
        speedup = results[(n, 1)][0] / results[(n, 2)][0]
        print(f"speed-up from the second worker ({n} reports): {speedup:.2f}x (target >= 1.6x)")
        small, big = results[(max(1, n // 4), 2)][1], results[(n, 2)][1]
        print(f"peak RSS with --jobs 2: {small / 1024:.1f} MiB for {max(1, n // 4)} reports, "
              f"{big / 1024:.1f} MiB for {n} reports ({'does not grow' if big < small * 1.25 else 'GROWS'})")


if __name__ == "__main__":
    main()
