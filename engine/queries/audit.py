"""The audit side: the hash chains of the event log verified."""

from __future__ import annotations

import sqlalchemy as sa

from zhiqian.store.audit import verify_chain

__all__ = ["verify_audit"]


def verify_audit(conn: sa.Connection) -> list[str]:
    """Every break in the event log's hash chains; an empty list means it verifies."""
    return list(verify_chain(conn))
