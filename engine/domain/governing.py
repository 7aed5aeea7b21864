"""A pack version as it governs cases: the pack, its machine, its calendar, its campaign window;
and ``Packs``, where commands and queries look a case's version up (``commands.packs`` keeps
the registry that loads them)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zhiqian.engine.domain.clocks import ClockState, condition_clocks
from zhiqian.engine.domain.context import case_context
from zhiqian.engine.domain.lifecycle import Lifecycle
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.loader import RulePack
from zhiqian.store.records import CaseRecord

__all__ = ["Governing", "Packs"]


@dataclass(frozen=True, slots=True)
class Governing:
    """A loaded pack version, the machine built from it (one per pack version), its calendar
    and its campaign window."""

    pack: RulePack
    lifecycle: Lifecycle
    calendar: LegalCalendar
    campaign: tuple[datetime | None, datetime | None]

    def context(
        self,
        case: CaseRecord,
        *,
        now: datetime,
        clocks: Iterable[ClockState],
        state: str | None = None,
    ) -> ConditionContext:
        """What the pack's conditions see of ``case`` (pass the after-record to see a change)."""
        return case_context(
            case,
            now=now,
            pack=self.pack,
            clocks=condition_clocks(list(clocks), now),
            state=state,
            campaign=self.campaign,
        )

    def clock_label(self, clock_id: str) -> str:
        with contextlib.suppress(KeyError):
            return self.pack.clock(clock_id).label
        return clock_id

    def escalation_label(self, rule_id: str) -> str:
        with contextlib.suppress(KeyError):
            return self.pack.escalation(rule_id).label
        return rule_id


class Packs(Protocol):
    """The pack versions an engine knows (``commands.packs.PackRegistry``)."""

    def get(self, pack_name: str, pack_version: str) -> Governing | None:
        """The version if loaded, else None (displays fall back to raw ids)."""
        ...

    def governing(self, pack_name: str, pack_version: str) -> Governing:
        """The version, loaded on first use; ``StoreError`` when it is not available."""
        ...

    def of(self, case: CaseRecord) -> Governing: ...
