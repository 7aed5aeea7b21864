"""The dry-run benchmark still runs (tiny N, no timing asserted): its contenders did the work
they claim — the governing pack replayed changes nothing, the candidate moves the running
investigation deadlines (two histories of six: the suspended one is paused)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the benchmarks folder is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_dry_run  # noqa: E402
from benchmarks.__main__ import discover  # noqa: E402
from benchmarks.harness import Options, Run  # noqa: E402


def test_the_dry_run_benchmark_measures_its_three_contenders(tmp_path: Path) -> None:
    assert "dry_run" in discover()
    options = Options(workdir=tmp_path, results=tmp_path / "results", rounds=1, db="sqlite")
    options.cases = 12
    [section] = bench_dry_run.run(Run(options))
    figures = {f.name: f.value for f in section.figures}
    assert set(figures) == {
        f"{name}, {suffix}"
        for name in ("reads only", "dry run, governing pack", "dry run, candidate")
        for suffix in ("12 cases", "per case", "CPU per case")
    }
    assert all(value > 0 for value in figures.values())
    assert "governing pack: 12 cases looked at, 0 with changes" in " ".join(section.notes)
    assert "candidate: 4 deadlines moved on 4 cases" in " ".join(section.notes)
