"""The outbox table's statements: every SQL statement on ``zq_notices`` lives here.

Each statement is built once, at import, with its parameters bound at execution (SQLAlchemy then
reuses the compiled form). Rows leave this module as frozen :class:`NoticeRecord` values, never
as SQLAlchemy rows. Every function runs inside the caller's transaction (a ``Connection`` in a
write or read transaction, see :class:`Transactions`): nothing here begins or commits.

Dialects: ``FOR UPDATE SKIP LOCKED`` is rendered on PostgreSQL only; on SQLite every write
transaction is ``BEGIN IMMEDIATE`` (``zhiqian.store.database``), so one writer holds the whole
database and the row locks are not needed. The insert-or-ignore is in ``zhiqian.store.dialect``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Protocol

import sqlalchemy as sa

from zhiqian.store.dialect import insert_ignore
from zhiqian.store.tables import NoticeRow, table_of

__all__ = [
    "DEAD",
    "DIGESTED",
    "HELD",
    "PENDING",
    "QUIET_EXEMPT",
    "SENDING",
    "SENT",
    "STATUSES",
    "WAITING",
    "Claim",
    "NoticeRecord",
    "Transactions",
    "claim_due",
    "get_notice",
    "held_for_digest",
    "insert_notice",
    "lock_notice",
    "mark_digested",
    "record_outcome",
    "release_waiting",
    "requeue",
    "select_notices",
    "still_waiting",
    "waiting_notices",
]

notices: Final[sa.Table] = table_of(NoticeRow)

HELD, DIGESTED = "held", "digested"
PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
# A document that lacks a fact it needs (a 文号, a leader's name): never sent as it is. Its
# ``last_error`` says which fact and the command that supplies it; the delivery pass (or a
# retry) checks again and makes it ``pending`` once the fact exists.
WAITING = "waiting"
STATUSES: Final = (WAITING, HELD, DIGESTED, PENDING, SENDING, SENT, DEAD)

# Channels inside the office: quiet hours are about waking people, not about writing files.
QUIET_EXEMPT: Final = frozenset({"log", "file", "memory"})


class Transactions(Protocol):
    """What the outbox's jobs and queries need of a transaction object: ``write()`` gives a
    connection in a write transaction (committed when the block ends without error; inside a
    SAVEPOINT of the host's transaction for an engine bound with ``within()``), ``read()`` one
    that only reads."""

    def write(self) -> AbstractContextManager[sa.Connection]: ...

    def read(self) -> AbstractContextManager[sa.Connection]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeRecord:
    """One row of ``zq_notices`` as read (see ``NoticeRow`` for what each column means)."""

    id: int
    case_id: int | None
    case_ref: str
    rule_id: str
    cycle_key: str
    template: str
    channel: str
    recipient: str
    recipient_name: str
    address: str
    subject: str
    context: Mapping[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    claimed_by: str | None
    last_error: str | None
    note: str | None
    digest_id: int | None
    created_at: datetime
    sent_at: datetime | None
    remote_id: str | None


def _record(row: sa.Row[Any]) -> NoticeRecord:
    m = row._mapping
    return NoticeRecord(
        id=int(m["id"]),
        case_id=m["case_id"],
        case_ref=m["case_ref"],
        rule_id=m["rule_id"],
        cycle_key=m["cycle_key"],
        template=m["template"],
        channel=m["channel"],
        recipient=m["recipient"],
        recipient_name=m["recipient_name"],
        address=m["address"],
        subject=m["subject"],
        context=m["context"] or {},
        idempotency_key=m["idempotency_key"],
        status=m["status"],
        attempts=int(m["attempts"]),
        next_attempt_at=m["next_attempt_at"],
        claimed_by=m["claimed_by"],
        last_error=m["last_error"],
        note=m["note"],
        digest_id=m["digest_id"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        remote_id=m["remote_id"],
    )


# -- prebuilt statements ------------------------------------------------------------------------

_c = notices.c
_DUE = sa.and_(_c.status.in_((PENDING, SENDING)), _c.next_attempt_at <= sa.bindparam("now"))
_DEFER_OUTWARD = (
    sa.update(notices)
    .where(_DUE, _c.channel.not_in(sorted(QUIET_EXEMPT)))
    .values(next_attempt_at=sa.bindparam("until"))
)
_SELECT_DUE = (
    sa.select(notices)
    .where(_DUE)
    .order_by(_c.next_attempt_at, _c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_SELECT_DUE_EXEMPT = (
    sa.select(notices)
    .where(_DUE, _c.channel.in_(sorted(QUIET_EXEMPT)))
    .order_by(_c.next_attempt_at, _c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_TAKE = (
    sa.update(notices)
    .where(_c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(
        status=SENDING,
        claimed_by=sa.bindparam("worker"),
        attempts=_c.attempts + 1,
        next_attempt_at=sa.bindparam("lease_until"),
    )
)
_FENCED_OUTCOME = (
    sa.update(notices)
    .where(
        _c.id == sa.bindparam("w_id"),
        _c.status == SENDING,
        _c.claimed_by == sa.bindparam("w_worker"),
        _c.attempts == sa.bindparam("w_attempts"),
    )
    .values(
        status=sa.bindparam("status"),
        next_attempt_at=sa.bindparam("next_attempt_at"),
        last_error=sa.bindparam("last_error"),
        sent_at=sa.bindparam("sent_at"),
        remote_id=sa.bindparam("remote_id"),
    )
)
_SELECT_ONE = sa.select(notices).where(_c.id == sa.bindparam("w_id"))
_LOCK_ONE = _SELECT_ONE.with_for_update()
_REQUEUE = (
    sa.update(notices)
    .where(_c.id == sa.bindparam("w_id"))
    .values(status=PENDING, attempts=0, next_attempt_at=sa.bindparam("now"), claimed_by=sa.null())
    .returning(*notices.c)
)
_SELECT_HELD = (
    sa.select(notices)
    .where(_c.status == HELD, _c.created_at <= sa.bindparam("now"))
    .order_by(_c.recipient, _c.channel, _c.id)
    .with_for_update(skip_locked=True)
)
_SELECT_WAITING = (
    sa.select(notices)
    .where(_c.status == WAITING)
    .order_by(_c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_RELEASE = (
    sa.update(notices)
    .where(_c.id == sa.bindparam("w_id"), _c.status == WAITING)
    .values(
        status=PENDING,
        context=sa.bindparam("context"),
        attempts=0,
        next_attempt_at=sa.bindparam("now"),
        last_error=sa.null(),
    )
    .returning(*notices.c)
)
_STILL_WAITING = (
    sa.update(notices)
    .where(_c.id == sa.bindparam("w_id"), _c.status == WAITING)
    .values(context=sa.bindparam("context"), last_error=sa.bindparam("reason"))
    .returning(*notices.c)
)
_FOLD = (
    sa.update(notices)
    .where(_c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(status=DIGESTED, digest_id=sa.bindparam("digest_id"))
)


def _listing(by_status: bool, by_case: bool) -> sa.Select[Any]:
    query = sa.select(notices)
    if by_status:
        query = query.where(_c.status == sa.bindparam("status"))
    if by_case:
        query = query.where(_c.case_id == sa.bindparam("case_id"))
    return query.order_by(_c.id.desc()).limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))


# One statement per filter combination, so each keeps its own plan (no ``:x IS NULL OR`` tricks).
_LISTINGS: Final = {(s, c): _listing(s, c) for s in (False, True) for c in (False, True)}


# -- writing ------------------------------------------------------------------------------------


def insert_notice(conn: sa.Connection, values: Mapping[str, Any]) -> int | None:
    """Insert one notice unless its idempotency key exists: the new id, or None."""
    return insert_ignore(conn, notices, values)


# -- documents waiting for a fact -----------------------------------------------------------------


def waiting_notices(conn: sa.Connection, *, limit: int = 500) -> list[NoticeRecord]:
    """Up to ``limit`` ``waiting`` notices, oldest first, row-locked until the caller's
    transaction ends (PostgreSQL skips rows another checker holds; SQLite's write transaction
    holds the database), for checking whether the facts they wait for exist now."""
    return [_record(r) for r in conn.execute(_SELECT_WAITING, {"limit": limit})]


def release_waiting(
    conn: sa.Connection, notice_id: int, *, context: Mapping[str, Any], now: datetime
) -> NoticeRecord | None:
    """A waiting notice whose facts now exist: ``pending``, due ``now``, with its completed
    ``context`` and no reason left. None when it was not waiting (any more)."""
    row = conn.execute(_RELEASE, {"w_id": notice_id, "context": dict(context), "now": now}).first()
    return None if row is None else _record(row)


def still_waiting(
    conn: sa.Connection, notice_id: int, *, context: Mapping[str, Any], reason: str
) -> NoticeRecord | None:
    """A waiting notice that still lacks a fact: the facts found so far and the new reason."""
    row = conn.execute(
        _STILL_WAITING, {"w_id": notice_id, "context": dict(context), "reason": reason}
    ).first()
    return None if row is None else _record(row)


# -- claiming for delivery ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """What :func:`claim_due` took: the notices, as claimed, and how many it deferred."""

    records: Sequence[NoticeRecord]
    deferred: int = 0


def claim_due(
    conn: sa.Connection,
    *,
    now: datetime,
    limit: int,
    worker: str,
    lease_until: datetime,
    quiet_until: datetime | None = None,
) -> Claim:
    """Claim up to ``limit`` due notices for delivery by ``worker``, and return them.

    Runs in the caller's write transaction, which must commit *before* anything is sent: the
    claim is what keeps other workers off the notices, not an open transaction, so no lock is
    held across the network.

    For a notice to be eligible, it must fulfil all of the following conditions:

    * its ``status`` is ``pending`` (new, or waiting for its retry) or ``sending`` (claimed by
      a worker whose lease has run out: it died, or is slow, between claim and outcome) —
      ``waiting`` (a document lacking a fact), ``held`` (waiting for a digest), ``digested``,
      ``sent`` and ``dead`` notices are never taken;
    * it is due: ``next_attempt_at <= now`` (for ``pending`` the time it becomes due, for
      ``sending`` the end of the lease); a ``pending`` notice whose retry time is ahead waits;
    * it is not row-locked by another transaction: PostgreSQL skips such rows (``FOR UPDATE
      SKIP LOCKED``), so concurrent workers take disjoint sets and never wait on each other;
      on SQLite the write transaction (``BEGIN IMMEDIATE``) holds the database, so workers take
      turns and each sees the claims the previous one committed;
    * during quiet hours (``quiet_until`` given), its channel is in :data:`QUIET_EXEMPT`
      (inside the office). Due notices on outward channels are *deferred* instead, in the same
      transaction: their ``next_attempt_at`` becomes ``quiet_until``, and
      :attr:`Claim.deferred` counts them.

    Oldest due first (``next_attempt_at``, then ``id``). On each taken notice the claim sets
    ``status = 'sending'``, ``claimed_by = worker``, ``attempts = attempts + 1`` and
    ``next_attempt_at = lease_until`` (the lease: after it another worker may take it over).

    Fencing: write the outcome with :func:`record_outcome`, which matches ``status =
    'sending'`` *and* the ``(claimed_by, attempts)`` pair of the returned record. A worker
    whose lease ran out and whose notice was taken over finds a different pair (the new claim
    bumped ``attempts``) and changes nothing — the same rule on both dialects.

    :param now: the time of the pass (UTC-aware)
    :param limit: the most notices to take
    :param worker: who claims (written to ``claimed_by``; at most 64 characters)
    :param lease_until: the end of the lease
    :param quiet_until: the end of the quiet window ``now`` lies in, or ``None`` outside it
    :return: the taken notices *as claimed* (the values above already applied), in claim order
        — ``records`` is empty when nothing is due — and the number deferred
    """
    deferred = 0
    if quiet_until is not None:
        deferred = conn.execute(_DEFER_OUTWARD, {"now": now, "until": quiet_until}).rowcount
    select = _SELECT_DUE if quiet_until is None else _SELECT_DUE_EXEMPT
    rows = [_record(r) for r in conn.execute(select, {"now": now, "limit": limit})]
    if not rows:
        return Claim((), deferred)
    conn.execute(_TAKE, {"ids": [r.id for r in rows], "worker": worker, "lease_until": lease_until})
    taken = [
        replace(
            r,
            status=SENDING,
            claimed_by=worker,
            attempts=r.attempts + 1,
            next_attempt_at=lease_until,
        )
        for r in rows
    ]
    return Claim(taken, deferred)


def record_outcome(
    conn: sa.Connection,
    claimed: NoticeRecord,
    *,
    status: str,
    next_attempt_at: datetime | None,
    last_error: str | None,
    sent_at: datetime | None = None,
    remote_id: str | None = None,
) -> bool:
    """Write the outcome of one delivery attempt, fenced by the claim: True if written.

    ``claimed`` is a record as :func:`claim_due` returned it. The update matches only while the
    row is still ``sending`` under that same claim (``claimed_by`` and ``attempts``); when the
    lease ran out and another worker claimed the notice, nothing is written and False comes back
    — the other worker's outcome stands.
    """
    done = conn.execute(
        _FENCED_OUTCOME,
        {
            "w_id": claimed.id,
            "w_worker": claimed.claimed_by,
            "w_attempts": claimed.attempts,
            "status": status,
            "next_attempt_at": next_attempt_at,
            "last_error": last_error,
            "sent_at": sent_at,
            "remote_id": remote_id,
        },
    ).rowcount
    return bool(done == 1)


# -- one notice ---------------------------------------------------------------------------------


def get_notice(conn: sa.Connection, notice_id: int) -> NoticeRecord | None:
    row = conn.execute(_SELECT_ONE, {"w_id": notice_id}).first()
    return None if row is None else _record(row)


def lock_notice(conn: sa.Connection, notice_id: int) -> NoticeRecord | None:
    """The notice, row-locked until the caller's transaction ends (PostgreSQL; SQLite's write
    transaction holds the database already)."""
    row = conn.execute(_LOCK_ONE, {"w_id": notice_id}).first()
    return None if row is None else _record(row)


def requeue(conn: sa.Connection, notice_id: int, *, now: datetime) -> NoticeRecord:
    """Make the notice ``pending``, due at ``now``, with its attempts reset and no claim: a
    worker's late outcome for an earlier claim no longer matches (see :func:`record_outcome`).
    Returns the notice as written."""
    return _record(conn.execute(_REQUEUE, {"w_id": notice_id, "now": now}).one())


def select_notices(
    conn: sa.Connection,
    *,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[NoticeRecord]:
    """Notices newest first, optionally of one status and/or one case."""
    query = _LISTINGS[(status is not None, case_id is not None)]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if status is not None:
        params["status"] = status
    if case_id is not None:
        params["case_id"] = case_id
    return [_record(r) for r in conn.execute(query, params)]


# -- the daily digest ---------------------------------------------------------------------------


def held_for_digest(conn: sa.Connection, *, now: datetime) -> list[NoticeRecord]:
    """Claim every ``held`` notice created at or before ``now`` for folding into a digest.

    Ordered by (recipient, channel, id). On PostgreSQL the rows stay locked until the caller's
    transaction ends and rows another digest run has locked are skipped (they are that run's);
    on SQLite the write transaction holds the database. Nothing is changed here: the caller
    folds them with :func:`mark_digested` in the same transaction.
    """
    return [_record(r) for r in conn.execute(_SELECT_HELD, {"now": now})]


def mark_digested(conn: sa.Connection, ids: Sequence[int], digest_id: int) -> int:
    """Mark held notices as folded into the digest notice ``digest_id``: the rows changed."""
    if not ids:
        return 0
    changed: int = conn.execute(_FOLD, {"ids": list(ids), "digest_id": digest_id}).rowcount
    return changed
