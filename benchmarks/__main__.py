"""Run the benchmark suite: ``python -m benchmarks [--quick] [--full] [--only NAME] [--db …]``.

Prints one table per benchmark and writes the figures to ``benchmarks/results/<time>.json``.
Benchmarks are the ``bench_*.py`` modules here, plus any ``sweep_*.py`` module: one with a
``run(run: Run)`` function runs in-process like ours; a stand-alone script (``sweep_speed.py``)
runs as a subprocess with the arguments in ``SCRIPTS`` and its printed figures are collected.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    RESULTS,
    Options,
    Run,
    Section,
    markdown,
    print_sections,
    write_json,
)

HERE = Path(__file__).resolve().parent
ORDER = ("transitions", "cli", "sweep", "sweep_speed")  # the rest after these, by name


def _sweep_sizes(options: Options) -> str:
    from benchmarks.bench_sweep import sizes

    return ",".join(str(n) for n in sizes(Run(options)))


# Stand-alone scripts of other rooms, and the arguments they run with here (SQLite only: they
# make their own temporary database).
SCRIPTS: dict[str, Callable[[Options], list[list[str]]]] = {
    "sweep_speed": lambda o: [
        ["due", "--cases", "50" if o.quick else "500"],
        ["idle", "--sizes", _sweep_sizes(o)],
    ],
}
_FIGURES = (  # what to pick out of a script's output: (pattern, figure name, unit)
    (re.compile(r"^(\w+): .*= (\d+) timers/s"), "{0}: due timers processed", "timers/s"),
    (
        re.compile(r"^(\w+): +([\d,]+) open cases.*nothing due: sweep median ([\d.]+) ms"),
        "{0}: sweep nothing due, {1} open cases",
        "ms",
    ),
)


class ScriptBenchmark:
    """A stand-alone benchmark script run as a subprocess; its output lines become notes."""

    def __init__(self, name: str, path: Path, argsets: Callable[[Options], list[list[str]]]):
        self.NAME = name
        self.TITLE = f"{path.name} (stand-alone script, SQLite)"
        self.path = path
        self.argsets = argsets

    def run(self, run: Run) -> list[Section]:
        section = Section(self.NAME, self.TITLE)
        if "sqlite" not in run.backends:
            section.notes.append("skipped: runs on SQLite only")
            return [section]
        for args in self.argsets(run.options):
            run.log(f"  {self.path.name} {' '.join(args)}")
            done = subprocess.run(
                [sys.executable, str(self.path), *args],
                capture_output=True,
                text=True,
                cwd=HERE.parent,
            )
            for line in done.stdout.splitlines():
                section.notes.append(f"{self.path.name} {args[0]}: {line.strip()}")
                for pattern, name, unit in _FIGURES:
                    m = pattern.match(line.strip())
                    if m:
                        groups = m.groups()
                        section.figure(name.format(*groups[:-1]), [float(groups[-1])], unit)
            if done.returncode != 0:
                tail = " | ".join(done.stderr.strip().splitlines()[-3:])
                section.notes.append(f"{self.path.name} {' '.join(args)} failed: {tail}")
        return [section]


def discover() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules([str(HERE)]):
        if not info.name.startswith(("bench_", "sweep_")):
            continue
        if info.name in SCRIPTS:  # a script: not imported (it may set things up on import)
            found[info.name] = ScriptBenchmark(
                info.name, HERE / f"{info.name}.py", SCRIPTS[info.name]
            )
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "run", None)):
            name = getattr(module, "NAME", info.name.removeprefix("bench_"))
            found[name] = module
    ranked = sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    return {name: found[name] for name in ranked}


def parse(argv: list[str], names: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="zhiqian benchmarks: contenders alternate in one run; medians and ratios.",
    )
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run (~1 min)")
    parser.add_argument(
        "--full", action="store_true", help="include the 1M-case sweep sizes (SQLite: ~10 min)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, help="rounds per benchmark (default: each its own)")
    parser.add_argument("--cases", type=int, help="transitions: cases to walk per round")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        help="sweep: open-case counts, comma-separated (default 10000,100000; --full adds 1M)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON results")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the engine walk with pyinstrument (pip install pyinstrument)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="RESULTS.json",
        help="print a results file as Markdown tables and exit (runs nothing)",
    )
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp folder)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.only if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(names)}")
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.sizes is not None and (len(args.sizes) < 2 or min(args.sizes) < 10):
        parser.error("--sizes needs at least two counts of 10 or more (a ratio needs two)")
    if args.cases is not None and args.cases < 1:
        parser.error("--cases must be at least 1")
    return Options(
        quick=args.quick,
        full=args.full,
        db=args.db,
        rounds=args.rounds,
        cases=args.cases,
        sizes=args.sizes,
        results=args.results,
        profile=args.profile,
        only=args.only,
        workdir=args.workdir or Path("."),
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--markdown" in args:
        path = Path(args[args.index("--markdown") + 1])
        print(markdown(json.loads(path.read_text())))
        return 0
    modules = discover()
    options = parse(args, list(modules))
    with tempfile.TemporaryDirectory(prefix="zq-bench-") as scratch:
        if options.workdir == Path("."):
            options.workdir = Path(scratch)
        options.workdir.mkdir(parents=True, exist_ok=True)
        run = Run(options)
        started = run.started
        for name, module in modules.items():
            if options.only and name not in options.only:
                continue
            run.log(f"[bold]{name}[/bold]: {getattr(module, 'TITLE', '')}")
            run.sections.extend(module.run(run))
    print_sections(run.console, run.sections)
    path = write_json(run.sections, options, started)
    run.console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    # Killed runs still drop their throw-away PostgreSQL databases (the ``finally`` blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
