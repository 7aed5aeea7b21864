"""Delivery against real servers on loopback: an SMTP server (aiosmtpd) and an HTTP webhook in
this process. An outage of both, then recovery: every notice arrives exactly once. Plus the
outbox rules: back-off with a seeded RNG, dead letters and retry, quiet hours, the digest,
addresses from the environment (and the log fallback when there is none)."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from _seed import write_pack
from aiosmtpd.controller import Controller

from zhiqian import Engine, FrozenClock, Refused
from zhiqian.engine.domain.notices import quiet_until
from zhiqian.engine.escalation import install
from zhiqian.engine.jobs.delivery import DeliveryPolicy
from zhiqian.engine.routing import Router
from zhiqian.notifiers import (
    FileNotifier,
    LogNotifier,
    MemoryNotifier,
    SmtpNotifier,
    WebhookNotifier,
)
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

OUTWARD_ROUTING = """\
  roles:
    - {id: handler, label: 办案人员, level: same, channels: [log]}
    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [email], address_env: ZQ_COUNTY}
    - {id: city_office, label: 市级人社部门, level: city, channels: [email, webhook], address_env: ZQ_CITY}
    - {id: province_office, label: 省级人社部门, level: province, channels: [log]}
    - {id: leader, label: 分管领导, level: same, channels: [log]}
  quiet_hours: {from: "22:00", to: "08:00"}
  digest: {at: "08:30", to: [county_office]}
"""


def _major(seed: int) -> dict[str, Any]:
    """A case the national pack supervises on receipt (100+ workers): 督办通知 to the city."""
    return sample_complaint(
        seed,
        workers=120,
        migrant_workers=100,
        amount="1500000.00",
        migrant_amount="1000000.00",
        received_at=NOW.isoformat(),
        flags=[],
    )


# -- loopback servers -------------------------------------------------------------------------


class Outage:
    def __init__(self) -> None:
        self.down = True


class Smtp:
    def __init__(self, outage: Outage) -> None:
        self.outage = outage
        self.accepted: list[bytes] = []
        self.refused = 0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.outage.down:
            self.refused += 1
            return "421 4.3.2 service not available, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.accepted.append(envelope.content)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def outage() -> Outage:
    return Outage()


@pytest.fixture
def smtp(outage: Outage) -> Iterator[tuple[Smtp, int]]:
    handler = Smtp(outage)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
        controller.loop.close()


@pytest.fixture
def webhook(outage: Outage) -> Iterator[tuple[list[dict[str, str]], str]]:
    accepted: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 503 if outage.down else 200
            if status == 200:
                accepted.append(dict(self.headers.items()))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield accepted, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path, routing=OUTWARD_ROUTING, name="outward")


def test_outage_then_recovery_delivers_every_notice_exactly_once(
    db_url: str,
    pack: Path,
    smtp: tuple[Smtp, int],
    webhook: tuple[list[dict[str, str]], str],
    outage: Outage,
) -> None:
    server, port = smtp
    accepted, hook_url = webhook
    clock = FrozenClock(NOW)
    env = {"ZQ_CITY": f"email=city@rsj.example.gov.cn;webhook={hook_url}"}
    notifiers = {
        "email": SmtpNotifier("127.0.0.1", port, "zhiqian@rsj.example.gov.cn", timeout=5),
        "webhook": WebhookNotifier(None, timeout=5),
        "log": LogNotifier(),
    }
    rng = random.Random(7)
    with Engine.open(db_url, pack=pack, create=True, clock=clock) as eng:
        install(eng, router=Router(environ=env))
        for seed in range(5):
            eng.receive(_major(seed))
        outward = [n for n in eng.notices() if n.channel in ("email", "webhook")]
        assert len(outward) == 10  # 5 督办通知 × (email, webhook) to the city office
        first = eng.deliver_notices(notifiers, rng=rng)
        assert first.sent == 5  # the leaders' log notices
        assert first.retried == 10
        for _ in range(3):  # still down: each pass waits for the back-off
            clock.advance(hours=2)
            assert eng.deliver_notices(notifiers, rng=rng).retried == 10
        outage.down = False
        clock.advance(hours=2)
        assert eng.deliver_notices(notifiers, rng=rng).sent == 10
        clock.advance(days=1)
        assert eng.deliver_notices(notifiers, rng=rng).sent == 0  # nothing twice
        rows = eng.notices()
    assert {n.status for n in rows} == {"sent"}
    assert len(server.accepted) == 5
    assert len(accepted) == 5
    keys = [h["Idempotency-Key"] for h in accepted]
    assert len(set(keys)) == 5
    assert server.refused >= 5 * 4  # really refused during the outage
    assert all(n.attempts == 5 for n in rows if n.channel in ("email", "webhook"))


def test_backoff_grows_with_jitter_then_dead_letter_and_retry(engine: Engine) -> None:
    clock = engine.clock
    assert isinstance(clock, FrozenClock)
    engine.receive(_major(1))
    memory = MemoryNotifier()
    notifiers = {"log": memory, "file": memory}
    policy = DeliveryPolicy(max_attempts=4, base_delay=60, max_delay=600)
    rng = random.Random(42)
    total = len(engine.notices())
    assert total > 0
    memory.fail_next(100, retryable=True, detail="remote down")
    delays: list[float] = []
    for attempt in range(1, 5):
        report = engine.deliver_notices(notifiers, policy=policy, rng=rng)
        pending = [n for n in engine.notices() if n.status == "pending"]
        if attempt < 4:
            assert report.retried == total
            soonest = min(n.next_attempt_at for n in pending if n.next_attempt_at)
            delay = (soonest - clock.now()).total_seconds()
            full = min(600, 60 * 2 ** (attempt - 1))
            assert full / 2 <= delay <= full  # half fixed, half jitter
            delays.append(delay)
            clock.advance(seconds=full + 1)
        else:
            assert report.dead == total
    assert delays == sorted(delays)
    dead = engine.notices(status="dead")
    assert len(dead) == total
    assert dead[0].last_error == "remote down"
    memory.clear()
    again = engine.retry_notice(dead[0].id)
    assert (again.status, again.attempts) == ("pending", 0)
    assert engine.deliver_notices(notifiers, policy=policy, rng=rng).sent == 1
    assert [s.notice.id for s in memory.sent] == [dead[0].id]
    with pytest.raises(Refused, match="only a dead, pending or waiting notice"):
        engine.retry_notice(dead[0].id)
    with pytest.raises(Refused, match="no notice"):
        engine.retry_notice(10_000)


def test_quiet_hours_hold_outward_channels_until_the_window_ends(
    db_url: str, pack: Path, tmp_path: Path
) -> None:
    night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    clock = FrozenClock(night)
    memory = MemoryNotifier()
    env = {"ZQ_CITY": "email=city@rsj.example.gov.cn;webhook=http://127.0.0.1:9/hook"}
    with Engine.open(db_url, pack=pack, create=True, clock=clock) as eng:
        install(eng, router=Router(environ=env))
        eng.receive({**_major(3), "received_at": night.isoformat()})
        notifiers = {"email": memory, "webhook": memory, "log": LogNotifier()}
        report = eng.deliver_notices(notifiers)
        assert report.deferred == 2
        assert report.sent == 1
        morning = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 local: the window's end
        waiting = [n for n in eng.notices() if n.status == "pending"]
        assert {n.next_attempt_at for n in waiting} == {morning}
        clock.set(morning - timedelta(minutes=1))
        assert eng.deliver_notices(notifiers).sent == 0
        clock.set(morning)
        assert eng.deliver_notices(notifiers).sent == 2
    assert quiet_until(None, night, UTC) is None


def test_digest_folds_a_days_warnings_into_one_notice(db_url: str, pack: Path) -> None:
    clock = FrozenClock(NOW)
    env = {"ZQ_COUNTY": "county@rsj.example.gov.cn"}
    with Engine.open(db_url, pack=pack, create=True, clock=clock) as eng:
        install(eng, router=Router(environ=env))
        from zhiqian.engine.jobs.sweep import sweep

        ids = []
        for seed in range(4):
            case = eng.receive(
                sample_complaint(
                    seed,
                    workers=3,
                    amount="9000.00",
                    migrant_amount="0.00",
                    migrant_workers=0,
                    flags=[],
                    received_at=NOW.isoformat(),
                )
            )
            for event in ("verify", "handle", "file"):
                eng.act(case.id, event, actor="监察员")
            ids.append(case.id)
        clock.advance(days=120)
        sweep(eng)
        held = eng.notices(status="held")
        # investigation_overdue → county_office (email): held for the digest, one per case
        assert {n.case_id for n in held if n.rule_id == "investigation_overdue"} == set(ids)
        assert all(n.template == "超期预警" for n in held)
        assert eng.make_digests() == 1
        assert eng.make_digests() == 0  # idempotent for the day
        digests = [n for n in eng.notices() if n.template == "每日台账摘要"]
        assert len(digests) == 1
        assert len(digests[0].context["cases"]) == len(held)
        assert {n.status for n in eng.notices() if n.id in {h.id for h in held}} == {"digested"}
        text = eng.notice(digests[0].id).text
        assert text is not None
        assert "每日台账摘要" in text
        assert "超期" in text
        memory = MemoryNotifier()
        eng.deliver_notices({"email": memory, "log": memory, "file": memory})
        mails = [s for s in memory.sent if s.notice.template == "每日台账摘要"]
        assert len(mails) == 1
        assert mails[0].notice.address == "county@rsj.example.gov.cn"


def test_a_role_without_address_goes_to_the_log_and_says_so(db_url: str, pack: Path) -> None:
    with Engine.open(db_url, pack=pack, create=True, clock=FrozenClock(NOW)) as eng:
        install(eng, router=Router(environ={}))
        eng.receive(_major(4))
        city = [n for n in eng.notices() if n.recipient.startswith("city_office@")]
    assert {n.channel for n in city} == {"log"}
    # Both configured channels (email, webhook) fall back to the log: one copy there, its note
    # naming each channel that had no address — nothing lost, nothing sent twice.
    (logged,) = city
    assert logged.note is not None
    assert "ZQ_CITY" in logged.note
    assert "email" in logged.note
    assert "webhook" in logged.note


def test_division_specific_address_wins(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from zhiqian.rules.loader import load_pack

    pack = load_pack(write_pack(tmp_path, routing=OUTWARD_ROUTING, name="addr"))
    row = SimpleNamespace(region="140302", handling_region="140302", leader=None)
    router = Router(environ={"ZQ_CITY": "all@example.org", "ZQ_CITY_140300": "yq@example.org"})
    got = {r.channel: r.address for r in router.recipients(pack, row, "city_office")}
    assert got == {"email": "yq@example.org", "webhook": "yq@example.org"}
    assert router.recipients(pack, row, "city_office")[0].division == "140300"


def test_unique_key_makes_a_second_notice_impossible(engine: Engine) -> None:
    case = engine.receive(_major(5))
    before = len(engine.notices())
    assert before > 0
    with engine.tx.write() as conn:  # what a second daemon racing this one would try
        from zhiqian.engine.escalation import escalator_of

        escalator = escalator_of(engine)
        assert escalator is not None
        conn.execute(sa.text("DELETE FROM zq_escalations WHERE case_id = :c"), {"c": case.id})
        escalator.evaluate(engine, conn, case.id, engine.clock.now())
    assert len(engine.notices()) == before


def test_file_channel_writes_each_document_once(engine: Engine, tmp_path: Path) -> None:
    engine.receive(_major(6))
    assert engine.notices()
    folder = tmp_path / "out"
    notifier = FileNotifier(folder)
    assert engine.deliver_notices({"log": notifier, "file": notifier}).sent == len(engine.notices())
    assert len(list(folder.glob("*.txt"))) == len(engine.notices())
