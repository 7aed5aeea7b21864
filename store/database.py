"""Engines, transactions and schema migration for SQLite (embedded) and PostgreSQL (production).

One URL picks the backend. SQLite gets WAL, foreign keys, a busy timeout and real transactions:
pysqlite's own transaction handling is switched off and every write transaction starts with
``BEGIN IMMEDIATE`` so that two processes writing one file queue on the lock instead of failing
on a stale read snapshot; read-only work starts a plain (deferred) ``BEGIN``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from zhiqian.errors import StoreError

__all__ = [
    "ALEMBIC_VERSION_TABLE",
    "HEAD_REVISION",
    "READ_ONLY",
    "create_engine",
    "current_revision",
    "head_revision",
    "is_sqlite",
    "migrate",
    "scripts_head_revision",
    "write_transaction",
]

ALEMBIC_VERSION_TABLE = "zq_alembic_version"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "zq_read_only"  # execution option: this connection only reads
SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(bind: sa.Engine | sa.Connection) -> bool:
    return bind.dialect.name == "sqlite"


def create_engine(url: str | sa.URL, **kwargs: Any) -> sa.Engine:
    """An engine for ``url`` with zhiqian's settings (SQLite pragmas; psycopg 3 for PostgreSQL)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in {
        "psycopg2",
        "postgresql",
    }:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = sa.create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///FILE or "
            "postgresql://USER@HOST/DB"
        )
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite: SQLAlchemy's "begin" event below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a write transaction: committed on success, rolled back on any error."""
    with engine.begin() as conn:
        yield conn


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring our tables to ``revision`` (Alembic; only zhiqian's tables are touched)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


# The newest migration. Kept as a constant so that opening an engine does not import Alembic and
# read every migration script; tests/store/test_migrations.py checks it against the scripts.
HEAD_REVISION = "0006"


def head_revision() -> str:
    return HEAD_REVISION


def scripts_head_revision() -> str:
    """The head revision as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    with sa.create_engine("sqlite://").connect() as conn:
        script = ScriptDirectory.from_config(_alembic_config(conn))
    head = script.get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StoreError("no migrations shipped")
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision our tables are at, or None when zhiqian's schema is not there."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        if not sa.inspect(conn).has_table(ALEMBIC_VERSION_TABLE):
            return None
        row = conn.execute(sa.text(f"SELECT version_num FROM {ALEMBIC_VERSION_TABLE}")).first()
        return None if row is None else str(row[0])
