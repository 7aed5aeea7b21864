"""Where "now" comes from. Domain code never reads the wall clock: it is handed a ``Clock``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FrozenClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Contract: ``now()`` returns a timezone-aware datetime (any zone; callers convert to UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC. freezegun patches it in tests."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved: for tests and for replaying past periods (``--at``)."""

    def __init__(self, at: datetime) -> None:
        _require_aware(at)
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        _require_aware(at)
        self._at = at

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self._at = self._at + timedelta(**delta)
        return self._at


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"clock time must be timezone-aware, got naive {at.isoformat()}")
