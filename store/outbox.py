"""The outbox table's statements: every SQL statement on ``zq_notices`` lives here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.store.dialect import insert_ignore
from zhiqian.store.tables import NoticeRow, table_of

__all__ = ["DEAD", "DIGESTED", "HELD", "PENDING", "SENDING", "SENT", "STATUSES", "insert_notice"]

notices: Final[sa.Table] = table_of(NoticeRow)

HELD, DIGESTED = "held", "digested"
PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES: Final = (HELD, DIGESTED, PENDING, SENDING, SENT, DEAD)


def insert_notice(conn: sa.Connection, values: Mapping[str, Any]) -> int | None:
    """Insert one notice unless its idempotency key exists: the new id, or None."""
    return insert_ignore(conn, notices, values)
