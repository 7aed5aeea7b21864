"""Delivering the outbox, and the daily digest: jobs that take everything they use as arguments.

Notices are written in the transaction that decided them (``zhiqian.engine.commands.notices``)
and delivered afterwards by :func:`deliver`: it claims due rows (``store.outbox.claim_due``:
which rows, the lease, the fencing rule), commits the claim *before* anything goes out, so no
database lock is held across the network, then writes each outcome in its own short transaction,
fenced by (worker, attempt): a worker whose lease ran out cannot overwrite the outcome of the
worker that took the notice over. A process that dies between sending and recording leaves a
``sending`` row whose lease runs out; it is sent again with the same idempotency key, which every
channel passes on so the remote can drop the repeat (the file channel overwrites the same file).

Failures retry with exponential back-off and jitter (:class:`DeliveryPolicy`), and go to ``dead``
after the last attempt — visible in the outbox listing, sent again by ``retry_notice``.

Quiet hours (pack ``routing.quiet_hours``): notices on outward channels (not log/file) wait for
the end of the window. Daily digest (pack ``routing.digest``): a 超期预警 for a role listed in
``digest.to`` is *held*; :func:`make_digests` folds every held warning of one recipient into one
每日台账摘要 at digest time.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import sqlalchemy as sa

from zhiqian.engine.commands.notices import queue_notice
from zhiqian.engine.domain.notices import (
    DIGEST_TEMPLATE,
    backoff_delay,
    digest_context,
    digest_groups,
    local_date,
    quiet_until,
)
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.engine.queries.notices import notice_of
from zhiqian.errors import NotifierError
from zhiqian.notifiers import NoticeRenderer, Notifier
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import QuietHours
from zhiqian.store.outbox import (
    DEAD,
    PENDING,
    SENT,
    NoticeRecord,
    Transactions,
    claim_due,
    held_for_digest,
    mark_digested,
    record_outcome,
)

__all__ = ["DeliveryPolicy", "DeliveryReport", "deliver", "make_digests"]

_log = logging.getLogger("zhiqian.outbox")


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
        return backoff_delay(
            attempts, base=self.base_delay, cap=self.max_delay, rng=rng, retry_after=retry_after
        )


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # held back by quiet hours
    released: int = 0  # waiting documents whose facts exist now (sent in this pass)


Recheck = Callable[[sa.Connection, datetime], int]
"""Looks again at the waiting documents in a write transaction; returns how many it released."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    ok: bool
    retryable: bool
    detail: str
    remote_id: str | None = None
    retry_after: float | None = None


def deliver(
    tx: Transactions,
    notifiers: Mapping[str, Notifier],
    *,
    pack: RulePack,
    now: datetime,
    batch: int = 100,
    worker: str | None = None,
    policy: DeliveryPolicy | None = None,
    rng: random.Random | None = None,
    renderer: NoticeRenderer | None = None,
    quiet: QuietHours | bool | None = True,
    stop: Callable[[], bool] | None = None,
    recheck: Recheck | None = None,
) -> DeliveryReport:
    """Send what is due in the outbox at ``now`` through ``notifiers`` (channel → notifier),
    until nothing due is left or ``stop()`` says so (checked between batches and notices).

    ``quiet=True`` takes the quiet hours from ``pack`` (whose time zone they are in);
    ``None``/``False`` ignores them; a ``QuietHours`` is used as given. ``recheck`` runs first,
    in its own transaction: the waiting documents whose facts exist now become due and go out
    in this same pass.
    """
    at = now.astimezone(UTC)
    released = 0
    if recheck is not None and not (stop and stop()):
        with tx.write() as conn:
            released = recheck(conn, at)
    worker = (worker or default_worker())[:64]
    policy = policy or DeliveryPolicy()
    rng = rng or random.Random()
    renderer = renderer or NoticeRenderer()
    window = pack.routing.quiet_hours if quiet is True else (quiet or None)
    quiet_end = quiet_until(window, at, pack.timezone) if window else None
    broken: dict[str, str] = {}  # channels whose configuration failed in this pass
    sent = retried = dead = deferred = 0
    while not (stop and stop()):
        with tx.write() as conn:  # committed before anything is sent
            claim = claim_due(
                conn,
                now=at,
                limit=batch,
                worker=worker,
                lease_until=at + timedelta(seconds=policy.lease),
                quiet_until=quiet_end,
            )
        deferred += claim.deferred
        if not claim.records:
            break
        for record in claim.records:
            if stop and stop():
                break  # the rest stays "sending" until its lease runs out: nothing is lost
            outcome = _send_one(record, notifiers, renderer, broken)
            status = _record(tx, record, outcome, at, policy, rng)
            sent += status == SENT
            dead += status == DEAD
            retried += status == PENDING
    return DeliveryReport(
        sent=sent, retried=retried, dead=dead, deferred=deferred, released=released
    )


def _send_one(
    record: NoticeRecord,
    notifiers: Mapping[str, Notifier],
    renderer: NoticeRenderer,
    broken: dict[str, str],
) -> _Outcome:
    if record.channel in broken:
        return _Outcome(False, False, broken[record.channel])
    notifier = notifiers.get(record.channel)
    if notifier is None:
        known = ", ".join(sorted(notifiers)) or "none"
        return _Outcome(
            False, False, f"no notifier configured for channel {record.channel!r} (have: {known})"
        )
    try:
        notice = notice_of(record)
        rendered = renderer.render(notice)
    except (NotifierError, ValueError) as exc:
        return _Outcome(False, False, f"cannot render: {exc}")
    try:
        result = notifier.send(notice, rendered)
    except NotifierError as exc:
        # A configuration error of the whole channel: stop using it in this pass.
        broken[record.channel] = f"channel {record.channel} misconfigured: {exc}"
        _log.error("notifier %s misconfigured: %s", record.channel, exc)
        return _Outcome(False, False, broken[record.channel])
    except Exception as exc:  # a third-party channel's bug must not stop the worker
        _log.exception("notifier %s raised on notice %s", record.channel, record.id)
        return _Outcome(False, True, f"{type(exc).__name__}: {exc}")
    return _Outcome(
        result.ok, result.retryable, result.detail, result.remote_id, result.retry_after
    )


def _record(
    tx: Transactions,
    claimed: NoticeRecord,
    outcome: _Outcome,
    at: datetime,
    policy: DeliveryPolicy,
    rng: random.Random,
) -> str:
    """Write one outcome in its own transaction; returns the status decided (even when the
    lease was lost and the write fenced off: the counts say what this worker saw)."""
    sent_at: datetime | None = None
    remote_id: str | None = None
    last_error: str | None = outcome.detail
    if outcome.ok:
        status, next_at, last_error = SENT, None, None
        sent_at, remote_id = at, (outcome.remote_id or "")[:500] or None
    elif outcome.retryable and claimed.attempts < policy.max_attempts:
        delay = policy.delay(claimed.attempts, rng, outcome.retry_after)
        status, next_at = PENDING, at + timedelta(seconds=delay)
    else:
        status, next_at = DEAD, None
    with tx.write() as conn:
        written = record_outcome(
            conn,
            claimed,
            status=status,
            next_attempt_at=next_at,
            last_error=last_error,
            sent_at=sent_at,
            remote_id=remote_id,
        )
    if not written:
        _log.warning("notice %s: lease lost before its outcome was recorded", claimed.id)
    return status


# -- the daily digest ---------------------------------------------------------------------------


def make_digests(
    tx: Transactions,
    *,
    now: datetime,
    tz: tzinfo,
    calendar: LegalCalendar,
) -> int:
    """Fold every held warning into one 每日台账摘要 per (recipient, channel) for today.

    ``tz`` is the pack's time zone (it decides what "today" is); ``calendar`` counts the days
    left of each warning again at ``now``. Idempotent per day: the digest's key is (recipient,
    channel, local date). When another process made today's digest already, the warnings held
    since stay held for tomorrow's. Returns the number of digests written.
    """
    at = now.astimezone(UTC)
    today = local_date(at, tz).isoformat()
    made = 0
    with tx.write() as conn:
        held = held_for_digest(conn, now=at)
        for (recipient, channel), group in digest_groups(held):
            first = group[0]
            digest_id = queue_notice(
                conn,
                case_id=None,
                case_ref=f"DIGEST-{today}",
                rule_id="digest",
                cycle_key=today,
                template=DIGEST_TEMPLATE,
                recipient=recipient,
                recipient_name=first.recipient_name,
                channel=channel,
                address=first.address,
                context=digest_context(group, at, tz, calendar),
                now=at,
            )
            if digest_id is None:
                continue
            mark_digested(conn, [n.id for n in group], digest_id)
            made += 1
    return made
