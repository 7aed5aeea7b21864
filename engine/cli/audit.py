"""``zhiqian audit``: the hash-chained event log."""

from __future__ import annotations

import sys

import typer

from zhiqian.engine.cli.common import ShowFormatOption, command_state, open_engine
from zhiqian.engine.cli.output import print_json

__all__ = ["group"]

group = typer.Typer(help="The hash-chained event log.", no_args_is_help=True)


@group.command("verify")
def audit_verify(ctx: typer.Context, fmt: ShowFormatOption = "table") -> None:
    """Check the hash chain of every case's event log; exit 1 with each finding if it breaks."""
    state = command_state(ctx, fmt)
    from zhiqian import AuditError

    with open_engine(state) as engine:
        findings = engine.verify_audit()
    if findings:
        raise AuditError(findings)
    if fmt == "json":
        print_json({"ok": True, "findings": []})
    else:
        sys.stdout.write("audit log verifies: no edited, deleted or reordered events\n")
