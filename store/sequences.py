"""Every statement on ``zq_document_sequences``: per-office, per-year numbers of documents.

The number is taken in the transaction that issues the document: ``INSERT … ON CONFLICT DO
NOTHING`` makes the year's row exist, then ``UPDATE … SET last = last + 1 RETURNING last`` takes
the row lock and the next number at once. A concurrent issuer waits on that lock and gets the
next number; a rolled-back issue gives its number back, so the sequence has no gaps from
failures and never repeats.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from zhiqian.store.dialect import insert_ignore
from zhiqian.store.tables import DocumentSequenceRow, table_of

__all__ = ["next_document_no"]

sequences: Final[sa.Table] = table_of(DocumentSequenceRow)

_TAKE: Final = (
    sa.update(sequences)
    .where(
        sequences.c.division == sa.bindparam("w_division"),
        sequences.c.kind == sa.bindparam("w_kind"),
        sequences.c.year == sa.bindparam("w_year"),
    )
    .values(last=sequences.c.last + 1)
    .returning(sequences.c.last)
)


def next_document_no(conn: sa.Connection, *, division: str, kind: str, year: int) -> int:
    """The next number of ``kind`` documents issued by ``division``'s office in ``year``."""
    insert_ignore(conn, sequences, {"division": division, "kind": kind, "year": year, "last": 0})
    taken = conn.execute(_TAKE, {"w_division": division, "w_kind": kind, "w_year": year})
    return int(taken.scalar_one())
