"""The demo program on a small campaign: what it reads back through the engine is what is stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zhiqian.engine.cli.demo import run_demo


def test_a_small_campaign_reports_the_stored_events_and_escalations(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo", count=12)
    assert result.cases == 12
    with sqlite3.connect(result.database) as db:
        (events,) = db.execute("SELECT count(*) FROM zq_events").fetchone()
        stored = db.execute(
            "SELECT c.ref, e.rule_id, e.event FROM zq_events e JOIN zq_cases c ON c.id = e.case_id"
            " WHERE e.rule_id IS NOT NULL ORDER BY e.at, e.id"
        ).fetchall()
    assert result.events == events > 12  # at least a receipt per case, and more
    assert stored  # the campaign escalates: the comparison below is not of two empty lists
    assert [(ref, rule, event) for ref, rule, event, _at in result.escalations] == stored
    assert result.pack is not None
    known = {e.id for e in result.pack.escalations}
    assert {rule for _ref, rule, _event, _at in result.escalations} <= known
    assert result.reports
    assert all(p.exists() for p in result.reports)
    assert result.notices
    assert all(p.parent == tmp_path / "demo" / "notices" for p in result.notices)
