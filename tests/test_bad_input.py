"""Bad input: one clear line naming the file, exit status 2, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import seed_path


def assert_one_line_error(err: str, path, words: str):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    assert words in lines[0]
    assert "Traceback" not in err


def test_missing_file(tmp_path, cli):
    path = tmp_path / "nope.txt"
    code, out, err = cli("parse", path)
    assert code == 2 and out == ""
    assert_one_line_error(err, path, "文件不存在")


def test_empty_file(tmp_path, cli):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    code, _, err = cli("parse", path)
    assert code == 2
    assert_one_line_error(err, path, "文件为空")


def test_binary_file(tmp_path, cli):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 20)
    code, _, err = cli("parse", path)
    assert code == 2
    assert_one_line_error(err, path, "不是文本文件")


def test_unknown_encoding(tmp_path, cli):
    # Bytes that are neither valid UTF-8 nor valid GB18030.
    path = tmp_path / "odd.txt"
    path.write_bytes("报告".encode("utf-8")[:-1] + b"\x80\x80\xff\xff abc" * 50)
    code, _, err = cli("parse", path)
    assert code == 2
    assert_one_line_error(err, path, "无法识别文件编码")


def test_gb18030_report_reads_like_utf8(tmp_path, cli):
    source = seed_path("003")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(source.read_text(encoding="utf-8").encode("gb18030"))
    run_a = cli("parse", source, "--format", "json")
    run_b = cli("parse", gbk, "--format", "json")
    assert run_a.code == run_b.code == 0
    a, b = run_a.json, run_b.json
    assert a["values"] == b["values"] and a["meta"] == b["meta"]
    assert b["values"]["section2.fees.amount"] == 611.1281


def test_directory_is_not_a_report(tmp_path, cli):
    code, _, err = cli("parse", tmp_path)
    assert code == 2
    assert_one_line_error(err, tmp_path, "目录")


def test_unknown_command_is_a_usage_error(cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli("frobnicate")
    assert exc.value.code == 2
    assert "参数错误" in capsys.readouterr().err


def test_full_width_digits_and_thousands_separators(tmp_path, cli, sample):
    text = sample.read_text(encoding="utf-8")
    text = text.replace("行政许可\t1875", "行政许可\t１，８７５").replace("行政处罚\t642", "行政处罚\t—")
    path = tmp_path / "variant.txt"
    path.write_text(text, encoding="utf-8")
    data = cli("parse", path, "--format", "json").json
    assert data["values"]["section2.licensing.decisions"] == 1875
    assert data["values"]["section2.penalty.decisions"] == "—"   # text stays text for rules to flag


def test_console_script_has_no_traceback(tmp_path):
    path = tmp_path / "blob.pdf"
    path.write_bytes(b"")
    exe = Path(sys.executable).parent / "nianbao"
    if not exe.exists():
        pytest.skip("nianbao console script not installed in this environment")
    proc = subprocess.run([str(exe), "parse", str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "文件为空" in proc.stderr
