#!/usr/bin/env python3
"""The project's two commands, with nothing needed beforehand but Python 3.11+.

    python3 tasks.py demo    set up .venv, then run the demo on the embedded default (SQLite)
    python3 tasks.py test    set up .venv, then lint, type-check and run the whole test suite
    python3 tasks.py bench   set up .venv, then run the benchmark suite (benchmarks/)

Set-up is idempotent: it creates ``.venv`` when missing and (re)installs the project into it in
strict editable mode, which mypy can see through and which picks up new modules on every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=env)
    if code:
        sys.exit(code)


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"zhiqian needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(
        PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]",
        "--config-settings", "editable_mode=strict",
    )


def demo(argv: list[str]) -> None:
    setup()
    run(BIN / "zhiqian", "demo", *argv)


def test(argv: list[str]) -> None:
    setup()
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "mypy", "-p", "zhiqian")
    run(PY, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", *argv)


def bench(argv: list[str]) -> None:
    setup()
    run(PY, "-m", "benchmarks", *argv)


COMMANDS = {"demo": demo, "test": test, "bench": bench, "setup": lambda argv: setup()}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
