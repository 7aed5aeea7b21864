"""Deadline arithmetic: a :class:`~zhiqian.rules.limits.Limit` and a start moment → a deadline.

Counting rules (LAW.md §1, 民法典 第二百零一条、第二百零三条 by analogy):

- Days are local dates in the pack's zone ``tz``. The start day is not counted ("开始的当日不
  计入，自下一日开始计算") unless ``count_start_day``.
- ``WORKDAYS``: the deadline is the end of the Nth working day (法定节假日 and weekends skipped,
  调休 make-up Saturdays/Sundays counted).
- ``DAYS`` (自然日): the end of start date + N. When that last day is not a working day it rolls
  over (顺延), per ``roll_over``:

  * ``"non_workday"`` (default): any day that is not a working day — a statutory holiday or a
    weekly rest day — moves the deadline to the next working day. 第二百零三条 speaks of
    "法定休假日", which procedural practice reads as including the weekly rest days; an office
    cannot receive a filing on either, and a 调休 Saturday is a working day, so no roll-over.
  * ``"holiday"``: only a named holiday (a day of a published holiday block, or a local extra day
    off) triggers it, and the deadline becomes the day after that holiday block ends (literal
    "以法定休假日结束的次日为期间的最后一日"), even if that day is a Saturday.
  * ``"none"``: no roll-over.
- ``HOURS``: start + N hours of running time (absolute time: paused time is added).
- ``END_OF_DAY`` (当日): the end of the start's local day. ``NEXT_DAY`` (次日): the end of the next
  working day. Neither rolls over.
- ``BEFORE_SPRING_FESTIVAL`` (春节前): the end of the last working day before the first day off of
  the 春节 block that follows ``start``; if no working day of that season is left on the start
  day or after (the break has begun, or only its eve weekend remains), next year's festival.
- ``BEFORE_NEW_YEAR`` (元旦前): the end of the last working day of the start's year; if the start
  is after it, the next year's.
- ``BY_DATE`` (``by 2019-12-31``): the end of the day a notice names, as written — it does not
  roll over (a notice that says "2019年底前" means that day, 工作日 or not), and it does not move
  to a later year when the clock starts after it: a case that came in after the day is late from
  the start, and the trace says so.

A day-based deadline is the END of its last day: 23:59:59 local, returned in UTC.

Pauses (中止, 补正期间): a day counts only if the clock is running at the close of that day (local
24:00). A pause inside one day costs nothing; each day whose close falls inside a pause is not
counted (for WORKDAYS only working days are charged to a pause, the others are skipped anyway).
A pause covers the close of a day when ``pause_start < close <= pause_end``. HOURS add the paused
duration. The fixed anchors (春节前, 元旦前, a named day) are calendar dates: pauses do not move them.
An open pause (end ``None``) that the count runs into leaves the deadline unknown: the result has
``at=None`` and ``paused=True`` (the engine keeps no timer while paused and recomputes on
resume). An open pause that begins after the clock already ran out changes nothing.
Pausing never makes a deadline earlier (property-tested).

Extensions (延长): each extension ``Limit`` counts on from the previous deadline (its last day not
counted again): 60 workdays + 30 workdays = the 90th working day. Bounds belong to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from zhiqian.errors import InvalidArgument
from zhiqian.rules.calendar import DayInfo, LegalCalendar, weekday_zh
from zhiqian.rules.limits import Limit, LimitUnit

__all__ = [
    "DEFAULT_TZ",
    "Deadline",
    "DeadlineTrace",
    "PauseTrace",
    "RollOver",
    "SegmentTrace",
    "compute_deadline",
    "end_of_local_day",
    "limit_text_zh",
]

RollOver = Literal["holiday", "non_workday", "none"]
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
_ROLL_OVERS: tuple[str, ...] = ("holiday", "non_workday", "none")
_END_OF_DAY = time(23, 59, 59)
_ONE = timedelta(days=1)
_MAX_DAYS = 20_000  # a runaway guard: no legal clock counts 55 years


def limit_text_zh(limit: Limit) -> str:
    """The limit in the words of a notice: ``60 个工作日``, ``当日``, ``春节前`` …"""
    match limit.unit:
        case LimitUnit.WORKDAYS:
            return f"{limit.n} 个工作日"
        case LimitUnit.DAYS:
            return f"{limit.n} 个自然日"
        case LimitUnit.HOURS:
            return f"{limit.n} 小时"
        case LimitUnit.END_OF_DAY:
            return "当日"
        case LimitUnit.NEXT_DAY:
            return "次日（下一个工作日）"
        case LimitUnit.BEFORE_SPRING_FESTIVAL:
            return "春节前（春节假期前最后一个工作日）"
        case LimitUnit.BEFORE_NEW_YEAR:
            return "元旦前（当年最后一个工作日）"
        case LimitUnit.BY_DATE:
            assert limit.day is not None  # Limit guarantees it
            return f"{limit.day.year}年{limit.day.month}月{limit.day.day}日前"


def end_of_local_day(d: date, tz: tzinfo) -> datetime:
    """23:59:59 of local date ``d`` in ``tz``, as an aware UTC datetime."""
    return datetime.combine(d, _END_OF_DAY, tzinfo=tz).astimezone(UTC)


def _close_of(d: date, tz: tzinfo) -> datetime:
    """Local 24:00 of ``d`` (= 00:00 of the next day), in UTC."""
    return datetime.combine(d + _ONE, time(0), tzinfo=tz).astimezone(UTC)


def _fmt_day(d: date) -> str:
    return f"{d.isoformat()} {weekday_zh(d)}"


def _fmt_local(t: datetime) -> str:
    return f"{t.date().isoformat()} {weekday_zh(t.date())} {t.strftime('%H:%M')}"


def _fmt_span(td: timedelta) -> str:
    total = int(td.total_seconds())
    days, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    parts = ([f"{days}天"] if days else []) + [f"{h}小时"] + ([f"{m}分"] if m else [])
    return "".join(parts)


def _runs(days: Sequence[tuple[date, str]]) -> list[tuple[date, date, str, int]]:
    """Group consecutive dates with the same name: (first, last, name, count)."""
    out: list[tuple[date, date, str, int]] = []
    for d, name in sorted(days):
        if out and out[-1][2] == name and out[-1][1] + _ONE == d:
            a, _, n, k = out[-1]
            out[-1] = (a, d, n, k + 1)
        else:
            out.append((d, d, name, 1))
    return out


def _fmt_run(a: date, b: date) -> str:
    if a == b:
        return a.isoformat()
    tail = b.strftime("%m-%d") if a.year == b.year else b.isoformat()
    return f"{a.isoformat()}…{tail}"


# --------------------------------------------------------------------------------------------
# Trace


@dataclass(frozen=True, slots=True)
class PauseTrace:
    """One pause and what it added: days not counted (day units) or time added (hours)."""

    start: datetime  # local
    end: datetime | None  # local; None = still paused
    days_not_counted: tuple[date, ...] = ()
    time_added: timedelta | None = None

    def line(self, unit_word: str, *, stopped: bool = False) -> str:
        """``unit_word``: ``个工作日`` or ``日``; ``stopped``: this open pause halted the count."""
        if self.end is None:
            span = f"{_fmt_local(self.start)} 起，尚未恢复"
            if stopped:
                return f"中止：{span}：计时停止，期限待恢复后重新计算"
        else:
            span = f"{_fmt_local(self.start)} 至 {_fmt_local(self.end)}"
        if self.time_added is not None and self.time_added:
            return f"中止：{span}，顺延 {_fmt_span(self.time_added)}"
        if self.days_not_counted:
            ds = "、".join(d.strftime("%m-%d") for d in self.days_not_counted[:10])
            more = "…" if len(self.days_not_counted) > 10 else ""
            return f"中止：{span}，{len(self.days_not_counted)} {unit_word}不计入（{ds}{more}）"
        if self.end is None:
            return f"中止：{span}，开始于期限届满之后，不影响期限"
        return f"中止：{span}，未跨越计入日的24时，不影响期限"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "days_not_counted": [d.isoformat() for d in self.days_not_counted],
            "seconds_added": self.time_added.total_seconds() if self.time_added else None,
        }


@dataclass(frozen=True, slots=True)
class SegmentTrace:
    """The base limit or one extension: where counting began, what it met, where it ended."""

    kind: Literal["base", "extension"]
    unit: str  # LimitUnit value
    limit: str  # e.g. "60 workdays"
    limit_zh: str
    n: int  # the count (0 for word limits)
    start: datetime  # local moment counting starts from
    start_day_counted: bool
    counted: tuple[date, ...] = ()  # day units: each counted day in order
    holidays: tuple[tuple[date, str], ...] = ()  # days off with a festival (or local) name
    makeup_days: tuple[tuple[date, str], ...] = ()  # 调休 working weekends that were counted
    weekends_skipped: int = 0
    rolled_over: tuple[date, date, str] | None = None  # (last counted day, deadline day, why)
    anchor: str | None = None  # 春节前 / 元旦前: how the anchor day was found
    end: datetime | None = None  # local; None while paused
    paused_after: int | None = None  # counted units before an open pause stopped the count

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "limit": self.limit,
            "limit_zh": self.limit_zh,
            "n": self.n,
            "start": self.start.isoformat(),
            "start_day_counted": self.start_day_counted,
            "counted": [d.isoformat() for d in self.counted],
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in self.holidays],
            "makeup_days": [{"date": d.isoformat(), "name": n} for d, n in self.makeup_days],
            "weekends_skipped": self.weekends_skipped,
            "rolled_over": (
                {
                    "from": self.rolled_over[0].isoformat(),
                    "to": self.rolled_over[1].isoformat(),
                    "why": self.rolled_over[2],
                }
                if self.rolled_over
                else None
            ),
            "anchor": self.anchor,
            "end": self.end.isoformat() if self.end else None,
            "paused_after": self.paused_after,
        }


@dataclass(frozen=True, slots=True)
class DeadlineTrace:
    """Why the deadline is what it is."""

    start: datetime  # local
    tz: str
    limit: str
    limit_zh: str
    unit: str
    count_start_day: bool
    roll_over: str
    segments: tuple[SegmentTrace, ...]
    pauses: tuple[PauseTrace, ...] = ()
    assumed_years: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    end: datetime | None = None  # local
    at: datetime | None = None  # UTC

    @property
    def holidays(self) -> tuple[tuple[date, str], ...]:
        return tuple(h for s in self.segments for h in s.holidays)

    @property
    def makeup_days(self) -> tuple[tuple[date, str], ...]:
        return tuple(m for s in self.segments for m in s.makeup_days)

    @property
    def weekends_skipped(self) -> int:
        return sum(s.weekends_skipped for s in self.segments)

    def lines(self) -> list[str]:
        """The trace for a clerk, one fact per line (Chinese, dates ISO)."""
        out = [f"期限：{self.limit_zh}（{self.limit}）"]
        for seg in self.segments:
            out.extend(self._segment_lines(seg))
        unit_word = "个工作日" if self.unit == LimitUnit.WORKDAYS.value else "日"
        for p in self.pauses:
            out.append(p.line(unit_word, stopped=self.at is None and p.end is None))
        for y in self.assumed_years:
            out.append(
                f"推定：{y}年调休安排未知（无国务院通知数据），按《全国年节及纪念日放假办法》"
                f"法定节假日及补假推定（调休 unknown for {y}: statutory holidays assumed）"
            )
        out.extend(f"说明：{n}" for n in self.notes)
        if self.end is not None and self.at is not None:
            out.append(
                f"届满：{_fmt_day(self.end.date())} {self.end.strftime('%H:%M:%S')}"
                f"（{self.tz}；UTC {self.at.strftime('%Y-%m-%d %H:%M:%S')}）"
            )
        else:
            out.append("届满：计时中止中，恢复后重新计算")
        return out

    def _segment_lines(self, seg: SegmentTrace) -> list[str]:
        out: list[str] = []
        if seg.kind == "base":
            counted = "当日计入" if seg.start_day_counted else "当日不计入"
            if seg.unit == LimitUnit.HOURS.value:
                counted = "按小时连续计算"
            elif seg.unit == LimitUnit.END_OF_DAY.value:
                counted = "当日届满"
            elif seg.anchor is not None:
                counted = "以日历日期为准"
            out.append(f"起算：{_fmt_local(seg.start)}（{counted}；时区 {self.tz}）")
            pre = ""
        else:
            end = f" → {_fmt_day(seg.end.date())}" if seg.end else ""
            out.append(f"延长：+{seg.limit_zh}，自 {_fmt_day(seg.start.date())} 起续算{end}")
            pre = "  "
        if seg.anchor:
            out.append(f"{pre}依据：{seg.anchor}")
        if seg.counted:
            word = (
                "个工作日"
                if seg.unit in (LimitUnit.WORKDAYS.value, LimitUnit.NEXT_DAY.value)
                else "日"
            )
            a, b = seg.counted[0], seg.counted[-1]
            if len(seg.counted) == 1:
                out.append(f"{pre}计入：第1{word} {_fmt_day(a)}")
            else:
                out.append(
                    f"{pre}计入：第1–{len(seg.counted)}{word}，{_fmt_day(a)} 至 {_fmt_day(b)}"
                )
        if seg.paused_after is not None:
            word = "个工作日" if seg.unit == LimitUnit.WORKDAYS.value else "日"
            left = f"，尚余 {seg.n - seg.paused_after} {word}" if seg.n else ""
            out.append(f"{pre}计时中止：已计 {seg.paused_after} {word}{left}，恢复后续算")
        for a, b, name, _k in _runs(seg.makeup_days):
            days = _fmt_day(a) if a == b else f"{_fmt_day(a)}…{_fmt_day(b)}"
            out.append(f"{pre}调休上班：{days} {name}（计入）")
        natural = seg.unit in (LimitUnit.DAYS.value, LimitUnit.END_OF_DAY.value)
        for a, b, name, k in _runs(seg.holidays):
            word = "期间内法定节假日（自然日照计）" if natural else "跨越法定节假日"
            out.append(f"{pre}{word}：{_fmt_run(a, b)} {name}（{k}天）")
        if seg.weekends_skipped:
            out.append(f"{pre}跳过周末：{seg.weekends_skipped} 天")
        if seg.rolled_over:
            a, b, why = seg.rolled_over
            out.append(
                f"{pre}顺延：{_fmt_day(a)} {why}，顺延至 {_fmt_day(b)}（民法典第二百零三条类推）"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (ISO strings), with ``lines`` for display."""
        return {
            "start": self.start.isoformat(),
            "tz": self.tz,
            "limit": self.limit,
            "limit_zh": self.limit_zh,
            "unit": self.unit,
            "count_start_day": self.count_start_day,
            "roll_over": self.roll_over,
            "segments": [s.to_dict() for s in self.segments],
            "pauses": [p.to_dict() for p in self.pauses],
            "assumed_years": list(self.assumed_years),
            "notes": list(self.notes),
            "end": self.end.isoformat() if self.end else None,
            "at": self.at.isoformat() if self.at else None,
            "lines": self.lines(),
        }


@dataclass(frozen=True, slots=True)
class Deadline:
    """``at``: the deadline in UTC (aware), or None while an open pause stops the count
    (``paused=True``). ``assumed``: some day on the counted path came from the fallback."""

    at: datetime | None
    assumed: bool
    trace: DeadlineTrace
    paused: bool = False

    @property
    def local(self) -> datetime | None:
        return self.trace.end

    def lines(self) -> list[str]:
        return self.trace.lines()


# --------------------------------------------------------------------------------------------
# Counting


@dataclass
class _Pauses:
    """Normalised pauses (UTC, merged, sorted) and what each one cost."""

    spans: list[tuple[datetime, datetime | None]]
    charged: list[list[date]] = field(default_factory=list)
    added: list[timedelta] = field(default_factory=list)

    def index_at_close(self, close: datetime) -> int | None:
        for i, (a, b) in enumerate(self.spans):
            if a < close and (b is None or close <= b):
                return i
        return None


class _Paused(Exception):
    """The count ran into an open pause."""

    def __init__(self, counted: int) -> None:
        self.counted = counted


@dataclass
class _Seg:
    counted: list[date] = field(default_factory=list)
    holidays: list[tuple[date, str]] = field(default_factory=list)
    makeup: list[tuple[date, str]] = field(default_factory=list)
    weekends: int = 0
    rolled: tuple[date, date, str] | None = None
    anchor: str | None = None
    paused_after: int | None = None


class _Counter:
    def __init__(
        self, cal: LegalCalendar, tz: tzinfo, pauses: _Pauses, roll_over: RollOver
    ) -> None:
        self.cal = cal
        self.tz = tz
        self.pauses = pauses
        self.roll_over = roll_over
        self.assumed_years: set[int] = set()

    def _day(self, d: date) -> DayInfo:
        info = self.cal.day(d)
        if info.assumed:
            self.assumed_years.add(d.year)
        return info

    def _pause_at_close(self, d: date) -> int | None:
        if not self.pauses.spans:
            return None
        return self.pauses.index_at_close(_close_of(d, self.tz))

    def _paused(self, d: date, seg: _Seg) -> bool:
        """True when the clock is stopped at the close of ``d`` (charged to that pause)."""
        i = self._pause_at_close(d)
        if i is None:
            return False
        if self.pauses.spans[i][1] is None:
            seg.paused_after = len(seg.counted)
            raise _Paused(len(seg.counted))
        self.pauses.charged[i].append(d)
        return True

    def count_days(self, n: int, first: date, *, workdays: bool, seg: _Seg) -> date:
        """The Nth counted day on or after ``first``."""
        d = first - _ONE
        for _ in range(_MAX_DAYS):
            d += _ONE
            info = self._day(d)
            if workdays and not info.workday:
                if info.holiday is not None:
                    seg.holidays.append((d, info.holiday))
                else:
                    seg.weekends += 1
                continue
            if not info.workday and info.holiday is not None:
                seg.holidays.append((d, info.holiday))  # natural days: crossed, still counted
            if self._paused(d, seg):
                continue
            if info.makeup:
                seg.makeup.append((d, info.makeup_for or "调休"))
            seg.counted.append(d)
            if len(seg.counted) == n:
                return d
        raise RuntimeError(f"counting {n} days from {first} ran past {_MAX_DAYS} days")

    def roll(self, last: date, seg: _Seg) -> date:
        """Apply the roll-over rule to a natural-day deadline's last day."""
        if self.roll_over == "none":
            return last
        info = self._day(last)
        if self.roll_over == "non_workday":
            if info.workday:
                return last
            why = f"为{'法定节假日（' + info.holiday + '）' if info.holiday else '休息日'}"
            d = last
            for _ in range(_MAX_DAYS):
                d += _ONE
                if self._day(d).workday and not self._paused(d, seg):
                    seg.rolled = (last, d, why)
                    return d
        else:
            if info.holiday is None:
                return last
            why = f"为法定节假日（{info.holiday}）"
            d = last
            for _ in range(_MAX_DAYS):
                d += _ONE
                if self._day(d).holiday is None and not self._paused(d, seg):
                    seg.rolled = (last, d, why)
                    return d
        raise RuntimeError(f"no day to roll over to within {_MAX_DAYS} days of {last}")

    def hours(self, n: int, start: datetime) -> datetime:
        """start + n hours of running time (pauses add their overlap)."""
        t = start
        remaining = timedelta(hours=n)
        for i, (a, b) in enumerate(self.pauses.spans):
            if b is not None and b <= t:
                continue
            a = max(a, t)
            if a >= t + remaining:
                break
            remaining -= a - t
            if b is None:
                raise _Paused(0)
            self.pauses.added[i] += b - a
            t = b
        return t + remaining

    def last_workday_on_or_before(self, d: date) -> date:
        if self._day(d).workday:
            return d
        x = self.cal.last_workday_before(d)
        for k in range((d - x).days + 1):
            self._day(x + timedelta(days=k))  # mark assumed years on the path
        return x


def _normalise_pauses(
    pauses: Sequence[tuple[datetime, datetime | None]], start: datetime
) -> _Pauses:
    spans: list[tuple[datetime, datetime | None]] = []
    for i, (a, b) in enumerate(pauses):
        if a.tzinfo is None or (b is not None and b.tzinfo is None):
            raise InvalidArgument(
                name=f"pauses[{i}]", value=(a, b), why="times must be timezone-aware"
            )
        a_u = a.astimezone(UTC)
        b_u = b.astimezone(UTC) if b is not None else None
        if b_u is not None and b_u < a_u:
            raise InvalidArgument(
                name=f"pauses[{i}]",
                value=(a, b),
                why=f"ends ({b_u.isoformat()}) before it starts ({a_u})",
            )
        if b_u is not None and b_u <= start:
            continue  # over before the clock started
        spans.append((max(a_u, start), b_u))
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for a, b in spans:
        if merged:
            pa, pb = merged[-1]
            if pb is None or a <= pb:
                merged[-1] = (pa, None if (pb is None or b is None) else max(pb, b))
                continue
        merged.append((a, b))
    return _Pauses(
        spans=merged,
        charged=[[] for _ in merged],
        added=[timedelta(0) for _ in merged],
    )


def _segment(
    counter: _Counter,
    limit: Limit,
    start: datetime,
    *,
    count_start_day: bool,
    seg: _Seg,
    notes: list[str],
) -> datetime:
    """One limit counted from ``start`` (UTC); returns the deadline (UTC)."""
    tz = counter.tz
    start_day = start.astimezone(tz).date()
    cal = counter.cal
    match limit.unit:
        case LimitUnit.WORKDAYS | LimitUnit.DAYS:
            workdays = limit.unit is LimitUnit.WORKDAYS
            first = start_day if count_start_day else start_day + _ONE
            last = counter.count_days(limit.n, first, workdays=workdays, seg=seg)
            if not workdays:
                last = counter.roll(last, seg)
            return end_of_local_day(last, tz)
        case LimitUnit.HOURS:
            return counter.hours(limit.n, start)
        case LimitUnit.END_OF_DAY:
            last = counter.count_days(1, start_day, workdays=False, seg=seg)
            return end_of_local_day(last, tz)
        case LimitUnit.NEXT_DAY:
            last = counter.count_days(1, start_day + _ONE, workdays=True, seg=seg)
            return end_of_local_day(last, tz)
        case LimitUnit.BEFORE_SPRING_FESTIVAL:
            year = start_day.year
            skipped: list[str] = []
            for _ in range(3):
                break_start, assumed = cal.spring_festival_break_start(year)
                last = counter.last_workday_on_or_before(break_start - _ONE)
                if last >= start_day:
                    break
                if break_start <= start_day:
                    skipped.append(f"{year}年春节假期已于 {break_start.isoformat()} 开始")
                else:
                    skipped.append(f"{year}年春节假期前已无工作日")
                year += 1
            if assumed:
                counter.assumed_years.add(year)
            chuxi = cal.chuxi(year)
            how = (
                f"{year}年春节假期首日 {_fmt_day(break_start)}"
                + ("（无调休通知，按除夕推定）" if assumed else "（国务院通知）")
                + f"，除夕 {_fmt_day(chuxi)}；此前最后一个工作日 {_fmt_day(last)}"
            )
            if skipped:
                how += f"（{'；'.join(skipped)}，取{year}年春节）"
            seg.anchor = how
            if counter.pauses.spans:
                notes.append("中止不影响以日历日期为准的期限（春节前）")
            return end_of_local_day(last, tz)
        case LimitUnit.BEFORE_NEW_YEAR:
            year = start_day.year
            for _ in range(3):
                last = counter.last_workday_on_or_before(date(year, 12, 31))
                if last >= start_day:
                    break
                year += 1
            how = f"{year}年最后一个工作日 {_fmt_day(last)}"
            if year != start_day.year:
                how += f"（起算时{start_day.year}年已无剩余工作日，取{year}年）"
            seg.anchor = how
            if counter.pauses.spans:
                notes.append("中止不影响以日历日期为准的期限（元旦前）")
            return end_of_local_day(last, tz)
        case LimitUnit.BY_DATE:
            assert limit.day is not None  # Limit guarantees it
            day = limit.day
            info = counter._day(day)
            how = f"文件载明的日期 {_fmt_day(day)}"
            if not info.workday:
                how += f"（{'法定节假日' if info.holiday else '休息日'}，按文件所写日期，不顺延）"
            seg.anchor = how
            if day < start_day:
                notes.append(f"起算时（{start_day.isoformat()}）已过文件载明的日期，自始逾期")
            if counter.pauses.spans:
                notes.append("中止不影响以日历日期为准的期限（文件载明的日期）")
            return end_of_local_day(day, tz)
    raise ValueError(f"unsupported limit {limit}")  # pragma: no cover - enum is exhaustive


def compute_deadline(
    limit: Limit,
    start: datetime,
    *,
    calendar: LegalCalendar,
    tz: tzinfo = DEFAULT_TZ,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
    extensions: Sequence[Limit] = (),
    count_start_day: bool = False,
    roll_over: RollOver = "non_workday",
) -> Deadline:
    """The deadline of ``limit`` started at ``start`` (aware), with its trace.

    ``pauses``: (start, end) intervals when the clock stood still; ``end=None`` = still paused.
    ``extensions``: counted limits (workdays, days, hours, next_day) added one after another.
    Raises ValueError for a naive datetime, an inverted pause, an unknown ``roll_over`` or an
    extension that is not a count.
    """
    if start.tzinfo is None or start.tzinfo.utcoffset(start) is None:
        raise InvalidArgument(name="start", value=start, why="must be timezone-aware")
    if roll_over not in _ROLL_OVERS:
        raise InvalidArgument(
            name="roll_over", value=roll_over, why=f"must be one of {', '.join(_ROLL_OVERS)}"
        )
    for ext in extensions:
        if not (ext.counted or ext.unit is LimitUnit.NEXT_DAY):
            raise InvalidArgument(
                name="extensions",
                value=str(ext),
                why="an extension is a count (workdays, days, hours) or next_day",
            )
    start_u = start.astimezone(UTC)
    ps = _normalise_pauses(pauses, start_u)
    counter = _Counter(calendar, tz, ps, roll_over)
    notes: list[str] = []
    if count_start_day and limit.unit not in (LimitUnit.WORKDAYS, LimitUnit.DAYS):
        notes.append(f"count_start_day 不适用于 {limit.unit.value}")

    segments: list[SegmentTrace] = []
    at: datetime | None = None
    seg_start = start_u
    paused = False
    plan: list[tuple[Literal["base", "extension"], Limit]] = [("base", limit)]
    plan += [("extension", e) for e in extensions]
    for kind, lim in plan:
        seg = _Seg()
        first_counted = count_start_day if kind == "base" else False
        try:
            at = _segment(
                counter, lim, seg_start, count_start_day=first_counted, seg=seg, notes=notes
            )
        except _Paused:
            paused = True
            at = None
        segments.append(
            SegmentTrace(
                kind=kind,
                unit=lim.unit.value,
                limit=str(lim),
                limit_zh=limit_text_zh(lim),
                n=lim.n,
                start=seg_start.astimezone(tz),
                start_day_counted=first_counted,
                counted=tuple(seg.counted),
                holidays=tuple(seg.holidays),
                makeup_days=tuple(seg.makeup),
                weekends_skipped=seg.weekends,
                rolled_over=seg.rolled,
                anchor=seg.anchor,
                end=at.astimezone(tz) if at is not None else None,
                paused_after=seg.paused_after,
            )
        )
        if paused or at is None:
            break
        seg_start = at

    pause_traces = tuple(
        PauseTrace(
            start=a.astimezone(tz),
            end=b.astimezone(tz) if b is not None else None,
            days_not_counted=tuple(ps.charged[i]),
            time_added=ps.added[i] if (limit.unit is LimitUnit.HOURS or ps.added[i]) else None,
        )
        for i, (a, b) in enumerate(ps.spans)
    )
    trace = DeadlineTrace(
        start=start.astimezone(tz),
        tz=str(getattr(tz, "key", tz)),
        limit=str(limit),
        limit_zh=limit_text_zh(limit),
        unit=limit.unit.value,
        count_start_day=count_start_day,
        roll_over=roll_over,
        segments=tuple(segments),
        pauses=pause_traces,
        assumed_years=tuple(sorted(counter.assumed_years)),
        notes=tuple(notes),
        end=at.astimezone(tz) if at is not None else None,
        at=at,
    )
    return Deadline(at=at, assumed=bool(counter.assumed_years), trace=trace, paused=paused)
