"""The registry: built-ins, configuration checks, third-party channels through entry points."""

from __future__ import annotations

import logging
import textwrap

import pytest

from zhiqian.errors import NotifierError
from zhiqian.notifiers import (
    BUILTIN_NOTIFIERS,
    CHANNEL_KINDS,
    FileNotifier,
    MemoryNotifier,
    SmtpNotifier,
    build_channel,
    default_channels,
    load_notifier,
    notifier_registry,
)


def test_builtins_are_registered():
    assert set(BUILTIN_NOTIFIERS) == {"log", "file", "smtp", "webhook", "apprise", "memory"}
    assert set(BUILTIN_NOTIFIERS) <= set(notifier_registry())


def test_load_builtin_with_config(tmp_path):
    notifier = load_notifier("smtp", host="127.0.0.1", port=25, sender="zq@example.gov.cn")
    assert isinstance(notifier, SmtpNotifier)
    assert notifier.name == "smtp"
    assert isinstance(load_notifier("file", folder=str(tmp_path)), FileNotifier)


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(NotifierError, match="unknown notifier kind 'sms'") as caught:
        load_notifier("sms")
    assert "apprise, file, log, memory, smtp, webhook" in str(caught.value)
    assert caught.value.retryable is False


def test_bad_configuration_keys_are_named():
    with pytest.raises(NotifierError, match="hostname") as caught:
        load_notifier("smtp", hostname="x", port=25, sender="a@b.cn")
    assert "accepted keys: host, port, sender" in str(caught.value)
    with pytest.raises(NotifierError, match="missing a required argument: 'sender'"):
        load_notifier("smtp", host="x", port=25)


def test_value_errors_of_the_channel_pass_through():
    with pytest.raises(NotifierError, match="port must be"):
        load_notifier("smtp", host="x", port=70000, sender="a@b.cn")


def _install_plugin(tmp_path, monkeypatch, entry_points: str, module_source: str) -> None:
    """A real installed distribution on sys.path: <dist-info>/entry_points.txt and a module."""
    dist = tmp_path / "acme_notify-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-notify\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    (tmp_path / "acme_notify.py").write_text(textwrap.dedent(module_source))
    monkeypatch.syspath_prepend(str(tmp_path))


PLUGIN = """
    from zhiqian.notifiers import DeliveryResult

    class SmsNotifier:
        def __init__(self, *, gateway: str, name: str = "sms") -> None:
            self.name = name
            self.gateway = gateway
            self.sent = []

        def send(self, notice, rendered):
            self.sent.append(notice.idempotency_key)
            return DeliveryResult.sent(f"queued at {self.gateway}")

    def not_a_notifier(**config):
        return object()
"""


def test_third_party_channel_through_an_entry_point(tmp_path, monkeypatch, kit, caplog):
    _install_plugin(
        tmp_path,
        monkeypatch,
        """
        [zhiqian.notifiers]
        sms = acme_notify:SmsNotifier
        broken = acme_notify:DoesNotExist
        odd = acme_notify:not_a_notifier
        memory = acme_notify:SmsNotifier
        """,
        PLUGIN,
    )
    with caplog.at_level(logging.WARNING, logger="zhiqian.notifiers._registry"):
        registry = notifier_registry()
    assert {"sms", "broken", "odd"} <= set(registry)
    assert registry["memory"] is MemoryNotifier  # built-ins cannot be taken over
    assert "is a built-in notifier" in caplog.text

    sms = load_notifier("sms", gateway="10.0.0.8")
    assert sms.name == "sms"
    assert sms.send(kit.make_notice(), kit.rendered).ok
    with pytest.raises(NotifierError, match="accepted keys: gateway, name"):
        load_notifier("sms", gw="x")
    with pytest.raises(NotifierError, match=r"cannot load entry point 'acme_notify:DoesNotExist'"):
        load_notifier("broken")
    with pytest.raises(NotifierError, match="has no 'name' and 'send"):
        load_notifier("odd")


def test_default_channels_without_arguments_are_log_and_file():
    channels = default_channels()
    assert set(channels) == {"log", "file"}
    assert isinstance(channels["file"], FileNotifier)
    assert str(channels["file"].folder) == "notices"


def test_default_channels_build_every_channel_through_the_registry(tmp_path):
    channels = default_channels(
        {
            "email": {"host": "127.0.0.1", "port": 25, "sender": "zq@example.gov.cn"},
            "spare": {"kind": "memory"},
        },
        notice_dir=tmp_path,
        names=["memory"],
    )
    assert isinstance(channels["email"], SmtpNotifier)  # CHANNEL_KINDS: email is served by smtp
    assert CHANNEL_KINDS["email"] == "smtp"
    assert isinstance(channels["spare"], MemoryNotifier)
    assert isinstance(channels["memory"], MemoryNotifier)
    assert channels["file"].folder == tmp_path


def test_an_unknown_channel_names_the_channel_and_the_group():
    with pytest.raises(NotifierError, match="channel 'fax': no notifier of kind 'fax'") as caught:
        build_channel("fax")
    assert "zhiqian.notifiers" in str(caught.value)
    assert caught.value.retryable is False
    with pytest.raises(NotifierError, match="accepted keys"):  # a known kind: its own message
        build_channel("email", {"hostname": "x"})


def test_a_third_party_channel_by_its_name(tmp_path, monkeypatch, kit):
    _install_plugin(
        tmp_path, monkeypatch, "[zhiqian.notifiers]\nsms = acme_notify:SmsNotifier\n", PLUGIN
    )
    channels = default_channels({"sms": {"gateway": "10.0.0.8"}})
    assert channels["sms"].send(kit.make_notice(), kit.rendered).ok
