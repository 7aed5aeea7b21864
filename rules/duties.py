"""Report duties (``routing.reports``): when each one is owed, worked out on the legal calendar.

A report is owed monthly (``day_of_month``, within its ``in_force`` window), once on a day
(``due``), or once within a period after the campaign ends (``after_end``: "行动结束后5个工作日
内"). The campaign's end is the pack's ``effective.to``: a date, or ``spring_festival`` — the
last day before the published 春节 break (the break may begin before 除夕, LAW.md §3) — or
``new_year`` (31 December). ``after_end`` counts like any limit: the end day itself is not
counted, working days skip the 春节 break.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline, limit_text_zh
from zhiqian.rules.in_force import InForce
from zhiqian.rules.schema import EffectiveSpec, ReportSpec

__all__ = ["ReportDue", "campaign_last_day", "report_due", "report_dues"]


def campaign_last_day(effective: EffectiveSpec | None, calendar: LegalCalendar) -> date | None:
    """The last day of the campaign window (None: no window, or open-ended)."""
    if effective is None or effective.to is None:
        return None
    to = effective.to
    if to == "spring_festival":
        # A winter campaign starting in November ends before the next year's festival.
        year = effective.from_.year + 1 if effective.from_.month >= 3 else effective.from_.year
        break_start, _assumed = calendar.spring_festival_break_start(year)
        return break_start - timedelta(days=1)
    if to == "new_year":
        return date(effective.from_.year, 12, 31)
    return to


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportDue:
    """One report duty as a clerk reads it: the day it is due (once-only reports), or the day
    of the month (monthly ones), the window it stands in, and how the day was found."""

    id: str
    label: str
    due: date | None
    day_of_month: int | None
    in_force: InForce | None
    how: str
    basis: str
    to: tuple[str, ...]


def report_due(
    report: ReportSpec,
    *,
    effective: EffectiveSpec | None,
    calendar: LegalCalendar,
    tz: tzinfo,
) -> ReportDue:
    """The duty ``report`` declares, its due day worked out (``ValueError`` for an
    ``after_end`` report in a pack without a campaign end — the loader refuses those)."""
    due: date | None = None
    if report.due is not None:
        due = report.due
        how = f"文件载明 {due.isoformat()} 前"
    elif report.after_end is not None:
        last = campaign_last_day(effective, calendar)
        if last is None:
            raise ValueError(f"report {report.id!r}: after_end needs the pack's effective.to")
        start = datetime.combine(last, time(12), tzinfo=tz)
        deadline = compute_deadline(report.after_end, start, calendar=calendar, tz=tz)
        assert deadline.local is not None  # no pauses: always a day
        due = deadline.local.date()
        how = f"行动结束（{last.isoformat()}）后 {limit_text_zh(report.after_end)}内：{due.isoformat()}"
        if deadline.assumed:
            how += "（调休安排未知，按法定节假日推定）"
    else:
        how = f"每月{report.day_of_month}日"
        if report.in_force is not None:
            how += f"（{report.in_force.text_zh()}）"
    return ReportDue(
        id=report.id,
        label=report.label,
        due=due,
        day_of_month=report.day_of_month,
        in_force=report.in_force,
        how=how,
        basis=report.basis,
        to=report.to,
    )


def report_dues(
    reports: tuple[ReportSpec, ...],
    *,
    effective: EffectiveSpec | None,
    calendar: LegalCalendar,
    tz: tzinfo,
) -> list[ReportDue]:
    """Every duty of a pack (``pack.routing.reports``), in pack order."""
    return [report_due(r, effective=effective, calendar=calendar, tz=tz) for r in reports]
