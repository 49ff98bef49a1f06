"""Packs from other offices are untrusted: one reader validates every key with file:line:col (load and
lint alike), files a pack names stay inside its folder, YAML/regex/Jinja cannot exhaust time or memory,
messages cannot change the pack, and the registry notices an edited pack."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO
from nianbao.engine import check_report
from nianbao.errors import PackError
from nianbao.packs import PackRegistry, lint_pack, load_pack, read_pack
from nianbao.reading import read_report
from nianbao.sandbox import BoundedSandbox, BudgetExceeded

CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"
RULE = """\
  - id: r1
    title: 测试规则
    category: value.invalid
    severity: warning
    basis: 测试
    check: section3.new.total < 0
    message: 测试
    tests:
      - {expect: fail, facts: {section3.new.total: 1}}
"""


def write(folder, body: str, name: str = "pack.yaml"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def spot(path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def load_error(path) -> PackError:
    with pytest.raises(PackError) as info:
        load_pack(str(path))
    assert "\n" not in info.value.path
    return info.value


def assert_same_place(path, needle: str, words: str) -> None:
    """load_pack and lint_pack report the problem at the same file:line:col with the same words."""
    line, col = spot(path, needle)
    err = load_error(path)
    assert err.path == f"{path}:{line}:{col}", str(err)
    assert words in err.message.splitlines()[0]
    assert err.message.splitlines()[-1].strip() == "^"          # the caret under the place
    errors = [p for p in lint_pack(str(path)) if p.severity == "error"]
    assert [(p.line, p.col) for p in errors if words in p.message] == [(line, col)], [str(p) for p in errors]


# ---------------------------------------------------------------------------
# Every key, one reader
@pytest.mark.parametrize("body, needle, words", [
    ("rules:\n" + RULE.replace("    message: 测试\n", "    mesage: 测试\n"), "mesage", "未知的键“mesage”"),
    ("parms:\n  x: 1\n", "parms", "规则包中有未知的键“parms”"),
    ("params:\n  deadline: [1, 2]\n", "[1, 2]", "不能是列表或映射"),
    ("params:\n  2x: 1\n", "2x", "参数名“2x”"),
    ("params:\n  government_deadline_month: 三月\n", "三月", "类型不一致"),
    ("narrative:\n  - name: narrative.x\n    label: 某数\n    pattern: '(\\d+)件'\n", "pattern:", "未知的键“pattern”"),
    ("letter:\n  sendr: 某市政务公开办\n", "sendr", "信函设置中有未知的键“sendr”"),
    ("letter:\n  deadline_days: 400\n", "400", "deadline_days"),
    ("letter:\n  include_info: 是\n", "是", "include_info"),
    ("verdict:\n  - {when: 'errors > 0', verdcit: 不合格}\n  - {verdict: 合格}\n", "verdcit", "未知的键“verdcit”"),
    ("verdict:\n  - {verdict: 不合格}\n  - {verdict: 合格}\n", "{verdict: 不合格}", "只有最后一项可以省略 when"),
    ("rules:\n" + RULE.replace("    message: 测试\n", "    message: 测试\n    headline: [未标注]\n"),
     "[未标注]", "headline 应为文字"),
])
def test_a_typo_in_any_key_is_placed_by_load_and_lint_alike(tmp_path, body, needle, words):
    path = write(tmp_path, "pack: mine\nextends: gov-2021\n" + body)
    assert_same_place(path, needle, words)


def test_a_check_must_be_a_condition(tmp_path):
    path = write(tmp_path, "pack: mine\nextends: gov-2021\nrules:\n"
                 + RULE.replace("check: section3.new.total < 0", "check: section3.new.total + 1"))
    line, col = spot(path, "section3.new.total + 1")
    err = load_error(path)
    assert err.path == f"{path}:{line}:{col}" and "应为真假值" in err.message
    assert [(p.line, p.col) for p in lint_pack(str(path)) if "应为真假值" in p.message] == [(line, col)]


def test_verdict_and_headline_are_exposed_and_inherited(tmp_path):
    base = write(tmp_path / "base", """\
        pack: base
        extends: gov-2021
        verdict:
          - when: errors > 0
            verdict: 不合格
          - verdict: 合格
        rules:
          - id: fee-statement
            headline: 未说明收费情况
    """)
    pack = load_pack(str(base))
    line, col = spot(base, "- when: errors > 0")
    assert pack.verdict == [("errors > 0", "不合格", f"{base}:{line}:{col + 2}"), (None, "合格", f"{base}:{line + 2}:{col + 2}")]
    assert next(r for r in pack.rules if r.id == "fee-statement").headline == "未说明收费情况"
    overlay = write(tmp_path / "base", "pack: overlay\nextends: pack.yaml\n", "overlay.yaml")
    assert [v[1] for v in load_pack(str(overlay)).verdict] == ["不合格", "合格"]


# ---------------------------------------------------------------------------
# Confinement
@pytest.mark.parametrize("body, needle, words", [
    ("extends: ../outside/pack.yaml\n", "../outside", "含有“..”"),
    ("extends: /etc\n", "/etc", "规则包所在目录以外"),
    ("template: ../../../etc\n", "../../../etc", "不能是路径"),
    ("extends: gov-2021\nletter:\n  template: ../outside/letter.html.j2\n", "../outside", "含有“..”"),
    ("extends: gov-2021\nletter:\n  template: /etc/passwd\n", "/etc/passwd", "规则包所在目录以外"),
    ("extends: gov-2021\nletter:\n  template: /proc/self/environ\n", "/proc/self/environ", "规则包所在目录以外"),
    ("extends: gov-2021\nletter:\n  template: ~/letter.html.j2\n", "~/letter", "用户主目录"),
])
def test_a_pack_cannot_name_files_outside_its_folder(tmp_path, body, needle, words):
    (tmp_path / "outside").mkdir()
    write(tmp_path / "outside", "pack: outside\nextends: gov-2021\n")
    (tmp_path / "outside" / "letter.html.j2").write_text("秘密", encoding="utf-8")
    path = write(tmp_path / "mine", "pack: mine\n" + body)
    assert_same_place(path, needle, words)


def test_a_symlink_leading_out_is_refused(tmp_path):
    secret = tmp_path / "secret.html.j2"
    secret.write_text("{{ sender }} 机密内容", encoding="utf-8")
    folder = tmp_path / "mine"
    path = write(folder, "pack: mine\nextends: gov-2021\nletter:\n  template: letter.html.j2\n")
    (folder / "letter.html.j2").symlink_to(secret)
    assert_same_place(path, "letter.html.j2", "链接")
    (folder / "base").symlink_to(REPO / "rules" / "gov-2021")       # a folder link out, for extends
    other = write(folder, "pack: other\nextends: base\n", "other.yaml")
    with pytest.raises(PackError, match="链接"):
        read_pack(str(other))


def test_a_link_swapped_in_after_loading_is_refused_when_the_letter_is_written(tmp_path):
    from nianbao.outputs.letter import LetterError, render_letter_html
    folder = tmp_path / "mine"
    write(folder, "<p>{{ sender }}</p>", "letter.html.j2")
    pack = load_pack(str(write(folder, "pack: mine\nextends: gov-2021\nletter:\n  template: letter.html.j2\n")))
    (folder / "letter.html.j2").unlink()
    (folder / "letter.html.j2").symlink_to("/etc/passwd")
    result = check_report(read_report(str(REPO / "examples" / "sample-report.txt")), pack)
    with pytest.raises(LetterError, match="规则包所在目录以外"):
        render_letter_html(result, pack, __import__("datetime").date(2025, 3, 5))


def test_files_inside_the_folder_and_nianbao_packs_names_are_allowed(tmp_path, monkeypatch):
    shelf = tmp_path / "province-packs"
    write(shelf / "province", "pack: province\nextends: gov-2021\nparams: {government_deadline_day: 20}\n")
    monkeypatch.setenv("NIANBAO_PACKS", os.pathsep.join([str(tmp_path / "nowhere"), str(shelf)]))
    city = write(tmp_path / "city", "pack: city\nextends: province\nletter:\n  template: ./letters/x.html.j2\n")
    pack = load_pack(str(city))
    assert pack.chain == ["city", "province", "gov-2021", "common"] and pack.params["government_deadline_day"] == 20
    assert pack.letter_template == str(tmp_path / "city" / "letters" / "x.html.j2")
    assert load_pack("province").name == "province"
    local = write(tmp_path / "city", "pack: district\nextends: pack.yaml\n", "district.yaml")
    with pytest.raises(PackError, match="pack 名称"):      # both files are the folder's pack: names differ
        load_pack(str(tmp_path / "city"))
    assert read_pack(str(local)).chain == ["district", "city", "province", "gov-2021", "common"]


# ---------------------------------------------------------------------------
# Bounded YAML and regexes
def run_limited(code: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Python code in a subprocess with a 1 GB address-space limit."""
    prelude = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
               f"import sys; sys.path.insert(0, {str(REPO / 'src')!r})\n")
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def test_an_alias_bomb_is_refused(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = write(tmp_path, "pack: bomb\nextends: gov-2021\nparams:\n  n: 1\n" + "\n".join(levels) + "\n")
    t0 = time.monotonic()
    err = load_error(path)
    assert time.monotonic() - t0 < 2
    assert "别名" in err.message and err.path.startswith(f"{path}:")
    problems = lint_pack(str(path))
    assert len(problems) == 1 and "别名" in problems[0].message


def test_a_narrative_pattern_matching_the_empty_string_is_refused(tmp_path):
    path = write(tmp_path, "pack: loop\nextends: gov-2021\nnarrative:\n  - name: narrative.x\n    label: 某数\n"
                           "    patterns: ['(\\d*)']\n")
    assert_same_place(path, "(\\d*)", "匹配空字符串")


@pytest.mark.parametrize("where", ["locate", "matches"])
@pytest.mark.parametrize("pattern", ["(?:(?:a{1000}){1000}){1000}", "(?:a{1,1000}){1,1000}", "x{100000}"])
def test_nested_counted_repeats_are_refused_before_compiling(tmp_path, pattern, where):
    if where == "locate":
        rule = RULE.replace("    message: 测试\n", f"    message: 测试\n    locate: '{pattern}'\n")
    else:
        rule = RULE.replace("check: section3.new.total < 0", f"check: not matches(section1, \"{pattern}\")")
    path = write(tmp_path, "pack: rx\nextends: gov-2021\nrules:\n" + rule)
    proc = run_limited(f"from nianbao.packs import load_pack, PackError\nimport time\nt = time.monotonic()\n"
                       f"try:\n    load_pack({str(path)!r})\nexcept PackError as e:\n"
                       f"    print(round(time.monotonic() - t, 2), e.message.splitlines()[0])\n")
    seconds, _, message = proc.stdout.partition(" ")
    assert proc.returncode == 0 and float(seconds) < 2, proc.stderr[-2000:]
    assert "计数重复" in message


# ---------------------------------------------------------------------------
# Message templates: budgets, and no way to change the pack
BOMBS = [
    "{{ 'x' * 10**9 }}",
    "{{ 9**(9**9) }}",                  # Jinja's ** is left-associative: 9**9**9 is (9**9)**9, 77 digits
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% set a = 'x' * 100000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c ~ c }}",
    "{% set a = 'x' * 100000 %}{% set b = a + a %}{{ b + b }}",
    "{{ 'x'|center(10**9) }}",
    "{{ (['x' * 100000] * 100000)|join }}",
    "{{ ('x' * 99999).replace('x', 'yyyyyyyyyy') }}",
    "{{ '%999999999d'|format(1) }}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
]


@pytest.mark.parametrize("bomb", BOMBS)
def test_template_bombs_end_fast_with_a_one_line_error(tmp_path, bomb):
    path = write(tmp_path, "pack: bomb\nextends: gov-2021\nrules:\n"
                 + RULE.replace("message: 测试", "message: " + json.dumps(bomb, ensure_ascii=False)))
    code = f"""
import json, time
from nianbao.engine import check_report
from nianbao.packs import load_pack
from nianbao.reading import read_report
pack = load_pack({str(path)!r})
report = read_report({str(CLEAN)!r})
t = time.monotonic()
result = check_report(report, pack)
message = next(f.message for f in result.findings if f.rule == "r1")
print(json.dumps({{"seconds": time.monotonic() - t, "message": message}}, ensure_ascii=False))
"""
    proc = run_limited(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["seconds"] < 2
    assert out["message"].startswith("测试规则（提示信息") and "\n" not in out["message"]
    assert len(out["message"]) < 300


@pytest.mark.parametrize("bomb", BOMBS[:4] + BOMBS[6:8])
def test_letter_template_bombs_end_fast(tmp_path, bomb):
    folder = tmp_path / "mine"
    write(folder, bomb, "letter.html.j2")
    path = write(folder, "pack: mine\nextends: gov-2021\nletter:\n  template: letter.html.j2\n")
    code = f"""
import datetime, time
from nianbao.engine import check_report
from nianbao.outputs.letter import LetterError, render_letter_html
from nianbao.packs import load_pack
from nianbao.reading import read_report
pack = load_pack({str(path)!r})
result = check_report(read_report({str(REPO / 'examples' / 'sample-report.txt')!r}), pack)
t = time.monotonic()
try:
    render_letter_html(result, pack, datetime.date(2025, 3, 5))
except LetterError as exc:
    print(round(time.monotonic() - t, 3), str(exc).replace(chr(10), "/"))
"""
    proc = run_limited(code)
    seconds, _, message = proc.stdout.strip().partition(" ")
    assert proc.returncode == 0 and seconds, proc.stderr[-3000:]
    assert float(seconds) < 2 and "信函模板" in message


def test_a_message_cannot_change_the_pack_for_later_reports(tmp_path):
    path = write(tmp_path, "pack: meddler\nextends: gov-2021\nrules:\n" + RULE.replace(
        "message: 测试", "message: \"{{ params.update({'government_deadline_month': 1}) }}"
                        "{{ params.__setitem__('government_deadline_day', 1) }}{% set x = params.pop('x', 0) %}\""))
    pack = load_pack(str(path))
    before = dict(pack.params)
    report = read_report(str(CLEAN))
    first = check_report(report, pack)
    message = next(f.message for f in first.findings if f.rule == "r1")
    assert "提示信息模板出错" in message
    assert pack.params == before and pack.params["government_deadline_month"] == 3
    second = check_report(report, pack)
    assert [f.rule for f in second.findings] == [f.rule for f in first.findings]


def test_sandbox_budgets_directly():
    env = BoundedSandbox(time_budget=0.5, output_budget=1000)
    assert env.from_string("{% for i in range(3) %}{{ i }}{% endfor %}").render() == "012"
    with pytest.raises(BudgetExceeded, match="超过 1000 个字符"):
        env.from_string("{% for i in range(2000) %}x{% endfor %}").render()
    with pytest.raises(Exception, match="系统保留"):
        env.from_string("{% set _nb_iter = range %}{% for i in range(3) %}{% endfor %}")
    t0 = time.monotonic()
    with pytest.raises(BudgetExceeded):
        env.from_string("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}").render()
    assert time.monotonic() - t0 < 2


# ---------------------------------------------------------------------------
# Registry
def test_the_registry_notices_an_edited_pack_file(tmp_path):
    folder = tmp_path / "mine"
    path = write(folder, "pack: mine\nextends: gov-2021\nparams: {government_deadline_day: 20}\n")
    registry = PackRegistry()
    first = registry.load(str(path))
    assert registry.load(str(path)) is first                      # unchanged: the compiled pack is reused
    path.write_text(path.read_text(encoding="utf-8").replace("day: 20", "day: 25"), encoding="utf-8")
    edited = registry.load(str(path))
    assert edited is not first and edited.params["government_deadline_day"] == 25
    write(folder, "pack: mine\ndisable: [fee-statement]\n", "more.yaml")       # a file added to the folder
    grown = registry.load(str(folder))
    assert "fee-statement" in grown.disabled
    assert registry.load(str(folder)) is grown
    assert not first.rules[0].__dict__.get("quiet")                 # compiled rules hold no memo
