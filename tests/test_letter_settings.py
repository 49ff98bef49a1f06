"""Campaign settings (nianbao.toml), the reply deadline in official working days, and the
batch's `write_letters`: what a supervisor sets once and what the agency then reads."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest

from conftest import REPO
from nianbao import settings as settings_mod
from nianbao import workdays
from nianbao.cli import build_parser
from nianbao.engine import check_report
from nianbao.outputs.letter import letter_context, write_letters
from nianbao.packs import load_pack
from nianbao.reading import read_report
from nianbao.settings import LetterSettings, SettingsError

SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"
BEFORE_SPRING_FESTIVAL = dt.date(2026, 2, 10)      # a Tuesday; 春节 2026 is 15-23 February

needs_calendar = pytest.mark.skipif(workdays.known_years() is None,
                                    reason="chinesecalendar not installed (pip install -e '.[letters]')")


@pytest.fixture(scope="module")
def pack():
    return load_pack("gov-2021")


@pytest.fixture(scope="module")
def sample(pack):
    return check_report(read_report(str(SAMPLE)), pack)


def docx_texts(path: Path) -> list[str]:
    doc = docx.Document(str(path))
    head = doc.sections[0].first_page_header.paragraphs
    return [p.text for p in [*head, *doc.paragraphs] if p.text.strip()]


# ---------------------------------------------------------------------------
# working days
@needs_calendar
def test_spring_festival_2026_is_skipped_and_make_up_days_count():
    # 11, 12, 13 Feb (3); Saturday 14 Feb is a make-up working day (4); 15-23 Feb holiday;
    # 24-27 Feb (8); Saturday 28 Feb make-up day (9); 2-6 March (14); Monday 9 March (15).
    deadline = workdays.add_working_days(BEFORE_SPRING_FESTIVAL, 15)
    assert deadline.day == dt.date(2026, 3, 9) and deadline.official and deadline.note == ""
    assert workdays.add_working_days(dt.date(2026, 2, 13), 1).day == dt.date(2026, 2, 14)   # 调休 Saturday
    assert workdays.add_working_days(dt.date(2026, 2, 14), 1).day == dt.date(2026, 2, 24)   # after the holiday
    assert workdays.add_working_days(dt.date(2025, 3, 5), 15).day == dt.date(2025, 3, 26)   # an ordinary month


@needs_calendar
def test_letter_before_spring_festival_states_the_working_day_deadline(sample, pack):
    ctx = letter_context(sample, pack, BEFORE_SPRING_FESTIVAL)
    assert ctx["deadline"] == "2026-03-09" and ctx["deadline_days"] == 15 and not ctx["deadline_note"]
    assert "请于2026年3月9日前完成整改并重新公开" in ctx["closing"]
    # Counting calendar days (three weeks) would have asked for 3 March, mid-way through the catch-up.
    assert ctx["deadline"] != (BEFORE_SPRING_FESTIVAL + dt.timedelta(days=21)).isoformat()


@needs_calendar
def test_year_beyond_the_calendar_falls_back_to_weekdays_and_says_so(sample, pack):
    last = workdays.known_years()[1]
    start = dt.date(last, 12, 21)
    deadline = workdays.add_working_days(start, 15)
    assert deadline.day.year == last + 1 and not deadline.official
    assert f"{last + 1}年" in deadline.note and "周一至周五" in deadline.note and "chinesecalendar" in deadline.note
    # Monday to Friday beyond the calendar: count the weekdays back from the deadline.
    day, n = start, 0
    while day < deadline.day:
        day += dt.timedelta(days=1)
        known = workdays.official_working_day(day)
        n += known if known is not None else day.weekday() < 5
    assert n == 15 and workdays.official_working_day(deadline.day) is None and deadline.day.weekday() < 5
    ctx = letter_context(sample, pack, start)
    assert ctx["deadline_note"] == deadline.note
    # The note is for the supervisor: the letter itself only states the date.
    assert not any("chinesecalendar" in b["text"] or "周一至周五" in b["text"] for b in ctx["blocks"])


def test_without_the_calendar_package_weekdays_are_counted_and_said(monkeypatch):
    monkeypatch.setattr(workdays, "_calendar", lambda: None)
    deadline = workdays.add_working_days(dt.date(2026, 2, 10), 15)
    assert deadline.day == dt.date(2026, 3, 3)           # weekends only: the holiday is not known
    assert not deadline.official and "未安装" in deadline.note and "nianbao[letters]" in deadline.note


# ---------------------------------------------------------------------------
# settings file
TOML = """\
[letter]
sender = "示例市人民政府办公室"
reference = "示政办函〔2026〕8号"
signatory = "示例市政务公开办"
contact = "联系人：王五，电话：010-12345678"
deadline_days = 15
date = 2026-02-10
"""


def test_settings_file_beside_the_outputs_then_current_folder(tmp_path):
    campaign = tmp_path / "campaign"
    out = campaign / "reports_out"
    out.mkdir(parents=True)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    assert settings_mod.load(out, cwd=elsewhere) == LetterSettings()          # no file: nothing set
    (elsewhere / "nianbao.toml").write_text('[letter]\nsender = "当前目录的机关"\n', encoding="utf-8")
    assert settings_mod.load(out, cwd=elsewhere).sender == "当前目录的机关"
    (campaign / "nianbao.toml").write_text(TOML, encoding="utf-8")             # beside the output folder
    s = settings_mod.load(out, cwd=elsewhere)
    assert (s.sender, s.reference, s.signatory, s.deadline_days, s.date) == (
        "示例市人民政府办公室", "示政办函〔2026〕8号", "示例市政务公开办", 15, dt.date(2026, 2, 10))
    assert s.source == str(campaign / "nianbao.toml")
    (out / "nianbao.toml").write_text('[letter]\nsender = "输出目录内的机关"\n', encoding="utf-8")
    assert settings_mod.load(out, cwd=elsewhere).sender == "输出目录内的机关"   # in the folder itself first
    # The command line wins key by key; unset flags (None) leave the file's value.
    s = settings_mod.load(campaign, {"sender": "命令行机关", "contact": None, "deadline_days": 10}, cwd=elsewhere)
    assert (s.sender, s.contact, s.deadline_days) == ("命令行机关", "联系人：王五，电话：010-12345678", 10)


@pytest.mark.parametrize("content, message", [
    ("[letter\nsender = 1", "格式错误（TOML）"),
    ('[letter]\nsendr = "甲"\n', "未知的设置：sendr"),
    ('sender = "甲"\n', "应写在 [letter] 下"),
    ("[letter]\ndeadline_days = 0\n", "deadline_days 应为 1 至 366"),
    ('[letter]\ndeadline_days = "十五"\n', "deadline_days 应为 1 至 366"),
    ("[letter]\nsender = 12\n", "sender 应为文字"),
    ('[letter]\ndate = "2026年2月10日"\n', "date 应为日期"),
    ('[letter]\nreference = "' + "长" * 300 + '"\n', "reference 过长"),
])
def test_bad_settings_file_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "nianbao.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        settings_mod.load(tmp_path, cwd=tmp_path)
    assert message in info.value.message and info.value.path == str(path)
    assert "\n" not in str(info.value)


def test_settings_file_not_utf8_or_huge(tmp_path):
    path = tmp_path / "nianbao.toml"
    path.write_bytes('[letter]\nsender = "示例"\n'.encode("gbk"))
    with pytest.raises(SettingsError, match="UTF-8"):
        settings_mod.read_file(path)
    path.write_text("#" * (settings_mod.MAX_FILE_BYTES + 1), encoding="utf-8")
    with pytest.raises(SettingsError, match="设置文件过大"):
        settings_mod.read_file(path)


def test_command_line_flags_map_onto_settings(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["check", "reports/", "--out", str(tmp_path), "--sender", "甲办", "--reference", "甲函〔2026〕1号",
                              "--signatory", "甲", "--contact", "电话：1", "--deadline-days", "20"])
    assert settings_mod.overrides_from_args(args) == {"sender": "甲办", "reference": "甲函〔2026〕1号",
                                                      "signatory": "甲", "contact": "电话：1", "deadline_days": 20}
    args = parser.parse_args(["letter", "a.pdf", "--signatory", "乙", "--deadline-days", "5"])
    assert settings_mod.overrides_from_args(args)["signatory"] == "乙"
    with pytest.raises(SettingsError, match="deadline_days"):
        settings_mod.load(tmp_path, {"deadline_days": -3}, cwd=tmp_path)


# ---------------------------------------------------------------------------
# the batch's call
@needs_calendar
def test_write_letters_with_settings_writes_html_and_docx_signed_by_the_office(sample, pack, tmp_path):
    out = tmp_path / "reports_out"
    out.mkdir()
    (out / "nianbao.toml").write_text(TOML, encoding="utf-8")
    files = write_letters(sample, pack, settings_mod.load(out), out, "sample-report")
    assert dict(files) == {"html": "letters/sample-report.html", "docx": "letters/sample-report.docx"}
    assert files.notes == []
    texts = docx_texts(out / files["docx"])
    assert texts[0] == "示例市人民政府办公室" and texts[1] == "示政办函〔2026〕8号"
    assert texts[-3:] == ["示例市政务公开办", "2026年2月10日", "（联系人：王五，电话：010-12345678）"]
    assert any("请于2026年3月9日前完成整改并重新公开" in t for t in texts)
    html = (out / files["html"]).read_text(encoding="utf-8")
    assert "示政办函〔2026〕8号" in html and "2026年3月9日" in html and "示例市政务公开办" in html
    assert sorted(p.name for p in (out / "letters").iterdir()) == ["sample-report.docx", "sample-report.html"]


def test_write_letters_for_a_clean_report_writes_nothing(pack, tmp_path):
    result = check_report(read_report(str(CLEAN)), pack)
    files = write_letters(result, pack, LetterSettings(date=dt.date(2026, 2, 10)), tmp_path, "clean")
    assert files == {} and not (tmp_path / "letters").exists()
    files = write_letters(result, pack, None, tmp_path, "clean", formats=("docx",))
    assert files == {}


def test_write_letters_refuses_a_name_with_a_path(sample, pack, tmp_path):
    from nianbao.outputs.letter import LetterError
    with pytest.raises(LetterError, match="路径"):
        write_letters(sample, pack, None, tmp_path, "../escape")
    with pytest.raises(LetterError, match="不支持的函件格式"):
        write_letters(sample, pack, None, tmp_path, "x", formats=("pdf",))
    assert not (tmp_path.parent / "escape.html").exists()
