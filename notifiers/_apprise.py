"""The bridge to apprise (DingTalk, WeCom, Feishu robots and a hundred other services).

apprise is an optional extra (``pip install zhiqian[apprise]``) and costs 130–190 ms to import, so
it is imported on the first send. apprise reports a failed delivery by returning a false result
and logging; it raises nothing — so the result is checked, and the logged reasons become the
``detail``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
import warnings
from collections.abc import Sequence
from typing import Any

from zhiqian.errors import NotifierError
from zhiqian.notifiers._types import DeliveryResult, Notice, RenderedNotice, secret_from_env

__all__ = ["AppriseNotifier"]

_module: Any = None
_module_lock = threading.Lock()
# apprise's HTTP plugins log "…error=<status>." on a non-2xx answer.
_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def _apprise() -> Any:
    global _module
    with _module_lock:
        if _module is None:
            try:
                _module = importlib.import_module("apprise")
            except ImportError as exc:
                raise NotifierError(
                    "notifier 'apprise': the apprise package is not installed "
                    "(pip install 'zhiqian[apprise]')",
                    retryable=False,
                ) from exc
        return _module


def _schemes(urls: str) -> str:
    # Only the schemes are ever shown: apprise URLs carry tokens.
    return ", ".join(sorted({m.group(1) + "://" for m in _SCHEME.finditer(urls)})) or "(none)"


class AppriseNotifier:
    """Sends each notice through apprise to ``urls`` — given directly, or (better, since apprise
    URLs embed robot tokens) read from the environment variable ``urls_env`` at each send; with
    neither, ``notice.address`` is taken as the apprise URL.

    Outcomes: apprise reports success → ok; a failure whose logged HTTP status is 4xx (not 408 or
    429) → permanent; any other failure or a timeout → retryable (apprise does not say more); a
    URL apprise cannot parse → ``NotifierError`` when it comes from the configuration, a
    permanent failure when it comes from the notice. There is no generic way to hand the
    idempotency key to an apprise service; the robots behind it do not de-duplicate.
    """

    def __init__(
        self,
        urls: str | Sequence[str] | None = None,
        *,
        urls_env: str | None = None,
        timeout: float | None = None,
        name: str = "apprise",
    ) -> None:
        if urls is not None and urls_env is not None:
            raise NotifierError(
                f"notifier {name!r}: give urls or urls_env, not both", retryable=False
            )
        if timeout is not None and timeout <= 0:
            raise NotifierError(
                f"notifier {name!r}: timeout must be positive, got {timeout!r}", retryable=False
            )
        self.name = name
        self.urls_env = urls_env
        self._urls: str | None = urls if isinstance(urls, str) or urls is None else "\n".join(urls)
        self.timeout = timeout
        self._instances: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _instance(self, urls: str, *, from_config: bool) -> Any:
        with self._lock:
            found = self._instances.get(urls)
            if found is not None:
                return found
            module = _apprise()
            with warnings.catch_warnings():
                # apprise loads its plugins on the first add(); one of them imports the
                # deprecated stdlib imghdr (apprise's to fix). Keep that out of hosts that run
                # with warnings as errors; nothing else is silenced.
                warnings.filterwarnings(
                    "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
                )
                instance = module.Apprise()
                bad = [u for u in urls.splitlines() if u.strip() and not instance.add(u.strip())]
            if bad:
                if not from_config:
                    return None
                where = (
                    f"environment variable {self.urls_env}" if self.urls_env else "configuration"
                )
                raise NotifierError(
                    f"notifier {self.name!r}: apprise cannot use the URL(s) with scheme "
                    f"{_schemes(' '.join(bad))} from the {where}",
                    retryable=False,
                )
            if len(self._instances) >= 256:  # addresses taken from notices: keep the cache bounded
                self._instances.clear()
            self._instances[urls] = instance
            return instance

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        if self.urls_env is not None:
            urls, from_config = secret_from_env(self.urls_env, channel=self.name), True
        elif self._urls is not None:
            urls, from_config = self._urls, True
        else:
            urls, from_config = notice.address, False
        if not urls.strip():
            return DeliveryResult.failed(
                "apprise: no URL configured and the notice has no address", retryable=False
            )
        instance = self._instance(urls, from_config=from_config)
        if instance is None:
            return DeliveryResult.failed(
                f"apprise: cannot use the notice address (scheme {_schemes(urls)})",
                retryable=False,
            )
        module = _apprise()
        kwargs: dict[str, Any] = {
            "body": rendered.text,
            "title": rendered.subject,
            "body_format": module.NotifyFormat.TEXT,
        }
        if self.timeout is not None and "timeout" in inspect.signature(instance.notify).parameters:
            kwargs["timeout"] = self.timeout  # apprise ≥ 2: a limit on the whole call
        result = instance.notify(**kwargs)
        messages = _log_messages(result)
        if result:
            return DeliveryResult.sent("apprise: delivered")
        status = getattr(getattr(result, "status", None), "name", "FAILURE")
        detail = f"apprise: {status.lower()}" + (f": {' | '.join(messages)}" if messages else "")
        codes = [int(code) for m in messages for code in _HTTP_STATUS.findall(m)]
        permanent = bool(codes) and all(400 <= c <= 499 and c not in (408, 429) for c in codes)
        return DeliveryResult.failed(detail, retryable=not permanent)


def _log_messages(result: Any) -> list[str]:
    """The warnings and errors apprise ≥ 2 attaches to its result (apprise 1 returns a bare bool)."""
    logs = getattr(result, "logs", None)
    if not callable(logs):
        return []
    return [
        str(entry.message)
        for entry in logs()
        if getattr(entry, "level", "") in ("WARNING", "ERROR", "CRITICAL")
    ][:10]
