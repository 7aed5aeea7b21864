"""What conditions see of a case: a plain ``ConditionContext`` built from its record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal

from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.duties import campaign_last_day
from zhiqian.rules.loader import RulePack
from zhiqian.store.records import CaseRecord

__all__ = ["campaign_window", "case_context", "owed_to_one"]


def owed_to_one(row: CaseRecord) -> tuple[Decimal | None, int | None]:
    """What one worker is owed and for how many months of pay (法释〔2013〕3号 第三条（一）), as
    far as the case knows: the recorded figures (intake or ``record_arrears``); with a single
    worker and no figure recorded, what the case owes is what that one worker is owed. Months
    are only ever the recorded ones: None = unknown, never a guessed 0."""
    owed = row.largest_owed
    if owed is None and row.workers == 1:
        owed = Decimal(row.amount)
    return owed, row.largest_owed_months


def campaign_window(
    pack: RulePack, calendar: LegalCalendar
) -> tuple[datetime | None, datetime | None]:
    """The pack's effective window as aware datetimes in its zone (None where open).

    ``to: spring_festival`` ends the window at the close of the day before the published 春节
    break (LAW.md §3: the break may start before 除夕); ``new_year`` at the close of 31 December.
    """
    effective = pack.effective
    if effective is None:
        return None, None
    tz = pack.timezone
    start = datetime.combine(effective.from_, time.min, tzinfo=tz)
    end_date = campaign_last_day(effective, calendar)
    end = datetime.combine(end_date, time.max, tzinfo=tz) if end_date else None
    return start, end


def case_context(
    row: CaseRecord,
    *,
    now: datetime,
    pack: RulePack,
    clocks: Mapping[str, str],
    state: str | None = None,
    campaign: tuple[datetime | None, datetime | None] = (None, None),
) -> ConditionContext:
    """The condition context of a case row (``state`` overrides the row's, e.g. after a move)."""
    largest_owed, largest_owed_months = owed_to_one(row)
    return ConditionContext(
        level=row.level,
        region=row.handling_region,
        state=state or row.state,
        workers=row.workers,
        migrant_workers=row.migrant_workers,
        amount=row.amount,
        migrant_amount=row.migrant_amount,
        largest_owed=largest_owed,
        largest_owed_months=largest_owed_months,
        flags=tuple(row.flags or ()),
        project_kind=row.project_kind,
        employer_category=row.employer_category,
        channel=row.channel,
        now=now.astimezone(pack.timezone),
        campaign_start=campaign[0],
        campaign_end=campaign[1],
        clocks=clocks,
    )
