"""Command-line verbs of the audit-campaign store.

`add_commands(subparsers)` adds: findings, review, recheck, runs (+ runs diff),
resubmissions, roster import / roster missing, export. `store_check(...)` is what
`nianbao check FILES --db DB` calls. Every verb takes `--db DB` (a SQLite file
path or a postgresql:// URL; `NIANBAO_DB` when not given).
Exit status: 0 done; 1 error-severity findings (store_check); 2 usage error,
unreadable input or database problem (one line on stderr).
`python -m nianbao.cli_store` runs these verbs (plus `check --db`) on their own.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import sys
from typing import Any, TextIO

from . import strict_json
from .errors import NianbaoError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
STATUS_ALIASES = {"待复核": "open", "已确认": "confirmed", "误报": "false_positive", "豁免": "waived"}


def _open(db: str | None):
    try:
        from .store import Store, default_db
    except ImportError as exc:
        raise NianbaoError("--db", f"审核库功能需要安装可选组件：pip install 'nianbao[store]'（缺少 {exc.name}）") from None
    db = db or default_db()
    if not db:
        raise NianbaoError("--db", "未指定审核库（使用 --db 数据库文件或 postgresql:// 地址，或设置环境变量 NIANBAO_DB）")
    return Store(db)


def default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "未知用户"


# ---------------------------------------------------------------------------
def store_check(inputs: list[str], pack: str | None, db: str | None, user: str | None = None,
                out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`nianbao check FILES_OR_DIRS --db DB`: read, check and store every report; print a summary."""
    from .store import check_into_store

    out, err = out or sys.stdout, err or sys.stderr

    def progress(done: int, total: int, entry) -> None:
        if entry.error:
            status = f"无法读取：{entry.error}"
        else:
            r = entry.result
            status = f"错误 {r.count('error')}，警告 {r.count('warning')}，提示 {r.count('info')}"
        err.write(f"[{done}/{total}] {entry.source}：{status}\n")

    with _open(db) as store:
        summary = check_into_store(store, inputs, pack, user or default_user(), progress)
        states = {s.report["id"]: s for s in store.states(run_id=summary.run_id)}
    for source, first in summary.duplicates:
        err.write(f"nianbao: {source}：与 {first} 内容完全相同，只检查一次\n")
    unreadable = sum(1 for e in summary.entries if e.error)
    errors = sum(e.result.count("error") for e in summary.entries)
    verdicts: dict[str, int] = {}
    for state in states.values():
        verdicts[state.verdict] = verdicts.get(state.verdict, 0) + 1
    out.write(f"运行 #{summary.run_id}：已检查并存入审核库 {len(summary.entries)} 份报告（无法读取 {unreadable} 份），"
              f"共发现错误 {errors} 项。\n")
    if verdicts:
        out.write("审核结论：" + "，".join(f"{v} {n} 份" for v, n in sorted(verdicts.items())) + "\n")
    if summary.entries and unreadable == len(summary.entries) == 1 and summary.entries[0].report_id is None:
        return EXIT_USAGE
    return EXIT_FINDINGS if errors else EXIT_OK


# ---------------------------------------------------------------------------
def _status(value: str) -> str:
    value = STATUS_ALIASES.get(value, value)
    from .store import STATUS_CN
    if value not in STATUS_CN:
        raise argparse.ArgumentTypeError(f"复核状态应为 {'、'.join(STATUS_CN)}（或 {'、'.join(STATUS_ALIASES)}）")
    return value


def _cmd_findings(args: argparse.Namespace) -> int:
    from .findings import SEVERITY_CN
    from .pairing import agency_key

    with _open(args.db) as store:
        states = [s for s in store.states() if args.all_versions or not s.superseded]
    wanted_key = agency_key(args.agency) if args.agency else None
    rows = []
    for state in states:
        row = state.report
        if args.agency and not (row["agency_key"] == wanted_key or args.agency in (row["agency"] or "")):
            continue
        if args.year is not None and row["year"] != args.year:
            continue
        for f in state.findings:
            if (args.rule and f.rule != args.rule) or (args.status and f.status != args.status):
                continue
            rows.append((state, f))
    if args.format == "json":
        data = [{"report_id": s.report["id"], "source": s.report["source_name"], "agency": s.report["agency"],
                 "year": s.report["year"], "version": s.report["version"], "verdict": s.verdict, **f.to_json()}
                for s, f in rows]
        strict_json.dump({"findings": data}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["指纹", "复核状态", "复核理由", "报告机关", "年度", "版本", "文件", "规则", "类别", "级别",
                         "检查项", "问题说明", "审核结论"])
        for s, f in rows:
            writer.writerow([f.fingerprint, f.status, f.review.reason if f.review else "", s.report["agency"] or "",
                             s.report["year"] or "", s.report["version"], s.report["source_name"], f.rule, f.category,
                             f.severity, f.title, f.message, s.verdict])
    else:
        from .store import STATUS_CN
        for s, f in rows:
            who = f"{s.report['agency'] or s.report['source_name']} {s.report['year'] or ''}".strip()
            review = f"（{f.review.reason}，{f.review.reviewer}）" if f.review and f.review.reason else ""
            sys.stdout.write(f"{f.fingerprint}  [{STATUS_CN[f.status]}]{review}  {SEVERITY_CN.get(f.severity, f.severity)}  "
                             f"{who}  {f.rule}：{f.title}\n    {f.message}\n")
        sys.stdout.write(f"共 {len(rows)} 项\n")
    return EXIT_OK


def _cmd_review(args: argparse.Namespace) -> int:
    from .store import SCOPE_CN, STATUS_CN

    expires = None
    if args.expires:
        try:
            expires = dt.datetime.combine(dt.date.fromisoformat(args.expires), dt.time(23, 59, 59))
        except ValueError:
            raise NianbaoError("--expires", f"日期格式应为 YYYY-MM-DD，现为“{args.expires}”") from None
    with _open(args.db) as store:
        done = store.review(args.fingerprints, args.status, args.reason or "", args.by or "", args.scope, expires)
    for f in done:
        sys.stdout.write(f"{f.fingerprint}：已标记为“{STATUS_CN[args.status]}”（范围：{SCOPE_CN[args.scope]}）"
                         f"  {f.rule}：{f.title}\n")
    return EXIT_OK


def _print_diff(diff, limit: int = 50) -> None:
    from .findings import SEVERITY_CN
    counts = diff.counts()
    sys.stdout.write(f"新增 {counts['new']} 项，数值变化 {counts['changed']} 项，未变 {counts['unchanged']} 项，"
                     f"已消除 {counts['resolved']} 项\n")
    for label, items in (("新增", diff.new), ("数值变化", diff.changed), ("已消除", diff.resolved)):
        for change in items[:limit]:
            row, f = change.report, change.finding
            who = f"{row['agency'] or row['source_name']} {row['year'] or ''}".strip()
            sys.stdout.write(f"  {label}  {f.fingerprint}  {SEVERITY_CN.get(f.severity, f.severity)}  {who}  "
                             f"{f.rule}：{f.title}\n")
        if len(items) > limit:
            sys.stdout.write(f"  ……另有{label} {len(items) - limit} 项\n")


def _cmd_recheck(args: argparse.Namespace) -> int:
    from .store import recheck

    with _open(args.db) as store:
        summary = recheck(store, args.pack, args.by or default_user())
    sys.stdout.write(f"运行 #{summary.run_id}：已重新检查审核库中的 {summary.reports} 份报告"
                     f"（其中 {summary.reread} 份因解析程序更新而重新读取原文件）。\n")
    _print_diff(summary.diff)
    return EXIT_OK


def _cmd_runs(args: argparse.Namespace) -> int:
    kind_cn = {"check": "检查", "recheck": "重新检查"}
    with _open(args.db) as store:
        runs = store.runs()
    for run in runs:
        state = run["finished_at"].strftime("%Y-%m-%d %H:%M:%S") if run["finished_at"] else "未完成（进行中或已中断）"
        sys.stdout.write(f"#{run['id']}  {kind_cn.get(run['kind'], run['kind'])}  {run['started_at']:%Y-%m-%d %H:%M:%S}"
                         f" → {state}  {run['run_by']}  规则包 {'、'.join(run['packs']) or run['pack_ref'] or '—'}  "
                         f"报告 {run['reports']} 份  问题 {run['findings']} 项\n")
    if not runs:
        sys.stdout.write("审核库中还没有运行记录\n")
    return EXIT_OK


def _cmd_runs_diff(args: argparse.Namespace) -> int:
    from .store import diff_states

    with _open(args.db) as store:
        known = {r["id"] for r in store.runs()}
        for run in (args.run_a, args.run_b):
            if run not in known:
                raise NianbaoError(f"#{run}", "审核库中没有这次运行（用 nianbao runs 查看）")
        before, after = store.states(run_id=args.run_a), store.states(run_id=args.run_b)
    sys.stdout.write(f"运行 #{args.run_a} → #{args.run_b}（两次都检查了的报告）：")
    _print_diff(diff_states(before, after, common_only=True))
    return EXIT_OK


def _cmd_resubmissions(args: argparse.Namespace) -> int:
    from .store import resubmissions

    with _open(args.db) as store:
        found = resubmissions(store.states())
    for item in found:
        a, b = item.earlier.report, item.later.report
        sys.stdout.write(f"{item.agency} {item.year}年度：第{a['version']}版（{a['source_name']}）→ "
                         f"第{b['version']}版（{b['source_name']}）：已整改 {len(item.fixed)} 项，"
                         f"仍存在 {len(item.remaining)} 项，新出现 {len(item.diff.new)} 项\n")
        for label, items in (("已整改", item.fixed), ("仍存在", item.remaining), ("新出现", item.diff.new)):
            for change in items:
                sys.stdout.write(f"  {label}  {change.finding.fingerprint}  {change.finding.rule}：{change.finding.title}\n")
    if not found:
        sys.stdout.write("审核库中没有重新报送的报告\n")
    return EXIT_OK


def _cmd_roster_import(args: argparse.Namespace) -> int:
    from .store.roster import import_roster, read_roster

    entries = read_roster(args.file)             # a bad file stops before the database is opened
    with _open(args.db) as store:
        count = import_roster(store, entries)
    sys.stdout.write(f"已导入名单：{count} 个机关（替换原有名单）\n")
    return EXIT_OK


def _cmd_roster_missing(args: argparse.Namespace) -> int:
    from .store.roster import roster_entries, submissions

    with _open(args.db) as store:
        if not roster_entries(store):
            raise NianbaoError(store.where, "审核库中还没有名单，请先运行 nianbao roster import 名单文件")
        result = submissions(store, args.year)
    year = f"{result.year}年度" if result.year else ""
    sys.stdout.write(f"{year}名单内未报送 {len(result.missing)} 家，逾期报送 {len(result.late)} 家，"
                     f"按时报送 {result.on_time} 家。\n")
    for entry in result.missing:
        region = f"（{entry.region}）" if entry.region else ""
        sys.stdout.write(f"  未报送  {entry.name}{region}\n")
    for entry, deadline, date, which in result.late:
        sys.stdout.write(f"  逾期    {entry.name}：{which} {date.isoformat()}，时限 {deadline.isoformat()}\n")
    for name in result.outside:
        sys.stdout.write(f"  名单外  {name}\n")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    return export_folder(args.db, args.out, letters=not args.no_letters)


def export_folder(db: str | None, out_dir: str, letters: bool = True) -> int:
    """Pages, index, letters and JSON/CSV/XLSX from the store (`export`, and `check --db --out`)."""
    from pathlib import Path

    from .store.export import export

    with _open(db) as store:
        summary = export(store, Path(out_dir), letters=letters)
    for problem in summary.problems:
        sys.stderr.write(f"nianbao: {problem}\n")
    out = summary.out_dir
    sys.stdout.write(f"已从审核库导出 {summary.reports} 份报告的审核页、意见函 {summary.letters} 份和汇总：{out / 'index.html'}、"
                     f"{out / 'findings.json'}、{out / 'findings.csv'}、{out / 'findings.xlsx'}\n")
    return EXIT_OK


# ---------------------------------------------------------------------------
def _db_option(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    parser.add_argument("--db", default=argparse.SUPPRESS if suppress else None, metavar="DB",
                        help="审核库：SQLite 数据库文件路径或 postgresql:// 地址（默认取环境变量 NIANBAO_DB）")


def add_commands(subparsers: Any) -> None:
    """Add the store's verbs to `nianbao`'s subparsers."""
    p = subparsers.add_parser("findings", help="列出审核库中的问题（含指纹和复核状态）")
    _db_option(p)
    p.add_argument("--agency", default=None, help="按报告机关筛选")
    p.add_argument("--year", type=int, default=None, help="按报告年度筛选")
    p.add_argument("--rule", default=None, help="按规则编号筛选")
    p.add_argument("--status", type=_status, default=None,
                   help="按复核状态筛选：open（待复核）、confirmed（已确认）、false_positive（误报）、waived（豁免）")
    p.add_argument("--all-versions", action="store_true", help="包括已被重新报送版本取代的旧版本")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text", help="输出格式（默认 text）")
    p.set_defaults(func=_cmd_findings)

    p = subparsers.add_parser("review", help="复核问题：确认、标记误报、豁免或恢复为待复核")
    p.add_argument("fingerprints", nargs="+", metavar="FINGERPRINT", help="问题指纹（nianbao findings 列出）")
    p.add_argument("--status", type=_status, required=True,
                   help="confirmed（已确认）、false_positive（误报）、waived（豁免）或 open（待复核）")
    p.add_argument("--reason", default="", help="理由（标记误报或豁免时必填）")
    p.add_argument("--by", required=True, metavar="NAME", help="复核人")
    p.add_argument("--scope", choices=["report", "agency", "rule"], default="report",
                   help="适用范围：report 本报告（默认）、agency 该机关各年度、rule 全部报告的该规则")
    p.add_argument("--expires", default=None, metavar="YYYY-MM-DD", help="复核意见的失效日期（可选）")
    _db_option(p)
    p.set_defaults(func=_cmd_review)

    p = subparsers.add_parser("recheck", help="修改规则后重新检查审核库中的全部报告（不重新读取文件），列出变化")
    _db_option(p)
    p.add_argument("--pack", default=None, help="规则包名称或路径（默认按各报告的模板版本选择）")
    p.add_argument("--by", default=None, metavar="NAME", help="操作人（默认当前系统用户）")
    p.set_defaults(func=_cmd_recheck)

    p = subparsers.add_parser("runs", help="列出审核库中的历次运行；runs diff A B 比较两次运行")
    _db_option(p)
    p.set_defaults(func=_cmd_runs)
    rsub = p.add_subparsers(dest="runs_command", metavar="子命令")
    r = rsub.add_parser("diff", help="比较两次运行的问题：新增、数值变化、未变、已消除")
    r.add_argument("run_a", type=int, metavar="RUN_A", help="较早的运行编号")
    r.add_argument("run_b", type=int, metavar="RUN_B", help="较晚的运行编号")
    _db_option(r, suppress=True)
    r.set_defaults(func=_cmd_runs_diff)

    p = subparsers.add_parser("resubmissions", help="重新报送的报告：与上一版相比已整改、仍存在和新出现的问题")
    _db_option(p)
    p.set_defaults(func=_cmd_resubmissions)

    p = subparsers.add_parser("roster", help="报送名单：导入名单、列出未报送和逾期的机关")
    rsub = p.add_subparsers(dest="roster_command", metavar="子命令")
    r = rsub.add_parser("import", help="导入报送名单（CSV 或 XLSX：机关名称、层级、地区/上级机关、时限分组）")
    r.add_argument("file", metavar="FILE", help="名单文件")
    _db_option(r)
    r.set_defaults(func=_cmd_roster_import)
    r = rsub.add_parser("missing", help="列出名单内未报送、逾期报送的机关")
    _db_option(r)
    r.add_argument("--year", type=int, default=None, help="报告年度（默认审核库中最新的年度）")
    r.set_defaults(func=_cmd_roster_missing)
    p.set_defaults(func=lambda a: (p.print_help(), EXIT_USAGE)[1])

    p = subparsers.add_parser("export", help="从审核库导出审核页、意见函和汇总表（含复核状态和审核结论）")
    _db_option(p)
    p.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    p.add_argument("--no-letters", action="store_true", help="不生成意见函")
    p.set_defaults(func=_cmd_export)
