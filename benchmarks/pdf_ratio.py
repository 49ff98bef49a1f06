"""Cost of nianbao's PDF reading relative to pdfplumber's own extraction.

Runs, on the same PDF and in the same process:

* baseline — pdfplumber alone: `page.extract_text()` + `page.extract_tables()`
  for every page (pages closed as they are done);
* nianbao  — the full `nianbao check` in-process: read the PDF, map it onto
  the template, evaluate the gov-2021 pack (compiled once, before timing),
  and render the findings as text.

Each is repeated and the median wall time reported, with the ratio
nianbao / baseline (target for the full check: ≤ 1.25).

Usage: python benchmarks/pdf_ratio.py [PDF] [--repeat N]
Default PDF: huaian-hongze-2024.pdf in $NIANBAO_CORPUS or ../shared/corpus/real.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pdfplumber

from nianbao.engine import check_report
from nianbao.outputs.check_text import result_to_text
from nianbao.packs import load_pack
from nianbao.reading import read_report

PACK = load_pack("gov-2021")


def default_pdf() -> Path:
    env = os.environ.get("NIANBAO_CORPUS")
    roots = []
    if env:
        roots += [Path(env), Path(env) / "real"]
    roots.append(Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real")
    for root in roots:
        candidate = root / "huaian-hongze-2024.pdf"
        if candidate.is_file():
            return candidate
    sys.exit("找不到基准测试用的 PDF（huaian-hongze-2024.pdf）；请以参数指定，或设置 NIANBAO_CORPUS")


def baseline(path: str) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.close()


def nianbao(path: str) -> None:
    result_to_text(check_report(read_report(path), PACK))


def measure(fn, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf", nargs="?", help="PDF to measure")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    path = str(args.pdf or default_pdf())

    # Warm up both (imports, font cmaps) before timing.
    baseline(path)
    nianbao(path)
    # Interleave the repetitions so drift in machine load hits both alike.
    base_times: list[float] = []
    ours_times: list[float] = []
    for _ in range(args.repeat):
        base_times += measure(baseline, path, 1)
        ours_times += measure(nianbao, path, 1)
    base = statistics.median(base_times)
    ours = statistics.median(ours_times)
    print(f"pdf:       {path}")
    print(f"repeat:    {args.repeat}")
    print(f"pdfplumber extract_text+extract_tables: median {base * 1000:8.1f} ms "
          f"(min {min(base_times) * 1000:.1f}, max {max(base_times) * 1000:.1f})")
    print(f"nianbao check (in-process):             median {ours * 1000:8.1f} ms "
          f"(min {min(ours_times) * 1000:.1f}, max {max(ours_times) * 1000:.1f})")
    print(f"ratio nianbao check / pdfplumber:       {ours / base:.3f}  (target <= 1.25)")


if __name__ == "__main__":
    main()
