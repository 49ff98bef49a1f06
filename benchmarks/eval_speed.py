"""Evaluation time of the whole gov-2021 pack on parsed reports (issue: < 2 ms median, one core).

The pack is compiled once, with one RuleMemo; each report is parsed once; only `check_report`
(facts, narrative extraction, every rule, message rendering) is timed.
Run: .venv/bin/python benchmarks/eval_speed.py [REPORT...]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from nianbao.engine import RuleMemo, check_report  # noqa: E402
from nianbao.packs import load_pack  # noqa: E402
from nianbao.reading import read_report  # noqa: E402


def main(paths: list[str]) -> None:
    if not paths:
        paths = [str(REPO / "examples" / "sample-report.txt"), str(REPO / "tests" / "fixtures" / "clean-report.txt")]
        seeds = REPO.parent / "shared" / "corpus" / "seeds"
        paths += sorted(str(p) for p in seeds.glob("*.txt"))
    t0 = time.perf_counter()
    pack = load_pack("gov-2021")
    compile_ms = (time.perf_counter() - t0) * 1000
    print(f"pack gov-2021: {len(pack.rules)} rules, compiled once in {compile_ms:.1f} ms")
    all_medians = []
    memo = RuleMemo()       # one per pack, as a batch or a server holding the pack keeps it
    for path in paths:
        report = read_report(path)
        for _ in range(20):                       # warm-up
            check_report(report, pack, memo=memo)
        samples = []
        for _ in range(300):
            t = time.perf_counter()
            result = check_report(report, pack, memo=memo)
            samples.append((time.perf_counter() - t) * 1000)
        med = statistics.median(samples)
        all_medians.append(med)
        print(f"{Path(path).name:<36} findings {len(result.findings):>2}  median {med:.3f} ms  "
              f"p90 {statistics.quantiles(samples, n=10)[-1]:.3f} ms")
    print(f"median over reports: {statistics.median(all_medians):.3f} ms per report (target < 2 ms)")


if __name__ == "__main__":
    main(sys.argv[1:])
