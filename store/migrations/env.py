"""Alembic environment: zhiqian's tables only, version table ``zq_alembic_version``.

The connection comes from ``zhiqian.store.database.migrate`` (``config.attributes``); running the
``alembic`` command line against this folder needs ``-x url=...``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from zhiqian.store.database import ALEMBIC_VERSION_TABLE
from zhiqian.store.tables import METADATA


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Never touch the host's tables that share the database.
    return not (type_ == "table" and name is not None and not name.startswith("zq_"))


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        version_table=ALEMBIC_VERSION_TABLE,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite:///zhiqian.db upgrade head")
    with sa.create_engine(url).begin() as conn:
        _run(conn)
