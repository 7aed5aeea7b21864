"""SLA clocks at run time: pure functions from (pack, stored clocks, one case change) to the
clocks after it. No database, no wall clock: the engine reads and writes the rows around them.

Evaluation order (ServiceNow's six conditions, fixed and documented so packs can rely on it):
for every clock of the pack, in pack order, on every case change —

1. **cancel**  a running or paused clock ends as ``cancelled`` (no breach can follow);
2. **stop**    a running or paused clock ends as ``stopped`` (met, or met late if it had breached);
3. **reset**   a clock that exists starts a new cycle at the change (pauses, extensions, warnings
               and breach of the old cycle are kept in history, not carried over);
4. **pause**   a running clock pauses (中止, 补正): its deadline is unknown while paused;
5. **resume**  a paused clock runs again; the paused days are excluded and the deadline recomputed;
6. **start**   a clock that has never run in this case starts.

A trigger fires on ``on_event`` (the change's event), ``on_enter`` (state entered),
``on_leave`` (state left), and its ``when`` condition (alone: whenever it holds on a change;
together with the others: as an extra requirement).

Which cases a clock is for (checked by **start** and **reset**, both of which begin a cycle):
the clock's ``in_force`` window must cover the local day of the change's moment — for the
receipt, the day the complaint was received, not the day it was keyed in — and the start's
``channel`` / ``unless_channel`` / ``received_between`` must admit the case. A clock whose rule is
not in force simply does not start (a Yunnan case handled in 2024 gets no "2022年春节前" clock);
one already running goes on to its end under the rule that started it.

Statuses stored: running, paused, stopped, cancelled. ``warned`` and ``breached`` are derived —
from the warnings fired and from the deadline against "now" — for conditions and displays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from zhiqian.errors import ExtensionRefused
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.deadlines import Deadline, compute_deadline
from zhiqian.rules.limits import Limit, LimitUnit, parse_limit
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import ClockSpec, Trigger
from zhiqian.store.records import ClockRecord, Extension

__all__ = [
    "CaseChange",
    "ClockState",
    "Extension",
    "days_left",
    "derived_status",
    "evaluate_clocks",
    "extend_clock",
    "recompute",
    "restarted",
    "same_day_warnings",
    "warning_moments",
]

RUNNING, PAUSED, STOPPED, CANCELLED = "running", "paused", "stopped", "cancelled"
ACTIVE = frozenset({RUNNING, PAUSED})


@dataclass(frozen=True, slots=True)
class CaseChange:
    """One change of a case as clocks see it.

    ``at`` is the moment the clocks count from: the event's time, and for the receipt the
    moment the complaint was received. ``received_at`` is the case's receipt, which the starts'
    ``received_between`` test; None means ``at`` (exact for the receipt itself — a caller
    replaying later changes passes the case's own)."""

    event: str
    from_state: str | None
    to_state: str
    at: datetime
    received_at: datetime | None = None


# The stored clock is the domain's clock state: one typed record, read and written as is.
ClockState = ClockRecord


def derived_status(state: ClockState, now: datetime) -> str:
    """running | warned | breached | paused | stopped | cancelled, as conditions see it."""
    if state.status == RUNNING:
        if state.breached_at is not None or (
            state.deadline_at is not None and now > state.deadline_at
        ):
            return "breached"
        if state.warned > 0:
            return "warned"
    return state.status


# -- triggers ----------------------------------------------------------------------------------


def _fires(trigger: Trigger | None, change: CaseChange, ctx: ConditionContext) -> bool:
    if trigger is None:
        return False
    moved = change.from_state != change.to_state
    by_event = (
        change.event in trigger.on_event
        or (moved and change.to_state in trigger.on_enter)
        or (moved and change.from_state is not None and change.from_state in trigger.on_leave)
    )
    has_event_part = bool(trigger.on_event or trigger.on_enter or trigger.on_leave)
    if has_event_part and not by_event:
        return False
    condition = trigger.condition
    if condition is None:
        return has_event_part
    return condition.evaluate(ctx)


def _begins(spec: ClockSpec, change: CaseChange, ctx: ConditionContext, tz: tzinfo) -> bool:
    """Whether a new cycle of ``spec`` may begin on this change: its rule is in force on the
    change's day and its start is for this case (channel, receipt day)."""
    if spec.in_force is not None and not spec.in_force.covers(change.at.astimezone(tz).date()):
        return False
    received = change.received_at or change.at
    return spec.start.admits(ctx.channel, received.astimezone(tz).date())


# -- deadlines ---------------------------------------------------------------------------------


def _limit_of(spec: ClockSpec, state: ClockState, tz: tzinfo) -> Limit | date:
    """The clock's limit: the pack's, or a per-case override (an order's own due date)."""
    override = state.limit_override
    if override is None:
        return spec.limit
    try:
        return date.fromisoformat(override)
    except ValueError:
        return parse_limit(override)


def restarted(
    clocks: Mapping[str, ClockState],
    spec_of: Callable[[str], ClockSpec | None],
    at: datetime,
    *,
    pack: RulePack,
    calendar: LegalCalendar,
) -> dict[str, ClockState]:
    """提级 with ``clocks: restart``: every active clock whose limit is the pack's (not an
    order's own period) starts a new cycle at ``at``; a paused one stays paused. ``spec_of``
    gives a clock's spec in the pack that governs (None: the pack has no such clock)."""
    fresh: dict[str, ClockState] = {}
    for clock_id, state in clocks.items():
        spec = spec_of(clock_id)
        if spec is None or not state.active or spec.per_case_limit:
            continue
        paused = state.status == PAUSED
        new = ClockState(
            clock_id=clock_id,
            cycle=state.cycle + 1,
            status=state.status,
            started_at=at,
            paused_since=at if paused else None,
            pack_version=pack.version,
        )
        fresh[clock_id] = new if paused else recompute(spec, new, pack=pack, calendar=calendar)
    return fresh


def recompute(
    spec: ClockSpec, state: ClockState, *, pack: RulePack, calendar: LegalCalendar
) -> ClockState:
    """The state with its deadline, assumption flag and trace computed from scratch."""
    if state.status != RUNNING:
        return state
    tz = pack.timezone
    limit = _limit_of(spec, state, tz)
    roll = spec.roll_over or pack.calendar.roll_over
    deadline: tuple[datetime | None, bool, dict[str, Any]]
    if isinstance(limit, date):
        deadline = _fixed_date_deadline(limit, state, calendar=calendar, tz=tz)
    else:
        result: Deadline = compute_deadline(
            limit,
            state.started_at,
            calendar=calendar,
            tz=tz,
            pauses=state.pauses,
            extensions=[parse_limit(e.by) for e in state.extensions],
            count_start_day=spec.count_start_day,
            roll_over=roll,
        )
        deadline = (result.at, result.assumed, _trace_json(result, spec, state))
    at, assumed, trace = deadline
    return replace(state, deadline_at=at, assumed=assumed, trace=trace)


def _fixed_date_deadline(
    due: date, state: ClockState, *, calendar: LegalCalendar, tz: tzinfo
) -> tuple[datetime, bool, dict[str, Any]]:
    """A due date written in an order (限期整改指令书): the end of that day, as written."""
    end = datetime.combine(due, time(23, 59, 59), tzinfo=tz)
    info = calendar.day(due)
    lines = [
        f"起算：{state.started_at.astimezone(tz):%Y-%m-%d %H:%M} 文书送达",
        f"期限：文书载明的履行期限 {due:%Y-%m-%d}（{info.weekday_zh}）",
    ]
    if state.extensions:
        lines.append("注意：文书期限不因延期自动顺延，延期须另行送达文书")
    if info.assumed:
        lines.append(f"{due.year}年调休安排未知：按法定节假日推定")
    return end.astimezone(UTC), info.assumed, {"lines": lines, "deadline": end.isoformat()}


def _trace_json(result: Deadline, spec: ClockSpec, state: ClockState) -> dict[str, Any]:
    data = result.trace.to_dict()
    data["lines"] = result.lines()
    data["basis"] = spec.basis
    data["cycle"] = state.cycle
    return data


def warning_moments(
    spec: ClockSpec, state: ClockState, *, pack: RulePack, calendar: LegalCalendar
) -> list[tuple[int, datetime]]:
    """(index, due) for each warning of a running clock that lies before its deadline.

    ``before: N workdays`` is due at the close of the working day after which N working days
    remain (deadline Fri, 2 workdays → the close of Wednesday); ``N days`` likewise in natural
    days; ``N hours`` is N hours before the deadline.
    """
    if state.status != RUNNING or state.deadline_at is None:
        return []
    tz = pack.timezone
    deadline_local = state.deadline_at.astimezone(tz)
    moments: list[tuple[int, datetime]] = []
    for index, warn in enumerate(spec.warn):
        before = warn.before
        if before.unit is LimitUnit.HOURS:
            due = state.deadline_at - timedelta(hours=before.n)
        elif before.unit in (LimitUnit.WORKDAYS, LimitUnit.DAYS):
            d = deadline_local.date()
            for _ in range(before.n):
                d -= timedelta(days=1)
                if before.unit is LimitUnit.WORKDAYS:
                    while not calendar.is_workday(d):
                        d -= timedelta(days=1)
            # the close of that day, written as deadlines are (23:59:59 local)
            due = datetime.combine(d, time(23, 59, 59), tzinfo=tz).astimezone(UTC)
        else:  # the schema only allows counted warnings; be safe for word limits
            continue
        if state.started_at < due < state.deadline_at:
            moments.append((index, due))
    return moments


def days_left(
    deadline_at: datetime,
    now: datetime,
    *,
    tz: tzinfo,
    calendar: LegalCalendar,
    workdays: bool = True,
) -> int:
    """Days from today to the deadline's day (negative: overdue), in working or natural days."""
    today = now.astimezone(tz).date()
    end = deadline_at.astimezone(tz).date()
    if not workdays:
        return (end - today).days
    lo, hi, sign = (today, end, 1) if end >= today else (end, today, -1)
    return sign * sum(
        1 for i in range(1, (hi - lo).days + 1) if calendar.is_workday(lo + timedelta(days=i))
    )


# -- evaluation --------------------------------------------------------------------------------


def evaluate_clocks(
    pack: RulePack,
    clocks: Mapping[str, ClockState],
    change: CaseChange,
    ctx: ConditionContext,
    *,
    calendar: LegalCalendar,
    limit_overrides: Mapping[str, str] | None = None,
) -> dict[str, ClockState]:
    """The clocks this change creates or alters (id → new state); untouched clocks are absent.

    ``limit_overrides`` (clock id → a date or limit text) sets a per-case limit on the clocks
    the change starts or resets, e.g. the due date written in a 责令支付 order.
    """
    changed: dict[str, ClockState] = {}
    at = change.at
    tz = pack.timezone
    for spec in pack.clocks:
        state = clocks.get(spec.id)
        before = state
        if state is not None and state.active and _fires(spec.cancel, change, ctx):
            state = _end(state, CANCELLED, at)
        if state is not None and state.active and _fires(spec.stop, change, ctx):
            state = _end(state, STOPPED, at)
        if state is not None and _fires(spec.reset, change, ctx) and _begins(spec, change, ctx, tz):
            state = ClockState(
                clock_id=spec.id,
                cycle=state.cycle + 1,
                started_at=at,
                limit_override=(limit_overrides or {}).get(spec.id),
                pack_version=pack.version,
            )
        if state is not None and state.status == RUNNING and _fires(spec.pause, change, ctx):
            state = replace(state, status=PAUSED, paused_since=at, deadline_at=None)
        if state is not None and state.status == PAUSED and _fires(spec.resume, change, ctx):
            assert state.paused_since is not None
            state = replace(
                state,
                status=RUNNING,
                paused_since=None,
                pauses=(*state.pauses, (state.paused_since, at)),
            )
        if state is None and _fires(spec.start, change, ctx) and _begins(spec, change, ctx, tz):
            state = ClockState(
                clock_id=spec.id,
                started_at=at,
                limit_override=(limit_overrides or {}).get(spec.id),
                pack_version=pack.version,
            )
        if state is not None and state is not before:
            if state.status == RUNNING:
                state = recompute(spec, state, pack=pack, calendar=calendar)
            changed[spec.id] = state
    return changed


def _end(state: ClockState, status: str, at: datetime) -> ClockState:
    pauses = state.pauses
    if state.paused_since is not None:
        pauses = (*pauses, (state.paused_since, at))
    return replace(state, status=status, ended_at=at, paused_since=None, pauses=pauses)


def extend_clock(
    spec: ClockSpec,
    state: ClockState | None,
    extension: Extension,
    *,
    case: object,
    pack: RulePack,
    calendar: LegalCalendar,
) -> ClockState:
    """The clock after an approved 延期, or ``ExtensionRefused`` naming why (nothing changes)."""
    if spec.extension is None:
        raise ExtensionRefused(case=case, clock=spec.id, why="this clock cannot be extended")
    if state is None or not state.active:
        status = "not started" if state is None else state.status
        raise ExtensionRefused(case=case, clock=spec.id, why=f"the clock is {status}")
    if spec.extension.needs == "approval" and not extension.approver.strip():
        role = spec.extension.approver_role or "负责人"
        raise ExtensionRefused(case=case, clock=spec.id, why=f"needs the approval of {role}")
    if not extension.reason.strip():
        raise ExtensionRefused(case=case, clock=spec.id, why="a reason is required")
    try:
        by = parse_limit(extension.by)
    except ValueError as exc:
        raise ExtensionRefused(case=case, clock=spec.id, why=str(exc)) from None
    bound = spec.extension.up_to
    if by.unit is not bound.unit:
        raise ExtensionRefused(
            case=case, clock=spec.id, why=f"extend in {bound.unit.value}, as the rule does"
        )
    used = sum(parse_limit(e.by).n for e in state.extensions)
    if used + by.n > bound.n:
        raise ExtensionRefused(
            case=case,
            clock=spec.id,
            why=f"{used} + {by.n} would exceed the bound of {bound} ({spec.extension.basis or spec.basis})",
        )
    extended = replace(state, extensions=(*state.extensions, extension))
    return recompute(spec, extended, pack=pack, calendar=calendar)


def same_day_warnings(
    pack: RulePack, clocks: Mapping[str, ClockState], event: str, at: datetime
) -> list[str]:
    """Warnings for ``event`` done at ``at`` on a later day than a clock it should follow on
    the same day (``same_day``) was met — 立案 after the day of 受理 (若干规定 第十八条). Empty
    when on time, when that clock is not met yet (filed before acceptance was decided: filing
    is the acceptance) or when the case has no such clock (an inspection)."""
    tz = pack.timezone
    out: list[str] = []
    for spec in pack.clocks:
        rule = spec.same_day
        if rule is None or rule.event != event:
            continue
        state = clocks.get(spec.id)
        if state is None or state.status != STOPPED or state.ended_at is None:
            continue
        met_on = state.ended_at.astimezone(tz).date()
        on = at.astimezone(tz).date()
        if on > met_on:
            out.append(f"{rule.warning}：{met_on.isoformat()} → {on.isoformat()}")
    return out


def condition_clocks(states: Sequence[ClockState], now: datetime) -> dict[str, str]:
    """clock id → derived status, for ``ConditionContext.clocks``."""
    return {s.clock_id: derived_status(s, now) for s in states}
