"""Read a report file into a format-neutral Document.

The format is decided by the file's content (magic bytes), not its name:
reports are often mislabelled (a web page saved as .pdf, GBK text as .doc).
"""
from __future__ import annotations

import os
import zipfile

from ..document import Document
from ..errors import InputError, UnreadableInput

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<table", b"<div", b"<p>", b"<p ")


def sniff_format(path: str, head: bytes) -> str:
    """Name the format of a file from its first bytes: pdf, docx, image (PNG, JPEG), html or text."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"%PDF-" or head[:1024].find(b"%PDF-") != -1:
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


def read_document(path: str) -> Document:
    """Read any supported report file. Raises InputError / UnreadableInput with a one-line message."""
    path = str(path)
    if not os.path.exists(path):
        raise InputError(path, "文件不存在")
    if os.path.isdir(path):
        raise InputError(path, "这是一个目录，不是报告文件")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise InputError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if size == 0:
        raise InputError(path, "文件为空（0 字节）")
    fmt = sniff_format(path, head)
    if path.lower().endswith(".docx") and fmt != "docx":
        raise InputError(path, "扩展名为 .docx，但文件不是有效的 Word 文档（不是 ZIP 格式），可能已损坏")
    if fmt == "pdf":
        from .pdf import read_pdf
        return read_pdf(path)
    if fmt == "docx":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            raise UnreadableInput(path, "文件已损坏或不完整（ZIP 结构无法读取），无法打开") from None
        if "word/document.xml" not in names:
            raise InputError(path, "这是一个 ZIP 压缩文件，但不是 Word .docx 文档")
        from .docx import read_docx
        return read_docx(path)
    if fmt == "image":
        from .scan import read_image
        return read_image(path)
    with open(path, "rb") as fh:
        data = fh.read()
    if fmt == "html":
        from .html import read_html
        return read_html(path, data)
    from .text import read_text
    return read_text(path, data)

