"""Every SQL statement of the performance measures (docs/performance.md): aggregates only.

Each function runs ONE grouped statement and returns its groups, never one row per case: the
database does the counting over ``zq_cases``, ``zq_clocks``, ``zq_events`` and
``zq_escalations``; the caller (``zhiqian.engine.queries.performance``) turns day histograms into
working days on the legal calendar and rolls offices up to their parents.

Attribution. A figure belongs to the office that held the case at the figure's moment. The
office a case is held by is ``handling_region``, changed only by 提级办理 (``raise_level``),
whose event records ``from_region``. So the office at moment *m* is the ``from_region`` of the
first ``raise_level`` event after *m*, or ``handling_region`` when there is none. A case never
raised has ``handling_region = region`` (intake sets both): the event lookup (on the indexed
``zq_events.case_id``) runs only for raised cases.

Times: stored UTC; a period is ``[start, end)`` in UTC (the caller converts local days). Local
days (for working days) are computed in SQL with the pack's fixed UTC offset on SQLite and the
zone name on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import Grouping

from zhiqian.store.tables import CaseRow, ClockRow, EscalationRow, EventRow, table_of

__all__ = [
    "CaseCount",
    "ClockTally",
    "EventCount",
    "LightCount",
    "OverdueClock",
    "Period",
    "WorkdayRule",
    "case_lights",
    "clock_tallies",
    "escalation_counts",
    "event_counts",
    "received_counts",
    "top_overdue",
]

cases: Final[sa.Table] = table_of(CaseRow)
clocks: Final[sa.Table] = table_of(ClockRow)
events: Final[sa.Table] = table_of(EventRow)
escalations: Final[sa.Table] = table_of(EscalationRow)

_TS = sa.DateTime(timezone=True)
# Buckets of a clock in a period (docs/performance.md, "Which clocks count").
MET, LATE, CANCELLED, RUNNING, OVERDUE = "met", "late", "cancelled", "running", "overdue"


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in UTC; ``end`` is already capped at "now" by the caller; ``tz_name`` and
    ``utc_offset`` say how a stored moment becomes a local day."""

    start: datetime
    end: datetime
    tz_name: str
    utc_offset: timedelta


@dataclass(frozen=True, slots=True)
class ClockTally:
    """Clocks of one group of one dimension in one bucket that used the same working days.

    ``dim``: ``office`` (key: the office code), ``kind`` (the clock id), ``category`` (the
    employer category), ``handler`` (who stopped it; met and late only), ``month`` (YYYY-MM the
    clock ended in; met and late only). ``counted``: a clock the on-time rate counts;
    ``decision``: a clock that times a decision owed."""

    dim: str
    key: str
    counted: bool
    decision: bool
    bucket: str
    used: int | None
    clocks: int
    allowed_sum: int
    allowed_n: int
    extensions: int


@dataclass(frozen=True, slots=True)
class CaseCount:
    office: str
    category: str
    month: str  # YYYY-MM
    cases: int


@dataclass(frozen=True, slots=True)
class EventCount:
    office: str
    category: str
    kind: str  # an escalation rule id, or an event id
    count: int


@dataclass(frozen=True, slots=True)
class LightCount:
    region: str
    level: str
    light: str
    cases: int


@dataclass(frozen=True, slots=True)
class OverdueClock:
    case_id: int
    ref: str
    clock_id: str
    deadline: datetime
    region: str
    level: str
    employer_category: str


# -- expressions ---------------------------------------------------------------------------------


def _local_day(
    conn: sa.Connection, column: sa.ColumnElement[datetime], period: Period
) -> sa.ColumnElement[date]:
    """The local calendar day of a stored UTC moment, as text ``YYYY-MM-DD`` on both dialects."""
    if conn.dialect.name == "postgresql":
        local = sa.func.timezone(period.tz_name, column)
        return sa.func.to_char(local, "YYYY-MM-DD")
    minutes = int(period.utc_offset.total_seconds() // 60)
    return sa.func.date(column, f"{minutes:+d} minutes")


def office_at(moment: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
    """The office holding the case (``zq_cases`` in the query) at ``moment``: see the module doc."""
    raises = events.alias("zq_raises")  # the outer query may read zq_events itself
    raised_from = (
        sa.select(raises.c.payload["from_region"].as_string())
        .where(
            raises.c.case_id == cases.c.id,
            raises.c.event == "raise_level",
            raises.c.at > moment,
        )
        .order_by(raises.c.at, raises.c.seq)
        .limit(1)
        .correlate_except(raises)
        .scalar_subquery()
    )
    return sa.case(
        (cases.c.handling_region == cases.c.region, cases.c.handling_region),
        else_=sa.func.coalesce(raised_from, cases.c.handling_region),
    )


def _between(column: sa.ColumnElement[datetime], period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= sa.literal(period.start, _TS), column < sa.literal(period.end, _TS))


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# -- the clocks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkdayRule:
    """How SQL counts working days: ``ordinals`` holds, for each local day from ``first`` on, the
    number of working days of the legal calendar from ``first`` up to and including that day,
    as fixed-width text (``WIDTH`` digits a day) — one bind parameter that SQL indexes with
    ``substr``, so a row costs one lookup per day, whatever the calendar. Built by the caller
    (``zhiqian.engine.queries.performance.workday_rule``); a day outside the range counts as
    its nearest end."""

    first: date
    days: int
    ordinals: str

    WIDTH = 5

    def numbers(self) -> Iterator[int]:
        width = self.WIDTH
        for i in range(0, len(self.ordinals), width):
            yield int(self.ordinals[i : i + width])


_EPOCH = date(2000, 1, 3)


def _day_number(
    conn: sa.Connection, column: sa.ColumnElement[datetime], period: Period
) -> sa.ColumnElement[int]:
    """Whole local days since 2000-01-03 of a stored UTC moment (one function call a row)."""
    if conn.dialect.name == "postgresql":
        local = sa.cast(sa.func.timezone(period.tz_name, column), sa.Date)
        return sa.cast(local - sa.literal(_EPOCH, sa.Date), sa.Integer)
    offset = period.utc_offset.total_seconds() / 86400
    return sa.cast(
        sa.func.julianday(column) + offset - sa.func.julianday(_EPOCH.isoformat()), sa.Integer
    )


def _workday_ordinal(
    conn: sa.Connection, column: sa.ColumnElement[datetime], period: Period, rule: WorkdayRule
) -> sa.ColumnElement[int]:
    """A number that grows by one on each working day: differences are working days."""
    base = (rule.first - _EPOCH).days
    index = _day_number(conn, column, period) - base
    clamped = sa.case((index < 0, 0), (index >= rule.days, rule.days - 1), else_=index)
    if conn.dialect.name == "postgresql":
        # an int[] bind parameter: indexing is constant time (arrays count from 1)
        array = sa.bindparam(
            "zq_workdays", list(rule.numbers()), type_=postgresql.ARRAY(sa.Integer)
        )
        return sa.cast(Grouping(array)[clamped + 1], sa.Integer)
    # SQLite: a BLOB, because substr on a BLOB indexes bytes (on TEXT it walks the characters)
    width = WorkdayRule.WIDTH
    blob = sa.bindparam("zq_workdays", rule.ordinals.encode("ascii"), type_=sa.LargeBinary)
    return sa.cast(sa.func.substr(blob, clamped * width + 1, width), sa.Integer)


def _clock_parts(conn: sa.Connection, period: Period, rule: WorkdayRule) -> dict[str, Any]:
    """The expressions every clock query shares (see :func:`clock_groups`)."""
    end = sa.literal(period.end, _TS)
    ended_in = sa.and_(clocks.c.ended_at.is_not(None), clocks.c.ended_at < end)
    late = sa.or_(
        clocks.c.breached_at.is_not(None),
        sa.and_(clocks.c.deadline_at.is_not(None), clocks.c.ended_at > clocks.c.deadline_at),
    )
    bucket = sa.case(
        (sa.and_(ended_in, clocks.c.status == "cancelled"), sa.literal(CANCELLED)),
        (sa.and_(ended_in, late), sa.literal(LATE)),
        (ended_in, sa.literal(MET)),
        (
            sa.and_(clocks.c.deadline_at.is_not(None), clocks.c.deadline_at < end),
            sa.literal(OVERDUE),
        ),
        else_=sa.literal(RUNNING),
    )
    stop = sa.case((ended_in, clocks.c.ended_at), else_=end)
    moment = sa.case(
        (
            sa.and_(clocks.c.deadline_at.is_not(None), clocks.c.deadline_at < stop),
            clocks.c.deadline_at,
        ),
        else_=stop,
    )
    with_days = sa.and_(ended_in, clocks.c.status != "cancelled")
    start_ord = _workday_ordinal(conn, clocks.c.started_at, period, rule)
    end_ord = _workday_ordinal(conn, clocks.c.ended_at, period, rule)
    deadline_ord = _workday_ordinal(conn, clocks.c.deadline_at, period, rule)
    where = [
        clocks.c.started_at < end,
        sa.or_(clocks.c.ended_at.is_(None), clocks.c.ended_at >= sa.literal(period.start, _TS)),
    ]
    return {
        "bucket": bucket,
        "moment": moment,
        "with_days": with_days,
        "ended_in": ended_in,
        "used": sa.case((with_days, end_ord - start_ord)),
        "allowed": sa.case(
            (sa.and_(with_days, clocks.c.deadline_at.is_not(None)), deadline_ord - start_ord)
        ),
        "where": where,
    }


DIMENSIONS: Final = ("office", "kind", "category", "handler", "month")


def clock_tallies(
    conn: sa.Connection,
    period: Period,
    counted: Sequence[str],
    decisions: Sequence[str],
    rule: WorkdayRule,
) -> Iterator[ClockTally]:
    """The clocks that ran at some time in the period, tallied along every dimension in ONE
    statement: a materialised CTE computes each clock's bucket, office, handler and working days
    once, then five small GROUP BYs are put together with UNION ALL (docs/performance.md).

    Buckets: ``met`` / ``late`` stopped in the period, on time / after the deadline (or
    breached); ``cancelled`` cancelled in the period (no verdict); ``running`` / ``overdue``
    still running or paused at the period's end, the stored deadline after / before it.

    Working days (``used``: from the start day to the end day; ``allowed``: to the deadline
    day; local days, the start day not counted) come from ``rule``. The office is the one
    holding the case when the deadline passed, if it passed before the clock ended (or before
    the period's end), else when it ended (or at the period's end). The handler is who recorded
    the change that stopped the clock (the first event of the case at that moment).
    """
    wanted = list(dict.fromkeys((*counted, *decisions)))
    if not wanted:
        return
    parts = _clock_parts(conn, period, rule)
    with_days = parts["with_days"]
    actor = sa.case(
        (
            with_days,
            sa.select(events.c.actor)
            .where(events.c.case_id == clocks.c.case_id, events.c.at == clocks.c.ended_at)
            .order_by(events.c.seq)
            .limit(1)
            .scalar_subquery(),
        )
    )
    month = sa.case((with_days, sa.func.substr(_local_day(conn, clocks.c.ended_at, period), 1, 7)))
    per_clock = (
        sa.select(
            office_at(parts["moment"]).label("office"),
            actor.label("actor"),
            cases.c.employer_category.label("category"),
            clocks.c.clock_id.label("clock_id"),
            sa.case((clocks.c.clock_id.in_(list(counted)), 1), else_=0).label("counted"),
            sa.case((clocks.c.clock_id.in_(list(decisions)), 1), else_=0).label("decision")
            if decisions
            else sa.literal(0).label("decision"),
            parts["bucket"].label("bucket"),
            parts["used"].label("used"),
            parts["allowed"].label("allowed"),
            sa.case((with_days, sa.func.json_array_length(clocks.c.extensions)), else_=0).label(
                "ext"
            ),
            month.label("month"),
        )
        .select_from(clocks.join(cases, cases.c.id == clocks.c.case_id))
        .where(*parts["where"], clocks.c.clock_id.in_(wanted))
        .cte("zq_per_clock")
        .prefix_with("MATERIALIZED")
    )
    c = per_clock.c
    one, none, no_days = sa.literal(1), sa.literal(0), sa.null()

    def tally(
        dim: str,
        key: sa.ColumnElement[Any],
        counted_col: sa.ColumnElement[Any],
        decision_col: sa.ColumnElement[Any],
        used: sa.ColumnElement[Any],
        *where: sa.ColumnElement[bool],
    ) -> sa.Select[Any]:
        # constants (a dimension's fixed flags) cannot be grouped by on PostgreSQL
        group = [
            col
            for col in (key, counted_col, decision_col, c.bucket, used)
            if col is not one and col is not none and col is not no_days
        ]
        return (
            sa.select(
                sa.literal(dim).label("dim"),
                key.label("key"),
                counted_col.label("counted"),
                decision_col.label("decision"),
                c.bucket.label("bucket"),
                used.label("used"),
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(c.allowed), 0).label("allowed_sum"),
                sa.func.count(c.allowed).label("allowed_n"),
                sa.func.coalesce(sa.func.sum(c.ext), 0).label("ext"),
            )
            .where(*where)
            .group_by(*group)
        )

    query = sa.union_all(
        tally("office", c.office, c.counted, c.decision, c.used),
        tally("kind", c.clock_id, one, c.decision, c.used),
        tally("category", c.category, c.counted, c.decision, c.used),
        tally("handler", c.actor, one, none, c.used, c.actor.is_not(None), c.counted == 1),
        tally("month", c.month, one, none, sa.null(), c.month.is_not(None), c.counted == 1),
    )
    for row in conn.execute(query):
        yield ClockTally(
            dim=row.dim,
            key=str(row.key),
            counted=bool(row.counted),
            decision=bool(row.decision),
            bucket=row.bucket,
            used=None if row.used is None else int(row.used),
            clocks=int(row.n),
            allowed_sum=int(row.allowed_sum or 0),
            allowed_n=int(row.allowed_n or 0),
            extensions=int(row.ext or 0),
        )


# -- cases, escalations, events ------------------------------------------------------------------


def received_counts(conn: sa.Connection, period: Period) -> Iterator[CaseCount]:
    """Cases received in the period per (receiving office, employer category, local month). A
    case is received by the office of its own division (intake sets ``handling_region``)."""
    month = sa.func.substr(_local_day(conn, cases.c.received_at, period), 1, 7).label("month")
    query = (
        sa.select(cases.c.region, cases.c.employer_category, month, sa.func.count().label("n"))
        .where(_between(cases.c.received_at, period))
        .group_by(cases.c.region, cases.c.employer_category, "month")
    )
    for row in conn.execute(query):
        yield CaseCount(row.region, row.employer_category, str(row.month), int(row.n))


def escalation_counts(conn: sa.Connection, period: Period) -> Iterator[EventCount]:
    """Escalation rules fired in the period per (office holding the case then, category, rule)."""
    office = office_at(escalations.c.fired_at).label("office")
    query = (
        sa.select(
            office, cases.c.employer_category, escalations.c.rule_id, sa.func.count().label("n")
        )
        .select_from(escalations.join(cases, cases.c.id == escalations.c.case_id))
        .where(_between(escalations.c.fired_at, period))
        .group_by("office", cases.c.employer_category, escalations.c.rule_id)
    )
    for row in conn.execute(query):
        yield EventCount(row.office, row.employer_category, row.rule_id, int(row.n))


def event_counts(
    conn: sa.Connection, period: Period, event_ids: Sequence[str]
) -> Iterator[EventCount]:
    """Events of the given ids recorded in the period per (office holding the case, category)."""
    if not event_ids:
        return
    moment = events.c.at
    office = office_at(moment).label("office")
    query = (
        sa.select(office, cases.c.employer_category, events.c.event, sa.func.count().label("n"))
        .select_from(events.join(cases, cases.c.id == events.c.case_id))
        .where(events.c.event.in_(list(event_ids)), _between(events.c.at, period))
        .group_by("office", cases.c.employer_category, events.c.event)
    )
    for row in conn.execute(query):
        yield EventCount(row.office, row.employer_category, row.event, int(row.n))


# -- now: the dashboard --------------------------------------------------------------------------


def case_lights(conn: sa.Connection, now: datetime, horizon: datetime) -> Iterator[LightCount]:
    """Cases per (handling region, level, light): the worst light of each case's running and
    paused clocks (red 3 > yellow 2 > green 1 > grey 0), as of ``now``."""
    at, near = sa.literal(now, _TS), sa.literal(horizon, _TS)
    severity = sa.case(
        (clocks.c.status == "paused", 0),
        (sa.or_(clocks.c.breached_at.is_not(None), clocks.c.deadline_at < at), 3),
        (sa.or_(clocks.c.warned > 0, clocks.c.deadline_at <= near), 2),
        else_=1,
    )
    per_case = (
        sa.select(clocks.c.case_id, sa.func.max(severity).label("severity"))
        .where(clocks.c.status.in_(["running", "paused"]), clocks.c.started_at <= at)
        .group_by(clocks.c.case_id)
        .subquery()
    )
    query = (
        sa.select(
            cases.c.handling_region, cases.c.level, per_case.c.severity, sa.func.count().label("n")
        )
        .select_from(per_case.join(cases, cases.c.id == per_case.c.case_id))
        .group_by(cases.c.handling_region, cases.c.level, per_case.c.severity)
    )
    names = {0: "grey", 1: "green", 2: "yellow", 3: "red"}
    for row in conn.execute(query):
        yield LightCount(row.handling_region, row.level, names[int(row.severity)], int(row.n))


def top_overdue(conn: sa.Connection, now: datetime, limit: int) -> list[OverdueClock]:
    """The running clocks most overdue at ``now`` (the partial index on running deadlines)."""
    query = (
        sa.select(
            clocks.c.case_id,
            cases.c.ref,
            clocks.c.clock_id,
            clocks.c.deadline_at,
            cases.c.handling_region,
            cases.c.level,
            cases.c.employer_category,
        )
        .join(cases, cases.c.id == clocks.c.case_id)
        .where(
            # a literal, as in Engine.overdue: SQLite then uses the partial index
            clocks.c.status == sa.literal_column("'running'"),
            clocks.c.deadline_at.is_not(None),
            clocks.c.deadline_at < sa.literal(now, _TS),
        )
        .order_by(clocks.c.deadline_at, clocks.c.case_id)
        .limit(limit)
    )
    return [
        OverdueClock(
            r.case_id,
            r.ref,
            r.clock_id,
            r.deadline_at,
            r.handling_region,
            r.level,
            r.employer_category,
        )
        for r in conn.execute(query)
    ]
