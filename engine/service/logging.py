"""The daemon's logs: one JSON object per line, for zhiqian's own loggers and APScheduler's.

Every line has ``ts`` (UTC, milliseconds), ``level``, ``logger`` and ``msg``; a record logged with
``extra={"zq": {...}}`` adds those fields (``event`` names what happened); an exception adds
``error`` (its traceback as one string, so the line stays one line).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any, Final

__all__ = ["LOGGERS", "JsonFormatter", "event", "json_logging", "start_failed"]

# The loggers whose records the daemon writes: ours, and the scheduler's own (its warnings about
# missed or failed runs would otherwise come out as plain text among the JSON lines).
LOGGERS: Final = ("zhiqian", "apscheduler")
_log = logging.getLogger("zhiqian.daemon")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``zq`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "zq", None)
        if isinstance(fields, Mapping):
            data.update(fields)
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


@contextlib.contextmanager
def json_logging(
    stream: IO[str], *, level: int | str = logging.INFO, scheduler_level: int | str = "WARNING"
) -> Iterator[logging.Handler]:
    """Write the ``zhiqian`` loggers at ``level`` and APScheduler's at ``scheduler_level`` (its
    INFO lines are one per job run) to ``stream`` as JSON lines, for the ``with`` block."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    saved: list[tuple[logging.Logger, int, bool]] = []
    for name, at in zip(LOGGERS, (level, scheduler_level), strict=True):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(at)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, old_level, old_propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate


def event(name: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log the daemon event ``name`` with its fields (``{"event": name, ...}`` in the line)."""
    _log.log(level, name, extra={"zq": {"event": name, **fields}})


def start_failed(exc: BaseException) -> None:
    """Log why the daemon could not start (``start_failed``, with the error and its type)."""
    _log.error(
        "start failed: %s",
        exc,
        exc_info=exc,
        extra={"zq": {"event": "start_failed", "error_type": type(exc).__name__}},
    )
