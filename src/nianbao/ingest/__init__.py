"""Read a report file into a format-neutral Document.

The format is decided by the file's content (magic bytes), not its name:
reports are often mislabelled (a web page saved as .pdf, GBK text as .doc).
"""
from __future__ import annotations

import os
import stat

from .. import limits as _limits
from ..document import Document
from ..errors import InputError, NianbaoError, UnreadableInput

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<table", b"<div", b"<p>", b"<p ")


def sniff_format(path: str, head: bytes) -> str:
    """Name the format of a file from its first bytes: pdf, docx, image (PNG, JPEG), html or text.

    A PDF starts with its header (after a byte-order mark or white space at most): a text
    report that quotes "%PDF-" in its body is still a text report.
    """
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\f\x00")[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return "image"                     # a scanned or photographed page: read by OCR
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(path, "这是旧版 Office 二进制文件（.doc 等）或加密的 Office 文档，"
                               "请另存为未加密的 .docx 或 PDF 后再检查")
    probe = head[:4096].lower()
    probe = probe.replace(b"\x00", b"")  # UTF-16 pages
    if any(marker in probe for marker in _HTML_MARKERS):
        return "html"
    return "text"


def read_document(path: str, limits: "_limits.Limits | None" = None) -> Document:
    """Read any supported report file within `limits` (default: the environment's, see limits.py).

    Raises InputError / UnreadableInput with a one-line message; an input over a budget is an
    UnreadableInput naming the limit.
    """
    path = str(path)
    with _limits.using(limits):
        try:
            return _read(path)
        except NianbaoError:
            raise
        except (MemoryError, RecursionError):
            # The budgets keep real and hostile files well below this; a file that still
            # exhausts memory is refused, not allowed to take the process down.
            raise UnreadableInput(path, "读取该文件所需内存超出可用范围，文件结构异常庞大，无法读取") from None


def check_regular_file(path: str) -> os.stat_result:
    """The file's status, after refusing what is not a readable regular file (without opening it)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "文件不存在") from None
    except OSError as exc:
        raise InputError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "这是一个目录，不是报告文件")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO, socket or device would block or never end: refused before any open().
        raise InputError(path, "不是普通文件（可能是管道、设备或套接字），无法作为报告读取")
    return st


def _read(path: str) -> Document:
    size = check_regular_file(path).st_size
    if size == 0:
        raise InputError(path, "文件为空（0 字节）")
    budget = _limits.current().file_bytes
    if size > budget:
        raise _limits.over(path, f"文件大小 {_limits.size_cn(size)} 超过 {_limits.size_cn(budget)}", "file_bytes")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise InputError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    fmt = sniff_format(path, head)
    if path.lower().endswith(".docx") and fmt != "docx":
        raise InputError(path, "扩展名为 .docx，但文件不是有效的 Word 文档（不是 ZIP 格式），可能已损坏")
    if fmt == "pdf":
        from .pdf import read_pdf
        return read_pdf(path)
    if fmt == "docx":
        import zipfile          # only a file that looks like a zip (DOCX) needs it
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if "word/document.xml" in names:
                    from .zip_guard import check_zip
                    check_zip(path, zf)
        except NianbaoError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
            raise UnreadableInput(path, "文件已损坏或不完整（ZIP 结构无法读取），无法打开") from None
        if "word/document.xml" not in names:
            raise InputError(path, "这是一个 ZIP 压缩文件，但不是 Word .docx 文档")
        from .docx import read_docx
        return read_docx(path)
    if fmt == "image":
        from .scan import read_image
        return read_image(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(budget + 1)
    except OSError as exc:
        raise InputError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if fmt == "html":
        from .html import read_html
        return read_html(path, data)
    from .text import read_text
    return read_text(path, data)
