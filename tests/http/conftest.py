"""The real HTTP service for the tests: uvicorn on a free loopback port, driven by httpx.

The server runs in a thread of the test process over an engine with a frozen clock, so tests can
move time and look at the database directly; its socket is bound before the thread starts (port
0: the kernel picks a free one, no race with other test runs).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn

import zhiqian
from zhiqian.engine.http import create_app
from zhiqian.store.tokens import create_token

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai

# Two counties of 阳泉市 and the city itself.
COUNTY_A = "140302"  # 城区
COUNTY_B = "140303"  # 矿区
CITY = "140300"  # 阳泉市


@dataclass
class Service:
    """A running server and what the tests need around it."""

    base_url: str
    engine: zhiqian.Engine
    clock: zhiqian.FrozenClock
    tokens: dict[str, str] = field(default_factory=dict)  # name -> secret
    holders: dict[str, str] = field(default_factory=dict)  # name -> holder (the actor)

    def client(self, token: str | None) -> httpx.Client:
        headers = {} if token is None else {"Authorization": f"Bearer {self.tokens[token]}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def token(self, name: str, *, office: str, role: str) -> str:
        holder = f"{name}-持有人"
        _, secret = create_token(
            self.engine.bind, office=office, role=role, holder=holder, now=self.clock.now()
        )
        self.tokens[name] = secret
        self.holders[name] = holder
        return secret


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


def serve(app: Any) -> Iterator[str]:
    """Run ``app`` on a free loopback port until the generator is closed; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()  # polled, not slept on: the server starts in milliseconds
    for _ in range(1000):
        if server.started or not thread.is_alive():
            break
        ready.wait(0.01)
    assert server.started, "the HTTP server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def service(db_url: str) -> Iterator[Service]:
    clock = zhiqian.FrozenClock(START)
    engine = zhiqian.Engine.open(db_url, create=True, pack="national", clock=clock)
    running = serve(create_app(engine))
    base = next(running)
    svc = Service(base_url=base, engine=engine, clock=clock)
    svc.token("a", office=COUNTY_A, role="clerk")
    svc.token("b", office=COUNTY_B, role="clerk")
    svc.token("city", office=CITY, role="leader")
    svc.token("auditor_a", office=COUNTY_A, role="auditor")
    svc.token("admin_a", office=COUNTY_A, role="admin")
    try:
        yield svc
    finally:
        running.close()
        engine.close()
