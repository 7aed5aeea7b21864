"""``rules explain`` shows each rule's dates in force and, on a day outside them, why it does not
apply (the JSON keys ``in_force`` and ``out_of_force``; the table's 施行期间 line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhiqian.testing import sample_complaint

AT = "2021-06-01T09:00:00+08:00"


def test_rules_explain_shows_the_dates_in_force(
    cli_on: Callable[[str], Any], db_url: str, records_file: Callable[..., Path]
) -> None:
    run = cli_on(db_url)
    assert run("db", "upgrade").code == 0
    major = sample_complaint(
        1,
        received_at="2021-06-01T08:30:00+08:00",
        workers=120,
        migrant_workers=110,
        amount="2400000.00",
        migrant_amount="2200000.00",
        flags=["collective"],
    )
    assert run("case", "add", str(records_file([major])), "--at", AT).code == 0
    done = run("rules", "explain", "1", "--at", AT, "-f", "json")
    assert done.code == 0, done.stderr
    rules = {e["id"]: e for e in done.json()["escalations"]}
    assert (rules["leader_major"]["in_force"], rules["leader_major"]["out_of_force"]) == (
        "2021-10-28 起",
        "规则 未施行（2021-10-28 起）",
    )
    assert rules["leader_major"]["holds_now"] is False
    assert rules["leader_major"]["fired"] is False
    assert (rules["supervise_major"]["in_force"], rules["supervise_major"]["out_of_force"]) == (
        "2004-12-01 起",
        None,
    )
    assert rules["supervise_major"]["fired"] is True
    assert rules["blacklist_screen"]["out_of_force"] == "规则 未施行（2022-01-01 起）"
    text = run("rules", "explain", "1", "--at", AT)
    assert text.code == 0, text.stderr
    assert "[leader_major] 领导包案（重大案件） — 规则 未施行（2021-10-28 起）" in text.stdout
    assert (
        "施行期间 2022-01-01 起；依据 《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》"
        in text.stdout
    )


def test_rules_show_gives_dates_in_force_and_local_defaults(cli: Any) -> None:
    done = cli("--rules", "national", "rules", "show", "--format", "json")
    assert done.code == 0, done.stderr
    shown = done.json()
    rules = {e["id"]: e for e in shown["escalations"]}
    assert rules["blacklist_screen"]["in_force"] == {"from": "2022-01-01", "to": None}
    supervise = shown["params"]["supervise_workers"]
    assert (supervise["local_default"], supervise["status"], supervise["in_force"]) == (
        True,
        "L",
        {"from": "2004-12-01", "to": None},
    )
    assert "黑龙江" in supervise["example"]
    assert shown["params"]["crime_threshold_single"]["local_default"] is False
    assert shown["params"]["crime_threshold_single"]["example"] is None
    table = cli("--rules", "national", "rules", "show")
    assert table.code == 0, table.stderr
    assert "本地默认值，由省、市规则包确定" in table.stdout
    assert "施行 2021-10-28 起" in table.stdout
