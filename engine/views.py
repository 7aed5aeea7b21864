"""What the engine hands out: frozen, keyword-only snapshots, never live database rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

__all__ = [
    "CaseEvent",
    "CaseSummary",
    "CaseView",
    "ClockExplanation",
    "ClockView",
    "DeadlineMove",
    "DecisionView",
    "DueItem",
    "EscalationExplanation",
    "EscalationRecord",
    "Explanation",
    "Page",
]

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
    # red | yellow | green | grey (zhiqian.engine.domain.lights); None once the clock has ended
    light: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EscalationRecord:
    """One firing of an escalation rule on a case: when, which cycle, what each action did."""

    rule: str
    label: str
    at: datetime
    cycle_key: str
    trigger: str
    actions: Sequence[Mapping[str, Any]] = ()
    pack_version: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionView:
    """An act the law reserves to a person (移送公安, 挂牌督办, 提级办理, 列入失信名单, 领导包案):
    who proposed it and why, who must decide it by when, and — once decided — who decided,
    when, why, and (for an approved 移送) the number of the 移送书 it issued."""

    id: int
    case_id: int
    act: str
    act_label: str
    status: str  # pending | approved | rejected | withdrawn
    proposed_by: str
    proposed_at: datetime
    rule_id: str | None
    grounds: str
    params: Mapping[str, Any]
    decider: str  # the title of who decides: 负责人, 上级人力资源社会保障行政部门 …
    decider_division: str
    decider_office: str
    clock_id: str
    due_at: datetime | None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    document_no: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseSummary:
    """A case in a list: facts, where it stands, escalation tracks — no history, no clocks."""

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


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseView(CaseSummary):
    """One case, fully loaded: its summary with its clocks, and (when asked) its history and
    escalations. After ``act()``: the case as the change wrote it, with its clocks."""

    events: tuple[CaseEvent, ...] = ()
    clocks: tuple[ClockView, ...] = ()
    escalations: tuple[EscalationRecord, ...] = ()
    # the worst light of its running clocks; None when no clock runs or the clocks were not loaded
    light: str | None = None


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


@dataclass(frozen=True, kw_only=True, slots=True)
class DueItem:
    """A running clock that is overdue (``overdue_by`` > 0) or due within the asked window."""

    case_id: int
    ref: str
    clock: str
    label: str
    deadline: datetime
    overdue_by: timedelta  # negative: still this long to go
    workdays_left: int | None  # negative: working days overdue
    assumed: bool
    level: str
    region: str
    state: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineMove:
    """What a recompute does (or would do) to one stored deadline."""

    case_id: int
    ref: str
    clock: str
    old: datetime | None
    new: datetime | None
    assumed_before: bool
    assumed_after: bool

    @property
    def delta(self) -> timedelta | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old


@dataclass(frozen=True, kw_only=True, slots=True)
class ClockExplanation:
    """Why a clock of a case stands where it does: the rule, its basis, the derivation."""

    id: str
    label: str
    applies: bool  # started in this case
    status: str  # running | warned | breached | paused | stopped | cancelled | not started
    deadline: datetime | None
    workdays_left: int | None
    assumed: bool
    limit: str
    basis: str
    source: str  # file:line of the rule
    starts_on: str  # the start trigger, as written
    trace: Sequence[str] = ()
    extensions: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class EscalationExplanation:
    id: str
    label: str
    when: str
    holds_now: bool
    fired: bool
    actions: Sequence[str]
    basis: str
    source: str
    in_force: str | None = None  # the rule's dates in force (``2022-01-01 起``; None: always)
    out_of_force: str | None = None  # why the rule does not apply on the day explained


@dataclass(frozen=True, kw_only=True, slots=True)
class Explanation:
    """The answer to "which clocks and escalations apply to this case, and why"."""

    case_id: int
    ref: str
    pack: str
    at: datetime
    calendar_coverage: str
    clocks: tuple[ClockExplanation, ...]
    escalations: tuple[EscalationExplanation, ...]

    def lines(self) -> list[str]:
        out = [
            f"案件 {self.ref}（#{self.case_id}）· 规则包 {self.pack} · 时点 {self.at:%Y-%m-%d %H:%M} UTC"
        ]
        out.append(f"节假日数据覆盖：{self.calendar_coverage}")
        for c in self.clocks:
            head = f"[{c.id}] {c.label} — {c.status}"
            if c.deadline is not None:
                head += f"，期限 {c.deadline:%Y-%m-%d %H:%M} UTC"
                if c.workdays_left is not None:
                    head += f"，剩余 {c.workdays_left} 个工作日"
                if c.assumed:
                    head += "（推定：调休安排未公布）"
            out.append(head)
            out.append(f"    时限 {c.limit}；依据 {c.basis}（{c.source}）")
            out.extend(f"    {line}" for line in c.trace)
        for e in self.escalations:
            mark = "已触发" if e.fired else ("条件成立" if e.holds_now else "未成立")
            if e.out_of_force and not e.fired:
                mark = e.out_of_force
            out.append(f"[{e.id}] {e.label} — {mark}：{e.when}")
            if e.in_force:
                out.append(f"    施行期间 {e.in_force}；依据 {e.basis}（{e.source}）")
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class SchemaUpgrade:
    """What ``Engine.upgrade`` did: the Alembic revision before and after, and this zhiqian's."""

    before: str | None
    after: str | None
    head: str
