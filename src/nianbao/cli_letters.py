"""Command-line pieces of the letters: the campaign-settings flags and the `review-letter` verb.

`add_settings_flags(parser)` gives a command `--sender`, `--reference`, `--signatory`,
`--contact`, `--deadline-days` (read back with `settings.overrides_from_args`);
`add_commands(subparsers)` adds `nianbao review-letter`, the 整改复核意见函 of a resubmitted
report compared with the first version.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


def add_settings_flags(parser: argparse.ArgumentParser, what: str = "") -> None:
    """The campaign-settings overrides (see settings.py); `what` prefixes each help text."""
    parser.add_argument("--sender", default=None, help=f"{what}发文机关（优先于设置文件 nianbao.toml 和规则包 letter.sender）")
    parser.add_argument("--reference", default=None, help=f"{what}发文字号")
    parser.add_argument("--signatory", default=None, help=f"{what}署名（默认同发文机关）")
    parser.add_argument("--contact", default=None, help=f"{what}联系人及电话")
    parser.add_argument("--deadline-days", type=int, default=None, metavar="N",
                        help=f"{what}答复期限：成文日期后的工作日数（按国家法定节假日和调休计算，默认 15）")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("review-letter", help="报告修改后重新报送时，生成整改复核意见函（已整改、未整改、新发现的问题）")
    p.add_argument("file", metavar="FILE", help="重新报送的报告文件")
    p.add_argument("--first", required=True, metavar="FIRST_FILE", help="首次报送的报告文件（原审核意见针对的版本）")
    p.add_argument("--first-date", default=None, metavar="YYYY-MM-DD", help="原审核意见函的成文日期")
    p.add_argument("--first-reference", default=None, metavar="文号", help="原审核意见函的发文字号")
    p.add_argument("--format", choices=["html", "docx"], default="html", help="输出格式（默认 html）")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="输出文件（默认 reports_out/letters/<报告文件名>-整改复核.<格式>）")
    p.add_argument("--pack", default=None, help="规则包名称或路径（默认按报告模板版本选择）")
    p.add_argument("--previous", default=None, metavar="LAST_YEAR", help="同一机关上一年度的报告，用于跨年度检查")
    add_settings_flags(p)
    p.set_defaults(func=cmd_review_letter)


def cmd_review_letter(args: argparse.Namespace) -> int:
    import datetime as dt

    from .atomic import atomic_write_text
    from .checker import Checker
    from .errors import NianbaoError
    from .outputs.letter import LetterError, NoFindings, render_context_html, save_docx
    from .outputs.letter_review import review_letter_context
    from .settings import load, overrides_from_args

    first_date = None
    if args.first_date:
        try:
            first_date = dt.date.fromisoformat(args.first_date)
        except ValueError:
            sys.stderr.write(f"nianbao: 参数错误：--first-date 应为日期（如 2026-02-10），现为“{args.first_date}”\n")
            return EXIT_USAGE
    checker = Checker(args.pack)
    result = checker.check(args.file, previous=args.previous)
    if result.report is None:
        sys.stderr.write(f"nianbao: {args.file}: {result.unreadable}\n")
        return EXIT_USAGE
    pack = checker.pack_of(result)
    try:
        first = checker.read(args.first, template=pack.template.version)
    except NianbaoError as exc:
        sys.stderr.write(f"nianbao: {args.first}: 首次报送的报告无法读取：{exc.message}\n")
        return EXIT_USAGE
    before = checker.evaluate(first, previous=args.previous, pack=pack)

    out = Path(args.out) if args.out else (Path("reports_out") / "letters" / f"{Path(args.file).stem}-整改复核.{args.format}")
    settings = load(out.parent, overrides_from_args(args))
    options = settings.options()
    try:
        ctx = review_letter_context(before.findings, result, pack, settings.letter_date(), options,
                                    first_date=first_date, first_reference=args.first_reference)
    except NoFindings as exc:
        sys.stdout.write(f"{args.file}：{exc.message}\n")
        return EXIT_OK
    if args.format == "docx":
        save_docx(ctx, out)
    else:
        html = render_context_html(ctx, pack, options)
        try:
            atomic_write_text(out, html)
        except OSError as exc:
            raise LetterError(str(out), f"整改复核意见函无法写入：{exc.strerror or exc}") from None
    if ctx["deadline_note"]:
        sys.stderr.write(f"nianbao: 注意：{ctx['deadline_note']}\n")
    counts = ctx["counts"]
    sys.stdout.write(f"已生成整改复核意见函：{out}（已整改 {counts['fixed']} 项，尚未整改 {counts['remaining']} 项，"
                     f"新发现 {counts['new']} 项）\n")
    return EXIT_OK
