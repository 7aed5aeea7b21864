"""Drive ``zhiqian`` as a user would: in-process through typer's CliRunner, and as a real
process (``.venv/bin/zhiqian``). Time is always given with ``--at``; nothing sleeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhiqian.engine.cli import app
from zhiqian.testing import sample_complaint

ZHIQIAN = Path(sys.executable).with_name("zhiqian")
# Every sample complaint is received on 2026-11-02..; the office "works" in early December.
AT = "2026-12-01T09:00:00+08:00"


@dataclass
class Ran:
    """What a command did: its exit code and its two streams."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        payload = json.loads(self.stderr)
        assert set(payload) == {"error"}, payload
        error: dict[str, Any] = payload["error"]
        assert {"type", "message", "problems"} <= set(error), error
        return error


Cli = Callable[..., Ran]


@pytest.fixture
def runner() -> CliRunner:
    # A COLUMNS inherited from the test runner's terminal would make tables wrap; an operator's
    # pipe has none (tests that want a narrow table set it themselves).
    return CliRunner(env={"COLUMNS": None, "ZHIQIAN_DB": None, "ZHIQIAN_RULES": None})


def _invoke(runner: CliRunner, db: str, args: Sequence[str], stdin: str | None) -> Ran:
    result = runner.invoke(app, ["--db", db, *args], input=stdin, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli_on(runner: CliRunner) -> Callable[[str], Cli]:
    """``cli_on(url)("case", "list")``: run a command in-process against database ``url``."""

    def bind(db: str) -> Cli:
        def run(*args: str, stdin: str | None = None) -> Ran:
            return _invoke(runner, db, args, stdin)

        return run

    return bind


@pytest.fixture
def cli(cli_on: Callable[[str], Cli], sqlite_url: str) -> Cli:
    """The CLI on a fresh, migrated SQLite file."""
    run = cli_on(sqlite_url)
    assert run("db", "upgrade").code == 0
    return run


def _run_process(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Ran:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIQIAN_")}
    full_env.update(env or {})
    done = subprocess.run(
        [str(ZHIQIAN), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def zq() -> Callable[..., Ran]:
    """The installed console script ``zhiqian``, run as an operator's shell runs it."""
    return _run_process


def _write_records(path: Path, records: Sequence[dict[str, Any]], *, lines: bool = False) -> Path:
    if lines:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    else:
        path.write_text(json.dumps(list(records), ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def samples() -> list[dict[str, Any]]:
    return [sample_complaint(seed) for seed in range(6)]


def quiet_complaint(seed: int, **overrides: Any) -> dict[str, Any]:
    """A sample complaint no escalation rule of the shipped packs fires on at intake: two
    workers, 8,000 yuan, no flags (``sample_complaint`` alone often draws a major case — many
    workers, a large amount, ``collective`` — which is supervised and given a leader on receipt)."""
    record = sample_complaint(
        seed,
        workers=2,
        migrant_workers=2,
        amount="8000.00",
        migrant_amount="8000.00",
        flags=[],
        summary="2名工人被拖欠工资共计8000.00元。",
    )
    record.update(overrides)
    return record


@pytest.fixture
def quiet() -> Callable[..., dict[str, Any]]:
    """``quiet(seed, **overrides)``: a complaint that triggers no escalation on receipt, for tests
    about something else than escalation (a case's events are then only the test's own)."""
    return quiet_complaint


@pytest.fixture
def records_file(tmp_path: Path) -> Callable[..., Path]:
    """``records_file(records, lines=False)``: a JSON array (or JSON Lines) file to feed ``case add``."""
    counter = iter(range(1_000_000))

    def make(records: Sequence[dict[str, Any]], *, lines: bool = False) -> Path:
        suffix = ".jsonl" if lines else ".json"
        return _write_records(tmp_path / f"records{next(counter)}{suffix}", records, lines=lines)

    return make
