"""The HTTP benchmark still runs (tiny N, SQLite): both contenders did the work, figures > 0."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the benchmarks folder is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_http  # noqa: E402
from benchmarks.__main__ import discover  # noqa: E402
from benchmarks.harness import Options, Run  # noqa: E402


def test_the_http_benchmark_is_registered_and_measures_both_contenders(tmp_path: Path) -> None:
    assert "http" in discover()
    run = Run(Options(workdir=tmp_path, results=tmp_path / "r", rounds=1, cases=3, db="sqlite"))
    [section] = bench_http.run(run)
    values = {f.name: f.value for f in section.figures}
    assert set(values) == {
        "intake: library (SQLite WAL)",
        "intake: HTTP, 1 worker, 1 client (SQLite WAL)",
        "act: library (SQLite WAL)",
        "act: HTTP, 1 worker, 1 client (SQLite WAL)",
    }
    assert all(v > 0 for v in values.values())
    assert [r.name for r in section.ratios] == [
        "intake: HTTP / library (SQLite WAL)",
        "act: HTTP / library (SQLite WAL)",
    ]
