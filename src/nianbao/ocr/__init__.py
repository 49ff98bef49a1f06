"""OCR: reading text from page images, offline.

The interface every engine offers (`OcrEngine`) is small: read the text
lines of an image, in one of two modes ("text" for Chinese prose and labels,
"digits" for table values). `engine()` returns the engine this machine has
(today: Debian's tesseract with its chi_sim model), or raises
`OcrUnavailable` with a one-line Chinese reason naming what is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OcrLine:
    """One line of recognised text; bbox in the image's pixels (x0, top, x1, bottom)."""

    text: str
    bbox: tuple[int, int, int, int]
    confidence: float           # 0..100, the mean of the line's words


class OcrUnavailable(Exception):
    """No usable OCR engine on this machine; the message (Chinese) says what to install."""


class OcrEngine(Protocol):
    name: str

    def read_lines(self, image, mode: str = "text", dpi: int | None = None) -> list[OcrLine]:
        """Text lines of a PIL image (rendered at `dpi`, when known).

        mode: "page" (a whole page: columns and type sizes vary), "text" (a
        block of Chinese lines), "digits" (numbers only).
        """
        ...


_ENGINE: OcrEngine | None = None
_MISSING: OcrUnavailable | None = None


def engine() -> OcrEngine:
    """The OCR engine of this machine (looked for once per process). Raises OcrUnavailable."""
    global _ENGINE, _MISSING
    if _ENGINE is None:
        if _MISSING is not None:
            raise _MISSING
        try:
            _ENGINE = _find()
        except OcrUnavailable as exc:
            _MISSING = exc
            raise
    return _ENGINE


def _find() -> OcrEngine:
    try:
        import numpy  # noqa: F401  (page images are handled as arrays)
    except ImportError:
        raise OcrUnavailable("未安装 OCR 所需的 Python 组件 numpy，请执行 pip install 'nianbao[ocr]'") from None
    from .tesseract import TesseractEngine
    return TesseractEngine.find()


def reset_engine() -> None:
    """Forget the engine found, or not found (tests that simulate a machine without one)."""
    global _ENGINE, _MISSING
    _ENGINE = _MISSING = None
