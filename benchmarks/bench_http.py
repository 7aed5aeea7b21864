"""The HTTP service against the library: intake and act requests/s, same database, one run.

Contenders alternate each round: the library (``Engine.receive`` / ``Engine.act`` called in this
process) and ``zhiqian serve`` in its own process, driven by httpx over loopback with keep-alive
(sequential requests: the cost of one request). On PostgreSQL the service also runs with 2
workers under 4 concurrent clients, against 1 worker under the same load: how it scales on the
machine's 2 cores (the clients share them).

``python -m benchmarks --only http [--db sqlite|postgres] [--quick]``
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import Run, Section, alternate

NAME = "http"
TITLE = "HTTP service vs the library: intake and act requests/s"

ZHIQIAN = str(Path(sys.executable).with_name("zhiqian"))
RECEIVED = "2026-11-20T09:30:00+08:00"
REGION = "140302"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(url: str, workers: int, run: Run) -> Iterator[str]:
    """``zhiqian serve`` on a free port until the block ends; yields its base URL."""
    import httpx

    port = _free_port()
    argv = [ZHIQIAN, "--db", url, "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        [*argv, "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # bounded wait for the workers to listen
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"zhiqian serve did not start: {err[-500:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _records(prefix: str, n: int) -> list[dict[str, Any]]:
    from zhiqian.testing import sample_complaint

    return [
        sample_complaint(i, region=REGION, received_at=RECEIVED, ref=f"{prefix}-{i:06d}")
        for i in range(n)
    ]


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else 0.0


def _library(engine: Any, records: list[dict[str, Any]]) -> tuple[float, float]:
    t0 = time.perf_counter()
    ids = [engine.receive(r, actor="bench").id for r in records]
    t1 = time.perf_counter()
    for case_id in ids:
        engine.act(case_id, "verify", actor="bench")
    t2 = time.perf_counter()
    return _rate(len(ids), t1 - t0), _rate(len(ids), t2 - t1)


def _http(
    base: str, token: str, records: list[dict[str, Any]], clients: int = 1
) -> tuple[float, float]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    pool = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(clients)]
    chunks = [records[i::clients] for i in range(clients)]

    def each(fn: Callable[[httpx.Client, list[Any]], list[Any]], parts: list[list[Any]]) -> Any:
        if clients == 1:
            return [fn(pool[0], parts[0])]
        with ThreadPoolExecutor(max_workers=clients) as ex:
            return list(ex.map(fn, pool, parts))

    def receive(client: httpx.Client, part: list[dict[str, Any]]) -> list[int]:
        out = []
        for record in part:
            got = client.post("/v1/cases", json=record)
            if got.status_code != 201:
                raise RuntimeError(f"intake failed: {got.status_code} {got.text[:200]}")
            out.append(int(got.json()["id"]))
        return out

    def act(client: httpx.Client, part: list[int]) -> list[int]:
        for case_id in part:
            got = client.post(f"/v1/cases/{case_id}/events", json={"event": "verify"})
            if got.status_code != 200:
                raise RuntimeError(f"act failed: {got.status_code} {got.text[:200]}")
        return part

    try:
        t0 = time.perf_counter()
        ids = each(receive, chunks)
        t1 = time.perf_counter()
        each(act, ids)
        t2 = time.perf_counter()
    finally:
        for client in pool:
            client.close()
    return _rate(len(records), t1 - t0), _rate(len(records), t2 - t1)


def _one_backend(run: Run, label: str, url: str, section: Section) -> None:
    from zhiqian import Engine
    from zhiqian.store.tokens import create_token

    n = run.options.cases or (20 if run.options.quick else 200)
    rounds = run.options.rounds_or(3, quick=1)
    engine = Engine.open(url, create=True, pack="national")
    _, token = create_token(
        engine.bind, office=REGION, role="clerk", holder="bench", now=datetime.now(UTC)
    )
    rates: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> float:
        rates.setdefault(name, []).append(value)
        return value

    try:
        with _server(url, 1, run) as base:
            _http(base, token, _records(f"warm-{label}", 5))  # imports, pools, caches

            def lib(r: int) -> float:
                intake, act = _library(engine, _records(f"lib{r}-{label}", n))
                keep("act lib", act)
                return keep("intake lib", intake)

            def web(r: int) -> float:
                intake, act = _http(base, token, _records(f"http{r}-{label}", n))
                keep("act http", act)
                return keep("intake http", intake)

            alternate([("library", lib), ("http", web)], rounds, run)
        for what in ("intake", "act"):
            lib_fig = section.figure(f"{what}: library ({label})", rates[f"{what} lib"], "req/s")
            web_fig = section.figure(
                f"{what}: HTTP, 1 worker, 1 client ({label})", rates[f"{what} http"], "req/s"
            )
            section.ratio(
                f"{what}: HTTP / library ({label})",
                web_fig.value / lib_fig.value if lib_fig.value else 0.0,
                note=f"{n} requests per round, {rounds} round(s)",
            )
        if label == "PostgreSQL":
            scaled: dict[int, list[float]] = {}
            for workers in (1, 2):
                with _server(url, workers, run) as base:
                    _http(base, token, _records(f"warm{workers}-{label}", 8), clients=4)
                    for r in range(rounds):
                        intake, _ = _http(
                            base, token, _records(f"w{workers}r{r}-{label}", n), clients=4
                        )
                        scaled.setdefault(workers, []).append(intake)
                        run.log(f"  {workers} worker(s), 4 clients: intake {intake:,.1f}/s")
            one = section.figure(
                "intake: HTTP, 1 worker, 4 clients (PostgreSQL)", scaled[1], "req/s"
            )
            two = section.figure(
                "intake: HTTP, 2 workers, 4 clients (PostgreSQL)", scaled[2], "req/s"
            )
            section.ratio(
                "intake: 2 workers / 1 worker (PostgreSQL)",
                two.value / one.value if one.value else 0.0,
                note="2 cores shared by server workers and the 4 client threads",
            )
    finally:
        engine.close()


def run(bench: Run) -> list[Section]:
    section = Section(NAME, TITLE)
    try:
        import fastapi  # noqa: F401
        import httpx  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        section.notes.append("skipped: needs the http extra (pip install 'zhiqian[http]')")
        return [section]
    for backend in bench.backends:
        if backend == "sqlite":
            _one_backend(bench, "SQLite WAL", bench.sqlite_url("http.db"), section)
        else:
            with bench.pg_databases() as dbs:
                name = dbs.create("http")
                _one_backend(bench, "PostgreSQL", dbs.url(name), section)
    return [section]
