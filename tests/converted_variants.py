"""Converted shapes of a real report, generated from its own text (test fixtures).

A supervisor receives the same report as a converter printed it: whitespace-aligned
columns (`pdftotext -layout`), a copy from a PDF viewer (one line per table row, cells
separated by single spaces), or Markdown with one table per row under a generic
header and table 4 as three small tables. Each function writes one of these shapes
from the born-digital original and returns the path.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from nianbao.cells import parse_number
from nianbao.document import Block
from nianbao.ingest import read_document

GENERIC_T3_HEADER = "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |"
T4_GROUP_HEADINGS = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
T4_HEADER = "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |"


def pdftotext_layout(pdf: Path, out: Path) -> Path:
    """What `pdftotext -layout` prints; skips the caller when poppler-utils is missing."""
    import pytest
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext（poppler-utils）未安装，无法生成 -layout 文本变体")
    subprocess.run([exe, "-layout", "-enc", "UTF-8", str(pdf), str(out)], check=True, timeout=60)
    return out


def _split(block: Block) -> tuple[str, list[str]]:
    """(label, value texts) of a table row as the PDF reader saw it."""
    cells = [c.text.replace("\n", "") for c in block.cells if not c.spanned]
    values: list[str] = []
    while cells and isinstance(parse_number(cells[-1]), (int, float)):
        values.insert(0, cells.pop())
    label = "".join(c for c in cells if c.strip())
    return label, values


def viewer_copy(pdf: Path, out: Path) -> Path:
    """Select-all and copy in a PDF viewer: the page text in reading order, single spaces, a table's
    numbers on their own line where the label beside them runs over two lines."""
    import pdfplumber
    with pdfplumber.open(str(pdf)) as doc:
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def copy_paste(pdf: Path, out: Path) -> Path:
    """A copy from a PDF viewer: each table row on one line, its cells separated by single spaces."""
    lines = []
    for block in read_document(str(pdf)).blocks:
        if block.kind == "line":
            lines.append(block.text)
        else:
            label, values = _split(block)
            lines.append(" ".join(x for x in [label, *values] if x.strip()))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def per_row_markdown(pdf: Path, out: Path) -> Path:
    """A converter's Markdown: every table-3 row its own table under a generic header, table 4 as
    three 5-column tables under their own headings, other rows as one-row tables."""
    lines = []
    for block in read_document(str(pdf)).blocks:
        if block.kind == "line":
            lines.append(block.text)
            continue
        label, values = _split(block)
        if not label and len(values) == 15:
            for i, heading in enumerate(T4_GROUP_HEADINGS):
                lines += [f"### {heading}", T4_HEADER, "|---|---|---|---|---|",
                          "| " + " | ".join(values[i * 5:(i + 1) * 5]) + " |", ""]
        elif label and len(values) == 7:
            lines += [f"### {label}", GENERIC_T3_HEADER, "|---|---|---|---|---|---|---|---|",
                      "| " + " | ".join([label, *values]) + " |", ""]
        else:
            cells = [c.text.replace("\n", "") for c in block.cells if not c.spanned]
            lines += ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


_SOURCE_AND_TIME = re.compile(r'<span class="article_source">.*?</span>\s*<span class="article_time[^"]*">.*?</span>',
                              re.S)


def page_with_metadata_box(page: Path, out: Path, published: str) -> Path:
    """The web page as another site prints it: a metadata box (名称/索引号/发布机构/公开日期)
    instead of the 来源/时间 line, and every table cell's text inside a <p>."""
    html = page.read_text(encoding="utf-8")
    box = ('<table class="xxgk_box"><tr><td>索引号：</td><td>FJ00101-0200-2025-00012</td>'
           '<td>主题分类：</td><td>政务公开</td></tr>'
           '<tr><td>发布机构：</td><td>平潭综合实验区管委会办公室</td>'
           f'<td>公开日期：</td><td>{published}</td></tr></table>')
    html, count = _SOURCE_AND_TIME.subn(box, html)
    assert count == 1, "the page no longer has its 来源/时间 line"
    html = re.sub(r"(<td[^>]*>)(.*?)(</td>)", lambda m: f"{m.group(1)}<p>{m.group(2)}</p>{m.group(3)}"
                  if "<p" not in m.group(2) else m.group(0), html, flags=re.S)
    out.write_text(html, encoding="utf-8")
    return out
