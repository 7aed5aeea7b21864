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
    from zhiqian import Engine

    done = Engine.upgrade(state.db)
    before, after = done.before, done.after
    if fmt == "json":
        print_json({"from": before, "to": after, "head": done.head})
        return
    if before == after:
        sys.stdout.write(f"database is up to date (revision {after})\n")
    else:
        sys.stdout.write(f"database upgraded: {before or 'empty'} → {after}\n")
