"""WebhookNotifier against a real HTTP server on loopback, verified the way a receiver would."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from zhiqian.clock import FrozenClock
from zhiqian.errors import NotifierError
from zhiqian.notifiers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    NoticeRenderer,
    WebhookNotifier,
    verify_webhook_signature,
)

SECRET = "whsec-太原-0123456789"


@pytest.fixture
def secret_env(monkeypatch) -> str:
    monkeypatch.setenv("ZQ_WEBHOOK_SECRET", SECRET)
    return "ZQ_WEBHOOK_SECRET"


def receiver_accepts(headers: dict[str, str], body: bytes, now_ts: int) -> bool:
    """What a receiver does by hand: recompute the HMAC over timestamp + raw body, check age."""
    timestamp = headers[TIMESTAMP_HEADER]
    if abs(now_ts - int(timestamp)) > 300:
        return False
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers[SIGNATURE_HEADER])


def test_signed_json_post(http_server, secret_env, kit):
    clock = FrozenClock(kit.now)
    notice = kit.make_notice("提级办理通知书", channel="webhook")
    rendered = NoticeRenderer().render(notice)
    notifier = WebhookNotifier(http_server.url, secret_env=secret_env, clock=clock, timeout=5)
    http_server.script((200, {"X-Request-Id": "req-77"}, b'{"ok":true}'))

    result = notifier.send(notice, rendered)

    assert result.ok, result.detail
    assert result.remote_id == "req-77"
    seen = http_server.next_request()
    assert seen.path == "/hook"
    assert seen.headers["Content-Type"] == "application/json; charset=utf-8"
    assert seen.headers["Idempotency-Key"] == notice.idempotency_key
    assert seen.headers[TIMESTAMP_HEADER] == str(int(kit.now.timestamp()))
    assert receiver_accepts(seen.headers, seen.body, int(kit.now.timestamp()))
    assert verify_webhook_signature(
        secret=SECRET,
        body=seen.body,
        timestamp=seen.headers[TIMESTAMP_HEADER],
        signature=seen.headers[SIGNATURE_HEADER],
        now=kit.now,
    )
    payload = seen.json()
    assert payload["template"] == "提级办理通知书"
    assert payload["subject"] == rendered.subject
    assert payload["text"] == rendered.text
    assert payload["idempotency_key"] == notice.idempotency_key
    assert payload["case_ref"] == "YZ-2026-0001"
    assert payload["version"] == 1
    assert "context" not in payload  # personal data stay home unless asked for
    assert "提级" in seen.body.decode("utf-8")  # UTF-8, not \\u escapes


def test_tampering_and_replay_are_detected(http_server, secret_env, kit):
    notifier = WebhookNotifier(http_server.url, secret_env=secret_env, clock=FrozenClock(kit.now))
    assert notifier.send(kit.make_notice(), kit.rendered).ok
    seen = http_server.next_request()
    ts, sig = seen.headers[TIMESTAMP_HEADER], seen.headers[SIGNATURE_HEADER]
    tampered = seen.body.replace(b"YZ-2026-0001", b"YZ-2026-0009")
    assert not verify_webhook_signature(
        secret=SECRET, body=tampered, timestamp=ts, signature=sig, now=kit.now
    )
    # the same request replayed 10 minutes later
    assert not verify_webhook_signature(
        secret=SECRET,
        body=seen.body,
        timestamp=ts,
        signature=sig,
        now=kit.now + timedelta(minutes=10),
    )
    # a fresh timestamp on the old signature
    fresh = str(int(ts) + 600)
    assert not verify_webhook_signature(
        secret=SECRET,
        body=seen.body,
        timestamp=fresh,
        signature=sig,
        now=kit.now + timedelta(minutes=10),
    )
    assert not verify_webhook_signature(
        secret="other", body=seen.body, timestamp=ts, signature=sig, now=kit.now
    )


def test_500_then_200_is_retryable_with_the_same_key(http_server, secret_env, kit):
    notifier = WebhookNotifier(http_server.url, secret_env=secret_env, timeout=5)
    notice = kit.make_notice()
    http_server.script((500, {}, b"database down"), 200)

    first = notifier.send(notice, kit.rendered)
    assert not first.ok
    assert first.retryable
    assert "HTTP 500" in first.detail
    assert "database down" in first.detail
    second = notifier.send(notice, kit.rendered)
    assert second.ok

    keys = [http_server.next_request().headers["Idempotency-Key"] for _ in range(2)]
    assert keys == [notice.idempotency_key] * 2
    http_server.assert_no_more()


def test_400_is_permanent(http_server, kit):
    http_server.script((400, {}, b'{"error":"unknown template"}'))
    result = WebhookNotifier(http_server.url).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "HTTP 400" in result.detail
    assert "unknown template" in result.detail


def test_429_is_retryable_and_keeps_retry_after(http_server, kit):
    http_server.script((429, {"Retry-After": "120"}, b""))
    result = WebhookNotifier(http_server.url).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert result.retry_after == 120


def test_503_with_an_http_date_retry_after(http_server, kit):
    http_server.script((503, {"Retry-After": "Mon, 02 Mar 2026 01:31:00 GMT"}, b""))
    notifier = WebhookNotifier(http_server.url, clock=FrozenClock(kit.now))  # now = 01:30:00
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert result.retryable
    assert result.retry_after == 60


def test_redirect_is_not_followed(http_server, kit):
    http_server.script((302, {"Location": "http://elsewhere.example/"}, b""))
    result = WebhookNotifier(http_server.url).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "not followed" in result.detail
    http_server.next_request()
    http_server.assert_no_more()


def test_server_down_is_retryable_and_raises_nothing(closed_port, kit):
    notifier = WebhookNotifier(f"http://127.0.0.1:{closed_port}/hook", timeout=2)
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "refused" in result.detail.lower()


def test_silent_server_times_out_retryably(silent_server, kit):
    notifier = WebhookNotifier(f"http://127.0.0.1:{silent_server}/hook", timeout=0.3)
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "timed out" in result.detail


def test_missing_secret_is_a_configuration_error(http_server, kit, monkeypatch):
    monkeypatch.delenv("ZQ_NO_SUCH_SECRET", raising=False)
    notifier = WebhookNotifier(http_server.url, secret_env="ZQ_NO_SUCH_SECRET")
    with pytest.raises(NotifierError, match="ZQ_NO_SUCH_SECRET") as caught:
        notifier.send(kit.make_notice(), kit.rendered)
    assert caught.value.retryable is False
    http_server.assert_no_more()


def test_address_as_url_and_context_on_request(http_server, kit):
    notifier = WebhookNotifier(None, include_context=True)
    notice = kit.make_notice("移送函", address=http_server.url)
    assert notifier.send(notice, kit.rendered).ok
    payload = json.loads(http_server.next_request().body)
    assert payload["context"]["employer_uscc"] == "91140100MA0K1234X5"
    bad = notifier.send(kit.make_notice(address="ftp://x/"), kit.rendered)
    assert not bad.ok
    assert not bad.retryable
    assert "not an http(s) URL" in bad.detail


def test_bad_url_is_refused_at_construction():
    with pytest.raises(NotifierError, match="not an http"):
        WebhookNotifier("localhost:8080/hook")


def test_a_secret_given_as_a_value_signs_like_one_from_the_environment(http_server, kit):
    notice = kit.make_notice("提级办理通知书", channel="webhook")
    notifier = WebhookNotifier(http_server.url, secret=SECRET, clock=FrozenClock(kit.now))
    http_server.script((200, {}, b"{}"))
    assert notifier.send(notice, NoticeRenderer().render(notice)).ok
    seen = http_server.next_request()
    assert receiver_accepts(seen.headers, seen.body, int(kit.now.timestamp()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"secret": ""}, "secret is empty"), ({"secret": "a", "secret_env": "B"}, "not both")],
)
def test_secret_and_secret_env_exclude_each_other(kwargs, message):
    with pytest.raises(NotifierError, match=message):
        WebhookNotifier(None, **kwargs)
