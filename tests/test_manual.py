"""What the user manual (docs/使用手册.md) and docs/letters.md promise a supervisor still holds:
their settings file is read as they say, their deadline example is the date the letter
states, and the local rule pack they show passes its own lint and tests."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import REPO
from nianbao import settings, workdays

MANUAL = REPO / "docs" / "使用手册.md"
LETTERS = REPO / "docs" / "letters.md"


def _block(path, lang: str, starts: str) -> str:
    text = path.read_text(encoding="utf-8")
    for body in re.findall(rf"```{lang}\n(.*?)```", text, re.S):
        if body.startswith(starts):
            return body
    raise AssertionError(f"{path.name} lost its {lang} example starting {starts!r}")


@pytest.mark.parametrize("doc", [MANUAL, LETTERS], ids=["manual", "letters"])
def test_the_settings_example_is_read_as_documented(doc, tmp_path):
    (tmp_path / "nianbao.toml").write_text(_block(doc, "toml", "[letter]"), encoding="utf-8")
    s = settings.load(tmp_path / "审核结果", cwd=tmp_path / "elsewhere")
    assert s.sender == "淮安市人民政府办公室" and s.reference == "淮政办函〔2026〕12号"
    assert s.deadline_days == 15 and s.date == dt.date(2026, 2, 10) and s.deadline is None


@pytest.mark.skipif(workdays.known_years() is None, reason="chinesecalendar not installed (pip install -e '.[letters]')")
def test_the_manuals_deadline_example_is_what_the_letter_says():
    text = MANUAL.read_text(encoding="utf-8")
    assert "成文日期为 2026 年 2 月 10 日时，15 个工作日后为 2026 年 3 月 9 日" in text
    assert workdays.add_working_days(dt.date(2026, 2, 10), 15).day == dt.date(2026, 3, 9)
    assert "**9 March 2026**" in LETTERS.read_text(encoding="utf-8")


def test_the_manuals_local_pack_passes_its_own_lint_and_tests(tmp_path, cli):
    pack = tmp_path / "本市-2025.yaml"
    pack.write_text(_block(MANUAL, "yaml", "pack: 本市-2025"), encoding="utf-8")
    lint = cli("rules", "lint", pack)
    assert lint.code == 0 and "错误 0 项" in lint.out, lint.out
    cases = cli("rules", "test", pack)
    assert cases.code == 0 and "失败 0 个" in cases.out, cases.out
    listed = cli("rules", "list", pack)
    assert "city-review-statement" in listed.out and "accountability-statement" in listed.out
    assert "（已停用）" in next(line for line in listed.out.splitlines() if "accountability-statement" in line)
