"""Fixtures for the daemon room: a frozen clock, an engine with the escalation hook installed,
the bulk seeding helpers (``_seed``) importable by the tests next to this file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhiqian import Engine, FrozenClock
from zhiqian.engine.escalation import install

sys.path.insert(0, str(Path(__file__).resolve().parent))

# A Monday, 10:00 in Asia/Shanghai: a working day, outside the national pack's quiet hours.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def engine(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=clock) as eng:
        install(eng)
        yield eng
