"""Queueing a notice into the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.notifiers import REQUIRED_CONTEXT, Notice, make_idempotency_key
from zhiqian.store.outbox import HELD, PENDING, insert_notice

__all__ = ["queue_notice"]


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
) -> int | None:
    """Write one notice into the outbox (inside the caller's transaction).

    Returns its id, or None when the same notice exists already. ``hold`` keeps it for the
    recipient's digest. The context is checked against the template's required variables now,
    so a notice that could never render is a bug found at the escalation, not at 3 a.m.
    """
    missing = sorted(n for n in REQUIRED_CONTEXT[template] if context.get(n) is None)  # type: ignore[index]
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
        template=template,  # type: ignore[arg-type]
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
            "status": HELD if hold else PENDING,
            "attempts": 0,
            "next_attempt_at": None if hold else now,
            "note": note,
            "created_at": now,
        },
    )
