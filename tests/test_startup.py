"""Start-up (issue 14): compiled packs and templates kept per user between runs, and a check
importing only what it uses.

A fresh PackRegistry stands for a fresh process: it has nothing in memory, so what
it does not compile it must have loaded from the user's cache folder. Where the
question is what a whole process imports, a real `python -m nianbao.cli` runs.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE

CITY_RULE = """\
pack: town
extends: gov-2021
description: 测试用规则包
rules:
  - id: town-review
    title: 总体情况说明审核情况
    category: content.required_missing
    severity: warning
    basis: 测试依据
    check: matches(section1, "从未出现的说法")
    message: {message}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "nianbao"


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The packs compiled from their YAML files (not loaded from the cache), in order."""
    import nianbao.packs.compile as compile_module

    seen: list[str] = []
    real = compile_module.compile_pack

    def counting(source):
        seen.append(source.name)
        return real(source)

    monkeypatch.setattr(compile_module, "compile_pack", counting)
    return seen


def fresh_load(ref: str):
    from nianbao.packs.registry import PackRegistry

    return PackRegistry().load(ref)


def findings_of(pack_ref: str | None = None) -> list[tuple[str, str, str]]:
    from nianbao import Checker
    from nianbao.checker import PackCache

    result = Checker(pack_ref, packs=PackCache()).check(SAMPLE)
    return [(f.rule, f.severity, f.message) for f in result.findings]


def test_second_load_comes_from_the_cache_and_finds_the_same(cache, compiles):
    cold = findings_of()
    assert compiles == ["gov-2021"]
    assert any(p.name.startswith("pack-") for p in cache.iterdir())
    warm = findings_of()
    assert compiles == ["gov-2021"]               # no second compile
    assert warm == cold and len(warm) == 4       # the sample's four findings, word for word
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_edited_pack_file_is_noticed(cache, compiles, tmp_path):
    folder = tmp_path / "town"
    folder.mkdir()
    (folder / "pack.yaml").write_text(CITY_RULE.format(message="第一部分未说明审核情况。"), encoding="utf-8")
    assert fresh_load(str(folder)).rules[-1].message.render({}) == "第一部分未说明审核情况。"
    assert fresh_load(str(folder)).rules[-1].message.render({}) == "第一部分未说明审核情况。"
    assert compiles == ["town"]
    (folder / "pack.yaml").write_text(CITY_RULE.format(message="第一部分应说明审核把关情况。"), encoding="utf-8")
    assert fresh_load(str(folder)).rules[-1].message.render({}) == "第一部分应说明审核把关情况。"
    assert compiles == ["town", "town"]
    (folder / "more.yaml").write_text("pack: town\nparams:\n  extra_limit: 3\n", encoding="utf-8")
    assert fresh_load(str(folder)).params["extra_limit"] == 3      # an added file is noticed too
    assert compiles == ["town", "town", "town"]


def test_edited_grammar_is_noticed(cache, compiles, tmp_path, monkeypatch):
    import nianbao.lang.parser as parser

    grammar = tmp_path / "expr.lark"
    shutil.copy(parser.grammar_path(), grammar)
    monkeypatch.setattr(parser, "grammar_path", lambda: grammar)
    monkeypatch.setattr(parser, "_parser", None)
    fresh_load("gov-2021")
    fresh_load("gov-2021")
    assert compiles == ["gov-2021"]
    grammar.write_text(grammar.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    monkeypatch.setattr(parser, "_parser", None)
    fresh_load("gov-2021")
    assert compiles == ["gov-2021", "gov-2021"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign key", "wrong object"])
def test_corrupt_or_foreign_cache_file_is_ignored_and_rewritten(cache, compiles, damage):
    cold = findings_of()
    entry = next(p for p in cache.iterdir() if p.name.startswith("pack-"))
    good = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"\x80\x05not a pickle at all")
    elif damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "foreign key":
        entry.write_bytes(pickle.dumps("another nianbao's key") + pickle.dumps(("x", "y")))
    else:   # the right key, but not what a pack entry holds
        with open(entry, "rb") as fh:
            key = pickle.load(fh)
        entry.write_bytes(pickle.dumps(key) + pickle.dumps({"not": "a pack"}))
    assert findings_of() == cold
    assert compiles == ["gov-2021", "gov-2021"]       # compiled afresh …
    assert findings_of() == cold
    assert compiles == ["gov-2021", "gov-2021"]       # … and the rewritten entry is used again


def test_unsafe_cache_folder_is_not_used(cache, compiles):
    cache.mkdir(parents=True)
    cache.chmod(0o777)                                # others could plant a pickle here
    findings_of()
    findings_of()
    assert compiles == ["gov-2021", "gov-2021"]
    assert not any(p.name.startswith("pack-") for p in cache.iterdir())


def test_no_cache_when_turned_off(cache, compiles, monkeypatch):
    monkeypatch.setenv("NIANBAO_NO_CACHE", "1")
    findings_of()
    findings_of()
    assert compiles == ["gov-2021", "gov-2021"]


def test_cached_template_equals_the_yaml(cache):
    from nianbao.template import _load, _load_cached, rules_dir

    path = rules_dir() / "gov-2021" / "template.yaml"
    first = _load_cached(path)
    assert any(p.name.startswith("template-") for p in cache.iterdir())
    second = _load_cached(path)
    assert second is not first and second == _load(path)


IMPORTED = ("import json, sys; from nianbao.cli import main; code = main(sys.argv[1:]); "
            "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)")


def run_check(env: dict[str, str], *args: str) -> tuple[int, str, set[str]]:
    proc = subprocess.run([sys.executable, "-c", IMPORTED, "check", *args], capture_output=True, text=True,
                          env=env, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], proc.stdout, set(report["modules"])


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_warm_text_check_imports_no_parser_yaml_or_batch_machinery(cache):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent)}
    code_cold, out_cold, cold = run_check(env, str(SAMPLE))
    code_warm, out_warm, warm = run_check(env, str(SAMPLE))
    assert code_cold == code_warm == 1 and out_warm == out_cold and "我县我县" in out_warm
    assert {"lark", "yaml"} <= top_level(cold)                   # the first run compiled the pack
    assert not {"lark", "yaml"} & top_level(warm)
    assert not {"nianbao.packs.reader", "nianbao.packs.compile", "nianbao.lang.builder"} & warm
    for heavy in ("multiprocessing", "tqdm", "openpyxl", "docx", "bs4", "pdfplumber", "nianbao.batch"):
        assert heavy not in cold | warm, heavy


def test_import_nianbao_stays_light():
    proc = subprocess.run([sys.executable, "-c", "import json, sys, nianbao; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=60)
    loaded = top_level(set(json.loads(proc.stdout)))
    assert not {"lark", "yaml", "jinja2", "regex", "rapidfuzz", "multiprocessing"} & loaded


def test_cached_message_is_still_sandboxed_and_rendered_alike(cache, compiles, tmp_path):
    from nianbao.sandbox import BudgetExceeded

    folder = tmp_path / "town"
    folder.mkdir()
    message = '"重复：{{ params.government_deadline_month }}月{{ (\'一\' * n) if n is defined else \'\' }}"'
    (folder / "pack.yaml").write_text(CITY_RULE.format(message=message), encoding="utf-8")
    cold = fresh_load(str(folder)).rules[-1].message
    warm = fresh_load(str(folder)).rules[-1].message
    assert compiles == ["town"] and warm is not cold
    params = {"government_deadline_month": 3}
    assert cold.render({"params": params}) == warm.render({"params": params}) == "重复：3月"
    for msg in (cold, warm):
        with pytest.raises(BudgetExceeded):
            msg.render({"params": params, "n": 10**7})


def test_the_command_exits_quickly_without_losing_output(tmp_path):
    """`nianbao` leaves with os._exit once its work is done (cli.run): every byte written to a pipe
    must still arrive, the exit status must be main()'s, and a pack's temporary files must be gone."""
    from conftest import SEEDS
    exe = Path(sys.executable).parent / "nianbao"
    if not exe.exists():
        pytest.skip("the nianbao console script is not installed next to this Python")
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip(f"seed corpus not found at {SEEDS}")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run([str(exe), "check", "--format", "json", *map(str, seeds)],
                          capture_output=True, text=True, env=env, timeout=120)
    data = json.loads(proc.stdout)                      # complete: flushed before the quick exit
    reports = data["reports"]
    assert len(reports) == len(seeds)
    errors = sum(1 for r in reports for f in r["findings"] if f["severity"] == "error")
    assert proc.returncode == (1 if errors else 0)
    assert list(tmp_path.iterdir()) == []
    missing = subprocess.run([str(exe), "check", str(tmp_path / "absent.txt")], capture_output=True, text=True)
    assert missing.returncode == 2 and "absent.txt" in missing.stderr
