"""SmtpNotifier against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from aiosmtpd.smtp import AuthResult

from zhiqian.clock import FrozenClock
from zhiqian.errors import NotifierError
from zhiqian.notifiers import NoticeRenderer, SmtpNotifier, key_digest

SENDER = "治欠系统 <zhiqian@rsj.example.gov.cn>"


def notifier_for(port: int, **kwargs) -> SmtpNotifier:
    return SmtpNotifier("127.0.0.1", port, SENDER, timeout=5.0, **kwargs)


def test_delivers_chinese_mail_with_message_id_from_the_key(smtp_server, kit):
    notice = kit.make_notice("超期预警")
    rendered = NoticeRenderer().render(notice)
    notifier = notifier_for(smtp_server.port, clock=FrozenClock(kit.now))

    result = notifier.send(notice, rendered)

    assert result.ok, result.detail
    mail = smtp_server.next_mail()
    assert mail.rcpt_tos == ["handler@rsj.example.gov.cn"]
    assert mail.mail_from == "zhiqian@rsj.example.gov.cn"
    msg = email.message_from_bytes(mail.content, policy=default_policy)
    assert msg["Subject"] == "【超期预警】YZ-2026-0001 调查处理时限已超期3个工作日"
    assert b"\xe8\xb6\x85" not in mail.content.split(b"\r\n\r\n", 1)[0]  # headers are 7-bit
    expected_id = f"<zq.{key_digest(notice.idempotency_key)[:40]}@rsj.example.gov.cn>"
    assert msg["Message-ID"] == expected_id == result.remote_id
    assert msg["X-Zhiqian-Idempotency-Key"] == notice.idempotency_key
    assert msg["From"].addresses[0].display_name == "治欠系统"
    assert msg["Date"].datetime == kit.now
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == rendered.text
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "超期预警" in html


def test_retry_carries_the_same_message_id(smtp_server, kit):
    notice = kit.make_notice()
    notifier = notifier_for(smtp_server.port)
    first = notifier.send(notice, kit.rendered)
    second = notifier.send(notice, kit.rendered)
    ids = [
        email.message_from_bytes(smtp_server.next_mail().content, policy=default_policy)[
            "Message-ID"
        ]
        for _ in range(2)
    ]
    assert first.ok
    assert second.ok
    assert ids[0] == ids[1] == first.remote_id


def test_text_only_notice_is_a_single_part(smtp_server, kit):
    rendered = kit.rendered.__class__(subject="标题", text="正文：中文。\n")
    assert notifier_for(smtp_server.port).send(kit.make_notice(), rendered).ok
    msg = email.message_from_bytes(smtp_server.next_mail().content, policy=default_policy)
    assert not msg.is_multipart()
    assert msg.get_content().replace("\r\n", "\n") == "正文：中文。\n"


def test_4xx_is_retryable_and_5xx_is_permanent(smtp_server, kit):
    notifier = notifier_for(smtp_server.port)
    smtp_server.handler.data_replies.append("451 4.3.0 Try again later")
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "451" in result.detail

    smtp_server.handler.rcpt_replies.append("450 4.2.1 Mailbox busy")
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "450" in result.detail

    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user")
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "550" in result.detail

    smtp_server.handler.data_replies.append("554 5.7.1 Rejected as spam")
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "554" in result.detail

    # and then the server takes it
    assert notifier.send(kit.make_notice(), kit.rendered).ok
    assert smtp_server.next_mail()


def test_server_down_is_retryable_and_raises_nothing(closed_port, kit):
    result = notifier_for(closed_port).send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "ConnectionRefused" in result.detail


def test_silent_server_times_out_retryably(silent_server, kit):
    notifier = SmtpNotifier("127.0.0.1", silent_server, SENDER, timeout=0.3)
    result = notifier.send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert result.retryable
    assert "timed out" in result.detail


@pytest.mark.parametrize(
    "address", ["", "not-an-address", "a@b.cn\r\nBcc: evil@example.com", "张三 <@nowhere>"]
)
def test_unusable_address_is_permanent(smtp_server, kit, address):
    result = notifier_for(smtp_server.port).send(kit.make_notice(address=address), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert smtp_server.handler.received.empty()


def test_several_recipients(smtp_server, kit):
    notice = kit.make_notice(address="a@rsj.example.gov.cn, 李四 <b@rsj.example.gov.cn>")
    assert notifier_for(smtp_server.port).send(notice, kit.rendered).ok
    assert smtp_server.next_mail().rcpt_tos == ["a@rsj.example.gov.cn", "b@rsj.example.gov.cn"]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"zq-user" and auth_data.password == b"s3cret"
    # handled=False: let aiosmtpd answer 535 itself on failure
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_login_with_credentials_from_the_environment(start_smtp, kit, monkeypatch):
    server = start_smtp(authenticator=_authenticator, auth_require_tls=False, auth_required=True)
    notifier = notifier_for(server.port, username_env="ZQ_SMTP_USER", password_env="ZQ_SMTP_PASS")

    monkeypatch.delenv("ZQ_SMTP_USER", raising=False)
    monkeypatch.delenv("ZQ_SMTP_PASS", raising=False)
    with pytest.raises(NotifierError, match="ZQ_SMTP_USER") as caught:
        notifier.send(kit.make_notice(), kit.rendered)
    assert caught.value.retryable is False

    monkeypatch.setenv("ZQ_SMTP_USER", "zq-user")
    monkeypatch.setenv("ZQ_SMTP_PASS", "wrong")
    with pytest.raises(NotifierError, match="rejected the credentials") as caught:
        notifier.send(kit.make_notice(), kit.rendered)
    assert caught.value.retryable is False
    assert "wrong" not in str(caught.value)

    monkeypatch.setenv("ZQ_SMTP_PASS", "s3cret")
    assert notifier.send(kit.make_notice(), kit.rendered).ok
    assert server.next_mail()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_login_with_credentials_given_as_values(start_smtp, kit, monkeypatch):
    server = start_smtp(authenticator=_authenticator, auth_require_tls=False, auth_required=True)
    monkeypatch.delenv("ZQ_SMTP_USER", raising=False)
    notifier = notifier_for(server.port, username="zq-user", password="s3cret")
    assert notifier.send(kit.make_notice(), kit.rendered).ok
    assert server.next_mail()
    wrong = notifier_for(server.port, username="zq-user", password="wrong")
    with pytest.raises(NotifierError, match="rejected the credentials") as caught:
        wrong.send(kit.make_notice(), kit.rendered)
    assert "wrong" not in str(caught.value)


def test_starttls_on_a_server_without_it_is_a_configuration_error(smtp_server, kit):
    notifier = notifier_for(smtp_server.port, starttls=True)
    with pytest.raises(NotifierError, match="STARTTLS") as caught:
        notifier.send(kit.make_notice(), kit.rendered)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sender": "nobody"}, "not an e-mail address"),
        ({"port": 0}, "port"),
        ({"starttls": True, "use_ssl": True}, "exclude each other"),
        ({"username_env": "U"}, "go together"),
        ({"username": "u"}, "go together"),
        ({"username": "u", "password": "p", "username_env": "U", "password_env": "P"}, "not both"),
    ],
)
def test_bad_configuration_is_refused_at_construction(kwargs, message):
    args = {"host": "127.0.0.1", "port": 25, "sender": "zq@example.gov.cn"} | kwargs
    with pytest.raises(NotifierError, match=message) as caught:
        SmtpNotifier(**args)
    assert caught.value.retryable is False
