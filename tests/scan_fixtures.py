"""Scanned variants of real PDFs, made here: pages rasterised to images and put back as image-only pages.

pypdfium2 (a pdfplumber dependency) renders the pages; Pillow writes each
image as a one-page PDF (JPEG inside, as scanners do); pypdfium2 assembles
the result, so a partial scan keeps the text layer of its other pages.
"""
from __future__ import annotations

import io
from pathlib import Path


def rasterise(source: Path, out: Path, dpi: int = 150, pages: set[int] | None = None, skew: float = 0.0) -> Path:
    """Write `out`: `source` with its pages (1-based; all when `pages` is None) replaced by images at `dpi`,
    turned by `skew` degrees (a sheet fed askew)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(source))
    result = pdfium.PdfDocument.new()
    try:
        for index in range(len(src)):
            number = index + 1
            if pages is not None and number not in pages:
                result.import_pages(src, [index])
                continue
            page = src[index]
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            if skew:
                from PIL import Image
                image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
            buf = io.BytesIO()
            image.save(buf, "PDF", resolution=dpi, quality=85)
            scan = pdfium.PdfDocument(buf.getvalue())
            result.import_pages(scan, [0])
            scan.close()
        result.save(str(out))
    finally:
        result.close()
        src.close()
    return out


def page_image(source: Path, out: Path, page: int, dpi: int = 150) -> Path:
    """Write one page of `source` (1-based) as an image file (format from the suffix: .jpg, .png)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(source))
    try:
        src[page - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L").save(out, quality=85)
    finally:
        src.close()
    return out
