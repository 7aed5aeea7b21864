"""The benchmark suite still runs: every benchmark once, with tiny N, asserting what it measured.

No timing is asserted (speed is for ``python -m benchmarks``, never for tests): these check that
both contenders of each benchmark ran, did the work they claim (cases reach ``closed``, the
engine's hash chains verify, the overdue page is full) and reported positive figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the benchmarks folder is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_cli, bench_sweep, bench_transitions  # noqa: E402
from benchmarks.__main__ import discover, main  # noqa: E402
from benchmarks.harness import Options, Run, Section, alternate  # noqa: E402
from zhiqian import Engine  # noqa: E402
from zhiqian.clock import FrozenClock  # noqa: E402


def _run(tmp_path: Path, **options: object) -> Run:
    opts = Options(workdir=tmp_path, results=tmp_path / "results", rounds=1, **options)  # type: ignore[arg-type]
    return Run(opts)


def _figures(section: Section) -> dict[str, float]:
    return {f.name.strip(): f.value for f in section.figures}


def test_alternate_runs_contenders_in_turn(tmp_path: Path) -> None:
    order: list[str] = []

    def contender(name: str, value: float):  # type: ignore[no-untyped-def]
        def go(r: int) -> float:
            order.append(f"{name}{r}")
            return value + r

        return name, go

    samples = alternate([contender("a", 1.0), contender("b", 10.0)], 3, _run(tmp_path))
    assert order == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert samples == {"a": [1.0, 2.0, 3.0], "b": [10.0, 11.0, 12.0]}


def test_discover_finds_every_benchmark() -> None:
    found = discover()
    assert {"transitions", "cli", "sweep"} <= set(found)
    if (ROOT / "benchmarks" / "sweep_speed.py").exists():  # another room's script, run as one
        assert found["sweep_speed"].path.name == "sweep_speed.py"


def test_transitions_walks_every_case_to_closed_through_each_contender(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'template.db'}"
    ids = bench_transitions.build_template(url, 4)
    assert len(ids) == 4
    for kind in bench_transitions.KINDS:
        target = tmp_path / f"{kind}.db"
        bench_transitions.sqlite_checkpoint(tmp_path / "template.db")
        bench_transitions.sqlite_copy(tmp_path / "template.db", target)
        elapsed, steps = bench_transitions._walk(kind, f"sqlite:///{target}", ids)
        assert steps == 16
        assert elapsed > 0
        if kind != "raw":  # the engine's chains verify, clones included
            with Engine.open(f"sqlite:///{target}", clock=FrozenClock(bench_transitions.NOW)) as e:
                assert e.verify_audit() == []
                events = [ev.event for ev in e.get(ids[0]).events]
                # escalation rules may add their own events (supervise, …) between the steps
                assert events[0] == "received"
                assert [ev for ev in events if ev in bench_transitions.WALK] == list(
                    bench_transitions.WALK
                )
    micro = bench_transitions.machine_alone(url, ids, 2)
    assert len(micro) == 2
    assert all(us > 0 for us in micro)


def test_transitions_benchmark_reports_both_contenders(tmp_path: Path) -> None:
    run = _run(tmp_path, db="sqlite", cases=3)
    [section] = bench_transitions.run(run)
    figures = _figures(section)
    assert figures["engine.act (SQLite WAL)"] > 0
    assert figures["raw Core (SQLite WAL)"] > 0
    assert figures["engine.act, escalate=False (SQLite WAL)"] > 0
    assert figures["Lifecycle.decide alone (no database)"] > 0
    [ratio] = [r for r in section.ratios if r.budget]
    assert ratio.budget == ">= 0.6"
    assert ratio.value == pytest.approx(
        figures["engine.act (SQLite WAL)"] / figures["raw Core (SQLite WAL)"]
    )


@pytest.mark.postgres
def test_transitions_on_postgres(tmp_path: Path, pg_server: object) -> None:
    run = _run(tmp_path, db="postgres", cases=2)
    [section] = bench_transitions.run(run)
    figures = _figures(section)
    assert figures["engine.act (PostgreSQL)"] > 0
    assert figures["raw Core (PostgreSQL)"] > 0


def test_cli_startup_measures_every_command(tmp_path: Path) -> None:
    [section] = bench_cli.run(_run(tmp_path))
    figures = _figures(section)
    assert set(figures) == {
        "python -c pass",
        'python -c "import sqlalchemy"',
        "zhiqian --help",
        "zhiqian overdue",
    }
    assert all(ms > 0 for ms in figures.values())
    assert not [n for n in section.notes if "exited with" in n]  # every command succeeded
    imports = [n for n in section.notes if "-X importtime" in n]
    assert len(imports) == 2
    assert "typer" in imports[0]


def test_sweep_benchmark_at_two_small_sizes(tmp_path: Path) -> None:
    run = _run(tmp_path, db="sqlite", sizes=[60, 120], quick=True)
    [section] = bench_sweep.run(run)
    figures = _figures(section)
    assert any(name.endswith(", 60") for name in figures)
    assert any(name.endswith(", 120") for name in figures)
    passes = [v for n, v in figures.items() if n.startswith("raw claim query, nothing due")]
    assert len(passes) == 2
    assert all(ms > 0 for ms in passes)
    drains = [v for n, v in figures.items() if n.startswith("raw claim+mark")]
    assert len(drains) == 4  # 1% and 10% due, two sizes
    assert all(rate > 0 for rate in drains)
    overdue = [v for n, v in figures.items() if n.startswith("overdue first page")]
    assert len(overdue) == 2
    rss = [v for n, v in figures.items() if n.startswith("peak RSS")]
    assert rss
    assert all(mib > 10 for mib in rss)
    budgets = {r.name: r for r in section.ratios if r.budget}
    assert any("nothing due" in name for name in budgets)


def test_main_writes_json_results(tmp_path: Path) -> None:
    results = tmp_path / "results"
    code = main(
        [
            "--only",
            "transitions",
            "--db",
            "sqlite",
            "--cases",
            "2",
            "--rounds",
            "1",
            "--results",
            str(results),
            "--workdir",
            str(tmp_path / "work"),
        ]
    )
    assert code == 0
    [path] = results.glob("*.json")
    document = json.loads(path.read_text())
    [section] = document["sections"]
    assert section["benchmark"] == "transitions"
    names = {f["name"] for f in section["figures"]}
    assert {"engine.act (SQLite WAL)", "raw Core (SQLite WAL)"} <= names
    assert all(f["value"] > 0 for f in section["figures"])
    assert section["ratios"][0]["passed"] in (True, False)
