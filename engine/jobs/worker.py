"""Who a job runs as: the name written into claims and leases."""

from __future__ import annotations

import os
import socket

__all__ = ["default_worker"]


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]
