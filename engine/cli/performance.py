"""``zhiqian report performance`` (the ranking: XLSX, CSV, HTML with charts) and ``zhiqian stats``
(the dashboard feed). Each opens the engine, calls ``Engine.performance`` once and writes what
it returns; the counting is the library's (docs/performance.md)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from zhiqian.engine.cli.common import AtOption, LevelName, command_state, open_engine, parse_day
from zhiqian.engine.cli.output import print_json

if TYPE_CHECKING:
    from zhiqian import Engine

__all__ = ["report_performance", "stats"]

RankingFormat = Literal["xlsx", "csv", "html"]
StatsFormat = Literal["table", "json"]


def _period(engine: Engine, from_: str | None, to: str | None) -> tuple[date, date]:
    today = engine.clock.now().astimezone(engine.pack.timezone).date()
    period_to = parse_day(to, "--to") if to else today
    period_from = parse_day(from_, "--from") if from_ else period_to.replace(day=1)
    if period_to < period_from:
        raise typer.BadParameter(
            f"--to {period_to} is before --from {period_from}", param_hint="--to"
        )
    return period_from, period_to


def report_performance(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day, inclusive.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write the report.")
    ],
    fmt: Annotated[
        RankingFormat,
        typer.Option("--format", "-f", help="xlsx (a sheet per measure), csv, html (with charts)."),
    ] = "xlsx",
    level: Annotated[
        LevelName, typer.Option("--level", help="Which offices are ranked.")
    ] = "county",
    at: AtOption = None,
) -> None:
    """按期办结率排名 and 红黑榜: offices of --level ranked over --from … --to (docs/performance.md)."""
    state = command_state(ctx)
    with open_engine(state, at) as engine:
        period_from, period_to = _period(engine, from_, to)
        perf = engine.performance(period_from=period_from, period_to=period_to)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        from zhiqian.engine.reports.performance_html import write_performance_html

        path = write_performance_html(perf, out, level=level)
    elif fmt == "csv":
        from zhiqian.engine.reports.performance import write_performance_csv

        path = write_performance_csv(perf, out, level=level)
    else:
        from zhiqian.engine.reports.performance import write_performance_xlsx

        path = write_performance_xlsx(perf, out, level=level)
    sys.stdout.write(f"{path}\n")
    ranked = [f for f in perf.offices_at(level) if f.rank is not None]
    sys.stderr.write(
        f"排名: {len(ranked)} offices ranked ({level}), {period_from} – {period_to}; "
        f"红榜 {sum(f.listed == 'red' for f in ranked)}, 黑榜 {sum(f.listed == 'black' for f in ranked)}\n"
    )


def stats(
    ctx: typer.Context,
    fmt: Annotated[
        StatsFormat, typer.Option("--format", "-f", help="Output: table or json.")
    ] = "table",
    from_: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="First day (default: 1st of --to's month)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Last day (default: today / --at).")
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=0, max=1000, help="How many overdue clocks.")
    ] = 10,
    at: AtOption = None,
) -> None:
    """The dashboard feed (大屏): lights by region and level, offices, top overdue, trend.

    ``--format json`` prints the versioned shape of docs/performance.md (``"version": 1``)."""
    state = command_state(ctx, fmt)
    from zhiqian.engine.reports.performance_feed import stats_feed

    with open_engine(state, at) as engine:
        period_from, period_to = _period(engine, from_, to)
        perf = engine.performance(period_from=period_from, period_to=period_to, top=top)
    feed = stats_feed(perf)
    if fmt == "json":
        print_json(feed)
        return
    totals = feed["lights"]["total"]
    lines = [
        f"{perf.period_from} – {perf.period_to}, as of {perf.as_of:%Y-%m-%d %H:%M} UTC ({perf.pack})",
        "lights: " + ", ".join(f"{k} {v}" for k, v in totals.items()),
    ]
    for office in feed["offices"]:
        rate = office["on_time_rate"]
        lines.append(
            f"  {office['level']:<8} {office['code']} {office['name']:<8} "
            f"rank {office['rank'] or '-':>3}  on time {'-' if rate is None else f'{rate:.1%}'}"
            f"  ended {office['ended']}  overdue {office['overdue']}"
            + (f"  [{office['listed']}]" if office["listed"] else "")
        )
    for item in feed["top_overdue"]:
        lines.append(f"  overdue {item['ref']} {item['clock']} by {item['overdue_hours']} h")
    sys.stdout.write("\n".join(lines) + "\n")
