"""When a rule, a clock, a param or a report duty is in force: ``in_force: {from: …, to: …}``.

One small type shared by every part of a pack that carries dates of force (a campaign notice
"从2021年11月1日至2022年春节前"; a national notice in force from its date). Both ends are local
calendar days and both are included; an open end is unbounded. What "the day" is belongs to the
caller: a clock tests the day it would start (for a complaint, the day it was received), an
escalation the day of the event or timer it is evaluated on.

Dates only, no symbols: ``to`` is the day written in the notice (for "春节前" the last working
day before the 春节 break, worked out once and explained in the pack's ``basis``), so a clerk
reads the same date in the pack, in ``rules show`` and in the trace.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["InForce"]


class InForce(BaseModel):
    """``from`` … ``to``, both days included; at least one of them."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        # A timestamp (``2021-11-01 08:00``) would be cut to its day silently: say so instead.
        if isinstance(value, datetime):
            raise ValueError(f"write a day (YYYY-MM-DD), not a moment: {value.isoformat()}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> InForce:
        if self.from_ is None and self.to is None:
            raise ValueError("in_force needs from, to or both (YYYY-MM-DD)")
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            raise ValueError(f"in_force.from {self.from_} is after in_force.to {self.to}")
        return self

    def covers(self, day: date) -> bool:
        """True when ``day`` lies inside the window (ends included)."""
        if isinstance(day, datetime):  # a moment has no day until its zone is known
            raise TypeError("covers() takes a local date: convert the moment in the pack's zone")
        return (self.from_ is None or self.from_ <= day) and (self.to is None or day <= self.to)

    def text_zh(self) -> str:
        """``2021-11-01 至 2022-01-30`` / ``2021-11-01 起`` / ``至 2022-01-30``."""
        if self.from_ is not None and self.to is not None:
            return f"{self.from_.isoformat()} 至 {self.to.isoformat()}"
        if self.from_ is not None:
            return f"{self.from_.isoformat()} 起"
        assert self.to is not None  # the validator requires one end
        return f"至 {self.to.isoformat()}"

    def __str__(self) -> str:
        return self.text_zh()
