"""Traffic lights (红黄绿灯): how urgent a clock, or a case, is at one moment. Pure.

A light is read from what a clock stores and the pack's warning window (``performance.lights``):

- **red** (红灯)    breached: the deadline has passed or a breach was recorded;
- **yellow** (黄灯) a warning of the clock has fired, or the deadline is within the window;
- **grey** (灰灯)   paused (中止, 补正): the deadline is not running;
- **green** (绿灯)  running, not in the window.

A clock that has ended (stopped, cancelled) has no light. A case's light is the worst of its
running and paused clocks (red > yellow > green > grey); a case with none has no light.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Final

from zhiqian.engine.domain.clocks import ClockState, derived_status
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import Limit
from zhiqian.rules.loader import RulePack

__all__ = [
    "LIGHT_LABELS",
    "Light",
    "case_light",
    "clock_light",
    "light_of",
    "pack_horizon",
    "warning_horizon",
    "worst",
]


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"


LIGHT_LABELS: Final = {
    Light.RED: "红灯（超期）",
    Light.YELLOW: "黄灯（预警/临期）",
    Light.GREEN: "绿灯（正常）",
    Light.GREY: "灰灯（中止）",
}
# Worst first: a case shows the light of its most urgent clock.
_SEVERITY: Final = {Light.RED: 3, Light.YELLOW: 2, Light.GREEN: 1, Light.GREY: 0}


def warning_horizon(
    window: Limit, now: datetime, *, calendar: LegalCalendar, tz: tzinfo
) -> datetime:
    """The moment up to which a running deadline is "near": ``window`` counted from ``now`` on
    the legal calendar (``3 workdays``: the close of the 3rd working day after today)."""
    return _horizon(window, now, calendar, tz)


@lru_cache(maxsize=256)
def _horizon(window: Limit, now: datetime, calendar: LegalCalendar, tz: tzinfo) -> datetime:
    # Every view of a case asks this at the same "now" (the clock is read once per call, and
    # a frozen clock repeats it): a pure function, cached to keep the hot path as it was.
    at = compute_deadline(window, now, calendar=calendar, tz=tz).at
    return at if at is not None else now


def pack_horizon(pack: RulePack, now: datetime, *, calendar: LegalCalendar) -> datetime:
    """``warning_horizon`` with the pack's window (``performance.lights.yellow_within``)."""
    window = pack.spec.performance.lights.yellow_within
    return warning_horizon(window, now, calendar=calendar, tz=pack.timezone)


def light_of(
    status: str, deadline: datetime | None, *, now: datetime, horizon: datetime
) -> Light | None:
    """The light of a clock whose derived status (``derived_status``) and deadline are given."""
    if status == "breached" or (
        status in ("running", "warned") and deadline is not None and deadline < now
    ):
        return Light.RED
    if status == "warned":
        return Light.YELLOW
    if status == "paused":
        return Light.GREY
    if status == "running":
        return Light.YELLOW if deadline is not None and deadline <= horizon else Light.GREEN
    return None  # stopped, cancelled: no light


def clock_light(state: ClockState, *, now: datetime, horizon: datetime) -> Light | None:
    """The light of a stored clock at ``now``."""
    return light_of(derived_status(state, now), state.deadline_at, now=now, horizon=horizon)


def worst(lights: Iterable[Light | str | None]) -> Light | None:
    """The most urgent of the lights (None when there is none)."""
    found = [Light(light) for light in lights if light is not None]
    return max(found, key=_SEVERITY.__getitem__) if found else None


def case_light(states: Iterable[ClockState], *, now: datetime, horizon: datetime) -> Light | None:
    """The light of a case: the worst light of its clocks."""
    return worst(clock_light(s, now=now, horizon=horizon) for s in states)
