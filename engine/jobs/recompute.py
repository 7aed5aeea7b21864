"""Recompute every open deadline with today's calendar data and the cases' own packs.

Run it first as a dry run (``apply=False``): it shows which deadlines would move and by how much
(a new State Council notice, a pack's local day). ``apply=True`` writes the moves and re-arms
their timers, each batch in its own transaction, under the cases' row locks taken by the
clocks' writes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

import sqlalchemy as sa

from zhiqian.engine.commands.change import store_clocks
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.clocks import recompute as recompute_clock
from zhiqian.engine.domain.governing import Packs
from zhiqian.engine.views import DeadlineMove
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store

__all__ = ["recompute"]


def recompute(
    transaction: Callable[[], AbstractContextManager[sa.Connection]],
    packs: Packs,
    *,
    now: datetime,
    apply: bool,
    batch: int = 1000,
) -> list[DeadlineMove]:
    """Every running clock, batch by batch (``transaction()`` opens each batch's: a write
    transaction when applying, a read otherwise); returns the moves found (or made)."""
    moves: list[DeadlineMove] = []
    last = 0
    while True:
        with transaction() as conn:
            rows = clock_store.running_clocks_after(conn, last, batch)
            if not rows:
                break
            last = rows[-1][0]
            case_ids = sorted({case_id for _, case_id in rows})
            cases = case_store.cases_by_ids(conn, case_ids)
            states = clock_store.load_clocks_many(conn, case_ids)
            for case_id in case_ids:
                case = cases[case_id]
                governing = packs.of(case)
                current = {s.clock_id: s for s in states[case_id]}
                changed: dict[str, ClockState] = {}
                for state in current.values():
                    if state.status != "running":
                        continue
                    try:
                        spec = governing.pack.clock(state.clock_id)
                    except KeyError:
                        continue
                    fresh = recompute_clock(
                        spec, state, pack=governing.pack, calendar=governing.calendar
                    )
                    if (fresh.deadline_at, fresh.assumed) == (state.deadline_at, state.assumed):
                        continue
                    changed[state.clock_id] = fresh
                    moves.append(
                        DeadlineMove(
                            case_id=case_id,
                            ref=case.ref,
                            clock=state.clock_id,
                            old=state.deadline_at,
                            new=fresh.deadline_at,
                            assumed_before=state.assumed,
                            assumed_after=fresh.assumed,
                        )
                    )
                if apply and changed:
                    store_clocks(conn, case_id, changed, current, governing=governing, now=now)
    return moves
