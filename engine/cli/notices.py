"""``zhiqian notices``: the outbox of notices — list, show, retry, deliver."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from zhiqian.engine.cli.common import (
    AtOption,
    FormatOption,
    NoticeDirOption,
    ShowFormatOption,
    command_state,
    find_case,
    open_engine,
    pack_tz,
)
from zhiqian.engine.cli.output import Column, print_json, print_listing

__all__ = ["group"]

group = typer.Typer(
    help="The notice outbox 通知: list, show, retry, deliver.", no_args_is_help=True
)

_NOTICE_COLUMNS = (
    Column("id", "ID", "right"),
    Column("case", "案件", "right"),
    Column("template", "文书"),
    Column("channel", "渠道"),
    Column("recipient", "接收方"),
    Column("status", "状态"),
    Column("attempts", "尝试", "right"),
    Column("waiting_for", "待补"),
)


@group.command("list")
def notices_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="waiting, held, digested, pending, sending, sent or dead (waiting = a "
            "document lacking a fact, dead = gave up).",
        ),
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", metavar="ID", help="Only this case (id or ref).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    fmt: FormatOption = "table",
) -> None:
    """Notices in the outbox, newest first."""
    state = command_state(ctx, fmt)
    from zhiqian import NOTICE_STATUSES as STATUSES

    if status is not None and status not in STATUSES:
        raise typer.BadParameter(
            f"{status!r} is not one of {', '.join(STATUSES)}", param_hint="--status"
        )
    from zhiqian.engine.cli.shapes import notice_shape

    with open_engine(state) as engine:
        case_id = find_case(engine, case, history=False).id if case is not None else None
        rows = [
            notice_shape(n) for n in engine.notices(status=status, case_id=case_id, limit=limit)
        ]
    print_listing(fmt, _NOTICE_COLUMNS, rows)


@group.command("show")
def notices_show(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: ShowFormatOption = "table",
) -> None:
    """One notice: where it goes, its attempts, and the rendered document."""
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import notice_detail

    with open_engine(state) as engine:
        shape = notice_detail(engine.notice(notice_id), pack_tz(engine))
    if fmt == "json":
        print_json(shape)
        return
    print_listing("table", _NOTICE_COLUMNS, [shape])
    if shape["waiting_for"]:
        sys.stdout.write(f"waiting for 待补: {shape['waiting_for']}\n")
    elif shape["last_error"]:
        sys.stdout.write(f"last error: {shape['last_error']}\n")
    if shape["text"]:
        sys.stdout.write(str(shape["text"]).rstrip("\n") + "\n")


@group.command("retry")
def notices_retry(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="ID")],
    at: AtOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Put a dead-lettered (or pending) notice back in the queue, due now, attempts reset.

    A waiting document is checked again: sent on the next delivery if the fact it lacked exists now, else refused (exit 1) naming the fact and the command that supplies it.
    """
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import notice_shape

    with open_engine(state, at) as engine:
        shape = notice_shape(engine.retry_notice(notice_id))
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(f"notice {shape['id']} queued again ({shape['status']})\n")


@group.command("deliver")
def notices_deliver(
    ctx: typer.Context,
    at: AtOption = None,
    notice_dir: NoticeDirOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Send what is due in the outbox once, through the channels configured in the environment.

    Channels: log and file always; email with ZHIQIAN_SMTP_HOST; webhook and apprise to the notice's address. Failures are retried later with back-off; after the last attempt a notice is dead (notices list --status dead, notices retry ID).
    """
    state = command_state(ctx, fmt)
    from zhiqian.engine.service.daemon import notifiers_from_env

    with open_engine(state, at) as engine:
        report = engine.deliver_notices(notifiers_from_env(notice_dir=notice_dir))
    shape = {
        "sent": int(report.sent),
        "retried": int(report.retried),
        "dead": int(report.dead),
        "deferred": int(report.deferred),
    }
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(
            f"sent {shape['sent']}, to retry {shape['retried']}, dead-lettered {shape['dead']}, "
            f"held for quiet hours {shape['deferred']}\n"
        )
