"""How well each office keeps the law's time: the measures of docs/performance.md, typed.

The database counts (``zhiqian.store.performance``: grouped statements, one row per group);
this module turns the groups into figures: working days on the legal calendar from the day
histograms, roll-up of offices to their parents (exact, histograms add up), the rates, the
ranking and the 红黑榜 by the pack's thresholds. Nothing here loops over cases.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

import sqlalchemy as sa

from zhiqian.engine.performance_views import (
    LEVELS,
    Figures,
    LightTally,
    OverdueEntry,
    Performance,
    TrendPoint,
)
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.divisions import level_of, lookup, parent
from zhiqian.rules.loader import RulePack
from zhiqian.store import performance as store

__all__ = ["measure", "period_bounds", "workday_rule"]

_LOOKBACK_DAYS: Final = 730
_LOOKAHEAD_DAYS: Final = 400
CATEGORY_LABELS: Final = {
    "construction": "工程建设",
    "manufacturing": "制造业",
    "training": "教育培训",
    "other": "其他",
}


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
