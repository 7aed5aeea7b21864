"""zhiqian's benchmark suite: ``python -m benchmarks`` (or ``python3 tasks.py bench``).

Each ``bench_*.py`` module has ``NAME``, ``TITLE`` and ``run(run: Run) -> list[Section]``; see
``harness.py`` for how contenders alternate and how results are reported. docs/benchmarks.md
has the figures measured on the project's machine.
"""
