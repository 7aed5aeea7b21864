"""The per-office, per-year sequences of numbered documents (``zq_document_sequences``).

A document number is taken inside the transaction that issues the document: the statement
inserts the sequence's row or increments it, and the row stays locked (PostgreSQL's
``ON CONFLICT DO UPDATE`` locks it; SQLite's write transaction holds the database) until that
transaction ends. So two issuers never get the same number, and an issue that rolls back gives
its number back — no gap is left by a failed issue, none is filled by a later one twice.
"""

from __future__ import annotations

import functools
from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from zhiqian.store.tables import DocumentSequenceRow, table_of

__all__ = ["next_document_no"]

sequences: Final[sa.Table] = table_of(DocumentSequenceRow)


@functools.cache
def _take_statement(dialect_name: str) -> sa.Insert:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(sequences).values(
        division=sa.bindparam("division"),
        kind=sa.bindparam("kind"),
        year=sa.bindparam("year"),
        last=1,
    )
    upsert: sa.Insert = stmt.on_conflict_do_update(
        index_elements=[sequences.c.division, sequences.c.kind, sequences.c.year],
        set_={"last": sequences.c["last"] + 1},
    ).returning(sequences.c["last"])
    return upsert


def next_document_no(conn: sa.Connection, *, division: str, kind: str, year: int) -> int:
    """The next number (1, 2, …) of documents of ``kind`` issued by the office of ``division``
    in ``year``, taken in the caller's write transaction (see the module docstring).

    ``division`` is the issuing office's six-digit code; ``kind`` names the sequence (e.g.
    ``refer_police`` for the 涉嫌犯罪案件移送书). Raises ``ValueError`` for a malformed
    argument, before anything is written."""
    if not (isinstance(division, str) and len(division) == 6 and division.isdigit()):
        raise ValueError(f"next_document_no: division must be a six-digit code, got {division!r}")
    if not (isinstance(kind, str) and kind.strip() and len(kind) <= 32):
        raise ValueError(f"next_document_no: kind must be 1-32 characters, got {kind!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 9999:
        raise ValueError(f"next_document_no: year must be a four-digit year, got {year!r}")
    taken = conn.execute(
        _take_statement(conn.dialect.name), {"division": division, "kind": kind, "year": year}
    ).scalar_one()
    return int(taken)
