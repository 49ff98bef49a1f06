"""Batch scale: throughput and peak memory (parent and workers) side by side, in one run.

Generates text reports from the corpus seeds with varied agencies, years and
figures (two consecutive years per agency, so pairing has work to do), then
runs the real command `nianbao check DIR --out OUT` as a subprocess for each
configuration and prints, side by side:

  reports, backend, --jobs, pairing: seconds, reports/s, peak RSS of the parent, peak RSS of any worker

and the targets: pairing <= 1.1x no-pairing; --jobs 2 >= 1.8x --jobs 1; time linear and parent
memory flat from the smallest to the largest size. Peak RSS is each process's VmHWM, polled from /proc.
CPU s is the parent's and its local workers' CPU time; sys s the part of it spent in the kernel (file
creation mostly). Each run writes into a fresh folder; they are all removed after the size's last run.

Usage: .venv/bin/python benchmarks/batch_scale.py [--sizes 1000,10000] [--large-only-jobs2] [--no-dask]
                                                  [--rounds N] [--years 1|2] [--pairs copied|revised]
                                                  [--only BACKEND:JOBS:PAIRING]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("NIANBAO_CORPUS", REPO.parent / "shared" / "corpus"))
EXE = Path(sys.executable).parent / "nianbao"
_CHARS = "安平和兴宁德泰丰乐康永福昌盛华阳山河湖海东西南北中清远新长"
_YEAR = re.compile(r"20(1\d|2\d)")
_COUNT = re.compile(r"(\d{2,5})(\s*条)")


def _seed_agency(text: str) -> str:
    """The place name a seed's title starts with (交城县, 盐湖区…)."""
    for line in text.splitlines():
        m = re.search(r"([\u4e00-\u9fff]{1,8}?(?:县|区|市))", line)
        if m:
            return m.group(1)
    raise SystemExit("a seed without an agency name")


_SECTION5 = re.compile(r"(?ms)^(?:#+\s*)?五、存在的主要问题及改进情况\n(.*?)(?=^(?:#+\s*)?六、)")
_NORMATIVE = re.compile(r"(?m)^(行政规范性文件\t(\d+)\t(\d+)\t)(\d+)")


def _revised_last_year(text: str, other: str) -> str:
    """Last year's report as an agency would have written it: its own section 5 (here: another seed's),
    and the 规范性文件 in force then that this year's figures carry on from."""
    found = _SECTION5.search(other)
    if found:
        text = _SECTION5.sub(lambda m: m.group(0).replace(m.group(1), found.group(1)), text, count=1)
    return _NORMATIVE.sub(lambda m: f"{m.group(1)}{max(0, int(m.group(4)) - int(m.group(2)) + int(m.group(3)))}",
                          text, count=1)


def generate(folder: Path, count: int, seed: int = 7, years: int = 2, pairs: str = "copied") -> None:
    """`count` text reports: agency k gets the seed's report for its year and the year before
    (`years=1`: one report per agency, nothing to pair: what the pairing machinery alone costs).
    `pairs="copied"`: last year's report is this year's with other figures (every pair finds section 5
    copied and a carried figure that does not add up: the worst case); `"revised"`: last year's has
    its own section 5 and the carried figure adds up."""
    rng = random.Random(seed)
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    if not seeds:
        raise SystemExit(f"no seed reports in {CORPUS / 'seeds'}")
    texts = [(s.read_text(encoding="utf-8"), _seed_agency(s.read_text(encoding="utf-8"))) for s in seeds]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        agency_no, shift = divmod(i, 2) if years == 2 else (i, 0)
        text, place = texts[agency_no % len(texts)]
        if shift and pairs == "revised":
            text = _revised_last_year(text, texts[(agency_no + 1) % len(texts)][0])
        a, b, c = (_CHARS[(agency_no // len(_CHARS) ** k) % len(_CHARS)] for k in range(3))
        name = f"{a}{b}{c}{place[-1]}"
        body = text.replace(place, name)
        body = _YEAR.sub(lambda m: str(int(m.group(0)) - shift), body)
        body = _COUNT.sub(lambda m: f"{max(1, int(int(m.group(1)) * rng.uniform(0.8, 1.2)))}{m.group(2)}", body)
        (folder / f"{i:05d}.txt").write_text(body, encoding="utf-8")


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def run(folder: Path, out: Path, jobs: int, pairing: bool, scheduler: str | None = None) -> dict:
    cmd = [str(EXE), "check", str(folder), "--out", str(out), "--jobs", str(jobs)]
    cmd += [] if pairing else ["--no-pairing"]
    cmd += ["--scheduler", scheduler] if scheduler else []
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")      # a pipe left unread would fill and block
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, text=True)
    parent = workers = 0
    while True:
        parent = max(parent, _hwm(proc.pid))
        for kid in _descendants(proc.pid):
            workers = max(workers, _hwm(kid))
        done, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    err = log.read()
    log.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"nianbao failed ({proc.returncode}): {err[-2000:]}")
    # CPU seconds of the parent and of the local workers it reaped (a loaded machine inflates wall time).
    return {"seconds": elapsed, "cpu": usage.ru_utime + usage.ru_stime, "sys": usage.ru_stime,
            "parent": parent / 1024, "workers": workers / 1024}


def _median(results: list[dict]) -> dict:
    import statistics
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--large-only-jobs2", action="store_true",
                    help="at sizes above the smallest, run only --jobs 2 with and without pairing")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the configurations this many times, interleaved; figures are medians")
    ap.add_argument("--years", type=int, choices=(1, 2), default=2,
                    help="reports per agency: 2 (this year and last: pairs to find) or 1 (nothing to pair)")
    ap.add_argument("--pairs", choices=("copied", "revised"), default="copied",
                    help="last year's report: this year's with other figures (copied: the worst case) or "
                         "with its own section 5 and carried figures that add up (revised)")
    ap.add_argument("--only", default=None, metavar="BACKEND:JOBS:PAIRING",
                    help="run one configuration at every size, e.g. local:2:yes (parent memory from small to large)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cluster = None
    if not args.no_dask and (args.only is None or args.only.startswith("dask")):
        try:
            from distributed import LocalCluster
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=50)
        except ImportError:
            print("Dask not installed (pip install 'nianbao[dask]'): Dask rows skipped")
    rows: dict[tuple, dict] = {}
    runs: dict[tuple, list[dict]] = {}
    print(f"{'reports':>7} {'backend':>7} {'jobs':>4} {'pairing':>7} {'seconds':>8} {'reports/s':>9} {'CPU s':>7} "
          f"{'sys s':>6} {'parent MiB':>10} {'worker MiB':>10}", flush=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-scale-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"in-{n}"
            generate(folder, n, years=args.years, pairs=args.pairs)
            configs = [("local", 1, True), ("local", 1, False), ("local", 2, True), ("local", 2, False)]
            if args.large_only_jobs2 and n != sizes[0]:
                configs = [("local", 2, True), ("local", 2, False)]
            if cluster is not None and (n == sizes[0] or not args.large_only_jobs2):
                configs.append(("dask", 2, True))
            if args.only:
                backend, jobs, pairing = args.only.split(":")
                configs = [(backend, int(jobs), pairing == "yes")]
            outs = []
            for i, (backend, jobs, pairing) in enumerate(configs * args.rounds):
                # A fresh folder each run, all removed only after the size's last run: a file system
                # that must skip recently deleted inodes (ext4 without a journal does, for 5-35 s) would
                # otherwise charge each run for the previous run's clean-up.
                out = Path(tmp) / f"out-{n}-{backend}-{jobs}-{pairing}-{i}"
                outs.append(out)
                r = run(folder, out, jobs, pairing, cluster.scheduler_address if backend == "dask" else None)
                runs.setdefault((n, backend, jobs, pairing), []).append(r)
                rows[(n, backend, jobs, pairing)] = _median(runs[(n, backend, jobs, pairing)])
                worker = f"{r['workers']:10.1f}" if backend == "local" else f"{'(cluster)':>10}"
                print(f"{n:>7} {backend:>7} {jobs:>4} {'yes' if pairing else 'no':>7} {r['seconds']:8.1f} "
                      f"{n / r['seconds']:9.1f} {r['cpu']:7.1f} {r['sys']:6.1f} {r['parent']:10.1f} {worker}",
                      flush=True)
            for out in outs:
                shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
    if cluster is not None:
        cluster.close()
    print()
    if args.rounds > 1:
        print(f"medians of {args.rounds} interleaved rounds:")
        for (n, backend, jobs, pairing), r in rows.items():
            print(f"{n:>7} {backend:>7} {jobs:>4} {'yes' if pairing else 'no':>7} {r['seconds']:8.1f} "
                  f"{n / r['seconds']:9.1f} {r['cpu']:7.1f} {r['sys']:6.1f} {r['parent']:10.1f}")
    for n in sizes:
        for jobs in (1, 2):
            if (n, "local", jobs, False) in rows and (n, "local", jobs, True) in rows:
                ratio = rows[(n, "local", jobs, True)]["seconds"] / rows[(n, "local", jobs, False)]["seconds"]
                cpu = rows[(n, "local", jobs, True)]["cpu"] / rows[(n, "local", jobs, False)]["cpu"]
                print(f"{n} reports: pairing costs {ratio:.2f}x no-pairing with --jobs {jobs} (target <= 1.1x); "
                      f"CPU {cpu:.2f}x")
        if (n, "local", 1, True) in rows and (n, "local", 2, True) in rows:
            speedup = rows[(n, "local", 1, True)]["seconds"] / rows[(n, "local", 2, True)]["seconds"]
            print(f"{n} reports: --jobs 2 is {speedup:.2f}x --jobs 1 (target >= 1.8x)")
    small, large = sizes[0], sizes[-1]
    a, b = rows.get((small, "local", 2, True)), rows.get((large, "local", 2, True))
    if a and b and large != small:
        per_a, per_b = a["seconds"] / small, b["seconds"] / large
        print(f"time per report: {per_a * 1000:.1f} ms at {small}, {per_b * 1000:.1f} ms at {large} "
              f"({per_b / per_a:.2f}x; linear = 1.0x)")
        print(f"parent peak RSS: {a['parent']:.1f} MiB at {small}, {b['parent']:.1f} MiB at {large} "
              f"({b['parent'] / a['parent']:.2f}x; flat = 1.0x)")


if __name__ == "__main__":
    main()
