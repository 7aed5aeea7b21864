"""SIGTERM at the moments between the daemon's first pass and its scheduler running: the daemon
still stops (exit 0, last log line ``stopped``). The signal is real (``os.kill`` of the daemon's
own process), sent from inside the daemon at a chosen point, so the timing is exact rather than
a matter of luck; the daemon runs in a subprocess so that a hang is a failed test, not a hung
suite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from apscheduler.schedulers.blocking import BlockingScheduler
    from zhiqian import FrozenClock
    from zhiqian.engine.service import daemon

    where, url, out = sys.argv[1:4]

    def kill_then(original):
        def wrapped(*args, **kwargs):
            if where == "after_first_pass":
                result = original(*args, **kwargs)
                os.kill(os.getpid(), signal.SIGTERM)
                return result
            os.kill(os.getpid(), signal.SIGTERM)  # handled before the line below runs
            return original(*args, **kwargs)
        return wrapped

    if where == "after_first_pass":
        daemon.Daemon.run_once = kill_then(daemon.Daemon.run_once)
    elif where == "before_scheduler_start":
        BlockingScheduler.start = kill_then(BlockingScheduler.start)
    else:
        raise SystemExit(f"unknown moment {where}")
    sys.exit(
        daemon.run_daemon(
            url,
            create=True,
            clock=FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)),
            notice_dir=out,
            sweep_seconds=0.2,
            deliver_seconds=0.2,
        )
    )
    """
)


@pytest.mark.parametrize("moment", ["after_first_pass", "before_scheduler_start"])
def test_sigterm_between_first_pass_and_scheduler_stops_the_daemon(
    moment: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, moment, url, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=30,  # a stopping daemon takes about a second
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    events = [r["event"] for r in records]
    assert events[0] == "start"
    assert events.count("stopping") == 1
    assert events[-1] == "stopped"
