"""CLI start-up: ``zhiqian --help`` and ``zhiqian overdue`` against bare interpreters.

Each contender is a fresh process (``subprocess.run``), so every sample is a cold interpreter
start; the files are in the page cache (one unmeasured warm-up run each), as on a server where
the command is used daily. Contenders alternate: pass, import sqlalchemy, --help, overdue, …

When ``--help`` misses its budget (3 × ``import sqlalchemy``), ``python -X importtime`` of the
same command names the modules that cost most.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import Run, Section, alternate

NAME = "cli"
TITLE = "CLI start-up (fresh process each sample)"

PY = sys.executable
ZHIQIAN = str(Path(PY).with_name("zhiqian"))
CLI_CODE = (
    "import sys; from zhiqian.engine.cli import main; sys.argv = ['zhiqian', *sys.argv[1:]]; main()"
)


def _spawn(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0, done.returncode


def run(bench: Run) -> list[Section]:
    rounds = bench.options.rounds_or(15, quick=3)
    section = Section(NAME, TITLE)
    db = bench.options.workdir / "cli.db"
    env = dict(os.environ, ZHIQIAN_DB=f"sqlite:///{db}", COLUMNS="100")
    # A database with the schema, so that `overdue` does real work (an empty page).
    subprocess.run(
        [ZHIQIAN, "db", "upgrade"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    commands = {
        "python -c pass": [PY, "-c", "pass"],
        'python -c "import sqlalchemy"': [PY, "-c", "import sqlalchemy"],
        "zhiqian --help": [ZHIQIAN, "--help"],
        "zhiqian overdue": [ZHIQIAN, "overdue", "--format", "json"],
    }
    codes: dict[str, int] = {}
    for name, argv in commands.items():  # warm-up: the page cache, __pycache__
        codes[name] = _spawn(argv, env)[1]

    def contender(name: str, argv: list[str]) -> tuple[str, object]:
        def go(_r: int) -> float:
            seconds, code = _spawn(argv, env)
            codes[name] = code
            return seconds * 1000

        return name, go

    samples = alternate([contender(n, a) for n, a in commands.items()], rounds, bench)
    figs = {name: section.figure(name, s, "ms") for name, s in samples.items()}
    for name, code in codes.items():
        if code != 0:
            section.notes.append(f"`{name}` exited with {code} (its time is still the start-up)")
    sqla = figs['python -c "import sqlalchemy"'].value
    bare = figs["python -c pass"].value
    help_ratio = section.ratio(
        "zhiqian --help / import sqlalchemy", figs["zhiqian --help"].value / sqla, "<= 3"
    )
    section.ratio("zhiqian --help / python -c pass", figs["zhiqian --help"].value / bare)
    section.ratio("zhiqian overdue / import sqlalchemy", figs["zhiqian overdue"].value / sqla)
    section.ratio("zhiqian overdue / python -c pass", figs["zhiqian overdue"].value / bare)
    # Always reported: cheap, and what a start-up regression is looked for in first.
    for args in (["--help"], ["overdue", "--format", "json"]):
        heavy = ", ".join(heaviest_imports(env, args))
        section.notes.append(f"imports at `zhiqian {' '.join(args)}` (-X importtime): {heavy}")
    if help_ratio.passed is False:
        section.notes.append("--help misses its budget: make the imports above lazy")
    return [section]


def heaviest_imports(env: dict[str, str], args: list[str], top: int = 8) -> list[str]:
    """The packages whose modules cost most to import for ``zhiqian ARGS``.

    Sums each module's own (self) import time by top-level package, so a heavy library imported
    by one of our modules is charged to the library, not to zhiqian.
    """
    done = subprocess.run(
        [PY, "-X", "importtime", "-c", CLI_CODE, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    totals: dict[str, int] = {}
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
    for line in done.stderr.splitlines():
        m = pattern.match(line)
        if m:
            root = m.group(2).split(".")[0]
            totals[root] = totals.get(root, 0) + int(m.group(1))
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return [f"{name} {us / 1000:.0f} ms" for name, us in ranked]
