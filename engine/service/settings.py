"""The one settings object of a deployment: the only place zhiqian's configuration is read.

``Settings.from_env()`` reads the environment once; everything the service needs is then built
from the frozen object (``router()``, ``channels()``, ``calendar()``), so the library below never
looks at ``os.environ``. The fields are plain values with a documented origin each, so that a
configuration file (``zhiqian.toml``) can fill the same object next, the environment overriding
it; ``sources`` says where each value came from.

==============================  ==============================================================
variable                        setting
==============================  ==============================================================
``ZHIQIAN_DB``                  ``database``: the database URL (when no URL is given)
``ZHIQIAN_RULES``               ``pack``: the rule pack governing new cases
``ZHIQIAN_LEADERS``             ``leaders_file``: the leader directory (JSON; 领导包案)
``ZQ_<ROLE>[_<division>]``      ``addresses``: a routing role's addresses (the pack's
                                ``address_env``; other names too when a pack names them)
``ZHIQIAN_SMTP_HOST``           ``smtp`` (the ``email`` channel) when set, with ``_PORT`` (25),
                                ``_SENDER``, ``_STARTTLS`` (1/0), ``_USER`` and ``_PASSWORD``
``ZHIQIAN_WEBHOOK_SECRET``      ``webhook_secret``: the HMAC key signing webhook bodies
``ZHIQIAN_NOTICE_DIR``          ``notice_dir``: the file channel's folder (``./notices``)
``ZHIQIAN_REPORTS_DIR``         ``reports_dir``: where the monthly 案件台账 is written
``ZHIQIAN_UNIT``                ``unit``: 制表单位 / 填报单位 on reports (default: the pack's label)
``ZHIQIAN_CALENDAR_DIR``        ``calendar_dir``: an office's State Council holiday notice files
==============================  ==============================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from zhiqian import LeaderDirectory, NotifierError, Router, ZhiqianError
from zhiqian.notifiers import (
    BUILTIN_NOTIFIERS,
    CHANNEL_KINDS,
    Notifier,
    build_channel,
    default_channels,
)
from zhiqian.rules import LegalCalendar, RulePack

__all__ = [
    "ADDRESS_PREFIX",
    "Settings",
    "SettingsError",
    "SmtpSettings",
    "pack_channels",
]

ADDRESS_PREFIX: Final = "ZQ_"  # routing addresses: every variable of this prefix is taken
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})
_MASK: Final = "****"
CALENDAR_DIR_ENV: Final = "ZHIQIAN_CALENDAR_DIR"  # as zhiqian.rules.calendar documents it


class SettingsError(ZhiqianError, ValueError):
    """A setting has a value zhiqian cannot use; ``key`` names it, ``source`` where it came from
    (``environment``, later a file and line)."""

    def __init__(self, key: str, message: str, *, source: str = "environment") -> None:
        self.key = key
        self.source = source
        super().__init__(f"{key} ({source}): {message}")


@dataclass(frozen=True, kw_only=True, slots=True)
class SmtpSettings:
    """The mail server behind the ``email`` channel."""

    host: str
    port: int = 25
    sender: str = "zhiqian@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def notifier_config(self) -> dict[str, Any]:
        """Keyword configuration of the ``smtp`` notifier kind."""
        config: dict[str, Any] = {
            "kind": "smtp",
            "host": self.host,
            "port": self.port,
            "sender": self.sender,
            "starttls": self.starttls,
            "name": "email",
        }
        if self.username is not None:
            config["username"] = self.username
            config["password"] = self.password or ""
        return config


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """What a deployment configured (see the module docstring for the variables).

    ``channel_options`` configures further channels by name (channel → keyword configuration
    for ``zhiqian.notifiers.build_channel``, with an optional ``kind``); it has no environment
    form: a configuration file fills it.
    """

    database: str | None = None
    pack: str | None = None
    leaders_file: Path | None = None
    addresses: Mapping[str, str] = field(default_factory=_frozen)
    smtp: SmtpSettings | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    notice_dir: Path = Path("notices")
    reports_dir: Path | None = None
    unit: str | None = None
    calendar_dir: Path | None = None
    channel_options: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    sources: Mapping[str, str] = field(default_factory=_frozen)  # setting → where it came from

    # -- reading --------------------------------------------------------------------------------

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, address_env: Iterable[str] = ()
    ) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``), once.

        Addresses are every ``ZQ_*`` variable, plus the variables named in ``address_env``
        (e.g. ``address_variables(pack)`` for a pack whose roles use other names) and their
        ``_<division>`` variants. A value zhiqian cannot use is a ``SettingsError`` naming the
        variable."""
        env = os.environ if environ is None else environ
        sources: dict[str, str] = {}

        def get(setting: str, variable: str) -> str | None:
            value = env.get(variable, "").strip()
            if not value:
                return None
            sources[setting] = f"environment {variable}"
            return value

        def path(setting: str, variable: str) -> Path | None:
            value = get(setting, variable)
            return Path(value) if value is not None else None

        bases = tuple(address_env)
        addresses = {
            name: value
            for name, value in sorted(env.items())
            if value.strip()
            and (name.startswith(ADDRESS_PREFIX) or is_address_variable(name, bases))
        }
        if addresses:
            sources["addresses"] = "environment " + ", ".join(addresses)
        notice_dir = path("notice_dir", "ZHIQIAN_NOTICE_DIR")
        return cls(
            database=get("database", "ZHIQIAN_DB"),
            pack=get("pack", "ZHIQIAN_RULES"),
            leaders_file=path("leaders_file", "ZHIQIAN_LEADERS"),
            addresses=_frozen(addresses),
            smtp=_smtp_from_env(env, sources),
            webhook_secret=get("webhook_secret", "ZHIQIAN_WEBHOOK_SECRET"),
            notice_dir=notice_dir if notice_dir is not None else Path("notices"),
            reports_dir=path("reports_dir", "ZHIQIAN_REPORTS_DIR"),
            unit=get("unit", "ZHIQIAN_UNIT"),
            calendar_dir=path("calendar_dir", CALENDAR_DIR_ENV),
            sources=_frozen(sources),
        )

    # -- building -------------------------------------------------------------------------------

    def router(self) -> Router:
        """The router over these addresses and the leader directory (read from its file now)."""
        directory = LeaderDirectory()
        if self.leaders_file is not None:
            try:
                directory = LeaderDirectory.from_file(self.leaders_file)
            except ValueError as exc:
                raise SettingsError(
                    "ZHIQIAN_LEADERS", str(exc), source=self._source("leaders_file")
                ) from exc
        return Router(self.addresses, directory=directory)

    def channel_config(self) -> dict[str, Mapping[str, Any]]:
        """Channel → notifier configuration: ``webhook`` and ``apprise`` always (their URL is
        each notice's address), ``email`` with an SMTP server, then ``channel_options``."""
        webhook: dict[str, Any] = {"url": None}
        if self.webhook_secret is not None:
            webhook["secret"] = self.webhook_secret
        config: dict[str, Mapping[str, Any]] = {"webhook": webhook, "apprise": {}}
        if self.smtp is not None:
            config["email"] = self.smtp.notifier_config()
        config.update(self.channel_options)
        return config

    def channels(self, packs: Iterable[RulePack] = ()) -> dict[str, Notifier]:
        """Every channel, built through the notifier registry: ``log``, ``file`` (into
        ``notice_dir``), the configured ones, and each further channel the ``packs`` route to
        (a third-party notifier by its entry-point name, made without configuration unless
        ``channel_options`` has some). A pack channel no installed notifier provides is a
        ``NotifierError`` naming the pack and the role. A built-in channel left unconfigured
        (``email`` without an SMTP server) stays out: delivery records why for each notice."""
        out = default_channels(self.channel_config(), notice_dir=self.notice_dir)
        for pack in packs:
            for channel, role in pack_channels(pack).items():
                if channel in out or CHANNEL_KINDS.get(channel, channel) in BUILTIN_NOTIFIERS:
                    continue
                try:
                    out[channel] = build_channel(channel)
                except NotifierError as exc:
                    raise NotifierError(
                        f"pack {pack.name} {pack.version}, role {role!r}: {exc}", retryable=False
                    ) from exc
        return out

    def calendar(self) -> LegalCalendar:
        """The national data, the shipped notices and those in ``calendar_dir``."""
        if self.calendar_dir is None:
            return LegalCalendar.default()
        return LegalCalendar.default(self.calendar_dir)

    # -- showing --------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The settings in effect as plain values, secrets masked (for the start log line)."""
        smtp = None
        if self.smtp is not None:
            smtp = {
                "host": self.smtp.host,
                "port": self.smtp.port,
                "sender": self.smtp.sender,
                "starttls": self.smtp.starttls,
                "username": self.smtp.username,
                "password": _MASK if self.smtp.password else None,
            }
        return {
            "leaders_file": _text(self.leaders_file),
            "addresses": sorted(self.addresses),
            "smtp": smtp,
            "webhook_secret": _MASK if self.webhook_secret else None,
            "notice_dir": str(self.notice_dir),
            "reports_dir": _text(self.reports_dir),
            "unit": self.unit,
            "calendar_dir": _text(self.calendar_dir),
            "channels": sorted({"log", "file", *self.channel_config()}),
        }

    def _source(self, setting: str) -> str:
        return self.sources.get(setting, "default")


def pack_channels(pack: RulePack) -> dict[str, str]:
    """Channel → the first role of ``pack`` routed to it."""
    out: dict[str, str] = {}
    for role in pack.routing.roles:
        for channel in role.channels:
            out.setdefault(channel, role.id)
    return out


def _text(value: Path | None) -> str | None:
    return None if value is None else str(value)


def _smtp_from_env(env: Mapping[str, str], sources: dict[str, str]) -> SmtpSettings | None:
    host = env.get("ZHIQIAN_SMTP_HOST", "").strip()
    if not host:
        return None
    sources["smtp"] = "environment ZHIQIAN_SMTP_*"
    raw_port = env.get("ZHIQIAN_SMTP_PORT", "").strip() or "25"
    try:
        port = int(raw_port)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise SettingsError("ZHIQIAN_SMTP_PORT", f"{raw_port!r} is not a port number (1–65535)")
    raw_tls = env.get("ZHIQIAN_SMTP_STARTTLS", "").strip().lower()
    if raw_tls not in _TRUE | _FALSE:
        raise SettingsError("ZHIQIAN_SMTP_STARTTLS", f"{raw_tls!r} is neither 1 nor 0")
    username = env.get("ZHIQIAN_SMTP_USER", "").strip() or None
    password = env.get("ZHIQIAN_SMTP_PASSWORD") or None
    if (username is None) != (password is None):
        missing = "ZHIQIAN_SMTP_PASSWORD" if password is None else "ZHIQIAN_SMTP_USER"
        raise SettingsError(missing, "ZHIQIAN_SMTP_USER and ZHIQIAN_SMTP_PASSWORD go together")
    return SmtpSettings(
        host=host,
        port=port,
        sender=env.get("ZHIQIAN_SMTP_SENDER", "").strip() or "zhiqian@localhost",
        starttls=raw_tls in _TRUE,
        username=username,
        password=password,
    )


def address_variables(pack: RulePack) -> frozenset[str]:
    """The variables the pack's roles take addresses from (``address_env``, without the
    division-specific ``_<code>`` variants, which share the name as a prefix)."""
    return frozenset(r.address_env for r in pack.routing.roles if r.address_env)


def is_address_variable(name: str, bases: Iterable[str]) -> bool:
    """``name`` is one of ``bases`` or a division-specific variant ``<base>_<6 digits>``."""
    for base in bases:
        if name == base:
            return True
        if name.startswith(base + "_"):
            code = name[len(base) + 1 :]
            if len(code) == 6 and code.isdigit():
                return True
    return False
