"""How well each office keeps the law's time: the measures of docs/performance.md, typed.

The database counts (``zhiqian.store.performance``: grouped statements, one row per group);
this module turns the groups into figures: working days on the legal calendar from the day
histograms, roll-up of offices to their parents (exact, histograms add up), the rates, the
ranking and the 红黑榜 by the pack's thresholds. Nothing here loops over cases.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.engine.domain.lights import LIGHT_LABELS, Light
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.divisions import level_of, lookup, parent
from zhiqian.rules.loader import RulePack
from zhiqian.store import performance as store

__all__ = [
    "FEED_VERSION",
    "Figures",
    "LightTally",
    "OverdueEntry",
    "Performance",
    "TrendPoint",
    "light_label",
    "measure",
    "period_bounds",
    "stats_feed",
    "workday_rule",
]

_LOOKBACK_DAYS: Final = 730
_LOOKAHEAD_DAYS: Final = 400
FEED_VERSION: Final = 1  # the version of the JSON shape of ``zhiqian stats`` (docs/performance.md)
LEVELS: Final = ("county", "city", "province")
CATEGORY_LABELS: Final = {
    "construction": "工程建设",
    "manufacturing": "制造业",
    "training": "教育培训",
    "other": "其他",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Figures:
    """The measures of one office, handler, clock kind or employer category over a period.

    ``on_time_rate`` = met ÷ ended (None when nothing ended); working days are counted on the
    legal calendar from the day after the clock started: ``workdays_used`` to the day it
    ended, ``workdays_allowed`` to its deadline (so pauses and extensions are in the allowance).
    """

    key: str
    name: str
    level: str | None = None  # offices only
    received: int = 0
    ended: int = 0
    met: int = 0
    late: int = 0
    cancelled: int = 0
    running: int = 0
    overdue: int = 0
    on_time_rate: float | None = None
    workdays_used_avg: float | None = None
    workdays_used_p90: int | None = None
    workdays_allowed_avg: float | None = None
    extensions: int = 0
    escalations: Mapping[str, int] = field(default_factory=dict)
    decisions_overdue: int = 0
    found_unpaid: int = 0
    rank: int | None = None  # among the offices of its level (or the handlers, kinds, categories)
    listed: str | None = None  # "red" (红榜) | "black" (黑榜) | None

    @property
    def escalations_total(self) -> int:
        return sum(self.escalations.values())


@dataclass(frozen=True, kw_only=True, slots=True)
class TrendPoint:
    """One month of the period: clocks ended in it and the on-time rate."""

    month: str  # YYYY-MM
    ended: int
    met: int
    on_time_rate: float | None
    received: int


@dataclass(frozen=True, kw_only=True, slots=True)
class LightTally:
    """Cases per light, handling region and level, now."""

    region: str
    level: str
    light: str
    cases: int


@dataclass(frozen=True, kw_only=True, slots=True)
class OverdueEntry:
    case_id: int
    ref: str
    clock: str
    label: str
    deadline: datetime
    overdue_hours: float
    region: str
    level: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Performance:
    """The measures over ``period_from`` … ``period_to`` (local days, inclusive) as of ``as_of``."""

    pack: str
    period_from: date
    period_to: date
    as_of: datetime
    offices: tuple[Figures, ...]  # every level, each ranked within its level
    handlers: tuple[Figures, ...]
    clocks: tuple[Figures, ...]
    categories: tuple[Figures, ...]
    trend: tuple[TrendPoint, ...]
    lights: tuple[LightTally, ...]
    top_overdue: tuple[OverdueEntry, ...]
    counted_clocks: tuple[str, ...]
    red_list: Decimal
    black_list: Decimal
    min_ended: int

    def offices_at(self, level: str) -> tuple[Figures, ...]:
        """The offices of one level, best first."""
        return tuple(
            sorted(
                (f for f in self.offices if f.level == level),
                key=lambda f: (f.rank is None, f.rank or 0, f.key),
            )
        )

    def light_totals(self) -> dict[str, int]:
        totals = dict.fromkeys([light.value for light in Light], 0)
        for tally in self.lights:
            totals[tally.light] = totals.get(tally.light, 0) + tally.cases
        return totals


# -- accumulation ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    received: int = 0
    met: int = 0
    late: int = 0
    cancelled: int = 0
    running: int = 0
    overdue: int = 0
    extensions: int = 0
    decisions_overdue: int = 0
    found_unpaid: int = 0
    used: Counter[int] = field(default_factory=Counter)
    allowed_sum: int = 0
    allowed_n: int = 0
    escalations: Counter[str] = field(default_factory=Counter)


def workday_rule(calendar: LegalCalendar, first: date, last: date) -> store.WorkdayRule:
    """The working-day ordinals of the legal calendar from ``first`` to ``last`` for SQL."""
    width = store.WorkdayRule.WIDTH
    parts = []
    n, day = 0, first
    while day <= last:
        n += calendar.is_workday(day)
        parts.append(f"{n:0{width}d}")
        day += timedelta(days=1)
    return store.WorkdayRule(first, len(parts), "".join(parts))


def _add_clock(acc: _Acc, t: store.ClockTally) -> None:
    if t.decision and t.bucket == store.OVERDUE:
        acc.decisions_overdue += t.clocks
    if not t.counted:
        return
    if t.bucket == store.MET:
        acc.met += t.clocks
    elif t.bucket == store.LATE:
        acc.late += t.clocks
    elif t.bucket == store.CANCELLED:
        acc.cancelled += t.clocks
    elif t.bucket == store.OVERDUE:
        acc.overdue += t.clocks
        acc.running += t.clocks
    else:
        acc.running += t.clocks
    if t.bucket in (store.MET, store.LATE):
        acc.extensions += t.extensions
        if t.used is not None:
            acc.used[t.used] += t.clocks
        acc.allowed_sum += t.allowed_sum
        acc.allowed_n += t.allowed_n


def _p90(used: Counter[int]) -> int | None:
    """The nearest-rank 90th percentile: the smallest value with at least 90% at or below it."""
    total = sum(used.values())
    if not total:
        return None
    rank = math.ceil(0.9 * total)
    seen = 0
    for value in sorted(used):
        seen += used[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - the loop always reaches rank


def _figures(key: str, name: str, acc: _Acc, level: str | None = None) -> Figures:
    ended = acc.met + acc.late
    used_n = sum(acc.used.values())
    return Figures(
        key=key,
        name=name,
        level=level,
        received=acc.received,
        ended=ended,
        met=acc.met,
        late=acc.late,
        cancelled=acc.cancelled,
        running=acc.running,
        overdue=acc.overdue,
        on_time_rate=round(acc.met / ended, 4) if ended else None,
        workdays_used_avg=(
            round(sum(v * n for v, n in acc.used.items()) / used_n, 2) if used_n else None
        ),
        workdays_used_p90=_p90(acc.used),
        workdays_allowed_avg=round(acc.allowed_sum / acc.allowed_n, 2) if acc.allowed_n else None,
        extensions=acc.extensions,
        escalations=dict(sorted(acc.escalations.items())),
        decisions_overdue=acc.decisions_overdue,
        found_unpaid=acc.found_unpaid,
    )


def _ranked(
    figures: Sequence[Figures],
    *,
    red: Decimal | None = None,
    black: Decimal | None = None,
    min_ended: int = 0,
) -> list[Figures]:
    """Best on-time rate first (more clocks ended breaks a tie, then the key); nothing ended: last,
    unranked. With thresholds, ``listed`` marks the 红榜 / 黑榜 of those with enough clocks."""
    from dataclasses import replace

    order = sorted(
        figures,
        key=lambda f: (f.on_time_rate is None, -(f.on_time_rate or 0.0), -f.ended, f.key),
    )
    out = []
    rank = 0
    for f in order:
        listed = None
        if f.on_time_rate is not None:
            rank += 1
            if red is not None and black is not None and f.ended >= min_ended:
                rate = Decimal(str(f.on_time_rate))
                if rate >= red:
                    listed = "red"
                elif rate < black:
                    listed = "black"
        out.append(replace(f, rank=rank if f.on_time_rate is not None else None, listed=listed))
    return out


def _chain(code: str) -> list[str]:
    """The office and every office above it (the roll-up)."""
    out: list[str] = []
    at: str | None = code
    while at is not None:
        out.append(at)
        at = parent(at)
    return out


def _office_name(code: str) -> str:
    found = lookup(code)
    return found.name if found is not None else code


# -- the measure -----------------------------------------------------------------------------


def period_bounds(
    period_from: date, period_to: date, *, pack: RulePack, now: datetime
) -> store.Period:
    """``[from 00:00, to+1 00:00)`` local, in UTC, with the end capped just after ``now``."""
    tz = pack.timezone
    start = datetime.combine(period_from, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(period_to + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    # "now" belongs to the period: a clock stopped at this very moment has ended
    end = min(end, now.astimezone(UTC) + timedelta(microseconds=1))
    offset = start.astimezone(tz).utcoffset() or timedelta(0)
    return store.Period(start=start, end=max(start, end), tz_name=str(tz), utc_offset=offset)


def measure(
    conn: sa.Connection,
    *,
    pack: RulePack,
    calendar: LegalCalendar,
    period_from: date,
    period_to: date,
    now: datetime,
    horizon: datetime,
    top: int = 10,
) -> Performance:
    """Every measure of docs/performance.md over the period, from a handful of grouped queries."""
    if period_to < period_from:
        raise ValueError(f"the period ends ({period_to}) before it starts ({period_from})")
    spec = pack.spec.performance
    period = period_bounds(period_from, period_to, pack=pack, now=now)
    counted = spec.clocks or tuple(c.id for c in pack.clocks)

    # Working days are exact for clocks that started up to two years before the period.
    rule = workday_rule(
        calendar,
        period_from - timedelta(days=_LOOKBACK_DAYS),
        period_to + timedelta(days=_LOOKAHEAD_DAYS),
    )
    offices: dict[str, _Acc] = defaultdict(_Acc)
    handlers: dict[str, _Acc] = defaultdict(_Acc)
    kinds: dict[str, _Acc] = defaultdict(_Acc)
    categories: dict[str, _Acc] = defaultdict(_Acc)
    months: dict[str, _Acc] = defaultdict(_Acc)
    dims: dict[str, dict[str, _Acc]] = {
        "office": offices,
        "kind": kinds,
        "category": categories,
        "handler": handlers,
        "month": months,
    }
    chains: dict[str, list[str]] = {}
    for t in store.clock_tallies(conn, period, counted, spec.decisions, rule):
        if t.dim == "office":
            chain = chains.get(t.key) or chains.setdefault(t.key, _chain(t.key))
            for code in chain:
                _add_clock(offices[code], t)
        else:
            _add_clock(dims[t.dim][t.key], t)

    for c in store.received_counts(conn, period):
        for code in _chain(c.office):
            offices[code].received += c.cases
        categories[c.category].received += c.cases
        months[c.month].received += c.cases
    for e in store.escalation_counts(conn, period):
        for code in _chain(e.office):
            offices[code].escalations[e.kind] += e.count
        categories[e.category].escalations[e.kind] += e.count
    unpaid = (spec.found_unpaid_event,) if spec.found_unpaid_event else ()
    for e in store.event_counts(conn, period, unpaid):
        for code in _chain(e.office):
            offices[code].found_unpaid += e.count
        categories[e.category].found_unpaid += e.count

    office_figures: list[Figures] = []
    for level in LEVELS:
        at_level = [
            _figures(code, _office_name(code), acc, level)
            for code, acc in offices.items()
            if level_of(code) == level
        ]
        office_figures.extend(
            _ranked(at_level, red=spec.red_list, black=spec.black_list, min_ended=spec.min_ended)
        )
    labels = {c.id: c.label for c in pack.clocks}
    trend = tuple(
        TrendPoint(
            month=month,
            ended=acc.met + acc.late,
            met=acc.met,
            on_time_rate=round(acc.met / (acc.met + acc.late), 4) if acc.met + acc.late else None,
            received=acc.received,
        )
        for month, acc in sorted(months.items())
    )
    lights = tuple(
        LightTally(region=t.region, level=t.level, light=t.light, cases=t.cases)
        for t in store.case_lights(conn, now, horizon)
    )
    overdue = tuple(
        OverdueEntry(
            case_id=o.case_id,
            ref=o.ref,
            clock=o.clock_id,
            label=labels.get(o.clock_id, o.clock_id),
            deadline=o.deadline,
            overdue_hours=round((now - _aware(o.deadline)).total_seconds() / 3600, 1),
            region=o.region,
            level=o.level,
        )
        for o in store.top_overdue(conn, now, top)
    )
    return Performance(
        pack=f"{pack.name} {pack.version}",
        period_from=period_from,
        period_to=period_to,
        as_of=now,
        offices=tuple(office_figures),
        handlers=tuple(_ranked([_figures(k, k, a) for k, a in handlers.items()])),
        clocks=tuple(_ranked([_figures(k, labels.get(k, k), a) for k, a in kinds.items()])),
        categories=tuple(
            _ranked([_figures(k, CATEGORY_LABELS.get(k, k), a) for k, a in categories.items()])
        ),
        trend=trend,
        lights=lights,
        top_overdue=overdue,
        counted_clocks=tuple(counted),
        red_list=spec.red_list,
        black_list=spec.black_list,
        min_ended=spec.min_ended,
    )


def stats_feed(perf: Performance) -> dict[str, Any]:
    """The dashboard feed (``zhiqian stats --format json``), shape version ``FEED_VERSION``:
    documented in docs/performance.md. New keys may appear; none is renamed within a version."""
    by_region: dict[tuple[str, str], dict[str, int]] = {}
    by_level: dict[str, dict[str, int]] = {}
    for t in perf.lights:
        empty = dict.fromkeys([light.value for light in Light], 0)
        by_region.setdefault((t.region, t.level), dict(empty))[t.light] += t.cases
        by_level.setdefault(t.level, dict(empty))[t.light] += t.cases
    return {
        "feed": "zhiqian.stats",
        "version": FEED_VERSION,
        "as_of": perf.as_of.isoformat(),
        "pack": perf.pack,
        "period": {"from": perf.period_from.isoformat(), "to": perf.period_to.isoformat()},
        "lights": {
            "total": perf.light_totals(),
            "by_level": by_level,
            "by_region": [
                {"region": region, "name": _office_name(region), "level": level, **counts}
                for (region, level), counts in sorted(by_region.items())
            ],
        },
        "offices": [_figures_json(f) for level in LEVELS for f in perf.offices_at(level)],
        "top_overdue": [
            {
                "case_id": o.case_id,
                "ref": o.ref,
                "clock": o.clock,
                "label": o.label,
                "deadline": _aware(o.deadline).isoformat(),
                "overdue_hours": o.overdue_hours,
                "region": o.region,
                "level": o.level,
            }
            for o in perf.top_overdue
        ],
        "trend": [
            {
                "month": p.month,
                "received": p.received,
                "ended": p.ended,
                "met": p.met,
                "on_time_rate": p.on_time_rate,
            }
            for p in perf.trend
        ],
    }


def _figures_json(f: Figures) -> dict[str, Any]:
    return {
        "code": f.key,
        "name": f.name,
        "level": f.level,
        "rank": f.rank,
        "listed": f.listed,
        "received": f.received,
        "ended": f.ended,
        "met": f.met,
        "late": f.late,
        "on_time_rate": f.on_time_rate,
        "running": f.running,
        "overdue": f.overdue,
        "workdays_used_avg": f.workdays_used_avg,
        "workdays_used_p90": f.workdays_used_p90,
        "workdays_allowed_avg": f.workdays_allowed_avg,
        "extensions": f.extensions,
        "escalations": dict(f.escalations),
        "decisions_overdue": f.decisions_overdue,
        "found_unpaid": f.found_unpaid,
    }


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC; PostgreSQL aware."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def light_label(light: str) -> str:
    return LIGHT_LABELS[Light(light)]
