"""compute_deadline: LAW.md §1I worked examples, roll-over, pauses, extensions, zones, trace."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import Deadline, compute_deadline, end_of_local_day
from zhiqian.rules.limits import Limit, LimitUnit, parse_limit

SH = ZoneInfo("Asia/Shanghai")
CAL = LegalCalendar()


def at(text: str) -> datetime:
    """'2026-02-13 10:00' in Shanghai, or any ISO string with its own offset."""
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=SH)


def dl(limit: str, start: str, **kw: object) -> Deadline:
    kw.setdefault("calendar", CAL)
    return compute_deadline(parse_limit(limit), at(start), **kw)  # type: ignore[arg-type]


def local_day(d: Deadline) -> date:
    assert d.at is not None
    return d.at.astimezone(SH).date()


# ---------------------------------------------------------------------------------------------
# LAW.md §1I worked examples


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        ("2026-02-13 10:00", "5 workdays", date(2026, 2, 27)),  # Fri → Fri, Sat 02-14 counts
        ("2026-02-10 10:00", "5 workdays", date(2026, 2, 24)),  # Tue → Tue
        ("2025-09-26 10:00", "5 workdays", date(2025, 10, 10)),  # Fri → Fri, Sun 09-28 counts
        ("2026-01-30 10:00", "60 workdays", date(2026, 5, 6)),  # 立案 Fri → Wed
        ("2026-02-13 10:00", "60 workdays", date(2026, 5, 19)),  # Fri → Tue
    ],
)
def test_law_worked_examples(start: str, limit: str, expected: date) -> None:
    d = dl(limit, start)
    assert d.at == datetime.combine(expected, datetime.min.time(), SH).replace(
        hour=23, minute=59, second=59
    ).astimezone(UTC)
    assert d.at is not None
    assert d.at.tzinfo is UTC
    assert local_day(d) == expected
    assert not d.assumed
    assert not d.paused
    assert len(d.trace.segments[0].counted) == parse_limit(limit).n


def test_trace_of_the_spring_festival_example() -> None:
    d = dl("5 workdays", "2026-02-13 10:00")
    lines = d.trace.lines()
    assert lines == [
        "期限：5 个工作日（5 workdays）",
        "起算：2026-02-13 周五 10:00（当日不计入；时区 Asia/Shanghai）",
        "计入：第1–5个工作日，2026-02-14 周六 至 2026-02-27 周五",
        "调休上班：2026-02-14 周六 春节（计入）",
        "跨越法定节假日：2026-02-15…02-23 春节（9天）",
        "届满：2026-02-27 周五 23:59:59（Asia/Shanghai；UTC 2026-02-27 15:59:59）",
    ]
    assert d.trace.holidays[0] == (date(2026, 2, 15), "春节")
    assert d.trace.makeup_days == ((date(2026, 2, 14), "春节"),)
    data = d.trace.to_dict()
    json.dumps(data, ensure_ascii=False)
    assert data["segments"][0]["counted"][0] == "2026-02-14"
    assert data["at"] == "2026-02-27T15:59:59+00:00"


def test_trace_counts_weekends() -> None:
    d = dl("5 workdays", "2025-09-26 10:00")
    assert d.trace.weekends_skipped == 1  # Sat 09-27; Sun 09-28 was a working day
    assert "跨越法定节假日：2025-10-01…10-05 国庆节（5天）" in d.trace.lines()


# ---------------------------------------------------------------------------------------------
# Past the data: 2027


def test_60_workdays_into_2027_is_assumed_and_says_so() -> None:
    d = dl("60 workdays", "2026-12-15 10:00")
    assert d.assumed
    assert d.at is not None
    assert local_day(d) == date(2027, 3, 16)
    assert d.trace.assumed_years == (2027,)
    assert any("调休 unknown for 2027: statutory holidays assumed" in x for x in d.lines())
    assert "跨越法定节假日：2027-02-05…02-10 春节（6天）" in d.lines()


def test_2027_override_file_makes_it_official_and_moves_the_date(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(
        "year: 2027\n"
        "source: 国务院办公厅关于2027年部分节假日安排的通知（测试）\n"
        "holidays:\n"
        "  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
        "  - {name: 春节, from: 2027-02-05, to: 2027-02-12}\n"
        "workdays:\n"
        "  - {name: 春节, date: 2027-02-14}\n",
        encoding="utf-8",
    )
    cal = LegalCalendar(override_files=[path])
    d = dl("60 workdays", "2026-12-15 10:00", calendar=cal)
    assert not d.assumed
    assert d.trace.assumed_years == ()
    # 6 weekdays off instead of 4, one Sunday worked: one working day later than the fallback.
    assert local_day(d) == date(2027, 3, 17)
    assert "调休上班：2027-02-14 周日 春节（计入）" in d.lines()


def test_assumed_only_when_the_path_reaches_the_fallback() -> None:
    assert not dl("5 workdays", "2026-12-15 10:00").assumed
    assert dl("15 workdays", "2026-12-15 10:00").assumed


# ---------------------------------------------------------------------------------------------
# Natural days and roll-over


def test_natural_days_roll_over_a_holiday() -> None:
    d = dl("15 days", "2026-02-05 10:00")  # 02-20 is inside the 春节 block
    assert local_day(d) == date(2026, 2, 24)
    seg = d.trace.segments[0]
    assert seg.rolled_over == (date(2026, 2, 20), date(2026, 2, 24), "为法定节假日（春节）")
    assert any(x.startswith("顺延：2026-02-20 周五") for x in d.lines())
    assert local_day(dl("15 days", "2026-02-05 10:00", roll_over="holiday")) == date(2026, 2, 24)
    assert local_day(dl("15 days", "2026-02-05 10:00", roll_over="none")) == date(2026, 2, 20)


def test_roll_over_modes_differ_on_weekends() -> None:
    # 2026-03-07 is an ordinary Saturday.
    assert local_day(dl("5 days", "2026-03-02 09:00")) == date(2026, 3, 9)
    assert local_day(dl("5 days", "2026-03-02 09:00", roll_over="holiday")) == date(2026, 3, 7)
    assert local_day(dl("5 days", "2026-03-02 09:00", roll_over="none")) == date(2026, 3, 7)
    # A holiday ending on a Friday: the literal rule lands on the Saturday after it.
    cal = LegalCalendar(extra_holidays={date(2026, 3, 13): "本地停工"})
    assert local_day(dl("14 days", "2026-02-27 09:00", calendar=cal)) == date(2026, 3, 16)
    assert local_day(dl("14 days", "2026-02-27 09:00", calendar=cal, roll_over="holiday")) == date(
        2026, 3, 14
    )


def test_makeup_saturday_needs_no_roll_over() -> None:
    d = dl("10 days", "2026-02-04 09:00")
    assert local_day(d) == date(2026, 2, 14)
    assert d.trace.segments[0].rolled_over is None


def test_count_start_day() -> None:
    assert local_day(dl("5 workdays", "2026-02-13 10:00", count_start_day=True)) == date(
        2026, 2, 26
    )
    assert local_day(dl("15 days", "2026-03-02 10:00", count_start_day=True)) == date(2026, 3, 16)
    d = dl("5 workdays", "2026-02-13 10:00", count_start_day=True)
    assert "（当日计入；" in d.lines()[1]


def test_start_on_a_day_off() -> None:
    assert local_day(dl("1 workdays", "2026-02-21 10:00")) == date(2026, 2, 24)
    assert local_day(dl("1 workdays", "2026-02-21 10:00", count_start_day=True)) == date(
        2026, 2, 24
    )


# ---------------------------------------------------------------------------------------------
# Word limits


def test_end_of_day_and_next_day() -> None:
    d = dl("end_of_day", "2026-02-14 09:00")
    assert d.at == datetime(2026, 2, 14, 15, 59, 59, tzinfo=UTC)
    assert local_day(dl("next_day", "2026-02-13 17:00")) == date(2026, 2, 14)  # 调休 Saturday
    assert local_day(dl("next_day", "2026-02-14 17:00")) == date(2026, 2, 24)
    assert local_day(dl("next_day", "2026-02-27 17:00")) == date(2026, 2, 28)


def test_hours() -> None:
    d = dl("24 hours", "2026-02-14 10:00")
    assert d.at == datetime(2026, 2, 15, 2, 0, tzinfo=UTC)  # hours run through holidays
    assert "按小时连续计算" in d.lines()[1]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-02-01 09:00", date(2026, 2, 14)),  # the 调休 Saturday before the break
        ("2025-12-01 09:00", date(2026, 2, 14)),
        ("2024-01-10 09:00", date(2024, 2, 9)),  # break 02-10 begins after 除夕 (a working Fri)
        ("2025-01-27 09:00", date(2025, 1, 27)),  # the last working day itself
        ("2025-01-28 09:00", date(2026, 2, 14)),  # 2025's break has begun
    ],
)
def test_before_spring_festival(start: str, expected: date) -> None:
    d = dl("before_spring_festival", start)
    assert local_day(d) == expected
    assert not d.assumed


def test_before_spring_festival_2027_is_assumed() -> None:
    d = dl("before_spring_festival", "2026-02-15 09:00")
    assert d.assumed
    assert local_day(d) == date(2027, 2, 4)
    anchor = d.trace.segments[0].anchor
    assert anchor is not None
    assert "按除夕推定" in anchor
    assert "已于 2026-02-15 开始" in anchor


def test_before_spring_festival_never_before_the_start() -> None:
    # A local day off on the 调休 Saturday leaves no working day between Sat and the break.
    cal = LegalCalendar(extra_holidays={date(2026, 2, 14): "本地停工"})
    d = dl("before_spring_festival", "2026-02-14 09:00", calendar=cal)
    assert local_day(d) == date(2027, 2, 4)
    assert "2026年春节假期前已无工作日" in (d.trace.segments[0].anchor or "")
    assert local_day(dl("before_spring_festival", "2026-02-13 09:00", calendar=cal)) == date(
        2026, 2, 13
    )


@pytest.mark.parametrize(
    ("start", "expected", "assumed"),
    [
        ("2026-06-01 09:00", date(2026, 12, 31), False),
        ("2022-03-01 09:00", date(2022, 12, 30), False),  # 12-31 is a Saturday
        ("2018-12-01 09:00", date(2018, 12, 29), False),  # 调休 Saturday, 12-30/31 off
        ("2018-12-30 09:00", date(2019, 12, 31), False),  # nothing left in 2018
        ("2028-03-01 09:00", date(2028, 12, 29), True),  # 12-31 Sunday, no notice
    ],
)
def test_before_new_year(start: str, expected: date, assumed: bool) -> None:
    d = dl("before_new_year", start)
    assert local_day(d) == expected
    assert d.assumed is assumed


# ---------------------------------------------------------------------------------------------
# Time zones: days are local dates of the pack's zone


def test_received_late_evening_local_vs_utc() -> None:
    a = dl("5 workdays", "2026-02-12T23:30:00+08:00")
    b = dl("5 workdays", "2026-02-12T15:30:00+00:00")  # the same instant
    c = dl("5 workdays", "2026-02-12T16:30:00+00:00")  # 00:30 on 02-13 in Shanghai
    assert a.at == b.at
    assert local_day(a) == date(2026, 2, 26)
    assert local_day(c) == date(2026, 2, 27)
    assert "起算：2026-02-13 周五 00:30" in c.lines()[1]
    assert dl("end_of_day", "2026-02-12T15:30:00Z").at == datetime(
        2026, 2, 12, 15, 59, 59, tzinfo=UTC
    )
    assert dl("end_of_day", "2026-02-12T16:30:00Z").at == datetime(
        2026, 2, 13, 15, 59, 59, tzinfo=UTC
    )


def test_another_zone_with_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    d = compute_deadline(
        parse_limit("end_of_day"), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), calendar=CAL, tz=berlin
    )
    assert d.at == datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)  # CEST, +02:00
    assert end_of_local_day(date(2026, 1, 5), berlin) == datetime(
        2026, 1, 5, 22, 59, 59, tzinfo=UTC
    )


# ---------------------------------------------------------------------------------------------
# Pauses


def test_pause_within_a_day_costs_nothing() -> None:
    base = dl("5 workdays", "2026-03-06 10:00")
    d = dl(
        "5 workdays", "2026-03-06 10:00", pauses=[(at("2026-03-10 09:00"), at("2026-03-10 17:00"))]
    )
    assert d.at == base.at
    assert local_day(d) == date(2026, 3, 13)
    assert d.trace.pauses[0].days_not_counted == ()
    assert any("不影响期限" in x for x in d.lines())


def test_pause_across_days() -> None:
    d = dl(
        "5 workdays",
        "2026-03-06 10:00",
        pauses=[(at("2026-03-10 10:00"), at("2026-03-12 09:00"))],
    )
    assert local_day(d) == date(2026, 3, 17)
    assert d.trace.pauses[0].days_not_counted == (date(2026, 3, 10), date(2026, 3, 11))
    assert any(
        x.startswith("中止：2026-03-10 周二 10:00 至 2026-03-12 周四 09:00，2 个工作日不计入")
        for x in d.lines()
    )


def test_pause_across_a_holiday_charges_only_working_days() -> None:
    base = dl("5 workdays", "2026-02-12 10:00")
    assert local_day(base) == date(2026, 2, 26)
    over_holiday = dl(
        "5 workdays", "2026-02-12 10:00", pauses=[(at("2026-02-15 08:00"), at("2026-02-23 18:00"))]
    )
    assert over_holiday.at == base.at
    from_saturday = dl(
        "5 workdays", "2026-02-12 10:00", pauses=[(at("2026-02-14 18:00"), at("2026-02-24 08:00"))]
    )
    assert local_day(from_saturday) == date(2026, 2, 27)
    assert from_saturday.trace.pauses[0].days_not_counted == (date(2026, 2, 14),)


def test_pause_boundary_at_midnight() -> None:
    # Resumed at 00:00 of 03-11: 03-10 ended paused. Paused from 00:00 of 03-11: 03-10 counted.
    resumed = dl(
        "5 workdays", "2026-03-06 10:00", pauses=[(at("2026-03-10 12:00"), at("2026-03-11 00:00"))]
    )
    assert resumed.trace.pauses[0].days_not_counted == (date(2026, 3, 10),)
    starts = dl(
        "5 workdays", "2026-03-06 10:00", pauses=[(at("2026-03-11 00:00"), at("2026-03-11 12:00"))]
    )
    assert starts.trace.pauses[0].days_not_counted == ()


def test_pause_natural_days() -> None:
    d = dl("15 days", "2026-03-01 10:00", pauses=[(at("2026-03-05 12:00"), at("2026-03-08 12:00"))])
    assert local_day(d) == date(2026, 3, 19)
    assert len(d.trace.pauses[0].days_not_counted) == 3


def test_pause_hours() -> None:
    d = dl(
        "24 hours", "2026-03-02 10:00", pauses=[(at("2026-03-02 12:00"), at("2026-03-02 14:30"))]
    )
    assert d.at == at("2026-03-03 12:30")
    assert d.trace.pauses[0].time_added == timedelta(hours=2, minutes=30)
    assert any("顺延 2小时30分" in x for x in d.lines())
    late = dl("24 hours", "2026-03-02 10:00", pauses=[(at("2026-03-04 12:00"), None)])
    assert late.at == at("2026-03-03 10:00")
    assert not late.paused


def test_open_pause_leaves_the_deadline_unknown() -> None:
    d = dl("60 workdays", "2026-03-02 10:00", pauses=[(at("2026-03-20 15:00"), None)])
    assert d.paused
    assert d.at is None
    assert d.trace.end is None
    assert d.trace.segments[0].paused_after == 13  # 03-03 … 03-19
    assert d.lines()[-1] == "届满：计时中止中，恢复后重新计算"
    assert "计时中止：已计 13 个工作日，尚余 47 个工作日，恢复后续算" in d.lines()
    assert "中止：2026-03-20 周五 15:00 起，尚未恢复：计时停止，期限待恢复后重新计算" in d.lines()
    json.dumps(d.trace.to_dict(), ensure_ascii=False)
    h = dl("24 hours", "2026-03-02 10:00", pauses=[(at("2026-03-02 15:00"), None)])
    assert h.paused
    assert h.at is None


def test_open_pause_after_the_deadline_changes_nothing() -> None:
    d = dl("5 workdays", "2026-03-06 10:00", pauses=[(at("2026-03-20 15:00"), None)])
    assert any("开始于期限届满之后" in x for x in d.lines())
    assert not d.paused
    assert local_day(d) == date(2026, 3, 13)


def test_pauses_before_the_start_and_overlapping() -> None:
    base = dl("5 workdays", "2026-03-06 10:00")
    before = dl(
        "5 workdays", "2026-03-06 10:00", pauses=[(at("2026-03-01 10:00"), at("2026-03-05 10:00"))]
    )
    assert before.at == base.at
    assert before.trace.pauses == ()
    overlapping = dl(
        "5 workdays",
        "2026-03-06 10:00",
        pauses=[
            (at("2026-03-10 10:00"), at("2026-03-11 09:00")),
            (at("2026-03-10 20:00"), at("2026-03-12 09:00")),
        ],
    )
    assert len(overlapping.trace.pauses) == 1
    assert local_day(overlapping) == date(2026, 3, 17)


def test_anchors_ignore_pauses() -> None:
    d = dl("before_spring_festival", "2026-02-01 09:00", pauses=[(at("2026-02-02 09:00"), None)])
    assert not d.paused
    assert local_day(d) == date(2026, 2, 14)
    assert any("中止不影响" in x for x in d.lines())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_deadline(parse_limit("5 workdays"), datetime(2026, 3, 2, 10), calendar=CAL)
    with pytest.raises(ValueError, match="timezone-aware"):
        dl("5 workdays", "2026-03-02 10:00", pauses=[(datetime(2026, 3, 3), None)])
    with pytest.raises(ValueError, match="before it starts"):
        dl(
            "5 workdays",
            "2026-03-02 10:00",
            pauses=[(at("2026-03-04 10:00"), at("2026-03-03 10:00"))],
        )
    with pytest.raises(ValueError, match="roll_over"):
        dl("5 days", "2026-03-02 10:00", roll_over="sometimes")
    with pytest.raises(ValueError, match="an extension is a count"):
        dl("5 workdays", "2026-03-02 10:00", extensions=[Limit(LimitUnit.END_OF_DAY)])


# ---------------------------------------------------------------------------------------------
# Extensions


def test_extension_counts_on_from_the_previous_deadline() -> None:
    d = dl("60 workdays", "2026-01-30 10:00", extensions=[parse_limit("30 workdays")])
    assert d.at == dl("90 workdays", "2026-01-30 10:00").at
    assert [s.kind for s in d.trace.segments] == ["base", "extension"]
    assert d.trace.segments[0].end is not None
    assert d.trace.segments[0].end.date() == date(2026, 5, 6)
    ext_line = next(x for x in d.lines() if x.startswith("延长"))
    assert ext_line.startswith("延长：+30 个工作日，自 2026-05-06 周三 起续算 → ")
    assert local_day(d) == date(2026, 6, 16)  # Sat 05-09 is a 调休 working day


def test_several_extensions_and_mixed_units() -> None:
    d = dl(
        "5 days", "2026-03-02 10:00", extensions=[parse_limit("5 days"), parse_limit("24 hours")]
    )
    assert local_day(dl("5 days", "2026-03-02 10:00")) == date(2026, 3, 9)  # Sat 03-07 rolled
    # +5 days from 03-09 = 03-14 (Sat) → 03-16; +24 h → 03-17 23:59:59.
    assert d.at == at("2026-03-17 23:59:59")
    assert len(d.trace.segments) == 3


def test_extension_next_day() -> None:
    d = dl("5 workdays", "2026-02-13 10:00", extensions=[Limit(LimitUnit.NEXT_DAY)])
    assert local_day(d) == date(2026, 2, 28)  # the 调休 Saturday after 02-27
