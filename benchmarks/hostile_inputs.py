"""Time and peak memory of `nianbao check` on each hostile input, beside the budget and a real report.

Builds the hostile files of tests/hostile.py (zip, XML and Flate bombs, span,
grid, ruling, page-count and character bombs, 760 KB of repeated headings,
huge numbers, escape sequences) and runs the real command on each, one
subprocess at a time, printing wall time and the process's peak resident
memory beside the budget every input must meet (30 s, 1 GiB; README "Limits")
and beside the same figures for the bundled sample report and, where the
corpus is present, a real PDF report.

Usage: .venv/bin/python benchmarks/hostile_inputs.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import hostile  # noqa: E402  (tests/hostile.py: the generators the test suite uses)
from conftest import REAL  # noqa: E402

BUDGET_S, BUDGET_MB = 30.0, 1024


def build(folder: Path) -> list[tuple[str, Path]]:
    def put(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    cases = [("sample report (reference)", put("sample.txt", hostile.sample_text().encode("utf-8")))]
    real = REAL / "huaian-hongze-2024.pdf"
    if real.exists():
        cases.append(("real PDF report (reference)", real))
    sub = folder / "docx"
    sub.mkdir()
    cases += [
        ("zip bomb .docx (300 MB)", hostile.zip_bomb_docx(sub)),
        ("gridSpan bomb .docx", hostile.grid_span_docx(sub)),
        ("colspan bomb .html", put("colspan.html", hostile.colspan_html())),
        ("span grid .html", put("grid.html", hostile.rowspan_grid_html())),
        ("Flate bomb .pdf (300 MB)", put("flate.pdf", hostile.flate_bomb_pdf())),
        ("20,000-page .pdf", put("pages.pdf", hostile.many_pages_pdf())),
        ("ruling bomb .pdf", put("ruling.pdf", hostile.ruling_bomb_pdf())),
        ("2M-character page .pdf", put("chars.pdf", hostile.chars_bomb_pdf())),
        ("760 KB repeated headings .txt", put("headings.txt", hostile.repeated_headings_text())),
        ("huge numbers .txt", put("numbers.txt", hostile.huge_numbers_text().encode("utf-8"))),
        ("ANSI escapes .txt", put("ansi.txt", hostile.with_agency(hostile.ANSI_AGENCY).encode("utf-8"))),
    ]
    return cases


def run(path: Path) -> tuple[float, float, int, int]:
    """Seconds, peak RSS in MB, exit status and bytes of JSON output of one `nianbao check`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_MAX_")}
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "check", str(path), "--format", "json"],
                                stdout=out, stderr=subprocess.DEVNULL, cwd=str(REPO), env=env)
        _, status, usage = os.wait4(proc.pid, 0)          # this child's own peak memory
        elapsed = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        size = out.tell()
    return elapsed, usage.ru_maxrss / 1024, proc.returncode, size


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="nianbao-hostile-") as tmp:
        cases = build(Path(tmp))
        print(f"{'input':<32} {'size':>9} {'time':>8} {'peak RSS':>10} {'exit':>5} {'JSON out':>10}")
        print(f"{'budget':<32} {'':>9} {BUDGET_S:>7.0f}s {BUDGET_MB:>7} MB")
        for label, path in cases:
            seconds, mb, status, out = run(path)
            flag = "" if seconds < BUDGET_S and mb < BUDGET_MB else "  OVER BUDGET"
            print(f"{label:<32} {path.stat().st_size / 1024:>7.0f}KB {seconds:>7.2f}s {mb:>7.0f} MB "
                  f"{status:>5} {out / 1024:>8.0f}KB{flag}")


if __name__ == "__main__":
    main()
