"""Seconds per OCR'd page, beside pdfplumber's text-layer read of the same page.

The PDF is first rasterised to an image-only PDF (as tests/test_ocr.py does,
150 dpi by default; not timed). Then, page by page and in the same process:

* reference — pdfplumber on the original page: `extract_text()` + `extract_tables()`;
* OCR       — nianbao on the scanned page: render the page image, find the
  table rules, OCR the cells and the running text (tesseract, one thread).

Each is repeated and the median wall time per page reported, with the ratio.

Usage: python benchmarks/ocr_speed.py [PDF] [--dpi 150] [--repeat N]
Default PDF: huaian-hongze-2024.pdf in $NIANBAO_CORPUS or ../shared/corpus/real.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pdfplumber

from nianbao.ingest.pdf import _read_page
from nianbao.ingest.scan import read_images
from nianbao.ocr import OcrUnavailable, engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pdf_ratio import default_pdf  # noqa: E402
from scan_fixtures import rasterise  # noqa: E402


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def text_layer(path: str, index: int) -> None:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[index]
        page.extract_text()
        page.extract_tables()


def ocr(path: str, index: int) -> None:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[index]
        result = _read_page(page)
        assert result.needs_ocr, "the rasterised page still has a text layer"
        read_images(page, result)


def main() -> None:
    parser = argparse.ArgumentParser(description="OCR 每页耗时，与 pdfplumber 读取同一页文字层的耗时对照")
    parser.add_argument("pdf", nargs="?", type=Path, default=None, help="born-digital PDF (default: huaian-hongze-2024.pdf)")
    parser.add_argument("--dpi", type=int, default=150, help="scan resolution (default 150)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the median is reported")
    args = parser.parse_args()
    source = args.pdf or default_pdf()
    try:
        engine()
    except OcrUnavailable as exc:
        sys.exit(f"无法运行 OCR 基准测试：{exc}")
    with tempfile.TemporaryDirectory() as tmp:
        scan = str(rasterise(source, Path(tmp) / "scan.pdf", dpi=args.dpi))
        with pdfplumber.open(str(source)) as pdf:
            pages = len(pdf.pages)
        ocr(scan, 0)                                   # warm-up: model files into the page cache
        print(f"{source.name}: {pages} pages scanned at {args.dpi} dpi, median of {args.repeat} runs")
        print(f"{'page':>4}  {'OCR s':>7}  {'text layer s':>12}  {'ratio':>6}")
        totals = [0.0, 0.0]
        for index in range(pages):
            t_ocr = median_time(lambda: ocr(scan, index), args.repeat)
            t_ref = median_time(lambda: text_layer(str(source), index), args.repeat)
            totals[0] += t_ocr
            totals[1] += t_ref
            print(f"{index + 1:>4}  {t_ocr:>7.2f}  {t_ref:>12.3f}  {t_ocr / t_ref:>5.0f}x")
        print(f"mean  {totals[0] / pages:>7.2f}  {totals[1] / pages:>12.3f}  {totals[0] / totals[1]:>5.0f}x"
              "   (seconds per page: OCR of the scan vs pdfplumber's read of the text layer)")


if __name__ == "__main__":
    main()
