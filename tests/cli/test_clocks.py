"""``overdue``, ``rules explain`` and ``rules recompute``: the case clocks as the CLI shows them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zhiqian.testing import sample_complaint

AT = "2026-11-05T09:00:00+08:00"
OVERDUE_KEYS = {"case", "clock", "deadline", "overdue_by", "level", "region"}


@pytest.fixture
def received(cli_on: Callable[[str], Any], db_url: str, records_file: Callable[..., Path]) -> Any:
    """Three complaints received on 2026-11-02 (Monday) in two counties of 阳泉市."""
    run = cli_on(db_url)
    assert run("db", "upgrade").code == 0
    records = [sample_complaint(0), sample_complaint(1), sample_complaint(2, region="140311")]
    done = run("case", "add", str(records_file(records)), "--at", AT)
    assert done.code == 0, done.stderr
    return run


def test_overdue_json_contract_and_filters(received: Any) -> None:
    # acceptance: 5 working days from Monday 2026-11-02 → due Monday 2026-11-09 23:59:59
    before = received("overdue", "--at", "2026-11-09T12:00+08:00", "-f", "json")
    assert before.code == 0, before.stderr
    assert before.json() == []
    soon = received(
        "overdue", "--at", "2026-11-09T12:00+08:00", "--within", "1 days", "-f", "json"
    ).json()
    assert len(soon) == 3
    assert all(row["overdue_by"] < 0 for row in soon)  # still ahead of the deadline

    late = received("overdue", "--at", "2026-11-12T09:00+08:00", "-f", "json").json()
    for row in late:
        assert set(row) >= OVERDUE_KEYS
        assert row["level"] == "county"
    accepting = [row for row in late if row["clock"] == "acceptance"]
    assert len(accepting) == 3
    for row in accepting:
        assert row["deadline"] == "2026-11-09T23:59:59+08:00"
        assert row["overdue_by"] == 2 * 86_400 + 9 * 3_600 + 1
    # The two major cases also wait for the decisions their rules proposed on receipt (the `case
    # add` of 2026-11-05): 挂牌督办 by the city office, 领导包案 by the head, 3 working days each.
    deciding = sorted((row["case"], row["clock"]) for row in late if row["clock"] != "acceptance")
    assert deciding == [
        (1, "decide_assign_leader"),
        (1, "decide_supervise"),
        (2, "decide_assign_leader"),
        (2, "decide_supervise"),
    ]
    for row in late:
        if row["clock"] != "acceptance":
            assert row["deadline"] == "2026-11-10T23:59:59+08:00"
            assert row["overdue_by"] == 86_400 + 9 * 3_600 + 1
    assert [r["overdue_by"] for r in late] == sorted((r["overdue_by"] for r in late), reverse=True)
    assert [r["clock"] for r in late[:3]] == ["acceptance"] * 3  # the most overdue first

    def clocks(*args: str) -> list[tuple[int, str]]:
        done = received("overdue", "--at", "2026-11-12T09:00+08:00", *args, "-f", "json")
        assert done.code == 0, done.stderr
        return sorted((r["case"], r["clock"]) for r in done.json())

    everything = clocks()
    assert len(everything) == 7
    assert clocks("--region", "140311") == [(3, "acceptance")]
    assert clocks("--region", "140300") == everything
    assert clocks("--level", "city") == []
    limited = clocks("--limit", "2")
    assert len(limited) == 2
    assert {clock for _, clock in limited} == {"acceptance"}

    # a case that moved on has no running acceptance clock any more; its decisions still wait
    received("case", "act", "1", "verify", "--actor", "x", "--at", "2026-11-12T09:00+08:00")
    assert clocks() == [c for c in everything if c != (1, "acceptance")]

    table = received("overdue", "--at", "2026-11-12T09:00+08:00")
    assert "超期 2天9小时" in table.stdout
    assert "受理时限" in table.stdout
    assert "超期 1天9小时" in table.stdout


def test_overdue_bad_within_is_bad_usage(received: Any) -> None:
    for bad in ("soon", "end_of_day", "3 workdays"):
        done = received("overdue", "--within", bad, "--format", "json")
        assert done.code == 2, bad
        assert done.error()["type"] == "BadParameter"


def test_rules_explain(received: Any) -> None:
    done = received("rules", "explain", "1", "--at", "2026-11-10T09:00+08:00", "-f", "json")
    assert done.code == 0, done.stderr
    shown = done.json()
    assert shown["case"] == 1
    acceptance = next(c for c in shown["clocks"] if c["id"] == "acceptance")
    assert acceptance["status"] == "breached"
    assert acceptance["basis"]
    assert acceptance["source"].split(":")[-1].isdigit()  # file:line of the rule
    assert all(
        {"id", "when", "holds_now", "fired", "basis"} <= set(e) for e in shown["escalations"]
    )
    text = received("rules", "explain", shown["ref"], "--at", "2026-11-10T09:00+08:00")
    assert text.code == 0
    assert "[acceptance]" in text.stdout
    missing = received("rules", "explain", "99", "-f", "json")
    assert missing.code == 1
    assert missing.error()["type"] == "CaseNotFound"


def test_rules_recompute_preview(received: Any) -> None:
    done = received("rules", "recompute", "--at", "2026-11-05T10:00+08:00", "-f", "json")
    assert done.code == 0, done.stderr
    assert done.json() == []  # the calendar has not changed since the deadlines were computed
    text = received("rules", "recompute", "--at", "2026-11-05T10:00+08:00")
    assert "未写入" in text.stdout


def _notices(run: Any) -> list[dict[str, Any]]:
    done = run("notices", "list", "--format", "json")
    assert done.code == 0, done.stderr
    listed: list[dict[str, Any]] = done.json()
    return listed


# Cases 1 and 2 (49 and 37 workers, 集体) are major cases: on receipt (the `case add` at AT) the
# national pack's rules propose 挂牌督办 (supervise_major: the 提请决定审批表 to the city office,
# which decides, on its log and file channels) and 领导包案 (leader_major: the 提请决定审批表 to the
# head of the county office, on the leader's log) — three notices each, nothing performed.
# Case 3 (6 workers, no flags) triggers nothing on receipt.
ON_RECEIPT = {"supervise_major", "leader_major"}
RECEIPT_NOTICES = 2 * 3
# Decided by no one within their 3 working days (due 2026-11-10), the decisions of cases 1 and
# 2 are breached at a sweep on 2026-11-12: each case's two reminder rules fire (催办提醒 to the
# head, and to the city office on log and file) — three notices per case, deciding nothing.
REMINDERS = {"decision_overdue", "decision_overdue_upper"}
REMINDER_NOTICES = 3


def test_sweep_escalates_once_and_case_show_lists_it(received: Any) -> None:
    import importlib.util

    if importlib.util.find_spec("zhiqian.engine.jobs.sweep") is None:
        pytest.skip("no sweep in this build")
    receipt = _notices(received)
    assert len(receipt) == RECEIPT_NOTICES
    assert {n["template"] for n in receipt} == {"提请决定审批表"}
    # A rule only the sweep can fire: case 1 gets a 责令支付 order due Friday 2026-11-06 and is
    # not paid; at the sweep its breach makes crime_screen (37+ workers, ≥ 30,000 yuan: 移送公安
    # proposed, the 移送审批表 to the head) and blacklist_screen (列入失信名单 proposed) hold.
    for event in ("verify", "handle"):
        assert received("case", "act", "1", event, "--actor", "x", "--at", AT).code == 0
    ordered = received(
        "case", "act", "1", "order_payment", "--param", "due=2026-11-06", "--actor", "x",
        "--at", AT,
    )  # fmt: skip
    assert ordered.code == 0, ordered.stderr
    first = received("sweep", "--at", "2026-11-12T09:00+08:00", "--format", "json")
    assert first.code == 0, first.stderr
    shape = first.json()
    assert set(shape) == {"fired", "escalations", "notices"}
    assert all(isinstance(v, int) for v in shape.values())
    # Timers: case 1's order warning and breach (its acceptance clock stopped on `verify`), the
    # acceptance warning and breach of cases 2 and 3, the breach of the two decision clocks of
    # cases 1 and 2. Escalations: crime_screen and blacklist_screen on case 1, the two reminder
    # rules on cases 1 and 2. Notices: three 超期预警 to the handlers (the order's for case 1,
    # acceptance for cases 2 and 3), case 1's 移送审批表 and 提请决定审批表 (列入失信名单) to the
    # head, and the reminders.
    assert shape == {"fired": 2 + 2 * 2 + 2 * 2, "escalations": 2 + 2 * 2, "notices": 11}
    again = received("sweep", "--at", "2026-11-12T09:00+08:00", "--format", "json").json()
    assert again == {"fired": 0, "escalations": 0, "notices": 0}  # safe to repeat
    shown = received("case", "show", "1", "--at", "2026-11-12T09:00+08:00", "-f", "json").json()
    fired_rules = [e["rule"] for e in shown["events"] if e["rule"]]
    assert [(e["rule"], e["at"]) for e in shown["escalations"]] == [
        ("supervise_major", "2026-11-05T09:00:00+08:00"),  # on receipt
        ("leader_major", "2026-11-05T09:00:00+08:00"),
        ("crime_screen", "2026-11-12T09:00:00+08:00"),  # at the sweep, once
        ("blacklist_screen", "2026-11-12T09:00:00+08:00"),
        ("decision_overdue", "2026-11-12T09:00:00+08:00"),
        ("decision_overdue_upper", "2026-11-12T09:00:00+08:00"),
    ]
    for escalation in shown["escalations"]:
        assert escalation["actions"]
    # The rules that act on the case propose, in its timeline; the reminders only notify.
    assert [e["event"] for e in shown["events"] if e["rule"]] == [
        "propose_supervise",
        "propose_assign_leader",
        "propose_refer_police",
        "propose_blacklist",
    ]
    assert fired_rules == ["supervise_major", "leader_major", "crime_screen", "blacklist_screen"]
    assert shown["police_referred_at"] is None  # screened and proposed, not referred
    for case in ("2", "3"):
        other = received("case", "show", case, "--at", "2026-11-12T09:00+08:00", "-f", "json")
        rules = {e["rule"] for e in other.json()["escalations"]}
        assert rules == (ON_RECEIPT | REMINDERS if case == "2" else set())  # reminders only
    listed = _notices(received)
    assert len(listed) == RECEIPT_NOTICES + shape["notices"]
    swept = sorted((n["case"], n["template"]) for n in listed[: shape["notices"]])  # newest first
    assert swept == sorted(
        [
            (1, "超期预警"),
            (1, "移送审批表"),
            (1, "提请决定审批表"),
            (2, "超期预警"),
            (3, "超期预警"),
        ]
        + [(case, "催办提醒") for case in (1, 2) for _ in range(REMINDER_NOTICES)]
    )

    # The head decides: only the approval refers the case, and the numbered 移送书 follows it.
    pending = received("case", "decisions", "1", "--status", "pending", "-f", "json").json()
    (referral,) = [d for d in pending if d["act"] == "refer_police"]
    assert (referral["rule_id"], referral["decider"]) == ("crime_screen", "负责人")
    approved = received(
        "case", "decide", "1", str(referral["id"]), "approve", "--actor", "局长-李明",
        "--reason", "涉嫌拒不支付劳动报酬罪，同意移送", "--at", "2026-11-12T10:00+08:00",
        "-f", "json",
    )  # fmt: skip
    assert approved.code == 0, approved.stderr
    assert approved.json()["status"] == "approved"
    assert approved.json()["document_no"]
    shown = received("case", "show", "1", "--at", "2026-11-12T10:00+08:00", "-f", "json").json()
    assert shown["police_referred_at"] == "2026-11-12T10:00:00+08:00"
    assert [(e["event"], e["actor"]) for e in shown["events"][-2:]] == [
        ("approve_refer_police", "局长-李明"),
        ("refer_police", "局长-李明"),
    ]
    letters = [n for n in _notices(received) if n["template"] == "涉嫌犯罪案件移送书"]
    assert {n["case"] for n in letters} == {1}
    assert sorted(n["channel"] for n in letters) == ["file", "log"]  # to the referring office


def test_deliver_and_daemon_once(received: Any, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("zhiqian.engine.service.daemon") is None:
        pytest.skip("no daemon in this build")
    queued = received("sweep", "--at", "2026-11-12T09:00+08:00", "-f", "json").json()["notices"]
    # the three acceptance warnings, and the reminders of the major cases' undecided proposals
    # (their rules fired on receipt)
    assert queued == 3 + 2 * REMINDER_NOTICES
    pending = _notices(received)
    assert len(pending) == RECEIPT_NOTICES + queued
    assert {n["status"] for n in pending} == {"pending"}
    folder = tmp_path / "notices"
    done = received(
        "notices",
        "deliver",
        "--at",
        "2026-11-12T10:00+08:00",
        "--notice-dir",
        str(folder),
        "-f",
        "json",
    )
    assert done.code == 0, done.stderr
    report = done.json()
    assert set(report) == {"sent", "retried", "dead", "deferred"}
    assert report["sent"] == RECEIPT_NOTICES + queued  # everything in the outbox, once
    statuses = {n["status"] for n in _notices(received)}
    assert statuses <= {"sent"}
    once = received(
        "daemon", "--once", "--at", "2026-11-13T10:00+08:00", "--notice-dir", str(folder)
    )
    assert once.code == 0, once.stderr
