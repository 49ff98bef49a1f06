"""The store's command-line verbs as a supervisor uses them: what is printed, files written, exit codes."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

# First: skips the module, with the reason, where the store extra is not installed.
from store_fixtures import db_url, pg_server  # noqa: F401
from conftest import REPO, real_path
from nianbao.cli import main

CLEAN = (REPO / "tests" / "fixtures" / "clean-report.txt").read_text(encoding="utf-8")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:          # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "in"
    path.mkdir()
    for name in ("huaian-hongze-2023.pdf", "fujian-pingtan-2023.html", "fujian-pingtan-2024.html"):
        shutil.copy(real_path(name), path / name)
    return path


def test_check_findings_review_recheck_runs_export(db_url, folder, tmp_path, capsys):
    code, out, err = run(capsys, "check", str(folder), "--db", db_url, "--by", "张三")
    assert code == 1 and "运行 #1：已检查并存入审核库 3 份报告（无法读取 0 份）" in out
    assert "审核结论：" in out and "[3/3]" in err

    code, out, _ = run(capsys, "findings", "--db", db_url, "--agency", "淮安市洪泽区人民政府", "--format", "json")
    found = json.loads(out)["findings"]
    assert code == 0 and found and {f["agency"] for f in found} == {"洪泽区人民政府"}
    assert all(f["status"] == "open" and len(f["fingerprint"]) == 20 for f in found)
    target = next(f for f in found if f["rule"] == "table4-review-total")

    code, out, _ = run(capsys, "review", target["fingerprint"], "--status", "误报", "--reason", "原件无误",
                       "--by", "李四", "--db", db_url)
    assert code == 0 and f"{target['fingerprint']}：已标记为“误报”（范围：本报告）" in out

    code, out, _ = run(capsys, "findings", "--db", db_url, "--status", "false_positive")
    assert code == 0 and target["fingerprint"] in out and "[误报]（原件无误，李四）" in out and "共 1 项" in out

    code, out, _ = run(capsys, "findings", "--db", db_url, "--year", "2024", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["指纹", "复核状态", "复核理由"] and len(rows) > 1
    assert {r[4] for r in rows[1:]} == {"2024"}

    code, out, _ = run(capsys, "recheck", "--db", db_url, "--by", "王五")
    assert code == 0 and "运行 #2：已重新检查审核库中的 3 份报告（其中 0 份因解析程序更新而重新读取原文件）" in out
    assert "新增 0 项，数值变化 0 项" in out and "已消除 0 项" in out

    code, out, _ = run(capsys, "runs", "--db", db_url)
    assert code == 0 and "#1  检查" in out and "#2  重新检查" in out and "王五" in out and "报告 3 份" in out

    code, out, _ = run(capsys, "runs", "diff", "1", "2", "--db", db_url)
    assert code == 0 and "运行 #1 → #2" in out and "新增 0 项" in out

    code, out, _ = run(capsys, "export", "--db", db_url, "--out", str(tmp_path / "out"))
    assert code == 0 and "已从审核库导出 3 份报告" in out
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    statuses = {f["fingerprint"]: f["status"] for r in data["reports"] for f in r["findings"]}
    assert statuses[target["fingerprint"]] == "false_positive"
    assert {r["verdict"] for r in data["reports"]} <= {"退回修改", "待复核", "通过（有提示）", "通过"}
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "审核结论" in index
    with open(tmp_path / "out" / "findings.csv", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert next(r for r in table if r["指纹"] == target["fingerprint"])["复核状态"] == "误报"
    from openpyxl import load_workbook
    book = load_workbook(tmp_path / "out" / "findings.xlsx")
    sheet = book["问题清单"]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["指纹", "复核状态", "复核理由"]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[-3] == target["fingerprint"])
    assert row[-2:] == ("误报", "原件无误")
    summary = book["报告汇总"]
    column = [c.value for c in summary[1]].index("审核结论")
    assert {r[column] for r in summary.iter_rows(min_row=2, values_only=True)} == {r["verdict"] for r in data["reports"]}


def test_letter_disappears_when_every_finding_is_dismissed(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    report = tmp_path / "示例县.txt"
    report.write_text(CLEAN.replace("行政处罚\t642", "行政处罚\t六百四十二"), encoding="utf-8")
    run(capsys, "check", str(report), "--db", db)
    run(capsys, "export", "--db", db, "--out", str(tmp_path / "out"))
    letters = list((tmp_path / "out" / "letters").glob("*.html"))
    assert len(letters) == 1
    _, out, _ = run(capsys, "findings", "--db", db, "--format", "json")
    prints = [f["fingerprint"] for f in json.loads(out)["findings"] if f["severity"] in ("error", "warning")]
    code, _, _ = run(capsys, "review", *prints, "--status", "waived", "--reason", '=HYPERLINK("http://x","已说明")',
                     "--by", "李四", "--db", db)
    assert code == 0
    run(capsys, "export", "--db", db, "--out", str(tmp_path / "out"))
    assert list((tmp_path / "out" / "letters").glob("*.html")) == []      # the old letter is gone too
    from openpyxl import load_workbook
    sheet = load_workbook(tmp_path / "out" / "findings.xlsx")["问题清单"]
    reasons = [row[-1] for row in sheet.iter_rows(min_row=2)]
    assert reasons and all(c.data_type == "s" and c.value.startswith("=HYPERLINK") for c in reasons)


def test_roster_commands(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    roster = tmp_path / "名单.csv"
    roster.write_text("机关名称,层级,地区\n平潭综合实验区,政府,福建省\n淮安市洪泽区人民政府,政府,淮安市\n",
                      encoding="utf-8")
    code, out, _ = run(capsys, "roster", "import", str(roster), "--db", db)
    assert code == 0 and "已导入名单：2 个机关" in out
    run(capsys, "check", str(real_path("fujian-pingtan-2024.html")), "--db", db)
    code, out, _ = run(capsys, "roster", "missing", "--db", db)
    assert code == 0 and "2024年度名单内未报送 1 家" in out and "未报送  淮安市洪泽区人民政府（淮安市）" in out
    code, _, err = run(capsys, "roster", "import", str(tmp_path / "none.csv"), "--db", db)
    assert code == 2 and err.startswith("nianbao: ") and "名单文件无法读取" in err and "\n" == err[-1]
    assert err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["findings"], "未指定审核库"),
    (["findings", "--db", "/no/such/dir/c.db"], "数据库文件所在的目录不存在"),
    (["findings", "--db", "mysql://x/y"], "不支持的数据库地址"),
    (["review", "abc", "--status", "confirmed", "--by", "李四", "--db", "{db}"], "没有指纹为 abc 的问题"),
    (["review", "abc", "--status", "waived", "--by", "李四", "--db", "{db}"], "必须填写理由"),
    (["runs", "diff", "1", "7", "--db", "{db}"], "审核库中没有这次运行"),
    (["review", "abc", "--status", "maybe", "--by", "x", "--db", "{db}"], "复核状态应为"),
    (["roster", "missing", "--db", "{db}"], "还没有名单"),
])
def test_errors_are_one_line_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NIANBAO_DB", raising=False)
    db = str(tmp_path / "c.db")
    code, out, err = run(capsys, *[a.replace("{db}", db) for a in argv])
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_unreachable_server_is_one_line_without_the_password(capsys):
    code, _, err = run(capsys, "findings", "--db", "postgresql://auditor:s3cret@127.0.0.1:1/campaign")
    assert code == 2 and err.startswith("nianbao: postgresql://auditor:***@127.0.0.1:1/campaign: 无法打开数据库：")
    assert "s3cret" not in err and err.count("\n") == 1


def test_not_a_database_file(tmp_path, capsys):
    bad = tmp_path / "x.db"
    bad.write_text("这不是数据库", encoding="utf-8")
    code, _, err = run(capsys, "findings", "--db", str(bad))
    assert code == 2 and err == f"nianbao: {bad}: 无法打开数据库：文件不是 SQLite 数据库\n"


def test_nianbao_db_environment_and_module_entry(tmp_path):
    env = {"NIANBAO_DB": str(tmp_path / "env.db"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "check",
                           str(real_path("fujian-pingtan-2023.html"))], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "已检查并存入审核库 1 份报告" in proc.stdout     # no error finding
    assert "审核结论：通过（有提示） 1 份" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "runs"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("#1  检查")
    help_text = subprocess.run([sys.executable, "-m", "nianbao.cli", "review", "--help"], capture_output=True,
                               text=True, env=env).stdout
    assert "复核人" in help_text and "误报" in help_text


def test_resubmissions_command(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    v1, v2 = tmp_path / "v1.txt", tmp_path / "v2.txt"
    v1.write_text(CLEAN.replace("行政处罚\t642", "行政处罚\t六百四十二"), encoding="utf-8")
    v2.write_text(CLEAN, encoding="utf-8")
    run(capsys, "check", str(v1), "--db", db)
    code, out, _ = run(capsys, "resubmissions", "--db", db)
    assert code == 0 and out == "审核库中没有重新报送的报告\n"
    run(capsys, "check", str(v2), "--db", db)
    code, out, _ = run(capsys, "resubmissions", "--db", db)
    assert code == 0 and "示例县人民政府 2024年度：第1版（v1.txt）→ 第2版（v2.txt）：已整改 1 项，仍存在 0 项，新出现 0 项" in out
    assert "已整改" in out and "counts-are-whole-numbers" in out
