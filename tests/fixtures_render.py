"""Render a plain-text report (the seed shape) as a web page or a Word document.

Tests use this to check the product requirement that one report gives the
same values and findings as .txt, .html and .docx. The renderer is generic:
it takes the text of any report in the plain-text shape (tab-separated or
Markdown table rows, Markdown headings and bold, plain paragraphs) and lays
it out the way government portals and Word documents do:

* tables with real merged cells: a label cell spans the blank cells to its
  right (colspan / gridSpan) and the blank rows below it (rowspan / vMerge),
  so 三、本年度办理结果 spans the result rows, （三）不予公开 its 8 items, the
  corner cell of table 3 its three header rows;
* blank value cells as ``&nbsp;``; long labels broken with ``<br>`` (HTML)
  or over two paragraphs (Word) between two CJK characters;
* in HTML, the article wrapped in nested layout tables, with a ``<script>``,
  a ``<style>``, a ``<noscript>``, a comment and a hidden element around
  it, none of which is report text.

Merges are made only over blank cells, so reading the rendered file back in
the reference shape gives the seed's rows exactly (padded with "" to the
width of their table).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.cells import is_label
from nianbao.ingest.text import _MD_HEADING, _MD_LINK, _MD_TABLE_SEP, clean_markdown

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018\u2019\u201c\u201d]")
_SECTION = re.compile(r"^[一二三四五六][、.．]")
_ITEM = re.compile(r"^\d{1,2}\s*[.、．]")      # 1. 2. ... items: never merged downwards in real tables


@dataclass
class Line:
    text: str                 # as the text reader gives it (Markdown removed)
    raw: str                  # the stripped source line
    level: int = 0            # Markdown heading level (0: none)


@dataclass
class Table:
    rows: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)

    def grid(self) -> list[list[str]]:
        return [r + [""] * (self.width - len(r)) for r in self.rows]


def parse_plain(text: str) -> list[Line | Table]:
    """Split report text into lines and tables exactly as nianbao's text reader reads it.

    Consecutive rows form one table; blank lines between rows do not end it
    (page breaks in the source), a line of text does.
    """
    items: list[Line | Table] = []
    for raw in text.splitlines():
        cells = None
        stripped = raw.strip()
        if "\t" in raw:
            cells = [clean_markdown(c).strip() for c in raw.split("\t")]
        elif stripped.startswith("|") and stripped.count("|") >= 2:
            if _MD_TABLE_SEP.match(stripped):
                continue
            cells = [clean_markdown(c).strip() for c in stripped.strip("|").split("|")]
        if cells is not None:
            if not items or not isinstance(items[-1], Table):
                items.append(Table())
            items[-1].rows.append(cells)
            continue
        if not stripped:
            continue
        clean = clean_markdown(stripped).strip()
        if not clean:
            continue
        m = _MD_HEADING.match(stripped)
        level = min(6, stripped[: m.end()].count("#")) if m else 0
        items.append(Line(clean, stripped, level))
    return items


def merge_plan(table: Table) -> tuple[dict[tuple[int, int], tuple[int, int]], set[tuple[int, int]]]:
    """Merged cells for a table: {(row, col): (rowspan, colspan)} for every cell drawn, and the covered positions.

    A label cell spans the blank cells to its right, then the rows below
    whose cells under it are all blank (numbered items excepted: they have
    a row each). Values and blanks are single cells.
    """
    grid = table.grid()
    n_rows, width = len(grid), table.width
    covered: set[tuple[int, int]] = set()
    plan: dict[tuple[int, int], tuple[int, int]] = {}
    for r in range(n_rows):
        for c in range(width):
            if (r, c) in covered:
                continue
            rs = cs = 1
            text = grid[r][c]
            if text and is_label(text):
                while c + cs < width and grid[r][c + cs] == "" and (r, c + cs) not in covered:
                    cs += 1
                while not _ITEM.match(text) and r + rs < n_rows and all(grid[r + rs][cc] == "" and (r + rs, cc) not in covered
                                              for cc in range(c, c + cs)):
                    rs += 1
            plan[(r, c)] = (rs, cs)
            for dr in range(rs):
                for dc in range(cs):
                    covered.add((r + dr, c + dc))
    return plan, covered


def split_label(text: str, min_len: int = 16) -> list[str]:
    """A long label broken in two between two CJK characters near its middle (as a narrow cell wraps it)."""
    if len(text) < min_len:
        return [text]
    middle = len(text) // 2
    for offset in range(len(text)):
        for i in (middle + offset, middle - offset):
            if 0 < i < len(text) and _CJK.match(text[i - 1]) and _CJK.match(text[i]):
                return [text[:i], text[i:]]
    return [text]


# ---------------------------------------------------------------------------
# HTML

def _esc(text: str) -> str:
    """Escape text for HTML, keeping runs of spaces (a browser would collapse them)."""
    out = html.escape(text, quote=False)
    return re.sub(r" {2,}", lambda m: " " + "&nbsp;" * (len(m.group()) - 1), out)


def _inline(line: Line) -> str:
    """The line's HTML: Markdown bold as <strong>, links as <a>, when that renders to exactly the reader's text."""
    body = _MD_HEADING.sub("", line.raw)
    if "__" in body:
        return _esc(line.text)
    parts = body.split("**")

    def piece(segment: str) -> tuple[str, str]:
        out_html, out_text, last = [], [], 0
        for m in _MD_LINK.finditer(segment):
            out_html.append(_esc(segment[last:m.start()]))
            out_text.append(segment[last:m.start()])
            url = re.search(r"\]\(([^)]*)\)$", m.group()).group(1)
            out_html.append(f'<a href="{html.escape(url)}" target="_blank">{_esc(m.group(1))}</a>')
            out_text.append(m.group(1))
            last = m.end()
        out_html.append(_esc(segment[last:]))
        out_text.append(segment[last:])
        return "".join(out_html), "".join(out_text)

    rendered, plain = [], []
    for i, segment in enumerate(parts):
        h, t = piece(segment)
        rendered.append(f"<strong>{h}</strong>" if i % 2 and i < len(parts) - 1 else h)
        plain.append(t)
    if "".join(plain).strip() != line.text:
        return _esc(line.text)
    return "".join(rendered).strip()


def _html_table(table: Table, number: int) -> str:
    grid = table.grid()
    plan, _ = merge_plan(table)
    out = [f'<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" id="table{number}">', "<tbody>"]
    for r, row in enumerate(grid):
        out.append('<tr style="height:20px">')
        for c, text in enumerate(row):
            if (r, c) not in plan:
                continue
            rs, cs = plan[(r, c)]
            tag = "th" if r == 0 else "td"
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            if not text:
                out.append(f"<{tag}{attrs}>&nbsp;</{tag}>")
            elif is_label(text):
                inner = "<br>".join(_esc(part) for part in split_label(text))
                out.append(f'<{tag}{attrs} valign="center"><p align="center"><span style="font-size:10.5pt">'
                           f"{inner}</span></p></{tag}>")
            else:
                out.append(f'<{tag}{attrs} align="center">{_esc(text)}</{tag}>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_html(text: str, encoding: str = "utf-8", title: str = "政府信息公开工作年度报告") -> bytes:
    """A government-portal style page for the report text, encoded as `encoding` with a matching declaration."""
    if encoding.lower().replace("-", "") in ("utf8",):
        declaration = f'<meta charset="{encoding}">'
    else:
        declaration = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
    body: list[str] = []
    tables = 0
    for item in parse_plain(text):
        if isinstance(item, Table):
            tables += 1
            body.append(_html_table(item, tables))
        elif item.level:
            body.append(f"<h{item.level}>{_inline(item)}</h{item.level}>")
        elif _SECTION.match(item.text) and len(item.text) <= 40:
            body.append(f'<p style="text-indent:2em"><strong><span>{_inline(item)}</span></strong></p>')
        else:
            body.append(f'<p style="text-indent:2em;line-height:1.8"><span style="font-family:仿宋">'
                        f"{_inline(item)}</span></p>")
    page = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
{declaration}
<meta name="SiteName" content="示例政府门户网站">
<title>{html.escape(title)}</title>
<style type="text/css">
p {{ margin: 0; }} .hidden {{ display: none; }}
</style>
<script type="text/javascript">var siteTitle = "一、总体情况";</script>
</head>
<body>
<!-- 一、总体情况（注释，不是正文） -->
<script>alert(1)</script>
<noscript>请启用浏览器脚本</noscript>
<table width="100%" border="0" cellspacing="0" cellpadding="0" class="layout">
<tr><td align="center">
<table width="960" border="0" cellspacing="0" cellpadding="0">
<tr><td class="article">
<div id="zoom">
<style>.zoom p {{ text-indent: 2em; }}</style>
{chr(10).join(body)}
<div style="display:none">六、其他需要报告的事项（隐藏元素，不是正文）</div>
<script type="text/javascript">document.write("<p>三、收到和处理政府信息公开申请情况</p>");</script>
</div>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""
    return page.encode(encoding, errors="xmlcharrefreplace")


# ---------------------------------------------------------------------------
# Word

def _add_runs(paragraph, line: Line) -> None:
    """The line's text as runs, Markdown-bold segments bold, when that gives exactly the reader's text."""
    body = _MD_LINK.sub(r"\1", _MD_HEADING.sub("", line.raw))
    parts = body.split("**")
    if "__" in body or "".join(parts).strip() != line.text or len(parts) < 3:
        paragraph.add_run(line.text)
        return
    parts[0] = parts[0].lstrip()
    parts[-1] = parts[-1].rstrip()
    for i, part in enumerate(parts):
        if part:
            run = paragraph.add_run(part)
            run.bold = bool(i % 2 and i < len(parts) - 1)


def render_docx(text: str, path: str | Path) -> Path:
    """A Word document for the report text: headings, paragraphs and tables with merged cells."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    for item in parse_plain(text):
        if isinstance(item, Table):
            grid = item.grid()
            plan, _ = merge_plan(item)
            table = document.add_table(rows=len(grid), cols=item.width)
            table.style = "Table Grid"
            for (r, c), (rs, cs) in plan.items():
                cell = table.cell(r, c)
                if rs > 1 or cs > 1:
                    cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
                value = grid[r][c]
                parts = split_label(value) if is_label(value) else [value]
                cell.paragraphs[0].text = parts[0]
                for part in parts[1:]:
                    cell.add_paragraph(part)
            document.add_paragraph()      # Word keeps an empty paragraph after a table
            continue
        if item.level:
            heading = document.add_heading("", level=min(item.level, 4))
            _add_runs(heading, item)
        elif _SECTION.match(item.text) and len(item.text) <= 40:
            paragraph = document.add_paragraph()
            paragraph.add_run(item.text).bold = True
        else:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(24)
            _add_runs(paragraph, item)
            if len(item.text) <= 20 and re.search(r"\d{4}\s*年.*日$|办公室$|人民政府$", item.text):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    path = Path(path)
    document.save(str(path))
    return path
