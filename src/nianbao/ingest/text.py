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
# Whitespace-aligned text (pdftotext -layout, a copy from a PDF viewer): a label, then numbers.
_NUMBER_TOKEN = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_PAGE_NUMBER = re.compile(r"^[-—－–]\s*\d{1,3}\s*[-—－–]$")
# A short label that is only words ("行政许可 97"): safe to read with a single value after one space.
_SHORT_LABEL = re.compile(r"^[\u3400-\u9fff（）()“”]{2,14}$")


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
            doc.blocks.append(Block.row(cells, loc, shape="tab"))
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("|") and stripped.count("|") >= 2:
            if _MD_TABLE_SEP.match(stripped):
                continue
            parts = stripped.strip("|").split("|")
            cells = [Cell(clean_markdown(c).strip(), loc) for c in parts]
            doc.blocks.append(Block.row(cells, loc, shape="markdown"))
            continue
        if _PAGE_NUMBER.match(stripped):
            continue          # page furniture of a converted PDF ("-3-", "— 4 —")
        line = clean_markdown(stripped).strip()
        cells = layout_row(line)
        if cells is not None:
            doc.blocks.append(Block.row([Cell(c, loc) for c in cells], loc, shape="layout"))
        elif line:
            doc.blocks.append(Block.line(line, loc))
    return doc


def layout_row(line: str) -> list[str] | None:
    """Cells of a whitespace-aligned table line (label, then its numbers), or None for running text.

    The numbers are the line's trailing whitespace-separated number tokens. A line is a row when
    the label before them reads as a label (no sentence end, short), and either two or more
    numbers follow, or one number stands apart from the label by a column gap or after a
    short word-only label ("行政许可 97"). A line of numbers alone needs two or more.
    """
    tokens = re.split(r"[ \t\u3000]+", line.strip())
    count = 0
    while count < len(tokens) and _NUMBER_TOKEN.match(tokens[len(tokens) - 1 - count]):
        count += 1
    if count == 0:
        return None
    values = tokens[len(tokens) - count:]
    label = " ".join(tokens[: len(tokens) - count]).strip()
    if not label:
        return values if count >= 2 else None
    compact = re.sub(r"\s+", "", label)
    if "。" in compact or len(compact) > 45 or compact[-1] in "，,：:；;、年月日第共约为至和及与":
        return None
    if count == 1:
        gap = re.search(r"\S(\s{2,}|\u3000)" + re.escape(values[0]) + r"\s*$", line)
        if not gap and not _SHORT_LABEL.match(compact):
            return None
    return [label, *values]
