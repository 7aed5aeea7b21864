"""How long the performance measures take on a province of N cases (docs/performance.md).

    .venv/bin/python benchmarks/performance_measures.py --cases 1000000 [--db URL] [--keep]

Builds a database of N cases received over 2025 across Shanxi's counties in bulk (Core
``INSERT``s of plain rows, no engine logic: about 4 events, 2.6 clocks and 0.2 escalations a
case; 2% raised to the city, 1% reopened by 回头看), then times ``Engine.performance`` for one
month and for the whole year, and each grouped statement on its own. Prints one line per figure.
Without ``--db`` it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zhiqian import Engine, FrozenClock
from zhiqian.rules.divisions import all_divisions
from zhiqian.store import performance as store
from zhiqian.store.tables import CaseRow, ClockRow, EscalationRow, EventRow, table_of

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
CHUNK = 5_000
HASH = "0" * 64


def counties() -> list[str]:
    return [
        d.code
        for d in all_divisions()
        if d.code.startswith("14") and d.level == "county" and d.until is None
    ]


Rows = list[dict[str, Any]]
CATEGORIES = ("construction", "manufacturing", "training", "other")
EXTENDED = json.dumps(
    [{"by": "30 workdays", "approver": "负责人", "reason": "复杂", "at": "2025-01-01"}]
)


def rows(n: int, seed: int = 15) -> Iterator[tuple[Rows, Rows, Rows, Rows]]:
    """Chunks of (cases, events, clocks, escalations) rows; case ids 1..n."""
    rng = random.Random(seed)
    regions = counties()
    for first in range(1, n + 1, CHUNK):
        chunk: tuple[Rows, Rows, Rows, Rows] = ([], [], [], [])
        for case_id in range(first, min(first + CHUNK, n + 1)):
            one_case(rng, case_id, regions, *chunk)
        yield chunk


def one_case(
    rng: random.Random,
    case_id: int,
    regions: list[str],
    cases: Rows,
    events: Rows,
    clocks: Rows,
    escalations: Rows,
) -> None:
    """The rows of one case, appended."""
    region = rng.choice(regions)
    received = YEAR_START + timedelta(minutes=rng.randrange(365 * 24 * 60))
    raised = rng.random() < 0.02
    handling = region[:4] + "00" if raised else region
    seq = 0

    def event(
        name: str,
        at: datetime,
        payload: dict[str, Any] | None = None,
        actor: str = "监察员",
    ) -> None:
        nonlocal seq
        seq += 1
        events.append(
            {
                "case_id": case_id,
                "seq": seq,
                "at": at,
                "actor": actor,
                "event": name,
                "from_state": None,
                "to_state": "x",
                "reason": None,
                "rule_id": None,
                "pack_name": "national",
                "pack_version": "2026.1",
                "payload": json.dumps(payload or {}),
                "prev_hash": HASH,
                "hash": HASH,
            }
        )

    def clock(clock_id: str, start: datetime, deadline: datetime, end: datetime | None) -> None:
        running = end is None or end > AS_OF
        clocks.append(
            {
                "case_id": case_id,
                "clock_id": clock_id,
                "cycle": 1,
                "status": "running" if running else "stopped",
                "started_at": start,
                "deadline_at": deadline,
                "assumed": False,
                "paused_since": None,
                "pauses": "[]",
                "extensions": EXTENDED if rng.random() < 0.03 else "[]",
                "limit_override": None,
                "warned": 0,
                "breached_at": None,
                "ended_at": None if running else end,
                "trace": "{}",
                "pack_version": "2026.1",
                "updated_at": start,
            }
        )

    event("received", received, actor="受理窗口")
    verified = received + timedelta(hours=rng.expovariate(1 / 60))
    clock("acceptance", received, received + timedelta(days=7), verified)
    event("verify", verified, actor=f"监察员{rng.randrange(400)}")
    closed: datetime | None = None
    if rng.random() < 0.4:
        filed = verified + timedelta(hours=rng.randrange(1, 48))
        event("file", filed)
        done = filed + timedelta(days=rng.expovariate(1 / 40))
        clock("investigation", filed, filed + timedelta(days=84), done)
        if raised:
            event(
                "raise_level",
                filed + timedelta(days=1),
                {"from_region": region, "to_region": handling},
            )
        closed = done
    else:
        closed = verified + timedelta(days=rng.expovariate(1 / 4))
    if closed < AS_OF:
        event("paid", closed)
        review_end = closed + timedelta(days=rng.uniform(5, 35))
        clock("review", closed, closed + timedelta(days=30), review_end)
        if rng.random() < 0.01:
            event("reopen", review_end)
        else:
            event("close", review_end)
    if rng.random() < 0.2:
        escalations.append(
            {
                "case_id": case_id,
                "rule_id": rng.choice(["supervise_major", "leader_major", "investigation_overdue"]),
                "cycle_key": "-",
                "fired_at": received + timedelta(minutes=1),
                "trigger": "change",
                "actions": "[]",
                "pack_name": "national",
                "pack_version": "2026.1",
            }
        )
    cases.append(
        {
            "id": case_id,
            "ref": f"BENCH-{case_id:08d}",
            "channel": "platform",
            "received_at": received,
            "region": region,
            "handling_region": handling,
            "level": "city" if raised else "county",
            "state": "closed" if closed < AS_OF else "handling",
            "previous_state": None,
            "version": seq,
            "head_hash": HASH,
            "pack_name": "national",
            "pack_version": "2026.1",
            "employer_name": "某公司",
            "employer_uscc": None,
            "employer_category": rng.choice(CATEGORIES),
            "project_name": None,
            "project_kind": None,
            "workers": 3,
            "migrant_workers": 0,
            "amount": "9000.00",
            "migrant_amount": "0.00",
            "complainant_name": "某",
            "complainant_phone": "13800000000",
            "complainant_id_number": None,
            "flags": "[]",
            "summary": "",
            "leader": None,
            "leader_role": None,
            "supervised_by": None,
            "police_referred_at": None,
            "police_filed_at": None,
            "blacklist_candidate": False,
            "arrears_verified": True,
            "filed_at": None,
            "resolved_without_filing": False,
            "recovered_workers": 0,
            "recovered_migrant_workers": 0,
            "recovered_amount": "0",
            "recovered_migrant_amount": "0",
            "orders_to_correct": 0,
            "handling_decisions": 0,
            "penalty_decisions": 0,
            "publicised": False,
            "blacklisted": False,
            "extra": "{}",
            "created_at": received,
            "updated_at": received,
            "closed_at": None,
        }
    )


def _sqlite_time(value: Any) -> Any:
    """SQLAlchemy's SQLite DATETIME text (UTC, microseconds always written)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def build(url: str, n: int) -> dict[str, int]:
    """N cases in bulk: each table's Core ``INSERT`` compiled once for the dialect, then run
    by the driver's ``executemany`` over plain tuples (the engine's row logic is not used)."""
    engine = Engine.open(url, create=True, clock=FrozenClock(AS_OF))
    tables = [table_of(m) for m in (CaseRow, EventRow, ClockRow, EscalationRow)]
    counts = dict.fromkeys([t.name for t in tables], 0)
    sqlite = engine.bind.dialect.name == "sqlite"
    compiled: dict[str, tuple[str, list[str]]] = {}
    try:
        for chunk in rows(n):
            with engine.bind.begin() as conn:
                for table, batch in zip(tables, chunk, strict=True):
                    if not batch:
                        continue
                    names = list(batch[0])
                    if table.name not in compiled:
                        stmt = table.insert().values({c: sa.bindparam(c) for c in names})
                        sql = stmt.compile(dialect=conn.dialect)
                        order = list(sql.positiontup or names)
                        compiled[table.name] = (str(sql), order)
                    text, order = compiled[table.name]
                    if sqlite:
                        times = {c.name for c in table.columns if isinstance(c.type, sa.DateTime)}
                        params: list[Any] = [
                            tuple(_sqlite_time(r[c]) if c in times else r[c] for c in order)
                            for r in batch
                        ]
                    else:
                        params = batch
                    conn.exec_driver_sql(text, params)
                    counts[table.name] += len(batch)
        with engine.bind.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    finally:
        engine.close()
    return counts


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (SQLite runs in it; on a shared
    machine the wall time also counts waiting for a core)."""
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def measure(url: str, rounds: int) -> list[tuple[str, tuple[float, float]]]:
    figures = []
    with Engine.open(url, clock=FrozenClock(AS_OF)) as engine:
        for label, period in (
            ("month 2025-06", (date(2025, 6, 1), date(2025, 6, 30))),
            ("year 2025", (date(2025, 1, 1), date(2025, 12, 31))),
        ):
            figures.append(
                (
                    f"Engine.performance, {label}",
                    timed(
                        lambda p=period: engine.performance(period_from=p[0], period_to=p[1]),
                        rounds,
                    ),
                )
            )
        from zhiqian.engine.queries.performance import period_bounds, workday_rule

        period = period_bounds(date(2025, 6, 1), date(2025, 6, 30), pack=engine.pack, now=AS_OF)
        counted = engine.pack.spec.performance.clocks
        decisions = engine.pack.spec.performance.decisions
        rule = workday_rule(engine.calendar, date(2023, 6, 1), date(2026, 8, 1))
        with engine.bind.connect() as conn:
            for name, fn in (
                (
                    "clock_tallies (every dimension)",
                    lambda: list(store.clock_tallies(conn, period, counted, decisions, rule)),
                ),
                ("received_counts", lambda: list(store.received_counts(conn, period))),
                ("escalation_counts", lambda: list(store.escalation_counts(conn, period))),
                (
                    "event_counts (reopen)",
                    lambda: list(store.event_counts(conn, period, ("reopen",))),
                ),
                (
                    "case_lights",
                    lambda: list(store.case_lights(conn, AS_OF, AS_OF + timedelta(days=3))),
                ),
                ("top_overdue", lambda: store.top_overdue(conn, AS_OF, 10)),
            ):
                figures.append((f"  {name}, month", timed(fn, rounds)))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument(
        "--measure-only", action="store_true", help="--db holds a database built before"
    )
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="zq-perf-"))
    url = args.db or f"sqlite:///{folder / 'perf.db'}"
    t = time.perf_counter()
    counts = {} if args.measure_only else build(url, args.cases)
    print(
        f"built {args.cases:,} cases in {time.perf_counter() - t:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    for name, (wall, cpu) in measure(url, args.rounds):
        print(f"{name}: {wall:.3f} s wall, {cpu:.3f} s CPU (median of {args.rounds})")
    if not args.db and not args.keep:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
