"""The notice, what a channel returns, and the contract every channel keeps."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from zhiqian.errors import NotifierError, UnknownName
from zhiqian.rules.templates import (
    ADVANCE_ADVICE,
    DAILY_DIGEST,
    DECISION_REQUEST,
    ESCALATION_NOTICE,
    LEADER_NOTICE,
    OVERDUE_WARNING,
    POLICE_REFERRAL,
    REFERRAL_APPROVAL,
    REMINDER,
    SUPERVISION_NOTICE,
    TEMPLATE_ALIASES,
    TEMPLATE_IDS,
    TEMPLATE_LABELS,
    TEMPLATES,
    TemplateId,
    TemplateKey,
    TemplateName,
    template_id,
    template_label,
)

__all__ = [
    "ADVANCE_ADVICE",
    "DAILY_DIGEST",
    "DECISION_REQUEST",
    "ESCALATION_NOTICE",
    "LEADER_NOTICE",
    "OVERDUE_WARNING",
    "POLICE_REFERRAL",
    "REFERRAL_APPROVAL",
    "REMINDER",
    "SUPERVISION_NOTICE",
    "TEMPLATES",
    "TEMPLATE_ALIASES",
    "TEMPLATE_IDS",
    "TEMPLATE_LABELS",
    "DeliveryResult",
    "Notice",
    "Notifier",
    "RenderedNotice",
    "TemplateId",
    "TemplateKey",
    "TemplateName",
    "header_safe_key",
    "key_digest",
    "make_idempotency_key",
    "secret_from_env",
    "template_id",
    "template_label",
]

# The template ids, their Chinese names and the constants code compares with are defined once,
# in zhiqian.rules.templates (packs name templates too, and rules may not import notifiers).


def _freeze_context(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """A detached, read-only copy that is known to survive JSON (the outbox stores it as JSON)."""
    if not isinstance(context, Mapping):
        raise TypeError(f"Notice.context must be a mapping, got {type(context).__name__}")
    for key in context:
        if not isinstance(key, str):
            raise TypeError(f"Notice.context keys must be strings, got {key!r}")
    try:
        copied = json.loads(json.dumps(context, allow_nan=False, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Notice.context must be JSON-safe (str, int, bool, None, lists, dicts; "
            f"amounts as strings, dates as ISO strings): {exc}"
        ) from exc
    return MappingProxyType(copied)


@dataclass(frozen=True, kw_only=True, slots=True)
class Notice:
    """One notice to one recipient over one channel: a row of the outbox.

    ``context`` holds what the template renders (case facts, dates as ISO strings, amounts as
    decimal strings); see ``zhiqian.notifiers.REQUIRED_CONTEXT``. It is copied and frozen on
    construction. ``idempotency_key`` is stable across retries of the same notice; channels
    pass it to the remote so a retry after a crash between "sent" and "marked sent" can be
    recognised there. ``address`` is the resolved destination (an e-mail address, a URL, an
    apprise URL, a folder); a channel configured with its own destination ignores it.

    ``template`` may be given by id (``POLICE_REFERRAL``) or by Chinese name; it holds the name,
    which is what the outbox stores and every channel shows. ``template_id`` is the id, for code.
    """

    id: int | None
    case_id: int | None
    case_ref: str
    template: TemplateKey  # the Chinese name once constructed
    channel: str
    recipient: str
    address: str
    subject: str = ""
    context: Mapping[str, Any] = field(default_factory=dict, hash=False)
    idempotency_key: str
    created_at: datetime

    def __post_init__(self) -> None:
        try:
            # A bad notice is a bad argument (ValueError), as for every other field here.
            object.__setattr__(self, "template", template_label(self.template))
        except UnknownName:
            raise ValueError(
                f"Notice.template: unknown template {self.template!r}; known: "
                f"{', '.join(TEMPLATES)} (or their ids: {', '.join(TEMPLATE_IDS)}; older names: "
                f"{', '.join(TEMPLATE_ALIASES)})"
            ) from None
        for name in ("case_ref", "channel", "recipient", "idempotency_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"Notice.{name} must be a non-empty string, got {value!r}")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in self.idempotency_key):
            raise ValueError(
                f"Notice.idempotency_key contains control characters: {self.idempotency_key!r}"
            )
        if not isinstance(self.address, str):
            raise ValueError(f"Notice.address must be a string, got {self.address!r}")
        if not isinstance(self.created_at, datetime) or self.created_at.utcoffset() is None:
            raise ValueError(
                f"Notice.created_at must be a timezone-aware datetime, got {self.created_at!r}"
            )
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))
        object.__setattr__(self, "context", _freeze_context(self.context))

    @property
    def template_id(self) -> TemplateId:
        """The template's id (``police_referral``): what code compares with."""
        return template_id(self.template)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``created_at`` as ISO 8601 UTC); ``from_dict`` reads it back."""
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_ref": self.case_ref,
            "template": self.template,
            "channel": self.channel,
            "recipient": self.recipient,
            "address": self.address,
            "subject": self.subject,
            "context": dict(self.context),
            "idempotency_key": self.idempotency_key,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        created = data["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        return cls(
            id=data.get("id"),
            case_id=data.get("case_id"),
            case_ref=data["case_ref"],
            template=data["template"],
            channel=data["channel"],
            recipient=data["recipient"],
            address=data.get("address", ""),
            subject=data.get("subject", ""),
            context=data.get("context", {}),
            idempotency_key=data["idempotency_key"],
            created_at=created,
        )


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    """The document a channel delivers: a subject line, the text, and optionally an HTML twin."""

    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one delivery attempt came to.

    ``ok`` — the remote accepted the notice. ``retryable`` — only meaningful when not ok: a later
    attempt may succeed (connection refused, timeout, HTTP 429/5xx, SMTP 4xx); False means the same
    notice will fail the same way (HTTP 4xx, SMTP 5xx, an unusable address) and belongs in the
    dead-letter list. ``remote_id`` — the remote's handle where it gives one (the SMTP Message-ID,
    the webhook's request id, the file written). ``retry_after`` — seconds the remote asked us to
    wait (HTTP ``Retry-After``), or None.
    """

    ok: bool
    detail: str
    retryable: bool = False
    remote_id: str | None = None
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.ok and self.retryable:
            raise ValueError("DeliveryResult: a successful delivery cannot be retryable")

    @classmethod
    def sent(cls, detail: str, *, remote_id: str | None = None) -> DeliveryResult:
        return cls(ok=True, detail=detail, retryable=False, remote_id=remote_id)

    @classmethod
    def failed(
        cls, detail: str, *, retryable: bool, retry_after: float | None = None
    ) -> DeliveryResult:
        return cls(ok=False, detail=detail, retryable=retryable, retry_after=retry_after)


@runtime_checkable
class Notifier(Protocol):
    """A delivery channel.

    Contract of ``send(notice, rendered)``:

    - Returns a ``DeliveryResult``. It does **not** raise for delivery failures — a refused
      connection, a timeout, a remote error — it returns ``ok=False`` with ``retryable`` set, so
      the delivery worker can back off and retry or dead-letter. Programming errors (a bug, a
      wrong type passed in) do raise.
    - Raises ``zhiqian.errors.NotifierError`` (``retryable=False``) only for configuration
      errors that no retry of this notice can fix and that concern the channel as a whole: a
      secret's environment variable that is not set, credentials the server rejects, a channel
      URL that cannot be parsed. The worker should stop using the channel and tell an operator.
    - Is idempotent towards the remote as far as the channel allows: it passes
      ``notice.idempotency_key`` on (webhook header ``Idempotency-Key``, an e-mail Message-ID
      derived from it, a file name derived from it) so that a retry after a crash between sending
      and marking the notice sent can be de-duplicated by the remote.
    - Reads secrets from environment variables at send time; it never stores them in the notice.
    - May be called from several threads at once.
    """

    name: str

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult: ...


def make_idempotency_key(
    *, case_id: int | str, rule_id: str, cycle: int | str, recipient: str, channel: str
) -> str:
    """The key for one notice: one per (case, rule, clock cycle, recipient, channel).

    Each part is percent-encoded, so the key is printable ASCII (usable as an HTTP header value
    as it is) and ``:`` inside a part cannot make two different tuples collide.
    """
    parts = (case_id, rule_id, cycle, recipient, channel)
    for name, part in zip(
        ("case_id", "rule_id", "cycle", "recipient", "channel"), parts, strict=True
    ):
        if str(part) == "":
            raise ValueError(f"make_idempotency_key: {name} is empty")
    return "zq1:" + ":".join(quote(str(p), safe="") for p in parts)


def key_digest(key: str) -> str:
    """A stable hex digest of an idempotency key (for Message-IDs and file names)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def header_safe_key(key: str) -> str:
    """The key as an HTTP/mail header value: unchanged when printable ASCII, else percent-encoded.

    Deterministic, so the remote sees the same value on every retry.
    """
    encoded = key if all(32 < ord(ch) < 127 for ch in key) else quote(key, safe="")
    return encoded if len(encoded) <= 255 else "sha256-" + key_digest(key)


def secret_from_env(variable: str, *, channel: str) -> str:
    """The value of a secret's environment variable, read now; a missing one is a config error."""
    value = os.environ.get(variable)
    if not value:
        raise NotifierError(
            f"notifier {channel!r}: environment variable {variable} is not set "
            f"(it must hold the secret; secrets are never taken from configuration files)",
            retryable=False,
        )
    return value
