"""``Engine.dry_run``: a candidate pack judged over every open case, writing nothing.

The open cases are read in batches, keyset-paged by id, each batch in its own short read
transaction (``read()``: on SQLite a deferred ``BEGIN``, so no write lock is ever taken, and a
pass over a million cases holds no snapshot open for its whole length). Per batch four
statements: the cases, their clocks, their events, the rule cycles they have fired. The
judgement itself is pure (``engine.domain.dry_run``); only the cases with something to show are
kept, the totals count them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import sqlalchemy as sa

from zhiqian.engine.domain.dry_run import CaseDryRun, DryRun, DryRunTally, judge_case
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.domain.replay import Candidate
from zhiqian.errors import InvalidArgument
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import escalations as escalation_store
from zhiqian.store import events as event_store

__all__ = ["dry_run"]


def dry_run(
    read: Callable[[], AbstractContextManager[sa.Connection]],
    governing: Governing,
    *,
    now: datetime,
    pack_names: Sequence[str] | None,
    region: str | None,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> DryRun:
    """Judge ``governing`` (the candidate) over the open cases governed by one of
    ``pack_names`` (None: every pack) in ``region`` (None: everywhere) at ``now``;
    ``progress(n)`` hears each batch's size."""
    if batch < 1:
        raise InvalidArgument(name="batch", value=batch, why="must be >= 1")
    candidate = Candidate.of(governing)
    tally = DryRunTally()
    found: list[CaseDryRun] = []
    last = 0
    while True:
        with read() as conn:
            rows = case_store.open_cases_after(
                conn, last, batch, pack_names=pack_names, region=region
            )
            if not rows:
                break
            last = rows[-1].id
            ids = [r.id for r in rows]
            clocks = clock_store.load_clock_states_many(conn, ids)
            events = event_store.events_of_many(conn, ids)
            fired = escalation_store.fired_keys_many(conn, ids)
        for case in rows:
            stored = {c.clock_id: c for c in clocks[case.id]}
            judged = judge_case(candidate, case, stored, events[case.id], fired[case.id], now=now)
            tally.count(judged)
            if judged is not None:
                found.append(judged)
        if progress is not None:
            progress(len(rows))
    pack = governing.pack
    return DryRun(
        pack=pack.name,
        version=pack.version,
        fingerprint=pack.fingerprint,
        timezone=str(pack.timezone),
        at=now,
        scope=tuple(pack_names) if pack_names is not None else None,
        region=region,
        cases=tuple(found),
        totals=tally.totals(),
    )
