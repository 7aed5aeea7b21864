"""``zhiqian notices list|show|retry`` over a real outbox row (written by the outbox itself)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from zhiqian import Engine

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("zhiqian.engine.jobs.delivery") is None,
    reason="no outbox in this build",
)

AT = "2026-12-01T09:00:00+08:00"
NOTICE_KEYS = {"id", "case", "template", "channel", "recipient", "status", "attempts"}
WARNING = {
    "employer_name": "阳泉市某建筑工程有限公司",
    "complainant_name": "张三",
    "complainant_phone": "13812345678",
    "complainant_id_number": None,
    "office_name": "阳泉市城区人力资源和社会保障局",
    "clock_label": "受理时限",
    "deadline": "2026-11-09",
    "days_left": -3,
    "basis": "劳动和社会保障部令第25号 第十八条",
    "issued_on": "2026-11-12",
    "handler_name": "李四",
}


@pytest.fixture
def outbox(
    cli: Any,
    sqlite_url: str,
    records_file: Callable[..., Path],
    quiet: Callable[..., dict[str, Any]],
) -> Any:
    from zhiqian.engine.commands.notices import queue_notice

    # A case no rule escalates on receipt: the outbox then holds only the notice written below.
    assert cli("case", "add", str(records_file([quiet(0)])), "--at", AT).code == 0
    assert cli("notices", "list", "-f", "json").json() == []
    with Engine.open(sqlite_url) as engine, engine.bind.begin() as conn:
        notice_id = queue_notice(
            conn,
            case_id=1,
            case_ref="ZQ-TEST-000000",
            rule_id="acceptance_overdue",
            cycle_key="acceptance:1",
            template="超期预警",
            recipient="county_office",
            recipient_name="城区人社局",
            channel="log",
            address="",
            context=WARNING,
            now=datetime(2026, 11, 12, 1, 0, tzinfo=UTC),
        )
    assert notice_id == 1
    return cli


def test_notices_list_show_retry(outbox: Any) -> None:
    listed = outbox("notices", "list", "--format", "json")
    assert listed.code == 0, listed.stderr
    (row,) = listed.json()
    assert set(row) >= NOTICE_KEYS
    assert (row["id"], row["case"], row["template"], row["status"]) == (1, 1, "超期预警", "pending")
    assert outbox("notices", "list", "--status", "dead", "-f", "json").json() == []
    assert len(outbox("notices", "list", "--case", "ZQ-TEST-000000", "-f", "json").json()) == 1
    table = outbox("notices", "list")
    assert "超期预警" in table.stdout

    shown = outbox("notices", "show", "1", "--format", "json")
    assert shown.code == 0, shown.stderr
    detail = shown.json()
    assert set(detail) >= NOTICE_KEYS
    assert detail["text"]
    assert "13812345678" not in detail["text"]  # a warning prints personal data masked only

    retried = outbox("notices", "retry", "1", "--at", AT, "-f", "json")
    assert retried.code == 0, retried.stderr
    assert retried.json()["status"] == "pending"
    missing = outbox("notices", "show", "99", "-f", "json")
    assert missing.code == 1
    assert outbox("notices", "list", "--status", "bogus").code == 2


def test_a_waiting_document_shows_why_and_retry_names_what_is_missing(
    cli: Any,
    sqlite_url: str,
    records_file: Callable[..., Path],
    quiet: Callable[..., dict[str, Any]],
) -> None:
    from zhiqian.engine.commands.notices import queue_notice

    assert cli("case", "add", str(records_file([quiet(0)])), "--at", AT).code == 0
    reason = "待补：责令支付文书的文号。zhiqian case act ZQ-TEST-000000 register_order --param doc_no=文号"
    letter = {
        **WARNING,
        "document_no": "城区人社移〔2026〕1号",
        "police_office": "阳泉市公安局城区分局",
        "workers_involved": 3,
        "migrant_workers": 3,
        "amount_owed": "9000.00",
        "approver": "局长张建国",
        "approved_on": "2026-11-30",
        "waiting": {"facts": ["order"], "decision": 1},
    }
    with Engine.open(sqlite_url) as engine, engine.bind.begin() as conn:
        queue_notice(
            conn,
            case_id=1,
            case_ref="ZQ-TEST-000000",
            rule_id="crime_screen",
            cycle_key="decision:1:act",
            template="涉嫌犯罪案件移送书",
            recipient="county_office@140302",
            recipient_name="阳泉市城区人力资源和社会保障局",
            channel="log",
            address="",
            context=letter,
            now=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            waiting=reason,
            waiting_for={"order_no", "order_doc_type", "order_served_on", "order_due_date",
                         "amount_unpaid"},
        )  # fmt: skip
    (row,) = cli("notices", "list", "--status", "waiting", "-f", "json").json()
    assert (row["status"], row["waiting_for"]) == ("waiting", reason)
    assert "待补" in cli("notices", "list").stdout
    shown = cli("notices", "show", str(row["id"]))
    assert f"waiting for 待补: {reason}" in shown.stdout
    assert "（未发出，等待补充事实）" in shown.stdout
    retried = cli("notices", "retry", str(row["id"]), "--at", AT)
    assert retried.code == 1
    assert "still waiting" in retried.stderr
    assert "register_order" in retried.stderr
