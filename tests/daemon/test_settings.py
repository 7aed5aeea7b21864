"""The one settings object: read from a mapping (never from os.environ in these tests), and what
it builds — the router, the channels through the registry, the calendar."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from zhiqian.engine.routing import LeaderDirectory, Router
from zhiqian.engine.service import Settings, SettingsError, SmtpSettings
from zhiqian.engine.service.daemon import notifiers_from_env
from zhiqian.engine.service.settings import address_variables
from zhiqian.errors import NotifierError, RuleError, ZhiqianError
from zhiqian.notifiers import (
    FileNotifier,
    LogNotifier,
    SmtpNotifier,
    WebhookNotifier,
)
from zhiqian.rules.loader import load_pack

FULL = {
    "ZHIQIAN_DB": "sqlite:///x.db",
    "ZHIQIAN_RULES": "yangquan-2019",
    "ZHIQIAN_LEADERS": "/etc/zhiqian/leaders.json",
    "ZHIQIAN_SMTP_HOST": "mail.rsj.example.gov.cn",
    "ZHIQIAN_SMTP_PORT": "587",
    "ZHIQIAN_SMTP_SENDER": "zq@rsj.example.gov.cn",
    "ZHIQIAN_SMTP_STARTTLS": "1",
    "ZHIQIAN_SMTP_USER": "zq",
    "ZHIQIAN_SMTP_PASSWORD": "s3cret",
    "ZHIQIAN_WEBHOOK_SECRET": "hook-key",
    "ZHIQIAN_NOTICE_DIR": "/srv/notices",
    "ZHIQIAN_REPORTS_DIR": "/srv/reports",
    "ZHIQIAN_UNIT": "阳泉市人社局",
    "ZHIQIAN_CALENDAR_DIR": "/etc/zhiqian/calendar",
    "ZQ_COUNTY_OFFICE": "jc@rsj.example.gov.cn",
    "ZQ_COUNTY_OFFICE_140302": "cq@rsj.example.gov.cn",
    "PATH": "/usr/bin",
}


def test_every_variable_lands_in_one_field() -> None:
    s = Settings.from_env(FULL)
    assert (s.database, s.pack) == ("sqlite:///x.db", "yangquan-2019")
    assert s.leaders_file == Path("/etc/zhiqian/leaders.json")
    assert s.smtp == SmtpSettings(
        host="mail.rsj.example.gov.cn",
        port=587,
        sender="zq@rsj.example.gov.cn",
        starttls=True,
        username="zq",
        password="s3cret",
    )
    assert s.webhook_secret == "hook-key"
    assert (s.notice_dir, s.reports_dir) == (Path("/srv/notices"), Path("/srv/reports"))
    assert (s.unit, s.calendar_dir) == ("阳泉市人社局", Path("/etc/zhiqian/calendar"))
    assert dict(s.addresses) == {
        "ZQ_COUNTY_OFFICE": "jc@rsj.example.gov.cn",
        "ZQ_COUNTY_OFFICE_140302": "cq@rsj.example.gov.cn",
    }
    assert s.sources["leaders_file"] == "environment ZHIQIAN_LEADERS"
    assert "PATH" not in str(s.sources)


def test_an_empty_environment_gives_the_defaults() -> None:
    s = Settings.from_env({})
    assert s == Settings()
    assert (s.smtp, s.webhook_secret, s.reports_dir, s.calendar_dir) == (None, None, None, None)
    assert s.notice_dir == Path("notices")
    assert dict(s.addresses) == {}


def test_secrets_are_masked_in_the_description_and_the_repr() -> None:
    s = Settings.from_env(FULL)
    shown = json.dumps(s.describe(), ensure_ascii=False)
    assert "s3cret" not in shown
    assert "hook-key" not in shown
    assert s.describe()["smtp"]["password"] == "****"
    assert "s3cret" not in repr(s)
    assert "hook-key" not in repr(s)


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"ZHIQIAN_SMTP_HOST": "h", "ZHIQIAN_SMTP_PORT": "smtp"}, "ZHIQIAN_SMTP_PORT"),
        ({"ZHIQIAN_SMTP_HOST": "h", "ZHIQIAN_SMTP_PORT": "70000"}, "ZHIQIAN_SMTP_PORT"),
        ({"ZHIQIAN_SMTP_HOST": "h", "ZHIQIAN_SMTP_STARTTLS": "maybe"}, "ZHIQIAN_SMTP_STARTTLS"),
        ({"ZHIQIAN_SMTP_HOST": "h", "ZHIQIAN_SMTP_USER": "u"}, "ZHIQIAN_SMTP_PASSWORD"),
    ],
)
def test_an_unusable_value_names_its_variable(env: dict[str, str], key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert caught.value.key == key
    assert isinstance(caught.value, ZhiqianError)
    assert key in str(caught.value)


def test_address_variables_outside_the_prefix_are_taken_when_a_pack_names_them() -> None:
    env = {"YQ_OFFICE": "a@b.cn", "YQ_OFFICE_140302": "c@d.cn", "YQ_OFFICER": "no", "X": "no"}
    assert dict(Settings.from_env(env).addresses) == {}
    taken = Settings.from_env(env, address_env=["YQ_OFFICE"]).addresses
    assert dict(taken) == {"YQ_OFFICE": "a@b.cn", "YQ_OFFICE_140302": "c@d.cn"}


# -- the router --------------------------------------------------------------------------------

CASE = SimpleNamespace(handling_region="140302", region="140302", leader=None)


def _national_with_email(tmp_path: Path) -> Path:
    path = tmp_path / "mailpack.yaml"
    path.write_text(
        'pack: mailpack\nversion: "1"\nextends: national\nlabel: 邮件通知\n'
        "routing:\n  roles:\n"
        "    - {id: county_office, label: 县级劳动保障监察机构, level: county,"
        " channels: [email], address_env: ZQ_COUNTY_OFFICE}\n",
        encoding="utf-8",
    )
    return path


def test_the_router_knows_only_what_it_is_given(tmp_path: Path) -> None:
    pack = load_pack(_national_with_email(tmp_path))
    assert address_variables(pack) == frozenset({"ZQ_COUNTY_OFFICE"})
    (bare,) = Router().recipients(pack, CASE, "county_office")
    assert (bare.channel, bare.address) == ("log", "")
    assert "ZQ_COUNTY_OFFICE" in (bare.note or "")
    settings = Settings.from_env({k: v for k, v in FULL.items() if k != "ZHIQIAN_LEADERS"})
    (routed,) = settings.router().recipients(pack, CASE, "county_office")
    assert (routed.channel, routed.address) == ("email", "cq@rsj.example.gov.cn")


def test_the_router_does_not_read_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = load_pack(_national_with_email(tmp_path))
    monkeypatch.setenv("ZQ_COUNTY_OFFICE", "env@rsj.example.gov.cn")
    (recipient,) = Router().recipients(pack, CASE, "county_office")
    assert recipient.channel == "log"
    with pytest.raises(TypeError, match="not both"):
        Router({}, environ={})


def test_the_leader_directory_comes_from_the_settings_file(tmp_path: Path) -> None:
    directory = tmp_path / "leaders.json"
    directory.write_text(json.dumps({"140300": {"分管领导": {"name": "李卫东"}}}), encoding="utf-8")
    router = Settings.from_env({"ZHIQIAN_LEADERS": str(directory)}).router()
    assert router.leader_name("140302", "分管领导") == "李卫东"
    assert Router().leader_name("140302", "分管领导").endswith("分管领导（待指定）")
    assert isinstance(Router().directory, LeaderDirectory)
    directory.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SettingsError, match="leader directory") as caught:
        Settings.from_env({"ZHIQIAN_LEADERS": str(directory)}).router()
    assert caught.value.source == "environment ZHIQIAN_LEADERS"


# -- the channels ------------------------------------------------------------------------------


def test_channels_are_built_from_the_settings(tmp_path: Path) -> None:
    bare = Settings.from_env({"ZHIQIAN_NOTICE_DIR": str(tmp_path)}).channels()
    assert set(bare) == {"log", "file", "webhook", "apprise"}
    assert isinstance(bare["log"], LogNotifier)
    assert isinstance(bare["file"], FileNotifier)
    assert bare["file"].folder == tmp_path
    full = Settings.from_env(FULL).channels()
    assert set(full) == {"log", "file", "webhook", "apprise", "email"}
    email = full["email"]
    assert isinstance(email, SmtpNotifier)
    assert (email.name, email.host, email.port, email.starttls) == (
        "email",
        "mail.rsj.example.gov.cn",
        587,
        True,
    )
    # The old entry point of `zhiqian notices deliver` gives the same channels.
    assert set(notifiers_from_env(FULL)) == set(full)


def test_the_secrets_are_handed_over_as_values() -> None:
    # The notifiers get the values: nothing reads the environment at send time.
    config = Settings.from_env(FULL).channel_config()
    assert config["webhook"] == {"url": None, "secret": "hook-key"}
    assert (config["email"]["username"], config["email"]["password"]) == ("zq", "s3cret")
    webhook = Settings.from_env(FULL).channels()["webhook"]
    assert isinstance(webhook, WebhookNotifier)
    assert webhook.secret_env is None


def test_a_pack_channel_no_notifier_provides_is_an_error_naming_pack_and_role(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fax.yaml"
    path.write_text(
        'pack: faxpack\nversion: "3"\nextends: national\nlabel: 传真\n'
        "routing:\n  roles:\n"
        "    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [fax]}\n",
        encoding="utf-8",
    )
    pack = load_pack(path)  # any channel name loads: the registry is asked where channels are built
    with pytest.raises(NotifierError) as caught:
        Settings().channels([pack])
    message = str(caught.value)
    assert "pack faxpack 3, role 'county_office'" in message
    assert "'fax'" in message
    assert "zhiqian.notifiers" in message
    assert caught.value.retryable is False
    # An unconfigured built-in (email without a server) is not an error at start: delivery
    # records it per notice, as before.
    assert "email" not in Settings().channels([load_pack(_national_with_email(tmp_path))])


def test_a_pack_channel_must_still_be_a_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'pack: bad\nversion: "1"\nextends: national\nlabel: 坏\n'
        "routing:\n  roles:\n"
        "    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [Fax!]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=r"bad\.yaml"):
        load_pack(path)


# -- the calendar ------------------------------------------------------------------------------


def test_the_calendar_reads_the_configured_folder(tmp_path: Path) -> None:
    assert Settings().calendar().coverage_text() == Settings.from_env({}).calendar().coverage_text()
    missing = Settings.from_env({"ZHIQIAN_CALENDAR_DIR": str(tmp_path / "nope")})
    with pytest.raises(RuleError, match="calendar folder does not exist"):
        missing.calendar()
