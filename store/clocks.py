"""Every statement on ``zq_clocks``: clocks read as ``ClockRecord``, written back with their
timers re-armed in the same transaction (through :mod:`zhiqian.store.timers`, the one place
timers are inserted)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.store.cases import cases, region_filter
from zhiqian.store.records import ClockRecord, Extension, NewTimer
from zhiqian.store.tables import ClockRow, table_of
from zhiqian.store.timers import delete_unfired, insert_timers

__all__ = [
    "DueClock",
    "due_clocks",
    "load_clock_states_many",
    "load_clocks",
    "load_clocks_many",
    "mark_breached",
    "mark_warned",
    "overdue_clock_ids",
    "running_clocks_after",
    "write_clocks",
]

clocks: Final[sa.Table] = table_of(ClockRow)

_SELECT_CASE_CLOCKS: Final = sa.select(clocks).where(clocks.c.case_id == sa.bindparam("w_case"))
_UPDATE_CLOCK: Final = sa.update(clocks).where(
    clocks.c.case_id == sa.bindparam("w_case"), clocks.c.clock_id == sa.bindparam("w_clock")
)
_INSERT_CLOCK: Final = sa.insert(clocks)


def _state(row: Any) -> ClockRecord:
    return ClockRecord(
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


def load_clocks(conn: sa.Connection, case_id: int) -> dict[str, ClockRecord]:
    """The case's clocks by clock id."""
    rows = conn.execute(_SELECT_CASE_CLOCKS, {"w_case": case_id})
    return {row.clock_id: _state(row) for row in rows}


def load_clocks_many(conn: sa.Connection, case_ids: Iterable[int]) -> dict[int, list[ClockRecord]]:
    ids = list(case_ids)
    out: dict[int, list[ClockRecord]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute(
            sa.select(clocks).where(clocks.c.case_id.in_(ids)).order_by(clocks.c.id)
        ):
            out[row.case_id].append(_state(row))
    return out


# Every column but the deadline's trace, which reads back as NULL (an empty trace): the JSON of
# the trace is most of a clock row (~2 KiB), and decoding it was a third of a dry run's reads.
_STATE_COLUMNS: Final = [
    c if c.name != "trace" else sa.null().label("trace") for c in clocks.c if c.name != "id"
]


def load_clock_states_many(
    conn: sa.Connection, case_ids: Iterable[int]
) -> dict[int, list[ClockRecord]]:
    """The clocks of a batch of cases without their traces (``trace`` empty): for reads that
    compare statuses and deadlines over many cases (``rules dry-run``), not for display."""
    ids = list(case_ids)
    out: dict[int, list[ClockRecord]] = {i: [] for i in ids}
    if ids:
        query = sa.select(*_STATE_COLUMNS).where(clocks.c.case_id.in_(ids))
        for row in conn.execute(query.order_by(clocks.c.id)):
            out[row.case_id].append(_state(row))
    return out


def _values(state: ClockRecord, now: datetime) -> dict[str, Any]:
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


def write_clocks(
    conn: sa.Connection,
    case_id: int,
    changed: Mapping[str, ClockRecord],
    existing: Mapping[str, object],
    timers: Mapping[str, Sequence[NewTimer]],
    *,
    now: datetime,
) -> None:
    """Write the changed clocks and re-arm their timers: a clock that existed is updated and
    its unfired warn/breach timers replaced by ``timers[clock_id]`` (fired ones kept); a new
    clock is inserted (it has no timers yet). Call it with the case's row lock held."""
    for clock_id, state in changed.items():
        values = _values(state, now)
        where = {"w_case": case_id, "w_clock": clock_id}
        if clock_id in existing:
            conn.execute(_UPDATE_CLOCK, {**values, **where})
            delete_unfired(conn, case_id, clock_id)
        else:
            conn.execute(_INSERT_CLOCK, {"case_id": case_id, "clock_id": clock_id, **values})
        insert_timers(conn, timers.get(clock_id, ()))


def mark_breached(
    conn: sa.Connection, case_id: int, clock_id: str, breached_at: datetime, *, now: datetime
) -> None:
    conn.execute(
        _UPDATE_CLOCK,
        {"w_case": case_id, "w_clock": clock_id, "breached_at": breached_at, "updated_at": now},
    )


def mark_warned(
    conn: sa.Connection, case_id: int, clock_id: str, warned: int, *, now: datetime
) -> None:
    conn.execute(
        _UPDATE_CLOCK,
        {"w_case": case_id, "w_clock": clock_id, "warned": warned, "updated_at": now},
    )


def running_clocks_after(conn: sa.Connection, after: int, batch: int) -> list[tuple[int, int]]:
    """(clock row id, case id) of the next ``batch`` running clocks after row id ``after``."""
    rows = conn.execute(
        sa.select(clocks.c.id, clocks.c.case_id)
        .where(clocks.c.status == "running", clocks.c.id > after)
        .order_by(clocks.c.id)
        .limit(batch)
    )
    return [(int(r.id), int(r.case_id)) for r in rows]


@dataclass(frozen=True, kw_only=True, slots=True)
class DueClock:
    """A running clock by its deadline, with the case fields the overdue listing shows."""

    case_id: int
    clock_id: str
    deadline_at: datetime
    assumed: bool
    ref: str
    level: str
    handling_region: str
    state: str
    pack_name: str
    pack_version: str


def due_clocks(
    conn: sa.Connection,
    *,
    before: datetime,
    inclusive: bool,
    level: str | None,
    region: str | None,
    limit: int,
) -> list[DueClock]:
    """Running clocks whose deadline is before ``before`` (``inclusive``: up to and including
    it), earliest first: an indexed range scan on ``ix_zq_clocks_running_deadline``."""
    where: list[sa.ColumnElement[bool]] = [
        # A literal, not a parameter: SQLite uses the partial index ix_zq_clocks_running_
        # deadline only when the query's WHERE visibly implies the index's.
        clocks.c.status == sa.literal_column("'running'"),
        clocks.c.deadline_at.is_not(None),
        clocks.c.deadline_at <= before if inclusive else clocks.c.deadline_at < before,
    ]
    if level is not None:
        where.append(cases.c.level == level)
    if region is not None:
        where.append(region_filter(cases.c.handling_region, region))
    query = (
        sa.select(
            clocks.c.case_id,
            clocks.c.clock_id,
            clocks.c.deadline_at,
            clocks.c.assumed,
            cases.c.ref,
            cases.c.level,
            cases.c.handling_region,
            cases.c.state,
            cases.c.pack_name,
            cases.c.pack_version,
        )
        .join(cases, cases.c.id == clocks.c.case_id)
        .where(*where)
        .order_by(clocks.c.deadline_at, clocks.c.case_id)
        .limit(limit)
    )
    return [DueClock(**r._mapping) for r in conn.execute(query)]


def overdue_clock_ids(
    conn: sa.Connection, case_ids: Sequence[int], now: datetime
) -> dict[int, list[str]]:
    """Per case, the clocks that breached or run past their deadline at ``now``."""
    out: dict[int, list[str]] = {}
    if not case_ids:
        return out
    for c in conn.execute(
        sa.select(clocks.c.case_id, clocks.c.clock_id).where(
            clocks.c.case_id.in_(list(case_ids)),
            sa.or_(
                clocks.c.breached_at.is_not(None),
                sa.and_(clocks.c.status == "running", clocks.c.deadline_at < now),
            ),
        )
    ):
        out.setdefault(int(c.case_id), []).append(str(c.clock_id))
    return out
