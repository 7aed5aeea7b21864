"""The outbox: notices written in the transaction that decided them, delivered afterwards.

Writing: :func:`queue_notice` inserts one row per (case, rule, cycle, recipient, channel) with
``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``: a second notice for the same thing is
impossible at the database level, whichever process tries.

Delivering: :func:`deliver` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite
the write transaction is ``BEGIN IMMEDIATE``, one writer at a time), marks them ``sending`` with a
lease and commits *before* anything goes out, so no database lock is held across the network.
Each outcome is written in its own short transaction, fenced by (worker, attempt): a worker whose
lease ran out cannot overwrite the outcome of the worker that took the notice over. A process
that dies between sending and recording leaves a ``sending`` row whose lease runs out; it is sent
again with the same idempotency key, which every channel passes on so the remote can drop the
repeat (the file channel overwrites the same file).

Failures retry with exponential back-off and jitter (``DeliveryPolicy``), and go to ``dead``
after the last attempt — visible with :func:`list_notices`, sent again by :func:`retry_notice`.

Quiet hours (pack ``routing.quiet_hours``): notices on outward channels (not log/file) wait for
the end of the window. Daily digest (pack ``routing.digest``): a 超期预警 for a role listed in
``digest.to`` is *held*; :func:`make_digests` folds every held warning of one recipient into one
每日台账摘要 at digest time.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.engine.commands.notices import queue_notice
from zhiqian.engine.domain.clocks import days_left
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.errors import NotifierError, Refused
from zhiqian.notifiers import (
    Notice,
    NoticeRenderer,
    Notifier,
)
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.schema import QuietHours
from zhiqian.store.dialect import insert_ignore
from zhiqian.store.outbox import DEAD, DIGESTED, HELD, PENDING, SENDING, SENT, STATUSES
from zhiqian.store.tables import NoticeRow, table_of

__all__ = [
    "DEAD",
    "DIGESTED",
    "HELD",
    "PENDING",
    "SENDING",
    "SENT",
    "DeliveryPolicy",
    "DeliveryReport",
    "NoticeView",
    "default_worker",
    "deliver",
    "insert_ignore",
    "list_notices",
    "make_digests",
    "queue_notice",
    "quiet_until",
    "retry_notice",
    "show_notice",
]

_log = logging.getLogger("zhiqian.outbox")
_notices = table_of(NoticeRow)

# Channels inside the office: quiet hours are about waking people, not about writing files.
QUIET_EXEMPT: Final = frozenset({"log", "file", "memory"})


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeView:
    """A row of the outbox (``text``: the rendered document, from :func:`show_notice`)."""

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
    last_error: str | None
    note: str | None
    digest_id: int | None
    created_at: datetime
    sent_at: datetime | None
    remote_id: str | None
    text: str | None = None

    def notice(self) -> Notice:
        return _notice(self)


def _view(row: Any, text: str | None = None) -> NoticeView:
    return NoticeView(
        id=row.id,
        case_id=row.case_id,
        case_ref=row.case_ref,
        rule_id=row.rule_id,
        cycle_key=row.cycle_key,
        template=row.template,
        channel=row.channel,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        address=row.address,
        subject=row.subject,
        context=row.context or {},
        idempotency_key=row.idempotency_key,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        note=row.note,
        digest_id=row.digest_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
        remote_id=row.remote_id,
        text=text,
    )


def _notice(row: Any) -> Notice:
    context = dict(row.context or {})
    if row.template == "每日台账摘要" or "recipient_name" not in context:
        context.setdefault("recipient_name", row.recipient_name)
    return Notice(
        id=row.id,
        case_id=row.case_id,
        case_ref=row.case_ref,
        template=row.template,
        channel=row.channel,
        recipient=row.recipient_name or row.recipient,
        address=row.address,
        subject=row.subject,
        context=context,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
    )


def list_notices(
    engine: Any,
    *,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[NoticeView]:
    """Outbox rows, newest first, optionally of one status and/or one case."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    query = sa.select(_notices).order_by(_notices.c.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(_notices.c.status == status)
    if case_id is not None:
        query = query.where(_notices.c.case_id == case_id)
    with engine._read() as conn:
        return [_view(row) for row in conn.execute(query)]


def show_notice(
    engine: Any, notice_id: int, *, renderer: NoticeRenderer | None = None
) -> NoticeView:
    """One notice with its rendered document in ``text`` (or why it cannot be rendered)."""
    with engine._read() as conn:
        row = conn.execute(sa.select(_notices).where(_notices.c.id == notice_id)).first()
    if row is None:
        raise Refused(f"no notice {notice_id} in the outbox")
    try:
        rendered = (renderer or NoticeRenderer()).render(_notice(row))
        text = f"{rendered.subject}\n\n{rendered.text}"
    except NotifierError as exc:
        text = f"(cannot be rendered: {exc})"
    return _view(row, text)


def retry_notice(engine: Any, notice_id: int, *, now: datetime | None = None) -> NoticeView:
    """Put a dead (or failing) notice back in the queue, due now, with its attempts reset."""
    at = (now or engine.clock.now()).astimezone(UTC)
    with engine._write() as conn:
        row = conn.execute(
            sa.select(_notices).where(_notices.c.id == notice_id).with_for_update()
        ).first()
        if row is None:
            raise Refused(f"no notice {notice_id} in the outbox")
        if row.status not in (DEAD, PENDING):
            raise Refused(
                f"notice {notice_id} is {row.status}: only a dead or pending notice can be retried"
            )
        conn.execute(
            sa.update(_notices)
            .where(_notices.c.id == notice_id)
            .values(status=PENDING, attempts=0, next_attempt_at=at, claimed_by=None)
        )
        fresh = conn.execute(sa.select(_notices).where(_notices.c.id == notice_id)).one()
    return _view(fresh)


# -- delivering ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Retry and lease settings. Delay before attempt n+1: ``base·2^(n-1)`` capped at ``cap``,
    half of it fixed and half drawn at random (so retries of many notices spread out), and never
    shorter than what the remote asked for (``Retry-After``)."""

    max_attempts: int = 8
    base_delay: float = 30.0
    max_delay: float = 3600.0
    lease: float = 300.0  # seconds a claimed notice stays ours before another worker may take it

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay <= 0 or self.max_delay < self.base_delay or self.lease <= 0:
            raise ValueError("delays and lease must be > 0 and max_delay >= base_delay")

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None) -> float:
        full = min(self.max_delay, self.base_delay * float(2 ** max(attempts - 1, 0)))
        jittered = full / 2 + rng.uniform(0, full / 2)
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # held back by quiet hours


def quiet_until(quiet: QuietHours | None, now: datetime, tz: tzinfo) -> datetime | None:
    """The end of the quiet window ``now`` lies in (UTC), or None outside it."""
    if quiet is None or quiet.from_ == quiet.to:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    start, end = quiet.from_, quiet.to
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)


def deliver(
    engine: Any,
    notifiers: Mapping[str, Notifier],
    *,
    now: datetime | None = None,
    batch: int = 100,
    worker: str | None = None,
    policy: DeliveryPolicy | None = None,
    rng: random.Random | None = None,
    renderer: NoticeRenderer | None = None,
    quiet: QuietHours | bool | None = True,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send what is due in the outbox through ``notifiers`` (channel → notifier), until nothing
    due is left or ``stop()`` says so (checked between batches and between notices).

    ``quiet=True`` takes the quiet hours from the engine's pack; ``None``/``False`` ignores them.
    """
    at = (now or engine.clock.now()).astimezone(UTC)
    worker = (worker or default_worker())[:64]
    policy = policy or DeliveryPolicy()
    rng = rng or random.Random()
    renderer = renderer or NoticeRenderer()
    pack = engine.pack
    window = pack.routing.quiet_hours if quiet is True else (quiet or None)
    quiet_end = quiet_until(window, at, pack.timezone) if window else None
    broken: dict[str, str] = {}  # channels whose configuration failed in this pass
    sent = retried = dead = deferred = 0
    while not (stop and stop()):
        claimed, moved = _claim(engine, at, batch, worker, policy, quiet_end)
        deferred += moved
        if not claimed:
            break
        for row in claimed:
            if stop and stop():
                break  # the rest stays "sending" until its lease runs out: nothing is lost
            outcome = _send_one(row, notifiers, renderer, broken)
            status = _record(engine, row, outcome, at, worker, policy, rng)
            sent += status == SENT
            dead += status == DEAD
            retried += status == PENDING
    return DeliveryReport(sent=sent, retried=retried, dead=dead, deferred=deferred)


@dataclass(frozen=True, slots=True)
class _Outcome:
    ok: bool
    retryable: bool
    detail: str
    remote_id: str | None = None
    retry_after: float | None = None


def _claim(
    engine: Any,
    at: datetime,
    batch: int,
    worker: str,
    policy: DeliveryPolicy,
    quiet_end: datetime | None,
) -> tuple[list[Any], int]:
    due = sa.and_(
        _notices.c.status.in_((PENDING, SENDING)),
        _notices.c.next_attempt_at <= at,
    )
    with engine._write() as conn:
        moved = 0
        if quiet_end is not None:
            # Outward channels wait for the end of the window (one statement, what is due only).
            moved = conn.execute(
                sa.update(_notices)
                .where(due, _notices.c.channel.not_in(QUIET_EXEMPT))
                .values(next_attempt_at=quiet_end)
            ).rowcount
        query = sa.select(_notices).where(due)
        if quiet_end is not None:
            query = query.where(_notices.c.channel.in_(QUIET_EXEMPT))
        rows = list(
            conn.execute(
                query.order_by(_notices.c.next_attempt_at, _notices.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        if rows:
            conn.execute(
                sa.update(_notices)
                .where(_notices.c.id.in_([r.id for r in rows]))
                .values(
                    status=SENDING,
                    claimed_by=worker,
                    attempts=_notices.c.attempts + 1,
                    next_attempt_at=at + timedelta(seconds=policy.lease),
                )
            )
    return rows, moved


def _send_one(
    row: Any, notifiers: Mapping[str, Notifier], renderer: NoticeRenderer, broken: dict[str, str]
) -> _Outcome:
    if row.channel in broken:
        return _Outcome(False, False, broken[row.channel])
    notifier = notifiers.get(row.channel)
    if notifier is None:
        known = ", ".join(sorted(notifiers)) or "none"
        return _Outcome(
            False, False, f"no notifier configured for channel {row.channel!r} (have: {known})"
        )
    try:
        notice = _notice(row)
        rendered = renderer.render(notice)
    except (NotifierError, ValueError) as exc:
        return _Outcome(False, False, f"cannot render: {exc}")
    try:
        result = notifier.send(notice, rendered)
    except NotifierError as exc:
        # A configuration error of the whole channel: stop using it in this pass.
        broken[row.channel] = f"channel {row.channel} misconfigured: {exc}"
        _log.error("notifier %s misconfigured: %s", row.channel, exc)
        return _Outcome(False, False, broken[row.channel])
    except Exception as exc:  # a third-party channel's bug must not stop the worker
        _log.exception("notifier %s raised on notice %s", row.channel, row.id)
        return _Outcome(False, True, f"{type(exc).__name__}: {exc}")
    return _Outcome(
        result.ok, result.retryable, result.detail, result.remote_id, result.retry_after
    )


def _record(
    engine: Any,
    row: Any,
    outcome: _Outcome,
    at: datetime,
    worker: str,
    policy: DeliveryPolicy,
    rng: random.Random,
) -> str:
    attempts = row.attempts + 1  # as claimed
    if outcome.ok:
        values: dict[str, Any] = {
            "status": SENT,
            "sent_at": at,
            "remote_id": (outcome.remote_id or "")[:500] or None,
            "next_attempt_at": None,
            "last_error": None,
        }
    elif outcome.retryable and attempts < policy.max_attempts:
        delay = policy.delay(attempts, rng, outcome.retry_after)
        values = {
            "status": PENDING,
            "next_attempt_at": at + timedelta(seconds=delay),
            "last_error": outcome.detail,
        }
    else:
        values = {"status": DEAD, "next_attempt_at": None, "last_error": outcome.detail}
    with engine._write() as conn:
        done = conn.execute(
            sa.update(_notices)
            .where(
                _notices.c.id == row.id,
                _notices.c.status == SENDING,
                _notices.c.claimed_by == worker,
                _notices.c.attempts == attempts,
            )
            .values(**values)
        ).rowcount
    if done != 1:
        _log.warning("notice %s: lease lost before its outcome was recorded", row.id)
    return str(values["status"])


# -- the daily digest ---------------------------------------------------------------------------


def digest_due(pack: Any, now: datetime) -> bool:
    """Whether today's digest time (pack ``routing.digest.at``, local) has come."""
    spec = pack.routing.digest
    if spec is None:
        return False
    local = now.astimezone(pack.timezone)
    return bool(local.time().replace(tzinfo=None) >= spec.at)


def make_digests(
    engine: Any,
    *,
    now: datetime | None = None,
    calendar: LegalCalendar | None = None,
) -> int:
    """Fold every held warning into one 每日台账摘要 per (recipient, channel) for today.

    Idempotent per day: the digest's key is (recipient, channel, local date). When another
    process made today's digest already, the warnings held since stay held for tomorrow's.
    Returns the number of digests written.
    """
    at = (now or engine.clock.now()).astimezone(UTC)
    pack = engine.pack
    tz = pack.timezone
    governing = engine.governing(pack.name, pack.version)
    cal = calendar or governing.calendar
    today = at.astimezone(tz).date()
    made = 0
    with engine._write() as conn:
        held = list(
            conn.execute(
                sa.select(_notices)
                .where(_notices.c.status == HELD, _notices.c.created_at <= at)
                .order_by(_notices.c.recipient, _notices.c.channel, _notices.c.id)
                .with_for_update(skip_locked=True)
            )
        )
        for (recipient, channel), rows in _groups(held):
            cases = [_digest_line(r, at, tz, cal) for r in rows]
            first = rows[0]
            context = {
                "recipient_name": first.recipient_name,
                "digest_date": today.isoformat(),
                "cases": cases,
            }
            digest_id = queue_notice(
                conn,
                case_id=None,
                case_ref=f"DIGEST-{today.isoformat()}",
                rule_id="digest",
                cycle_key=today.isoformat(),
                template="每日台账摘要",
                recipient=recipient,
                recipient_name=first.recipient_name,
                channel=channel,
                address=first.address,
                context=context,
                now=at,
            )
            if digest_id is None:
                continue
            conn.execute(
                sa.update(_notices)
                .where(_notices.c.id.in_([r.id for r in rows]))
                .values(status=DIGESTED, digest_id=digest_id)
            )
            made += 1
    return made


def _groups(rows: Sequence[Any]) -> Iterator[tuple[tuple[str, str], list[Any]]]:
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.recipient, row.channel), []).append(row)
    yield from groups.items()


def _digest_line(row: Any, at: datetime, tz: tzinfo, cal: LegalCalendar) -> dict[str, Any]:
    ctx = row.context or {}
    unit = ctx.get("day_unit", "工作日")
    left = int(ctx.get("days_left", 0))
    deadline_at = ctx.get("deadline_at")
    if isinstance(deadline_at, str):
        left = days_left(
            datetime.fromisoformat(deadline_at), at, tz=tz, calendar=cal, workdays=unit == "工作日"
        )
    return {
        "case_ref": row.case_ref,
        "employer_name": ctx.get("employer_name", ""),
        "clock_label": ctx.get("clock_label", ""),
        "deadline": ctx.get("deadline", at.astimezone(tz).date().isoformat()),
        "days_left": left,
        "day_unit": unit,
    }


def local_date(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def local_time(at: datetime, tz: tzinfo) -> time:
    return at.astimezone(tz).time()
