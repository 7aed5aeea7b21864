"""Every statement on ``zq_events``, and the hash-chained event a change appends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.errors import ConflictError
from zhiqian.store.audit import chain_hash
from zhiqian.store.records import EventRecord
from zhiqian.store.tables import EventRow, table_of

__all__ = [
    "events_of",
    "events_of_many",
    "fired_rule_ids",
    "insert_event",
    "last_event",
    "new_event",
]

events: Final[sa.Table] = table_of(EventRow)

_INSERT_EVENT: Final = sa.insert(events)
_SELECT_EVENTS: Final = (
    sa.select(events).where(events.c.case_id == sa.bindparam("w_case")).order_by(events.c.seq)
)
_SELECT_LAST: Final = (
    sa.select(events)
    .where(events.c.case_id == sa.bindparam("w_case"), events.c.event == sa.bindparam("w_event"))
    .order_by(events.c.seq.desc())
    .limit(1)
)
_SELECT_RULES: Final = sa.select(events.c.rule_id).where(
    events.c.case_id == sa.bindparam("w_case"), events.c.rule_id.is_not(None)
)


def new_event(
    *,
    case_id: int,
    seq: int,
    at: datetime,
    actor: str,
    event: str,
    from_state: str | None,
    to_state: str,
    reason: str | None,
    rule_id: str | None,
    pack_name: str,
    pack_version: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """The values of the event to append, its ``hash`` chained onto ``prev_hash``."""
    row: dict[str, Any] = {
        "case_id": case_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "rule_id": rule_id,
        "pack_name": pack_name,
        "pack_version": pack_version,
        "payload": dict(payload),
        "prev_hash": prev_hash,
    }
    row["hash"] = chain_hash(row)
    return row


def insert_event(conn: sa.Connection, values: Mapping[str, Any], *, expected: int) -> None:
    """Append one event. ``ConflictError`` when its (case, seq) is taken: another writer won
    (``expected`` is the version the writer had read)."""
    try:
        conn.execute(_INSERT_EVENT, dict(values))
    except sa.exc.IntegrityError as exc:
        raise ConflictError(case=values["case_id"], expected=expected) from exc


def events_of(conn: sa.Connection, case_id: int) -> list[EventRecord]:
    return [EventRecord(**r._mapping) for r in conn.execute(_SELECT_EVENTS, {"w_case": case_id})]


def events_of_many(conn: sa.Connection, case_ids: Iterable[int]) -> dict[int, list[EventRecord]]:
    """Each case's events in chain order (``seq``): one statement for a batch of cases."""
    ids = list(case_ids)
    out: dict[int, list[EventRecord]] = {i: [] for i in ids}
    if ids:
        query = sa.select(events).where(events.c.case_id.in_(ids))
        for r in conn.execute(query.order_by(events.c.case_id, events.c.seq)):
            out[int(r.case_id)].append(EventRecord(**r._mapping))
    return out


def last_event(conn: sa.Connection, case_id: int, event: str) -> EventRecord | None:
    row = conn.execute(_SELECT_LAST, {"w_case": case_id, "w_event": event}).first()
    return None if row is None else EventRecord(**row._mapping)


def fired_rule_ids(conn: sa.Connection, case_id: int) -> set[str]:
    """The rules that wrote an event on the case (``rule_id`` set)."""
    return {str(r) for r in conn.execute(_SELECT_RULES, {"w_case": case_id}).scalars()}
