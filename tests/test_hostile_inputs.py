"""Hostile inputs: each is one clear line (or one parse.unreadable entry) within 1 GiB and 30 s.

Every case runs `nianbao` in a subprocess limited to 1 GiB of address space
(RLIMIT_AS) and 30 seconds, with the default budgets (src/nianbao/limits.py),
and asserts what a user sees: the exit status, the one line on stderr naming
the file and the limit, and that no traceback is shown. The files are built by
tests/hostile.py.
"""
from __future__ import annotations

import functools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hostile
from conftest import REPO

GIB = 1024 ** 3
TIMEOUT = 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def nianbao(*args: str, env: dict | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, bounded in memory and time; the elapsed time is on the result."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_MAX_")}
    environ.update(PYTHONIOENCODING="utf-8", **(env or {}))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", env=environ, cwd=str(REPO),
                          preexec_fn=_limit_memory, timeout=timeout, stdin=subprocess.DEVNULL)
    proc.elapsed = time.monotonic() - start
    return proc


def one_line(proc: subprocess.CompletedProcess, path: Path, *words: str) -> str:
    """The single non-empty stderr line: it names the file and says each of `words`; no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert str(path) in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def refused(path: Path, *words: str, status: int = 2) -> str:
    """`nianbao check FILE`: refused with status 2, one line, and one parse.unreadable entry in the output."""
    proc = nianbao("check", str(path), "--format", "json")
    assert proc.returncode == status, (proc.returncode, proc.stderr[-3000:])
    line = one_line(proc, path, *words)
    data = json.loads(proc.stdout)
    [entry] = data["reports"]
    assert [f["category"] for f in entry["findings"]] == ["parse.unreadable"]
    reason = line.split(f"{path}: ", 1)[1]
    # the finding's message is the pack's template around the same reason (spaces by CJK tidied away)
    assert reason.replace(" ", "") in entry["findings"][0]["message"].replace(" ", "")
    assert proc.elapsed < TIMEOUT
    return line


# ---------------------------------------------------------------------------
# Budgets


def test_zip_bomb_docx_is_refused_naming_the_limit(tmp_path):
    path = hostile.zip_bomb_docx(tmp_path)
    assert path.stat().st_size < 1024 * 1024                 # 300 MB inflated from a few hundred KB
    refused(path, "Word 文件解压后超过 200 MB", "限额", "NIANBAO_MAX_DOCX_INFLATED_BYTES", "压缩炸弹")


def test_docx_part_inflating_a_hundredfold_is_refused(tmp_path):
    path = hostile.zip_bomb_docx(tmp_path, inflated=64 * 1024 * 1024)     # within the 200 MB in total
    refused(path, "word/media/image1.png 压缩比超过 100 倍", "NIANBAO_MAX_ZIP_RATIO", "压缩炸弹")


def test_docx_with_a_huge_xml_part_is_refused(tmp_path):
    path = hostile.xml_bomb_docx(tmp_path)
    refused(path, "word/document.xml", "NIANBAO_MAX_", "压缩炸弹")


def test_docx_grid_span_bomb_is_refused(tmp_path):
    path = hostile.grid_span_docx(tmp_path)
    assert path.stat().st_size < 40_000
    refused(path, "gridSpan=2000000000", "超过 1000", "NIANBAO_MAX_SPAN")


@pytest.mark.parametrize("name, build, most, words", [
    ("colspan.html", hostile.colspan_html, 1000, ("colspan=1000000000", "NIANBAO_MAX_SPAN")),
    # spans each within the budget, whose grid together is far over the cell budget
    ("grid.html", hostile.rowspan_grid_html, 100_000, ("表格单元格", "50,000", "NIANBAO_MAX_TABLE_CELLS")),
    # 300 MB of page content from a few hundred KB
    ("flate.pdf", hostile.flate_bomb_pdf, 1024 * 1024,
     ("数据流解压后超过 128 MB", "NIANBAO_MAX_PDF_STREAM_BYTES", "压缩炸弹")),
    ("pages.pdf", hostile.many_pages_pdf, 4 * 1024 * 1024, ("PDF 页数超过 2,000 页", "NIANBAO_MAX_PAGES")),
    ("ruling.pdf", hostile.ruling_bomb_pdf, 100_000, ("第1页的表格线交点超过 50,000 个", "NIANBAO_MAX_TABLE_CELLS")),
    ("chars.pdf", hostile.chars_bomb_pdf, 20_000, ("第1页绘制的字符超过 50,000 个", "NIANBAO_MAX_PAGE_CHARS")),
])
def test_web_page_and_pdf_bombs_are_refused(tmp_path, name, build, most, words):
    path = tmp_path / name
    path.write_bytes(build())
    assert path.stat().st_size < most
    refused(path, *words)


def test_a_limit_can_be_raised_or_lowered_from_the_environment(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(hostile.sample_text(), encoding="utf-8")
    assert nianbao("check", str(path)).returncode == 1            # the sample's own findings
    proc = nianbao("check", str(path), env={"NIANBAO_MAX_FILE_BYTES": "1K"})
    assert proc.returncode == 2
    one_line(proc, path, "超过 1 KB", "NIANBAO_MAX_FILE_BYTES")
    proc = nianbao("check", str(path), env={"NIANBAO_MAX_FILE_BYTES": "lots"})
    assert proc.returncode == 2
    one_line(proc, Path("NIANBAO_MAX_FILE_BYTES"), "无效")


@pytest.mark.parametrize("fmt, budget, words", [
    ("txt", {"text_lines": 50}, "文本超过 50 行"),
    ("txt", {"text_chars": 1000}, "文本超过 1,000 个字符"),
    ("txt", {"table_cells": 20}, "表格单元格"),
    ("html", {"html_tags": 100}, "网页中的标记（元素）超过 100 个"),
    ("html", {"table_cells": 50}, "表格单元格"),
    ("docx", {"text_chars": 1000}, "文档文字超过 1,000 个字符"),
    ("docx", {"table_cells": 50}, "表格单元格"),
    ("docx", {"docx_xml_bytes": 20_000}, "word/document.xml 解压后超过 19 KB"),
    ("pdf", {"page_chars": 500}, "绘制的字符超过 500 个"),
    ("pdf", {"pdf_stream_bytes": 1000}, "数据流解压后超过 1000 字节"),
    ("pdf", {"pages": 1}, "PDF 页数超过 1 页"),
])
def test_each_budget_refuses_the_sample_when_set_below_it(tmp_path, fmt, budget, words):
    """The sample report, read in process with one budget lowered: refused naming that limit."""
    from fixtures_render import render_html
    from pdf_render import render_pdf

    from nianbao.errors import UnreadableInput
    from nianbao.limits import Limits, env_name
    from nianbao.reading import read_report

    text = hostile.sample_text()
    path = tmp_path / f"sample.{fmt}"
    if fmt == "txt":
        path.write_text(text, encoding="utf-8")
    elif fmt == "html":
        path.write_bytes(render_html(text))
    elif fmt == "docx":
        hostile.sample_docx(path)
    else:
        render_pdf(text, path)
    assert read_report(str(path)).values                        # within the defaults it reads
    [(field, _)] = budget.items()
    with pytest.raises(UnreadableInput) as info:
        read_report(str(path), limits=Limits(**budget))
    assert words in info.value.message and env_name(field) in info.value.message
    assert info.value.path == str(path)


def test_repeated_headings_run_quickly_and_findings_quote_only_an_excerpt(tmp_path):
    path = tmp_path / "headings.txt"
    path.write_bytes(hostile.repeated_headings_text())
    assert 750_000 < path.stat().st_size < 800_000
    proc = nianbao("check", str(path), "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.elapsed < TIMEOUT
    assert len(proc.stdout) < 40_000_000        # was 1.2 GB: every finding carried a whole section
    [report] = json.loads(proc.stdout)["reports"]
    values = [e["value"] for f in report["findings"] for e in f["evidence"] if isinstance(e["value"], str)]
    assert values and max(len(v) for v in values) <= 201
    # a section that runs on is quoted from its start, marked as cut
    assert any(v.endswith("…") and v.startswith("本年度共主动公开政府信息100条。") for v in values)


def test_a_row_of_thousands_of_cells_is_left_undecided_quickly(tmp_path):
    """Aligning 20,000 printed cells to a one-column row once tried every way to drop 19,999 of them."""
    path = tmp_path / "wide.txt"
    path.write_text(hostile.wide_row_text(), encoding="utf-8")
    proc = nianbao("check", str(path), "--format", "json")
    assert proc.returncode == 1 and proc.elapsed < TIMEOUT, proc.stderr[-2000:]
    [report] = _strict(proc.stdout)["reports"]
    [finding] = [f for f in report["findings"] if f["category"] == "structure.extra_cells"]
    assert "行有20000个数值单元格，比模板多19999个" in finding["message"]
    assert finding["message"].count("12") <= 41 and "……共20000个" in finding["message"]
    assert len(proc.stdout) < 200_000


# ---------------------------------------------------------------------------
# Numbers, JSON, terminal


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_huge_numbers_are_invalid_values_and_json_stays_strict(tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text(hostile.huge_numbers_text(), encoding="utf-8")
    proc = nianbao("parse", str(path), "--format", "json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    values = _strict(proc.stdout)["values"]
    assert values["section2.licensing.decisions"] == "9" * 5000            # text, for rules to flag
    assert values["section2.penalty.decisions"] == "7" * 400 + ".5"
    proc = nianbao("check", str(path), "--format", "json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "Infinity" not in proc.stdout and "NaN" not in proc.stdout
    [report] = _strict(proc.stdout)["reports"]
    flagged = {n for f in report["findings"] if f["category"] == "value.invalid" for n in f["fields"]}
    assert {"section2.licensing.decisions", "section2.penalty.decisions"} <= flagged


def test_control_characters_and_ansi_escapes_never_reach_the_terminal(tmp_path):
    path = tmp_path / "ansi.txt"
    path.write_text(hostile.with_agency(hostile.ANSI_AGENCY), encoding="utf-8")
    for args in (["check", str(path)], ["parse", str(path)]):
        proc = nianbao(*args)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        shown = proc.stdout + proc.stderr
        for raw in ("\x1b", "\x07", "\x9b"):
            assert raw not in shown, (args, raw)
        assert "示例县\\x1b[H\\x1b[J人民政府\\x1b]lowned\\x07\\x9bJ" in proc.stdout   # shown, visibly escaped
    proc = nianbao("check", str(path), "--format", "json")
    assert "\x1b" not in proc.stdout and "\x9b" not in proc.stdout
    [report] = _strict(proc.stdout)["reports"]
    assert report["meta"]["agency"] == hostile.ANSI_AGENCY                  # the data itself is kept


def test_a_file_name_with_escape_sequences_is_shown_escaped(tmp_path):
    path = tmp_path / "bad\x1b[2Jname.txt"
    path.write_bytes(b"")
    proc = nianbao("check", str(path))
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "bad\\x1b[2Jname.txt" in proc.stderr
    # a name that is not UTF-8 (bytes as an agency's server wrote them) is shown, not a crash
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/\xb1\xa8\xb8\xe6.txt"))      # 报告 in GBK
    odd.write_text(hostile.sample_text(), encoding="utf-8")
    proc = nianbao("check", str(odd))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "\\xb1\\xa8\\xb8\\xe6.txt" in proc.stdout
    proc = nianbao("check", str(odd), "--format", "json")
    assert proc.returncode == 1
    assert _strict(proc.stdout)["reports"][0]["source"].endswith("\udcb1\udca8\udcb8\udce6.txt")


def test_text_quoting_a_pdf_header_is_read_as_text(tmp_path):
    path = tmp_path / "quotes-pdf.txt"
    path.write_text(hostile.quoting_pdf_magic_text(), encoding="utf-8")
    proc = nianbao("check", str(path), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    [report] = _strict(proc.stdout)["reports"]
    assert report["meta"]["agency"] == "示例县人民政府"
    assert "parse.unreadable" not in {f["category"] for f in report["findings"]}


# ---------------------------------------------------------------------------
# Not a file


def test_fifo_is_refused_at_once(tmp_path):
    path = hostile.make_fifo(tmp_path / "report.txt")
    for args in (["check", str(path)], ["parse", str(path)]):
        proc = nianbao(*args, timeout=10)          # a reader that opened it would block forever
        assert proc.returncode == 2
        one_line(proc, path, "不是普通文件")


@pytest.mark.parametrize("command", ["parse", "letter"])
def test_directory_where_a_file_is_expected(tmp_path, command):
    proc = nianbao(command, str(tmp_path))
    assert proc.returncode == 2
    one_line(proc, tmp_path, "这是一个目录")


# ---------------------------------------------------------------------------
# One error contract


def test_unwritable_output_location_is_one_line_and_status_2(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text(hostile.sample_text(), encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = nianbao("letter", str(report), "--out", str(blocker / "letter.html"))
    assert proc.returncode == 2
    one_line(proc, blocker / "letter.html", "无法写入", "不是目录")
    proc = nianbao("check", str(report), "--out", str(blocker / "out"))
    assert proc.returncode == 2
    one_line(proc, blocker, "无法写入")


def test_long_agency_name_in_a_docx_letter(tmp_path):
    report = tmp_path / "long.txt"
    report.write_text(hostile.with_agency("示例县" + "某某机关" * 400 + "人民政府"), encoding="utf-8")
    out = tmp_path / "letter.docx"
    proc = nianbao("letter", str(report), "--format", "docx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and out.stat().st_size > 0


def test_internal_error_is_status_3_with_a_traceback(monkeypatch, capsys):
    from nianbao import cli

    def broken(args):
        raise KeyError("bug")
    monkeypatch.setattr(cli, "_cmd_rules_list", broken)
    code = cli.main(["rules", "list"])
    err = capsys.readouterr().err
    assert code == 3
    assert "Traceback" in err and "KeyError" in err and "内部错误" in err.splitlines()[-1]


# ---------------------------------------------------------------------------
# A batch: every hostile file is one unreadable entry, the good report is checked


def test_batch_of_hostile_files_finishes_and_checks_the_good_report(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(hostile.sample_text(), encoding="utf-8")
    hostile.grid_span_docx(folder)
    (folder / "colspan.html").write_bytes(hostile.colspan_html())
    (folder / "flate.pdf").write_bytes(hostile.flate_bomb_pdf())
    (folder / "pages.pdf").write_bytes(hostile.many_pages_pdf(3000))
    out = tmp_path / "out"
    proc = nianbao("check", str(folder), "--out", str(out), "--jobs", "1", timeout=120)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    data = _strict((out / "findings.json").read_text(encoding="utf-8"))
    by_name = {Path(r["source"]).name: r for r in data["reports"]}
    assert set(by_name) == {"good.txt", "gridspan.docx", "colspan.html", "flate.pdf", "pages.pdf"}
    assert by_name["good.txt"]["counts"]["error"] >= 1 and by_name["good.txt"]["meta"]["agency"] == "示例县人民政府"
    for name in ("gridspan.docx", "colspan.html", "flate.pdf", "pages.pdf"):
        [finding] = by_name[name]["findings"]
        assert finding["category"] == "parse.unreadable" and "限额" in finding["message"], (name, finding)


# ---------------------------------------------------------------------------
# Fuzzing the text and HTML readers: no exception but the documented ones

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nianbao.engine import check_report  # noqa: E402
from nianbao.errors import NianbaoError  # noqa: E402
from nianbao.ingest.html import read_html  # noqa: E402
from nianbao.ingest.text import read_text  # noqa: E402
from nianbao.outputs.check_text import result_to_text  # noqa: E402
from nianbao.packs import load_pack  # noqa: E402
from nianbao.reading import report_from_document  # noqa: E402
from nianbao.strict_json import dumps  # noqa: E402

_SAMPLE_LINES = hostile.sample_text().splitlines()
_NUMBERS = st.one_of(
    st.integers(min_value=-10 ** 40, max_value=10 ** 40).map(str),
    st.sampled_from(["", "—", "１，８７５", "1,234.5", "7" * 400 + ".5", "9" * 5000, "1e999", "NaN", "-0", ".5", "0x1f"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
_CONTROL = st.sampled_from(["\x00", "\x1b[2J", "\x1b]0;t\x07", "\x9b", "\r", "\x0b", "\x1c", "\u202e", "\ufeff", "\t"])
_FRAGMENT = st.one_of(
    st.sampled_from(_SAMPLE_LINES),
    st.text(max_size=40),
    _CONTROL,
    st.lists(st.one_of(_NUMBERS, st.sampled_from(_SAMPLE_LINES[:60])), min_size=1, max_size=12).map("\t".join),
    st.lists(_NUMBERS, min_size=1, max_size=8).map(lambda cells: "| " + " | ".join(cells) + " |"),
)
_SEPARATOR = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\t", ""])


@st.composite
def _report_text(draw) -> str:
    parts = draw(st.lists(st.tuples(_FRAGMENT, _SEPARATOR), max_size=60))
    return "".join(a + b for a, b in parts)


def _html_node(children):
    cell = st.tuples(st.sampled_from(["td", "th"]), _NUMBERS, _NUMBERS, children).map(
        lambda t: f'<{t[0]} colspan="{t[1]}" rowspan="{t[2]}">{t[3]}</{t[0]}>')
    return st.one_of(
        st.lists(cell, max_size=6).map(lambda cells: "<tr>" + "".join(cells) + "</tr>"),
        st.lists(children, max_size=5).map(lambda rows: "<table>" + "".join(rows) + "</table>"),
        st.tuples(st.sampled_from(["p", "div", "span", "h1", "li", "b", "font", "script", "td", "tr", "br"]),
                  children).map(lambda t: f"<{t[0]}>{t[1]}</{t[0]}>"),
        st.lists(children, max_size=4).map("".join),
        st.sampled_from(["<td>", "</table>", "<tr>", "<!--", "<![CDATA[", "&nbsp;", "&#0;", "&#x1b;", "<p hidden>"]),
    )


_HTML_BODY = st.recursive(st.one_of(_FRAGMENT, _NUMBERS), _html_node, max_leaves=40)
_CHARSETS = st.sampled_from(["", '<meta charset="utf-8">', '<meta charset="gb2312">', '<meta charset="utf-16">',
                             '<meta charset="x-unknown">', '<?xml version="1.0" encoding="big5"?>'])


@functools.lru_cache(maxsize=1)
def _pack():
    return load_pack("gov-2021")


def _read_and_check(read, data: bytes) -> None:
    """Read, map and check: either a result (strict JSON, a terminal-safe text) or a NianbaoError."""
    try:
        doc = read(data)
    except NianbaoError as exc:
        assert str(exc) and "\n" not in exc.message
        return
    result = check_report(report_from_document(doc), _pack())
    dumps(result.to_json())
    shown = result_to_text(result)
    assert "\x1b" not in shown and "\x9b" not in shown


_FUZZ = settings(max_examples=int(os.environ.get("NIANBAO_FUZZ_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@_FUZZ
@given(text=_report_text(), encoding=st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-8-sig"]))
def test_fuzz_text_reader(text, encoding):
    data = text.encode(encoding, errors="replace")
    _read_and_check(lambda d: read_text("fuzz.txt", d), data)


@_FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_text_reader_raw_bytes(data):
    _read_and_check(lambda d: read_text("fuzz.txt", d), data)


@_FUZZ
@given(body=_HTML_BODY, charset=_CHARSETS, encoding=st.sampled_from(["utf-8", "gb18030", "utf-16-le"]))
def test_fuzz_html_reader(body, charset, encoding):
    page = f"<html><head>{charset}</head><body>{body}</body></html>"
    _read_and_check(lambda d: read_html("fuzz.html", d), page.encode(encoding, errors="replace"))
