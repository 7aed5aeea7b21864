"""The notice, the result and the contract helpers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import zhiqian.notifiers as notifiers
from zhiqian.notifiers import (
    DeliveryResult,
    Notice,
    Notifier,
    header_safe_key,
    make_idempotency_key,
)


def test_every_public_name_imports():
    for name in notifiers.__all__:
        assert getattr(notifiers, name) is not None, name


def test_import_does_not_load_apprise():
    import subprocess
    import sys

    code = "import sys, zhiqian.notifiers; print('apprise' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_notice_is_frozen_and_normalised(kit):
    ctx = {"a": [1, 2], "b": {"c": "x"}}
    local = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    notice = Notice(
        id=None,
        case_id=None,
        case_ref="YZ-1",
        template="超期预警",
        channel="log",
        recipient="handler",
        address="",
        context=ctx,
        idempotency_key="k",
        created_at=local,
    )
    assert notice.created_at == local
    assert notice.created_at.utcoffset() == timedelta(0)
    ctx["a"].append(3)  # the caller's dict is not the notice's
    assert notice.context["a"] == [1, 2]
    with pytest.raises(TypeError):
        notice.context["a"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        notice.case_ref = "x"  # type: ignore[misc]


def test_notice_round_trips_through_a_dict(kit):
    notice = kit.make_notice("移送函")
    again = Notice.from_dict(notice.to_dict())
    assert again == notice
    import json

    json.dumps(notice.to_dict(), ensure_ascii=False)  # JSON-safe as it is


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"template": "催办函"}, "unknown template"),
        ({"case_ref": " "}, "case_ref"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "a\nb"}, "control characters"),
        ({"created_at": datetime(2026, 3, 2)}, "timezone-aware"),
        ({"context": {"amount": float("nan")}}, "JSON-safe"),
        ({"context": {"when": datetime(2026, 3, 2)}}, "JSON-safe"),
    ],
)
def test_bad_notices_are_refused(kit, change, message):
    base = {
        "id": 1,
        "case_id": 7,
        "case_ref": "YZ-1",
        "template": "超期预警",
        "channel": "log",
        "recipient": "handler",
        "address": "",
        "context": {},
        "idempotency_key": "k",
        "created_at": kit.now,
    }
    Notice(**base)  # the base itself is fine
    with pytest.raises(ValueError, match=message):
        Notice(**(base | change))


def test_delivery_result_invariant():
    with pytest.raises(ValueError, match="cannot be retryable"):
        DeliveryResult(ok=True, detail="x", retryable=True)
    assert DeliveryResult.failed("x", retryable=True, retry_after=3).retry_after == 3
    assert DeliveryResult.sent("x", remote_id="r").remote_id == "r"


def test_idempotency_key_is_ascii_and_unambiguous():
    key = make_idempotency_key(
        case_id=7, rule_id="warn:调查", cycle=1, recipient="handler", channel="smtp"
    )
    assert key.isascii()
    assert header_safe_key(key) == key
    other = make_idempotency_key(
        case_id=7, rule_id="warn", cycle="调查:1", recipient="handler", channel="smtp"
    )
    assert key != other
    with pytest.raises(ValueError, match="rule_id"):
        make_idempotency_key(case_id=7, rule_id="", cycle=1, recipient="r", channel="c")


def test_header_safe_key_is_deterministic():
    assert header_safe_key("案件-1") == header_safe_key("案件-1")
    assert header_safe_key("案件-1").isascii()
    assert header_safe_key("x" * 300).startswith("sha256-")


def test_builtins_satisfy_the_protocol(tmp_path):
    made = [
        notifiers.LogNotifier(),
        notifiers.FileNotifier(tmp_path),
        notifiers.SmtpNotifier("127.0.0.1", 25, "zq@example.gov.cn"),
        notifiers.WebhookNotifier("http://127.0.0.1:1/"),
        notifiers.AppriseNotifier("json://127.0.0.1:1/"),
        notifiers.MemoryNotifier(),
    ]
    for notifier in made:
        assert isinstance(notifier, Notifier)
