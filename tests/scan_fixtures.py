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


def picture_tables(source: Path, out: Path, pages: set[int], dpi: int = 150) -> Path:
    """Write `out`: `source` with the tables on `pages` replaced by pictures of themselves (a table
    pasted as an image); the running text of those pages stays text."""
    import pypdfium2 as pdfium

    from nianbao.ingest import read_document

    regions: dict[int, list[list[float]]] = {}
    tables: dict[tuple[int, int], list[float]] = {}
    for block in read_document(str(source)).blocks:
        page = block.location.page
        if block.kind == "row" and page in pages:
            x0, top, x1, bottom = block.location.bbox
            box = tables.setdefault((page, block.table), [x0, top, x1, bottom])
            box[:] = [min(box[0], x0), min(box[1], top), max(box[2], x1), max(box[3], bottom)]
    for (page, _), box in tables.items():
        regions.setdefault(page, []).append(box)
    pdf = pdfium.PdfDocument(str(source))
    try:
        for number, boxes in regions.items():
            page = pdf[number - 1]
            height = page.get_height()
            rendered = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("RGB")
            for x0, top, x1, bottom in boxes:
                x0, top, x1, bottom = x0 - 2, top - 2, x1 + 2, bottom + 2
                for obj in list(page.get_objects()):
                    left, low, right, high = obj.get_bounds()
                    cx, cy = (left + right) / 2, height - (low + high) / 2
                    if x0 <= cx <= x1 and top <= cy <= bottom:
                        page.remove_obj(obj)
                crop = rendered.crop(tuple(round(v * dpi / 72) for v in (x0, top, x1, bottom)))
                _place(pdf, page, crop, (x0, top, x1, bottom))
            page.gen_content()
        pdf.save(str(out))
    finally:
        pdf.close()
    return out


def with_background(source: Path, out: Path, page: int, grey: int = 235) -> Path:
    """Write `out`: `source` with a full-page pale image (tinted letterhead paper) on page `page`."""
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(source))
    try:
        target = pdf[page - 1]
        width, height = target.get_size()
        _place(pdf, target, Image.new("RGB", (100, 140), (grey, grey, grey - 20)), (0, 0, width, height))
        target.gen_content()
        pdf.save(str(out))
    finally:
        pdf.close()
    return out


def _place(pdf, page, picture, box: tuple[float, float, float, float]) -> None:
    """Put a PIL image on a pypdfium2 page over `box` (x0, top, x1, bottom in points from the top)."""
    import pypdfium2 as pdfium

    x0, top, x1, bottom = box
    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(picture))
    image.set_matrix(pdfium.PdfMatrix().scale(x1 - x0, bottom - top).translate(x0, page.get_height() - bottom))
    page.insert_obj(image)
