"""Every statement on ``zq_escalations``: the exactly-once guard of the escalation rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.store.dialect import insert_ignore
from zhiqian.store.records import EscalationRecord
from zhiqian.store.tables import EscalationRow, table_of

__all__ = [
    "escalations_of",
    "fired_keys",
    "fired_keys_many",
    "insert_escalation",
    "set_actions",
]

escalations: Final[sa.Table] = table_of(EscalationRow)

_FIRED: Final = sa.select(escalations.c.rule_id, escalations.c.cycle_key).where(
    escalations.c.case_id == sa.bindparam("w_case")
)
_OF_CASE: Final = (
    sa.select(escalations)
    .where(escalations.c.case_id == sa.bindparam("w_case"))
    .order_by(escalations.c.id)
)
_SET_ACTIONS: Final = (
    sa.update(escalations)
    .where(escalations.c.id == sa.bindparam("w_id"))
    .values(actions=sa.bindparam("w_actions", type_=escalations.c.actions.type))
)


def fired_keys(conn: sa.Connection, case_id: int) -> set[tuple[str, str]]:
    """(rule id, cycle key) of every escalation the case went through."""
    return {(r.rule_id, r.cycle_key) for r in conn.execute(_FIRED, {"w_case": case_id})}


def fired_keys_many(
    conn: sa.Connection, case_ids: Iterable[int]
) -> dict[int, set[tuple[str, str]]]:
    """``fired_keys`` of each case of a batch, in one statement."""
    ids = list(case_ids)
    out: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
    if ids:
        query = sa.select(escalations.c.case_id, escalations.c.rule_id, escalations.c.cycle_key)
        for r in conn.execute(query.where(escalations.c.case_id.in_(ids))):
            out[int(r.case_id)].add((r.rule_id, r.cycle_key))
    return out


def insert_escalation(
    conn: sa.Connection,
    *,
    case_id: int,
    rule_id: str,
    cycle_key: str,
    fired_at: datetime,
    trigger: str,
    pack_name: str,
    pack_version: str,
) -> int | None:
    """Take the rule's (case, rule, cycle key) row **before** any action runs: the new id, or
    None when it exists — another evaluator (another daemon, a clerk's change racing the sweep)
    fired the rule and this one must do nothing. ``ON CONFLICT DO NOTHING``: on PostgreSQL a
    concurrent insert of the same key waits for the other transaction, then does nothing."""
    return insert_ignore(
        conn,
        escalations,
        {
            "case_id": case_id,
            "rule_id": rule_id,
            "cycle_key": cycle_key,
            "fired_at": fired_at,
            "trigger": trigger[:32],
            "actions": [],
            "pack_name": pack_name,
            "pack_version": pack_version,
        },
    )


def set_actions(
    conn: sa.Connection, escalation_id: int, actions: Sequence[Mapping[str, Any]]
) -> None:
    """Record what each action of the firing did."""
    conn.execute(_SET_ACTIONS, {"w_id": escalation_id, "w_actions": [dict(a) for a in actions]})


def escalations_of(conn: sa.Connection, case_id: int) -> list[EscalationRecord]:
    rows = conn.execute(_OF_CASE, {"w_case": case_id})
    return [EscalationRecord(**r._mapping) for r in rows]
