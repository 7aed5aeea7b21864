"""Every statement on ``zq_decisions``: the acts the law reserves to a person, and who decided.

A decision is written in the transaction of the case event that records it (``propose_<act>``,
``approve_<act>``, ``reject_<act>``), so the row and the hash-chained event exist together. The
decided update is guarded by ``status = 'pending'``: two deciders racing on one decision, one
wins and the other gets ``False`` (the caller raises a conflict), never a second act.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.store.cases import region_filter
from zhiqian.store.records import DecisionRecord
from zhiqian.store.tables import DecisionRow, table_of

__all__ = [
    "PENDING",
    "STATUSES",
    "decided",
    "get_decision",
    "insert_decision",
    "list_decisions",
    "of_case",
    "set_due",
]

decisions: Final[sa.Table] = table_of(DecisionRow)

PENDING: Final = "pending"
STATUSES: Final = ("pending", "approved", "rejected", "withdrawn")

_GET: Final = sa.select(decisions).where(decisions.c.id == sa.bindparam("w_id"))
_OF_CASE: Final = (
    sa.select(decisions)
    .where(decisions.c.case_id == sa.bindparam("w_case"))
    .order_by(decisions.c.id)
)
_SET_DUE: Final = (
    sa.update(decisions)
    .where(decisions.c.id == sa.bindparam("w_id"))
    .values(due_at=sa.bindparam("w_due"))
)
_DECIDE: Final = (
    sa.update(decisions)
    .where(decisions.c.id == sa.bindparam("w_id"), decisions.c.status == PENDING)
    .values(
        status=sa.bindparam("w_status"),
        decided_by=sa.bindparam("w_by"),
        decided_at=sa.bindparam("w_at"),
        decision_reason=sa.bindparam("w_reason"),
        decided_seq=sa.bindparam("w_seq"),
        act_seq=sa.bindparam("w_act_seq"),
        document_no=sa.bindparam("w_document_no"),
    )
)


def insert_decision(
    conn: sa.Connection,
    *,
    case_id: int,
    act: str,
    rule_id: str | None,
    proposed_by: str,
    proposed_at: datetime,
    proposed_seq: int,
    params: Mapping[str, Any],
    grounds: str,
    decider_role: str,
    decider_division: str,
    clock_id: str,
) -> int:
    """A new pending decision; its id."""
    result = conn.execute(
        sa.insert(decisions).returning(decisions.c.id),
        {
            "case_id": case_id,
            "act": act,
            "status": PENDING,
            "rule_id": rule_id,
            "proposed_by": proposed_by,
            "proposed_at": proposed_at,
            "proposed_seq": proposed_seq,
            "params": dict(params),
            "grounds": grounds,
            "decider_role": decider_role,
            "decider_division": decider_division,
            "clock_id": clock_id,
        },
    )
    return int(result.scalar_one())


def set_due(conn: sa.Connection, decision_id: int, due_at: datetime | None) -> None:
    """The deadline of the decision's clock, as the change that started it computed it."""
    conn.execute(_SET_DUE, {"w_id": decision_id, "w_due": due_at})


def decided(
    conn: sa.Connection,
    decision_id: int,
    *,
    status: str,
    by: str,
    at: datetime,
    reason: str,
    seq: int,
    act_seq: int | None = None,
    document_no: str | None = None,
) -> bool:
    """Close a pending decision; ``False`` when it was not pending any more (decided meanwhile)."""
    result = conn.execute(
        _DECIDE,
        {
            "w_id": decision_id,
            "w_status": status,
            "w_by": by,
            "w_at": at,
            "w_reason": reason,
            "w_seq": seq,
            "w_act_seq": act_seq,
            "w_document_no": document_no,
        },
    )
    return result.rowcount == 1


def get_decision(conn: sa.Connection, decision_id: int) -> DecisionRecord | None:
    row = conn.execute(_GET, {"w_id": decision_id}).first()
    return None if row is None else DecisionRecord(**row._mapping)


def of_case(conn: sa.Connection, case_id: int) -> list[DecisionRecord]:
    return [DecisionRecord(**r._mapping) for r in conn.execute(_OF_CASE, {"w_case": case_id})]


def list_decisions(
    conn: sa.Connection,
    *,
    status: str | None = None,
    office: str | None = None,
    limit: int = 1000,
) -> list[DecisionRecord]:
    """Decisions by status and deciding ``office`` (a division code: it and the offices under
    it), oldest proposal first — the order a decider works through them."""
    stmt = sa.select(decisions)
    if status is not None:
        stmt = stmt.where(decisions.c.status == status)
    if office is not None:
        stmt = stmt.where(region_filter(decisions.c.decider_division, office))
    stmt = stmt.order_by(decisions.c.proposed_at, decisions.c.id).limit(limit)
    return [DecisionRecord(**r._mapping) for r in conn.execute(stmt)]
