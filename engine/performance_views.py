"""The results of ``Engine.performance`` (docs/performance.md): frozen, typed, pure.

They live apart from the query that computes them so that the reports and the CLI can read
them without seeing the query (the import contract: only the facade sees queries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from zhiqian.engine.domain.lights import LIGHT_LABELS, Light

__all__ = [
    "FEED_VERSION",
    "LEVELS",
    "Figures",
    "LightTally",
    "OverdueEntry",
    "Performance",
    "TrendPoint",
    "light_label",
]

FEED_VERSION: Final = 1  # the version of the JSON shape of ``zhiqian stats`` (docs/performance.md)
LEVELS: Final = ("county", "city", "province")


@dataclass(frozen=True, kw_only=True, slots=True)
class Figures:
    """The measures of one office, handler, clock kind or employer category over a period.

    ``on_time_rate`` = met ÷ ended (None when nothing ended); working days are counted on the
    legal calendar from the day after the clock started: ``workdays_used`` to the day it
    ended, ``workdays_allowed`` to its deadline (so pauses and extensions are in the allowance).
    """

    key: str
    name: str
    level: str | None = None  # offices only
    received: int = 0
    ended: int = 0
    met: int = 0
    late: int = 0
    cancelled: int = 0
    running: int = 0
    overdue: int = 0
    on_time_rate: float | None = None
    workdays_used_avg: float | None = None
    workdays_used_p90: int | None = None
    workdays_allowed_avg: float | None = None
    extensions: int = 0
    escalations: Mapping[str, int] = field(default_factory=dict)
    decisions_overdue: int = 0
    found_unpaid: int = 0
    rank: int | None = None  # among the offices of its level (or the handlers, kinds, categories)
    listed: str | None = None  # "red" (红榜) | "black" (黑榜) | None

    @property
    def escalations_total(self) -> int:
        return sum(self.escalations.values())


@dataclass(frozen=True, kw_only=True, slots=True)
class TrendPoint:
    """One month of the period: clocks ended in it and the on-time rate."""

    month: str  # YYYY-MM
    ended: int
    met: int
    on_time_rate: float | None
    received: int


@dataclass(frozen=True, kw_only=True, slots=True)
class LightTally:
    """Cases per light, handling region and level, now."""

    region: str
    level: str
    light: str
    cases: int


@dataclass(frozen=True, kw_only=True, slots=True)
class OverdueEntry:
    case_id: int
    ref: str
    clock: str
    label: str
    deadline: datetime
    overdue_hours: float
    region: str
    level: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Performance:
    """The measures over ``period_from`` … ``period_to`` (local days, inclusive) as of ``as_of``."""

    pack: str
    period_from: date
    period_to: date
    as_of: datetime
    offices: tuple[Figures, ...]  # every level, each ranked within its level
    handlers: tuple[Figures, ...]
    clocks: tuple[Figures, ...]
    categories: tuple[Figures, ...]
    trend: tuple[TrendPoint, ...]
    lights: tuple[LightTally, ...]
    top_overdue: tuple[OverdueEntry, ...]
    counted_clocks: tuple[str, ...]
    red_list: Decimal
    black_list: Decimal
    min_ended: int

    def offices_at(self, level: str) -> tuple[Figures, ...]:
        """The offices of one level, best first."""
        return tuple(
            sorted(
                (f for f in self.offices if f.level == level),
                key=lambda f: (f.rank is None, f.rank or 0, f.key),
            )
        )

    def light_totals(self) -> dict[str, int]:
        totals = dict.fromkeys([light.value for light in Light], 0)
        for tally in self.lights:
            totals[tally.light] = totals.get(tally.light, 0) + tally.cases
        return totals


def light_label(light: str) -> str:
    return LIGHT_LABELS[Light(light)]
