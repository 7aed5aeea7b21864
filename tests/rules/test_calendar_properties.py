"""Properties of compute_deadline over random starts, limits and pauses (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import Limit, LimitUnit

SH = ZoneInfo("Asia/Shanghai")
CAL = LegalCalendar()
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Starts from 2019 into 2028: official years, the 2026/2027 edge and the fallback.
starts = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2028, 6, 30), timezones=st.just(SH)
)
day_units = st.sampled_from([LimitUnit.WORKDAYS, LimitUnit.DAYS])
counts = st.integers(min_value=1, max_value=90)
COUNTED = {LimitUnit.WORKDAYS, LimitUnit.DAYS, LimitUnit.HOURS}


@st.composite
def closed_pauses(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime | None]]:
    out: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 3))):
        a = start + timedelta(minutes=draw(st.integers(-3 * 1440, 120 * 1440)))
        b = a + timedelta(minutes=draw(st.integers(0, 20 * 1440)))
        out.append((a, b))
    return out


def local(d: datetime | None) -> date:
    assert d is not None
    return d.astimezone(SH).date()


@FAST
@given(start=starts, n=counts, data=st.data())
def test_workday_deadline_is_a_working_day(start: datetime, n: int, data: st.DataObject) -> None:
    pauses = data.draw(closed_pauses(start))
    d = compute_deadline(Limit(LimitUnit.WORKDAYS, n), start, calendar=CAL, pauses=pauses)
    assert CAL.is_workday(local(d.at))
    assert d.at is not None
    assert d.at.utcoffset() == timedelta(0)
    assert d.at.astimezone(SH).time().isoformat() == "23:59:59"
    assert d.at > start


@FAST
@given(start=starts, n=counts, unit=day_units, data=st.data())
def test_pausing_never_shortens(
    start: datetime, n: int, unit: LimitUnit, data: st.DataObject
) -> None:
    pauses = data.draw(closed_pauses(start))
    limit = Limit(unit, n)
    free = compute_deadline(limit, start, calendar=CAL)
    paused = compute_deadline(limit, start, calendar=CAL, pauses=pauses)
    assert free.at is not None
    assert paused.at is not None
    assert paused.at >= free.at
    lost = sum(len(p.days_not_counted) for p in paused.trace.pauses)
    if lost == 0:
        assert paused.at == free.at


@FAST
@given(start=starts, n=st.integers(1, 200), data=st.data())
def test_pausing_hours_adds_exactly_the_paused_time(
    start: datetime, n: int, data: st.DataObject
) -> None:
    pauses = data.draw(closed_pauses(start))
    d = compute_deadline(Limit(LimitUnit.HOURS, n), start, calendar=CAL, pauses=pauses)
    assert d.at is not None
    added = sum((p.time_added or timedelta(0) for p in d.trace.pauses), timedelta(0))
    assert d.at - start == timedelta(hours=n) + added


@FAST
@given(start=starts, n=st.integers(1, 89), unit=day_units)
def test_monotone_in_n(start: datetime, n: int, unit: LimitUnit) -> None:
    a = compute_deadline(Limit(unit, n), start, calendar=CAL).at
    b = compute_deadline(Limit(unit, n + 1), start, calendar=CAL).at
    assert a is not None
    assert b is not None
    assert a <= b
    if unit is LimitUnit.WORKDAYS:
        assert a < b


@FAST
@given(
    start=st.datetimes(
        min_value=datetime(2005, 1, 1), max_value=datetime(2025, 9, 1), timezones=st.just(UTC)
    ),
    n=counts,
)
def test_workdays_agree_with_a_naive_count_over_chinese_calendar(start: datetime, n: int) -> None:
    """An independent oracle: walk chinese_calendar.is_workday day by day."""
    d = start.astimezone(SH).date()
    k = 0
    while k < n:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            k += 1
    got = compute_deadline(Limit(LimitUnit.WORKDAYS, n), start, calendar=CAL)
    assert local(got.at) == d
    assert not got.assumed


@FAST
@given(start=starts, n=counts)
def test_natural_days_roll_to_a_working_day(start: datetime, n: int) -> None:
    plain = start.astimezone(SH).date() + timedelta(days=n)
    d = compute_deadline(Limit(LimitUnit.DAYS, n), start, calendar=CAL)
    day = local(d.at)
    assert day >= plain
    assert CAL.is_workday(day)
    # Nothing between the plain last day and the rolled one is a working day.
    assert all(not CAL.is_workday(plain + timedelta(days=k)) for k in range((day - plain).days))
    none = compute_deadline(Limit(LimitUnit.DAYS, n), start, calendar=CAL, roll_over="none")
    assert local(none.at) == plain


@FAST
@given(
    start=starts,
    # ``by`` names its own day, which may lie before the start (a late case): tested below.
    unit=st.sampled_from([u for u in LimitUnit if u not in COUNTED and u is not LimitUnit.BY_DATE]),
)
def test_word_limits_never_before_the_start(start: datetime, unit: LimitUnit) -> None:
    d = compute_deadline(Limit(unit), start, calendar=CAL)
    assert d.at is not None
    assert d.at >= start
    if unit is not LimitUnit.END_OF_DAY:
        assert CAL.is_workday(local(d.at))


@FAST
@given(
    start=starts, day=st.dates(date(2018, 1, 1), date(2028, 12, 31)), pause_days=st.integers(0, 40)
)
def test_a_named_day_is_that_day_whatever_the_start_and_pauses(
    start: datetime, day: date, pause_days: int
) -> None:
    pauses = [(start, start + timedelta(days=pause_days))] if pause_days else []
    d = compute_deadline(Limit(LimitUnit.BY_DATE, day=day), start, calendar=CAL, pauses=pauses)
    assert d.at is not None
    assert local(d.at) == day
    late = any("自始逾期" in line for line in d.lines())
    assert late == (day < start.astimezone(SH).date())


@FAST
@given(start=starts, n=st.integers(1, 60), m=st.integers(1, 30))
def test_extension_equals_the_longer_count(start: datetime, n: int, m: int) -> None:
    ext = compute_deadline(
        Limit(LimitUnit.WORKDAYS, n),
        start,
        calendar=CAL,
        extensions=[Limit(LimitUnit.WORKDAYS, m)],
    )
    once = compute_deadline(Limit(LimitUnit.WORKDAYS, n + m), start, calendar=CAL)
    assert ext.at == once.at
    assert ext.assumed == once.assumed
