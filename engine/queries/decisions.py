"""Reading decisions: what waits for whom, and what was decided (views for the facade)."""

from __future__ import annotations

import sqlalchemy as sa

from zhiqian.engine.routing import office_name
from zhiqian.engine.views import DecisionView
from zhiqian.rules.schema import RESERVED_ACTS
from zhiqian.store import decisions as decision_store
from zhiqian.store.records import DecisionRecord

__all__ = ["decision_view", "decisions"]


def decision_view(record: DecisionRecord) -> DecisionView:
    return DecisionView(
        id=record.id,
        case_id=record.case_id,
        act=record.act,
        act_label=RESERVED_ACTS.get(record.act, record.act),
        status=record.status,
        proposed_by=record.proposed_by,
        proposed_at=record.proposed_at,
        rule_id=record.rule_id,
        grounds=record.grounds,
        params=dict(record.params),
        decider=record.decider_role,
        decider_division=record.decider_division,
        decider_office=office_name(record.decider_division),
        clock_id=record.clock_id,
        due_at=record.due_at,
        decided_by=record.decided_by,
        decided_at=record.decided_at,
        reason=record.decision_reason,
        document_no=record.document_no,
    )


def decisions(
    conn: sa.Connection,
    *,
    case_id: int | None = None,
    status: str | None = None,
    office: str | None = None,
    limit: int = 1000,
) -> list[DecisionView]:
    if case_id is not None:
        found = [
            d for d in decision_store.of_case(conn, case_id) if status is None or d.status == status
        ]
    else:
        found = decision_store.list_decisions(conn, status=status, office=office, limit=limit)
    return [decision_view(d) for d in found]
