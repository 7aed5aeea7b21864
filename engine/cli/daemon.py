"""``zhiqian daemon``: the long-running scheduler, which lives in ``zhiqian.engine.service``.

The command only turns its options into the service's arguments: the sweep, the delivery, the
digests and the monthly ledger are the service's, so ``zhiqian daemon`` and the service's own
entry point run the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from zhiqian.engine.cli.common import (
    AtOption,
    NoticeDirOption,
    command_state,
    in_zone,
    parse_at,
)
from zhiqian.engine.cli.output import OutputState

if TYPE_CHECKING:
    from zhiqian import Clock

__all__ = ["daemon"]


def daemon(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One sweep, the digest if due, one delivery; exit.")
    ] = False,
    at: AtOption = None,
    notice_dir: NoticeDirOption = None,
    sweep_seconds: Annotated[
        float, typer.Option("--sweep-seconds", min=0.1, help="Sweep interval.")
    ] = 30.0,
    deliver_seconds: Annotated[
        float, typer.Option("--deliver-seconds", min=0.1, help="Outbox interval.")
    ] = 15.0,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Cases per sweep batch.")] = 500,
    worker: Annotated[
        str | None, typer.Option("--worker", help="Name in the logs and claims.")
    ] = None,
) -> None:
    """Run the scheduler: sweep due timers and deliver notices until SIGTERM (logs: JSON lines on stderr).

    Several daemons may share one PostgreSQL database: each due action happens once. SIGTERM finishes the batch in hand and exits 0.
    """
    state = command_state(ctx)
    clock = _simulated_clock(state, at)  # a bad --at is bad usage: before anything opens
    from zhiqian.engine.service.daemon import run_daemon

    code = run_daemon(
        state.db,
        pack=state.rules,
        once=once,
        clock=clock,
        notice_dir=notice_dir,
        sweep_seconds=sweep_seconds,
        deliver_seconds=deliver_seconds,
        batch=batch,
        worker=worker,
    )
    raise typer.Exit(int(code or 0))


def _simulated_clock(state: OutputState, at: str | None) -> Clock | None:
    """``--at`` as a frozen clock (a naive time in the pack's zone); None runs on the wall."""
    if at is None:
        return None
    when = parse_at(at)
    from zhiqian import FrozenClock

    if when.utcoffset() is None:
        from zhiqian.rules.loader import load_pack

        when = in_zone(when, load_pack(state.rules).timezone)
    return FrozenClock(when)
