"""``zhiqian rules dry-run PACK``: what a candidate pack would change, in the three formats,
writing nothing; a broken pack file is exit 1 with file:line."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli.conftest import Cli
from zhiqian import Engine, FrozenClock
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
AT = "2026-03-20T09:00+08:00"
SHORTER = """\
pack: national
version: "2026.2"
extends: national
clocks:
  - {id: investigation, limit: 45 workdays, basis: 候选：调查处理时限45个工作日}
escalations:
  - id: filed_small_case
    label: 已立案的小额案件提醒
    when: state == "handling" and amount < 50000
    do:
      - notify: {to: [handler], template: 超期预警}
    basis: 候选：提醒
    status: CONV
"""


@pytest.fixture
def seeded(sqlite_url: str, cli_on: Callable[[str], Cli]) -> Cli:
    """Two open cases (one filed on Monday 2026-03-02, one only received) and a closed one."""
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    small = {"workers": 5, "migrant_workers": 5, "amount": "20000.00", "flags": []}
    small["migrant_amount"] = "20000.00"
    received = datetime(2026, 3, 2, 8, 30, tzinfo=CST)
    with Engine.open(sqlite_url, create=True, clock=clock) as engine:
        filed = engine.receive(sample_complaint(1, received_at=received, **small)).id
        for event in ("verify", "handle", "file"):
            engine.act(filed, event, actor="监察员")
        engine.receive(sample_complaint(2, received_at=received, **small))
        closed = engine.receive(sample_complaint(3, received_at=received, **small)).id
        for event in ("verify", "handle", "paid", "close"):
            engine.act(closed, event, actor="监察员")
    return cli_on(sqlite_url)


@pytest.fixture
def shorter(tmp_path: Path) -> Path:
    path = tmp_path / "national-2026.2.yaml"
    path.write_text(SHORTER, "utf-8")
    return path


def _counts(url: str) -> dict[str, int]:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def test_json_lists_the_moves_the_firings_and_the_totals(
    seeded: Cli, shorter: Path, sqlite_url: str
) -> None:
    before = _counts(sqlite_url)
    done = seeded("rules", "dry-run", str(shorter), "--at", AT, "--format", "json")
    assert done.code == 0, done.stderr
    assert _counts(sqlite_url) == before
    shown = done.json()
    assert (shown["pack"], shown["version"], shown["written"]) == ("national", "2026.2", False)
    assert shown["at"] == "2026-03-20T09:00:00+08:00"
    assert shown["scope"] == ["national"]
    (case,) = shown["cases"]
    (move,) = case["clocks"]
    assert move["clock"] == "investigation"
    assert move["change"] == "moves"
    # 60 and 45 working days after Monday 2026-03-02, counted with chinese_calendar
    assert move["old_deadline"] == "2026-05-28T23:59:59+08:00"
    assert move["new_deadline"] == "2026-05-08T23:59:59+08:00"
    assert move["workdays"] == -15
    assert [(r["rule"], r["actions"], r["modes"]) for r in case["rules"]] == [
        ("filed_small_case", ["notify"], ["acts"])
    ]
    assert shown["totals"] == {
        "cases": 2,
        "changed": 1,
        "moved": 1,
        "earlier": 1,
        "later": 0,
        "started": 0,
        "stopped": 0,
        "firings": 1,
        "by_rule": {"filed_small_case": 1},
        "notes": 0,
    }


def test_table_and_csv(seeded: Cli, shorter: Path) -> None:
    table = seeded("rules", "dry-run", str(shorter), "--at", AT)
    assert table.code == 0, table.stderr
    assert "试运行 national 2026.2（未写入任何数据）" in table.stdout
    assert "期限变动" in table.stdout
    assert "2026-05-28 23:59" in table.stdout
    assert "2026-05-08 23:59" in table.stdout
    assert "-15" in table.stdout
    assert "规则触发" in table.stdout
    assert "notify（直接执行）" in table.stdout
    assert "合计：未结案件 2 件，其中有变化 1 件" in table.stdout
    as_csv = seeded("rules", "dry-run", str(shorter), "--at", AT, "--format", "csv")
    assert as_csv.code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("moves", "investigation"),
        ("fires", "filed_small_case"),
    ]
    assert rows[0]["old_deadline"] == "2026-05-28T23:59:59+08:00"
    assert rows[0]["workdays"] == "-15"
    assert rows[1]["actions"] == "notify"
    assert rows[1]["modes"] == "acts"
    assert "合计" in as_csv.stderr  # the totals are for a human: stdout stays one CSV table


def test_the_same_pack_changes_nothing(seeded: Cli) -> None:
    done = seeded("rules", "dry-run", "national", "--at", AT, "--format", "json")
    assert done.code == 0, done.stderr
    shown = done.json()
    assert shown["cases"] == []
    assert shown["totals"]["cases"] == 2


def test_a_broken_pack_is_exit_1_with_file_and_line(seeded: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SHORTER.replace("45 workdays", "45 wokdays"), "utf-8")
    done = seeded("rules", "dry-run", str(broken), "--format", "json")
    assert done.code == 1
    error = done.error()
    assert error["type"] == "RuleError"
    assert [(p["file"], p["line"]) for p in error["problems"]] == [(str(broken), 5)]
    text = seeded("rules", "dry-run", str(broken))
    assert text.code == 1
    assert f"{broken}:5: " in text.stderr
    bad_region = seeded("rules", "dry-run", "national", "--region", "14")
    assert bad_region.code == 2
