"""The tables zhiqian owns, on their own registry and metadata.

Library-safe (STYLE.md §12): our tables stay out of the host's ``SQLModel.metadata``, every name
carries the ``zq_`` prefix, and nothing here creates an engine. Alembic migrations in
``store/migrations`` create exactly these tables; ``tests/store/test_migrations.py`` fails when
the two drift apart.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

__all__ = [
    "METADATA",
    "ApiTokenRow",
    "CaseRow",
    "ClockRow",
    "DecisionRow",
    "DocumentSequenceRow",
    "EscalationRow",
    "EventRow",
    "IdempotencyKeyRow",
    "NoticeRow",
    "TimerRow",
    "ZqModel",
    "table_of",
]

METADATA = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
_REGISTRY = registry(metadata=METADATA)

Money = sa.Numeric(16, 2, asdecimal=True)


class ZqModel(SQLModel, registry=_REGISTRY):
    """Base of our tables: our registry, never the host's ``SQLModel.metadata``."""


def table_of(model: type[ZqModel]) -> sa.Table:
    """The Core ``Table`` of one of our models (for the Core statements of the hot paths)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, sa.Table)
    return table


class CaseRow(ZqModel, table=True):
    """One complaint case: its facts, where it stands, and the tracks escalation moves along."""

    __tablename__ = "zq_cases"
    __table_args__ = (
        sa.Index("ix_zq_cases_state_level_region", "state", "level", "handling_region"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=64, unique=True)
    channel: str = Field(max_length=32)
    received_at: datetime
    # The division where the arrears arose, and the office handling it now (raised by 提级办理).
    region: str = Field(max_length=6, index=True)
    handling_region: str = Field(max_length=6)
    level: str = Field(max_length=16)

    state: str = Field(max_length=32)
    previous_state: str | None = Field(default=None, max_length=32)
    version: int = Field(default=0)
    head_hash: str = Field(max_length=64)
    pack_name: str = Field(max_length=64)
    pack_version: str = Field(max_length=32)

    employer_name: str = Field(max_length=200)
    employer_uscc: str | None = Field(default=None, max_length=18, index=True)
    employer_category: str = Field(max_length=16)
    project_name: str | None = Field(default=None, max_length=200)
    project_kind: str | None = Field(default=None, max_length=16)
    workers: int
    migrant_workers: int
    amount: Decimal = Field(sa_type=Money)
    migrant_amount: Decimal = Field(sa_type=Money)
    complainant_name: str = Field(max_length=100)
    complainant_phone: str = Field(max_length=32)
    complainant_id_number: str | None = Field(default=None, max_length=18)
    flags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    summary: str = Field(default="", sa_type=sa.Text)

    # Escalation tracks (not states: DESIGN §3).
    leader: str | None = Field(default=None, max_length=100)
    leader_role: str | None = Field(default=None, max_length=64)
    supervised_by: str | None = Field(default=None, max_length=16)
    police_referred_at: datetime | None = None
    police_filed_at: datetime | None = None
    blacklist_candidate: bool = False

    # Outcome facts the official reports count (附件2).
    arrears_verified: bool = False
    filed_at: datetime | None = None
    resolved_without_filing: bool = False
    recovered_workers: int = 0
    recovered_migrant_workers: int = 0
    recovered_amount: Decimal = Field(default=Decimal("0"), sa_type=Money)
    recovered_migrant_amount: Decimal = Field(default=Decimal("0"), sa_type=Money)
    orders_to_correct: int = 0
    handling_decisions: int = 0
    penalty_decisions: int = 0
    publicised: bool = False
    blacklisted: bool = False
    # Facts the law's branches need, unknown (None) until recorded — never a guessed 0:
    # 法释〔2013〕3号 第三条（一） reads what one worker is owed and for how many months;
    # 附件2 column 4 counts migrant workers with a written labour contract.
    largest_owed: Decimal | None = Field(default=None, sa_type=Money)
    largest_owed_months: int | None = None
    contracted_migrant_workers: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)

    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


class EventRow(ZqModel, table=True):
    """One change of a case, append-only. ``prev_hash``/``hash`` chain the case's events."""

    __tablename__ = "zq_events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="zq_cases.id", index=True)
    seq: int
    at: datetime
    actor: str = Field(max_length=100)
    event: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str = Field(max_length=32)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    rule_id: str | None = Field(default=None, max_length=64)
    pack_name: str = Field(max_length=64)
    pack_version: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ClockRow(ZqModel, table=True):
    """One SLA clock of a case: where it stands and its stored deadline (recomputed, not derived
    on read, so the sweep and the overdue listing are plain indexed queries)."""

    __tablename__ = "zq_clocks"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "clock_id"),
        # The overdue listing's only query: running clocks by deadline. Partial, because every
        # case keeps its stopped clocks (the acceptance clock, long past) in the plain index.
        sa.Index(
            "ix_zq_clocks_running_deadline",
            "deadline_at",
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="zq_cases.id", index=True)
    clock_id: str = Field(max_length=64)
    cycle: int = 1  # a reset starts a new cycle; timers and notices are keyed by it
    status: str = Field(max_length=16)  # running | paused | stopped | cancelled (+ warned/breached)
    started_at: datetime
    deadline_at: datetime | None = Field(default=None, index=True)
    assumed: bool = False  # the deadline rests on calendar data assumed past the official years
    paused_since: datetime | None = None
    pauses: list[Any] = Field(default_factory=list, sa_type=sa.JSON)
    extensions: list[Any] = Field(default_factory=list, sa_type=sa.JSON)
    limit_override: str | None = Field(default=None, max_length=64)  # e.g. an order's due date
    warned: int = 0  # how many warnings have fired this cycle
    breached_at: datetime | None = None
    ended_at: datetime | None = None
    trace: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    pack_version: str = Field(max_length=32)
    updated_at: datetime


class TimerRow(ZqModel, table=True):
    """A due moment (a warning, a breach, a follow-up). The sweep claims due, unfired rows; the
    unique key makes re-arming idempotent and a second firing impossible."""

    __tablename__ = "zq_timers"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "clock_id", "cycle", "kind", "seq"),
        # The sweep's only query: unfired timers by due time. Partial, so fired history costs
        # nothing and the sweep's cost follows what is due, not how many cases exist.
        sa.Index(
            "ix_zq_timers_due_unfired",
            "due_at",
            postgresql_where=sa.text("fired_at IS NULL"),
            sqlite_where=sa.text("fired_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="zq_cases.id", index=True)
    clock_id: str = Field(max_length=64)
    cycle: int
    kind: str = Field(max_length=16)  # warn | breach | followup
    seq: int = 0  # which warning (0 for breach)
    due_at: datetime
    fired_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    attempts: int = 0


class EscalationRow(ZqModel, table=True):
    """One firing of a pack's escalation rule on a case. The unique key (case, rule, cycle key)
    is the exactly-once guard: the row is inserted before any action runs, so a second
    evaluator (another daemon, a clerk's change racing the sweep) finds it taken and does
    nothing. ``cycle_key`` names the clock cycles the rule's condition reads (``"-"`` for none)."""

    __tablename__ = "zq_escalations"
    __table_args__ = (sa.UniqueConstraint("case_id", "rule_id", "cycle_key"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="zq_cases.id", index=True)
    rule_id: str = Field(max_length=64)
    cycle_key: str = Field(max_length=128)
    fired_at: datetime
    trigger: str = Field(max_length=32)  # change | timer:<kind>
    actions: list[Any] = Field(default_factory=list, sa_type=sa.JSON)  # what each action did
    pack_name: str = Field(max_length=64)
    pack_version: str = Field(max_length=32)


class NoticeRow(ZqModel, table=True):
    """The outbox: one notice to one recipient over one channel, written in the transaction of
    the escalation (or timer) that decided it. ``idempotency_key`` (case, rule, cycle,
    recipient, channel) is unique: a second notice for the same thing cannot exist.

    ``status``: waiting (a document lacking a fact it needs: ``last_error`` says which, and
    the command that supplies it) → pending once it exists; held (waiting for the recipient's
    daily digest) → digested; pending → sending →
    sent; a failure goes back to pending with a later ``next_attempt_at``, or to dead after the
    last attempt. A ``sending`` row whose lease (``next_attempt_at``) ran out is claimed again.
    """

    __tablename__ = "zq_notices"
    __table_args__ = (
        # The delivery worker's only query: what is due to send. Partial, like the timers' index.
        sa.Index(
            "ix_zq_notices_due",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        ),
        sa.Index("ix_zq_notices_status_recipient", "status", "recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="zq_cases.id", index=True)
    case_ref: str = Field(max_length=64)
    rule_id: str = Field(max_length=64)
    cycle_key: str = Field(max_length=128)
    template: str = Field(max_length=32)
    channel: str = Field(max_length=32)
    recipient: str = Field(max_length=128)  # role@division, the digest's grouping key
    recipient_name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    subject: str = Field(default="", max_length=500)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    idempotency_key: str = Field(max_length=255, unique=True)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, sa_type=sa.Text)  # e.g. no address configured
    digest_id: int | None = None  # the digest notice a held warning was folded into
    created_at: datetime
    sent_at: datetime | None = None
    remote_id: str | None = Field(default=None, max_length=500)


class ApiTokenRow(ZqModel, table=True):
    """An API token of the HTTP service (``zhiqian token create``). Only the SHA-256 of the
    secret is kept: the secret is 32 random bytes, so a fast hash is as safe as a slow one and
    lets a request find its token by an indexed equality. ``office`` is the division the token
    sees (itself and its children); ``holder`` is the actor written on every change it makes."""

    __tablename__ = "zq_api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the first characters of the secret, to tell tokens apart
    office: str = Field(max_length=6)
    role: str = Field(max_length=16)  # clerk | leader | auditor | admin
    holder: str = Field(max_length=200)
    created_at: datetime
    revoked_at: datetime | None = None


class IdempotencyKeyRow(ZqModel, table=True):
    """The first response to a POST sent with an ``Idempotency-Key``, per token. Written in the
    transaction of the change itself, so a stored response and the change it describes commit
    (or vanish) together; the unique key makes a concurrent retry wait for, then read, it."""

    __tablename__ = "zq_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="zq_api_tokens.id")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)  # sha256 of method, path and body
    status: int = 0
    body: str = Field(default="", sa_type=sa.Text)  # the JSON response as sent
    created_at: datetime


class DecisionRow(ZqModel, table=True):
    """An act the law reserves to a person (移送公安, 挂牌督办, 提级办理, 列入失信名单, 领导包案):
    a rule (or a clerk) proposes it, a named person decides, and only an approval performs it.
    The case's events ``propose_<act>`` / ``approve_<act>`` / ``reject_<act>`` are the record
    in the hash chain; this row is the index of them that lists what waits for whom."""

    __tablename__ = "zq_decisions"
    __table_args__ = (sa.Index("ix_zq_decisions_status_division", "status", "decider_division"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="zq_cases.id", index=True)
    act: str = Field(max_length=32)  # refer_police | supervise | raise_level | blacklist | ...
    status: str = Field(max_length=16)  # pending | approved | rejected | withdrawn
    rule_id: str | None = Field(default=None, max_length=64)  # None: proposed by a person
    proposed_by: str = Field(max_length=100)
    proposed_at: datetime
    proposed_seq: int  # the case event ``propose_<act>``
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # what would be done
    grounds: str = Field(default="", sa_type=sa.Text)  # why: the rule's label and basis
    decider_role: str = Field(max_length=64)  # e.g. 负责人, 上级人社部门
    decider_division: str = Field(max_length=6)  # the office that decides
    clock_id: str = Field(max_length=64)  # its own legal clock
    due_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)
    decided_seq: int | None = None  # the case event ``approve_<act>`` / ``reject_<act>``
    act_seq: int | None = None  # the act's own event, written only on approval
    document_no: str | None = Field(default=None, max_length=64)  # e.g. the 移送书's number


class DocumentSequenceRow(ZqModel, table=True):
    """The per-office, per-year sequence of a kind of numbered document (the 移送书): taken
    under the row's lock in the transaction that issues the document, so numbers never repeat
    and a rolled-back issue gives its number back."""

    __tablename__ = "zq_document_sequences"
    __table_args__ = (sa.UniqueConstraint("division", "kind", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    division: str = Field(max_length=6)
    kind: str = Field(max_length=32)
    year: int
    last: int = 0
