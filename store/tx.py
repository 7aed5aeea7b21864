"""The one transaction object: ``write()``, ``read()``, ``within(host)``.

Every statement of the library runs on a connection handed out here, so SQLAlchemy's errors are
translated into our tree once, where they enter (the way httpx maps httpcore's): a database that
cannot be reached or used, a value it refuses, a constraint it enforces all come out as
``StoreError`` with the driver's first line. The store functions that know what a violated key
*means* (a case's ref taken: ``DuplicateCase``; an event's seq taken: ``ConflictError``) raise
those themselves, inside the block; they are ours already and pass through unchanged.

A host system binds us to its own ``Session`` or ``Connection`` with :meth:`Tx.within`: writes
then join the host's transaction inside a SAVEPOINT (a refused operation of ours never spoils
the host's work) and the host commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhiqian.errors import StoreError
from zhiqian.store.database import READ_ONLY

__all__ = ["Tx", "store_error"]


class Tx:
    """Opens the library's transactions on ``bind``, or joins ``host``'s."""

    __slots__ = ("_bind", "_host")

    def __init__(self, bind: sa.Engine, host: Session | sa.Connection | None = None) -> None:
        self._bind = bind
        self._host = host

    @property
    def bind(self) -> sa.Engine:
        return self._bind

    @property
    def host(self) -> Session | sa.Connection | None:
        return self._host

    def within(self, host: Session | sa.Connection) -> Tx:
        """The same store, joining ``host``'s transaction."""
        return Tx(self._bind, host)

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction: committed when the block ends, rolled back on any error (on
        SQLite it begins ``BEGIN IMMEDIATE``). Joined to the host's inside a SAVEPOINT."""
        try:
            if self._host is None:
                with self._bind.begin() as conn:
                    yield conn
                return
            conn = self._host.connection() if isinstance(self._host, Session) else self._host
            with conn.begin_nested():
                yield conn
        except sa.exc.DBAPIError as exc:
            raise store_error(exc) from exc

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (a plain deferred ``BEGIN`` on SQLite); the host's if bound."""
        try:
            if self._host is not None:
                yield self._host.connection() if isinstance(self._host, Session) else self._host
                return
            with self._bind.connect().execution_options(**{READ_ONLY: True}) as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise store_error(exc) from exc


def store_error(exc: sa.exc.DBAPIError) -> StoreError:
    """Our error for a foreign one: what kind of failure, and the driver's first line."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    if isinstance(exc, sa.exc.IntegrityError):
        return StoreError(f"the database refused the write (a constraint): {first}")
    if isinstance(exc, sa.exc.DataError):
        return StoreError(f"the database refused a value: {first}")
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return StoreError(f"the database cannot be used: {first}")
    return StoreError(f"the database failed: {first}")
