"""``zhiqian overdue`` and ``zhiqian sweep``: what is past its deadline, and the pass that acts on it.

Both are commands of the root group (registered in app.py), not a group of their own.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer

from zhiqian.engine.cli.common import (
    AtOption,
    FormatOption,
    LevelOption,
    RegionOption,
    ShowFormatOption,
    check_region,
    command_state,
    now_utc,
    open_engine,
    pack_tz,
)
from zhiqian.engine.cli.output import (
    Column,
    human_duration,
    local_time,
    print_json,
    print_listing,
)

__all__ = ["OVERDUE_COLUMNS", "overdue", "sweep"]


def _parse_within(text: str | None) -> timedelta | None:
    if text is None:
        return None
    from zhiqian.rules.limits import LimitUnit, parse_limit

    try:
        limit = parse_limit(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--within") from None
    if limit.unit == LimitUnit.DAYS:
        return timedelta(days=limit.n)
    if limit.unit == LimitUnit.HOURS:
        return timedelta(hours=limit.n)
    raise typer.BadParameter(
        f"{text!r}: give natural days or hours ('2 days', '12 hours')", param_hint="--within"
    )


OVERDUE_COLUMNS = (
    Column("case", "案件", "right"),
    Column("ref", "外部编号"),
    Column("clock_label", "时限"),
    Column("deadline", "截止"),
    Column("overdue_by", "超期/剩余", "right"),
    Column("workdays_left", "剩余工作日", "right"),
    Column("level", "层级"),
    Column("region", "属地"),
    Column("state", "状态"),
)


def overdue(
    ctx: typer.Context,
    at: AtOption = None,
    region: RegionOption = None,
    level: LevelOption = None,
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            metavar="DURATION",
            help="Also clocks due within this span: '2 days', '12 hours'.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    fmt: FormatOption = "table",
) -> None:
    """Overdue (and, with --within, soon-due) clocks, most overdue first."""
    state = command_state(ctx, fmt)
    check_region(region)
    span = _parse_within(within)
    from zhiqian.engine.cli.shapes import overdue_shape

    with open_engine(state, at) as engine:
        now, tz = now_utc(engine), pack_tz(engine)
        rows = [
            overdue_shape(item, tz)
            for item in engine.overdue(within=span, region=region, level=level, limit=limit)
        ]
    table_rows = [
        {
            **r,
            "clock_label": f"{r['clock_label']} ({r['clock']})",
            "deadline": local_time(r["deadline"], tz) + ("（推定）" if r["assumed"] else ""),
            "overdue_by": human_duration(-r["overdue_by"]),
        }
        for r in rows
    ]
    print_listing(
        fmt,
        OVERDUE_COLUMNS,
        table_rows if fmt == "table" else rows,
        json_rows=rows,
        caption=f"截至 {local_time(now, tz)}：{len(rows)} 项",
    )


def sweep(ctx: typer.Context, at: AtOption = None, fmt: ShowFormatOption = "table") -> None:
    """One scheduler pass, as the daemon runs it: fire due timers, escalate, queue notices.

    Safe to repeat: a timer that has fired does not fire again.
    """
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import sweep_shape

    with open_engine(state, at) as engine:
        result = engine.sweep()
    shape = sweep_shape(result)
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(
            f"fired {shape['fired']} timers: {shape['escalations']} escalations, "
            f"{shape['notices']} notices queued\n"
        )
