"""``zhiqian db``: the schema of zhiqian's own tables."""

from __future__ import annotations

import sys

import typer

from zhiqian.engine.cli.common import ShowFormatOption, command_state
from zhiqian.engine.cli.output import print_json

__all__ = ["group"]

group = typer.Typer(help="The database: schema migrations.", no_args_is_help=True)


@group.command("upgrade")
def db_upgrade(ctx: typer.Context, fmt: ShowFormatOption = "table") -> None:
    """Create zhiqian's tables or bring them to this version (Alembic; only zq_* tables)."""
    state = command_state(ctx, fmt)
    from zhiqian.store.database import create_engine, current_revision, head_revision, migrate

    bind = create_engine(state.db)
    try:
        before = current_revision(bind)
        migrate(bind)
        after = current_revision(bind)
    finally:
        bind.dispose()
    if fmt == "json":
        print_json({"from": before, "to": after, "head": head_revision()})
        return
    if before == after:
        sys.stdout.write(f"database is up to date (revision {after})\n")
    else:
        sys.stdout.write(f"database upgraded: {before or 'empty'} → {after}\n")
