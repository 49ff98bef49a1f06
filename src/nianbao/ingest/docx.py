"""Word .docx reports, through python-docx.

The document body is read in order from its XML (paragraphs and tables
interleaved as printed; content controls opened):

* Every non-empty paragraph is a `line` block located as "第N段" (N counts
  the non-empty paragraphs); a manual line break inside a paragraph starts
  a new line, a tab reads as a space. Deleted revisions, field codes,
  hidden text and the VML duplicates of text boxes are left out.
* A table of data cells becomes `row` blocks in the plain-text reference
  shape, located as "表格N第M行": horizontal merges (gridSpan, legacy
  hMerge) and vertical merges (vMerge) put the merged cell's text in its
  first (top-left) position and "" in the others; grid positions skipped
  by a row (gridBefore/gridAfter) are ""; every row is as wide as the
  widest. The paragraphs of one cell are joined (no space next to CJK).
* A table used for layout (a cell holds another table or paragraphs of
  prose, or the table has a single column) is read as running text, the
  tables inside it as tables.

A file python-docx cannot open, or whose XML is damaged, raises
UnreadableInput with a one-line Chinese message, never a traceback.
"""
from __future__ import annotations

import zipfile

from .. import limits as _limits
from ..document import Block, Cell, Document
from ..errors import NianbaoError, UnreadableInput
from ..model import Location
from .html import is_prose, join_fragments

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


P, TBL, TR, TC, SDT, SDT_CONTENT, CUSTOM_XML = (_q(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
R, T, TAB, PTAB, BR, CR = (_q(t) for t in ("r", "t", "tab", "ptab", "br", "cr"))
NB_HYPHEN, RPR, PPR, VANISH, TXBX = (_q(t) for t in ("noBreakHyphen", "rPr", "pPr", "vanish", "txbxContent"))
TC_PR, TR_PR, GRID_SPAN, V_MERGE, H_MERGE = (_q(t) for t in ("tcPr", "trPr", "gridSpan", "vMerge", "hMerge"))
GRID_BEFORE, GRID_AFTER, VAL = _q("gridBefore"), _q("gridAfter"), _q("val")
# Subtrees whose text Word does not show in the flow of the paragraph.
_SKIP = {_q(t) for t in ("del", "moveFrom", "pPr", "rPr", "instrText", "delText", "delInstrText",
                         "footnoteReference", "endnoteReference", "commentReference", "annotationRef")}
_SKIP.add(f"{{{_MC}}}Fallback")
_FALSE = {"0", "false", "off", "none"}


def _int_val(el, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(VAL, default)))
    except (TypeError, ValueError):
        return default


def _block_children(container):
    """Paragraphs and tables of a body/cell/text box in order, with content controls and custom XML opened."""
    for child in container:
        tag = child.tag
        if tag in (P, TBL):
            yield child
        elif tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from _block_children(content)
        elif tag == CUSTOM_XML:
            yield from _block_children(child)


def _hidden_run(run) -> bool:
    rpr = run.find(RPR)
    if rpr is None:
        return False
    vanish = rpr.find(VANISH)
    return vanish is not None and str(vanish.get(VAL, "true")).lower() not in _FALSE


def _paragraph_text(p, boxes: list) -> str:
    """A paragraph's shown text; manual breaks as "\\n", tabs as "\\t". Text boxes are collected into boxes."""
    out: list[str] = []
    stack = [iter(p)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == T:
            out.append(el.text or "")
        elif tag in (TAB, PTAB):
            out.append("\t")
        elif tag in (BR, CR):
            out.append("\n")
        elif tag == NB_HYPHEN:
            out.append("-")
        elif tag == TXBX:
            boxes.append(el)
        elif tag == R and _hidden_run(el):
            continue
        else:
            stack.append(iter(el))
    return "".join(out)


def _cell_lines(tc) -> tuple[list[str], bool]:
    """A table cell's text lines, and whether it holds a nested table."""
    lines: list[str] = []
    nested = False
    for child in _block_children(tc):
        if child.tag == TBL:
            nested = True
            continue
        boxes: list = []
        lines.extend(_paragraph_text(child, boxes).replace("\t", " ").split("\n"))
        for box in boxes:
            box_lines, _ = _cell_lines(box)
            lines.extend(box_lines)
    return [line.strip() for line in lines if line.strip()], nested


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.doc = Document(source=path, format="docx")
        self.paragraphs = 0
        self.tables = 0
        self.cells = _limits.CellBudget(path)
        self.chars = 0
        self.max_chars = _limits.current().text_chars

    def container(self, element) -> None:
        for child in _block_children(element):
            if child.tag == P:
                self.paragraph(child)
            elif not self.table(child):
                # A layout table: its cells are running text, the tables in them tables.
                for tr in child.iter(TR):
                    if _nearest_table(tr) is not child:
                        continue
                    for tc in _row_cells(tr):
                        if not _is_continue(tc):
                            self.container(tc)

    def paragraph(self, p) -> None:
        boxes: list = []
        text = _paragraph_text(p, boxes)
        lines = [line.replace("\t", " ").strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            self._count(sum(len(line) for line in lines))
            self.paragraphs += 1
            loc = Location(self.path, label=f"第{self.paragraphs}段")
            for line in lines:
                self.doc.blocks.append(Block.line(line, loc))
        for box in boxes:
            self.container(box)

    def _count(self, chars: int) -> None:
        self.chars += chars
        if self.chars > self.max_chars:
            raise _limits.over(self.path, f"文档文字超过 {self.max_chars:,} 个字符", "text_chars")

    def _span(self, el, default: int, kind: str) -> int:
        span = _int_val(el, default)
        _limits.check_span(self.path, span, kind)
        self.cells.take(span)
        return span

    def table(self, tbl) -> bool:
        """Emit a data table's rows and return True; False for a layout table."""
        rows = [tr for tr in tbl.iter(TR) if _nearest_table(tr) is tbl]
        grid: list[list[tuple[str, bool]]] = []     # (text, spanned) per grid column
        for tr in rows:
            trpr = tr.find(TR_PR)
            before = self._span(trpr.find(GRID_BEFORE) if trpr is not None else None, 0, "gridBefore")
            cells: list[tuple[str, bool]] = [("", False)] * before
            for tc in _row_cells(tr):
                lines, nested = _cell_lines(tc)
                if nested or is_prose(lines):
                    return False
                self._count(sum(len(line) for line in lines))
                tcpr = tc.find(TC_PR)
                span = max(1, self._span(tcpr.find(GRID_SPAN) if tcpr is not None else None, 1, "gridSpan"))
                continued = _is_continue(tc)
                cells.append(("", True) if continued else (join_fragments(lines), False))
                cells.extend([("", True)] * (span - 1))
            cells.extend([("", False)] * self._span(trpr.find(GRID_AFTER) if trpr is not None else None, 0, "gridAfter"))
            grid.append(cells)
        width = max((len(r) for r in grid), default=0)
        if width < 2:
            return False
        self.cells.take(sum(width - len(r) for r in grid))     # short rows are padded to the width
        index = self.tables
        self.tables += 1
        for m, cells in enumerate(grid, start=1):
            loc = Location(self.path, label=f"表格{index + 1}第{m}行")
            cells = cells + [("", False)] * (width - len(cells))
            self.doc.blocks.append(Block.row([Cell(text, loc, spanned) for text, spanned in cells], loc, table=index))
        return True


def _nearest_table(el):
    parent = el.getparent()
    while parent is not None and parent.tag != TBL:
        parent = parent.getparent()
    return parent


def _row_cells(tr):
    """The cells of a row in order (content controls and custom XML around cells opened)."""
    for child in tr:
        if child.tag == TC:
            yield child
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from _row_cells(content)
        elif child.tag == CUSTOM_XML:
            yield from _row_cells(child)


def _is_continue(tc) -> bool:
    """A cell that continues a merge begun above (vMerge) or to its left (legacy hMerge)."""
    tcpr = tc.find(TC_PR)
    if tcpr is None:
        return False
    for tag in (V_MERGE, H_MERGE):
        merge = tcpr.find(tag)
        if merge is not None and merge.get(VAL, "continue") != "restart":
            return True
    return False


def _failure(path: str, exc: Exception) -> UnreadableInput:
    name = type(exc).__name__
    if isinstance(exc, zipfile.BadZipFile) or name == "BadZipFile":
        return UnreadableInput(path, "Word 文档已损坏（压缩包结构不完整，可能在下载或复制时被截断），无法读取")
    if name == "PackageNotFoundError":
        return UnreadableInput(path, "不是有效的 Word .docx 文档（缺少文档包结构），无法读取")
    if name == "XMLSyntaxError":
        return UnreadableInput(path, "Word 文档内容已损坏（XML 格式错误），无法读取")
    if isinstance(exc, KeyError):
        return UnreadableInput(path, "Word 文档缺少必要的组成部分，可能已损坏，无法读取")
    if isinstance(exc, ValueError) and "content type" in str(exc):
        return UnreadableInput(path, "文件不是 Word 文档（.docx），可能是其他 Office 格式，无法读取")
    if isinstance(exc, (zipfile.LargeZipFile, NotImplementedError)):
        return UnreadableInput(path, "Word 文档使用了不支持的压缩方式，无法读取")
    return UnreadableInput(path, f"无法读取该 Word 文档，文件可能已损坏（{name}）")


def read_docx(path: str) -> Document:
    """Read a .docx report into a Document of text lines and table rows, in reading order."""
    path = str(path)
    try:
        import docx
        word = docx.Document(path)
        reader = _Reader(path)
        reader.container(word.element.body)
        reader.doc.properties = _properties(word)
    except NianbaoError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # python-docx, zipfile and lxml raise many kinds; none may leak out
        raise _failure(path, exc) from None
    return reader.doc


def _properties(word) -> dict[str, str]:
    props: dict[str, str] = {}
    try:
        core = word.core_properties
    except Exception:
        return props
    for key in ("title", "author", "last_modified_by"):
        value = getattr(core, key, None)
        if isinstance(value, str) and value.strip():
            props[key] = value.strip()
    for key, name in (("created", "creation_date"), ("modified", "mod_date")):
        value = getattr(core, key, None)
        if value is not None:
            try:
                props[name] = value.isoformat()
            except Exception:
                pass
    return props
