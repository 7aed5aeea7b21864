"""AppriseNotifier through apprise's json:// service to a real loopback HTTP server."""

from __future__ import annotations

import pytest

from zhiqian.errors import NotifierError
from zhiqian.notifiers import AppriseNotifier, NoticeRenderer

pytest.importorskip("apprise")


def json_url(http_server) -> str:
    return f"json://127.0.0.1:{http_server.port}/robot"


def test_delivers_through_apprise(http_server, kit):
    notice = kit.make_notice("督办通知", channel="apprise")
    rendered = NoticeRenderer().render(notice)
    result = AppriseNotifier(json_url(http_server), timeout=5).send(notice, rendered)
    assert result.ok, result.detail
    seen = http_server.next_request()
    assert seen.path == "/robot"
    payload = seen.json()
    assert payload["title"] == rendered.subject
    assert payload["message"] == rendered.text.rstrip()  # apprise trims the final newline


def test_urls_from_the_environment(http_server, kit, monkeypatch):
    monkeypatch.setenv("ZQ_APPRISE_URLS", json_url(http_server))
    assert AppriseNotifier(urls_env="ZQ_APPRISE_URLS").send(kit.make_notice(), kit.rendered).ok
    assert http_server.next_request().json()["title"] == kit.rendered.subject


def test_missing_environment_variable_is_a_configuration_error(kit, monkeypatch):
    monkeypatch.delenv("ZQ_APPRISE_NONE", raising=False)
    with pytest.raises(NotifierError, match="ZQ_APPRISE_NONE") as caught:
        AppriseNotifier(urls_env="ZQ_APPRISE_NONE").send(kit.make_notice(), kit.rendered)
    assert caught.value.retryable is False


def test_server_error_is_a_retryable_failure_not_an_exception(http_server, kit):
    http_server.script(500)
    result = AppriseNotifier(json_url(http_server)).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "500" in result.detail
    http_server.next_request()


def test_client_error_is_permanent(http_server, kit):
    http_server.script(400)
    result = AppriseNotifier(json_url(http_server)).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "400" in result.detail


def test_server_down_is_retryable(closed_port, kit):
    notifier = AppriseNotifier(f"json://127.0.0.1:{closed_port}/robot")
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable


def test_unparseable_configured_url_names_only_the_scheme(kit):
    notifier = AppriseNotifier("nosuchservice://secret-token-123@host/")
    with pytest.raises(NotifierError, match="nosuchservice://") as caught:
        notifier.send(kit.make_notice(), kit.rendered)
    assert "secret-token-123" not in str(caught.value)
    assert caught.value.retryable is False


def test_address_as_apprise_url(http_server, kit):
    notifier = AppriseNotifier()
    assert notifier.send(kit.make_notice(address=json_url(http_server)), kit.rendered).ok
    http_server.next_request()
    bad = notifier.send(kit.make_notice(address="nosuchservice://x"), kit.rendered)
    assert not bad.ok
    assert not bad.retryable


def test_urls_and_urls_env_exclude_each_other():
    with pytest.raises(NotifierError, match="not both"):
        AppriseNotifier("json://x/", urls_env="X")
