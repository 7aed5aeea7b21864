"""Every statement on ``zq_timers``: timers are inserted here and only here, and claimed here.

A timer is a persisted due moment (a clock's warning or breach, a follow-up report). Timers are
written in the transaction of the change that moved their clock, so a crash can never leave a
deadline without its timer, or a timer for a deadline that no longer exists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Final

import sqlalchemy as sa

from zhiqian.store.cases import lock_cases
from zhiqian.store.records import NewTimer, TimerRecord
from zhiqian.store.tables import TimerRow, table_of

__all__ = [
    "BREACH",
    "FOLLOWUP",
    "WARN",
    "claim_due_cases",
    "count_failure",
    "delete_unfired",
    "due_timers",
    "insert_timers",
    "mark_fired",
]

timers: Final[sa.Table] = table_of(TimerRow)

WARN, BREACH, FOLLOWUP = "warn", "breach", "followup"

_INSERT_TIMER: Final = sa.insert(timers)
_DELETE_UNFIRED: Final = sa.delete(timers).where(
    timers.c.case_id == sa.bindparam("w_case"),
    timers.c.clock_id == sa.bindparam("w_clock"),
    timers.c.fired_at.is_(None),
    timers.c.kind.in_((WARN, BREACH)),
)
_DUE_OF_CASE: Final = (
    sa.select(timers)
    .where(
        timers.c.case_id == sa.bindparam("w_case"),
        timers.c.fired_at.is_(None),
        timers.c.due_at <= sa.bindparam("w_at"),
    )
    .order_by(timers.c.due_at, timers.c.id)
)


def insert_timers(conn: sa.Connection, new: Sequence[NewTimer]) -> None:
    """Insert unfired timers (one executemany). The unique key (case, clock, cycle, kind, seq)
    makes a second copy of a timer impossible."""
    if not new:
        return
    conn.execute(
        _INSERT_TIMER,
        [
            {
                "case_id": t.case_id,
                "clock_id": t.clock_id,
                "cycle": t.cycle,
                "kind": t.kind,
                "seq": t.seq,
                "due_at": t.due_at,
                "attempts": 0,
            }
            for t in new
        ],
    )


def delete_unfired(conn: sa.Connection, case_id: int, clock_id: str) -> None:
    """Drop a clock's unfired warn/breach timers before it is re-armed (fired ones are kept as
    history; follow-ups are not the clock's)."""
    conn.execute(_DELETE_UNFIRED, {"w_case": case_id, "w_clock": clock_id})


def claim_due_cases(
    conn: sa.Connection, at: datetime, limit: int, skip: Collection[int] = ()
) -> list[int]:
    """Claim up to ``limit`` cases that have timers due at ``at``, for the caller's transaction.

    Which rows may be taken: cases with at least one *unfired* timer (``fired_at IS NULL``) whose
    ``due_at <= at``, oldest due first (ties by timer id), read from the partial index
    ``ix_zq_timers_due_unfired`` page by page; a case in ``skip`` (failed earlier in this pass)
    is never taken.

    What is locked: the **cases**, not the timers — :func:`zhiqian.store.cases.lock_cases`
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, in id order). Every write to a case's clocks and
    timers happens under its case-row lock, so a claimed case is this transaction's alone:
    another claimer skips it, a clerk's change waits for the commit. A case locked elsewhere is
    skipped, not waited for. On SQLite the caller's ``BEGIN IMMEDIATE`` transaction holds the
    whole database, so claimers take turns batch by batch and each sees the other's fired
    timers.

    What comes back: the claimed case ids, sorted, at most ``limit``; the locks last until the
    caller's transaction ends. Nothing is marked here: the caller fires the due timers of each
    case (:func:`due_timers`, :func:`mark_fired`) before it commits, so a crash releases the
    claim with nothing done.
    """
    page = max(limit * 4, 64)
    after: tuple[datetime, int] | None = None
    locked: list[int] = []
    while len(locked) < limit:
        query = (
            sa.select(timers.c.id, timers.c.case_id, timers.c.due_at)
            .where(timers.c.fired_at.is_(None), timers.c.due_at <= at)
            .order_by(timers.c.due_at, timers.c.id)
            .limit(page)
        )
        if after is not None:
            query = query.where(
                sa.or_(
                    timers.c.due_at > after[0],
                    sa.and_(timers.c.due_at == after[0], timers.c.id > after[1]),
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
        wanted = wanted[: limit - len(locked)]
        if wanted:
            locked.extend(lock_cases(conn, wanted))
        if len(rows) < page:
            break
    return sorted(locked)


def due_timers(conn: sa.Connection, case_id: int, at: datetime) -> list[TimerRecord]:
    """The case's unfired timers due at ``at``, oldest first (call it with the case claimed)."""
    rows = conn.execute(_DUE_OF_CASE, {"w_case": case_id, "w_at": at})
    return [TimerRecord(**r._mapping) for r in rows]


def mark_fired(conn: sa.Connection, timer_ids: Sequence[int], at: datetime, worker: str) -> int:
    """Mark the timers fired by ``worker`` (those still unfired); returns how many."""
    if not timer_ids:
        return 0
    return int(
        conn.execute(
            sa.update(timers)
            .where(timers.c.id.in_(list(timer_ids)), timers.c.fired_at.is_(None))
            .values(fired_at=at, claimed_by=worker)
        ).rowcount
    )


def count_failure(
    conn: sa.Connection, case_id: int, at: datetime, worker: str, *, give_up_after: int
) -> int:
    """Count one failed attempt on the case's due timers; those that failed ``give_up_after``
    times are set aside (marked fired by ``gave-up:<worker>``). Returns how many were."""
    due = sa.and_(timers.c.case_id == case_id, timers.c.fired_at.is_(None), timers.c.due_at <= at)
    conn.execute(sa.update(timers).where(due).values(attempts=timers.c.attempts + 1))
    return int(
        conn.execute(
            sa.update(timers)
            .where(due, timers.c.attempts >= give_up_after)
            .values(fired_at=at, claimed_by=f"gave-up:{worker}"[:64])
        ).rowcount
    )
