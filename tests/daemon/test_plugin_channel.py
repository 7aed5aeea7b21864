"""A third-party notifier installed as a real package is usable from a pack by its name.

``tests/plugins/zhiqian-test-notifier`` is pip-installed (``--target``, no network) into a
folder; a daemon process with that folder on its path routes a pack's ``journal`` channel
through the package's entry point (group ``zhiqian.notifiers``) and delivers through it. A pack
naming a channel that no installed notifier provides makes the daemon refuse to start, saying so
in a JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from _seed import NOTICES_PER_CASE, seed_cases, write_pack

from zhiqian import Engine, FrozenClock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "plugins" / "zhiqian-test-notifier"
NOW = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
N = 4  # seeded cases: each breaches investigation → a notice to the county office

JOURNAL_ROUTING = """\
  roles:
    - {id: handler, label: 办案人员, level: same, channels: [log]}
    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [journal], address_env: ZQ_JOURNAL}
    - {id: city_office, label: 市级人社部门, level: city, channels: [log]}
    - {id: province_office, label: 省级人社部门, level: province, channels: [log]}
    - {id: leader, label: 分管领导, level: same, channels: [log]}
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert list(target.glob("zhiqian_test_notifier-1.0.dist-info/entry_points.txt"))
    return target


def _daemon(url: str, pack: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "zhiqian.engine.service",
            url,
            "--pack",
            str(pack),
            "--once",
            "--at",
            NOW.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_a_pack_routes_to_an_installed_plugin_by_name(tmp_path: Path, plugin_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    pack = write_pack(tmp_path, routing=JOURNAL_ROUTING)
    with Engine.open(url, pack=pack, create=True, clock=FrozenClock(NOW)) as eng:
        seed_cases(eng.bind, N, now=NOW, pack_name="proc-test")
    journal = tmp_path / "journal.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")]),
        "ZQ_JOURNAL": str(journal),
    }
    done = _daemon(url, pack, env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == N
    assert {line["channel"] for line in lines} == {"journal"}
    bind = sa.create_engine(url)
    with bind.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, count(*) FROM zq_notices WHERE channel = 'journal' GROUP BY 1")
        ).all()
        channels = conn.execute(
            sa.text("SELECT channel, count(*) FROM zq_notices GROUP BY 1 ORDER BY 1")
        ).all()
    bind.dispose()
    assert [tuple(r) for r in rows] == [("sent", N)]
    assert [tuple(c) for c in channels] == [("journal", N), ("log", (NOTICES_PER_CASE - 1) * N)]
    records = [json.loads(line) for line in done.stderr.splitlines()]
    # Per case: the 超期预警 to the handler (log) and to the county office (journal), and the
    # head's two forms for the proposed 移送公安 and 列入失信名单 (the leader role, log).
    assert next(r for r in records if r.get("event") == "deliver")["sent"] == NOTICES_PER_CASE * N


def test_a_pack_channel_no_notifier_provides_stops_the_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    pack = write_pack(tmp_path, routing=JOURNAL_ROUTING)  # the plugin is not installed here
    with Engine.open(url, pack=pack, create=True, clock=FrozenClock(NOW)):
        pass
    done = _daemon(url, pack, dict(os.environ))
    assert done.returncode == 1
    (record,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["event"] == "start_failed"
    assert record["error_type"] == "NotifierError"
    assert "role 'county_office'" in record["msg"]
    assert "'journal'" in record["msg"]
