"""What differs between SQLite and PostgreSQL in our statements, in one place."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_ignore"]


def insert_ignore(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]) -> int | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``: the new id, or None if the row existed.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    does nothing; on SQLite writers are serialised by ``BEGIN IMMEDIATE``."""
    found = conn.execute(_insert_ignore_statement(conn.dialect.name, table), dict(values))
    row = found.scalar_one_or_none()
    return None if row is None else int(row)


@functools.cache
def _insert_ignore_statement(dialect_name: str, table: sa.Table) -> sa.Insert:
    """Built once per (dialect, table): values are passed at execution, so SQLAlchemy reuses
    the compiled statement (building it per call was ~5% of a change, see docs/benchmarks.md)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt: sa.Insert = dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)
    return stmt
