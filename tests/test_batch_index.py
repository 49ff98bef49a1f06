"""The batch index at scale: one page of rows laid out at a time, sorting and filtering over all of them."""
from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from index_open import entries as generated_entries            # noqa: E402  (the benchmark's generator)
from nianbao.outputs.index_page import PAGE_SIZE, render_index_html  # noqa: E402
from test_html_report import chromium, file_url, needs_chromium, parse  # noqa: E402

INJECTED = '<img src=x onerror="alert(1)">'


def _page(tmp_path, n: int) -> tuple[Path, list[dict]]:
    entries = generated_entries(n)
    entries[-1]["meta"]["agency"] = f"最后一局{INJECTED}"
    path = tmp_path / "index.html"
    path.write_text(render_index_html(entries, dt.datetime(2025, 5, 7, 9, 5)), encoding="utf-8")
    return path, entries


def test_large_index_keeps_only_the_first_page_in_the_table(tmp_path):
    path, entries = _page(tmp_path, 2 * PAGE_SIZE + 50)
    dom = parse(path.read_text(encoding="utf-8"))
    rows = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs]
    assert [int(r.attrs["data-index"]) for r in rows] == list(range(1, PAGE_SIZE + 1))
    assert len(dom.find_all("script")) == 1 and INJECTED not in path.read_text(encoding="utf-8")
    assert "全部报告见 findings.xlsx" in dom.find("noscript").text()


@needs_chromium
def test_browser_pages_sorts_and_filters_all_rows(tmp_path):
    path, entries = _page(tmp_path, 2 * PAGE_SIZE + 50)
    dom = parse(chromium("--dump-dom", url=file_url(path)), strict=False)
    table = dom.by_id("reports")
    shown = [r for r in table.find_all("tr") if "data-index" in r.attrs and "hidden" not in r.attrs]
    assert len(shown) == PAGE_SIZE and table.attrs["data-shown"] == str(len(entries))
    assert "第 1 / 3 页" in dom.by_id("p-where").text()
    # The last page, built from the rows kept aside; report text stays text.
    dom = parse(chromium("--dump-dom", url=file_url(path, "?page=3")), strict=False)
    shown = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs and "hidden" not in r.attrs]
    assert [int(r.attrs["data-index"]) for r in shown] == list(range(2 * PAGE_SIZE + 1, 2 * PAGE_SIZE + 51))
    assert shown[-1].attrs["data-agency"] == f"最后一局{INJECTED}" and not dom.find_all("img")
    # Filtering and sorting run over every report, not only the first page.
    failed = [i for i, e in enumerate(entries, 1) if e["error"]]
    dom = parse(chromium("--dump-dom", url=file_url(path, "?severity=failed")), strict=False)
    shown = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs and "hidden" not in r.attrs]
    assert sorted(int(r.attrs["data-index"]) for r in shown) == failed and any(i > PAGE_SIZE for i in failed)
    dom = parse(chromium("--dump-dom", url=file_url(path, "?sort=error&order=desc")), strict=False)
    shown = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs and "hidden" not in r.attrs]
    top = sorted((e["counts"]["error"] for e in entries), reverse=True)[:PAGE_SIZE]
    assert [int(r.attrs["data-error"]) for r in shown] == top
    assert re.search(r"\d", dom.by_id("reports").attrs["data-ready-ms"])
