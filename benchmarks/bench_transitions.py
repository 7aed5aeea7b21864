"""Durable transitions: the engine's public ``act`` against a raw SQLAlchemy Core baseline.

N cases are each walked accepted → verifying → handling → reviewing → closed (events verify,
handle, paid, close), every step its own committed transaction.

- **engine**: ``Engine.act(case_id, event, actor=…)`` — the public API, everything included
  (read the case and its clocks, decide, guarded UPDATE, hash-chained event, clocks and timers
  kept in step, the view returned to the caller).
- **raw Core**: the same durable writes per step with no engine around it — one UPDATE of the
  case row with a version guard, one INSERT of the event row, one upsert of a timer row —
  statements built once, on an engine from ``zhiqian.store.database.create_engine`` so that the
  durability settings are the same (SQLite: WAL, synchronous=NORMAL, BEGIN IMMEDIATE).

Both start from identical copies of one database: N cases received through the engine once (one
real intake, then cloned with Core so that setting up 5,000 cases takes a second, not a minute),
copied before every round (a SQLite file copy; on PostgreSQL ``CREATE DATABASE … TEMPLATE``).

Also measured: ``Lifecycle.decide`` alone (no database), the machine's share of a step.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from benchmarks.harness import (
    CASES,
    EVENTS,
    TIMERS,
    CaseTemplate,
    Run,
    Section,
    alternate,
    clone_cases,
    delete_case,
    reset_sequences,
    sqlite_checkpoint,
    sqlite_copy,
)
from zhiqian import Engine
from zhiqian.clock import FrozenClock
from zhiqian.store.clocks import load_clocks
from zhiqian.store.database import create_engine
from zhiqian.testing import sample_complaint

NAME = "transitions"
TITLE = "durable transitions: engine.act vs raw SQLAlchemy Core (each step its own commit)"

WALK = ("verify", "handle", "paid", "close")
STATES = ("accepted", "verifying", "handling", "reviewing", "closed")
RECEIVED_AT = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)  # inside 2026: every deadline on official data
FIRST_ID = 1_000


def case_count(run: Run, backend: str) -> int:
    """5,000 cases on SQLite; 1,000 on PostgreSQL, where the engine's ~60 steps/s on this
    machine would make 5,000 cases × 3 rounds take half an hour (``--cases`` overrides both)."""
    if run.options.cases is not None:
        return run.options.cases
    if run.options.quick:
        return 200 if backend == "sqlite" else 100
    return 5_000 if backend == "sqlite" else 1_000


# -- the database both contenders start from --------------------------------------------------


def build_template(url: str, count: int) -> list[int]:
    """Receive one case through the engine, clone it to ``count`` cases; returns their ids."""
    with Engine.open(url, create=True, clock=FrozenClock(NOW)) as engine:
        seed = engine.receive(sample_complaint(0, received_at=RECEIVED_AT), actor="bench")
        with engine.bind.connect() as conn:
            template = CaseTemplate.read(conn, seed.id)
        clone_cases(engine.bind, template, count, first_id=FIRST_ID, ref_prefix="ZQ-BENCH-")
        with engine.bind.begin() as conn:  # only the clones are measured
            delete_case(conn, seed.id)
        reset_sequences(engine.bind)
    return list(range(FIRST_ID, FIRST_ID + count))


# -- the contenders ---------------------------------------------------------------------------


def walk_engine(url: str, ids: list[int], *, escalate: bool = True) -> tuple[float, int]:
    """Seconds for the whole walk through ``Engine.act``, and the number of steps.

    ``escalate=False`` is a diagnostic: the engine opened without the escalation evaluator that
    ``Engine.open`` installs by default (rules evaluated, notices queued inside every change).
    """
    with Engine.open(url, clock=FrozenClock(NOW), escalate=escalate) as engine:
        t0 = time.perf_counter()
        for case_id in ids:
            for event in WALK:
                engine.act(case_id, event, actor="bench")
        elapsed = time.perf_counter() - t0
        _check_closed(engine.bind, ids)
    return elapsed, len(ids) * len(WALK)


def profile_engine(url: str, ids: list[int]) -> str:
    """pyinstrument's text profile of the engine walk (``--profile``; pyinstrument is not a
    project dependency: ``.venv/bin/pip install pyinstrument``)."""
    from pyinstrument import Profiler

    with Engine.open(url, clock=FrozenClock(NOW)) as engine:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for case_id in ids:
            for event in WALK:
                engine.act(case_id, event, actor="bench")
        profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False)
    return text


class RawWalker:
    """The baseline: the durable writes of a step, in Core, statements built once."""

    def __init__(self, bind: sa.Engine) -> None:
        self.bind = bind
        self.update = (
            sa.update(CASES)
            .where(CASES.c.id == sa.bindparam("b_id"), CASES.c.version == sa.bindparam("b_version"))
            .values(
                state=sa.bindparam("state"),
                previous_state=None,
                version=sa.bindparam("version"),
                head_hash=sa.bindparam("head_hash"),
                updated_at=sa.bindparam("updated_at"),
            )
        )
        self.insert_event = sa.insert(EVENTS)
        dialect_insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
        upsert = dialect_insert(TIMERS)
        self.upsert_timer = upsert.on_conflict_do_update(
            index_elements=["case_id", "clock_id", "cycle", "kind", "seq"],
            set_={"due_at": upsert.excluded.due_at, "fired_at": None, "attempts": 0},
        )

    def walk(self, ids: list[int]) -> tuple[float, int]:
        with self.bind.connect() as conn:
            heads = {
                r.id: (r.version, r.head_hash)
                for r in conn.execute(
                    sa.select(CASES.c.id, CASES.c.version, CASES.c.head_hash).where(
                        CASES.c.id.in_(ids)
                    )
                )
            }
        due = NOW + timedelta(days=30)
        t0 = time.perf_counter()
        for case_id in ids:
            version, head = heads[case_id]
            for step, event in enumerate(WALK):
                source, dest = STATES[step], STATES[step + 1]
                # The same content is hashed as the engine's chain (a JSON body, SHA-256).
                body = json.dumps(
                    [case_id, version + 1, NOW.isoformat(), event, source, dest, head],
                    separators=(",", ":"),
                )
                new_head = hashlib.sha256(body.encode()).hexdigest()
                with self.bind.begin() as conn:
                    done = conn.execute(
                        self.update,
                        {
                            "b_id": case_id,
                            "b_version": version,
                            "state": dest,
                            "version": version + 1,
                            "head_hash": new_head,
                            "updated_at": NOW,
                        },
                    )
                    if done.rowcount != 1:
                        raise RuntimeError(f"case {case_id}: version guard failed")
                    conn.execute(
                        self.insert_event,
                        {
                            "case_id": case_id,
                            "seq": version + 1,
                            "at": NOW,
                            "actor": "bench",
                            "event": event,
                            "from_state": source,
                            "to_state": dest,
                            "reason": None,
                            "rule_id": None,
                            "pack_name": "national",
                            "pack_version": "bench",
                            "payload": {},
                            "prev_hash": head,
                            "hash": new_head,
                        },
                    )
                    conn.execute(
                        self.upsert_timer,
                        {
                            "case_id": case_id,
                            "clock_id": dest,
                            "cycle": 1,
                            "kind": "breach",
                            "seq": 0,
                            "due_at": due,
                            "attempts": 0,
                        },
                    )
                version, head = version + 1, new_head
        elapsed = time.perf_counter() - t0
        _check_closed(self.bind, ids)
        return elapsed, len(ids) * len(WALK)


KINDS = ("engine", "no_escalation", "raw")


def _walk(kind: str, url: str, ids: list[int]) -> tuple[float, int]:
    if kind == "engine":
        return walk_engine(url, ids)
    if kind == "no_escalation":
        return walk_engine(url, ids, escalate=False)
    bind = create_engine(url)
    try:
        return RawWalker(bind).walk(ids)
    finally:
        bind.dispose()


def _check_closed(bind: sa.Engine, ids: list[int]) -> None:
    with bind.connect() as conn:
        closed = conn.execute(
            sa.select(sa.func.count()).where(CASES.c.id.in_(ids), CASES.c.state == "closed")
        ).scalar_one()
    if closed != len(ids):
        raise RuntimeError(f"only {closed} of {len(ids)} cases reached closed")


# -- the machine alone ------------------------------------------------------------------------


def machine_alone(url: str, ids: list[int], rounds: int) -> list[float]:
    """Microseconds per ``Lifecycle.decide`` (context built once, as a case's real context)."""
    with Engine.open(url, clock=FrozenClock(NOW)) as engine:
        governing = engine.governing(engine.pack.name, engine.pack.version)
        with engine.bind.connect() as conn:
            row = conn.execute(sa.select(CASES).where(CASES.c.id == ids[0])).one()
            clocks = load_clocks(conn, ids[0])
        context = governing.context(row, now=NOW, clocks=clocks.values())
        lifecycle = governing.lifecycle
        samples = []
        n = len(ids)
        for _ in range(rounds):
            t0 = time.perf_counter()
            for case_id in range(n):
                for step, event in enumerate(WALK):
                    lifecycle.decide(STATES[step], event, case=case_id, context=context)
            samples.append((time.perf_counter() - t0) / (n * len(WALK)) * 1e6)
    return samples


# -- the benchmark ----------------------------------------------------------------------------


def run(bench: Run) -> list[Section]:
    rounds = bench.options.rounds_or(3, quick=2)
    section = Section(NAME, TITLE)
    section.notes.append(
        f"each case walked {' → '.join(STATES)}; {rounds} rounds alternating engine.act / "
        "engine.act with escalate=False (diagnostic) / raw Core, each round on a fresh copy of "
        "the same database"
    )
    per_step_ms: dict[str, float] = {}
    for backend in bench.backends:
        count = case_count(bench, backend)
        section.notes.append(f"{backend}: {count:,} cases × {len(WALK)} steps per round")
        if backend == "sqlite":
            _run_sqlite(bench, section, count, rounds, per_step_ms)
        else:
            _run_postgres(bench, section, count, rounds, per_step_ms)
    if per_step_ms:
        section.notes.append(
            "per transition: "
            + "; ".join(f"{name} {ms:.3g} ms" for name, ms in per_step_ms.items())
        )
    return [section]


def _record(
    section: Section,
    label: str,
    samples: dict[str, list[float]],
    per_step_ms: dict[str, float],
) -> None:
    eng = section.figure(f"engine.act ({label})", samples["engine"], "steps/s")
    bare = section.figure(
        f"  engine.act, escalate=False ({label})", samples["no_escalation"], "steps/s"
    )
    raw = section.figure(f"raw Core ({label})", samples["raw"], "steps/s")
    section.ratio(f"engine / raw Core ({label})", eng.value / raw.value, ">= 0.6")
    section.ratio(f"engine, escalate=False / raw Core ({label})", bare.value / raw.value)
    per_step_ms[f"engine + {label} commit"] = 1000 / eng.value
    per_step_ms[f"raw Core + {label} commit"] = 1000 / raw.value


def _run_sqlite(
    bench: Run, section: Section, count: int, rounds: int, per_step_ms: dict[str, float]
) -> None:
    workdir = bench.options.workdir
    template_url = bench.sqlite_url("transitions-template.db")
    bench.log(f"transitions/sqlite: building {count:,} cases")
    ids = build_template(template_url, count)
    template_file = workdir / "transitions-template.db"
    sqlite_checkpoint(template_file)

    micro = machine_alone(template_url, ids, max(rounds, 3))
    fig = section.figure("Lifecycle.decide alone (no database)", micro, "µs/transition")
    per_step_ms["machine alone"] = fig.value / 1000

    def contender(kind: str) -> Any:
        def go(r: int) -> float:
            target = workdir / f"transitions-{kind}-{r}.db"
            sqlite_copy(template_file, target)
            url = f"sqlite:///{target}"
            elapsed, steps = _walk(kind, url, ids)
            for suffix in ("", "-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            return steps / elapsed

        return go

    bench.log("transitions/sqlite: alternating engine / raw Core")
    samples = alternate([(k, contender(k)) for k in KINDS], rounds, bench)
    _record(section, "SQLite WAL", samples, per_step_ms)
    if bench.options.profile:
        target = workdir / "transitions-profile.db"
        sqlite_copy(template_file, target)
        text = profile_engine(f"sqlite:///{target}", ids[:500])
        path = bench.save_text("transitions-profile-sqlite.txt", text)
        section.notes.append(f"pyinstrument profile of engine.act (500 cases, SQLite): {path}")


def _run_postgres(
    bench: Run, section: Section, count: int, rounds: int, per_step_ms: dict[str, float]
) -> None:
    with bench.pg_databases() as dbs:
        bench.log(f"transitions/postgres: building {count:,} cases")
        template = dbs.create("tmpl")
        ids = build_template(dbs.url(template), count)

        def contender(kind: str) -> Any:
            def go(r: int) -> float:
                name = dbs.create(f"{kind}{r}", template=template)
                url = dbs.url(name)
                try:
                    elapsed, steps = _walk(kind, url, ids)
                finally:
                    dbs.drop(name)
                return steps / elapsed

            return go

        bench.log("transitions/postgres: alternating engine / raw Core")
        samples = alternate([(k, contender(k)) for k in KINDS], rounds, bench)
        _record(section, "PostgreSQL", samples, per_step_ms)
