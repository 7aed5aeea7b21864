#!/usr/bin/env python3
"""The project's two commands, with nothing needed beforehand but Python 3.11+.

    python3 tasks.py demo    set up .venv, then run the demo on the embedded default (SQLite)
    python3 tasks.py test    set up .venv, then lint, type-check and run the whole test suite
    python3 tasks.py bench   set up .venv, then run the benchmark suite (benchmarks/)

Set-up is idempotent: it creates ``.venv`` when missing and installs the project into it in
editable mode. mypy cannot see through setuptools' editable finder, so ``test`` type-checks a
link tree (build/typecheck/zhiqian) laid out as the installed namespace is.
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
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")


# The folder → namespace mapping of pyproject.toml, for the type-check link tree.
NAMESPACE = {"engine": "engine", "rules": "rules", "store": "store", "notifiers": "notifiers"}


def typecheck_tree() -> Path:
    top = ROOT / "build" / "typecheck"
    pkg = top / "zhiqian"
    pkg.mkdir(parents=True, exist_ok=True)
    for link in pkg.iterdir():  # drop links to files that are gone
        if not link.exists():
            link.unlink()
    for source in (ROOT / "api").iterdir():
        if source.suffix in {".py", ".typed"} and not (pkg / source.name).exists():
            (pkg / source.name).symlink_to(source)
    for sub, folder in NAMESPACE.items():
        if not (pkg / sub).exists():
            (pkg / sub).symlink_to(ROOT / folder, target_is_directory=True)
    return top


def demo(argv: list[str]) -> None:
    setup()
    run(BIN / "zhiqian", "demo", *argv)


def test(argv: list[str]) -> None:
    setup()
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "ruff", "format", "--check", ".")
    typecheck([])
    run(PY, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", *argv)


def typecheck(argv: list[str]) -> None:
    env = dict(os.environ, MYPYPATH=str(typecheck_tree()))
    run(PY, "-m", "mypy", *(argv or ["-p", "zhiqian"]), env=env)


def bench(argv: list[str]) -> None:
    setup()
    run(PY, "-m", "benchmarks", *argv)


COMMANDS = {
    "demo": demo,
    "test": test,
    "bench": bench,
    "typecheck": typecheck,
    "setup": lambda argv: setup(),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
