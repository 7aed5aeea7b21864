"""The benchmark harness: contenders run alternately in one process, medians, ratios, a table.

The machine is shared and noisy, so no figure is read on its own: every benchmark runs its
contenders A B A B … for several rounds in the same process run, and what it reports is the
median of each and the ratio of the medians. Results print as a rich table and are written as
JSON to ``benchmarks/results/<timestamp>.json`` (git-ignored).

Also here, because several benchmarks share them: throw-away PostgreSQL databases, SQLite file
copies, and bulk cloning of a real case (its row, events, clocks and timers, as the engine wrote
them) with SQLAlchemy Core, so the data a benchmark walks is what the engine itself produces.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from zhiqian.store.audit import chain_hash
from zhiqian.store.tables import CaseRow, ClockRow, EventRow, TimerRow

RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN_URL = os.environ.get("ZHIQIAN_BENCH_PG") or os.environ.get(
    "ZHIQIAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

CASES = CaseRow.__table__
EVENTS = EventRow.__table__
CLOCKS = ClockRow.__table__
TIMERS = TimerRow.__table__


# -- results ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured quantity: the median of its samples (one sample per round)."""

    name: str
    value: float
    unit: str
    samples: list[float] = field(default_factory=list)
    note: str = ""


@dataclass
class Ratio:
    """A ratio of two medians, with the budget line it is held to (if any)."""

    name: str
    value: float
    budget: str = ""  # e.g. ">= 0.6" or "<= 2"
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if not self.budget:
            return None
        op, limit = self.budget.split()
        return self.value >= float(limit) if op == ">=" else self.value <= float(limit)


@dataclass
class Section:
    benchmark: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, name: str, samples: Sequence[float], unit: str, note: str = "") -> Figure:
        fig = Figure(name, statistics.median(samples), unit, [float(s) for s in samples], note)
        self.figures.append(fig)
        return fig

    def ratio(self, name: str, value: float, budget: str = "", note: str = "") -> Ratio:
        r = Ratio(name, value, budget, note)
        self.ratios.append(r)
        return r


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    quick: bool = False
    full: bool = False
    db: str = "both"  # sqlite | postgres | both
    rounds: int | None = None  # None: each benchmark's default
    cases: int | None = None  # transitions: cases walked (None: the benchmark's default)
    sizes: list[int] | None = None  # sweep: open-case counts (None: 10k, 100k; --full adds 1M)
    results: Path = RESULTS
    only: list[str] = field(default_factory=list)
    profile: bool = False
    workdir: Path = Path(".")

    def rounds_or(self, default: int, quick: int = 2) -> int:
        if self.rounds is not None:
            return self.rounds
        return quick if self.quick else default


class Run:
    """What a benchmark gets: the options, a console for progress, a work folder, databases."""

    def __init__(self, options: Options, console: Console | None = None) -> None:
        self.options = options
        self.console = console or Console(stderr=True)
        self.sections: list[Section] = []
        self.started = utcnow()
        self.stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self._pg_ok: bool | None = None

    def log(self, message: str) -> None:
        self.console.log(message)

    def save_text(self, name: str, text: str) -> Path:
        """A side file of this run (a profile, say) next to the JSON results."""
        self.options.results.mkdir(parents=True, exist_ok=True)
        path = self.options.results / f"{self.stamp}-{name}"
        path.write_text(text)
        return path

    @property
    def backends(self) -> list[str]:
        wanted = ["sqlite", "postgres"] if self.options.db == "both" else [self.options.db]
        if "postgres" in wanted and not self.postgres_available():
            if self.options.db == "postgres":
                raise SystemExit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
            self.log(f"[yellow]PostgreSQL not reachable at {PG_ADMIN_URL}: skipped")
            wanted.remove("postgres")
        return wanted

    def postgres_available(self) -> bool:
        if self._pg_ok is None:
            try:
                probe = sa.create_engine(PG_ADMIN_URL)
                with probe.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                probe.dispose()
                self._pg_ok = True
            except Exception:
                self._pg_ok = False
        return self._pg_ok

    def sqlite_url(self, name: str) -> str:
        return f"sqlite:///{self.options.workdir / name}"

    @contextmanager
    def pg_databases(self) -> Iterator[PgDatabases]:
        """Throw-away databases ``zq_bench_<random>_*``, all dropped when the block ends."""
        dbs = PgDatabases(f"zq_bench_{secrets.token_hex(4)}")
        try:
            yield dbs
        finally:
            dbs.drop_all()


class PgDatabases:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.created: list[str] = []
        self._admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def url(self, name: str) -> str:
        return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, suffix: str, template: str | None = None) -> str:
        """Create ``<prefix>_<suffix>`` (a copy of ``template`` if given); returns its name."""
        name = f"{self.prefix}_{suffix}"
        clause = f" TEMPLATE {template}" if template else ""
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}{clause}")
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(reversed(self.created)):
            self.drop(name)
        self._admin.dispose()


# -- alternation ------------------------------------------------------------------------------


Contender = tuple[str, Callable[[int], float]]


def alternate(contenders: Sequence[Contender], rounds: int, run: Run) -> dict[str, list[float]]:
    """Run each contender once per round, in turn (A B A B …); each returns its sample."""
    samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for r in range(rounds):
        for name, fn in contenders:
            value = fn(r)
            samples[name].append(value)
            run.log(f"  round {r + 1}/{rounds} {name}: {value:,.4g}")
    return samples


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- data -------------------------------------------------------------------------------------


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a closed (checkpointed) SQLite file; stale WAL files of the target are removed."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def sqlite_checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so that the file alone is a complete copy."""
    # Plain sqlite3: our engines open a transaction on connect, and a checkpoint cannot run in one.
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@dataclass
class CaseTemplate:
    """A case as the engine wrote it: its row, events, clocks and timers (ids stripped)."""

    case: dict[str, Any]
    events: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    timers: list[dict[str, Any]]

    @classmethod
    def read(cls, conn: sa.Connection, case_id: int) -> CaseTemplate:
        def rows(table: sa.Table, order: sa.ColumnElement[Any]) -> list[dict[str, Any]]:
            result = conn.execute(
                sa.select(table).where(table.c.case_id == case_id).order_by(order)
            )
            return [{k: v for k, v in r._mapping.items() if k != "id"} for r in result]

        case = conn.execute(sa.select(CASES).where(CASES.c.id == case_id)).one()
        return cls(
            case={k: v for k, v in case._mapping.items() if k != "id"},
            events=rows(EVENTS, EVENTS.c.seq),
            clocks=rows(CLOCKS, CLOCKS.c.id),
            timers=rows(TIMERS, TIMERS.c.id),
        )


def delete_case(conn: sa.Connection, case_id: int) -> None:
    """Remove a case and every row of ours that refers to it (events, clocks, timers, …)."""
    for table in reversed(CASES.metadata.sorted_tables):
        if table is not CASES and "case_id" in table.c:
            conn.execute(sa.delete(table).where(table.c.case_id == case_id))
    conn.execute(sa.delete(CASES).where(CASES.c.id == case_id))


Shift = Callable[[int], timedelta]


def clone_cases(
    engine: sa.Engine,
    template: CaseTemplate,
    count: int,
    *,
    first_id: int,
    ref_prefix: str,
    shift: Shift | None = None,
    chunk: int = 10_000,
    with_events: bool = True,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert ``count`` copies of ``template`` with Core executemany, ``chunk`` cases a commit.

    Case ``i`` gets id ``first_id + i`` and ref ``<ref_prefix><i>``; its clock deadlines and timer
    due times move by ``shift(i)``. Event hashes are recomputed for the new case id, so the hash
    chains of the copies verify like the original's.
    """
    for start in range(0, count, chunk):
        cases: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        clocks: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        for i in range(start, min(count, start + chunk)):
            case_id = first_id + i
            delta = shift(i) if shift is not None else None
            head = template.case["head_hash"]
            if with_events:
                prev = template.events[0]["prev_hash"]
                for ev in template.events:
                    row = {**ev, "case_id": case_id, "prev_hash": prev}
                    row.pop("hash", None)
                    row["hash"] = prev = chain_hash(row)
                    events.append(row)
                head = prev
            cases.append(
                {**template.case, "id": case_id, "ref": f"{ref_prefix}{i}", "head_hash": head}
            )
            for ck in template.clocks:
                row = {**ck, "case_id": case_id}
                if delta is not None and row["deadline_at"] is not None:
                    row["deadline_at"] = row["deadline_at"] + delta
                clocks.append(row)
            for tm in template.timers:
                row = {**tm, "case_id": case_id}
                if delta is not None:
                    row["due_at"] = row["due_at"] + delta
                timers.append(row)
        with engine.begin() as conn:
            conn.execute(sa.insert(CASES), cases)
            if events:
                conn.execute(sa.insert(EVENTS), events)
            if clocks:
                conn.execute(sa.insert(CLOCKS), clocks)
            if timers:
                conn.execute(sa.insert(TIMERS), timers)
        if progress is not None:
            progress(min(count, start + chunk))


def reset_sequences(engine: sa.Engine) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in (CASES, EVENTS, CLOCKS, TIMERS):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        conn.exec_driver_sql("ANALYZE")


# -- output -----------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def print_sections(console: Console, sections: Sequence[Section]) -> None:
    for section in sections:
        table = Table(title=f"{section.benchmark}: {section.title}", title_justify="left")
        table.add_column("figure")
        table.add_column("median", justify="right")
        table.add_column("unit")
        table.add_column("samples", justify="right", overflow="fold")
        for fig in section.figures:
            table.add_row(
                fig.name, _fmt(fig.value), fig.unit, " ".join(_fmt(s) for s in fig.samples)
            )
        for r in section.ratios:
            verdict = {True: "[green]pass", False: "[red]MISS", None: ""}[r.passed]
            budget = f"budget {r.budget} {verdict}" if r.budget else ""
            table.add_row(f"[bold]{r.name}", f"[bold]{r.value:.3g}×", "ratio", budget)
        console.print(table)
        for note in section.notes:
            console.print(f"  • {note}", highlight=False)


def write_json(sections: Sequence[Section], options: Options, started: datetime) -> Path:
    options.results.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y%m%dT%H%M%SZ")
    path = options.results / f"{stem}.json"
    n = 1
    while path.exists():  # two runs started in the same second keep both files
        n += 1
        path = options.results / f"{stem}-{n}.json"
    document = {
        "started": started.isoformat(),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "options": {
            "quick": options.quick,
            "full": options.full,
            "db": options.db,
            "rounds": options.rounds,
            "cases": options.cases,
            "sizes": options.sizes,
            "only": options.only,
        },
        "sections": [
            {
                **asdict(s),
                "ratios": [{**asdict(r), "passed": r.passed} for r in s.ratios],
            }
            for s in sections
        ],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def markdown(document: dict[str, Any]) -> str:
    """The figures and ratios of a results file as Markdown tables (for docs/benchmarks.md)."""
    out: list[str] = []
    for section in document["sections"]:
        out.append(f"#### {section['benchmark']}: {section['title']}\n")
        out.append("| figure | median | unit | samples |")
        out.append("|---|---:|---|---|")
        for fig in section["figures"]:
            samples = " ".join(_fmt(v) for v in fig["samples"])
            out.append(
                f"| {fig['name'].strip()} | {_fmt(fig['value'])} | {fig['unit']} | {samples} |"
            )
        for r in section["ratios"]:
            verdict = {True: "pass", False: "**miss**", None: ""}[r["passed"]]
            budget = f"budget {r['budget']}: {verdict}" if r["budget"] else ""
            out.append(f"| **{r['name']}** | **{r['value']:.3g}×** | ratio | {budget} |")
        out.append("")
        out.extend(f"- {note}" for note in section["notes"])
        out.append("")
    return "\n".join(out)


def utcnow() -> datetime:
    # The harness stamps its results with the wall clock; the package itself never reads it.
    return datetime.now(UTC)
