"""``zhiqian report``: the official forms — 附件2 (the campaign form) and 案件台账 (the ledger).

The figures are the library's (``zhiqian.engine.reports``, pure over ``Engine.report_cases``);
this module chooses the period and the unit, and writes the file in the format asked for.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from zhiqian.engine.cli.common import (
    AtOption,
    RegionOption,
    check_region,
    command_state,
    now_utc,
    open_engine,
    pack_tz,
    parse_day,
)
from zhiqian.engine.cli.output import progress

if TYPE_CHECKING:
    from zhiqian import Engine
    from zhiqian.engine.reports import CampaignReport, Ledger, ReportCase

__all__ = ["group"]

FileFormat = Literal["xlsx", "csv", "html"]

group = typer.Typer(
    help="Official reports: 附件2 campaign form, 案件台账 ledger.", no_args_is_help=True
)


def _report_cases(
    engine: Engine, region: str | None, period_to: date, *, show_progress: bool
) -> list[ReportCase]:
    """The stored cases as the reports count them (the library maps them), received by the
    end of the period; the report itself selects its period."""
    end = datetime.combine(period_to + timedelta(days=1), datetime.min.time(), pack_tz(engine))
    cases: list[ReportCase] = []
    with progress("读取案件", None, enabled=show_progress) as advance:
        for case in engine.report_cases(region=region, received_to=end):
            cases.append(case)
            advance(1)
    return cases


OutOption = Annotated[
    Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write the report.")
]
FileFormatOption = Annotated[
    FileFormat,
    typer.Option("--format", "-f", help="xlsx (laid out like the paper form), csv, html."),
]
UnitOption = Annotated[
    str | None,
    typer.Option(
        "--unit", envvar="ZHIQIAN_UNIT", help="制表单位 / 填报单位 (default: the region's name)."
    ),
]


def _unit(unit: str | None, region: str | None) -> str:
    if unit and unit.strip():
        return unit.strip()
    if region is not None:
        from zhiqian.rules.divisions import name_path

        try:
            return name_path(region).replace(" ", "")
        except LookupError:
            pass
    raise typer.BadParameter(
        "name the reporting unit (制表单位), e.g. --unit 阳泉市人力资源和社会保障局; "
        "it defaults to the name of --region",
        param_hint="--unit",
    )


def _write_campaign(fmt: FileFormat, report: CampaignReport, out: Path) -> Path:
    from zhiqian.engine.reports import write_csv, write_html, write_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    writer = {"xlsx": write_xlsx, "csv": write_csv, "html": write_html}[fmt]
    return writer(report, out)


def _write_ledger(fmt: FileFormat, book: Ledger, out: Path) -> Path:
    from zhiqian.engine.reports import write_ledger_csv, write_ledger_html, write_ledger_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    writer = {"xlsx": write_ledger_xlsx, "csv": write_ledger_csv, "html": write_ledger_html}[fmt]
    return writer(book, out)


@group.command("campaign")
def report_campaign(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day, inclusive.")],
    fmt: FileFormatOption,
    out: OutOption,
    region: RegionOption = None,
    unit: UnitOption = None,
    at: AtOption = None,
) -> None:
    """附件2 根治欠薪冬季专项行动情况 over the cases received from --from to --to."""
    state = command_state(ctx)
    check_region(region)
    period_from, period_to = parse_day(from_, "--from"), parse_day(to, "--to")
    unit_name = _unit(unit, region)
    with open_engine(state, at) as engine:
        from zhiqian.engine.reports import campaign_report

        cases = _report_cases(engine, region, period_to, show_progress=True)
        report = campaign_report(
            cases,
            period_from=period_from,
            period_to=period_to,
            unit_name=unit_name,
            made_at=now_utc(engine),
            tz=pack_tz(engine),
        )
    path = _write_campaign(fmt, report, out)
    sys.stdout.write(f"{path}\n")
    sys.stderr.write(
        f"附件2: {report.cases_counted} cases counted, {period_from} – {period_to}"
        + (
            f"; column 4 (签订劳动合同人数) left blank: {report.contracts_unknown} cases have no "
            "figure (record it: case act ID record_contracts "
            "--param contracted_migrant_workers=N)"
            if report.contracts_unknown
            else ""
        )
        + "\n"
    )


@group.command("ledger")
def report_ledger(
    ctx: typer.Context,
    fmt: FileFormatOption,
    out: OutOption,
    region: RegionOption = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="First day (default: 1st of --to's month)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Last day (default: today / --at).")
    ] = None,
    unit: UnitOption = None,
    at: AtOption = None,
) -> None:
    """案件台账: cases open at some time in the period (received by its end, not closed before its start), per region."""
    state = command_state(ctx)
    check_region(region)
    unit_name = _unit(unit, region)
    with open_engine(state, at) as engine:
        from zhiqian.engine.reports import ledger

        now = now_utc(engine)
        period_to = parse_day(to, "--to") if to else now.astimezone(pack_tz(engine)).date()
        period_from = parse_day(from_, "--from") if from_ else period_to.replace(day=1)
        cases = _report_cases(engine, region, period_to, show_progress=True)
        book = ledger(
            cases,
            region=region,
            period_from=period_from,
            period_to=period_to,
            made_at=now,
            tz=pack_tz(engine),
            unit_name=unit_name,
        )
    path = _write_ledger(fmt, book, out)
    sys.stdout.write(f"{path}\n")
    sys.stderr.write(f"台账: {book.totals.cases} cases, {period_from} – {period_to}\n")
