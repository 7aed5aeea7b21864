"""The hash chain over a case's events, and its verification (``zhiqian audit verify``).

Each case has its own chain: event ``seq`` n carries the hash of event n-1 (``prev_hash``) and
its own ``hash`` over its content; the case row keeps the hash of its last event (``head_hash``)
and ``version`` equals the number of events. A per-case chain (rather than one global chain)
lets writers on different cases proceed in parallel, while an edited, deleted, inserted or
reordered event — or a truncated tail — still breaks the check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.store.tables import CaseRow, EventRow, table_of

__all__ = ["GENESIS", "chain_hash", "verify_chain"]

GENESIS = "0" * 64

_HASHED = (
    "case_id",
    "seq",
    "at",
    "actor",
    "event",
    "from_state",
    "to_state",
    "reason",
    "rule_id",
    "pack_name",
    "pack_version",
    "payload",
    "prev_hash",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def chain_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an event's content and its predecessor's hash."""
    body = {name: _canonical(fields.get(name)) for name in _HASHED}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(conn: sa.Connection, *, batch: int = 1000) -> Iterator[str]:
    """Yield one finding per break in any case's chain; yields nothing when the log verifies."""
    cases = table_of(CaseRow)
    events = table_of(EventRow)
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(cases.c.id, cases.c.version, cases.c.head_hash)
            .where(cases.c.id > last_id)
            .order_by(cases.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        ids = [r.id for r in rows]
        by_case: dict[int, list[Any]] = {i: [] for i in ids}
        for ev in conn.execute(
            sa.select(events)
            .where(events.c.case_id.in_(ids))
            .order_by(events.c.case_id, events.c.seq)
        ):
            by_case[ev.case_id].append(ev)
        for case in rows:
            yield from _verify_case(case, by_case[case.id])


def _verify_case(case: Any, evs: list[Any]) -> Iterator[str]:
    prev = GENESIS
    for expected_seq, ev in enumerate(evs, start=1):
        if ev.seq != expected_seq:
            yield f"case {case.id}: event #{expected_seq} is missing (found #{ev.seq} next)"
            return
        if ev.prev_hash != prev:
            yield f"case {case.id}: event #{ev.seq} does not follow its predecessor"
        if chain_hash(ev._mapping) != ev.hash:
            yield f"case {case.id}: event #{ev.seq} ({ev.event}) was altered"
        prev = ev.hash
    if len(evs) != case.version:
        yield f"case {case.id}: {len(evs)} events but version {case.version} (events deleted?)"
    elif prev != case.head_hash:
        yield f"case {case.id}: the last event does not match the case's head hash"
