

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
