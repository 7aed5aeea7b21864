"""``zhiqian rules …``: check (file:line problems, exit 1), show, graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zhiqian.rules.loader import PACKS_DIR

BAD_PACK = """\
pack: bad-city
extends: national
version: "1"
clocks:
  - id: fast
    label: 快速处理
    start: {on_enter: handling}
    limit: 5 weekz
    basis: 测试
    status: L
"""

GOOD_PACK = """\
pack: test-city
extends: national
version: "2026.9"
label: 测试市
clocks:
  - id: investigation
    limit: 45 workdays
    basis: 测试市规定 第一条
"""


def test_shipped_packs_check_clean(cli: Any) -> None:
    packs = sorted(str(p) for p in PACKS_DIR.glob("*.yaml"))
    done = cli("rules", "check", *packs, "--format", "json")
    assert done.code == 0, done.stderr
    results = done.json()
    assert [r["path"] for r in results] == packs
    assert all(r["ok"] and r["problems"] == [] for r in results)
    text = cli("rules", "check", *packs)
    assert text.code == 0
    assert text.stdout.count(": ok") == len(packs)


def test_a_bad_pack_fails_with_file_and_line(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_PACK, "utf-8")
    done = cli("rules", "check", str(path))
    assert done.code == 1
    assert f"{path}:8: " in done.stdout
    assert "weekz" in done.stdout
    assert done.stderr.startswith("zhiqian: RuleError: ")
    as_json = cli("rules", "check", str(path), "--format", "json")
    assert as_json.code == 1
    (result,) = as_json.json()
    assert result["ok"] is False
    error = as_json.error()
    assert error["type"] == "RuleError"
    assert any(p["file"] == str(path) and p["line"] == 8 for p in error["problems"])
    missing = cli("rules", "check", str(tmp_path / "absent.yaml"))
    assert missing.code == 1


def test_rules_show_after_inheritance(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text(GOOD_PACK, "utf-8")
    done = cli("--rules", str(path), "rules", "show", "--format", "json")
    assert done.code == 0, done.stderr
    shown = done.json()
    assert shown["pack"] == "test-city"
    assert [c["pack"] for c in shown["chain"]] == ["national", "test-city"]
    investigation = next(c for c in shown["clocks"] if c["id"] == "investigation")
    assert investigation["limit"] == "45 workdays"
    assert investigation["basis"] == "测试市规定 第一条"
    assert {"id", "label", "when", "basis"} <= set(shown["escalations"][0])
    table = cli("--rules", "yangquan-2019", "rules", "show")
    assert table.code == 0
    assert "当日完成核查分类" in table.stdout
    csv_out = cli("rules", "show", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "kind,id,label,rule,basis,status"


def test_rules_graph_is_mermaid_with_every_state(cli: Any) -> None:
    done = cli("rules", "graph")
    assert done.code == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for state in (
        "accepted",
        "verifying",
        "handling",
        "advancing",
        "reviewing",
        "closed",
        "dismissed",
        "suspended",
    ):
        assert any(line.strip().startswith(f"{state}:") for line in lines), state
    assert "    accepted --> verifying: verify 核实" in lines
    assert "    suspended --> handling: resume 恢复" in lines  # $previous drawn back to its sources
    json.dumps(lines)


def test_rules_graph_draws_previous_back_to_every_state_it_can_return_to(cli: Any) -> None:
    lines = cli("rules", "graph").stdout.splitlines()
    resumes = [line.strip() for line in lines if ": resume " in line]
    # suspend leaves from five states, so resume ($previous) may lead back to each, sorted
    assert resumes == [
        f"suspended --> {state}: resume 恢复"
        for state in ("accepted", "advancing", "handling", "reviewing", "verifying")
    ]


def test_rules_graph_of_a_pack_with_a_guard(cli: Any, tmp_path: Path) -> None:
    text = (PACKS_DIR / "national.yaml").read_text("utf-8")
    close = "    - {id: close, label: 结案, from: reviewing, to: closed}"
    assert close in text
    guarded = text.replace(
        close,
        "    - {id: close, label: 结案, from: reviewing, to: closed, guard: workers > 0}",
    )
    path = tmp_path / "guarded.yaml"
    path.write_text(guarded, "utf-8")
    done = cli("--rules", str(path), "rules", "graph")
    assert done.code == 0, done.stderr
    assert "    reviewing --> closed: close 结案" in done.stdout.splitlines()


def test_rules_show_says_who_a_clock_is_for_and_when_reports_are_due(cli: Any) -> None:
    done = cli("--rules", "yunnan-2021", "rules", "show", "--format", "json")
    assert done.code == 0, done.stderr
    shown = done.json()
    clocks = {c["id"]: c for c in shown["clocks"]}
    assert clocks["campaign"]["in_force"] == {"from": "2021-11-01", "to": "2022-01-30"}
    assert clocks["acceptance"]["unless_channel"] == ["inspection"]
    assert clocks["acceptance"]["limit"] == "5 workdays"
    reports = {r["id"]: r for r in shown["reports"]}
    assert reports["national_summary"]["due"] == "2022-02-11"
    assert reports["national_progress"]["due"] == "2022-01-05"
    table = cli("--rules", "yangquan-2019", "rules", "show", "--format", "csv")
    rows = table.stdout.splitlines()
    assert any(
        r.startswith("report,monthly_ledger,") and "2019-11-15 至 2020-01-23" in r for r in rows
    )
    assert any(r.startswith("clock,progress_report,") and "仅 transferred" in r for r in rows)
