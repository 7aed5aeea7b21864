"""Report downloads: 附件2 (campaign form) and 案件台账 (ledger) as XLSX, CSV or HTML.

The figures are ``zhiqian.engine.reports``' (the CLI's ``report campaign|ledger`` write the same
files); this module only picks the cases of the token's division and streams the file back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zhiqian.engine.http.errors import RequestInvalid
from zhiqian.errors import FieldProblem

if TYPE_CHECKING:
    from zhiqian import Engine

__all__ = ["MEDIA", "ReportFormat", "campaign_file", "ledger_file"]

ReportFormat = Literal["xlsx", "csv", "html"]
MEDIA: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_WRITERS: dict[str, dict[str, str]] = {
    "campaign": {"xlsx": "write_xlsx", "csv": "write_csv", "html": "write_html"},
    "ledger": {"xlsx": "write_ledger_xlsx", "csv": "write_ledger_csv", "html": "write_ledger_html"},
}


def _unit(unit: str | None, region: str) -> str:
    if unit and unit.strip():
        return unit.strip()
    from zhiqian.rules.divisions import name_path

    try:
        return name_path(region).replace(" ", "")
    except LookupError:
        raise RequestInvalid(
            [
                FieldProblem(
                    "unit", None, f"name the reporting unit (制表单位): {region} has no name"
                )
            ]
        ) from None


def _cases(engine: Engine, region: str, period_to: date) -> list[Any]:
    tz = engine.pack.timezone
    end = datetime.combine(period_to + timedelta(days=1), datetime.min.time(), tz)
    return list(engine.report_cases(region=region, received_to=end))


def _bytes(kind: str, fmt: str, report: Any) -> bytes:
    from zhiqian.engine import reports

    writer: Callable[[Any, Path], Path] = getattr(reports, _WRITERS[kind][fmt])
    with tempfile.TemporaryDirectory(prefix="zq-report-") as folder:
        path = writer(report, Path(folder) / f"{kind}.{fmt}")
        return path.read_bytes()


def _period(period_from: date | None, period_to: date | None, today: date) -> tuple[date, date]:
    end = period_to or today
    start = period_from or end.replace(day=1)
    if start > end:
        raise RequestInvalid([FieldProblem("from", start.isoformat(), "is after 'to'")])
    return start, end


def campaign_file(
    engine: Engine,
    *,
    region: str,
    period_from: date,
    period_to: date,
    fmt: str,
    unit: str | None,
) -> bytes:
    from zhiqian.engine.reports import campaign_report

    start, end = _period(period_from, period_to, period_to)
    now = engine.clock.now()
    report = campaign_report(
        _cases(engine, region, end),
        period_from=start,
        period_to=end,
        unit_name=_unit(unit, region),
        made_at=now,
        tz=engine.pack.timezone,
    )
    return _bytes("campaign", fmt, report)


def ledger_file(
    engine: Engine,
    *,
    region: str,
    period_from: date | None,
    period_to: date | None,
    fmt: str,
    unit: str | None,
) -> bytes:
    from zhiqian.engine.reports import ledger

    now = engine.clock.now()
    start, end = _period(period_from, period_to, now.astimezone(engine.pack.timezone).date())
    book = ledger(
        _cases(engine, region, end),
        region=region,
        period_from=start,
        period_to=end,
        made_at=now,
        tz=engine.pack.timezone,
        unit_name=_unit(unit, region),
    )
    return _bytes("ledger", fmt, book)
