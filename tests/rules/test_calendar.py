"""LegalCalendar against the official data (chinese_calendar), LAW.md §1I and §3, and the fallback."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from zhiqian.errors import RuleError
from zhiqian.rules.calendar import (
    CALENDAR_DIR_ENV,
    SHIPPED_HOLIDAY_DIR,
    LegalCalendar,
    _fallback_year,
    _statutory_days,
    calendar_dir_from_env,
    holiday_files_in,
)

# No override files: what the package alone says (the shipped folder may gain files later).
CAL = LegalCalendar()


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


# ---------------------------------------------------------------------------------------------
# Official data


def test_every_day_2004_2026_agrees_with_chinese_calendar() -> None:
    for d in _dates(date(2004, 1, 1), date(2026, 12, 31)):
        info = CAL.day(d)
        assert info.workday == chinese_calendar.is_workday(d), d
        assert not info.assumed, d


@pytest.mark.parametrize(
    ("d", "festival"),
    [
        (date(2019, 9, 29), "国庆节"),  # Sun
        (date(2019, 10, 12), "国庆节"),  # Sat
        (date(2020, 1, 19), "春节"),  # Sun
        (date(2025, 1, 26), "春节"),  # Sun
        (date(2025, 2, 8), "春节"),  # Sat
        (date(2025, 4, 27), "劳动节"),  # Sun
        (date(2025, 9, 28), "国庆节"),  # Sun
        (date(2025, 10, 11), "国庆节"),  # Sat
        (date(2026, 1, 4), "元旦"),  # Sun
        (date(2026, 2, 14), "春节"),  # Sat
        (date(2026, 2, 28), "春节"),  # Sat
        (date(2026, 5, 9), "劳动节"),  # Sat
        (date(2026, 9, 20), "国庆节"),  # Sun
        (date(2026, 10, 10), "国庆节"),  # Sat
    ],
)
def test_known_makeup_working_weekends(d: date, festival: str) -> None:
    info = CAL.day(d)
    assert d.weekday() >= 5
    assert info.workday
    assert info.makeup
    assert info.makeup_for == festival
    assert info.holiday is None
    assert not info.assumed
    assert CAL.is_workday(d)


@pytest.mark.parametrize(
    ("first", "last", "festival"),
    [
        (date(2019, 10, 1), date(2019, 10, 7), "国庆节"),
        (date(2020, 1, 24), date(2020, 2, 2), "春节"),  # extended to 02-02 in 2020
        (date(2025, 1, 28), date(2025, 2, 4), "春节"),
        (date(2025, 10, 1), date(2025, 10, 5), "国庆节"),
        (date(2026, 2, 15), date(2026, 2, 23), "春节"),
        (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    ],
)
def test_holiday_blocks(first: date, last: date, festival: str) -> None:
    for d in _dates(first, last):
        info = CAL.day(d)
        assert not info.workday, d
        # 2025's 中秋 (10-06) sits inside the National Day block under its own name.
        assert info.holiday in {festival, "中秋节"}, d
    assert CAL.is_workday(first - timedelta(days=1)) or CAL.day(first - timedelta(days=1)).weekend
    assert CAL.next_workday_after(last) > last


@pytest.mark.parametrize("year", range(2019, 2027))
def test_spring_festival_and_national_day_makeups_match_package(year: int) -> None:
    """Every 调休 working weekend of 春节 and 国庆 in 2019–2026, as the package lists them."""
    from chinese_calendar.constants import workdays

    for english, zh in (("Spring Festival", "春节"), ("National Day", "国庆节")):
        expected = {d for d, name in workdays.items() if d.year == year and name == english}
        ours = {
            d
            for d in _dates(date(year, 1, 1), date(year, 12, 31))
            if CAL.day(d).makeup and CAL.day(d).makeup_for == zh
        }
        assert ours == expected, (year, zh)
        assert all(d.weekday() >= 5 and CAL.is_workday(d) for d in ours)


def test_new_year_block_reaching_into_december() -> None:
    # The 2019 notice: 2018-12-29 (Sat) working, 2018-12-30 … 2019-01-01 off.
    assert CAL.day(date(2018, 12, 29)).makeup
    assert CAL.day(date(2018, 12, 31)).holiday == "元旦"
    assert "2019" in CAL.day(date(2018, 12, 31)).source


# ---------------------------------------------------------------------------------------------
# Spring Festival anchors (LAW.md §3)

BREAK_STARTS = {
    2019: (date(2019, 2, 4), date(2019, 2, 4)),
    2020: (date(2020, 1, 24), date(2020, 1, 24)),
    2021: (date(2021, 2, 11), date(2021, 2, 11)),
    2022: (date(2022, 1, 31), date(2022, 1, 31)),
    2023: (date(2023, 1, 21), date(2023, 1, 21)),
    2024: (date(2024, 2, 10), date(2024, 2, 9)),  # break starts the day AFTER 除夕
    2025: (date(2025, 1, 28), date(2025, 1, 28)),
    2026: (date(2026, 2, 15), date(2026, 2, 16)),  # break starts the day BEFORE 除夕
}


@pytest.mark.parametrize("year", sorted(BREAK_STARTS))
def test_spring_festival_break_start_vs_chuxi(year: int) -> None:
    start, chuxi = BREAK_STARTS[year]
    assert CAL.chuxi(year) == chuxi
    assert CAL.spring_festival(year) == chuxi + timedelta(days=1)
    assert CAL.spring_festival_break_start(year) == (start, False)
    assert not CAL.is_workday(start)
    assert CAL.day(start).holiday == "春节"
    assert CAL.day(start - timedelta(days=1)).holiday != "春节"


def test_break_start_without_a_notice_is_chuxi_and_assumed() -> None:
    assert CAL.spring_festival_break_start(2027) == (date(2027, 2, 5), True)
    assert CAL.spring_festival(2027) == date(2027, 2, 6)
    assert CAL.spring_festival_break_start(2031) == (CAL.chuxi(2031), True)


def test_lunar_years_outside_lunardate_raise_a_clear_error() -> None:
    with pytest.raises(ValueError, match="1900–2099"):
        CAL.spring_festival(2100)


def test_last_and_next_workday_around_the_2026_break() -> None:
    assert CAL.last_workday_before(date(2026, 2, 15)) == date(2026, 2, 14)
    assert CAL.next_workday_after(date(2026, 2, 14)) == date(2026, 2, 24)
    assert CAL.next_workday_after(date(2026, 2, 27)) == date(2026, 2, 28)  # 调休 Saturday
    assert CAL.last_workday_before(date(2026, 3, 2)) == date(2026, 2, 28)


# ---------------------------------------------------------------------------------------------
# Fallback past the data


def test_2027_is_assumed_and_never_raises() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    for d in _dates(date(2027, 1, 1), date(2027, 12, 31)):
        info = CAL.day(d)
        assert info.assumed
        assert "推定" in info.source
    assert CAL.coverage() == ((2004, 2026),)
    assert not CAL.is_official(2027)


def test_2027_fallback_holidays() -> None:
    off = {d: CAL.day(d).holiday for d in _dates(date(2027, 1, 1), date(2027, 12, 31))}
    holidays = {d: n for d, n in off.items() if n}
    expected = {
        date(2027, 1, 1): "元旦",
        # 除夕 Fri 02-05, 初一…初三 Sat–Mon; 补假 for Sat/Sun on Tue 02-09 and Wed 02-10.
        **{d: "春节" for d in _dates(date(2027, 2, 5), date(2027, 2, 10))},
        date(2027, 4, 5): "清明节",
        # 05-01 Sat, 05-02 Sun → 补假 Mon 05-03, Tue 05-04.
        **{d: "劳动节" for d in _dates(date(2027, 5, 1), date(2027, 5, 4))},
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        # 10-01 Fri, 10-02 Sat, 10-03 Sun → 补假 Mon 10-04, Tue 10-05.
        **{d: "国庆节" for d in _dates(date(2027, 10, 1), date(2027, 10, 5))},
    }
    assert holidays == expected
    assert not CAL.is_workday(date(2027, 2, 9))
    assert "补假" in CAL.day(date(2027, 2, 9)).source
    assert CAL.is_workday(date(2027, 2, 11))
    assert not CAL.is_workday(date(2027, 2, 13))  # a plain Saturday: no 调休 known


def test_statutory_days_are_off_in_every_official_year() -> None:
    """The fallback's lunar and solar-term arithmetic against 23 years of real notices."""
    for year in range(2004, 2027):
        _, festivals = _statutory_days(year)
        for name, days in festivals:
            for d in days:
                assert not CAL.is_workday(d), (year, name, d)


def test_fallback_buxiu_matches_real_notices_except_two_known_years() -> None:
    # 补假 on the next weekday matched the notices in 21 of 23 years; in 2012 the 端午 day was
    # made up on the Friday before, and in 2015 the 中秋 Sunday was not made up at all.
    mismatches = {
        d for year in range(2004, 2027) for d in _fallback_year(year) if CAL.is_workday(d)
    }
    assert mismatches == {date(2012, 6, 25), date(2015, 9, 28)}


def test_far_future_without_lunar_data_still_answers() -> None:
    info = CAL.day(date(2150, 10, 1))
    assert info.assumed
    assert info.holiday == "国庆节"
    assert CAL.day(date(2150, 3, 3)).assumed
    assert "lunardate" in CAL.day(date(2150, 1, 1)).source


def test_fallback_before_the_data() -> None:
    info = CAL.day(date(2003, 10, 1))
    assert info.assumed
    assert info.holiday == "国庆节"
    assert not CAL.is_workday(date(2003, 5, 3))  # 1999 text: 劳动节 3 days


# ---------------------------------------------------------------------------------------------
# Local extra days, construction, helpers


def test_local_extra_days() -> None:
    cal = LegalCalendar(
        extra_holidays={date(2026, 3, 13): "本地停工：防汛"},
        extra_workdays={date(2026, 3, 14): "本地加班日"},
        extras_source="packs/yangnong.yaml",
    )
    off = cal.day(date(2026, 3, 13))
    assert not off.workday
    assert off.local
    assert off.holiday == "本地停工：防汛"
    assert off.source == "packs/yangnong.yaml"
    on = cal.day(date(2026, 3, 14))
    assert on.workday
    assert on.makeup
    assert on.makeup_for == "本地加班日"
    assert CAL.is_workday(date(2026, 3, 13))
    assert not CAL.is_workday(date(2026, 3, 14))
    assert cal.fingerprint == CAL.fingerprint
    assert cal.version != CAL.version
    derived = CAL.with_extras(extra_holidays={date(2027, 3, 1): "本地停工"})
    assert not derived.is_workday(date(2027, 3, 1))
    assert not derived.day(date(2027, 3, 1)).assumed  # the day itself is known
    assert CAL.is_workday(date(2027, 3, 1))


def test_local_extra_days_conflict() -> None:
    with pytest.raises(RuleError) as e:
        LegalCalendar(
            extra_holidays={date(2026, 3, 13): "停工"},
            extra_workdays={date(2026, 3, 13): "加班"},
            extras_source="packs/x.yaml",
        )
    assert e.value.file == "packs/x.yaml"
    assert "2026-03-13 is both" in str(e.value)


def test_day_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="local date"):
        CAL.day(datetime(2026, 2, 14, 10, 0))  # type: ignore[arg-type]


def test_coverage_text_and_official_years() -> None:
    assert CAL.coverage_text() == "2004–2026"
    assert CAL.official_years() == frozenset(range(2004, 2027))


def test_default_reads_the_shipped_folder_and_given_folders(tmp_path: Path) -> None:
    assert SHIPPED_HOLIDAY_DIR.is_dir()
    assert LegalCalendar.default().coverage()[0][0] == 2004
    (tmp_path / "notes.txt").write_text("not a calendar file", encoding="utf-8")
    (tmp_path / "2027.yaml").write_text(
        "year: 2027\nsource: test notice\nholidays:\n  - {name: 元旦, date: 2027-01-01}\n",
        encoding="utf-8",
    )
    cal = LegalCalendar.default(tmp_path)
    assert cal.is_official(2027)
    assert holiday_files_in(tmp_path) == [tmp_path / "2027.yaml"]


def test_missing_folder_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="does not exist"):
        LegalCalendar.default(tmp_path / "nope")


def test_calendar_dir_from_env() -> None:
    assert calendar_dir_from_env({}) is None
    assert calendar_dir_from_env({CALENDAR_DIR_ENV: "  "}) is None
    assert calendar_dir_from_env({CALENDAR_DIR_ENV: "/etc/zhiqian/cal"}) == Path("/etc/zhiqian/cal")
