"""A notifier living outside zhiqian: appends each notice as one JSON line to the file named by
the notice's address (the pack's ``address_env`` gives it)."""

from __future__ import annotations

import json
from typing import Any


class JournalNotifier:
    def __init__(self, *, name: str = "journal") -> None:
        self.name = name

    def send(self, notice: Any, rendered: Any) -> Any:
        from zhiqian.notifiers import DeliveryResult

        line = {
            "key": notice.idempotency_key,
            "channel": notice.channel,
            "template": notice.template,
            "subject": rendered.subject,
        }
        with open(notice.address, "a", encoding="utf-8") as journal:
            journal.write(json.dumps(line, ensure_ascii=False) + "\n")
        return DeliveryResult.sent(f"journal {notice.address}")
