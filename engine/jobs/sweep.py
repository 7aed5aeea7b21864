"""The sweep: fire due timers, escalate, queue notices — safe in any number of processes.

One pass claims due work in batches, one transaction per batch:

1. read candidate cases from the partial index ``ix_zq_timers_due_unfired`` (unfired timers by
   ``due_at``; fired history is not in the index), oldest due first, keyset-paged;
2. **lock the cases**, not the timers: ``SELECT … FROM zq_cases … FOR UPDATE SKIP LOCKED`` on
   PostgreSQL. Every write to a case's clocks and timers happens under its case-row lock (the
   engine's guarded ``UPDATE`` takes it too), so a locked case is this worker's alone: another
   daemon skips it, a clerk's change waits for the commit. Locking whole cases (in id order)
   rather than timer rows avoids the deadlock two workers would meet when each held a timer of
   the other's case;
3. for each locked case: apply its due timers (warn → ``warned`` and the warning notice;
   breach → ``breached_at``; followup → a reminder), evaluate the escalation rules, mark the
   timers fired — all in the batch's transaction. A case whose work fails is rolled back to its
   SAVEPOINT, its timers' ``attempts`` counted, and skipped for the rest of the pass.

On SQLite, write transactions begin with ``BEGIN IMMEDIATE`` (``zhiqian.store.database``): one
writer holds the database at a time, so two sweeping processes take turns batch by batch and
each sees the other's fired timers — still exactly once, without row locks.

Cost follows what is due: the only query over all timers is the index range ``due_at <= now``
of unfired rows; nothing scans cases.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from zhiqian.engine.clock_store import load_clocks
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.escalation import WARNING, Escalator, EvalResult, escalator_of
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.engine.routing import Router
from zhiqian.store.tables import CaseRow, ClockRow, TimerRow, table_of

if TYPE_CHECKING:
    from zhiqian.engine.engine import Engine

__all__ = ["GIVE_UP_AFTER", "SweepResult", "sweep"]

GIVE_UP_AFTER: Final = 10  # attempts before a failing case's timers are set aside (logged)
_log = logging.getLogger("zhiqian.sweep")
_cases = table_of(CaseRow)
_clocks = table_of(ClockRow)
_timers = table_of(TimerRow)


@dataclass(frozen=True, slots=True)
class SweepResult:
    fired: int = 0  # timers marked fired
    escalations: int = 0  # escalation rules that fired
    notices: int = 0  # notices queued
    cases: int = 0  # cases handled
    failed: int = 0  # cases rolled back (retried on a later pass)

    def __add__(self, other: SweepResult) -> SweepResult:
        return SweepResult(
            self.fired + other.fired,
            self.escalations + other.escalations,
            self.notices + other.notices,
            self.cases + other.cases,
            self.failed + other.failed,
        )


def sweep(
    engine: Engine,
    *,
    now: datetime | None = None,
    batch: int = 500,
    worker: str | None = None,
    router: Router | None = None,
    stop: Callable[[], bool] | None = None,
    limit: int | None = None,
) -> SweepResult:
    """Fire every timer due at ``now`` (default: the engine's clock), batch by batch, until none
    is left, ``limit`` cases were handled, or ``stop()`` is true (checked between batches: the
    batch in hand is always finished and committed)."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    at = (now or engine.clock.now()).astimezone(UTC)
    worker = (worker or default_worker())[:64]
    escalator = escalator_of(engine) or Escalator(router)
    if router is not None:
        escalator = Escalator(router)
    total = SweepResult()
    skip: set[int] = set()
    while not (stop and stop()):
        size = batch if limit is None else min(batch, limit - total.cases)
        if size <= 0:
            break
        result = _batch(engine, escalator, at, size, worker, skip)
        total = total + result
        if result.cases == 0:
            break
    return total


def _batch(
    engine: Engine,
    escalator: Escalator,
    at: datetime,
    size: int,
    worker: str,
    skip: set[int],
) -> SweepResult:
    result = SweepResult()
    with engine._write() as conn:
        case_ids = _claim_cases(conn, at, size, skip)
        for case_id in case_ids:
            try:
                with conn.begin_nested():
                    result = result + _case(engine, escalator, conn, case_id, at, worker)
            except Exception as exc:  # one bad case must not stop the others' deadlines
                _log.exception("case %s: sweep failed, rolled back: %s", case_id, exc)
                skip.add(case_id)
                _count_failure(conn, case_id, at, worker)
                result = result + SweepResult(cases=1, failed=1)
    return result


def _claim_cases(conn: sa.Connection, at: datetime, size: int, skip: set[int]) -> list[int]:
    """Up to ``size`` cases with due timers, locked for this transaction (others skipped)."""
    page = max(size * 4, 64)
    after: tuple[datetime, int] | None = None
    locked: list[int] = []
    while len(locked) < size:
        query = (
            sa.select(_timers.c.id, _timers.c.case_id, _timers.c.due_at)
            .where(_timers.c.fired_at.is_(None), _timers.c.due_at <= at)
            .order_by(_timers.c.due_at, _timers.c.id)
            .limit(page)
        )
        if after is not None:
            query = query.where(
                sa.or_(
                    _timers.c.due_at > after[0],
                    sa.and_(_timers.c.due_at == after[0], _timers.c.id > after[1]),
                )
            )
        rows = conn.execute(query).all()
        if not rows:
            break
        after = (rows[-1].due_at, rows[-1].id)
        wanted: list[int] = []
        for row in rows:
            if row.case_id not in skip and row.case_id not in wanted and row.case_id not in locked:
                wanted.append(row.case_id)
        wanted = wanted[: size - len(locked)]
        if wanted:
            got = conn.execute(
                sa.select(_cases.c.id)
                .where(_cases.c.id.in_(wanted))
                .order_by(_cases.c.id)
                .with_for_update(skip_locked=True)
            ).scalars()
            locked.extend(int(i) for i in got)
        if len(rows) < page:
            break
    return sorted(locked)


def _case(
    engine: Engine,
    escalator: Escalator,
    conn: sa.Connection,
    case_id: int,
    at: datetime,
    worker: str,
) -> SweepResult:
    timers = conn.execute(
        sa.select(_timers)
        .where(
            _timers.c.case_id == case_id,
            _timers.c.fired_at.is_(None),
            _timers.c.due_at <= at,
        )
        .order_by(_timers.c.due_at, _timers.c.id)
    ).all()
    if not timers:  # fired by another worker between our read and our lock
        return SweepResult()
    # Marked fired first: an action below may re-arm this case's clocks, and the timers it
    # inserts then are new rows the next pass handles (SQLite may even reuse these ids).
    fired = conn.execute(
        sa.update(_timers)
        .where(_timers.c.id.in_([t.id for t in timers]), _timers.c.fired_at.is_(None))
        .values(fired_at=at, claimed_by=worker)
    ).rowcount
    row = conn.execute(sa.select(_cases).where(_cases.c.id == case_id)).one()
    clocks = load_clocks(conn, case_id)
    notices = 0
    for timer in timers:
        notices += _fire(engine, escalator, conn, row, clocks, timer, at)
    trigger = "timer:" + ",".join(sorted({t.kind for t in timers}))
    evaluated: EvalResult = escalator.evaluate(
        engine, conn, case_id, at, trigger=trigger, row=row, clocks=clocks
    )
    return SweepResult(
        fired=fired,
        escalations=evaluated.escalations,
        notices=notices + evaluated.notices,
        cases=1,
    )


def _fire(
    engine: Engine,
    escalator: Escalator,
    conn: sa.Connection,
    case: Any,
    clocks: dict[str, ClockState],
    timer: Any,
    at: datetime,
) -> int:
    """The timer's own effect (``clocks`` kept in step); returns the notices it queued."""
    governing = engine.governing(case.pack_name, case.pack_version)
    if governing.lifecycle.is_final(case.state):
        return 0
    if timer.kind == "followup":
        label = timer.clock_id.removeprefix("report:")
        return len(
            escalator.warning_notices(
                engine,
                conn,
                timer.case_id,
                at,
                rule_id=f"followup.{label}"[:64],
                cycle=f"{timer.cycle}.{timer.seq}",
                roles=_default_roles(governing.pack),
                template=WARNING,
                clock=None,
                label=label,
                due=timer.due_at,
            )
        )
    clock = clocks.get(timer.clock_id)
    if clock is None or clock.cycle != timer.cycle or clock.status != "running":
        return 0  # a stale timer (the clock moved on): nothing to do
    where = sa.and_(_clocks.c.case_id == timer.case_id, _clocks.c.clock_id == timer.clock_id)
    if timer.kind == "breach":
        if clock.breached_at is None:
            conn.execute(
                sa.update(_clocks).where(where).values(breached_at=timer.due_at, updated_at=at)
            )
            clocks[timer.clock_id] = replace(clock, breached_at=timer.due_at)
        return 0
    if timer.kind != "warn" or timer.seq < clock.warned:
        return 0
    conn.execute(sa.update(_clocks).where(where).values(warned=timer.seq + 1, updated_at=at))
    clock = clocks[timer.clock_id] = replace(clock, warned=timer.seq + 1)
    try:
        spec = governing.pack.clock(timer.clock_id)
        warn = spec.warn[timer.seq]
    except (KeyError, IndexError):
        return 0
    return len(
        escalator.warning_notices(
            engine,
            conn,
            timer.case_id,
            at,
            rule_id=f"warn.{timer.clock_id}.{timer.seq}"[:64],
            cycle=str(timer.cycle),
            roles=tuple(warn.to) or _default_roles(governing.pack),
            template=warn.template,
            clock=clock,
        )
    )


def _default_roles(pack: Any) -> tuple[str, ...]:
    """Who hears a warning whose clock names no one: the handler, else the county office."""
    ids = [r.id for r in pack.routing.roles]
    for role in ("handler", "county_office"):
        if role in ids:
            return (role,)
    return (ids[0],) if ids else ("handler",)


def _count_failure(conn: sa.Connection, case_id: int, at: datetime, worker: str) -> None:
    due = sa.and_(
        _timers.c.case_id == case_id, _timers.c.fired_at.is_(None), _timers.c.due_at <= at
    )
    conn.execute(sa.update(_timers).where(due).values(attempts=_timers.c.attempts + 1))
    gave_up = conn.execute(
        sa.update(_timers)
        .where(due, _timers.c.attempts >= GIVE_UP_AFTER)
        .values(fired_at=at, claimed_by=f"gave-up:{worker}"[:64])
    ).rowcount
    if gave_up:
        _log.error(
            "case %s: %s timer(s) failed %s times and were set aside (claimed_by gave-up:…)",
            case_id,
            gave_up,
            GIVE_UP_AFTER,
        )
