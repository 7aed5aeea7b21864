"""What crosses the store boundary: frozen, typed records, never live database rows.

The store turns rows into these records as they leave a statement and takes plain values in;
the domain and the commands read typed fields, so ``mypy --strict`` checks every field read.
A change produces its after-record with ``dataclasses.replace``: nothing re-reads what was just
written.

``ClockRecord`` (with its ``Extension``) is the clock state the pure clock rules compute with
(``zhiqian.engine.domain.clocks.ClockState`` is this class): the rows map one to one, so no
second copy of every field is built on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "CaseRecord",
    "ClockRecord",
    "DecisionRecord",
    "EscalationRecord",
    "EventRecord",
    "Extension",
    "NewTimer",
    "TimerRecord",
]

RUNNING, PAUSED = "running", "paused"
_ACTIVE = frozenset({RUNNING, PAUSED})


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseRecord:
    """One row of ``zq_cases``."""

    id: int
    ref: str
    channel: str
    received_at: datetime
    region: str
    handling_region: str
    level: str
    state: str
    previous_state: str | None
    version: int
    head_hash: str
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
    flags: Sequence[str]
    summary: str
    leader: str | None
    leader_role: str | None
    supervised_by: str | None
    police_referred_at: datetime | None
    police_filed_at: datetime | None
    blacklist_candidate: bool
    arrears_verified: bool
    filed_at: datetime | None
    resolved_without_filing: bool
    recovered_workers: int
    recovered_migrant_workers: int
    recovered_amount: Decimal
    recovered_migrant_amount: Decimal
    orders_to_correct: int
    handling_decisions: int
    penalty_decisions: int
    publicised: bool
    blacklisted: bool
    largest_owed: Decimal | None
    largest_owed_months: int | None
    contracted_migrant_workers: int | None
    extra: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionRecord:
    """One row of ``zq_decisions``: an act the law reserves to a person, proposed and waiting
    for (or given) the decision of ``decider_role`` at ``decider_division``."""

    id: int
    case_id: int
    act: str
    status: str  # pending | approved | rejected | withdrawn
    rule_id: str | None
    proposed_by: str
    proposed_at: datetime
    proposed_seq: int
    params: Mapping[str, Any]
    grounds: str
    decider_role: str
    decider_division: str
    clock_id: str
    due_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    decided_seq: int | None
    act_seq: int | None
    document_no: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRecord:
    """One row of ``zq_events`` (append-only, hash-chained per case)."""

    id: int | None = None
    case_id: int
    seq: int
    at: datetime
    actor: str
    event: str
    from_state: str | None
    to_state: str
    reason: str | None
    rule_id: str | None
    pack_name: str
    pack_version: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str
    hash: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Extension:
    """An approved 延期: how much, who approved, why, when."""

    by: str  # a limit text, e.g. "30 workdays"
    approver: str
    reason: str
    at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "by": self.by,
            "approver": self.approver,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Extension:
        return cls(
            by=data["by"],
            approver=data["approver"],
            reason=data["reason"],
            at=datetime.fromisoformat(data["at"]),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ClockRecord:
    """A clock of one case, as stored in ``zq_clocks``."""

    clock_id: str
    cycle: int = 1
    status: str = RUNNING
    started_at: datetime
    deadline_at: datetime | None = None
    assumed: bool = False
    paused_since: datetime | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    extensions: tuple[Extension, ...] = ()
    limit_override: str | None = None
    warned: int = 0
    breached_at: datetime | None = None
    ended_at: datetime | None = None
    trace: Mapping[str, Any] = field(default_factory=dict)
    pack_version: str = ""

    @property
    def active(self) -> bool:
        return self.status in _ACTIVE


@dataclass(frozen=True, kw_only=True, slots=True)
class NewTimer:
    """A timer to insert (the store fills in ``attempts`` and leaves it unfired)."""

    case_id: int
    clock_id: str
    cycle: int
    kind: str  # warn | breach | followup
    seq: int
    due_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class TimerRecord:
    """One row of ``zq_timers``."""

    id: int
    case_id: int
    clock_id: str
    cycle: int
    kind: str
    seq: int
    due_at: datetime
    fired_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    attempts: int


@dataclass(frozen=True, kw_only=True, slots=True)
class EscalationRecord:
    """One row of ``zq_escalations``: a rule's firing on a case and what its actions did."""

    id: int
    case_id: int
    rule_id: str
    cycle_key: str
    fired_at: datetime
    trigger: str
    actions: Sequence[Mapping[str, Any]]
    pack_name: str
    pack_version: str
