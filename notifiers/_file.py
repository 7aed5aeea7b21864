"""The file channel: the rendered document written into a folder, atomically."""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

from zhiqian.notifiers._types import DeliveryResult, Notice, RenderedNotice, key_digest

__all__ = ["FileNotifier"]

# Characters no file system we care about accepts, plus control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
# Errors an operator must fix before a retry can succeed (the notice is dead-lettered until then).
_PERMANENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR})


def _safe_part(value: str) -> str:
    cleaned = _UNSAFE.sub("_", value).strip().lstrip(".")
    return cleaned[:80] or "_"


class FileNotifier:
    """Writes ``<folder>/<case_ref>-<template>-<id>.txt`` (and ``.html`` when there is an HTML twin).

    ``folder`` defaults to the notice's ``address``. The name depends only on the notice (its
    outbox id, or a digest of its idempotency key when it has no id), so a retry overwrites the
    file instead of adding a second one; each file is written to a temporary name in the same
    folder, flushed to disk and moved into place with ``os.replace``, so a reader never sees half a
    document.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str] | None = None,
        *,
        name: str = "file",
        fsync: bool = True,
    ) -> None:
        self.name = name
        self.folder = Path(folder) if folder is not None else None
        self._fsync = fsync

    def path_for(self, notice: Notice, suffix: str = ".txt") -> Path:
        folder = self.folder if self.folder is not None else Path(notice.address)
        ident = (
            str(notice.id)
            if notice.id is not None
            else "k" + key_digest(notice.idempotency_key)[:16]
        )
        return folder / f"{_safe_part(notice.case_ref)}-{notice.template}-{ident}{suffix}"

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        if self.folder is None and not notice.address.strip():
            return DeliveryResult.failed(
                "file notifier: no folder configured and the notice has no address", retryable=False
            )
        target = self.path_for(notice)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomic(target, rendered.text)
            if rendered.html is not None:
                self._write_atomic(self.path_for(notice, ".html"), rendered.html)
        except OSError as exc:
            retryable = exc.errno not in _PERMANENT_ERRNOS
            return DeliveryResult.failed(
                f"file notifier: cannot write {target}: {exc.strerror or exc}", retryable=retryable
            )
        return DeliveryResult.sent(f"written to {target}", remote_id=str(target))

    def _write_atomic(self, target: Path, content: str) -> None:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(temp, "xb") as handle:
                handle.write(content.encode("utf-8"))
                handle.flush()
                if self._fsync:
                    os.fsync(handle.fileno())
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)  # gone after a successful replace; debris otherwise
        if self._fsync and os.name == "posix":
            # Make the rename itself durable: the directory entry lives in the folder.
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
