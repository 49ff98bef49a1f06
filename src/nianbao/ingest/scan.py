"""What of a PDF is an image to be read by OCR, and image files of report pages.

* A page that is wholly an image (a scan: images cover it and it has next
  to no text layer) is read from its rendering.
* A page with a text layer and a large image on it (a table pasted as a
  picture, a scanned table page with a typed heading): the image regions are
  read, with the text layer's own characters masked out, and merged with
  the text-layer read. A background image with no ink of its own once the
  text is masked (letterhead paper) is ignored.
* A .png / .jpg of a report page is read as a one-page scan.

This module needs Pillow only (a pdfplumber dependency); the OCR reading
itself (page_image.py, numpy) is imported once an engine is found.
Every function that reads raises OcrUnavailable when this machine cannot.
"""
from __future__ import annotations

from typing import Any

_OCR_DPI = 300            # at most: scans are read at their own resolution (see _scan_dpi)
_INK_LEVEL = 160          # grey level below which a pixel is ink (as ocr/rulings.py)
_REGION_MIN_INK = 0.004   # share of an image region's pixels that must be ink for it to hold content
# An image this large on a page with a text layer may hold content of its own (a table as a picture).
_CONTENT_IMAGE = 0.08


def image_cover(page: Any) -> float:
    """Share of the page area that images cover (overlaps counted once per image)."""
    px0, ptop, px1, pbottom = (float(v) for v in page.bbox)
    area = max(1.0, (px1 - px0) * (pbottom - ptop))
    covered = 0.0
    for im in page.images:
        w = min(px1, float(im["x1"])) - max(px0, float(im["x0"]))
        h = min(pbottom, float(im["bottom"])) - max(ptop, float(im["top"]))
        if w > 0 and h > 0:
            covered += w * h
    return min(1.0, covered / area)


def content_images(page: Any) -> list[tuple[float, float, float, float]]:
    """Boxes of the images large enough to hold a table or a page of text (seals and logos are not)."""
    px0, ptop, px1, pbottom = (float(v) for v in page.bbox)
    area = max(1.0, (px1 - px0) * (pbottom - ptop))
    boxes = []
    for im in page.images:
        box = (max(px0, float(im["x0"])), max(ptop, float(im["top"])),
               min(px1, float(im["x1"])), min(pbottom, float(im["bottom"])))
        if box[2] > box[0] and box[3] > box[1] and (box[2] - box[0]) * (box[3] - box[1]) >= _CONTENT_IMAGE * area:
            boxes.append(box)
    return boxes


def read_images(page: Any, res: Any) -> Any:
    """A page result (pdf._PageResult) with the page's image content read by OCR. Raises OcrUnavailable."""
    from .pdf import _PageResult, _without_page_numbers

    if res.needs_ocr:
        items = ocr_page(page)
        if items is None:                  # a blank image
            return _PageResult([], res.top, res.height, 0, 0, True, ocr=True)
        items = _without_page_numbers(items, res.top, res.height)
        return _PageResult(items, res.top, res.height, _item_chars(items), 0, True, ocr=True)
    items = ocr_regions(page, res.image_boxes)
    if items is None:                      # background images without content of their own
        return _PageResult(res.items, res.top, res.height, res.char_count, res.cid_count, res.has_images)
    items = _without_page_numbers(items, res.top, res.height)
    return _PageResult(sorted(res.items + items, key=lambda it: it[0]), res.top, res.height,
                       res.char_count + _item_chars(items), res.cid_count, res.has_images, image_boxes=res.image_boxes)


def _item_chars(items: list[tuple[float, str, Any]]) -> int:
    return sum(len(p.text) if kind == "line" else sum(len(t) for r in p for t, _ in r.cells) for _, kind, p in items)


def _scan_dpi(page: Any, most: int) -> int:
    """The resolution the page's largest image was scanned at (150..`most`): rendering finer
    invents no detail, and tesseract misreads large type blown up."""
    best = None
    for im in page.images:
        width_pt = float(im["x1"]) - float(im["x0"])
        size = im.get("srcsize") or (0, 0)
        if width_pt > 0 and size[0] and (best is None or width_pt > best[0]):
            best = (width_pt, float(size[0]) / (width_pt / 72.0))
    dpi = int(round(best[1])) if best else most
    return max(150, min(most, dpi))


def _read(image: Any, dpi: int, origin: tuple[float, float] = (0.0, 0.0)) -> list:
    """Items of a page image; `origin`: the page coordinates of the image's top-left corner."""
    from ..ocr import engine

    ocr = engine()
    from .page_image import read_page_image, shift_items

    items = read_page_image(image, ocr, dpi)
    return shift_items(items, *origin) if any(origin) else items


def ocr_page(page: Any) -> list | None:
    """Items of a page that is wholly an image; None when the image is blank (nothing to read)."""
    dpi = _scan_dpi(page, _OCR_DPI)
    image = page.to_image(resolution=dpi).original
    if image.convert("L").getextrema()[0] >= _INK_LEVEL:
        return None
    return _read(image, dpi, (float(page.bbox[0]), float(page.bbox[1])))


def ocr_regions(page: Any, boxes: list[tuple[float, float, float, float]]) -> list | None:
    """Items read from the image regions `boxes` (PDF points) of a page that also has a text layer,
    the text layer's characters masked out; None when the regions hold no ink of their own."""
    from PIL import Image, ImageDraw

    dpi = _scan_dpi(page, _OCR_DPI)
    scale = dpi / 72.0
    px0, ptop = float(page.bbox[0]), float(page.bbox[1])
    rendered = page.to_image(resolution=dpi).original.convert("RGB")
    image = Image.new("RGB", rendered.size, (255, 255, 255))
    for x0, top, x1, bottom in boxes:
        box = tuple(int(round(v)) for v in ((x0 - px0) * scale, (top - ptop) * scale,
                                            (x1 - px0) * scale, (bottom - ptop) * scale))
        image.paste(rendered.crop(box), box[:2])
    draw = ImageDraw.Draw(image)
    for c in page.chars:
        draw.rectangle(((c["x0"] - px0) * scale - 1, (c["top"] - ptop) * scale - 1,
                        (c["x1"] - px0) * scale + 1, (c["bottom"] - ptop) * scale + 1), fill=(255, 255, 255))
    gray = image.convert("L")
    area = sum((x1 - x0) * (b - t) for x0, t, x1, b in boxes) * scale * scale
    dark = sum(gray.histogram()[:_INK_LEVEL])
    if area <= 0 or dark < _REGION_MIN_INK * area:
        return None
    return _read(image, dpi, (px0, ptop))


# ---------------------------------------------------------------------------
# A photograph or scan of one report page saved as an image file (.png, .jpg)

_A4_WIDTH_PT = 595.0
_IMAGE_DPI = (150, 300)          # an image is read as an A4-wide page at a resolution in this range
_MAX_PIXELS = 60_000_000         # larger images are refused, not decoded (decompression bombs)


def read_image(path: str) -> Any:
    """Read an image file as a one-page scanned report (Document). Raises UnreadableInput."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from ..document import Document
    from ..errors import UnreadableInput
    from ..ocr import OcrUnavailable
    from .pdf import _emit, _PageResult, _without_page_numbers

    try:
        with Image.open(path) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise UnreadableInput(path, f"图片过大（{img.width}×{img.height} 像素），无法读取")
            img = ImageOps.exif_transpose(img)
            img = img.convert("L" if img.mode in ("1", "L", "LA", "I", "I;16") else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UnreadableInput(path, "图片文件已损坏或格式无法识别，无法读取") from None
    dpi = img.width * 72.0 / _A4_WIDTH_PT
    target = min(max(dpi, _IMAGE_DPI[0]), _IMAGE_DPI[1])
    if abs(target - dpi) > 1:
        img = img.resize((round(img.width * target / dpi), round(img.height * target / dpi)), Image.Resampling.LANCZOS)
    height = img.height * 72.0 / target
    try:
        items = _without_page_numbers(_read(img, round(target)), 0.0, height)
    except OcrUnavailable as exc:
        raise UnreadableInput(path, f"这是报告页面的图片，需用 OCR 识别，但{exc}") from None
    if not items:
        raise UnreadableInput(path, "图片中未能识别出任何文字（可能过于模糊或不是报告页面），无法读取")
    doc = Document(source=path, format="image", properties={"pages": "1"})
    _emit(doc, path, [(1, _PageResult(items, 0.0, height, 1, 0, True, ocr=True))])
    doc.ocr_pages = [1]
    return doc
