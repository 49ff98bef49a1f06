"""Plain-text and Markdown reports.

Real files come as UTF-8 or GBK/GB18030, with tab-separated table rows
(copied from Word or a web page), Markdown headings and bold markers, and
links. A line containing a tab, or a Markdown table line, is a table row;
any other non-empty line is running text.
"""
from __future__ import annotations

import re

from .. import limits as _limits
from ..document import Block, Cell, Document
from ..errors import InputError
from ..model import Location

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,500}\)")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, path: str) -> str:
    """Decode report bytes: BOM-marked UTF-8/16, else UTF-8, else GB18030 (a superset of GBK/GB2312)."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "不是文本文件（含有二进制内容），无法读取")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, "文件声明为 UTF-16 编码，但内容无法按此编码解读") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError(path, "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）") from None
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise InputError(path, "不是文本文件（含有大量控制字符），无法读取")
    return text


def clean_markdown(line: str) -> str:
    """Drop Markdown markup that carries no report content."""
    line = _MD_HEADING.sub("", line)
    line = line.replace("**", "").replace("__", "")
    line = _MD_LINK.sub(r"\1", line)
    return line


def read_text(path: str, data: bytes) -> Document:
    text = decode_text(data, path)
    _limits.check_text(path, text)
    _limits.CellBudget(path).take(text.count("\t") + text.count("|"))     # each one opens a table cell
    doc = Document(source=path, format="text")
    for number, raw in enumerate(text.splitlines(), start=1):
        loc = Location(path, line=number)
        if "\t" in raw:
            cells = [Cell(clean_markdown(c).strip(), loc) for c in raw.split("\t")]
            doc.blocks.append(Block.row(cells, loc))
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("|") and stripped.count("|") >= 2:
            if _MD_TABLE_SEP.match(stripped):
                continue
            parts = stripped.strip("|").split("|")
            cells = [Cell(clean_markdown(c).strip(), loc) for c in parts]
            doc.blocks.append(Block.row(cells, loc))
            continue
        line = clean_markdown(stripped).strip()
        if line:
            doc.blocks.append(Block.line(line, loc))
    return doc
