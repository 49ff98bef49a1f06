"""HTML reports: web pages saved from government portals, and Word's "save as web page".

Decoding: a byte-order mark wins; then the charset the page declares
(``<meta charset>``, ``http-equiv`` content-type, an XML declaration), with
GB2312/GBK read as GB18030 (their superset); a page that declares something
else but is valid UTF-8 is read as UTF-8 (portals' templates are often
mislabelled), and undeclared pages are tried as UTF-8, then GB18030.

Structure (BeautifulSoup with the standard-library html.parser, which keeps
each element's source line):

* Every block-level element (p, div, h1-h6, li, ...) gives its text as one
  `line` block, in reading order; ``<br>`` in running text starts a new line.
  Inline elements (span, font, strong, a, ...) are part of their block.
  Whitespace collapses as a browser renders it; a source line break between
  two CJK characters is dropped (CSS Text 3 segment-break rule).
* A ``<table>`` of data cells becomes `row` blocks in the plain-text
  reference shape: rowspan/colspan expanded into a grid, a merged cell's
  text in the first (top-left) position it covers and "" in the others,
  every row as wide as the grid. Inside a cell, ``<br>`` and paragraph
  boundaries join without a space next to CJK text. ``&nbsp;`` is blank.
* A table used for page layout (a cell holds another table, headings, lists
  or paragraphs of prose, or the table has a single column) is not data: its
  cells are read as running text and the tables inside them as tables.
* script, style, noscript, template, what the head holds (title, meta,
  link), comments and hidden elements (``hidden``, ``display:none``) are
  ignored.
* Cells and rows left unclosed (``<td>a<td>b``), which html.parser nests
  inside each other, are read side by side, the way a browser shows them.
"""
from __future__ import annotations

import codecs
import re
from typing import Iterable

from .. import limits as _limits
from ..document import Block, Cell, Document
from ..errors import InputError, NianbaoError, UnreadableInput
from ..model import Location

# ---------------------------------------------------------------------------
# Text helpers (shared with the .docx reader)

# Ideographs, kana, CJK punctuation, full-width forms and the quotes/dashes
# Chinese text uses: characters next to which a line break is not a space.
_CJK = (
    "\u2e80-\u2fdf"
    "\u3000-\u303f"
    "\u3040-\u30ff"
    "\u3400-\u4dbf"
    "\u4e00-\u9fff"
    "\uf900-\ufaff"
    "\ufe30-\ufe4f"
    "\uff00-\uffef"
    "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SEGMENT_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\f]*[\r\n][ \t\r\n\f]*(?=[{_CJK}])")
_COLLAPSE = re.compile(r"[ \t\r\n\f]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")     # zero-width marks, soft hyphen


def normalize_inline(raw: str) -> str:
    """Text of one rendered line: whitespace collapsed as a browser does, &nbsp; as a space, trimmed."""
    text = _INVISIBLE.sub("", raw)
    text = _SEGMENT_BREAK.sub("", text)
    text = _COLLAPSE.sub(" ", text)
    return text.replace("\xa0", " ").strip()


def join_fragments(parts: Iterable[str]) -> str:
    """Join the lines of one table cell: no space where either side is CJK, one space otherwise."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
        elif _CJK_CHAR.match(out[-1]) or _CJK_CHAR.match(part[0]):
            out += part
        else:
            out += " " + part
    return out


def is_prose(paragraphs: list[str]) -> bool:
    """Whether a table cell's content is running text (a layout cell), not a label or a value.

    Data cells hold one short label or value, sometimes wrapped over several
    paragraphs; a layout cell holds sentences: two paragraphs of them,
    several paragraphs of some length, or one very long paragraph.
    """
    texts = [p for p in (t.strip() for t in paragraphs) if p]
    total = sum(len(t) for t in texts)
    if total >= 400:
        return True
    sentences = sum(1 for t in texts if "。" in t)
    return sentences >= 2 or (len(texts) >= 2 and total >= 100 and sentences >= 1)


# ---------------------------------------------------------------------------
# Decoding

_GB_NAMES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "csgb2312", "euc-cn",
             "euccn", "chinese", "iso-ir-58", "gb_2312-80", "gb_2312", "csiso58gb231280", "x-euc-cn", "hz-gb-2312"}
_WESTERN = {"iso8859-1", "latin-1", "cp1252", "ascii", "us-ascii", "windows-1252"}
_META_CHARSET = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]{1,40})", re.I)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:\-]{1,40})[\"']", re.I)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 16 KB, as a Python codec name (GB family -> gb18030)."""
    head = data[:16384]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").strip().lower()
    if name in _GB_NAMES or name.startswith(("gb2312", "gbk", "gb18030")):
        return "gb18030"
    if name in ("big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"):
        return "big5hkscs"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    if codec.startswith(("utf-16", "utf-32")):
        return "utf-8"      # a declaration in an ASCII-compatible page cannot be right; HTML says UTF-8
    return codec


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, path: str) -> str:
    """Decode a page's bytes (see the module docstring for the order of evidence)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    probe = data[:4096]
    if b"\x00" in probe:
        # UTF-16 without a byte-order mark: every other byte of the ASCII markup is NUL.
        if probe[1::2].count(0) > len(probe) // 4:
            return data.decode("utf-16-le", errors="replace")
        if probe[0::2].count(0) > len(probe) // 4:
            return data.decode("utf-16-be", errors="replace")
        raise InputError(path, "不是网页文件（含有二进制内容），无法读取")
    declared = declared_charset(data)
    has_non_ascii = any(b > 0x7F for b in data)
    utf8 = _strict(data, "utf-8")
    if declared is not None:
        if declared != "utf-8" and utf8 is not None and has_non_ascii:
            return utf8            # declared otherwise, but the bytes can only be UTF-8
        if declared in _WESTERN and has_non_ascii:
            gb = _strict(data, "gb18030")
            if gb is not None and _CJK_CHAR.search(gb):
                return gb          # a Chinese page under a Western default charset
        text = _strict(data, declared)
        if text is not None:
            return text
    if utf8 is not None:
        return utf8
    gb = _strict(data, "gb18030")
    if gb is not None:
        return gb
    try:
        from bs4.dammit import UnicodeDammit
        guess = UnicodeDammit(data, [declared] if declared else [], is_html=True)
        if guess.unicode_markup is not None:
            return guess.unicode_markup
    except Exception:      # detection is best effort; fall through to a lossy decode
        pass
    return data.decode(declared or "gb18030", errors="replace")


# ---------------------------------------------------------------------------
# Structure

# <head> itself is not skipped: when its end tag is omitted (HTML allows that),
# html.parser nests the whole <body> inside it. What a head holds is skipped.
_SKIP = {"script", "style", "noscript", "template", "title", "meta", "link", "base", "iframe",
         "object", "embed", "svg", "math", "select", "option", "button", "input", "textarea", "canvas",
         "audio", "video", "map", "area", "frameset", "frame", "xml"}
_BLOCK = {"address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir",
          "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
          "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p",
          "pre", "section", "summary", "ul", "caption", "tbody", "thead", "tfoot", "tr", "td", "th",
          "table", "colgroup", "col", "listing", "plaintext", "xmp", "noframes"}
# Elements a data cell never holds: a cell containing one is part of a layout table.
_LAYOUT_CONTENT = {"table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote", "pre",
                   "form", "article", "section", "nav", "header", "footer", "aside", "main", "iframe"}
_CELL = {"td", "th"}
_OWN_STOP = {"td", "th", "tr"}            # a cell's content ends where the next cell or row begins
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
_BR = "\x00"           # marks a <br> inside a text buffer (NUL cannot occur in decoded text we keep)


def _hidden(tag) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return isinstance(style, str) and bool(_DISPLAY_NONE.search(style))


def _walk(root, names: set[str], stop: set[str]):
    """Descendants of root named `names`, in document order, not looking inside elements named `stop`.

    Elements of `names` are looked inside too: html.parser nests a cell whose
    end tag was omitted (``<td>a<td>b``) inside the previous one, and a
    browser shows them side by side, so a nested cell is the next cell.
    Iterative, so a deeply nested page cannot exhaust the stack.
    """
    stack = [iter(root.contents)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        name = getattr(child, "name", None)
        if name is None:
            continue
        if name in names:
            yield child
        elif name in stop:
            continue
        stack.append(iter(child.contents))


def _collect(root, names: set[str], stop: set[str]) -> list:
    return list(_walk(root, names, stop))


def _holds(cell, names: set[str]) -> bool:
    """Whether a cell's own content (not the cells nested in it by omitted end tags) has one of `names`."""
    return next(_walk(cell, names - _OWN_STOP, _OWN_STOP), None) is not None


def _span(value, default: int = 1) -> int:
    text = str(value).strip().rstrip(";").split(".")[0]
    if text.isdigit() and len(text) > 12:
        return 10 ** 12          # over any budget (and int() refuses 4,300+ digits)
    try:
        n = int(text)
    except ValueError:
        return default
    return default if n < 0 else n


class _Reader:
    def __init__(self, path: str):
        from bs4 import NavigableString, Tag
        self._string_type = NavigableString
        self._tag_type = Tag
        self.path = path
        self.doc = Document(source=path, format="html")
        self.buf: list[tuple[str, int | None]] = []
        self.line: int | None = None          # source line of the element last entered
        self.tables = 0
        self.cells = _limits.CellBudget(path)

    # ---- running text ---------------------------------------------------
    def _text(self, text: str) -> None:
        self.buf.append((text, self.line))

    def _flush(self) -> None:
        if not self.buf:
            return
        segments: list[tuple[list[str], int | None]] = [([], self.buf[0][1])]
        for text, line in self.buf:
            if text == _BR:
                segments.append(([], line))
            else:
                segments[-1][0].append(text)
        self.buf = []
        for parts, line in segments:
            text = normalize_inline("".join(parts))
            if text:
                self.doc.blocks.append(Block.line(text, Location(self.path, line=line)))

    def walk(self, root) -> None:
        """Read root's content in document order (iteratively: sloppy pages nest very deep)."""
        stack = [(root, iter(root.contents), False)]
        while stack:
            _, children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    self._flush()
                continue
            if isinstance(child, self._string_type):
                if type(child) is self._string_type:     # comments, CDATA, declarations are subclasses
                    self._text(str(child))
                continue
            if not isinstance(child, self._tag_type):
                continue
            name = child.name
            if name in _SKIP or _hidden(child):
                continue
            if child.sourceline is not None:
                self.line = child.sourceline
            if name == "br":
                self.buf.append((_BR, self.line))
                continue
            if name == "table":
                self._flush()
                if self._table(child):
                    continue
                stack.append((child, iter(child.contents), True))
                continue
            if name in _BLOCK:
                self._flush()
                stack.append((child, iter(child.contents), True))
                continue
            stack.append((child, iter(child.contents), False))
        self._flush()

    # ---- tables ---------------------------------------------------------
    def _cell_text(self, cell) -> tuple[str, list[str]]:
        """A data cell's text (lines joined) and its lines."""
        lines: list[str] = []
        current: list[str] = []
        stack = [(iter(cell.contents), False)]
        while stack:
            children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    lines.append("".join(current))
                    current = []
                continue
            if isinstance(child, self._string_type):
                if type(child) is self._string_type:
                    current.append(str(child))
                continue
            if not isinstance(child, self._tag_type) or child.name in _SKIP or _hidden(child):
                continue
            if child.name in _OWN_STOP:
                continue          # the next cell or row, nested here because an end tag was omitted
            if child.name == "br":
                lines.append("".join(current))
                current = []
                continue
            if child.name in _BLOCK:
                lines.append("".join(current))
                current = []
                stack.append((iter(child.contents), True))
                continue
            stack.append((iter(child.contents), False))
        lines.append("".join(current))
        lines = [t for t in (normalize_inline(x) for x in lines) if t]
        return join_fragments(lines), lines

    def _table(self, table) -> bool:
        """Emit a data table's rows and return True; return False for a layout table (walk it instead)."""
        rows = [tr for tr in _collect(table, {"tr"}, {"table"}) if not _hidden(tr)]
        cells_by_row = [_collect(tr, _CELL, {"table", "tr"}) for tr in rows]
        if not any(cells_by_row):
            return False
        texts: dict[int, str] = {}
        for cells in cells_by_row:
            for cell in cells:
                if _hidden(cell):
                    continue
                if _holds(cell, _LAYOUT_CONTENT):
                    return False
                text, lines = self._cell_text(cell)
                if is_prose(lines):
                    return False
                texts[id(cell)] = text
        grid: dict[tuple[int, int], str] = {}
        covered: set[tuple[int, int]] = set()
        n_rows = len(rows)
        for r, cells in enumerate(cells_by_row):
            c = 0
            for cell in cells:
                if _hidden(cell):
                    continue
                while (r, c) in grid:
                    c += 1
                colspan = max(1, _span(cell.get("colspan"), 1))
                rowspan = _span(cell.get("rowspan"), 1)
                _limits.check_span(self.path, colspan, "colspan")
                _limits.check_span(self.path, rowspan, "rowspan")
                rowspan = n_rows - r if rowspan == 0 else min(max(rowspan, 1), n_rows - r)
                self.cells.take(rowspan * colspan)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        if (r + dr, c + dc) not in grid:
                            grid[(r + dr, c + dc)] = ""
                            covered.add((r + dr, c + dc))
                grid[(r, c)] = texts[id(cell)]
                covered.discard((r, c))
                c += colspan
        if not grid:
            return False
        width = max(c for _, c in grid) + 1
        if width < 2:
            return False
        self.cells.take(max(0, n_rows * width - len(grid)))      # rows are padded to the grid's width
        caption = table.find("caption", recursive=False)
        if caption is not None:
            text, _ = self._cell_text(caption)
            if text:
                self.doc.blocks.append(Block.line(text, Location(self.path, line=caption.sourceline)))
        index = self.tables
        self.tables += 1
        for r, tr in enumerate(rows):
            if not any((r, c) in grid for c in range(width)):
                continue
            loc = Location(self.path, line=tr.sourceline, label=f"表格{index + 1}第{r + 1}行")
            cells = [Cell(grid.get((r, c), ""), loc, (r, c) in covered) for c in range(width)]
            self.doc.blocks.append(Block.row(cells, loc, table=index))
        return True


_PROPERTY_META = {"pubdate": "pub_date", "articletitle": "article_title", "sitename": "site_name",
                  "columnname": "column_name", "contentsource": "content_source", "author": "author",
                  "generator": "generator"}


def _properties(soup) -> dict[str, str]:
    props: dict[str, str] = {}
    title = soup.find("title")
    if title is not None and title.get_text(strip=True):
        props["title"] = normalize_inline(title.get_text())
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name in _PROPERTY_META and isinstance(content, str) and content.strip():
            props.setdefault(_PROPERTY_META[name], normalize_inline(content))
    return props


def read_html(path: str, data: bytes) -> Document:
    """Read an HTML report into a Document of text lines and table rows, in reading order."""
    path = str(path)
    text = decode_html(data, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\x00", "")
    _limits.check_text(path, text, lines=False)
    tags = _limits.current().html_tags
    if text.count("<") > tags:
        raise _limits.over(path, f"网页中的标记（元素）超过 {tags:,} 个", "html_tags", "可能是恶意构造的文件")
    try:
        from bs4 import BeautifulSoup
        soup = BeautifulSoup(text, "html.parser")
        reader = _Reader(path)
        reader.walk(soup)
        reader.doc.properties = _properties(soup)
    except NianbaoError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except RecursionError:
        raise UnreadableInput(path, "网页结构嵌套过深，无法解析") from None
    except Exception as exc:  # html.parser and bs4 may raise on pathological markup; never a traceback
        raise UnreadableInput(path, f"无法解析网页内容（{type(exc).__name__}）") from None
    return reader.doc
