"""Shared fixtures: the databases every store test runs on.

PostgreSQL: one throw-away database per test run (``zq_test_<pid>_<random>``), created on the
server named by ``ZHIQIAN_TEST_PG`` (default the machine's server, database ``test``) and dropped
at the end. When the server cannot be reached the PostgreSQL tests skip locally and FAIL when
``CI`` or ``ZHIQIAN_REQUIRE_PG`` is set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "ZHIQIAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = bool(os.environ.get("CI") or os.environ.get("ZHIQIAN_REQUIRE_PG"))


class PgServer:
    """Creates and drops databases on the test server; every name it made is dropped at exit."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = sa.make_url(admin_url)
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.prefix = f"zq_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.made: list[str] = []

    def create_database(self, suffix: str = "") -> str:
        name = f"{self.prefix}{('_' + suffix) if suffix else ''}_{len(self.made)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer(PG_ADMIN_URL)
        with server.admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to reach the server decides skip-or-fail below
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.drop_all()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A new, empty PostgreSQL database for this test."""
    return pg_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new, empty SQLite file for this test."""
    return f"sqlite:///{tmp_path / 'zhiqian.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both databases: an empty SQLite file, then an empty PostgreSQL database."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def make_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """A factory for extra empty databases of one kind (``"sqlite"`` or ``"postgres"``)."""
    counter = iter(range(1_000_000))

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'extra{next(counter)}.db'}"
        server: PgServer = request.getfixturevalue("pg_server")
        return server.create_database()

    return make
