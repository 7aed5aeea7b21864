"""Sweep scaling, the overdue query and a sweep pass's memory, at 10k / 100k (/ 1M) open cases.

The open cases are generated with bulk inserts, not through the API: one case is walked through
the engine (received → verifying → handling → 立案, so its investigation clock runs with two
warning timers and a breach timer), then cloned with Core executemany in chunks, each clone's
deadlines moved by its own offset (spread over ~4 months, in an order unrelated to its id).
"Nothing due / 1% / 10% due" is then a choice of ``now``: the quantile of the unfired timers'
due times, so one database serves every fraction and nothing has to be rewritten between them.

- **sweep pass**: ``zhiqian.engine.jobs.sweep.sweep(engine, now=…)`` when that module exists;
  otherwise the claim query the sweep runs (unfired timers due by ``now``, ``ORDER BY due_at
  LIMIT 500``; PostgreSQL ``FOR UPDATE SKIP LOCKED``) — the report says which. The sizes are the
  contenders: they alternate, and the budget is 1M (or the largest size run) ÷ 10k, nothing due.
- **due processing** (1% and 10% due): claim a batch, mark it fired, commit, until ``K`` timers
  are done — the database floor of a sweep (timers/s); marks are undone afterwards, untimed.
- **overdue**: ``Engine.overdue(at=…, limit=50)`` against the plain Core query it runs (clocks
  running past their deadline joined to their cases, most overdue first, first page of 50).
- **memory**: peak RSS (``VmHWM``; ``getrusage`` elsewhere) of a fresh process doing one sweep
  pass: open the engine, sweep, report.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.harness import (
    CASES,
    CLOCKS,
    TIMERS,
    CaseTemplate,
    Run,
    Section,
    alternate,
    clone_cases,
    delete_case,
    reset_sequences,
)
from zhiqian import Engine
from zhiqian.clock import FrozenClock
from zhiqian.store.database import READ_ONLY, create_engine
from zhiqian.testing import sample_complaint

NAME = "sweep"
TITLE = "sweep scaling, overdue first page, sweep-pass memory (bulk-loaded open cases)"

RECEIVED_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
FILED_AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
SPREAD = timedelta(days=120)  # clones' deadlines spread over this span
BATCH = 500
FRACTIONS = (0.0, 0.01, 0.10)
OVERDUE_FRACTION = 0.10  # the overdue listing is timed when this share of running clocks is late
OVERDUE = -1.0  # key of that moment in ``moments()``
ROOT = Path(__file__).resolve().parent.parent
FAR = datetime(2030, 1, 1, tzinfo=UTC)  # the engine's clock: any ``at`` before it is allowed


def sizes(run: Run) -> list[int]:
    if run.options.sizes:
        return sorted(run.options.sizes)
    if run.options.quick:
        return [1_000, 10_000]
    return [10_000, 100_000, 1_000_000] if run.options.full else [10_000, 100_000]


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1_000}k" if n >= 1_000 and n % 1_000 == 0 else f"{n:,}"


def find_sweep() -> Callable[..., Any] | None:
    try:
        from zhiqian.engine.jobs.sweep import sweep  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return sweep  # type: ignore[no-any-return]


# -- data -------------------------------------------------------------------------------------


def load(url: str, count: int, log: Callable[[str], None]) -> float:
    """Create the schema and ``count`` open cases; returns the seconds the bulk insert took."""
    with Engine.open(url, create=True, clock=FrozenClock(FILED_AT)) as engine:
        seed = engine.receive(sample_complaint(0, received_at=RECEIVED_AT), actor="bench")
        for event in ("verify", "handle", "file"):
            engine.act(seed.id, event, actor="bench")
        with engine.bind.connect() as conn:
            template = CaseTemplate.read(conn, seed.id)
        with engine.bind.begin() as conn:  # only the clones are measured
            delete_case(conn, seed.id)
        step = SPREAD / count
        # i -> a position in 0..count-1 unrelated to i (2654435761 is prime to 2 and 5).
        shift = lambda i: step * ((i * 2654435761) % count)  # noqa: E731
        report_every = max(count // 5, 10_000)

        def progress(done: int) -> None:
            if done % report_every == 0 or done == count:
                log(f"    loaded {done:,}/{count:,}")

        t0 = time.perf_counter()
        clone_cases(
            engine.bind,
            template,
            count,
            first_id=1,
            ref_prefix="ZQ-SWEEP-",
            shift=shift,
            with_events=False,
            progress=progress,
        )
        elapsed = time.perf_counter() - t0
        reset_sequences(engine.bind)
        if engine.bind.dialect.name == "sqlite":
            with engine.bind.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
    return elapsed


def moments(bind: sa.Engine) -> dict[float, datetime]:
    """For each due fraction, the ``now`` at which that fraction of unfired timers is due; under
    ``OVERDUE``, the moment ``OVERDUE_FRACTION`` of the running clocks are past deadline."""
    with bind.connect().execution_options(**{READ_ONLY: True}) as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(TIMERS).where(TIMERS.c.fired_at.is_(None))
        ).scalar_one()
        out: dict[float, datetime] = {}
        for f in FRACTIONS:
            k = max(int(total * f), 1)
            at = conn.execute(
                sa.select(TIMERS.c.due_at)
                .where(TIMERS.c.fired_at.is_(None))
                .order_by(TIMERS.c.due_at)
                .limit(1)
                .offset(k - 1)
            ).scalar_one()
            # Nothing due: just before the first timer; otherwise just after the k-th.
            out[f] = at - timedelta(seconds=1) if f == 0 else at + timedelta(microseconds=1)
        running = CLOCKS.c.status == "running"
        clocks = conn.execute(sa.select(sa.func.count()).where(running)).scalar_one()
        at = conn.execute(
            sa.select(CLOCKS.c.deadline_at)
            .where(running)
            .order_by(CLOCKS.c.deadline_at)
            .limit(1)
            .offset(max(int(clocks * OVERDUE_FRACTION), 1) - 1)
        ).scalar_one()
        out[OVERDUE] = at + timedelta(microseconds=1)
    return out


# -- the claim (what the sweep runs), raw ---------------------------------------------------------


def claim_query(bind: sa.Engine) -> sa.Select[Any]:
    query = (
        sa.select(TIMERS.c.id, TIMERS.c.case_id, TIMERS.c.clock_id, TIMERS.c.kind, TIMERS.c.due_at)
        .where(TIMERS.c.fired_at.is_(None), TIMERS.c.due_at <= sa.bindparam("now"))
        .order_by(TIMERS.c.due_at)
        .limit(BATCH)
    )
    if bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def claim_pass(bind: sa.Engine, query: sa.Select[Any], now: datetime) -> int:
    """One claim, as a sweep pass with nothing to do runs it: a write transaction, one query."""
    with bind.begin() as conn:
        return len(conn.execute(query, {"now": now}).all())


def drain(bind: sa.Engine, now: datetime, limit: int) -> tuple[int, float, list[float]]:
    """Claim and mark fired until ``limit`` timers are done; (timers, seconds, batch seconds)."""
    query = claim_query(bind)
    mark = (
        sa.update(TIMERS)
        .where(TIMERS.c.id.in_(sa.bindparam("ids", expanding=True)))
        .values(fired_at=now, claimed_by="bench")
    )
    done = 0
    batches: list[float] = []
    t0 = time.perf_counter()
    while done < limit:
        b0 = time.perf_counter()
        with bind.begin() as conn:
            ids = [r.id for r in conn.execute(query, {"now": now})][: limit - done]
            if ids:
                conn.execute(mark, {"ids": ids})
        batches.append(time.perf_counter() - b0)
        if not ids:
            break
        done += len(ids)
    elapsed = time.perf_counter() - t0
    with bind.begin() as conn:  # undo, untimed: every round starts from the same data
        conn.execute(
            sa.update(TIMERS)
            .where(TIMERS.c.claimed_by == "bench")
            .values(fired_at=None, claimed_by=None)
        )
    return done, elapsed, batches


def overdue_query(now: datetime, limit: int = 50) -> sa.Select[Any]:
    return (
        sa.select(
            CLOCKS.c.case_id,
            CLOCKS.c.clock_id,
            CLOCKS.c.deadline_at,
            CASES.c.ref,
            CASES.c.state,
            CASES.c.handling_region,
        )
        .join(CASES, CASES.c.id == CLOCKS.c.case_id)
        .where(
            CLOCKS.c.status == "running",
            CLOCKS.c.deadline_at.is_not(None),
            CLOCKS.c.deadline_at < now,
        )
        .order_by(CLOCKS.c.deadline_at, CLOCKS.c.case_id)
        .limit(limit)
    )


# -- memory: one sweep pass in a fresh process ------------------------------------------------


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB.

    ``VmHWM`` where Linux has it: ``getrusage``'s ``ru_maxrss`` is the high-water mark of the
    process *including what it inherited at fork*, so a child of a 300 MiB benchmark process
    reports at least 300 MiB whatever it does itself.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_child(url: str, now_iso: str, limit: int) -> None:
    """Child process: one pass (at most ``limit`` cases), then print peak RSS (KiB) as JSON."""
    now = datetime.fromisoformat(now_iso)
    engine = Engine.open(url, clock=FrozenClock(FAR))
    before = peak_rss_kib()
    sweep = find_sweep()
    fired = 0
    if sweep is not None:
        fired = sweep(engine, now=now, limit=limit).fired
    else:
        claim_pass(engine.bind, claim_query(engine.bind), now)
    after = peak_rss_kib()
    engine.close()
    print(json.dumps({"before_kib": before, "peak_kib": after, "fired": fired}))


def measure_rss(url: str, now: datetime, limit: int) -> dict[str, int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *sys.path]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sweep", "--rss", url, now.isoformat(), str(limit)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the benchmark ----------------------------------------------------------------------------


def run(bench: Run) -> list[Section]:
    sections = []
    for backend in bench.backends:
        if backend == "sqlite":
            urls = {n: bench.sqlite_url(f"sweep-{n}.db") for n in sizes(bench)}
            sections.append(_run(bench, "SQLite", urls))
        else:
            with bench.pg_databases() as dbs:
                urls = {n: dbs.url(dbs.create(f"s{n}")) for n in sizes(bench)}
                sections.append(_run(bench, "PostgreSQL", urls))
    return sections


class _Sizes:
    """The databases of one backend, one per size, with their engines and due moments."""

    def __init__(self, urls: dict[int, str]) -> None:
        self.urls = urls
        self.binds: dict[int, sa.Engine] = {}
        self.engines: dict[int, Engine] = {}
        self.at: dict[int, dict[float, datetime]] = {}

    def open(self, n: int) -> None:
        self.binds[n] = create_engine(self.urls[n])
        self.engines[n] = Engine.open(self.urls[n], clock=FrozenClock(FAR))
        self.at[n] = moments(self.binds[n])

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()
        for bind in self.binds.values():
            bind.dispose()


def _run(bench: Run, label: str, urls: dict[int, str]) -> Section:
    section = Section(f"{NAME} ({label})", TITLE)
    rounds = bench.options.rounds_or(5, quick=2)
    repeats = 5 if bench.options.quick else 20
    drain_limit = 500 if bench.options.quick else 5_000
    case_limit = 50 if bench.options.quick else 200
    sweep = find_sweep()
    claim = f"unfired timers due by now, ORDER BY due_at LIMIT {BATCH}" + (
        ", FOR UPDATE SKIP LOCKED" if label == "PostgreSQL" else ""
    )
    section.notes.append(
        "sweep pass = zhiqian.engine.jobs.sweep.sweep(engine, now=…); 'raw claim' = the bare claim "
        f"query ({claim}) in a write transaction, side by side"
        if sweep is not None
        else "zhiqian.engine.jobs.sweep does not exist yet: 'sweep pass' times the claim query the "
        f"sweep will run ({claim}) in a write transaction"
    )
    section.notes.append(
        "open cases are bulk clones of one case walked to 立案 through the engine: 2 clocks "
        "(one running) and 3 unfired timers each, no event rows"
    )
    dbs = _Sizes(urls)
    small, large = min(urls), max(urls)
    try:
        for n, url in urls.items():
            bench.log(f"sweep/{label}: bulk-loading {n:,} open cases")
            seconds = load(url, n, bench.log)
            section.figure(
                f"bulk insert {_label(n)} cases (+2 clocks, 3 timers each)",
                [n / seconds],
                "cases/s",
                note=f"{seconds:.1f} s",
            )
            section.notes.append(f"bulk insert of {_label(n)} open cases took {seconds:.1f} s")
            dbs.open(n)

        _nothing_due(bench, section, dbs, sweep, rounds, repeats)
        _claim_and_mark(bench, section, dbs, rounds, drain_limit)
        _overdue(bench, section, dbs, rounds)

        bench.log(f"sweep/{label}: peak RSS of a sweep pass, nothing due")
        rss0 = _rss(dbs, 0.0, case_limit, max(1, rounds // 2))
        mem0 = {
            n: section.figure(f"peak RSS, sweep pass nothing due, {_label(n)}", rss0[n], "MiB")
            for n in urls
        }
        section.ratio(
            f"peak RSS nothing due {_label(large)} / {_label(small)}",
            mem0[large].value / mem0[small].value,
        )
        if sweep is not None:
            _due_sweeps(bench, section, dbs, sweep, rounds, case_limit)
            bench.log(f"sweep/{label}: peak RSS of a sweep pass with due work")
            rss = _rss(dbs, 0.10, case_limit, max(1, rounds // 2))
            mem = {
                n: section.figure(
                    f"peak RSS, sweep pass 10% due (≤{case_limit} cases), {_label(n)}",
                    rss[n],
                    "MiB",
                )
                for n in urls
            }
            section.ratio(
                f"peak RSS with due work {_label(large)} / {_label(small)}",
                mem[large].value / mem[small].value,
                "<= 1.5",
            )
    finally:
        dbs.close()
    return section


def _nothing_due(
    bench: Run,
    section: Section,
    dbs: _Sizes,
    sweep: Callable[..., Any] | None,
    rounds: int,
    repeats: int,
) -> None:
    """A pass with nothing due, sizes (and the bare claim query) alternating."""

    def pass_at(n: int, real: bool) -> Callable[[int], float]:
        bind, engine, now = dbs.binds[n], dbs.engines[n], dbs.at[n][0.0]
        query = claim_query(bind)

        def go(_r: int) -> float:
            t0 = time.perf_counter()
            for _ in range(repeats):
                if real and sweep is not None:
                    result = sweep(engine, now=now)
                    assert result.fired == 0, result
                else:
                    assert claim_pass(bind, query, now) == 0
            return (time.perf_counter() - t0) / repeats * 1000

        return go

    contenders = []
    for n in dbs.urls:
        if sweep is not None:
            contenders.append((f"sweep {_label(n)}", pass_at(n, True)))
        contenders.append((f"claim {_label(n)}", pass_at(n, False)))
    bench.log("sweep: pass with nothing due, sizes alternating")
    samples = alternate(contenders, rounds, bench)
    small, large = min(dbs.urls), max(dbs.urls)
    figs: dict[str, Any] = {}
    for n in dbs.urls:
        if sweep is not None:
            figs[f"sweep {n}"] = section.figure(
                f"sweep pass, nothing due, {_label(n)}", samples[f"sweep {_label(n)}"], "ms"
            )
        figs[f"claim {n}"] = section.figure(
            f"  raw claim query, nothing due, {_label(n)}", samples[f"claim {_label(n)}"], "ms"
        )
    kind = "sweep" if sweep is not None else "claim"
    section.ratio(
        f"{kind} nothing due {_label(large)} / {_label(small)}",
        figs[f"{kind} {large}"].value / figs[f"{kind} {small}"].value,
        "<= 2",
    )
    if sweep is not None:
        section.ratio(
            f"claim nothing due {_label(large)} / {_label(small)}",
            figs[f"claim {large}"].value / figs[f"claim {small}"].value,
        )


def _claim_and_mark(
    bench: Run, section: Section, dbs: _Sizes, rounds: int, drain_limit: int
) -> None:
    """Claim + mark fired (undone afterwards): the database floor of processing due timers."""
    for f in FRACTIONS[1:]:
        first_batch: dict[int, list[float]] = {n: [] for n in dbs.urls}

        def drain_at(
            n: int, f: float = f, first_batch: dict[int, list[float]] = first_batch
        ) -> Callable[[int], float]:
            def go(_r: int) -> float:
                done, seconds, batches = drain(dbs.binds[n], dbs.at[n][f], drain_limit)
                first_batch[n].append(batches[0] * 1000)
                return done / seconds

            return go

        bench.log(f"sweep: raw claim + mark fired, {f:.0%} due")
        samples = alternate([(_label(n), drain_at(n)) for n in dbs.urls], rounds, bench)
        for n in dbs.urls:
            section.figure(
                f"raw claim+mark, {f:.0%} due, {_label(n)} (first {drain_limit:,})",
                samples[_label(n)],
                "timers/s",
            )
            section.figure(
                f"  first claim+mark batch of {BATCH}, {f:.0%} due, {_label(n)}",
                first_batch[n],
                "ms",
            )


def _overdue(bench: Run, section: Section, dbs: _Sizes, rounds: int) -> None:
    """The first page of overdue clocks: ``Engine.overdue`` against its plain Core query."""
    for n in dbs.urls:
        now = dbs.at[n][OVERDUE]
        engine = dbs.engines[n]
        query = overdue_query(now)
        with dbs.binds[n].connect().execution_options(**{READ_ONLY: True}) as conn:
            late = conn.execute(
                sa.select(sa.func.count()).select_from(query.limit(None).subquery())
            ).scalar_one()
        page_size = min(50, late)
        assert page_size > 0, f"no overdue clocks at {now}"

        def via_engine(
            _r: int, engine: Engine = engine, now: datetime = now, page_size: int = page_size
        ) -> float:
            t0 = time.perf_counter()
            page = engine.overdue(at=now, limit=50)
            seconds = time.perf_counter() - t0
            assert len(page) == page_size, (len(page), page_size)
            return seconds * 1000

        def via_core(
            _r: int, bind: sa.Engine = dbs.binds[n], query: Any = query, page_size: int = page_size
        ) -> float:
            t0 = time.perf_counter()
            with bind.connect().execution_options(**{READ_ONLY: True}) as conn:
                rows = conn.execute(query).all()
            seconds = time.perf_counter() - t0
            assert len(rows) == page_size, (len(rows), page_size)
            return seconds * 1000

        bench.log(f"sweep: overdue first page, {_label(n)}")
        samples = alternate([("engine", via_engine), ("core", via_core)], rounds, bench)
        eng = section.figure(
            f"overdue first page (50; {OVERDUE_FRACTION:.0%} of clocks late), {_label(n)}",
            samples["engine"],
            "ms",
        )
        core = section.figure(f"  plain Core query, {_label(n)}", samples["core"], "ms")
        section.ratio(f"overdue engine / plain query, {_label(n)}", eng.value / core.value)


def _rss(dbs: _Sizes, fraction: float, limit: int, repeats: int) -> dict[int, list[float]]:
    rss: dict[int, list[float]] = {n: [] for n in dbs.urls}
    for _ in range(repeats):
        for n in dbs.urls:
            got = measure_rss(dbs.urls[n], dbs.at[n][fraction], limit)
            rss[n].append(got["peak_kib"] / 1024)
    return rss


def _due_sweeps(
    bench: Run,
    section: Section,
    dbs: _Sizes,
    sweep: Callable[..., Any],
    rounds: int,
    case_limit: int,
) -> None:
    """The real sweep on due work, ``case_limit`` cases a pass. It fires what it handles, so
    each round takes the next cases due (a size whose due work runs out gives fewer samples)."""
    for f in FRACTIONS[1:]:
        fired: dict[int, int] = {n: 0 for n in dbs.urls}

        def sweep_at(n: int, f: float = f, fired: dict[int, int] = fired) -> Callable[[int], float]:
            def go(_r: int) -> float:
                t0 = time.perf_counter()
                result = sweep(dbs.engines[n], now=dbs.at[n][f], limit=case_limit)
                seconds = time.perf_counter() - t0
                fired[n] += result.fired
                return result.fired / seconds if result.fired else float("nan")

            return go

        bench.log(f"sweep: the sweep on due work, {f:.0%} due, ≤{case_limit} cases a pass")
        samples = alternate([(_label(n), sweep_at(n)) for n in dbs.urls], rounds, bench)
        for n in dbs.urls:
            got = [v for v in samples[_label(n)] if v == v]  # NaN: nothing was left due
            if got:
                section.figure(
                    f"sweep, {f:.0%} due, {_label(n)} (≤{case_limit} cases a pass)",
                    got,
                    "timers/s",
                    note=f"{fired[n]} timers fired",
                )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--rss":
        rss_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: python -m benchmarks.bench_sweep --rss URL NOW LIMIT (internal)")
