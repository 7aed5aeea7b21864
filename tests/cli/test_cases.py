"""``zhiqian case …`` in-process (CliRunner) on SQLite and PostgreSQL: outputs, shapes, exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zhiqian import Engine
from zhiqian.engine.cli import DEFAULT_DB
from zhiqian.testing import sample_complaint

AT = "2026-12-01T09:00:00+08:00"
LATER = "2026-12-02T10:00:00+08:00"

SHOW_KEYS = {
    "id",
    "ref",
    "state",
    "level",
    "region",
    "leader",
    "flags",
    "clocks",
    "escalations",
    "events",
}
CLOCK_KEYS = {"id", "label", "status", "deadline", "remaining", "basis"}
EVENT_KEYS = {"event", "from", "to", "at", "actor", "reason"}


@pytest.fixture
def dbcli(cli_on: Callable[[str], Any], db_url: str) -> Any:
    """The CLI on a fresh, migrated database of each kind."""
    run = cli_on(db_url)
    done = run("db", "upgrade", "--format", "json")
    assert done.code == 0, done.stderr
    assert done.json()["to"] == done.json()["head"]
    return run


def add(run: Any, records_file: Callable[..., Path], records: list[dict[str, Any]]) -> Any:
    return run("case", "add", str(records_file(records)), "--at", AT, "--format", "json")


def test_default_db_is_the_engines_default() -> None:
    from zhiqian.engine.engine import DEFAULT_URL

    assert DEFAULT_DB == DEFAULT_URL


def test_db_upgrade_twice_is_a_no_op(cli: Any) -> None:
    done = cli("db", "upgrade")
    assert done.code == 0
    assert "up to date" in done.stdout


def test_case_add_prints_ids_and_refs(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    done = add(dbcli, records_file, samples[:3])
    assert done.code == 0, done.stderr
    assert done.stderr == ""
    added = done.json()
    assert [set(a) for a in added] == [{"id", "ref"}] * 3
    assert [a["ref"] for a in added] == [s["ref"] for s in samples[:3]]
    listed = dbcli("case", "list", "--format", "json").json()
    assert [c["id"] for c in listed] == [a["id"] for a in added]


def test_case_add_keeps_the_good_records_and_exits_1(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    bad = dict(samples[1], workers=-3, amount=12.5)
    dup = dict(samples[2], ref=samples[0]["ref"])
    done = add(dbcli, records_file, [samples[0], bad, dup, samples[3]])
    assert done.code == 1
    assert [a["ref"] for a in done.json()] == [samples[0]["ref"], samples[3]["ref"]]
    error = done.error()
    assert error["type"] == "RecordsRejected"
    assert "2 of 4 records rejected" in error["message"]
    by_record = {p["record"]: p for p in error["problems"]}
    assert set(by_record) == {1, 2}
    assert by_record[1]["type"] == "InvalidIntake"
    assert {p["field"] for p in by_record[1]["problems"]} == {"workers", "amount"}
    assert by_record[2]["type"] == "DuplicateCase"
    assert by_record[2]["existing"] == done.json()[0]["id"]
    # the good ones are in the database
    assert len(dbcli("case", "list", "--format", "json").json()) == 2


def test_case_add_table_reports_every_record(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    bad = dict(samples[1], region="999999")
    done = cli("case", "add", str(records_file([samples[0], bad])), "--at", AT)
    assert done.code == 1
    assert "accepted" in done.stdout
    assert "rejected" in done.stdout
    assert "region" in done.stdout
    assert "写入 1 件，拒绝 1 件" in done.stdout
    assert "1 of 2 records rejected; the other 1 were written" in done.stderr
    assert "Traceback" not in done.stderr


def test_case_add_json_lines_from_stdin_with_a_broken_line(
    cli: Any, samples: list[dict[str, Any]]
) -> None:
    text = (
        json.dumps(samples[0], ensure_ascii=False)
        + "\n{not json\n"
        + json.dumps(samples[1], ensure_ascii=False)
        + "\n"
    )
    done = cli("case", "add", "-", "--at", AT, "--format", "json", stdin=text)
    assert done.code == 1
    assert [a["ref"] for a in done.json()] == [samples[0]["ref"], samples[1]["ref"]]
    (problem,) = done.error()["problems"]
    assert problem["record"] == 1
    assert "line 2" in problem["problems"][0]["problem"]


def test_case_add_csv(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    done = cli("case", "add", str(records_file(samples[:2])), "--at", AT, "--format", "csv")
    assert done.code == 0
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["status"] for r in rows] == ["accepted", "accepted"]
    assert [r["ref"] for r in rows] == [s["ref"] for s in samples[:2]]


def test_case_add_a_file_that_is_not_json_writes_nothing(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"ref": 1},', "utf-8")
    done = cli("case", "add", str(path), "--at", AT, "--format", "json")
    assert done.code == 1
    error = done.error()
    assert error["type"] == "InvalidIntake"
    assert error["problems"][0]["field"] == "<json>"
    assert cli("case", "list", "--format", "json").json() == []


def test_case_add_missing_file_is_bad_usage(cli: Any, tmp_path: Path) -> None:
    done = cli("case", "add", str(tmp_path / "nope.json"), "--format", "json")
    assert done.code == 2
    assert "no such file" in done.error()["message"]


def test_at_decides_what_is_in_the_future(cli: Any, records_file: Callable[..., Path]) -> None:
    record = sample_complaint(7)  # received 2026-11-02 16:30 UTC
    done = cli("case", "add", str(records_file([record])), "--at", "2026-11-01", "--format", "json")
    assert done.code == 1
    (rejected,) = done.error()["problems"]
    assert rejected["problems"][0]["field"] == "received_at"


def test_bad_at_is_bad_usage(cli: Any) -> None:
    done = cli("case", "list", "--format", "json")
    assert done.code == 0
    done = cli("case", "act", "1", "verify", "--at", "next tuesday", "--format", "json")
    assert done.code == 2
    assert done.error()["type"] == "BadParameter"


# ------------------------------------------------------------------------------ act


def test_case_act_moves_the_case_and_records_who(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    (added,) = add(dbcli, records_file, samples[:1]).json()
    done = dbcli(
        "case", "act", str(added["id"]), "verify",
        "--actor", "王科长", "--reason", "材料齐全", "--at", LATER, "--format", "json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    shown = done.json()
    assert shown["state"] == "verifying"
    last = shown["events"][-1]
    assert (last["event"], last["from"], last["to"]) == ("verify", "accepted", "verifying")
    assert (last["actor"], last["reason"]) == ("王科长", "材料齐全")
    assert last["at"] == "2026-12-02T10:00:00+08:00"
    # by external ref, table output
    done = dbcli("case", "act", added["ref"], "handle", "--actor", "王科长", "--at", LATER)
    assert done.code == 0
    assert "核实 verifying → 处理 handling" in done.stdout


def test_case_act_refused_transition_exits_1_and_changes_nothing(
    dbcli: Any, records_file: Callable[..., Path], quiet: Callable[..., dict[str, Any]]
) -> None:
    # A case no rule escalates on receipt: its one event is the intake's, the refusal adds none.
    (added,) = add(dbcli, records_file, [quiet(0)]).json()
    done = dbcli(
        "case", "act", str(added["id"]), "close", "--actor", "x", "--at", LATER, "-f", "json"
    )
    assert done.code == 1
    assert done.stdout == ""
    error = done.error()
    assert error["type"] == "TransitionRefused"
    assert (error["case"], error["event"], error["state"]) == (added["id"], "close", "accepted")
    shown = dbcli("case", "show", str(added["id"]), "--at", LATER, "-f", "json").json()
    assert shown["state"] == "accepted"
    assert len(shown["events"]) == 1
    assert shown["escalations"] == []
    # table mode: a message, no traceback
    done = dbcli("case", "act", str(added["id"]), "close", "--actor", "x", "--at", LATER)
    assert done.code == 1
    assert done.stderr.startswith("zhiqian: TransitionRefused: ")
    assert "Traceback" not in done.stderr


def test_case_act_conflict_and_not_found(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    (added,) = add(dbcli, records_file, samples[:1]).json()
    stale = dbcli(
        "case", "act", str(added["id"]), "verify", "--actor", "x",
        "--expected-version", "7", "--at", LATER, "-f", "json",
    )  # fmt: skip
    assert stale.code == 1
    assert stale.error()["type"] == "ConflictError"
    missing = dbcli("case", "act", "4242", "verify", "--actor", "x", "-f", "json")
    assert missing.code == 1
    assert missing.error() | {"problems": []} == {
        "type": "CaseNotFound",
        "message": "no case 4242",
        "case": 4242,
        "problems": [],
    }


def test_case_act_records_an_action_with_params(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    (added,) = add(dbcli, records_file, samples[:1]).json()
    case = str(added["id"])
    for event in ("verify", "handle"):
        assert dbcli("case", "act", case, event, "--actor", "x", "--at", LATER).code == 0
    done = dbcli(
        "case", "act", case, "order_payment", "--param", "due=2026-12-10",
        "--param", "doc_no=城人社监令〔2026〕3号", "--actor", "x", "--at", LATER,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert "责令限期支付" in done.stdout
    assert "recorded; state 处理 handling" in done.stdout
    shown = dbcli("case", "show", case, "--at", LATER, "-f", "json").json()
    assert shown["events"][-1]["event"] == "order_payment"
    order = next(c for c in shown["clocks"] if c["id"] == "order_payment")
    assert order["deadline"] == "2026-12-10T23:59:59+08:00"  # the --param's due date
    # an action missing its parameter is refused by the library: exit 1, nothing written
    missing = dbcli("case", "act", case, "extend", "--actor", "x", "--at", LATER, "-f", "json")
    assert missing.code == 1
    assert missing.error()["type"] == "Refused"
    assert "'clock'" in missing.error()["message"]
    # a --param that is not KEY=VALUE is bad usage
    bad = dbcli("case", "act", case, "order_payment", "--param", "novalue", "-f", "json")
    assert bad.code == 2
    assert bad.error()["type"] == "BadParameter"
    version = dbcli("case", "show", case, "--at", LATER, "-f", "json").json()["version"]
    assert version == shown["version"]


def test_case_decide_performs_a_reserved_act_with_its_params(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    # samples[0] is a major case (49 workers, 集体): leader_major proposes 领导包案 on receipt.
    (added,) = add(dbcli, records_file, samples[:1]).json()
    case = str(added["id"])
    for event in ("verify", "handle"):
        assert dbcli("case", "act", case, event, "--actor", "x", "--at", LATER).code == 0
    before = dbcli("case", "show", case, "--at", LATER, "-f", "json").json()
    # a clerk cannot perform it: the library names the decision to take instead
    direct = dbcli(
        "case", "act", case, "assign_leader", "--param", "leader=张局长", "--actor", "x",
        "--at", LATER, "-f", "json",
    )  # fmt: skip
    assert direct.code == 1
    assert direct.error()["type"] == "Refused"
    assert "case decide" in direct.error()["message"]
    listed = dbcli("case", "decisions", case, "-f", "json")
    assert listed.code == 0, listed.stderr
    (pending,) = [d for d in listed.json() if d["act"] == "assign_leader"]
    assert (pending["status"], pending["rule_id"]) == ("pending", "leader_major")
    assert pending["params"] == {"role": "分管领导"}
    decision = str(pending["id"])
    # approving without the leader's name is refused by the library: exit 1, nothing written
    missing = dbcli(
        "case", "decide", case, decision, "approve", "--actor", "局长-李", "--reason", "同意",
        "--at", LATER, "-f", "json",
    )  # fmt: skip
    assert missing.code == 1
    assert missing.error()["type"] == "Refused"
    assert "leader" in missing.error()["message"]
    # a --param that is not KEY=VALUE is bad usage
    bad = dbcli("case", "decide", case, decision, "approve", "--param", "novalue", "-f", "json")
    assert bad.code == 2
    assert bad.error()["type"] == "BadParameter"
    unchanged = dbcli("case", "show", case, "--at", LATER, "-f", "json").json()
    assert unchanged["version"] == before["version"]
    assert unchanged["leader"] is None
    done = dbcli(
        "case", "decide", case, decision, "approve", "--param", "leader=张局长",
        "--actor", "局长-李", "--reason", "同意包案", "--at", LATER,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert "领导包案" in done.stdout
    assert "已批准（局长-李" in done.stdout
    shown = dbcli("case", "show", case, "--at", LATER, "-f", "json").json()
    assert shown["leader"] == "张局长"
    steps = [(e["event"], e["actor"]) for e in shown["events"]][-2:]
    assert steps == [("approve_assign_leader", "局长-李"), ("assign_leader", "局长-李")]


# ------------------------------------------------------------------------------ show


def test_case_show_json_contract(
    dbcli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    (added,) = add(dbcli, records_file, samples[:1]).json()
    dbcli("case", "act", str(added["id"]), "verify", "--actor", "甲", "--at", LATER)
    shown = dbcli("case", "show", str(added["id"]), "--at", LATER, "--format", "json").json()
    assert set(shown) >= SHOW_KEYS
    assert shown["id"] == added["id"]
    assert shown["ref"] == added["ref"]
    assert shown["region"] == samples[0]["region"]
    assert shown["level"] == "county"
    assert isinstance(shown["flags"], list)
    # samples[0] is a major case (49 workers, 集体): the pack's rules supervise it and name a
    # leader on receipt, as events with their ``rule``; the test's own events carry none.
    assert [e["event"] for e in shown["events"] if e["rule"] is None] == ["received", "verify"]
    for event in shown["events"]:
        assert set(event) >= EVENT_KEYS | {"rule"}
    for clock in shown["clocks"]:
        assert set(clock) >= CLOCK_KEYS
        assert clock["remaining"] is None or isinstance(clock["remaining"], int)
    assert shown["escalations"]  # so that the shape below is checked on real rows
    for escalation in shown["escalations"]:
        assert {"rule", "actions", "at"} <= set(escalation)
    by_rule = [e["rule"] for e in shown["events"] if e["rule"] is not None]
    assert list(dict.fromkeys(by_rule)) == [e["rule"] for e in shown["escalations"]]
    assert shown["amount"] == samples[0]["amount"]  # a decimal string, never a float


def test_case_show_remaining_follows_at(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    cli("case", "add", str(records_file(samples[:1])), "--at", AT)
    early = cli("case", "show", "1", "--at", "2026-11-03T09:00+08:00", "-f", "json").json()
    late = cli("case", "show", "1", "--at", "2026-11-04T09:00+08:00", "-f", "json").json()
    counting = [c for c in early["clocks"] if c["remaining"] is not None]
    if not counting:
        pytest.skip("no counting clock on a new case in this pack build")
    first = counting[0]["id"]
    e = next(c for c in early["clocks"] if c["id"] == first)["remaining"]
    later = next(c for c in late["clocks"] if c["id"] == first)["remaining"]
    assert e - later == 86_400


def test_case_show_masks_personal_data(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    record = samples[0]
    cli("case", "add", str(records_file([record])), "--at", AT)
    person = record["complainant"]
    secrets = [person["name"], person["phone"], person["id_number"]]
    outputs = [
        cli("case", "show", "1", "--at", AT).stdout,
        cli("case", "show", "1", "--at", AT, "-f", "json").stdout,
        cli("case", "list").stdout,
        cli("case", "list", "-f", "csv").stdout,
        cli("case", "list", "-f", "json").stdout,
    ]
    for out in outputs:
        for secret in secrets:
            assert secret not in out
    shown = json.loads(outputs[1])
    assert shown["pii_shown"] is False
    assert shown["complainant"]["phone"].endswith(person["phone"][-4:])
    assert "*" in shown["complainant"]["name"]
    assert person["phone"][-4:] in outputs[0]  # the masked form is shown in the table too


def test_show_pii_is_audited_or_refused(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    record = samples[0]
    cli("case", "add", str(records_file([record])), "--at", AT)
    done = cli("case", "show", "1", "--show-pii", "--actor", "审计员", "--at", AT, "-f", "json")
    if not hasattr(Engine, "record_access"):
        # Showing personal data that the audit log does not record is worse than not showing it.
        assert done.code == 2
        assert "record_access" in done.error()["message"]
        assert done.stdout == ""
        return
    assert done.code == 0, done.stderr
    shown = done.json()
    assert shown["pii_shown"] is True
    assert shown["complainant"]["phone"] == record["complainant"]["phone"]
    assert any(e["actor"] == "审计员" for e in shown["events"][1:])
    again = cli("case", "show", "1", "--at", AT, "-f", "json").json()
    assert record["complainant"]["phone"] not in json.dumps(again)


def test_case_show_by_ref_and_not_found(
    cli: Any, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    cli("case", "add", str(records_file(samples[:1])), "--at", AT)
    assert cli("case", "show", samples[0]["ref"], "-f", "json").json()["id"] == 1
    assert cli("case", "show", "ref:" + samples[0]["ref"], "-f", "json").json()["id"] == 1
    missing = cli("case", "show", "NO-SUCH-REF")
    assert missing.code == 1
    assert "no case 'NO-SUCH-REF'" in missing.stderr


# ------------------------------------------------------------------------------ list


def test_case_list_filters_and_formats(dbcli: Any, records_file: Callable[..., Path]) -> None:
    records = [sample_complaint(i, region="140302") for i in range(3)]
    records += [sample_complaint(10 + i, region="140311") for i in range(2)]  # 阳泉市郊区
    records += [sample_complaint(20, region="140105")]  # 太原市小店区
    assert add(dbcli, records_file, records).code == 0
    dbcli("case", "act", "1", "verify", "--actor", "x", "--at", LATER)

    def refs(*args: str) -> list[str]:
        done = dbcli("case", "list", *args, "--format", "json")
        assert done.code == 0, done.stderr
        return [c["ref"] for c in done.json()]

    assert len(refs()) == 6
    assert len(refs("--region", "140300")) == 5
    assert len(refs("--region", "140311")) == 2
    assert len(refs("--region", "140000")) == 6
    assert refs("--state", "verifying") == [records[0]["ref"]]
    assert len(refs("--level", "county")) == 6
    assert refs("--level", "city") == []
    assert refs("--limit", "2", "--offset", "1") == [records[1]["ref"], records[2]["ref"]]
    assert len(refs("--limit", "2", "--all")) == 6

    done = dbcli("case", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 6
    assert rows[0]["amount"] == records[0]["amount"]
    assert {"id", "ref", "state", "region", "employer", "amount"} <= set(rows[0])

    table = dbcli("case", "list", "--region", "140311").stdout
    assert "共 2 件，显示 1–2" in table


def test_case_list_bad_filters_are_bad_usage(cli: Any) -> None:
    for args in (["--region", "14030"], ["--level", "town"], ["--limit", "0"], ["--format", "xml"]):
        done = cli("case", "list", *args)
        assert done.code == 2, args
        assert "Traceback" not in done.stderr
    done = cli("case", "list", "--region", "abc", "--format", "json")
    assert done.code == 2
    assert done.error()["type"] == "BadParameter"


def test_no_schema_is_refused_with_the_fix(cli_on: Callable[[str], Any], tmp_path: Path) -> None:
    run = cli_on(f"sqlite:///{tmp_path / 'empty.db'}")
    done = run("case", "list", "--format", "json")
    assert done.code == 1
    error = done.error()
    assert error["type"] == "StoreError"
    assert "zhiqian db upgrade" in error["message"]


def test_unreachable_database_is_refused_without_traceback(cli_on: Callable[[str], Any]) -> None:
    done = cli_on("postgresql://nobody@127.0.0.1:9/none")("case", "list")
    assert done.code == 1
    assert done.stderr.startswith("zhiqian: StoreError: the database cannot be used")
    assert "Traceback" not in done.stderr


def test_unknown_rules_pack_is_refused(cli: Any) -> None:
    done = cli("--rules", "no-such-pack", "case", "list", "--format", "json")
    assert done.code == 1
    error = done.error()
    assert error["type"] == "RuleError"
    assert error["problems"][0]["message"]


def test_audit_verify_finds_an_edited_event(
    dbcli: Any, db_url: str, records_file: Callable[..., Path], samples: list[dict[str, Any]]
) -> None:
    add(dbcli, records_file, samples[:2])
    dbcli("case", "act", "1", "verify", "--actor", "x", "--at", LATER)
    ok = dbcli("audit", "verify", "--format", "json")
    assert ok.code == 0
    assert ok.json() == {"ok": True, "findings": []}
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE zq_events SET actor = 'someone else' WHERE seq = 2"))
    engine.dispose()
    bad = dbcli("audit", "verify", "--format", "json")
    assert bad.code == 1
    error = bad.error()
    assert error["type"] == "AuditError"
    assert error["problems"]
    assert all("message" in p for p in error["problems"])
    text = dbcli("audit", "verify")
    assert text.code == 1
    assert text.stderr.startswith("zhiqian: AuditError:")


def test_case_act_names_the_clerks_event_and_what_rules_did(
    dbcli: Any, records_file: Callable[..., Path], quiet: Callable[..., dict[str, Any]]
) -> None:
    # 欠薪逃匿: the national pack recommends 先行垫付 as soon as the case is being verified; the
    # rule's event follows the clerk's inside the same change.
    (added,) = add(dbcli, records_file, [quiet(0, flags=["absconded"])]).json()
    done = dbcli("case", "act", str(added["id"]), "verify", "--actor", "王科长", "--at", LATER)
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"case {added['id']} ({added['ref']}): verify 核实: 受理 accepted → 核实 verifying"
        " (version 3)",
        "  rule emergency_advance: recommend 建议",
    ]
    shown = dbcli("case", "show", str(added["id"]), "--at", LATER, "-f", "json").json()
    assert [(e["event"], e["actor"], e["rule"]) for e in shown["events"][1:]] == [
        ("verify", "王科长", None),
        ("recommend", "rule:emergency_advance", "emergency_advance"),
    ]
    assert shown["events"][0]["event"] == "received"
    # nothing fires twice: the next change adds the clerk's event only
    done = dbcli("case", "act", str(added["id"]), "handle", "--actor", "王科长", "--at", LATER)
    assert done.stdout.splitlines() == [
        f"case {added['id']} ({added['ref']}): handle 处理: 核实 verifying → 处理 handling"
        " (version 4)"
    ]
