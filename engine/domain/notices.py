"""The outbox's decisions, pure: quiet hours, the retry back-off, the daily digest.

No database and no clock of its own: times come in as arguments (UTC-aware), zones from the pack.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol, TypeVar

from zhiqian.engine.domain.clocks import days_left
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import QuietHours
from zhiqian.rules.templates import DAILY_DIGEST

__all__ = [
    "DIGEST_TEMPLATE",
    "HeldNotice",
    "backoff_delay",
    "digest_context",
    "digest_due",
    "digest_groups",
    "digest_line",
    "local_date",
    "local_time",
    "quiet_until",
]

DIGEST_TEMPLATE = DAILY_DIGEST  # 每日台账摘要


class HeldNotice(Protocol):
    """What the digest reads of a held warning (a ``NoticeRecord`` has it)."""

    @property
    def recipient(self) -> str: ...
    @property
    def recipient_name(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def case_ref(self) -> str: ...
    @property
    def context(self) -> Mapping[str, Any]: ...


H = TypeVar("H", bound=HeldNotice)


def local_date(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def local_time(at: datetime, tz: tzinfo) -> time:
    return at.astimezone(tz).time()


def quiet_until(quiet: QuietHours | None, now: datetime, tz: tzinfo) -> datetime | None:
    """The end of the quiet window ``now`` lies in (UTC), or None outside it."""
    if quiet is None or quiet.from_ == quiet.to:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    start, end = quiet.from_, quiet.to
    # A window may wrap midnight (22:00–08:00): then "inside" is after the start OR before the end.
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)


def backoff_delay(
    attempts: int,
    *,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds before attempt ``attempts + 1``: ``base·2^(attempts-1)`` capped at ``cap``, half
    of it fixed and half drawn from ``rng`` (so the retries of many notices spread out), and never
    shorter than what the remote asked for (``Retry-After``)."""
    full = min(cap, base * float(2 ** max(attempts - 1, 0)))
    jittered = full / 2 + rng.uniform(0, full / 2)
    return max(jittered, retry_after or 0.0)


def digest_due(pack: RulePack, now: datetime) -> bool:
    """Whether today's digest time (pack ``routing.digest.at``, local) has come."""
    spec = pack.routing.digest
    if spec is None:
        return False
    return bool(local_time(now, pack.timezone).replace(tzinfo=None) >= spec.at)


def digest_groups(held: Sequence[H]) -> Iterator[tuple[tuple[str, str], list[H]]]:
    """Held warnings by (recipient, channel), in the order their first member came."""
    groups: dict[tuple[str, str], list[H]] = {}
    for notice in held:
        groups.setdefault((notice.recipient, notice.channel), []).append(notice)
    yield from groups.items()


def digest_line(
    notice: HeldNotice, at: datetime, tz: tzinfo, calendar: LegalCalendar
) -> dict[str, Any]:
    """One case line of the digest. The days left are counted again at ``at`` when the warning
    carries its deadline instant: a warning held since yesterday is a day closer now."""
    ctx = notice.context
    unit = ctx.get("day_unit", "工作日")
    left = int(ctx.get("days_left", 0))
    deadline_at = ctx.get("deadline_at")
    if isinstance(deadline_at, str):
        left = days_left(
            datetime.fromisoformat(deadline_at),
            at,
            tz=tz,
            calendar=calendar,
            workdays=unit == "工作日",
        )
    return {
        "case_ref": notice.case_ref,
        "employer_name": ctx.get("employer_name", ""),
        "clock_label": ctx.get("clock_label", ""),
        "deadline": ctx.get("deadline", local_date(at, tz).isoformat()),
        "days_left": left,
        "day_unit": unit,
    }


def digest_context(
    held: Sequence[HeldNotice], at: datetime, tz: tzinfo, calendar: LegalCalendar
) -> dict[str, Any]:
    """The 每日台账摘要 context for one recipient's held warnings (the first names them and
    their office: the one the warning was addressed to, else the one handling the case)."""
    first = held[0].context
    return {
        "office_name": str(first.get("recipient_office") or first.get("office_name") or ""),
        "recipient_name": held[0].recipient_name,
        "digest_date": local_date(at, tz).isoformat(),
        "cases": [digest_line(n, at, tz, calendar) for n in held],
    }
