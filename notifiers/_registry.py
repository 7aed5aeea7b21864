"""Which channels exist: the built-ins plus the entry-point group ``zhiqian.notifiers``.

A third-party channel is a package that declares, in its own pyproject::

    [project.entry-points."zhiqian.notifiers"]
    sms = "acme_sms:SmsNotifier"

where ``SmsNotifier(**config)`` returns an object with ``name`` and ``send(notice, rendered)``.
Built-in names cannot be taken over by an entry point (it is skipped with a logged warning).

A pack routes to *channels* by name (``channels: [log, email, sms]``); a channel is built from
the notifier *kind* of the same name, except ``email``, which the ``smtp`` kind serves
(``CHANNEL_KINDS``). ``default_channels`` builds a deployment's channel map that way: every
channel goes through ``load_notifier``, so an installed third-party notifier is usable from a
pack by its entry-point name.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any, Final

from zhiqian.errors import NotifierError
from zhiqian.notifiers._apprise import AppriseNotifier
from zhiqian.notifiers._file import FileNotifier
from zhiqian.notifiers._log import LogNotifier
from zhiqian.notifiers._memory import MemoryNotifier
from zhiqian.notifiers._smtp import SmtpNotifier
from zhiqian.notifiers._types import Notifier
from zhiqian.notifiers._webhook import WebhookNotifier

__all__ = [
    "BUILTIN_NOTIFIERS",
    "CHANNEL_KINDS",
    "ENTRY_POINT_GROUP",
    "build_channel",
    "default_channels",
    "load_notifier",
    "notifier_registry",
]

ENTRY_POINT_GROUP: Final = "zhiqian.notifiers"
NotifierFactory = Callable[..., Notifier]

BUILTIN_NOTIFIERS: Final[Mapping[str, NotifierFactory]] = MappingProxyType(
    {
        "log": LogNotifier,
        "file": FileNotifier,
        "smtp": SmtpNotifier,
        "webhook": WebhookNotifier,
        "apprise": AppriseNotifier,
        "memory": MemoryNotifier,
    }
)

# Pack channel names served by a notifier kind of another name.
CHANNEL_KINDS: Final[Mapping[str, str]] = MappingProxyType({"email": "smtp"})

_log = logging.getLogger(__name__)


class _EntryPointFactory:
    """Loads the entry point's object only when a notifier of its kind is made."""

    def __init__(self, entry_point: EntryPoint) -> None:
        self.entry_point = entry_point

    def load(self) -> NotifierFactory:
        try:
            factory = self.entry_point.load()
        except Exception as exc:  # an import of third-party code can fail in any way
            raise NotifierError(
                f"notifier {self.entry_point.name!r}: cannot load entry point "
                f"{self.entry_point.value!r} of group {ENTRY_POINT_GROUP}: "
                f"{type(exc).__name__}: {exc}",
                retryable=False,
            ) from exc
        if not callable(factory):
            raise NotifierError(
                f"notifier {self.entry_point.name!r}: entry point {self.entry_point.value!r} "
                f"is not callable",
                retryable=False,
            )
        loaded: NotifierFactory = factory
        return loaded

    def __call__(self, **config: Any) -> Notifier:
        return self.load()(**config)

    def __repr__(self) -> str:
        return f"<entry point {self.entry_point.name} = {self.entry_point.value}>"


def notifier_registry() -> dict[str, NotifierFactory]:
    """Every channel kind available now: built-ins first, then installed entry points (read
    fresh on each call; their code is imported only when a notifier of that kind is made)."""
    registry: dict[str, NotifierFactory] = dict(BUILTIN_NOTIFIERS)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in BUILTIN_NOTIFIERS:
            _log.warning(
                "entry point %s = %s of group %s ignored: %r is a built-in notifier",
                entry_point.name,
                entry_point.value,
                ENTRY_POINT_GROUP,
                entry_point.name,
            )
            continue
        if entry_point.name in registry:
            _log.warning(
                "entry point %s = %s of group %s ignored: another package registered %r first",
                entry_point.name,
                entry_point.value,
                ENTRY_POINT_GROUP,
                entry_point.name,
            )
            continue
        registry[entry_point.name] = _EntryPointFactory(entry_point)
    return registry


def load_notifier(kind: str, **config: Any) -> Notifier:
    """Make a notifier of ``kind`` from its configuration (as written in a pack or config file).

    Raises ``NotifierError(retryable=False)`` for an unknown kind (naming the known ones),
    configuration keys the channel does not accept (naming them and the accepted ones), an entry
    point that cannot be loaded, or a factory that does not return a ``Notifier``. Errors the
    channel's own constructor raises for bad values (``NotifierError``) pass through.
    """
    registry = notifier_registry()
    factory = registry.get(kind)
    if factory is None:
        raise NotifierError(
            f"unknown notifier kind {kind!r}; known kinds: {', '.join(sorted(registry))}",
            retryable=False,
        )
    if isinstance(factory, _EntryPointFactory):
        factory = factory.load()
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        try:
            signature.bind(**config)
        except TypeError as exc:
            accepted = [
                p.name
                for p in signature.parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            raise NotifierError(
                f"notifier {kind!r}: bad configuration ({exc}); accepted keys: "
                f"{', '.join(accepted)}",
                retryable=False,
            ) from None
    notifier = factory(**config)
    if not isinstance(notifier, Notifier):
        raise NotifierError(
            f"notifier {kind!r}: the factory returned {type(notifier).__name__}, which has no "
            f"'name' and 'send(notice, rendered)'",
            retryable=False,
        )
    return notifier


def build_channel(channel: str, config: Mapping[str, Any] | None = None) -> Notifier:
    """The notifier for the pack channel ``channel``: the kind ``config["kind"]`` if given, else
    ``CHANNEL_KINDS`` or the channel's own name, made by ``load_notifier`` from the rest of
    ``config``. An unknown kind is a ``NotifierError`` naming the channel and the known kinds."""
    options = dict(config or {})
    kind = str(options.pop("kind", CHANNEL_KINDS.get(channel, channel)))
    try:
        return load_notifier(kind, **options)
    except NotifierError as exc:
        if kind in notifier_registry():
            raise
        raise NotifierError(
            f"channel {channel!r}: no notifier of kind {kind!r} is installed (built-in kinds: "
            f"{', '.join(sorted(BUILTIN_NOTIFIERS))}; third-party ones register in the "
            f"entry-point group {ENTRY_POINT_GROUP}) — {exc}",
            retryable=False,
        ) from exc


def default_channels(
    channels: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    notice_dir: str | os.PathLike[str] | None = None,
    names: Iterable[str] = (),
) -> dict[str, Notifier]:
    """A channel map (channel name → notifier), every one built through the registry.

    Always ``log``, and ``file`` writing into ``notice_dir`` (default ``./notices``); then each
    entry of ``channels`` (channel → configuration for ``build_channel``; an entry for ``log``
    or ``file`` replaces the default one); then every channel of ``names`` not built yet (e.g.
    the channels a pack routes to), with no configuration. Called with no arguments: the two
    channels that need neither an address nor a server.
    """
    folder = notice_dir if notice_dir is not None else "notices"
    out: dict[str, Notifier] = {
        "log": load_notifier("log"),
        "file": load_notifier("file", folder=os.fspath(folder)),
    }
    for channel, config in (channels or {}).items():
        out[channel] = build_channel(channel, config)
    for channel in names:
        if channel not in out:
            out[channel] = build_channel(channel)
    return out
