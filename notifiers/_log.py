"""The log channel: one structured record per notice through stdlib logging."""

from __future__ import annotations

import logging
from typing import Any

from zhiqian.notifiers._types import DeliveryResult, Notice, RenderedNotice

__all__ = ["LogNotifier"]


class LogNotifier:
    """Writes each notice as one log record on ``logger`` (default ``zhiqian.notifiers.log``).

    The record's message is a one-line summary; ``record.zhiqian_notice`` carries the fields as a
    dict for structured handlers (JSON formatters). The document text is left out unless
    ``include_text`` is set, because a 移送函 carries a complainant's personal data.
    """

    def __init__(
        self,
        *,
        name: str = "log",
        logger: str | logging.Logger = "zhiqian.notifiers.log",
        level: int | str = logging.INFO,
        include_text: bool = False,
    ) -> None:
        self.name = name
        self._logger = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
        resolved = logging.getLevelName(level) if isinstance(level, str) else level
        if not isinstance(resolved, int):
            raise ValueError(f"LogNotifier: unknown log level {level!r}")
        self._level = resolved
        self._include_text = include_text

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        fields: dict[str, Any] = {
            "notice_id": notice.id,
            "case_id": notice.case_id,
            "case_ref": notice.case_ref,
            "template": notice.template,
            "channel": notice.channel,
            "recipient": notice.recipient,
            "address": notice.address,
            "idempotency_key": notice.idempotency_key,
            "created_at": notice.created_at.isoformat(),
            "subject": rendered.subject,
        }
        if self._include_text:
            fields["text"] = rendered.text
        self._logger.log(
            self._level,
            "notice %s %s → %s: %s",
            notice.template,
            notice.case_ref,
            notice.recipient,
            rendered.subject,
            extra={"zhiqian_notice": fields},
        )
        return DeliveryResult.sent(f"logged on {self._logger.name}")
