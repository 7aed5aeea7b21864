"""Real daemon processes on one database: two at once fire each due escalation exactly once; one
killed with SIGKILL at random moments, again and again, loses nothing and duplicates nothing;
SIGTERM finishes the batch in hand and exits 0 with JSON logs.

The daemons are ``python -m zhiqian.engine.service`` subprocesses with ``--at`` (a frozen clock:
the domain's "now"), short intervals and the file channel. The test waits by polling the
database (bounded), never by sleeping for domain time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from _seed import (
    FILE_ROUTING,
    NOTICES_PER_CASE,
    PROPOSED_PER_CASE,
    RULES_PER_CASE,
    seed_cases,
    write_pack,
)

from zhiqian import Engine, FrozenClock
from zhiqian.store.database import create_engine

pytestmark = pytest.mark.slow

NOW = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
ROOT = Path(__file__).resolve().parents[2]


def _prepare(url: str, tmp_path: Path, n: int) -> Path:
    pack = write_pack(tmp_path, routing=FILE_ROUTING)
    with Engine.open(url, pack=pack, create=True, clock=FrozenClock(NOW)) as eng:
        seed_cases(eng.bind, n, now=NOW, pack_name="proc-test")
    return pack


def _start(
    url: str, pack: Path, notices: Path, at: datetime, worker: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "zhiqian.engine.service",
        url,
        "--pack",
        str(pack),
        "--notice-dir",
        str(notices),
        "--at",
        at.isoformat(),
        "--sweep-seconds",
        "0.2",
        "--deliver-seconds",
        "0.2",
        "--batch",
        "25",
        "--worker",
        worker,
    ]
    with open(log, "ab") as stream:
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stream, env=env, cwd=ROOT
        )


def _remaining(bind: sa.Engine, at: datetime) -> tuple[int, int]:
    with bind.connect() as conn:
        timers = conn.execute(
            sa.text("SELECT count(*) FROM zq_timers WHERE fired_at IS NULL AND due_at <= :at"),
            {"at": at},
        ).scalar_one()
        notices = conn.execute(
            sa.text("SELECT count(*) FROM zq_notices WHERE status IN ('pending', 'sending')")
        ).scalar_one()
    return int(timers), int(notices)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _check_exactly_once(bind: sa.Engine, n: int, notices: Path) -> None:
    with bind.connect() as conn:
        per_rule = conn.execute(
            sa.text(
                "SELECT rule_id, count(*), count(DISTINCT case_id) FROM zq_escalations "
                "GROUP BY rule_id ORDER BY rule_id"
            )
        ).all()
        assert [tuple(r) for r in per_rule] == [(rule, n, n) for rule in RULES_PER_CASE]
        events = dict(
            conn.execute(
                sa.text(
                    "SELECT event, count(*) FROM zq_events WHERE actor LIKE 'rule:%' GROUP BY event"
                )
            ).all()
        )
        # The rules propose what the law reserves to a person, once per case; nobody decided.
        assert events == {f"propose_{act}": n for act in PROPOSED_PER_CASE}
        decisions = conn.execute(
            sa.text(
                "SELECT act, status, count(*), count(DISTINCT case_id) FROM zq_decisions "
                "GROUP BY act, status ORDER BY act"
            )
        ).all()
        assert [tuple(d) for d in decisions] == [(a, "pending", n, n) for a in PROPOSED_PER_CASE]
        duplicated = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT case_id, event FROM zq_events "
                "WHERE actor LIKE 'rule:%' GROUP BY case_id, event HAVING count(*) > 1) d"
            )
        ).scalar_one()
        assert duplicated == 0
        statuses = dict(
            conn.execute(sa.text("SELECT status, count(*) FROM zq_notices GROUP BY status")).all()
        )
        assert statuses == {"sent": NOTICES_PER_CASE * n}
        unfired = conn.execute(
            sa.text("SELECT count(*) FROM zq_timers WHERE fired_at IS NULL AND due_at <= :at"),
            {"at": NOW},
        ).scalar_one()
        assert unfired == 0
    # The file channel names each document after its outbox id: one file per notice, even for
    # a notice sent again after a crash between sending and recording.
    assert len(list(notices.glob("*.txt"))) == NOTICES_PER_CASE * n


def _audit(url: str, pack: Path) -> list[str]:
    with Engine.open(url, pack=pack, clock=FrozenClock(NOW)) as eng:
        return eng.verify_audit()


@pytest.mark.postgres
def test_two_daemons_fire_each_escalation_exactly_once(pg_url: str, tmp_path: Path) -> None:
    n = 700  # 1,400 due timers, 2,100 escalations, 2,800 notices
    pack = _prepare(pg_url, tmp_path, n)
    notices = tmp_path / "notices"
    bind = create_engine(pg_url)
    procs = [
        _start(pg_url, pack, notices, NOW, f"daemon-{i}", tmp_path / f"daemon-{i}.log")
        for i in (1, 2)
    ]
    try:
        _wait(lambda: _remaining(bind, NOW) == (0, 0), 150, "both daemons to drain the work")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=60) for proc in procs]
    assert codes == [0, 0]
    _check_exactly_once(bind, n, notices)
    with bind.connect() as conn:
        by_worker = dict(
            conn.execute(
                sa.text(
                    "SELECT claimed_by, count(*) FROM zq_timers "
                    "WHERE fired_at IS NOT NULL GROUP BY claimed_by"
                )
            ).all()
        )
    assert set(by_worker) == {"daemon-1", "daemon-2"}, by_worker  # both really worked
    bind.dispose()
    assert _audit(pg_url, pack) == []
    for i in (1, 2):
        lines = (tmp_path / f"daemon-{i}.log").read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        assert records[0]["event"] == "start"
        assert records[-1]["event"] == "stopped"
        assert any(r.get("event") == "stopping" and r["signal"] == "SIGTERM" for r in records)


@pytest.mark.parametrize("kind", [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def test_sigkill_at_random_moments_loses_nothing_and_duplicates_nothing(
    kind: str, make_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_db_url(kind)
    n = 300
    pack = _prepare(url, tmp_path, n)
    notices = tmp_path / "notices"
    bind = create_engine(url)
    rng = random.Random(20260302)
    kills = 0
    at = NOW
    for round_ in range(12):
        # Each restart is later in domain time: leases of notices caught "sending" run out.
        at = NOW + timedelta(minutes=10 * round_)
        proc = _start(url, pack, notices, at, f"victim-{round_}", tmp_path / "victim.log")
        try:
            proc.wait(timeout=rng.uniform(1.2, 3.5))  # a random moment, mid-work or not
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
        if _remaining(bind, at) == (0, 0):
            break
    assert kills >= 3  # the test killed work in progress, more than once
    final = at + timedelta(hours=1)
    survivor_log = tmp_path / "survivor.log"
    proc = _start(url, pack, notices, final, "survivor", survivor_log)
    try:
        _wait(lambda: _remaining(bind, final) == (0, 0), 120, "the survivor to finish")
        # The killed daemons may have finished the work already: then the survivor is still
        # starting up. Its SIGTERM handler exists once it has logged "start"; wait for that.
        _wait(
            lambda: '"event": "start"' in survivor_log.read_text("utf-8"),
            60,
            "the survivor to install its signal handlers",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    _check_exactly_once(bind, n, notices)
    bind.dispose()
    assert _audit(url, pack) == []
