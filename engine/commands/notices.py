"""Writing the outbox, inside the caller's transaction: queue a notice, queue a dead one again."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.errors import Refused
from zhiqian.notifiers import REQUIRED_CONTEXT, Notice, make_idempotency_key
from zhiqian.rules.templates import template_label
from zhiqian.store.outbox import (
    DEAD,
    HELD,
    PENDING,
    WAITING,
    NoticeRecord,
    insert_notice,
    lock_notice,
    requeue,
)

__all__ = ["context_missing", "queue_notice", "retry_notice"]


def context_missing(template: str, context: Mapping[str, Any]) -> list[str]:
    """The variables ``template`` requires that ``context`` lacks (or holds as null), sorted."""
    return sorted(n for n in REQUIRED_CONTEXT[template_label(template)] if context.get(n) is None)


def queue_notice(
    conn: sa.Connection,
    *,
    case_id: int | None,
    case_ref: str,
    rule_id: str,
    cycle_key: str,
    template: str,
    recipient: str,
    recipient_name: str,
    channel: str,
    address: str,
    context: Mapping[str, Any],
    now: datetime,
    subject: str = "",
    hold: bool = False,
    note: str | None = None,
    key_channel: str | None = None,
    waiting: str | None = None,
    waiting_for: Collection[str] = (),
) -> int | None:
    """Write one notice into the outbox (inside the caller's transaction).

    Returns its id, or None when the same notice exists already. ``hold`` keeps it for the
    recipient's digest. ``waiting`` (the reason: the fact missing and the command that supplies
    it) queues a document that must not go out yet as ``waiting``; ``waiting_for`` are the
    variables those facts will supply. The context is checked against the template's required
    variables now (except ``waiting_for``), so a notice that could never render is a bug found
    at the escalation, not at 3 a.m. ``template`` is the English id, the Chinese name or an
    older name; the outbox stores the name (a stored value and a JSON contract: docs/cli.md).
    """
    template = template_label(template)
    missing = [n for n in context_missing(template, context) if n not in waiting_for]
    if missing:
        raise ValueError(f"notice {template} for {case_ref}: context lacks {', '.join(missing)}")
    key = make_idempotency_key(
        case_id=case_id if case_id is not None else "-",
        rule_id=rule_id,
        cycle=cycle_key,
        recipient=recipient,
        channel=key_channel or channel,
    )
    # Notice() validates the shape (template name, JSON-safe context) before anything is written.
    Notice(
        id=None,
        case_id=case_id,
        case_ref=case_ref,
        template=template,
        channel=channel,
        recipient=recipient,
        address=address,
        subject=subject,
        context=context,
        idempotency_key=key,
        created_at=now,
    )
    return insert_notice(
        conn,
        {
            "case_id": case_id,
            "case_ref": case_ref,
            "rule_id": rule_id[:64],
            "cycle_key": cycle_key[:128],
            "template": template,
            "channel": channel,
            "recipient": recipient[:128],
            "recipient_name": recipient_name[:200],
            "address": address[:500],
            "subject": subject[:500],
            "context": dict(context),
            "idempotency_key": key,
            "status": WAITING if waiting else HELD if hold else PENDING,
            "attempts": 0,
            "next_attempt_at": None if hold or waiting else now,
            "last_error": waiting,
            "note": note,
            "created_at": now,
        },
    )


Recheck = Callable[[sa.Connection, NoticeRecord, datetime], NoticeRecord]
"""Looks again at a waiting document: released (pending) or still waiting (with its reason)."""


def retry_notice(
    conn: sa.Connection, notice_id: int, *, now: datetime, recheck: Recheck | None = None
) -> NoticeRecord:
    """Put a dead (or failing) notice back in the queue, due ``now``, with its attempts reset;
    a waiting document is checked again with ``recheck`` and released if its facts exist now.

    Runs in the caller's write transaction; the notice is locked first, so a delivery worker
    cannot claim it between the check and the write. Raises ``Refused`` for an unknown notice,
    for a waiting one that still lacks its facts (the reason names them and the command that
    supplies them; nothing is written) and for one that is not dead, pending or waiting (a sent
    notice is never sent again this way; a ``sending`` one belongs to its worker until the
    lease runs out)."""
    found = lock_notice(conn, notice_id)
    if found is None:
        raise Refused(f"no notice {notice_id} in the outbox")
    if found.status == WAITING and recheck is not None:
        checked = recheck(conn, found, now)
        if checked.status == WAITING:
            raise Refused(f"notice {notice_id} is still waiting: {checked.last_error}")
        return checked
    if found.status not in (DEAD, PENDING):
        raise Refused(
            f"notice {notice_id} is {found.status}: only a dead, pending or waiting notice "
            "can be retried"
        )
    return requeue(conn, notice_id, now=now)
