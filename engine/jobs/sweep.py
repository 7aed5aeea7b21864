"""The sweep: fire due timers, escalate, queue notices — safe in any number of processes.

One pass claims due work in batches, one transaction per batch:

1. read candidate cases from the partial index ``ix_zq_timers_due_unfired`` (unfired timers by
   ``due_at``; fired history is not in the index), oldest due first, keyset-paged;
2. **lock the cases**, not the timers: ``SELECT … FROM zq_cases … FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (the claim contract: ``zhiqian.store.timers.claim_due_cases``). Every write to a case's clocks and timers happens under its case-row lock (the
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
from typing import Final, Protocol

import sqlalchemy as sa

from zhiqian.clock import Clock
from zhiqian.engine.commands.change import load_case
from zhiqian.engine.commands.escalate import Escalator
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.escalation import WARNING, default_roles
from zhiqian.engine.domain.governing import Packs
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.engine.routing import Router
from zhiqian.errors import InvalidArgument
from zhiqian.store import clocks as clock_store
from zhiqian.store import timers as timer_store
from zhiqian.store.records import CaseRecord, TimerRecord
from zhiqian.store.tx import Tx

__all__ = ["GIVE_UP_AFTER", "SweepHost", "SweepResult", "run_sweep", "sweep"]

GIVE_UP_AFTER: Final = 10  # attempts before a failing case's timers are set aside (logged)
_log = logging.getLogger("zhiqian.sweep")


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


class SweepHost(Protocol):
    """What the sweep needs of an engine (``zhiqian.Engine`` is one): its store, its pack
    versions, its clock and its escalator (None when opened with ``escalate=False``)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def tx(self) -> Tx: ...

    @property
    def packs(self) -> Packs: ...

    @property
    def escalator(self) -> Escalator | None: ...


def sweep(
    engine: SweepHost,
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
    batch in hand is always finished and committed). ``router`` replaces the engine's."""
    escalator = engine.escalator
    if escalator is None or router is not None:
        escalator = Escalator(engine.packs, router or (escalator.router if escalator else None))
    return run_sweep(
        engine.tx,
        engine.packs,
        escalator,
        now=(now or engine.clock.now()),
        batch=batch,
        worker=worker,
        stop=stop,
        limit=limit,
    )


def run_sweep(
    tx: Tx,
    packs: Packs,
    escalator: Escalator,
    *,
    now: datetime,
    batch: int = 500,
    worker: str | None = None,
    stop: Callable[[], bool] | None = None,
    limit: int | None = None,
) -> SweepResult:
    """The sweep over ``tx`` with the given pack versions and escalator (see :func:`sweep`)."""
    if batch < 1:
        raise InvalidArgument(name="batch", value=batch, why="must be >= 1")
    at = now.astimezone(UTC)
    name = (worker or default_worker())[:64]
    total = SweepResult()
    skip: set[int] = set()
    while not (stop and stop()):
        size = batch if limit is None else min(batch, limit - total.cases)
        if size <= 0:
            break
        result = _batch(tx, packs, escalator, at, size, name, skip)
        total = total + result
        if result.cases == 0:
            break
    return total


def _batch(
    tx: Tx,
    packs: Packs,
    escalator: Escalator,
    at: datetime,
    size: int,
    worker: str,
    skip: set[int],
) -> SweepResult:
    result = SweepResult()
    with tx.write() as conn:
        case_ids = timer_store.claim_due_cases(conn, at, size, skip)
        for case_id in case_ids:
            try:
                with conn.begin_nested():
                    result = result + _case(packs, escalator, conn, case_id, at, worker)
            except Exception as exc:  # one bad case must not stop the others' deadlines
                _log.exception("case %s: sweep failed, rolled back: %s", case_id, exc)
                skip.add(case_id)
                gave_up = timer_store.count_failure(
                    conn, case_id, at, worker, give_up_after=GIVE_UP_AFTER
                )
                if gave_up:
                    _log.error(
                        "case %s: %s timer(s) failed %s times and were set aside "
                        "(claimed_by gave-up:…)",
                        case_id,
                        gave_up,
                        GIVE_UP_AFTER,
                    )
                result = result + SweepResult(cases=1, failed=1)
    return result


def _case(
    packs: Packs,
    escalator: Escalator,
    conn: sa.Connection,
    case_id: int,
    at: datetime,
    worker: str,
) -> SweepResult:
    timers = timer_store.due_timers(conn, case_id, at)
    if not timers:  # fired by another worker between our read and our lock
        return SweepResult()
    # Marked fired first: an action below may re-arm this case's clocks, and the timers it
    # inserts then are new rows the next pass handles (SQLite may even reuse these ids).
    fired = timer_store.mark_fired(conn, [t.id for t in timers], at, worker)
    case = load_case(conn, case_id)
    clocks = clock_store.load_clocks(conn, case_id)
    notices = 0
    for timer in timers:
        notices += _fire(packs, escalator, conn, case, clocks, timer, at)
    trigger = "timer:" + ",".join(sorted({t.kind for t in timers}))
    evaluated = escalator.evaluate(conn, case, clocks, at, trigger=trigger)
    return SweepResult(
        fired=fired,
        escalations=evaluated.result.escalations,
        notices=notices + evaluated.result.notices,
        cases=1,
    )


def _fire(
    packs: Packs,
    escalator: Escalator,
    conn: sa.Connection,
    case: CaseRecord,
    clocks: dict[str, ClockState],
    timer: TimerRecord,
    at: datetime,
) -> int:
    """The timer's own effect (``clocks`` kept in step); returns the notices it queued."""
    governing = packs.of(case)
    if governing.lifecycle.is_final(case.state):
        return 0
    if timer.kind == timer_store.FOLLOWUP:
        label = timer.clock_id.removeprefix("report:")
        return len(
            escalator.warning_notices(
                conn,
                case,
                clocks,
                at,
                rule_id=f"followup.{label}"[:64],
                cycle=f"{timer.cycle}.{timer.seq}",
                roles=default_roles(governing.pack),
                template=WARNING,
                clock=None,
                label=label,
                due=timer.due_at,
            )
        )
    clock = clocks.get(timer.clock_id)
    if clock is None or clock.cycle != timer.cycle or clock.status != "running":
        return 0  # a stale timer (the clock moved on): nothing to do
    if timer.kind == timer_store.BREACH:
        if clock.breached_at is None:
            clock_store.mark_breached(conn, case.id, timer.clock_id, timer.due_at, now=at)
            clocks[timer.clock_id] = replace(clock, breached_at=timer.due_at)
        return 0
    if timer.kind != timer_store.WARN or timer.seq < clock.warned:
        return 0
    clock_store.mark_warned(conn, case.id, timer.clock_id, timer.seq + 1, now=at)
    clock = clocks[timer.clock_id] = replace(clock, warned=timer.seq + 1)
    try:
        spec = governing.pack.clock(timer.clock_id)
        warn = spec.warn[timer.seq]
    except (KeyError, IndexError):
        return 0
    return len(
        escalator.warning_notices(
            conn,
            case,
            clocks,
            at,
            rule_id=f"warn.{timer.clock_id}.{timer.seq}"[:64],
            cycle=str(timer.cycle),
            roles=tuple(warn.to) or default_roles(governing.pack),
            template=warn.template,
            clock=clock,
        )
    )
