"""What the engine hands out: frozen, keyword-only snapshots, never live database rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

__all__ = ["CaseEvent", "CaseView", "ClockView", "Page"]

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseEvent:
    """One row of a case's history (append-only, hash-chained)."""

    seq: int
    at: datetime
    actor: str
    event: str
    label: str
    from_state: str | None
    to_state: str
    reason: str | None
    rule_id: str | None
    pack_name: str
    pack_version: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClockView:
    """One SLA clock of a case as stored: status, deadline and the trace that explains it."""

    id: str
    label: str
    status: str
    started_at: datetime | None
    deadline: datetime | None
    assumed: bool
    basis: str
    trace: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseView:
    """A case as stored: facts, where it stands, escalation tracks; ``events`` when asked."""

    id: int
    ref: str
    channel: str
    received_at: datetime
    region: str
    handling_region: str
    level: str
    state: str
    state_label: str
    version: int
    pack_name: str
    pack_version: str
    employer_name: str
    employer_uscc: str | None
    employer_category: str
    project_name: str | None
    project_kind: str | None
    workers: int
    migrant_workers: int
    amount: Decimal
    migrant_amount: Decimal
    complainant_name: str
    complainant_phone: str
    complainant_id_number: str | None
    flags: tuple[str, ...]
    summary: str
    leader: str | None
    supervised_by: str | None
    police_referred_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    events: tuple[CaseEvent, ...] = ()
    clocks: tuple[ClockView, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Page(Generic[T]):
    """One page of a query: ``items`` plus what is needed to ask for the next one."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total
