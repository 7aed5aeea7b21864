"""The daemon in process: ``--once`` drains due work and exits 0 with JSON log lines; the
scheduler's jobs are set up as documented (coalesce, one instance, deliberate grace)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from _seed import FILE_ROUTING, NOTICES_PER_CASE, PROPOSED_PER_CASE, seed_cases, write_pack

from zhiqian import Engine, FrozenClock
from zhiqian.engine.service.__main__ import main
from zhiqian.engine.service.daemon import JsonFormatter, run_daemon

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_once_drains_due_work_and_logs_json(sqlite_url: str, tmp_path: Path) -> None:
    pack = write_pack(tmp_path, routing=FILE_ROUTING)
    with Engine.open(sqlite_url, pack=pack, create=True, clock=FrozenClock(NOW)) as eng:
        seed_cases(eng.bind, 20, now=NOW, pack_name="proc-test")
    stream = io.StringIO()
    code = run_daemon(
        sqlite_url,
        pack=pack,
        once=True,
        clock=FrozenClock(NOW),
        notice_dir=tmp_path / "out",
        log_stream=stream,
    )
    assert code == 0
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    sweep = next(r for r in records if r.get("event") == "sweep")
    notices = NOTICES_PER_CASE * 20
    assert (sweep["fired"], sweep["escalations"], sweep["notices"]) == (40, 60, notices)
    assert next(r for r in records if r.get("event") == "deliver")["sent"] == notices
    assert len(list((tmp_path / "out").glob("*.txt"))) == notices
    # Again: nothing is due, nothing is sent twice.
    assert (
        main(
            [
                sqlite_url,
                "--pack",
                str(pack),
                "--once",
                "--at",
                NOW.isoformat(),
                "--notice-dir",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM zq_notices")).scalar_one() == notices
        assert conn.execute(sa.text("SELECT max(attempts) FROM zq_notices")).scalar_one() == 1
        templates = conn.execute(
            sa.text("SELECT template, count(*) FROM zq_notices GROUP BY template ORDER BY 1")
        ).all()
        assert [tuple(t) for t in templates] == [
            ("提请决定审批表", 20),  # 列入失信名单, to the head
            ("移送审批表", 20),  # 移送公安, to the head
            ("超期预警", 40),  # investigation: handler and county office
        ]
        # The rules proposed; nobody decided, so nothing was referred or listed.
        decisions = conn.execute(
            sa.text(
                "SELECT act, status, count(*) FROM zq_decisions GROUP BY act, status ORDER BY 1"
            )
        ).all()
        assert [tuple(d) for d in decisions] == [(act, "pending", 20) for act in PROPOSED_PER_CASE]
        performed = conn.execute(
            sa.text("SELECT count(*) FROM zq_events WHERE event IN ('refer_police', 'blacklist')")
        ).scalar_one()
        assert performed == 0
    engine.dispose()
    assert len(list((tmp_path / "out").glob("*.txt"))) == notices


def test_json_formatter_is_one_object_per_line() -> None:
    import logging

    record = logging.LogRecord("zhiqian.daemon", logging.INFO, __file__, 1, "sweep\nx", None, None)
    record.zq = {"event": "sweep", "fired": 3}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["fired"] == 3
