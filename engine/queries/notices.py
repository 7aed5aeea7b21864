"""Reading the outbox: notices as views, one notice with its rendered document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhiqian.engine.domain.notices import DIGEST_TEMPLATE
from zhiqian.errors import NotifierError, Refused
from zhiqian.notifiers import Notice, NoticeRenderer
from zhiqian.rules.templates import template_id
from zhiqian.store.outbox import (
    STATUSES,
    WAITING,
    NoticeRecord,
    Transactions,
    get_notice,
    select_notices,
)

__all__ = ["STATUSES", "NoticeView", "list_notices", "notice_of", "show_notice", "view_of"]


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
        return notice_of(self)


def view_of(record: NoticeRecord, text: str | None = None) -> NoticeView:
    return NoticeView(
        id=record.id,
        case_id=record.case_id,
        case_ref=record.case_ref,
        rule_id=record.rule_id,
        cycle_key=record.cycle_key,
        template=record.template,
        channel=record.channel,
        recipient=record.recipient,
        recipient_name=record.recipient_name,
        address=record.address,
        subject=record.subject,
        context=record.context,
        idempotency_key=record.idempotency_key,
        status=record.status,
        attempts=record.attempts,
        next_attempt_at=record.next_attempt_at,
        last_error=record.last_error,
        note=record.note,
        digest_id=record.digest_id,
        created_at=record.created_at,
        sent_at=record.sent_at,
        remote_id=record.remote_id,
        text=text,
    )


def notice_of(record: NoticeRecord | NoticeView) -> Notice:
    """The notice a channel sends for this outbox row."""
    context = dict(record.context)
    # A digest is addressed by name; other notices carry the name their escalation chose.
    if template_id(record.template) == DIGEST_TEMPLATE or "recipient_name" not in context:
        context.setdefault("recipient_name", record.recipient_name)
    return Notice(
        id=record.id,
        case_id=record.case_id,
        case_ref=record.case_ref,
        template=record.template,  # type: ignore[arg-type]
        channel=record.channel,
        recipient=record.recipient_name or record.recipient,
        address=record.address,
        subject=record.subject,
        context=context,
        idempotency_key=record.idempotency_key,
        created_at=record.created_at,
    )


def list_notices(
    tx: Transactions,
    *,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[NoticeView]:
    """Outbox rows, newest first, optionally of one status and/or one case."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    with tx.read() as conn:
        records = select_notices(conn, status=status, case_id=case_id, limit=limit, offset=offset)
    return [view_of(r) for r in records]


def show_notice(
    tx: Transactions, notice_id: int, *, renderer: NoticeRenderer | None = None
) -> NoticeView:
    """One notice with its rendered document in ``text`` (or why it cannot be rendered)."""
    with tx.read() as conn:
        record = get_notice(conn, notice_id)
    if record is None:
        raise Refused(f"no notice {notice_id} in the outbox")
    if record.status == WAITING:
        # not issued: it lacks a fact, and rendering it would print a placeholder or fail
        return view_of(record, f"（未发出，等待补充事实）{record.last_error or ''}")
    try:
        rendered = (renderer or NoticeRenderer()).render(notice_of(record))
        text = f"{rendered.subject}\n\n{rendered.text}"
    except NotifierError as exc:
        text = f"(cannot be rendered: {exc})"
    return view_of(record, text)
