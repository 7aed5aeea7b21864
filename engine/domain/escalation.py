"""Escalation rules, pure: the cycle key a rule fires under, and who hears a warning.

Each rule of the governing pack fires **at most once per (case, rule, cycle key)**. The cycle key
names the cycle of every clock the rule's condition reads (``investigation:2``; ``-`` when it
reads none): a rule on ``breached("investigation")`` fires again only when the clock was reset
and breached anew. A rule with ``once: false`` fires at most once per local day while it holds.
The writing side (the exactly-once row, the actions, the notices) is
``zhiqian.engine.commands.escalate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final

from zhiqian.engine.domain.clocks import ClockState
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import EscalationSpec
from zhiqian.rules.templates import OVERDUE_WARNING

__all__ = ["MAX_ROUNDS", "WARNING", "EvalResult", "cycle_key", "default_roles"]

MAX_ROUNDS: Final = 4  # actions can make other rules true (提级 changes the level): repeat
WARNING: Final = OVERDUE_WARNING  # the template the sweep sends when a warning falls due


@dataclass(frozen=True, slots=True)
class EvalResult:
    escalations: int = 0
    notices: int = 0

    def __add__(self, other: EvalResult) -> EvalResult:
        return EvalResult(self.escalations + other.escalations, self.notices + other.notices)


def cycle_key(
    spec: EscalationSpec, clocks: Mapping[str, ClockState], *, now: datetime, tz: tzinfo
) -> str:
    """``clock:cycle`` for each clock the condition reads (0: not started), sorted; ``-`` for
    none; ``@YYYY-MM-DD`` appended for a rule with ``once: false``."""
    read = sorted(spec.condition.clocks)
    key = ",".join(f"{c}:{clocks[c].cycle if c in clocks else 0}" for c in read) or "-"
    if not spec.once:
        key += "@" + now.astimezone(tz).date().isoformat()
    return key


def default_roles(pack: RulePack) -> tuple[str, ...]:
    """Who hears a warning whose clock names no one: the handler, else the county office."""
    ids = [r.id for r in pack.routing.roles]
    for role in ("handler", "county_office"):
        if role in ids:
            return (role,)
    return (ids[0],) if ids else ("handler",)
