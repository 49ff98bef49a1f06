"""Whole-process cost of `nianbao check`, beside what it is measured against (issue 14).

Each command runs as a fresh process, interleaved round by round so machine noise
hits both alike; the median wall time of each and the ratio are printed, and beside
them the median CPU time (user + system) of the processes, which a busy shared
machine disturbs less than wall time:

* a real PDF:  `nianbao check REPORT.pdf`  vs  pdfplumber alone extracting the same
  file's text and tables in a fresh process (target ≤ 1.1×);
* a text report:  `nianbao check sample-report.txt`  vs  `python -c pass` (target ≤ 12×).

Also prints `python -X importtime`'s ten heaviest imports of the text check, so a
regression shows where it came from.

Usage: python benchmarks/startup.py [--rounds N] [--pdf PATH]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PDFPLUMBER = ("import sys, pdfplumber\n"
              "with pdfplumber.open(sys.argv[1]) as pdf:\n"
              "    for page in pdf.pages:\n"
              "        page.extract_text(); page.extract_tables(); page.close()\n")


def default_pdf() -> Path:
    corpus = Path(os.environ.get("NIANBAO_CORPUS", REPO.parent / "shared" / "corpus"))
    return corpus / "real" / "huaian-hongze-2024.pdf"


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare(label: str, ours: list[str], reference: list[str], rounds: int, target: float) -> None:
    mine, ref = [], []
    run(ours), run(reference)                # warm the OS caches (and nianbao's pack cache)
    for _ in range(rounds):
        mine.append(run(ours))
        ref.append(run(reference))
    m, r = (statistics.median(t[0] for t in mine), statistics.median(t[0] for t in ref))
    mc, rc = (statistics.median(t[1] for t in mine), statistics.median(t[1] for t in ref))
    print(f"{label:12} nianbao {m * 1000:8.1f} ms   reference {r * 1000:8.1f} ms   ratio {m / r:5.2f}×  "
          f"(target ≤ {target}×)   CPU {mc * 1000:7.1f} / {rc * 1000:7.1f} ms = {mc / rc:5.2f}×")


def heaviest_imports(sample: str, n: int = 10) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "nianbao.cli", "check", sample],
                          capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _self_us, cum_us, name = (part.strip() for part in line[len("import time:"):].split("|"))
            if cum_us.isdigit():
                rows.append((int(cum_us), name))
    print("heaviest imports (cumulative µs) of a text check:")
    for us, name in sorted(rows, reverse=True)[:n]:
        print(f"  {us:8d}  {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--pdf", default=str(default_pdf()))
    args = ap.parse_args()
    # What a user runs: the installed `nianbao` command (its console script), else `python -m nianbao.cli`.
    script = Path(sys.executable).parent / "nianbao"
    nianbao = [str(script), "check"] if script.exists() else [sys.executable, "-m", "nianbao.cli", "check"]
    sample = str(REPO / "examples" / "sample-report.txt")
    if Path(args.pdf).exists():
        compare("PDF", [*nianbao, args.pdf], [sys.executable, "-c", PDFPLUMBER, args.pdf], args.rounds, 1.1)
    else:
        print(f"PDF: {args.pdf} not found (set NIANBAO_CORPUS); skipped")
    compare("text report", [*nianbao, sample], [sys.executable, "-c", "pass"], args.rounds, 12)
    heaviest_imports(sample)


if __name__ == "__main__":
    main()
