"""Working days in China: the State Council's holidays and make-up working days (调休).

A letter's reply deadline is "N working days after the letter's date". Weekends are not
enough: the Spring Festival and National Day weeks are holidays on weekdays, and some
Saturdays and Sundays are working days in exchange. The official calendar comes from the
`chinesecalendar` package (optional extra `letters`), which knows every year from 2004 to
the year the State Council last published (its data is updated each winter).

Beyond what the package knows (a later year, or the package not installed), the count
falls back to Monday to Friday and says so in `Deadline.note`, a Chinese sentence for the
supervisor (not for the letter): that date may fall in a holiday nobody could know of yet.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_WORKING_DAYS = 366


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    working_days: int
    official: bool            # True: every day counted was in the official calendar
    note: str = ""            # why not (Chinese), for the supervisor; "" when official


def _calendar():
    try:
        import chinese_calendar
    except ImportError:
        return None
    return chinese_calendar


def known_years() -> tuple[int, int] | None:
    """The first and last year the installed calendar knows, or None without the package."""
    cal = _calendar()
    if cal is None:
        return None
    years = [d.year for d in cal.constants.holidays] + [d.year for d in cal.constants.workdays]
    return min(years), max(years)


def official_working_day(day: dt.date) -> bool | None:
    """True/False by the official calendar; None where it does not know the year."""
    cal = _calendar()
    if cal is None:
        return None
    try:
        return bool(cal.is_workday(day))
    except NotImplementedError:      # the package's way of saying "year not in my data"
        return None


def add_working_days(start: dt.date, count: int) -> Deadline:
    """The `count`-th working day after `start` (`start` itself not counted)."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if not 1 <= count <= MAX_WORKING_DAYS:
        raise ValueError(f"working days out of range: {count}")
    day, done = start, 0
    unknown: list[int] = []
    while done < count:
        day += dt.timedelta(days=1)
        working = official_working_day(day)
        if working is None:
            if day.year not in unknown:
                unknown.append(day.year)
            working = day.weekday() < 5
        if working:
            done += 1
    if not unknown:
        return Deadline(day, count, True)
    return Deadline(day, count, False, _fallback_note(unknown))


def _fallback_note(years: list[int]) -> str:
    span = "、".join(f"{y}年" for y in years)
    known = known_years()
    if known is None:
        why = "未安装节假日日历（chinesecalendar，安装 nianbao[letters] 即可）"
    else:
        why = f"节假日日历（chinesecalendar）只收录到{known[1]}年，{span}的放假调休安排尚未收录"
    return (f"{why}，{span}的工作日按周一至周五计算，期限可能落在法定节假日内；"
            f"请核对整改期限，必要时在设置中写明 deadline（固定日期）。")
