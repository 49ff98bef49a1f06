"""The command line itself: one parser per run, and argparse's own complaints in Chinese."""
from __future__ import annotations

import pytest

from nianbao.cli import main


@pytest.mark.parametrize("args, said", [
    (["check"], "缺少必需的参数：FILE"),
    (["check", "--jobs", "x", "a.txt"], "--jobs 的取值“x”不是整数"),
    (["check", "a.txt", "--bogus"], "无法识别的参数：--bogus"),
    (["check", "a.txt", "--format", "xml"], "--format 的取值“xml”无效，可选：“text”、“json”"),
    (["check", "a.txt", "--pack"], "--pack 后面需要给出一个值"),
    (["chek", "a.txt"], "命令“chek”无效，可选：“parse”、“check”"),
])
def test_usage_errors_are_one_chinese_line_with_status_2(capsys, args, said):
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith("nianbao: 参数错误：") and said in err and err.count("\n") == 1
    for english in ("argument", "invalid", "required", "unrecognized", "expected", "choose from"):
        assert english not in err


def test_each_command_builds_the_same_parser_alone_as_in_the_whole_command_line():
    """A run builds only its own command (start-up); that part must be the one `--help` lists."""
    import argparse
    from nianbao.cli import build_parser

    def commands(parser):
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return sub.choices

    whole = commands(build_parser())
    for name, full in whole.items():
        alone = commands(build_parser(name))
        assert name in alone, name
        assert ([a.option_strings for a in alone[name]._actions] == [a.option_strings for a in full._actions]), name
    assert len(commands(build_parser("check"))) == 1
    assert set(commands(build_parser("no-such-command"))) == set(whole)


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["rules", "--help"], ["serve", "--help"]])
def test_help_headings_end_in_a_chinese_colon(capsys, args):
    with pytest.raises(SystemExit) as stop:
        main(args)
    out = capsys.readouterr().out
    assert stop.value.code == 0 and out.startswith("用法：")
    assert "\n位置参数：\n" in out or "\n选项：\n" in out
    headings = [line for line in out.splitlines() if line and not line[0].isspace() and line.endswith((":", "："))]
    assert headings and all(h.endswith("：") for h in headings), headings
