"""Counters for the fuzz suites: per surface, how many cases were tried, refused (an error of
our tree), accepted, crashed (any other exception) and left a partial write. The figures are
printed at the end of the run (tests/fuzz/conftest.py) and asserted: crashed and partial stay 0."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import event, settings

# A fixed sample per surface, and the slow-marked random run that every suite (CI included)
# runs: 1,000 cases per surface by default (≈1 min in all), 10,000 for the full figure
# with ZHIQIAN_FUZZ_SLOW_EXAMPLES=10000 (tests/fuzz/conftest.py).
SAMPLE = int(os.environ.get("ZHIQIAN_FUZZ_EXAMPLES", "150"))
SLOW = int(os.environ.get("ZHIQIAN_FUZZ_SLOW_EXAMPLES", "1000"))


def fuzz_settings(examples: int) -> settings:
    # No deadline: a refusal that touches PostgreSQL on a shared 2-core machine is not a bug.
    # derandomize: the sample in the normal suite is the same on every run (a failure repeats).
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=examples == SAMPLE,
        database=None,
        suppress_health_check=list(__import__("hypothesis").HealthCheck),
    )


@dataclass
class Tally:
    surface: str
    tried: int = 0
    refused: int = 0
    accepted: int = 0
    crashed: int = 0
    partial: int = 0
    crashes: list[str] = field(default_factory=list)

    def outcome(self, what: str) -> None:
        self.tried += 1
        setattr(self, what, getattr(self, what) + 1)
        event(f"{self.surface}: {what}")

    def crash(self, exc: BaseException) -> None:
        self.outcome("crashed")
        if len(self.crashes) < 5:
            self.crashes.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    def line(self) -> str:
        return (
            f"{self.surface:<40} tried {self.tried:>6}  refused {self.refused:>6}  "
            f"accepted {self.accepted:>6}  crashed {self.crashed:>3}  partial writes {self.partial:>3}"
        )

    def check(self) -> None:
        assert self.crashed == 0, self.crashes
        assert self.partial == 0, f"{self.partial} refusals left rows behind"


TALLIES: list[Tally] = []


def tally(surface: str) -> Tally:
    found = Tally(surface)
    TALLIES.append(found)
    return found
