"""The monthly 案件台账 (case ledger) job: one XLSX file per report, region and month.

Everything comes in as arguments — the cases (the engine's report feed), the folder, the moment
and the office's time zone and name — so the job reads no configuration and can be called once
from a test, cron or the daemon. A second daemon writing the same month writes the same file
name: the file is replaced, not duplicated.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from pathlib import Path

from zhiqian.engine.reports import ReportCase, ledger, write_ledger_xlsx

__all__ = ["ledger_path", "write_monthly_ledger"]


def ledger_path(folder: Path, *, report_id: str, region: str | None, day: date) -> Path:
    """``<folder>/<report>-<region or all>-<YYYY-MM>.xlsx``."""
    return folder / f"{report_id}-{region or 'all'}-{day:%Y-%m}.xlsx"


def write_monthly_ledger(
    cases: Iterable[ReportCase],
    folder: Path,
    *,
    report_id: str,
    now: datetime,
    tz: tzinfo,
    unit_name: str,
    region: str | None = None,
) -> Path:
    """The 案件台账 of ``cases`` from the 1st of ``now``'s month to ``now`` (in ``tz``), written
    as XLSX into ``folder`` (created if missing); returns the file's path."""
    today = now.astimezone(tz).date()
    book = ledger(
        cases,
        region=region,
        period_from=today.replace(day=1),
        period_to=today,
        made_at=now,
        tz=tz,
        unit_name=unit_name,
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = ledger_path(folder, report_id=report_id, region=region, day=today)
    write_ledger_xlsx(book, path)
    return path
