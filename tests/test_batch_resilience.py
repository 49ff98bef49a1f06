"""A batch survives its workers and its inputs: killed and overrunning workers, signals, memory limits,
a second run into the same folder, stale outputs, inputs it cannot check, duplicates, scanned PDFs."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from nianbao.batch import WORKER_DIED, worker_timeout
from nianbao.batch.folder import OutputFolder
from nianbao.cli import main

SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"
EXE = Path(sys.executable).parent / "nianbao"


def slow_pdf(path: Path, copies: int = 30) -> Path:
    """A long born-digital PDF (the sample's text many times over): several seconds to read."""
    sys.path.insert(0, str(Path(__file__).parent))
    from pdf_render import render_pdf
    return render_pdf(SAMPLE.read_text(encoding="utf-8") * copies, path)


def reports_of(out: Path) -> dict[str, dict]:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {Path(r["source"]).name: r for r in data["reports"]}


def only_finding(report: dict) -> str:
    """The one parse.unreadable finding's message (the pack's wording sets digits without spaces)."""
    assert [f["category"] for f in report["findings"]] == ["parse.unreadable"], report["findings"]
    return report["findings"][0]["message"]


def same_words(needle: str, text: str) -> bool:
    return needle.replace(" ", "") in text.replace(" ", "")


def children(pid: int) -> set[int]:
    """Every descendant of `pid` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.add(kid)
                    todo.append(kid)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def copies(folder: Path, n: int, source: Path = SAMPLE) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        shutil.copy(source, folder / f"r{i:02d}.txt")


# ---------------------------------------------------------------------------
# Workers that die or overrun
def test_worker_killed_mid_batch_costs_that_report_only(tmp_path):
    folder = tmp_path / "in"
    copies(folder, 6)
    slow_pdf(folder / "0-long.pdf")                  # first in input order: the one worker takes it first
    out = tmp_path / "out"
    proc = subprocess.Popen([str(EXE), "check", str(folder), "--out", str(out), "--jobs", "1", "--no-pairing"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    deadline = time.monotonic() + 30
    while victim is None and time.monotonic() < deadline:
        kids = [k for k in children(proc.pid) if alive(k)]
        if kids:
            time.sleep(0.8)                           # well inside the long PDF
            victim = max(kids)
        else:
            time.sleep(0.05)
    assert victim is not None, "no worker process appeared"
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    reports = reports_of(out)
    assert len(reports) == 7
    assert WORKER_DIED in only_finding(reports["0-long.pdf"])
    for i in range(6):                               # a fresh worker checked every other report
        assert {f["rule"] for f in reports[f"r{i:02d}.txt"]["findings"]} >= {"fee-statement", "date-deadline"}
    assert "已检查 7 份报告（无法读取 1 份）" in stdout
    assert not (out / ".incomplete").exists()


def test_worker_over_its_time_is_stopped_and_the_run_goes_on(tmp_path, capsys):
    folder = tmp_path / "in"
    copies(folder, 2)
    slow_pdf(folder / "long.pdf", copies=100)         # about 20 s to read on a quiet machine
    out = tmp_path / "out"
    started = time.monotonic()
    code = main(["check", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "8"])
    assert time.monotonic() - started < 90
    assert code == 1
    reports = reports_of(out)
    assert same_words(worker_timeout(8), only_finding(reports["long.pdf"]))
    assert worker_timeout(8) == "处理超时（限额 8 秒）"
    assert {f["rule"] for f in reports["r00.txt"]["findings"]} >= {"fee-statement"}
    assert "处理超时（限额 8 秒）" in capsys.readouterr().err


def test_worker_memory_limit_applies(tmp_path, capsys):
    """A worker limited to less memory than reading needs fails that file with a reason; the run ends."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        slow_pdf(folder / f"long{i}.pdf", copies=4)
    out = tmp_path / "out"
    # A fresh process (as a user runs it): a worker forked from this test process would inherit
    # memory that earlier tests freed, and could read within the limit without asking for more.
    run = subprocess.run([str(EXE), "check", str(folder), "--out", str(out), "--jobs", "1", "--worker-memory", "40"],
                         capture_output=True, text=True, timeout=300)
    reports = reports_of(out)
    assert run.returncode == 1 and len(reports) == 2 and "Traceback" not in run.stderr
    for report in reports.values():
        message = only_finding(report)
        assert "内存超过限额" in message or WORKER_DIED in message
    # The default limit (1 GiB) leaves a real report room.
    assert main(["check", str(folder), "--out", str(out), "--jobs", "1"]) == 1
    assert all(len(r["findings"]) > 1 for r in reports_of(out).values()), {k: r["findings"][:1] for k, r in reports_of(out).items()}


# ---------------------------------------------------------------------------
# Signals: exit 143 / 130, no orphan workers, no worker tracebacks, folder marked incomplete
@pytest.mark.parametrize("signum, status, group", [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)])
def test_signal_stops_the_run_cleanly(tmp_path, signum, status, group):
    folder = tmp_path / "in"
    copies(folder, 4)
    for i in range(3):
        slow_pdf(folder / f"long{i}.pdf", copies=12)
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").write_text('{"reports": []}', encoding="utf-8")     # an earlier run's summary
    # As from a terminal: Ctrl-C has its default action. (A shell's background job, or a CI runner,
    # may start the tests with SIGINT ignored, and an ignored signal stays ignored in children.)
    proc = subprocess.Popen([str(EXE), "check", str(folder), "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline:
        workers |= {k for k in children(proc.pid) if alive(k)}
        time.sleep(0.05)
    assert len(workers) >= 2, "workers did not start"
    time.sleep(0.5)
    if group:
        os.killpg(proc.pid, signum)                  # Ctrl-C in a terminal reaches the whole group
    else:
        os.kill(proc.pid, signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    time.sleep(0.3)
    assert not [w for w in workers if alive(w)], "worker processes outlived the run"
    assert (out / ".incomplete").exists()
    assert not (out / "findings.json").exists()          # never an old summary beside new pages
    assert "检查结果不完整" in (out / "index.html").read_text(encoding="utf-8")
    assert not list(out.rglob(".*.part*")) and not (out / ".nianbao-work").exists()
    # The next run completes the folder.
    rerun = subprocess.run([str(EXE), "check", str(folder), "--out", str(out), "--jobs", "2", "--no-letters"],
                           capture_output=True, text=True)
    assert rerun.returncode == 1 and not (out / ".incomplete").exists()
    assert len(reports_of(out)) == 7


# ---------------------------------------------------------------------------
# The output folder
def test_second_run_into_the_same_folder_refuses(tmp_path, capsys):
    folder = tmp_path / "in"
    copies(folder, 1)
    out = tmp_path / "out"
    with OutputFolder(out):                          # a run holds the folder
        assert main(["check", str(folder), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "另一次检查正在向该输出目录写入结果" in err and str(out) in err
        assert not (out / "findings.json").exists()
    assert main(["check", str(folder), "--out", str(out)]) == 1      # free again


def test_rerun_removes_the_tools_stale_files_and_keeps_the_users(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "fixed-later.txt")
    shutil.copy(SAMPLE, folder / "removed-later.txt")
    shutil.copy(CLEAN, folder / "clean.txt")
    out = tmp_path / "out"
    assert main(["check", str(folder), "--out", str(out)]) == 1
    assert (out / "letters" / "fixed-later.html").exists() and (out / "reports" / "removed-later.html").exists()
    manifest = json.loads((out / ".nianbao-manifest.json").read_text(encoding="utf-8"))
    assert {"index.html", "findings.json", "reports/clean.html", "letters/fixed-later.html"} <= set(manifest["files"])
    (out / "my-notes.txt").write_text("审核人员自己的笔记", encoding="utf-8")
    (out / "letters" / "my-draft.html").write_text("<p>草稿</p>", encoding="utf-8")
    # The agency fixes its report; another is withdrawn.
    shutil.copy(CLEAN, folder / "fixed-later.txt")
    (folder / "removed-later.txt").unlink()
    assert main(["check", str(folder), "--out", str(out)]) == 0
    assert not (out / "letters" / "fixed-later.html").exists()
    assert not (out / "reports" / "removed-later.html").exists()
    assert (out / "reports" / "fixed-later.html").exists()
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "审核人员自己的笔记"
    assert (out / "letters" / "my-draft.html").exists()
    assert set(reports_of(out)) == {"fixed-later.txt", "clean.txt"}


# ---------------------------------------------------------------------------
# Inputs: everything accounted for
def test_inputs_that_cannot_be_checked_are_listed(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "sample.txt")
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "wps.wps").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "bundle.zip").write_bytes(b"PK\x03\x04")
    (folder / "bundle.rar").write_bytes(b"Rar!")
    (folder / "~$sample.docx").write_bytes(b"\x0bowner")
    (folder / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    os.mkfifo(folder / "pipe.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "nested.txt").write_bytes(SAMPLE.read_bytes())
    out = tmp_path / "out"
    code = main(["check", str(folder), "--out", str(out)])       # a FIFO would hang a reader: it must not
    captured = capsys.readouterr()
    assert code == 1
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert sorted(Path(r["source"]).name for r in data["reports"]) == ["nested.txt", "sample.txt"]
    reasons = {Path(n["source"]).name: n["reason"] for n in data["not_checked"]}
    assert set(reasons) == {"old.doc", "wps.wps", "photo.jpg", "bundle.zip", "bundle.rar", "gone.pdf", "pipe.txt",
                            "~$sample.docx"}
    assert "临时文件" in reasons["~$sample.docx"]
    assert "另存为 .docx 或 PDF" in reasons["old.doc"] and "另存为 .docx 或 PDF" in reasons["wps.wps"]
    assert "图片" in reasons["photo.jpg"] and "解压" in reasons["bundle.zip"] and "解压" in reasons["bundle.rar"]
    assert "链接指向的文件不存在" in reasons["gone.pdf"] and "命名管道" in reasons["pipe.txt"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for name, reason in reasons.items():
        assert name in index and f"未检查：{reason}" in index
    assert "未检查 8 个文件" in captured.out and "未检查：" in captured.out


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder; an unreadable folder needs an ordinary user")
def test_unreadable_subfolder_is_listed(tmp_path, capsys):
    folder = tmp_path / "in"
    copies(folder, 1)
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        main(["check", str(folder), "--out", str(tmp_path / "out")])
    finally:
        locked.chmod(0o755)
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert [n["reason"] for n in data["not_checked"]] == ["无法读取该文件夹（没有读取权限），其中的文件未检查"]


def test_output_folder_inside_the_input_is_not_checked_again(tmp_path, capsys):
    folder = tmp_path / "in"
    copies(folder, 2)
    out = folder / "results"
    assert main(["check", str(folder), "--out", str(out)]) == 1
    assert main(["check", str(folder), "--out", str(out)]) == 1
    assert len(reports_of(out)) == 2
    assert not json.loads((out / "findings.json").read_text(encoding="utf-8"))["not_checked"]


def test_duplicates_are_flagged(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    text = SAMPLE.read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b-copy.txt").write_text(text, encoding="utf-8")
    (folder / "c-resubmitted.txt").write_text(text + "\n", encoding="utf-8")
    os.utime(folder / "a.txt", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "b-copy.txt", (1_700_000_000, 1_700_000_000))
    out = tmp_path / "out"
    main(["check", str(folder), "--out", str(out)])
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(data["reports"]) == 3                 # every file is still checked
    [group] = data["duplicates"]
    assert group["year"] == 2024 and not group["identical"]
    assert [Path(f).name for f in group["files"]] == ["a.txt", "b-copy.txt", "c-resubmitted.txt"]
    assert Path(group["current"]).name == "c-resubmitted.txt"          # the later-modified file
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "同一机关同一年度另有 c-resubmitted.txt，跨年度比对以该文件为准" in index
    assert "以本文件为该年度报告" in index
    # Two identical files only: a duplicate.
    (folder / "c-resubmitted.txt").unlink()
    main(["check", str(folder), "--out", str(out)])
    [group] = json.loads((out / "findings.json").read_text(encoding="utf-8"))["duplicates"]
    assert group["identical"]
    assert "内容完全相同（重复文件）" in (out / "index.html").read_text(encoding="utf-8")


def _image_only_pdf(path: Path, pages: int = 1) -> None:
    from PIL import Image, ImageDraw
    images = []
    for i in range(pages):
        image = Image.new("RGB", (1240, 1754), "white")
        ImageDraw.Draw(image).rectangle((100, 100 + i * 10, 1100, 300), outline="black", width=4)
        images.append(image)
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])


def test_folder_with_a_scanned_pdf_and_a_textless_first_page(tmp_path, capsys):
    """Today's crash: a PDF whose first page has no text stopped the pairing step for the whole batch."""
    qpdf = shutil.which("qpdf")
    folder = tmp_path / "in"
    copies(folder, 1)
    _image_only_pdf(folder / "scanned.pdf", pages=2)
    if qpdf:
        slow = slow_pdf(tmp_path / "text.pdf", copies=1)
        subprocess.run([qpdf, "--empty", "--pages", str(folder / "scanned.pdf"), "1", str(slow), "--",
                        str(folder / "cover-scanned.pdf")], check=True)
    out = tmp_path / "out"
    code = main(["check", str(folder), "--out", str(out), "--jobs", "2"])
    assert code == 1
    reports = reports_of(out)
    assert {"scanned.pdf", "r00.txt"} <= set(reports)
    assert reports["scanned.pdf"]["findings"] and "内部错误" not in json.dumps(reports["scanned.pdf"], ensure_ascii=False)
    if qpdf:
        cover = reports["cover-scanned.pdf"]
        assert "内部错误" not in json.dumps(cover, ensure_ascii=False)
        assert cover["meta"].get("year") == 2024          # read from the pages that have text
    assert {f["rule"] for f in reports["r00.txt"]["findings"]} >= {"fee-statement"}


def test_lock_ends_with_the_run_not_with_its_workers(tmp_path):
    """A run killed with SIGKILL frees its folder at once, even while its workers are still exiting."""
    folder = tmp_path / "in"
    copies(folder, 2)
    slow_pdf(folder / "0-long.pdf", copies=12)
    out = tmp_path / "out"
    proc = subprocess.Popen([str(EXE), "check", str(folder), "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not [k for k in children(proc.pid) if alive(k)] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)                                 # workers past their start-up
    workers = [k for k in children(proc.pid) if alive(k)]
    assert workers
    for w in workers:
        os.kill(w, signal.SIGSTOP)                  # workers that have not exited yet
    try:
        proc.kill()
        proc.wait()
        with OutputFolder(out):                     # free: the lock was the parent's alone
            pass
    finally:
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)
