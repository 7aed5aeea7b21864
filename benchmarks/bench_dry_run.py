"""``Engine.dry_run`` (``zhiqian rules dry-run PACK``) over N open cases (default 10,000).

The open cases are six histories walked through the engine on the national pack (received;
verifying; 立案 in handling; 立案 with a 延期 and a 责令支付 order; 立案 and suspended; paid,
in 回头看), each cloned with Core executemany to N/6 cases with its events, clocks and timers
(``harness.clone_cases``; times are not shifted, so each clone's replay matches its stored
clocks as the original's does). Contenders, alternated per round:

- **reads only** — the four statements per batch of 500 the dry run issues (open cases, their
  clocks, their events, the rule cycles fired), nothing judged: the database's floor;
- **dry run, governing pack** — ``Engine.dry_run("national")``: every case replayed and judged,
  nothing to show (the whole cost of the judgement);
- **dry run, candidate** — a national 2026.2 with the investigation limit at 45 working days:
  the two histories with a running investigation clock move its deadline (the suspended one's
  is paused, so it has none).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.harness import CaseTemplate, Run, Section, alternate, clone_cases, delete_case
from zhiqian import DryRun, Engine
from zhiqian.clock import FrozenClock
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import escalations as escalation_store
from zhiqian.store import events as event_store
from zhiqian.store.database import READ_ONLY
from zhiqian.testing import sample_complaint

NAME = "dry_run"
TITLE = "rules dry-run over open cases (six histories cloned)"

CST = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 8, 30, tzinfo=CST)
WALKED = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
NOW = datetime(2026, 3, 6, 9, 0, tzinfo=CST)  # before any clock of the six falls due
BATCH = 500
CANDIDATE = """\
pack: national
version: "2026.2"
extends: national
clocks:
  - {id: investigation, limit: 45 workdays, basis: 候选：调查处理时限45个工作日}
"""
EXTEND = {"clock": "investigation", "by": "20 workdays", "approver": "局长", "reason": "复杂"}
HISTORIES: tuple[tuple[tuple[str, dict[str, str]], ...], ...] = (
    (),
    (("verify", {}),),
    (("verify", {}), ("handle", {}), ("file", {})),
    (
        ("verify", {}),
        ("handle", {}),
        ("file", {}),
        ("extend", EXTEND),
        ("order_payment", {"within": "5 workdays"}),
    ),
    (("verify", {}), ("handle", {}), ("file", {}), ("suspend", {})),
    (("verify", {}), ("handle", {}), ("paid", {})),
)


def size(run: Run) -> int:
    if run.options.cases:
        return run.options.cases
    return 1_000 if run.options.quick else 10_000


def load(url: str, count: int) -> float:
    """The schema and ``count`` open cases; returns the seconds the clones took to insert."""
    small = {"workers": 5, "migrant_workers": 5, "amount": "20000.00", "flags": []}
    small["migrant_amount"] = "20000.00"
    with Engine.open(url, create=True, clock=FrozenClock(WALKED)) as engine:
        templates, walked = [], []
        for seed, history in enumerate(HISTORIES):
            case = engine.receive(sample_complaint(seed, received_at=RECEIVED, **small))
            for event, params in history:
                engine.act(case.id, event, actor="bench", params=params)
            with engine.bind.connect() as conn:
                templates.append(CaseTemplate.read(conn, case.id))
            walked.append(case.id)
        with engine.bind.begin() as conn:  # only the clones are looked at
            for case_id in walked:
                delete_case(conn, case_id)
        t0 = time.perf_counter()
        per = -(-count // len(templates))
        made = 0
        for index, template in enumerate(templates):
            n = min(per, count - made)
            clone_cases(
                engine.bind,
                template,
                n,
                first_id=100 + made,
                ref_prefix=f"ZQ-DRY-{index}-",
                shift=None,
            )
            made += n
        elapsed = time.perf_counter() - t0
        if engine.bind.dialect.name == "sqlite":
            with engine.bind.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
    return elapsed


def reads_only(engine: Engine) -> int:
    """The dry run's statements, batch by batch, nothing judged; returns the cases read."""
    last, seen = 0, 0
    while True:
        with engine.bind.connect().execution_options(**{READ_ONLY: True}) as conn:
            rows = case_store.open_cases_after(conn, last, BATCH, pack_names=("national",))
            if not rows:
                return seen
            last = rows[-1].id
            ids = [r.id for r in rows]
            clock_store.load_clock_states_many(conn, ids)
            event_store.events_of_many(conn, ids)
            escalation_store.fired_keys_many(conn, ids)
            seen += len(rows)


def run(bench: Run) -> list[Section]:
    sections = []
    for backend in bench.backends:
        if backend == "sqlite":
            sections.append(_run(bench, "SQLite", bench.sqlite_url("dry-run.db")))
        else:
            with bench.pg_databases() as dbs:
                sections.append(_run(bench, "PostgreSQL", dbs.url(dbs.create("dry"))))
    return sections


def _run(bench: Run, label: str, url: str) -> Section:
    section = Section(f"{NAME} ({label})", TITLE)
    n = size(bench)
    rounds = bench.options.rounds_or(3, quick=2)
    bench.log(f"  {label}: loading {n:,} open cases")
    loaded = load(url, n)
    section.notes.append(
        f"{n:,} open cases cloned from {len(HISTORIES)} histories in {loaded:.1f}s"
    )
    candidate = Path(bench.options.workdir) / "national-2026.2.yaml"
    candidate.write_text(CANDIDATE, encoding="utf-8")
    results: dict[str, DryRun] = {}
    cpu: dict[str, list[float]] = {}
    with Engine.open(url, clock=FrozenClock(NOW)) as engine:

        def timed(name: str, work: Callable[[], object]) -> tuple[str, Callable[[int], float]]:
            def go(_round: int) -> float:
                c0, t0 = time.process_time(), time.perf_counter()
                done = work()
                elapsed = (time.perf_counter() - t0) * 1000
                # CPU time too: on a shared machine the wall clock also counts the neighbours
                cpu.setdefault(name, []).append((time.process_time() - c0) * 1000)
                if isinstance(done, DryRun):
                    results[name] = done
                return elapsed

            return name, go

        samples = alternate(
            [
                timed("reads only", lambda: reads_only(engine)),
                timed("dry run, governing pack", lambda: engine.dry_run("national")),
                timed("dry run, candidate", lambda: engine.dry_run(candidate)),
            ],
            rounds,
            bench,
        )
    for name, values in samples.items():
        fig = section.figure(f"{name}, {n:,} cases", values, "ms")
        section.figure(f"{name}, per case", [v * 1000 / n for v in values], "µs")
        section.figure(f"{name}, CPU per case", [v * 1000 / n for v in cpu[name]], "µs")
        bench.log(f"    {name}: {fig.value:,.0f} ms")
    same, moved = results["dry run, governing pack"], results["dry run, candidate"]
    section.notes.append(
        f"governing pack: {same.totals.cases:,} cases looked at, {len(same.cases)} with changes; "
        f"candidate: {moved.totals.moved:,} deadlines moved on {moved.totals.changed:,} cases"
    )
    medians = {f.name: f.value for f in section.figures}
    section.ratio(
        "dry run (candidate) ÷ reads only",
        medians[f"dry run, candidate, {n:,} cases"] / medians[f"reads only, {n:,} cases"],
    )
    return section
