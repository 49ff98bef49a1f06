"""HTML outputs: the per-report audit page and the batch index page, checked as rendered.

Results come from the real pipeline (read_report + check_report with the
gov-2021 pack) on the bundled sample, mutated copies of it, and the two real
PDF reports when the shared corpus is present. The rendered HTML is parsed
with html.parser and, where headless Chromium is installed, loaded in a real
browser (--dump-dom, --screenshot, --print-to-pdf).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import REAL, REPO, real_path
from nianbao.engine import check_report
from nianbao.findings import SEVERITY_CN, CheckResult
from nianbao.outputs.html_report import CATEGORY_CN, cell_id, render_index_html, render_report_html
from nianbao.packs import CATEGORIES, load_pack
from nianbao.reading import read_report

SAMPLE = REPO / "examples" / "sample-report.txt"
CHECKED_AT = dt.datetime(2025, 5, 6, 14, 30)
REAL_NAMES = ("huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf")
INJECTED = "<script>alert(1)</script>"
INJECTED_CELL = "<img src=x onerror=alert(2)>"


# ---------------------------------------------------------------------------
# A small DOM built with html.parser (stdlib): enough to query the rendered pages.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list["Node | str"] = []

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list["Node"]:
        out = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if cls and cls not in node.classes:
                continue
            if any(node.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append(node)
        return out

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Node | None":
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def by_id(self, ident: str) -> "Node | None":
        return next((n for n in self.iter() if n.id == ident), None)

    def links(self) -> list[str]:
        return [a.attrs.get("href") or "" for a in self.find_all("a")]


class DomBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.stack = [self.root]
        self.mismatched: list[str] = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs), self.stack[-1]))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag == tag:
            self.stack.pop()
            return
        self.mismatched.append(f"</{tag}> closes <{self.stack[-1].tag}>")
        while len(self.stack) > 1 and self.stack[-1].tag != tag:
            self.stack.pop()
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str, strict: bool = True) -> Node:
    builder = DomBuilder()
    builder.feed(html)
    builder.close()
    if strict:
        assert builder.mismatched == [], builder.mismatched[:5]
        assert [n.tag for n in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


# ---------------------------------------------------------------------------
# Results from the real pipeline
@pytest.fixture(scope="module")
def pack():
    return load_pack("gov-2021")


def check_file(path: Path, pack) -> CheckResult:
    return check_report(read_report(str(path)), pack)


def mutated(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"sample report no longer contains {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_result(pack):
    return check_file(SAMPLE, pack)


@pytest.fixture(scope="module")
def sample_page(sample_result, pack):
    return render_report_html(sample_result, pack, CHECKED_AT)


def article_of(dom: Node, number: int) -> Node:
    node = dom.by_id(f"finding-{number}")
    assert node is not None and node.tag == "article", f"finding-{number} missing"
    return node


def table_cells(pack) -> list[str]:
    t = pack.template
    return [n for cells in t.table_cells().values() for n in cells] + [
        f"{r.name}.{c}" for r in t.table3_legacy_rows for c in t.table3_columns]


def assert_cells_and_findings_linked(result: CheckResult, pack, dom: Node) -> int:
    """Every table cell a finding names is highlighted, tipped and linked to it, and it links back."""
    findings = result.sorted_findings()
    drawn = set(table_cells(pack))
    checked = 0
    for number, finding in enumerate(findings, 1):
        article = article_of(dom, number)
        back = set(article.links())
        for name in finding.fields:
            if name not in drawn:
                continue
            td = dom.by_id(cell_id(name))
            if td is None:          # a cell of a table the report does not have at all
                continue
            assert td.tag == "td"
            severities = [f.severity for f in findings if name in f.fields]
            worst = min(severities, key=["error", "warning", "info"].index)
            assert f"cell-{worst}" in td.classes, (name, td.classes)
            assert f"#finding-{number}" in td.links(), (name, td.links())
            assert f"问题{number}" in td.attrs["title"] and finding.heading in td.attrs["title"]
            assert f"#{cell_id(name)}" in back, (number, name)
            checked += 1
    # And nothing else is highlighted.
    named = {n for f in findings for n in f.fields}
    for td in dom.find_all("td"):
        if td.id and td.id.startswith("cell-") and td.classes & {"cell-error", "cell-warning", "cell-info"}:
            assert any(cell_id(n) == td.id for n in named), td.id
    return checked


# ---------------------------------------------------------------------------
# 1. The rendered report page, parsed
def test_category_names_cover_every_fixed_category():
    assert set(CATEGORY_CN) == set(CATEGORIES)
    for key, name in CATEGORY_CN.items():
        assert re.fullmatch(r"[\u4e00-\u9fff]+", name), (key, name)
    assert CATEGORY_CN["arith.balance"] == "勾稽关系"
    assert CATEGORY_CN["structure.missing_section"] == "缺少章节"


def test_sample_page_header_and_counts(sample_result, sample_page):
    dom = parse(sample_page)
    assert dom.find("html").attrs["lang"] == "zh-CN"
    meta = dom.find("table", cls="meta").text()
    for text in ("示例县人民政府", "2024年度", "本级政府", "gov-2021", "sample-report.txt", "2025年4月8日",
                 "2025年5月6日 14:30"):
        assert text in meta, text
    assert "示例县人民政府" in dom.find("h1").text()
    for sev in ("error", "warning", "info"):
        box = dom.by_id(f"count-{sev}")
        assert box.find("span", cls="n").text() == str(sample_result.count(sev))
        assert box.find("span", cls="l").text() == SEVERITY_CN[sev]
    assert dom.by_id("count-unchecked").find("span", cls="n").text() == str(len(sample_result.unchecked))
    # Self-contained: no external resources, no script on the report page.
    assert dom.find_all("script") == [] and dom.find_all("link") == [] and dom.find_all("img") == []
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", sample_page)
    style = dom.find("style").text()
    assert "@page" in style and "size: A4" in style and "@media print" in style


def test_sample_page_lists_every_finding_grouped(sample_result, sample_page):
    dom = parse(sample_page)
    findings = sample_result.sorted_findings()
    assert findings, "the sample report is expected to have findings"
    articles = dom.find_all("article", cls="finding")
    assert [a.attrs["data-rule"] for a in articles] == [f.rule for f in findings]
    for number, finding in enumerate(findings, 1):
        article = article_of(dom, number)
        text = article.text()
        assert finding.title in text and finding.message in text and finding.basis in text
        # The heading states the problem (the rule's headline); the requirement is shown beside it.
        assert finding.headline and article.find_all("h5")[0].text() == finding.headline
        assert f"问题{number}" in text and SEVERITY_CN[finding.severity] in text
        assert finding.severity in article.classes
        for ev in finding.evidence:
            if ev.label:
                assert ev.label in text, ev.label
            if ev.location is not None:
                assert ev.location.describe() in text
    # Grouped by severity, then by category, with Chinese headings.
    headings = [h.text() for h in dom.find_all("h3", cls="sev")]
    expected = [f"{SEVERITY_CN[s]}（{n} 项）" for s, n in Counter(f.severity for f in findings).items()]
    assert headings == expected
    categories = [h.attrs["data-category"] for h in dom.find_all("h4", cls="cat")]
    assert categories == [c for _, c in dict.fromkeys((f.severity, f.category) for f in findings)]
    for h in dom.find_all("h4", cls="cat"):
        assert CATEGORY_CN[h.attrs["data-category"]] in h.text()


def test_sample_page_highlights_and_links_cells(sample_result, pack, sample_page):
    dom = parse(sample_page)
    assert assert_cells_and_findings_linked(sample_result, pack, dom) >= 1
    # The prose-vs-table finding marks table 3's “本年新收” total as a warning.
    number = next(i for i, f in enumerate(sample_result.sorted_findings(), 1) if f.rule == "prose-applications-received")
    td = dom.by_id("cell-section3-new-total")
    assert "cell-warning" in td.classes and f"#finding-{number}" in td.links()
    assert td.find("a", cls="cell-link").text() == "33"
    # Findings on section text point to the section summary row.
    fee = next(i for i, f in enumerate(sample_result.sorted_findings(), 1) if f.rule == "fee-statement")
    assert "#section-6" in article_of(dom, fee).links()
    assert f"#finding-{fee}" in dom.by_id("section-6").links()


def test_sample_page_redraws_the_three_tables(sample_result, pack, sample_page):
    dom = parse(sample_page)
    report = sample_result.report
    t = pack.template
    for name in [n for cells in t.table_cells().values() for n in cells]:
        td = dom.by_id(cell_id(name))
        assert td is not None and td.tag == "td", name
        fact = report.values.get(name)
        shown = (td.find("a", cls="cell-link") or td).children
        value_text = "".join(c for c in shown if isinstance(c, str)).strip()
        if fact is None:
            assert "state-absent" in td.classes and value_text == "—", name
        elif isinstance(fact.value, (int, float)):
            assert value_text == (str(fact.value) if isinstance(fact.value, int)
                                  else f"{fact.value:.4f}".rstrip("0").rstrip(".")), name
    # Row and column labels come from the template, in Chinese.
    t3 = dom.find("table", cls="t3")
    text = t3.text()
    for label in t.table3_column_labels + ["申请人情况", "法人或其他组织", "三、本年度办理结果"]:
        assert label in text, label
    for row in t.table3_rows:
        assert row.label in text, row.label
    assert len(t3.find_all("tbody")[0].find_all("tr")) == len(t.table3_rows)
    t4 = dom.find("table", cls="t4").text()
    assert all(g["label"] in t4 for g in t.table4_groups) and "行政诉讼" in t4
    t2 = dom.find("table", cls="t2").text()
    assert all(r.label in t2 for r in t.table2_rows) and "第二十条第（八）项" in t2
    assert dom.by_id("cell-section2-fees-amount").text().strip() == "326.45"


def test_blank_cells_missing_sections_and_unchecked_rules(tmp_path, pack):
    path = mutated(tmp_path, "blank.txt",
                   ("四、结转下年度继续办理\t\t\t1\t0\t0", "四、结转下年度继续办理\t\t\t1\t0\t"),
                   ("五、存在的主要问题及改进情况\n", ""))
    result = check_file(path, pack)
    assert result.unchecked, "a blank cell leaves the arithmetic rules unchecked"
    dom = parse(render_report_html(result, pack, CHECKED_AT))
    td = dom.by_id("cell-section3-carryover-research")
    assert "state-blank" in td.classes and "cell-error" in td.classes
    assert td.find("span", cls="blank-mark").text() == "空白"
    assert assert_cells_and_findings_linked(result, pack, dom) >= 1
    # Section presence: part five is missing and flagged by the finding that names it.
    rows = dom.find("table", cls="sections").find_all("tr", cls="sec-found")
    assert len(rows) == 5
    five = dom.by_id("section-5")
    assert "sec-missing" in five.classes and "未找到" in five.text()
    number = next(i for i, f in enumerate(result.sorted_findings(), 1) if f.rule == "sections-present")
    assert f"#finding-{number}" in five.links()
    assert "第37行" in dom.by_id("section-3").text()
    # Unchecked rules with their reasons.
    unchecked = dom.by_id("unchecked").text()
    for item in result.unchecked:
        assert item.title in unchecked and item.rule in unchecked
        assert item.reason.removeprefix("无法检查：") in unchecked
    assert dom.by_id("count-unchecked").find("span", cls="n").text() == str(len(result.unchecked))


def test_injected_markup_renders_as_text(tmp_path, pack):
    path = mutated(tmp_path, "injected.txt",
                   ("示例县人民政府\n2024年", f"示例县{INJECTED}人民政府2024年"),
                   ("规章\t0\t0\t0", f"规章\t{INJECTED_CELL}\t0\t0"))
    result = check_file(path, pack)
    assert INJECTED in str(result.report.meta_value("agency"))
    assert any(INJECTED_CELL in f.message for f in result.findings), "the bad cell is quoted in a message"
    page = render_report_html(result, pack, CHECKED_AT)
    dom = parse(page)
    assert dom.find_all("script") == [] and dom.find_all("img") == []
    assert not any(k.startswith("on") for n in dom.iter() for k in n.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"示例县{INJECTED}人民政府" in dom.find("h1").text()
    assert INJECTED in dom.find("title").text()
    assert INJECTED_CELL in dom.by_id("cell-section2-rules-issued").text()
    assert any(INJECTED_CELL in a.find("p", cls="message").text() for a in dom.find_all("article"))

    # The index escapes it too, and refuses links that are not relative file paths.
    entries = [entry_for(result, "injected.html"),
               {**entry_for(result, "javascript:alert(3)"), "letter": "//evil.example/x"}]
    index = render_index_html(entries, CHECKED_AT, title=f"汇总{INJECTED}")
    idom = parse(index)
    scripts = idom.find_all("script")
    assert len(scripts) == 1 and "alert" not in scripts[0].text()
    assert INJECTED in idom.find("h1").text() and INJECTED in idom.find("title").text()
    assert all(not h.startswith(("javascript:", "//")) for h in idom.links())
    assert "injected.html" in idom.links()


def test_unreadable_report_page(tmp_path, pack):
    path = tmp_path / "notice.txt"
    path.write_text("这是一份会议通知，与政府信息公开年报无关。\n", encoding="utf-8")
    result = check_file(path, pack)
    dom = parse(render_report_html(result, pack, CHECKED_AT))
    assert [a.attrs["data-category"] for a in dom.find_all("article")] == ["parse.unreadable"]
    assert dom.find_all("table", cls="stat") == []
    assert dom.find("table", cls="meta").text().count("未识别") >= 2
    assert len(dom.find("table", cls="sections").find_all("tr", cls="sec-missing")) == 6


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_pdf_pages_parsed(name, pack):
    result = check_file(real_path(name), pack)
    dom = parse(render_report_html(result, pack, CHECKED_AT))
    assert "洪泽区人民政府" in dom.find("h1").text()
    assert [a.attrs["data-rule"] for a in dom.find_all("article")] == [f.rule for f in result.sorted_findings()]
    assert assert_cells_and_findings_linked(result, pack, dom) >= 7
    # The 2019-style “其他处理” row is drawn in table 3 and flagged as outdated (an error).
    legacy = dom.by_id("cell-section3-results-other_legacy-total")
    assert legacy is not None and "cell-error" in legacy.classes
    assert "gov-2019" in dom.find("tr", data_row="section3.results.other_legacy").text()
    # Where the report gives a page, the page shows it.
    assert "第4页" in dom.by_id("section-4").text()


# ---------------------------------------------------------------------------
# The index page, parsed
def entry_for(result: CheckResult, page: str | None) -> dict:
    return {"source": result.source, "page": page, "error": None, "meta": result.meta_json(), "pack": result.pack,
            "counts": {s: result.count(s) for s in ("error", "warning", "info")},
            "categories": dict(Counter(f.category for f in result.findings)), "letter": None}


FAILED = {"source": "/data/报告/加密 #1.pdf", "page": None, "error": "文件已加密，无法读取其中的文字",
          "meta": {}, "pack": "gov-2021", "counts": {"error": 1, "warning": 0, "info": 0},
          "categories": {"parse.unreadable": 1}, "letter": None}


@pytest.fixture(scope="module")
def batch(pack):
    """Results for the sample and whichever real reports are present, plus one failed file."""
    results = [check_file(SAMPLE, pack)]
    results += [check_file(REAL / n, pack) for n in REAL_NAMES if (REAL / n).exists()]
    entries = [entry_for(r, f"reports/{i:02d} {Path(r.source).stem}.html") for i, r in enumerate(results, 1)]
    entries[0]["letter"] = "letters/01 意见函.docx"
    return results, entries + [dict(FAILED)]


def test_index_page(batch):
    results, entries = batch
    page = render_index_html(entries, dt.datetime(2025, 5, 7, 9, 5))
    dom = parse(page)
    assert dom.find("h1").text() == "年报审核汇总" and "2025年5月7日 09:05" in page
    rows = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs]
    assert len(rows) == len(entries)
    for row, entry in zip(rows, entries):
        assert row.attrs["data-error"] == str(entry["counts"]["error"])
        assert set(row.attrs["data-categories"].split()) == set(entry["categories"])
        if entry["page"]:
            assert quote(entry["page"]) in row.links()
    assert "letters/01%20%E6%84%8F%E8%A7%81%E5%87%BD.docx" in rows[0].links()
    # Failed files: in the table with their reason, and listed again below.
    failed = rows[-1]
    assert "failed" in failed.classes and FAILED["error"] in failed.text()
    assert FAILED["error"] in dom.by_id("failed").text() and FAILED["source"] in dom.by_id("failed").text()
    assert dom.by_id("sum-failed").find("span", cls="n").text() == "1"
    # Filters: agency box, category and severity selects with Chinese options.
    assert dom.by_id("f-agency").tag == "input"
    options = {o.attrs["value"]: o.text() for o in dom.by_id("f-category").find_all("option")}
    totals = Counter()
    for e in entries:
        totals.update(e["categories"])
    assert set(options) == {""} | set(totals)
    for cat, n in totals.items():
        assert options[cat] == f"{CATEGORY_CN[cat]}（{n} 项）"
    assert {o.attrs["value"] for o in dom.by_id("f-severity").find_all("option")} >= {"", "error", "warning", "info", "failed"}
    # Sortable headers.
    keys = [th.attrs.get("data-key") for th in dom.by_id("reports").find("thead").find_all("th")]
    assert {"agency", "year", "template", "error", "warning", "info"} <= set(keys)
    # Server-side SVG chart: one bar per category, longest first, labelled in Chinese.
    bars = dom.find("svg").find_all("g", cls="bar-row")
    assert {b.attrs["data-category"] for b in bars} == set(totals)
    counts = [totals[b.attrs["data-category"]] for b in bars]
    assert counts == sorted(counts, reverse=True)
    widths = [float(b.find("rect").attrs["width"]) for b in bars]
    assert widths == sorted(widths, reverse=True)
    for b in bars:
        assert f"{CATEGORY_CN[b.attrs['data-category']]}：{totals[b.attrs['data-category']]} 项" in b.find("title").text()
    assert len(dom.find_all("script")) == 1 and not re.search(r"(?:src|href)=\"(?:https?:)?//", page)


def test_index_page_without_findings():
    entry = {"source": "a.pdf", "page": "a.html", "error": None,
             "meta": {"agency": "某市人民政府", "year": 2024, "date": "2025-01-20", "level": "government",
                      "template": "gov-2021"},
             "pack": "gov-2021", "counts": {"error": 0, "warning": 0, "info": 0}, "categories": {}, "letter": None}
    dom = parse(render_index_html([entry], CHECKED_AT, title="某市2024年度年报审核汇总"))
    assert dom.find("svg") is None and "本批报告未发现问题" in dom.by_id("chart").text()
    assert "无。全部文件均已读取" in dom.by_id("failed").text()
    assert "本级政府" in dom.by_id("reports").text()


# ---------------------------------------------------------------------------
# 2. In a real browser: headless Chromium from the distribution's packages
CHROMIUM = os.environ.get("NIANBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM, reason="headless Chromium not installed (Debian: apt-get install chromium); browser checks skipped")


def chromium(*args: str, url: str, timeout: float = 60) -> str:
    with tempfile.TemporaryDirectory(prefix="nianbao-chromium-") as profile:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}", *args, url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def file_url(path: Path, query: str = "") -> str:
    return path.resolve().as_uri() + query


@pytest.fixture(scope="module")
def site(tmp_path_factory, batch, pack):
    """The batch written out as the batch runner would: index.html and one page per report."""
    results, entries = batch
    root = tmp_path_factory.mktemp("site")
    (root / "reports").mkdir()
    for result, entry in zip(results, entries):
        (root / entry["page"]).write_text(render_report_html(result, pack, CHECKED_AT), encoding="utf-8")
    (root / "index.html").write_text(render_index_html(entries, CHECKED_AT), encoding="utf-8")
    return root, results, entries


def page_for(site, name: str) -> tuple[Path, CheckResult]:
    root, results, entries = site
    for result, entry in zip(results, entries):
        if Path(result.source).name == name:
            return root / entry["page"], result
    pytest.skip(f"real report {name} not found in {REAL} (set NIANBAO_CORPUS to the shared corpus folder)")


@needs_chromium
def test_browser_2023_page_shows_findings_and_highlighted_cells(site, pack):
    path, result = page_for(site, "huaian-hongze-2023.pdf")
    dom = parse(chromium("--dump-dom", url=file_url(path)), strict=False)
    numbers = {a.attrs["data-rule"]: int(a.id.split("-")[1]) for a in dom.find_all("article")}
    assert set(numbers) == {f.rule for f in result.findings}
    review = dom.by_id(f"finding-{numbers['table4-review-total']}")
    assert "表四行政复议“总计”为0" in review.text() and "error" in review.classes
    td = dom.by_id("cell-section4-review-total")
    assert "cell-error" in td.classes and f"#finding-{numbers['table4-review-total']}" in td.links()
    assert "#cell-section4-review-total" in review.links()
    after = dom.by_id("cell-section4-litigation_after_review-upheld")
    assert "cell-error" in after.classes and after.find("a", cls="cell-link").text() == "5"


@needs_chromium
def test_browser_screenshot_and_print(site, tmp_path):
    from PIL import Image

    path, result = page_for(site, "huaian-hongze-2023.pdf")
    png = tmp_path / "page.png"
    chromium(f"--screenshot={png}", "--window-size=1000,2200", url=file_url(path))
    with Image.open(png) as image:
        assert image.size == (1000, 2200)
        data = image.convert("RGB").resize((250, 550)).tobytes()
        pixels = zip(data[0::3], data[1::3], data[2::3])
        # The error heading bar and badges are drawn in the page's dark red.
        assert sum(1 for r, g, b in pixels if r > 140 and g < 60 and b < 60) > 50
    pdf = tmp_path / "page.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url=file_url(path))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) >= 3
        for page in doc.pages:
            assert abs(page.width - 595.3) < 2 and abs(page.height - 841.9) < 2     # A4 portrait
            right = max([r["x1"] for r in page.rects] + [c["x1"] for c in page.chars] + [0])
            assert right <= page.width - 30, "something runs into the right margin (a cut-off table?)"


@needs_chromium
def test_browser_index_script_sorts_and_filters(site):
    root, results, entries = site
    index = root / "index.html"
    dom = parse(chromium("--dump-dom", url=file_url(index)), strict=False)
    table = dom.by_id("reports")
    assert table.attrs.get("data-ready") == "1", "the index script did not finish"
    rows = [r for r in table.find_all("tr") if "data-index" in r.attrs]
    assert len(rows) == len(entries) and not any("hidden" in r.attrs for r in rows)
    assert table.attrs["data-shown"] == str(len(entries))
    assert dom.by_id("f-shown").text() == f"显示 {len(entries)} 份，共 {len(entries)} 份"

    # A shared link with filter and sort: reports with errors, most errors first.
    query = "?" + "&".join(["severity=error", "sort=error", "order=desc"])
    dom = parse(chromium("--dump-dom", url=file_url(index, query)), strict=False)
    table = dom.by_id("reports")
    rows = [r for r in table.find_all("tr") if "data-index" in r.attrs]
    assert len(rows) == len(entries)
    errors = [int(r.attrs["data-error"]) for r in rows]
    assert errors == sorted(errors, reverse=True)
    shown = [r for r in rows if "hidden" not in r.attrs]
    assert len(shown) == sum(1 for e in entries if e["counts"]["error"]) == int(table.attrs["data-shown"])
    th = next(t for t in table.find("thead").find_all("th") if t.attrs.get("data-key") == "error")
    assert th.attrs["aria-sort"] == "descending"

    # Filtering by agency (Chinese text in the address) and by category.
    dom = parse(chromium("--dump-dom", url=file_url(index, "?agency=" + quote("示例县") + "&category=narrative.mismatch")),
                strict=False)
    shown = [r for r in dom.by_id("reports").find_all("tr") if "data-index" in r.attrs and "hidden" not in r.attrs]
    assert [r.attrs["data-agency"] for r in shown] == ["示例县人民政府"]
