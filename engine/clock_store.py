"""Clock rows and timer rows: reading ``ClockState`` and writing it back with its timers.

Runs inside the caller's transaction. Timers are kept in step with the clocks in the same
transaction as the change that moved them, so a crash can never leave a deadline without its
timer or a timer for a deadline that no longer exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.domain.clocks import ClockState, Extension, warning_moments
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.loader import RulePack
from zhiqian.store.tables import ClockRow, TimerRow, table_of

__all__ = ["load_clocks", "load_clocks_many", "save_clocks"]

_clocks = table_of(ClockRow)
_timers = table_of(TimerRow)

WARN, BREACH = "warn", "breach"

# Built once (see engine.py): parameters are passed at execution.
_SELECT_CASE_CLOCKS = sa.select(_clocks).where(_clocks.c.case_id == sa.bindparam("w_case"))
_UPDATE_CLOCK = sa.update(_clocks).where(
    _clocks.c.case_id == sa.bindparam("w_case"), _clocks.c.clock_id == sa.bindparam("w_clock")
)
_INSERT_CLOCK = sa.insert(_clocks)
_DELETE_UNFIRED = sa.delete(_timers).where(
    _timers.c.case_id == sa.bindparam("w_case"),
    _timers.c.clock_id == sa.bindparam("w_clock"),
    _timers.c.fired_at.is_(None),
    _timers.c.kind.in_((WARN, BREACH)),
)
_INSERT_TIMER = sa.insert(_timers)


def _state(row: Any) -> ClockState:
    return ClockState(
        clock_id=row.clock_id,
        cycle=row.cycle,
        status=row.status,
        started_at=row.started_at,
        deadline_at=row.deadline_at,
        assumed=row.assumed,
        paused_since=row.paused_since,
        pauses=tuple(
            (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row.pauses or ()
        ),
        extensions=tuple(Extension.from_json(e) for e in row.extensions or ()),
        limit_override=row.limit_override,
        warned=row.warned,
        breached_at=row.breached_at,
        ended_at=row.ended_at,
        trace=row.trace or {},
        pack_version=row.pack_version,
    )


def load_clocks(conn: sa.Connection, case_id: int) -> dict[str, ClockState]:
    rows = conn.execute(_SELECT_CASE_CLOCKS, {"w_case": case_id})
    return {row.clock_id: _state(row) for row in rows}


def load_clocks_many(conn: sa.Connection, case_ids: Iterable[int]) -> dict[int, list[ClockState]]:
    ids = list(case_ids)
    out: dict[int, list[ClockState]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute(
            sa.select(_clocks).where(_clocks.c.case_id.in_(ids)).order_by(_clocks.c.id)
        ):
            out[row.case_id].append(_state(row))
    return out


def _values(state: ClockState, now: datetime) -> dict[str, Any]:
    return {
        "cycle": state.cycle,
        "status": state.status,
        "started_at": state.started_at,
        "deadline_at": state.deadline_at,
        "assumed": state.assumed,
        "paused_since": state.paused_since,
        "pauses": [
            [a.astimezone(UTC).isoformat(), b.astimezone(UTC).isoformat()] for a, b in state.pauses
        ],
        "extensions": [e.to_json() for e in state.extensions],
        "limit_override": state.limit_override,
        "warned": state.warned,
        "breached_at": state.breached_at,
        "ended_at": state.ended_at,
        "trace": dict(state.trace),
        "pack_version": state.pack_version,
        "updated_at": now,
    }


def save_clocks(
    conn: sa.Connection,
    case_id: int,
    changed: Mapping[str, ClockState],
    existing: Mapping[str, ClockState],
    *,
    pack: RulePack,
    calendar: LegalCalendar,
    now: datetime,
) -> None:
    """Write the changed clocks and re-arm their timers (unfired ones replaced, fired kept)."""
    for clock_id, state in changed.items():
        values = _values(state, now)
        where = {"w_case": case_id, "w_clock": clock_id}
        if clock_id in existing:
            conn.execute(_UPDATE_CLOCK, {**values, **where})
            conn.execute(_DELETE_UNFIRED, where)
        else:  # a new clock has no timers yet
            conn.execute(_INSERT_CLOCK, {"case_id": case_id, "clock_id": clock_id, **values})
        rows = _due_timers(case_id, state, pack=pack, calendar=calendar)
        if rows:
            conn.execute(_INSERT_TIMER, rows)


def _due_timers(
    case_id: int, state: ClockState, *, pack: RulePack, calendar: LegalCalendar
) -> list[dict[str, Any]]:
    if state.status != "running" or state.deadline_at is None:
        return []
    spec = pack.clock(state.clock_id)
    base = {"case_id": case_id, "clock_id": state.clock_id, "cycle": state.cycle, "attempts": 0}
    rows = [
        {**base, "kind": WARN, "seq": index, "due_at": due}
        for index, due in warning_moments(spec, state, pack=pack, calendar=calendar)
        if index >= state.warned
    ]
    if state.breached_at is None:
        rows.append({**base, "kind": BREACH, "seq": 0, "due_at": state.deadline_at})
    return rows
