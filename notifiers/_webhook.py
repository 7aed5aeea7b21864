"""The webhook channel: a signed JSON POST over stdlib urllib (no HTTP dependency).

Signature scheme (what a receiver checks; ``verify_webhook_signature`` does it)::

    X-Zhiqian-Timestamp: <unix seconds>
    X-Zhiqian-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body bytes)>

The timestamp is inside the signed material, so a captured request cannot be replayed later with
a fresh timestamp; a receiver rejects timestamps outside its tolerance (five minutes by default)
and de-duplicates by ``Idempotency-Key`` within it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from zhiqian.clock import Clock, SystemClock
from zhiqian.errors import NotifierError
from zhiqian.notifiers._types import (
    DeliveryResult,
    Notice,
    RenderedNotice,
    header_safe_key,
    secret_from_env,
)

__all__ = ["WebhookNotifier", "sign_webhook_body", "verify_webhook_signature"]

SIGNATURE_HEADER = "X-Zhiqian-Signature"
TIMESTAMP_HEADER = "X-Zhiqian-Timestamp"
PAYLOAD_VERSION = 1
_MAX_RESPONSE = 64 * 1024


def sign_webhook_body(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<body>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook_signature(
    *,
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """For receivers: True when ``signature`` matches ``body`` and ``timestamp`` is within
    ``tolerance`` of ``now`` (an aware datetime). Compares in constant time."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign_webhook_body(secret, timestamp, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the body; a receiver that moved must
    # be reconfigured, not followed silently.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _check_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    return None


class WebhookNotifier:
    """POSTs each notice as JSON to ``url`` (or, when ``url`` is None, to ``notice.address``).

    Body (UTF-8, keys sorted): ``version, id, case_id, case_ref, template, channel, recipient,
    subject, text, html, idempotency_key, created_at`` — plus ``context`` when ``include_context``
    is set (it may hold personal data: the 移送函's context does). Headers: ``Idempotency-Key``,
    ``X-Zhiqian-Timestamp``, ``X-Zhiqian-Signature`` (when ``secret`` is given, or ``secret_env``:
    then the secret is read from that environment variable at each send).

    Outcomes: 2xx → ok (``remote_id`` from ``X-Request-Id`` or a JSON ``id``); 408, 429, 5xx, a
    refused or dropped connection, a timeout → retryable (429/503 with ``Retry-After`` fill
    ``retry_after``); other 4xx, 3xx (redirects are not followed), an untrusted TLS certificate,
    a bad ``notice.address`` → permanent.
    """

    def __init__(
        self,
        url: str | None,
        *,
        secret_env: str | None = None,
        secret: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        include_context: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        name: str = "webhook",
    ) -> None:
        problems = []
        if url is not None and (why := _check_url(url)):
            problems.append(why)
        if timeout <= 0:
            problems.append(f"timeout must be positive, got {timeout!r}")
        if secret_env is not None and not secret_env:
            problems.append("secret_env is empty")
        if secret is not None and not secret:
            problems.append("secret is empty")
        if secret is not None and secret_env is not None:
            problems.append("give secret or secret_env, not both")
        if problems:
            raise NotifierError(f"notifier {name!r}: " + "; ".join(problems), retryable=False)
        self.name = name
        self.url = url
        self.secret_env = secret_env
        self._secret = secret
        self.timeout = timeout
        self._headers = dict(headers or {})
        self._include_context = include_context
        self._clock = clock or SystemClock()
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    def payload(self, notice: Notice, rendered: RenderedNotice) -> bytes:
        """The exact body bytes that are signed and sent."""
        data: dict[str, Any] = {
            "version": PAYLOAD_VERSION,
            "id": notice.id,
            "case_id": notice.case_id,
            "case_ref": notice.case_ref,
            "template": notice.template,
            "channel": notice.channel,
            "recipient": notice.recipient,
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "idempotency_key": notice.idempotency_key,
            "created_at": notice.created_at.isoformat(),
        }
        if self._include_context:
            data["context"] = dict(notice.context)
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        secret = self._secret
        if secret is None and self.secret_env:
            secret = secret_from_env(self.secret_env, channel=self.name)
        url = self.url if self.url is not None else notice.address
        if self.url is None and (why := _check_url(url)):
            return DeliveryResult.failed(f"webhook: notice address {why}", retryable=False)
        body = self.payload(notice, rendered)
        headers = {
            "User-Agent": "zhiqian-notifier/1",
            **self._headers,
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": header_safe_key(notice.idempotency_key),
        }
        if secret is not None:
            timestamp = str(int(self._clock.now().timestamp()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign_webhook_body(secret, timestamp, body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        where = urlsplit(url)._replace(query="", fragment="").geturl()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                content = response.read(_MAX_RESPONSE)
                remote_id = _remote_id(response.headers, content)
        except urllib.error.HTTPError as exc:
            try:
                content = exc.read(_MAX_RESPONSE)
            except (http.client.HTTPException, OSError):
                content = b""
            finally:
                exc.close()
            return self._http_failure(where, exc.code, exc.headers, content)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                return DeliveryResult.failed(
                    f"webhook {where}: TLS certificate not trusted: {exc.reason.verify_message}",
                    retryable=False,
                )
            return DeliveryResult.failed(f"webhook {where}: {exc.reason}", retryable=True)
        except (http.client.HTTPException, OSError) as exc:
            # Timeouts, resets, a server that hung up mid-response.
            return DeliveryResult.failed(
                f"webhook {where}: {type(exc).__name__}: {exc}", retryable=True
            )
        return DeliveryResult.sent(f"webhook {where}: HTTP {status}", remote_id=remote_id)

    def _http_failure(
        self, where: str, status: int, headers: Message, content: bytes
    ) -> DeliveryResult:
        snippet = content[:200].decode("utf-8", "replace").strip()
        detail = f"webhook {where}: HTTP {status}" + (f": {snippet}" if snippet else "")
        if status in (408, 429) or 500 <= status <= 599:
            return DeliveryResult.failed(
                detail, retryable=True, retry_after=self._retry_after(headers.get("Retry-After"))
            )
        if 300 <= status <= 399:
            detail += f" (redirect to {headers.get('Location')!r} not followed)"
        return DeliveryResult.failed(detail, retryable=False)

    def _retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, (when - self._clock.now()).total_seconds())


def _remote_id(headers: Message, content: bytes) -> str | None:
    request_id = headers.get("X-Request-Id")
    if request_id:
        return request_id
    try:
        data = json.loads(content) if content else None
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str | int):
        return str(data["id"])
    return None
