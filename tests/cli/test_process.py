"""The installed ``zhiqian`` script as a real process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zhiqian.testing import sample_complaint

AT = "2026-12-01T09:00:00+08:00"
LATER = "2026-12-02T10:00:00+08:00"


def test_the_core_commands_as_processes(
    zq: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    env = {"ZHIQIAN_DB": db_url}  # the environment names the database, as an office sets it up
    assert zq("db", "upgrade", env=env).code == 0

    records = [sample_complaint(i) for i in range(3)]
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    added = zq("case", "add", "-", "--at", AT, "--format", "json", stdin=stdin, env=env)
    assert added.code == 0, added.stderr
    assert [a["ref"] for a in added.json()] == [r["ref"] for r in records]
    first = str(added.json()[0]["id"])

    moved = zq("case", "act", first, "verify", "--actor", "科员甲", "--at", LATER, env=env)
    assert moved.code == 0, moved.stderr
    assert "受理 accepted → 核实 verifying" in moved.stdout

    shown = zq("case", "show", first, "--at", LATER, "--format", "json", env=env)
    assert shown.code == 0
    detail = shown.json()
    assert {
        "id",
        "ref",
        "state",
        "level",
        "region",
        "leader",
        "flags",
        "clocks",
        "escalations",
        "events",
    } <= set(detail)
    assert detail["state"] == "verifying"
    assert records[0]["complainant"]["phone"] not in shown.stdout

    refused = zq("case", "act", first, "close", "--actor", "科员甲", "--at", LATER, env=env)
    assert refused.code == 1
    assert refused.stderr.startswith("zhiqian: TransitionRefused:")
    assert "Traceback" not in refused.stderr

    refused_json = zq(
        "case", "act", first, "close", "--actor", "x", "--at", LATER, "-f", "json", env=env
    )
    assert refused_json.code == 1
    assert json.loads(refused_json.stderr)["error"]["type"] == "TransitionRefused"

    listed = zq("case", "list", "--format", "csv", env=env)
    assert listed.code == 0
    assert len(listed.stdout.strip().splitlines()) == 1 + len(records)

    table = zq("case", "list", env=env)
    assert "阳泉市" in table.stdout

    usage = zq("case", "list", "--state", env=env)
    assert usage.code == 2
    assert "Traceback" not in usage.stderr

    assert zq("audit", "verify", env=env).code == 0

    # --db wins over the environment: an empty database has no schema yet
    other = zq("--db", f"sqlite:///{tmp_path / 'other.db'}", "case", "list", "-f", "json", env=env)
    assert other.code == 1
    assert json.loads(other.stderr)["error"]["type"] == "StoreError"


def test_help_as_a_process(zq: Callable[..., Any]) -> None:
    done = zq("--help", env={"COLUMNS": "120"})
    assert done.code == 0
    assert "sqlite:///zhiqian.db" in done.stdout
    assert done.stderr == ""
    assert zq("no-such-command").code == 2


def test_module_entry_point(zq: Callable[..., Any], sqlite_url: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "zhiqian.engine.cli", "--db", sqlite_url, "db", "upgrade"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_demo_prints_what_escalated_and_the_files(zq: Callable[..., Any], tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("zhiqian.engine.cli.demo") is None:
        pytest.skip("no demo in this build")
    done = zq("demo", "--out", str(tmp_path / "demo"), "--notices", "2", env={"COLUMNS": "400"})
    assert done.code == 0, done.stderr
    assert "What escalated" in done.stdout
    files = [Path(line) for line in done.stdout.splitlines() if line.startswith(str(tmp_path))]
    assert any(p.suffix == ".xlsx" for p in files)
    assert all(p.exists() for p in files)
