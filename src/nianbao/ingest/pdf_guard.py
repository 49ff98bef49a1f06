"""PDF bombs: bounds on what pdfminer decodes and draws.

pdfminer inflates every stream whole (``zlib.decompress``), so a 50 KB PDF
can hold a stream inflating to gigabytes, and a page can draw millions of
characters from a small content stream (a form drawn in a loop). The
decoders pdfminer uses for Flate, LZW and RunLength streams are replaced,
once per process, by versions that stop at the stream budget; the layout
device counts the characters and shapes of each page. A page tree is
counted before pdfplumber lists its pages.

Past a budget a `PdfBudgetExceeded` is raised inside pdfminer (which
pdfplumber may wrap) and also remembered, so `read_pdf` names the limit
even where a library swallowed the exception.
"""
from __future__ import annotations

import contextvars
import zlib
from io import BytesIO

from .. import limits as _limits
from ..errors import UnreadableInput

_TRIPPED: contextvars.ContextVar["PdfBudgetExceeded | None"] = contextvars.ContextVar("pdf_budget", default=None)


class PdfBudgetExceeded(Exception):
    """A PDF went over one of its budgets; `what` and `field` name the limit (see limits.over)."""

    def __init__(self, what: str, field: str, hint: str = ""):
        super().__init__(what)
        self.what = what
        self.field = field
        self.hint = hint


def _trip(what: str, field: str, hint: str = "可能是恶意构造的文件") -> PdfBudgetExceeded:
    exc = PdfBudgetExceeded(what, field, hint)
    _TRIPPED.set(exc)
    return exc


def _stream_budget() -> int:
    return _limits.current().pdf_stream_bytes


def _stream_over(budget: int) -> PdfBudgetExceeded:
    return _trip(f"PDF 中有数据流解压后超过 {_limits.size_cn(budget)}", "pdf_stream_bytes", "可能是压缩炸弹")


class _BoundedDecompressor:
    """zlib.decompressobj() that refuses to produce more than the stream budget in total."""

    def __init__(self, *args, **kwargs):
        self._inner = zlib.decompressobj(*args, **kwargs)
        self._budget = _stream_budget()
        self._produced = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        room = self._budget - self._produced + 1
        out = self._inner.decompress(data, room if not max_length else min(max_length, room))
        self._produced += len(out)
        if self._produced > self._budget:
            raise _stream_over(self._budget)
        return out

    def flush(self, *args) -> bytes:
        out = self._inner.flush(*args)
        self._produced += len(out)
        if self._produced > self._budget:
            raise _stream_over(self._budget)
        return out

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class _BoundedZlib:
    """The part of the zlib module pdfminer.pdftypes uses, bounded by the stream budget."""

    error = zlib.error
    decompressobj = _BoundedDecompressor

    @staticmethod
    def decompress(data: bytes, *args, **kwargs) -> bytes:
        d = _BoundedDecompressor()
        out = d.decompress(data)
        if d.unconsumed_tail or not d.eof:
            # zlib.decompress raises on a truncated stream; pdfminer then tries its
            # lenient decoder (which goes through the bounded decompressobj too).
            raise zlib.error("incomplete or truncated stream")
        return out

    def __getattr__(self, name: str):
        return getattr(zlib, name)


def _bounded_lzwdecode(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    budget, produced, parts = _stream_budget(), 0, []
    for part in LZWDecoder(BytesIO(data)).run():
        produced += len(part)
        if produced > budget:
            raise _stream_over(budget)
        parts.append(part)
    return b"".join(parts)


def _bounded_rldecode(data: bytes) -> bytes:
    from pdfminer.runlength import rldecode

    budget = _stream_budget()
    if len(data) * 128 > budget:          # could exceed: measure the output before building it
        size, i = 0, 0
        while i < len(data) and data[i] != 128:
            n = data[i]
            size += n + 1 if n < 128 else 257 - n
            i += n + 2 if n < 128 else 2
            if size > budget:
                raise _stream_over(budget)
    return rldecode(data)


def _count_items(device, what: str) -> None:
    # The budget is looked up once per page (device): reading the environment for every
    # character cost ~10% of reading a PDF.
    count = getattr(device, "_nianbao_items", 0) + 1
    device._nianbao_items = count
    budget = getattr(device, "_nianbao_budget", None)
    if budget is None:
        budget = device._nianbao_budget = _limits.current().page_chars
    if count > budget:
        page = getattr(device, "pageno", None)
        raise _trip(f"PDF 第{page}页绘制的{what}超过 {budget:,} 个", "page_chars")


_installed = False


def install() -> None:
    """Bound pdfminer's decoders and layout device (idempotent, process-wide)."""
    global _installed
    if _installed:
        return
    from pdfminer import converter, pdftypes

    pdftypes.zlib = _BoundedZlib()
    pdftypes.lzwdecode = _bounded_lzwdecode
    pdftypes.rldecode = _bounded_rldecode
    analyzer = converter.PDFLayoutAnalyzer
    render_char, paint_path = analyzer.render_char, analyzer.paint_path

    def counted_render_char(self, *args, **kwargs):
        _count_items(self, "字符")
        return render_char(self, *args, **kwargs)

    def counted_paint_path(self, *args, **kwargs):
        _count_items(self, "字符和图形")
        return paint_path(self, *args, **kwargs)

    analyzer.render_char = counted_render_char
    analyzer.paint_path = counted_paint_path
    _installed = True


def reset() -> None:
    """Start a new PDF: install the bounds, forget an earlier PDF's budget failure."""
    install()
    _TRIPPED.set(None)


def check_pages(doc) -> None:
    """Count the page tree up to the budget before pdfplumber builds a Page for each."""
    from pdfminer.pdfpage import PDFPage

    budget = _limits.current().pages
    for n, _ in enumerate(PDFPage.create_pages(doc), start=1):
        if n > budget:
            raise _trip(f"PDF 页数超过 {budget:,} 页", "pages", "")


def check_rules(vertical: list[dict], horizontal: list[dict], page: int) -> None:
    """Table ruling: the grid pdfplumber builds crosses every vertical line with every horizontal one.

    Segments on one line are joined first (a word processor draws each cell's border
    apart), so the grid has one column per distinct x and one row per distinct y.
    """
    budget = _limits.current().table_cells
    xs = {round(e["x0"]) for e in vertical}
    ys = {round(e["top"]) for e in horizontal}
    if len(xs) * len(ys) > budget:
        raise _trip(f"PDF 第{page}页的表格线交点超过 {budget:,} 个", "table_cells")


def close(pdf) -> None:
    """Close a pdfplumber PDF without listing its pages (its own close() lists them all first)."""
    try:
        if hasattr(pdf, "_pages"):
            pdf.close()
        elif not pdf.stream_is_external:
            pdf.stream.close()
    except Exception:       # closing is best effort: the file is read or refused already
        pass


def failure(path: str) -> UnreadableInput | None:
    """The budget this PDF went over, as the one-line refusal, or None."""
    exc = _TRIPPED.get()
    return _limits.over(path, exc.what, exc.field, exc.hint) if exc is not None else None


def raise_if_tripped(path: str) -> None:
    exc = failure(path)
    if exc is not None:
        raise exc
