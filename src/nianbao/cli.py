"""The `nianbao` command: one verb per job.

Exit status: 0 no error-severity finding; 1 error findings present;
2 usage error or unreadable input.
"""
from __future__ import annotations

import argparse
import json
import sys

from .errors import NianbaoError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors, in one line, exit 2
        self.exit(EXIT_USAGE, f"nianbao: 参数错误：{message}（运行 `nianbao --help` 查看用法）\n")


def _cmd_parse(args: argparse.Namespace) -> int:
    from .outputs.parse_dump import report_to_json, report_to_text
    from .reading import read_report

    report = read_report(args.file, template=args.template)
    if args.format == "json":
        json.dump(report_to_json(report), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report_to_text(report))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nianbao", description="政府信息公开工作年度报告合规检查工具")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("parse", help="读取一份报告，输出识别出的元数据、章节和表格数值")
    p.add_argument("file", metavar="FILE", help="报告文件（PDF、网页、Word .docx 或文本）")
    p.add_argument("--format", choices=["json", "text"], default="text", help="输出格式（默认 text）")
    p.add_argument("--template", default=None, help="指定模板版本（默认按年度和表头自动判断）")
    p.set_defaults(func=_cmd_parse)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except NianbaoError as exc:
        sys.stderr.write(f"nianbao: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("nianbao: 已中断\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
