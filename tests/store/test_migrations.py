"""Alembic migrations create exactly the tables the code declares, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zhiqian.store.database import (
    ALEMBIC_VERSION_TABLE,
    create_engine,
    current_revision,
    head_revision,
    migrate,
    scripts_head_revision,
)
from zhiqian.store.tables import METADATA


def test_upgrade_from_empty_matches_the_declared_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    not (type_ == "table" and name == ALEMBIC_VERSION_TABLE)
                ),
            },
        )
        diff = compare_metadata(context, METADATA)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_leaves_host_tables_alone(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)")
    migrate(engine)
    migrate(engine)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"zq_cases", "zq_events", ALEMBIC_VERSION_TABLE, "host_orders"} <= names
    assert "alembic_version" not in names  # the host's own Alembic table name stays free


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_the_head_constant_is_the_newest_migration() -> None:
    assert head_revision() == scripts_head_revision()
