"""The service at the edge: the daemon leaves the engine as it was opened, run() builds what it
needs from the settings, every log line (APScheduler's too) is a JSON object, and a failure to
start is one of them."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _seed import seed_cases, write_pack

from zhiqian import Engine, FrozenClock
from zhiqian.engine.escalation import escalator_of, list_escalations
from zhiqian.engine.service import Daemon, Settings, SettingsError, run
from zhiqian.engine.service.logging import json_logging
from zhiqian.errors import StoreError
from zhiqian.notifiers import MemoryNotifier
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def _major(seed: int) -> dict[str, Any]:
    """A case the national pack supervises on receipt (100+ workers)."""
    return sample_complaint(
        seed,
        workers=120,
        migrant_workers=100,
        amount="1500000.00",
        migrant_amount="1000000.00",
        received_at=NOW.isoformat(),
        flags=[],
    )


def test_the_daemon_does_not_switch_escalation_on(db_url: str) -> None:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        assert eng.escalator is None
        memory = MemoryNotifier()
        daemon = Daemon(eng, notifiers={"log": memory, "file": memory})
        assert daemon.run_once() == 0
        assert eng.escalator is None
        assert escalator_of(eng) is None
        case = eng.receive(_major(1))
        assert list_escalations(eng, case.id) == []  # no 挂牌督办 on the change itself
    with Engine.open(db_url, clock=FrozenClock(NOW)) as eng:  # the default still escalates
        case = eng.receive(_major(2))
        assert [e["rule"] for e in list_escalations(eng, case.id)] != []


EMAIL_ROUTING = """\
  roles:
    - {id: handler, label: 办案人员, level: same, channels: [log]}
    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [email], address_env: ZQ_COUNTY}
    - {id: city_office, label: 市级人社部门, level: city, channels: [log]}
    - {id: province_office, label: 省级人社部门, level: province, channels: [log]}
    - {id: leader, label: 分管领导, level: same, channels: [log]}
"""


def test_run_routes_with_the_settings_addresses(sqlite_url: str, tmp_path: Path) -> None:
    pack = write_pack(tmp_path, routing=EMAIL_ROUTING)
    with Engine.open(sqlite_url, pack=pack, create=True, clock=FrozenClock(NOW)) as eng:
        seed_cases(eng.bind, 3, now=NOW, pack_name="proc-test")
    memory = MemoryNotifier()
    settings = Settings.from_env({"ZQ_COUNTY": "county@rsj.example.gov.cn"})
    stream = io.StringIO()
    code = run(
        settings,
        sqlite_url,
        pack=pack,
        once=True,
        at=NOW,
        notifiers={"log": memory, "email": memory, "file": memory},
        log_stream=stream,
    )
    assert code == 0
    emailed = [s.notice for s in memory.sent if s.notice.channel == "email"]
    assert len(emailed) == 3
    assert {n.address for n in emailed} == {"county@rsj.example.gov.cn"}
    for line in stream.getvalue().splitlines():  # every line is one JSON object
        json.loads(line)


def test_the_database_url_comes_from_the_settings_when_not_given(
    sqlite_url: str, tmp_path: Path
) -> None:
    with Engine.open(sqlite_url, create=True, clock=FrozenClock(NOW)):
        pass
    stream = io.StringIO()
    memory = MemoryNotifier()
    settings = Settings.from_env({"ZHIQIAN_DB": sqlite_url})
    assert run(settings, once=True, at=NOW, notifiers={"log": memory}, log_stream=stream) == 0


def test_a_failure_to_start_is_one_json_line(tmp_path: Path) -> None:
    stream = io.StringIO()
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"  # no schema: Engine.open refuses
    with pytest.raises(StoreError):
        run(Settings(), url, once=True, log_stream=stream)
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "start_failed"
    assert record["error_type"] == "StoreError"
    assert record["level"] == "error"
    assert "Traceback" in record["error"]


def test_scheduler_log_lines_are_json_too() -> None:
    stream = io.StringIO()
    scheduler = logging.getLogger("apscheduler.scheduler")
    before = (scheduler.level, logging.getLogger("apscheduler").propagate)
    with json_logging(stream):
        scheduler.warning('Run time of job "sweep" was missed by %s', "0:00:03")
        scheduler.info("Running job: below the scheduler's level, not written")
        logging.getLogger("zhiqian.daemon").info("x", extra={"zq": {"event": "sweep"}})
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("apscheduler.scheduler", "warning"),
        ("zhiqian.daemon", "info"),
    ]
    assert "was missed by 0:00:03" in records[0]["msg"]
    assert (scheduler.level, logging.getLogger("apscheduler").propagate) == before
    assert not logging.getLogger("zhiqian").handlers  # the handler is gone after the block


def test_the_cli_and_python_m_reach_the_same_run(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from zhiqian.engine.cli import app
    from zhiqian.engine.service import __main__ as entry
    from zhiqian.engine.service import daemon

    calls: list[tuple[Settings, str | None, dict[str, Any]]] = []

    def fake_run(settings: Settings, url: str | None = None, **options: Any) -> int:
        calls.append((settings, url, options))
        return 0

    monkeypatch.setattr(daemon, "run", fake_run)
    monkeypatch.setenv("ZQ_COUNTY", "county@rsj.example.gov.cn")
    at = "2026-03-02T10:00:00+08:00"
    common = ["--once", "--at", at, "--notice-dir", str(tmp_path), "--batch", "7"]
    assert entry.main([sqlite_url, *common]) == 0
    done = CliRunner().invoke(app, ["--db", sqlite_url, "daemon", *common])
    assert done.exit_code == 0, done.output
    assert len(calls) == 2
    (s1, url1, o1), (s2, url2, o2) = calls
    assert url1 == url2 == sqlite_url
    assert s1 == s2
    assert s1.notice_dir == tmp_path
    assert s1.addresses["ZQ_COUNTY"] == "county@rsj.example.gov.cn"
    assert (o1["once"], o2["once"], o1["batch"], o2["batch"]) == (True, True, 7, 7)
    when = datetime.fromisoformat(at)
    assert o1["at"] == when
    assert o2["clock"].now() == when


def test_python_m_logs_a_bad_pack_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    from zhiqian.engine.service.__main__ import main

    assert main(["sqlite:///unused.db", "--pack", "no-such-pack", "--once"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert (record["event"], record["error_type"]) == ("start_failed", "RuleError")
    assert "no-such-pack" in record["msg"]


def test_no_database_url_is_a_settings_error() -> None:
    stream = io.StringIO()
    with pytest.raises(SettingsError, match="ZHIQIAN_DB"):
        run(Settings(), once=True, log_stream=stream)
    assert json.loads(stream.getvalue())["error_type"] == "SettingsError"
