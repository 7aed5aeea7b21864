"""An in-memory channel for host systems' tests (and ours): no network, full control."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from zhiqian.notifiers._types import DeliveryResult, Notice, RenderedNotice

__all__ = ["MemoryNotifier", "SentNotice"]


@dataclass(frozen=True, slots=True)
class SentNotice:
    """One attempt the memory channel received, and what it answered."""

    notice: Notice
    rendered: RenderedNotice
    result: DeliveryResult
    duplicate: bool = False


class MemoryNotifier:
    """Records every attempt; ``fail_next(n)`` makes the next ``n`` sends fail.

    ``attempts`` lists every call (failed ones too); ``sent`` only the accepted ones. With
    ``dedupe=True`` it behaves like a remote that honours idempotency keys: a second send with a
    key it has already accepted succeeds without being recorded in ``sent`` again — handy to
    test a crash between "sent" and "marked sent".
    """

    def __init__(self, *, name: str = "memory", dedupe: bool = False) -> None:
        self.name = name
        self.dedupe = dedupe
        self._lock = threading.Lock()
        self._attempts: list[SentNotice] = []
        self._failures: list[DeliveryResult] = []
        self._accepted_keys: set[str] = set()

    def fail_next(
        self,
        count: int = 1,
        *,
        retryable: bool = True,
        detail: str = "simulated failure",
        retry_after: float | None = None,
    ) -> None:
        if count < 0:
            raise ValueError(f"fail_next: count must be ≥ 0, got {count}")
        failure = DeliveryResult.failed(detail, retryable=retryable, retry_after=retry_after)
        with self._lock:
            self._failures.extend([failure] * count)

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        with self._lock:
            duplicate = False
            if self._failures:
                result = self._failures.pop(0)
            elif self.dedupe and notice.idempotency_key in self._accepted_keys:
                duplicate = True
                result = DeliveryResult.sent(
                    "memory: duplicate ignored", remote_id=notice.idempotency_key
                )
            else:
                result = DeliveryResult.sent("memory: accepted", remote_id=notice.idempotency_key)
                self._accepted_keys.add(notice.idempotency_key)
            self._attempts.append(SentNotice(notice, rendered, result, duplicate))
            return result

    @property
    def attempts(self) -> list[SentNotice]:
        with self._lock:
            return list(self._attempts)

    @property
    def sent(self) -> list[SentNotice]:
        """Accepted deliveries (without the duplicates a ``dedupe`` remote ignored)."""
        with self._lock:
            return [a for a in self._attempts if a.result.ok and not a.duplicate]

    def clear(self) -> None:
        with self._lock:
            self._attempts.clear()
            self._failures.clear()
            self._accepted_keys.clear()
