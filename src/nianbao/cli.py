"""The `nianbao` command: one verb per job.

Exit status (errors.py): 0 no error-severity finding; 1 error findings present;
2 a failure the user can cause (usage, input, pack, output location); 3 internal error.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import traceback

from . import limits, strict_json
from .errors import (EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, NianbaoError,
                     describe_os_error)
from .terminal import safe_line, shown_error


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # "用法：" where argparse prints "usage: "
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def format_help(self) -> str:
        # argparse ends each section heading with an ASCII colon ("选项:"); Chinese text takes "：".
        return _HEADING_COLON.sub(r"\1：", super().format_help())


_HEADING_COLON = re.compile(r"(?m)^(\S[^\n]*):$")    # a line at the margin that ends in ":": a heading


class _Parser(argparse.ArgumentParser):
    """argparse with its own words in Chinese (headings, -h), so every --help reads in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> None:  # argparse's own errors, in one line, in Chinese, exit 2
        self.exit(EXIT_USAGE, f"nianbao: 参数错误：{_usage_error_cn(message)}（运行 `nianbao --help` 查看用法）\n")


def _what(arg: str) -> str:
    """An option (`--jobs 的取值`) or a named position (`命令`) as the subject of a sentence."""
    return f"{arg} 的取值" if arg.startswith("-") else arg


def _quoted(text: str) -> str:
    """argparse's 'value' / 'a', 'b' as “value” / “a”、“b”."""
    items = [t.strip() for t in text.split(", ")] if text.startswith("'") else [text]
    return "、".join(f"“{t[1:-1] if len(t) > 1 and t[0] == t[-1] == chr(39) else t}”" for t in items)


# argparse's error messages (English in every locale without its translation), in Chinese.
_USAGE_ERRORS = [
    (r"argument (?P<arg>.+?): invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)",
     lambda m: f"{_what(m['arg'])}{_quoted(m['value'])}无效，可选：{_quoted(m['choices'])}"),
    (r"argument (?P<arg>.+?): invalid int value: (?P<value>.*)", lambda m: f"{_what(m['arg'])}{_quoted(m['value'])}不是整数"),
    (r"argument (?P<arg>.+?): invalid float value: (?P<value>.*)", lambda m: f"{_what(m['arg'])}{_quoted(m['value'])}不是数值"),
    (r"argument (?P<arg>.+?): expected one argument", lambda m: f"{m['arg']} 后面需要给出一个值"),
    (r"argument (?P<arg>.+?): expected at least one argument", lambda m: f"{m['arg']} 后面至少需要给出一个值"),
    (r"argument (?P<arg>.+?): not allowed with argument (?P<other>.+)", lambda m: f"{m['arg']} 不能与 {m['other']} 同时使用"),
    (r"the following arguments are required: (?P<args>.+)", lambda m: f"缺少必需的参数：{m['args']}"),
    (r"unrecognized arguments: (?P<args>.+)", lambda m: f"无法识别的参数：{m['args']}"),
    (r"ambiguous option: (?P<opt>\S+) could match (?P<options>.+)", lambda m: f"选项 {m['opt']} 不明确，可能是：{m['options']}"),
]


def _usage_error_cn(message: str) -> str:
    for pattern, say in _USAGE_ERRORS:
        m = re.fullmatch(pattern, message, flags=re.S)
        if m:
            return say(m)
    return message


def _cmd_parse(args: argparse.Namespace) -> int:
    from .checker import Checker
    from .outputs.parse_dump import report_to_json, report_to_text

    report = Checker().read(args.file, template=args.template)
    if args.format == "json":
        strict_json.dump(report_to_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report_to_text(report))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from .checker import Checker
    from .outputs.check_text import result_to_text

    if args.jobs is not None and args.jobs < 1:
        sys.stderr.write("nianbao: 参数错误：--jobs 应为不小于 1 的整数\n")
        return EXIT_USAGE
    checker = Checker(args.pack)          # a broken pack stops here, before any report is read
    db = args.db or os.environ.get("NIANBAO_DB")
    if db:
        from .cli_store import store_check
        status = store_check(args.files, args.pack, db, args.by)
        if args.out and status != EXIT_USAGE:
            # The folder outputs come from the store, with review status and verdicts.
            from .cli_store import export_folder
            export_folder(db, args.out, letters=not args.no_letters)
        return status
    if args.out or args.jobs or args.scheduler or any(os.path.isdir(f) for f in args.files):
        if args.previous:
            sys.stderr.write("nianbao: 参数错误：批量模式会自动配对相邻年度的报告，不能同时使用 --previous\n")
            return EXIT_USAGE
        return _run_batch(args)
    results = []
    for path in args.files:
        result = checker.check(path, previous=args.previous)
        if result.unreadable:
            if result.input_error and len(args.files) == 1:
                # The one input is not a report file at all: one line, exit 2, nothing on stdout.
                sys.stderr.write(f"nianbao: {safe_line(f'{path}: {result.unreadable}')}\n")
                return EXIT_USAGE
            sys.stderr.write(f"nianbao: {safe_line(f'{path}: {result.unreadable}')}\n")
        results.append(result)
    if args.format == "json":
        strict_json.dump({"reports": [r.to_json() for r in results]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(result_to_text(r) for r in results))
    if len(results) == 1 and results[0].unreadable:
        return EXIT_USAGE            # the one input could not be read
    return EXIT_FINDINGS if any(r.has_errors for r in results) else EXIT_OK


def _run_batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .batch import BatchOptions, Interrupted, default_jobs, run_batch

    if args.timeout is not None and args.timeout < 0 or args.worker_memory is not None and args.worker_memory < 0:
        sys.stderr.write("nianbao: 参数错误：--timeout 和 --worker-memory 不能为负数\n")
        return EXIT_USAGE
    if args.ship_bytes and not args.scheduler:
        sys.stderr.write("nianbao: 参数错误：--ship-bytes 只能与 --scheduler 一起使用\n")
        return EXIT_USAGE
    from .settings import load, overrides_from_args
    out_dir = Path(args.out or "reports_out")
    options = BatchOptions(out_dir=out_dir, pack=args.pack,
                           jobs=args.jobs or default_jobs(), letters=not args.no_letters,
                           pair=not args.no_pairing, scheduler=args.scheduler, ship_bytes=args.ship_bytes,
                           # the campaign's letter settings: nianbao.toml beside the outputs, then the flags
                           letter_settings=load(out_dir, overrides_from_args(args)))
    if args.timeout is not None:
        options.timeout = args.timeout or None
    if args.worker_memory is not None:
        options.memory_mb = args.worker_memory
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=0, unit="份", desc="读取进度" if options.pair else "检查进度", file=sys.stderr)

    phase = {"reading": options.pair}

    def reading(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(1)

    def progress(done: int, total: int, entry: dict) -> None:
        counts = entry["counts"]
        if bar is not None:
            if phase["reading"]:                    # phase 1 over: the same bar counts checked reports
                phase["reading"] = False
                bar.set_description("检查进度")
                bar.reset(total=total)
            bar.update(1)
            return
        status = f"无法读取：{entry['error']}" if entry["error"] else (
            f"错误 {counts.get('error', 0)}，警告 {counts.get('warning', 0)}，提示 {counts.get('info', 0)}")
        sys.stderr.write(safe_line(f"[{done}/{total}] {entry['source']}：{status}") + "\n")

    try:
        summary = run_batch(args.files, options, progress, reading)
    except Interrupted as exc:
        sys.stderr.write(f"nianbao: 检查已终止，输出目录 {options.out_dir} 中的结果不完整（已标记为未完成）\n")
        return exc.status
    finally:
        if bar is not None:
            bar.close()
    out = summary.out_dir
    skipped = f"，未检查 {len(summary.not_checked)} 个文件（原因见汇总页）" if summary.not_checked else ""
    sys.stdout.write(f"已检查 {summary.reports} 份报告（无法读取 {summary.unreadable} 份）{skipped}，"
                     f"共发现错误 {summary.errors} 项。\n结果：{out / 'index.html'}、{out / 'findings.json'}、"
                     f"{out / 'findings.csv'}、{out / 'findings.xlsx'}\n")
    for item in summary.not_checked:
        sys.stdout.write(safe_line(f"未检查：{item.source}：{item.reason}") + "\n")
    return EXIT_FINDINGS if summary.errors else EXIT_OK


def _cmd_letter(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .atomic import atomic_write_text
    from .checker import Checker
    from .outputs.letter import NoFindings, letter_context, render_letter_html, write_letter_docx
    from .settings import load, overrides_from_args

    checker = Checker(args.pack)
    result = checker.check(args.file, previous=args.previous)
    if result.input_error:
        sys.stderr.write(f"nianbao: {safe_line(f'{args.file}: {result.unreadable}')}\n")
        return EXIT_USAGE
    active = checker.pack_of(result)
    out = Path(args.out) if args.out else Path("reports_out") / "letters" / f"{Path(args.file).stem}.{args.format}"
    settings = load(out.parent, overrides_from_args(args))      # nianbao.toml, then the flags
    options = {**settings.options(), "include_info": True if args.include_info else None, "template": args.template}
    day = settings.letter_date()
    try:
        note = letter_context(result, active, day, options).get("deadline_note")
        if args.format == "docx":
            write_letter_docx(result, active, day, out, options)
        else:
            atomic_write_text(out, render_letter_html(result, active, day, options))
    except NoFindings as exc:
        sys.stdout.write(safe_line(f"{args.file}：{exc.message}") + "\n")
        return EXIT_OK
    if note:
        sys.stderr.write(f"nianbao: {note}\n")
    sys.stdout.write(f"已生成整改函：{out}（错误 {result.count('error')} 项，警告 {result.count('warning')} 项）\n")
    return EXIT_OK


def _cmd_rules_test(args: argparse.Namespace) -> int:
    from .packs import load_pack
    from .packtests import run_pack_cases

    pack = load_pack(args.pack)
    results = run_pack_cases(pack)
    failed = [r for r in results if not r.ok]
    without = [r.id for r in pack.rules if not r.tests]
    for r in failed:
        sys.stdout.write(f"✗ {r.rule} 第{r.index}个用例：应为 {r.expect}，实际为 {r.got}"
                         f"{'（' + r.detail + '）' if r.detail else ''}\n")
    sys.stdout.write(f"规则包 {pack.name}：{len(pack.rules)} 条规则，{len(results)} 个用例，"
                     f"通过 {len(results) - len(failed)} 个，失败 {len(failed)} 个\n")
    if without:
        sys.stdout.write(f"没有测试用例的规则：{'、'.join(without)}\n")
    return EXIT_FINDINGS if failed else EXIT_OK


def _cmd_rules_lint(args: argparse.Namespace) -> int:
    from .packs import lint_pack

    problems = lint_pack(args.pack)
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    sys.stdout.write(f"规则包 {args.pack}：错误 {errors} 项，警告 {warnings} 项\n")
    return EXIT_FINDINGS if errors else EXIT_OK


def _cmd_rules_doc(args: argparse.Namespace) -> int:
    import datetime as dt

    from .atomic import atomic_write_text
    from .packs import render_rules_doc

    html = render_rules_doc(args.pack, dt.datetime.now().replace(microsecond=0))
    out = args.out or f"reports_out/rules-{os.path.basename(os.path.normpath(args.pack)).removesuffix('.yaml')}.html"
    atomic_write_text(out, html)
    sys.stdout.write(f"已生成规则目录：{out}\n")
    return EXIT_OK


def _cmd_rules_diff(args: argparse.Namespace) -> int:
    from .packs import diff_packs, format_diff

    changes = diff_packs(args.pack_a, args.pack_b)
    sys.stdout.write(format_diff(args.pack_a, args.pack_b, changes).rstrip("\n") + "\n")
    return EXIT_OK


def _cmd_rules_list(args: argparse.Namespace) -> int:
    from .findings import SEVERITY_CN
    from .packs import load_pack

    pack = load_pack(args.pack)
    sys.stdout.write(f"规则包 {pack.name}（模板 {pack.template.version}）"
                     f"{'，继承自 ' + ' → '.join(pack.chain[1:]) if len(pack.chain) > 1 else ''}\n")
    for rule in pack.rules:
        state = "（已停用）" if rule.id in pack.disabled else ""
        sys.stdout.write(f"  {rule.id:<36} {SEVERITY_CN[rule.severity]}  {rule.category:<26} {rule.title}{state}\n")
    return EXIT_OK


# Commands defined in other modules, by name: a run builds (and imports) only the command it runs.
_ELSEWHERE = {"review-letter": "cli_letters",
              **dict.fromkeys(("findings", "review", "recheck", "runs", "resubmissions", "roster", "export"),
                              "cli_store"),
              **dict.fromkeys(("serve", "user"), "cli_web")}


def _add_parse(sub) -> None:
    p = sub.add_parser("parse", help="读取一份报告，输出识别出的元数据、章节和表格数值")
    p.add_argument("file", metavar="FILE", help="报告文件（PDF、网页、Word .docx 或文本）")
    p.add_argument("--format", choices=["json", "text"], default="text", help="输出格式（默认 text）")
    p.add_argument("--template", default=None, help="指定模板版本（默认按年度和表头自动判断）")
    p.set_defaults(func=_cmd_parse)


def _add_check(sub) -> None:
    from .cli_letters import add_settings_flags

    p = sub.add_parser("check", help="按规则包检查报告，列出发现的问题")
    p.add_argument("files", nargs="+", metavar="FILE", help="报告文件或目录（一个或多个；目录按批量模式处理）")
    p.add_argument("--pack", default=None, help="规则包名称（rules/ 下）或路径（默认按报告模板版本选择）")
    p.add_argument("--previous", default=None, metavar="LAST_YEAR", help="同一机关上一年度的报告，用于跨年度检查")
    p.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
    p.add_argument("--db", default=None, metavar="DB",
                   help="审核库：SQLite 文件路径或 postgresql:// 地址（默认取环境变量 NIANBAO_DB）；"
                        "给出时把报告、本次运行和发现的问题存入审核库，供复核、重新检查和导出")
    p.add_argument("--by", default=None, metavar="NAME", help="与 --db 一起使用：记录操作人（默认当前系统用户）")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="批量模式：把每份报告的审核页、整改函和汇总（index.html、JSON、CSV、XLSX）写入该目录；"
                        "输入中有目录时默认写入 reports_out/")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="批量模式并行进程数（默认按 CPU 核数，最多 4）")
    p.add_argument("--no-letters", action="store_true", help="批量模式下不生成整改函")
    p.add_argument("--no-pairing", action="store_true",
                   help="批量模式下不自动配对同一机关相邻年度的报告（默认配对，用于跨年度检查）")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="批量模式下每份文件每个处理阶段的时间限额（秒，默认 120；0 表示不限），超时的文件记为无法读取")
    p.add_argument("--worker-memory", type=int, default=None, metavar="MIB",
                   help="批量模式下每个工作进程可用的内存（地址空间，MiB，默认 1024；0 表示不限）")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="在 Dask 分布式集群上运行批量检查，例如 tcp://192.168.1.10:8786（需安装 nianbao[dask]）")
    p.add_argument("--ship-bytes", action="store_true",
                   help="与 --scheduler 一起使用：把文件内容随任务发送给各计算节点（节点无需访问同一共享目录）")
    add_settings_flags(p, "批量模式整改函的")
    p.set_defaults(func=_cmd_check)


def _add_letter(sub) -> None:
    from .cli_letters import add_settings_flags

    p = sub.add_parser("letter", help="为一份报告生成审核意见函（整改通知），HTML 或 Word（.docx）")
    p.add_argument("file", metavar="FILE", help="报告文件")
    p.add_argument("--format", choices=["html", "docx"], default="html", help="输出格式（默认 html）")
    p.add_argument("--out", default=None, metavar="PATH", help="输出文件（默认 reports_out/letters/<报告文件名>.<格式>）")
    p.add_argument("--pack", default=None, help="规则包名称或路径（默认按报告模板版本选择）")
    p.add_argument("--previous", default=None, metavar="LAST_YEAR", help="同一机关上一年度的报告，用于跨年度检查")
    add_settings_flags(p)
    p.add_argument("--include-info", action="store_true", help="把“提示”级别的问题也写入函件")
    p.add_argument("--template", default=None, metavar="PATH", help="自定义函件模板（Jinja2，沙箱中渲染）")
    p.set_defaults(func=_cmd_letter)


def _add_rules(sub) -> None:
    rules = sub.add_parser("rules", help="维护规则包：列出规则、运行规则自带的测试用例")
    rsub = rules.add_subparsers(dest="rules_command", metavar="子命令")
    r = rsub.add_parser("test", help="运行规则包中每条规则自带的测试用例")
    r.add_argument("pack", nargs="?", default="gov-2021", metavar="PACK", help="规则包名称或路径（默认 gov-2021）")
    r.set_defaults(func=_cmd_rules_test)
    r = rsub.add_parser("lint", help="检查规则包文件：格式、表达式、重复编号、类别、测试用例（给出文件:行:列）")
    r.add_argument("pack", metavar="PATH", help="规则包名称或路径")
    r.set_defaults(func=_cmd_rules_lint)
    r = rsub.add_parser("doc", help="生成规则包的 HTML 规则目录（每条规则的依据、表达式和示例）")
    r.add_argument("pack", metavar="PACK", help="规则包名称或路径")
    r.add_argument("--out", default=None, metavar="FILE", help="输出文件（默认 reports_out/rules-<包名>.html）")
    r.set_defaults(func=_cmd_rules_doc)
    r = rsub.add_parser("diff", help="比较两个规则包：新增、删除、修改的规则，参数和模板栏目的差异")
    r.add_argument("pack_a", metavar="PACK_A", help="原规则包")
    r.add_argument("pack_b", metavar="PACK_B", help="新规则包")
    r.set_defaults(func=_cmd_rules_diff)
    r = rsub.add_parser("list", help="列出规则包中的全部规则")
    r.add_argument("pack", nargs="?", default="gov-2021", metavar="PACK", help="规则包名称或路径（默认 gov-2021）")
    r.set_defaults(func=_cmd_rules_list)
    rules.set_defaults(func=lambda a: (rules.print_help(), EXIT_USAGE)[1])


_HERE = {"parse": _add_parse, "check": _add_check, "letter": _add_letter, "rules": _add_rules}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (start-up) only `command`'s part when it names a known command."""
    import importlib

    parser = _Parser(prog="nianbao", description="政府信息公开工作年度报告合规检查工具")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    known = command in _HERE or command in _ELSEWHERE
    for name, add in _HERE.items():
        if not known or name == command:
            add(sub)
    for module in dict.fromkeys(_ELSEWHERE.values()):
        if not known or _ELSEWHERE.get(command) == module:
            importlib.import_module(f".{module}", __package__).add_commands(sub)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The command word: the first argument that is not an option (None when there is none)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run one command. The one place that turns failures into exit statuses (see errors.py)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        limits.current()                     # a malformed NIANBAO_MAX_* stops the run before any work
        return args.func(args)
    except NianbaoError as exc:
        sys.stderr.write(f"nianbao: {shown_error(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("nianbao: 已中断\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        # Inputs are read through ingest (InputError); what is left is an output location
        # the user named: unwritable, full, a file where a folder should be.
        sys.stderr.write(f"nianbao: {safe_line(describe_os_error(exc))}\n")
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        sys.stderr.write("nianbao: 内部错误（程序缺陷，并非输入问题），请将以上信息报告给维护人员\n")
        return EXIT_INTERNAL


def run() -> None:
    """The `nianbao` command (console script): `main()`, then a quick exit.

    When `main()` returns, the command's work is done and its files are closed; tearing the
    interpreter down afterwards (freeing every module and the loaded pack object by object) took
    ~25 ms, a fifth of a text check's whole run. So when no other thread is left, the output is
    flushed, the atexit handlers run (temporary files, multiprocessing, logging) and the process
    leaves with os._exit; otherwise (a thread still working) it exits normally.
    """
    import atexit
    import threading

    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):       # a closed pipe: nothing more can be said
            pass
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
