"""How long a batch index of N reports takes to open in headless Chromium (target: under 2 s at 10,000).

Renders index.html (nianbao.outputs.index_page) for N generated entries (varied agencies, years, counts, categories, some
unreadable files), then times, side by side:
  - a blank page (Chromium's own start-up and shutdown, the floor),
  - the index page, whole process (`chromium --headless --dump-dom`, which returns once the page
    has loaded and its script has run),
  - the index page's own time to ready, from the page (`data-ready-ms`: performance.now() when the
    script has sorted, filtered and paged the table).

Usage: .venv/bin/python benchmarks/index_open.py [--reports 10000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CATEGORIES = ["arith.sum", "arith.balance", "narrative.mismatch", "date.deadline", "content.required_missing",
              "value.blank", "structure.missing_row", "crossyear.carryover"]


def entries(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        failed = rng.random() < 0.02
        cats = {} if failed else {c: rng.randint(1, 3) for c in rng.sample(CATEGORIES, rng.randint(0, 4))}
        errors = 1 if failed else sum(v for c, v in cats.items() if c.startswith(("arith", "narrative")))
        out.append({"source": f"/data/报告/{i:05d}-某县第{i}局.pdf", "page": None if failed else f"reports/{i:05d}.html",
                    "letter": None if failed or not errors else f"letters/{i:05d}.html",
                    "error": "文件已加密，无法读取其中的文字" if failed else None,
                    "meta": {} if failed else {"agency": f"某县第{i}局", "year": 2023 + i % 3, "level": "department",
                                               "template": "gov-2021", "date": "2025-01-20"},
                    "pack": "gov-2021", "counts": {"error": errors, "warning": rng.randint(0, 3), "info": rng.randint(0, 2)},
                    "categories": {"parse.unreadable": 1} if failed else cats})
    return out


def chromium() -> str:
    exe = os.environ.get("NIANBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise SystemExit("headless Chromium not installed (Debian: apt-get install chromium)")
    return exe


def open_page(exe: str, url: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="nianbao-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom", url]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        return time.perf_counter() - t0, proc.stdout


def main() -> None:
    from nianbao.outputs.index_page import render_index_html

    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.html"
        blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
        index = Path(tmp) / "index.html"
        t0 = time.perf_counter()
        index.write_text(render_index_html(entries(args.reports), dt.datetime(2025, 5, 7, 9, 5)), encoding="utf-8")
        render = time.perf_counter() - t0
        print(f"index of {args.reports} reports: {index.stat().st_size / 1e6:.1f} MB, rendered in {render:.2f} s")
        blanks, pages, ready = [], [], []
        for _ in range(args.repeat):
            blanks.append(open_page(exe, blank.as_uri())[0])
            seconds, dom = open_page(exe, index.as_uri())
            pages.append(seconds)
            m = re.search(r'data-ready-ms="(\d+)"', dom)
            if not m:
                raise SystemExit("the index script did not finish")
            ready.append(int(m.group(1)) / 1000)
            assert 'data-shown="%d"' % args.reports in dom     # every report counted, one page laid out
        print(f"blank page, whole Chromium process:   {min(blanks):5.2f} s (best of {args.repeat})")
        print(f"index page, whole Chromium process:   {min(pages):5.2f} s (target < 2 s)")
        print(f"index page, ready (script finished):  {min(ready):5.2f} s after navigation start")


if __name__ == "__main__":
    main()
