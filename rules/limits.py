"""How long a clock may run: the ``limit:`` of a clock in a rule pack, parsed.

Shared vocabulary between the pack loader (which parses the text) and the calendar (which turns a
limit and a start moment into a deadline). Kept tiny and dependency-free on purpose.

Accepted spellings (case-insensitive, singular or plural)::

    60 workdays | 60 working days | 60 工作日
    15 days     | 15 natural days | 15 自然日 | 15 日
    24 hours    | 24 h            | 24 小时
    end_of_day                                # 当日: the end of the day the clock starts
    next_day                                  # 次日: the end of the next working day
    before_spring_festival                    # 春节前: the last working day before the break
    before_new_year                           # 元旦前: the last working day of the year
    by 2019-12-31     | 2019-12-31前            # a day named in a notice ("在2019年底前全部办结")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["Limit", "LimitUnit", "parse_limit"]


class LimitUnit(StrEnum):
    WORKDAYS = "workdays"
    DAYS = "days"
    HOURS = "hours"
    END_OF_DAY = "end_of_day"
    NEXT_DAY = "next_day"
    BEFORE_SPRING_FESTIVAL = "before_spring_festival"
    BEFORE_NEW_YEAR = "before_new_year"
    BY_DATE = "by"


_COUNTED = {LimitUnit.WORKDAYS, LimitUnit.DAYS, LimitUnit.HOURS}

_UNIT_WORDS: dict[str, LimitUnit] = {
    "workday": LimitUnit.WORKDAYS,
    "workdays": LimitUnit.WORKDAYS,
    "working day": LimitUnit.WORKDAYS,
    "working days": LimitUnit.WORKDAYS,
    "工作日": LimitUnit.WORKDAYS,
    "个工作日": LimitUnit.WORKDAYS,
    "day": LimitUnit.DAYS,
    "days": LimitUnit.DAYS,
    "natural day": LimitUnit.DAYS,
    "natural days": LimitUnit.DAYS,
    "calendar days": LimitUnit.DAYS,
    "自然日": LimitUnit.DAYS,
    "日": LimitUnit.DAYS,
    "天": LimitUnit.DAYS,
    "hour": LimitUnit.HOURS,
    "hours": LimitUnit.HOURS,
    "h": LimitUnit.HOURS,
    "小时": LimitUnit.HOURS,
}

_WORD_LIMITS: dict[str, LimitUnit] = {
    "end_of_day": LimitUnit.END_OF_DAY,
    "当日": LimitUnit.END_OF_DAY,
    "next_day": LimitUnit.NEXT_DAY,
    "次日": LimitUnit.NEXT_DAY,
    "before_spring_festival": LimitUnit.BEFORE_SPRING_FESTIVAL,
    "春节前": LimitUnit.BEFORE_SPRING_FESTIVAL,
    "before_new_year": LimitUnit.BEFORE_NEW_YEAR,
    "元旦前": LimitUnit.BEFORE_NEW_YEAR,
}

_COUNT_RE = re.compile(r"^\s*(\d+)\s*(.+?)\s*$")
_BY_RE = re.compile(r"^\s*(?:by\s+(\S+)|(\d{4}-\d{2}-\d{2})\s*前)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Limit:
    """A parsed limit. ``n`` is 0 for the word limits (end_of_day, before_spring_festival, …);
    ``day`` is the date of a ``by`` limit (and only of one)."""

    unit: LimitUnit
    n: int = 0
    day: date | None = None

    def __post_init__(self) -> None:
        if self.unit in _COUNTED and self.n <= 0:
            raise ValueError(f"a {self.unit.value} limit needs a positive count, got {self.n}")
        if self.unit not in _COUNTED and self.n != 0:
            raise ValueError(f"{self.unit.value} takes no count, got {self.n}")
        if (self.unit is LimitUnit.BY_DATE) != (self.day is not None):
            raise ValueError("a 'by' limit needs its day, and only a 'by' limit has one")

    @property
    def counted(self) -> bool:
        return self.unit in _COUNTED

    def __str__(self) -> str:
        if self.day is not None:
            return f"by {self.day.isoformat()}"
        return f"{self.n} {self.unit.value}" if self.counted else self.unit.value


def parse_limit(text: str) -> Limit:
    """Parse ``"60 workdays"``, ``"24h"``, ``"end_of_day"`` …; ValueError names what is wrong."""
    raw = str(text).strip()
    word = _WORD_LIMITS.get(raw.lower())
    if word is not None:
        return Limit(word)
    by = _BY_RE.match(raw)
    if by:
        written = by.group(1) or by.group(2)
        try:
            return Limit(LimitUnit.BY_DATE, day=date.fromisoformat(written))
        except ValueError:
            raise ValueError(
                f"cannot read the day in limit {text!r}: write 'by YYYY-MM-DD' (e.g. 'by 2019-12-31')"
            ) from None
    m = _COUNT_RE.match(raw)
    if not m:
        raise ValueError(
            f"cannot read limit {text!r}: write a count and a unit (e.g. '60 workdays', '15 days', "
            f"'24 hours'), 'by YYYY-MM-DD' or one of "
            f"{', '.join(k for k in _WORD_LIMITS if k.isascii())}"
        )
    unit = _UNIT_WORDS.get(m.group(2).lower())
    if unit is None:
        raise ValueError(
            f"unknown unit {m.group(2)!r} in limit {text!r}: use workdays, days or hours"
        )
    return Limit(unit, int(m.group(1)))
