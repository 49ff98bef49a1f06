"""The report's own source, as a supervisor checks a finding against it.

A PDF page is drawn as a PNG (pdfplumber, through pypdfium2) with the cells of
its findings outlined in red; a text-like report is shown as numbered lines.
The file's bytes come from the store, never from a path a user typed.
"""
from __future__ import annotations

import io
import json

from starlette.exceptions import HTTPException

MAX_PAGES = 500
RESOLUTION = 110


def _row(store, report_id: int) -> dict:
    row = store.report_row(report_id)
    if row is None:
        raise HTTPException(404, f"没有编号为 {report_id} 的报告")
    return row


def _boxes(store, report_id: int, page: int) -> list[tuple[float, float, float, float]]:
    out = []
    states = store.states(report_ids=[report_id])
    for f in (states[0].findings if states else []):
        if f.dismissed:
            continue
        for ev in f.evidence:
            loc = ev.get("location") or {}
            if loc.get("page") == page and loc.get("bbox"):
                out.append(tuple(loc["bbox"]))
    return out


def pdf_page_png(store, report_id: int, page: int) -> bytes:
    import pdfplumber
    row = _row(store, report_id)
    if row["format"] != "pdf":
        raise HTTPException(404, "该报告不是 PDF 文件，没有页面图像")
    data = store.file_data(row["content_hash"])
    if data is None:
        raise HTTPException(404, "数据库中没有保存该报告的原文件")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if not 1 <= page <= min(len(pdf.pages), MAX_PAGES):
            raise HTTPException(404, f"该报告没有第 {page} 页")
        image = pdf.pages[page - 1].to_image(resolution=RESOLUTION)
        for box in _boxes(store, report_id, page):
            image.draw_rect(box, fill=(255, 0, 0, 40), stroke=(220, 0, 0), stroke_width=3)
        buf = io.BytesIO()
        image.annotated.convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def text_lines(store, report_id: int) -> list[str]:
    """The report's text as printed (text/Markdown decoded; web pages and Word files as the parser read them)."""
    row = _row(store, report_id)
    if row["format"] == "text":
        data = store.file_data(row["content_hash"]) or b""
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding).splitlines()
            except UnicodeDecodeError:
                continue
        return data.decode("utf-8", "replace").splitlines()
    report = store.parsed_report(report_id)
    if report is None:
        return []
    lines: dict[int, str] = {}
    for para in list(report.preamble) + [p for n in sorted(report.sections) for p in report.sections[n].paragraphs]:
        for start, loc in para.segments:
            if loc.line is not None:
                lines.setdefault(loc.line, para.text[start:start + 400])
    if not lines:
        return [json.dumps(p.text, ensure_ascii=False)[1:-1] for p in report.preamble]
    top = max(lines)
    return [lines.get(i, "") for i in range(1, min(top, 20000) + 1)]
