"""SQL for the HTTP service's idempotency keys (``zq_idempotency_keys``).

Contract: :func:`claim` runs inside the caller's write transaction, before the change the
request asks for. It either takes the key (returns None: the caller runs the request and then
calls :func:`complete` in the SAME transaction) or returns the response stored by the first
request with this key. A concurrent request with the same key waits on the unique key
(PostgreSQL) or on the write lock (SQLite ``BEGIN IMMEDIATE``) until the first commits, then
reads its response; if the first rolled back, the second takes the key itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from zhiqian.store.dialect import insert_ignore
from zhiqian.store.tables import IdempotencyKeyRow, table_of

__all__ = ["StoredResponse", "claim", "complete"]

_keys = table_of(IdempotencyKeyRow)


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredResponse:
    """What the first request with a key was answered (``fingerprint`` of its request)."""

    fingerprint: str
    status: int
    body: str


def claim(
    conn: sa.Connection, *, token_id: int, key: str, fingerprint: str, now: datetime
) -> tuple[int, None] | tuple[None, StoredResponse]:
    """Take ``key`` for this token: ``(row id, None)``, or ``(None, the stored response)``."""
    new_id = insert_ignore(
        conn,
        _keys,
        {
            "token_id": token_id,
            "key": key,
            "fingerprint": fingerprint,
            "status": 0,
            "body": "",
            "created_at": now,
        },
    )
    if new_id is not None:
        return new_id, None
    row = conn.execute(
        sa.select(_keys.c.fingerprint, _keys.c.status, _keys.c.body).where(
            _keys.c.token_id == token_id, _keys.c.key == key
        )
    ).one()
    return None, StoredResponse(fingerprint=row.fingerprint, status=row.status, body=row.body)


def complete(conn: sa.Connection, row_id: int, *, status: int, body: str) -> None:
    """Store the response of the request that took the key (same transaction as its change)."""
    conn.execute(sa.update(_keys).where(_keys.c.id == row_id).values(status=status, body=body))
