"""The outbox's own contract, below the engine: which rows a claim takes and what it sets, the
fencing of outcomes, SKIP LOCKED between concurrent workers (PostgreSQL), the jobs run on a bare
bind with no ``Engine``, the default channels, and the pure decisions of ``domain.notices``."""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from _seed import FILE_ROUTING, write_pack

from zhiqian import Engine, FrozenClock, Refused
from zhiqian.engine.commands.notices import queue_notice, retry_notice
from zhiqian.engine.domain.notices import (
    backoff_delay,
    digest_due,
    digest_groups,
    quiet_until,
)
from zhiqian.engine.jobs.delivery import DeliveryPolicy, deliver, make_digests
from zhiqian.engine.queries.notices import list_notices, show_notice
from zhiqian.notifiers import FileNotifier, LogNotifier, MemoryNotifier, default_channels
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.loader import load_pack
from zhiqian.rules.schema import QuietHours
from zhiqian.store.outbox import (
    DEAD,
    HELD,
    PENDING,
    SENDING,
    SENT,
    NoticeRecord,
    Transactions,
    claim_due,
    get_notice,
    record_outcome,
    select_notices,
)
from zhiqian.store.tables import NoticeRow, table_of

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
LEASE = timedelta(minutes=5)
ROOT = Path(__file__).resolve().parents[2]
WARNING = {
    "employer_name": "阳泉市某建筑工程有限公司",
    "complainant_name": "张三",
    "complainant_phone": "13812345678",
    "complainant_id_number": None,
    "office_name": "阳泉市城区人力资源和社会保障局",
    "clock_label": "受理时限",
    "deadline": "2026-03-09",
    "days_left": 5,
    "basis": "劳动和社会保障部令第25号 第十八条",
    "issued_on": "2026-03-02",
    "handler_name": "李四",
}


class BindTx:
    """A transaction object over a bare SQLAlchemy engine: what a host could hand the jobs."""

    def __init__(self, bind: sa.Engine) -> None:
        self.bind = bind

    def write(self) -> AbstractContextManager[sa.Connection]:
        return self.bind.begin()

    def read(self) -> AbstractContextManager[sa.Connection]:
        return self.bind.connect()


@pytest.fixture
def bind(db_url: str) -> Iterator[sa.Engine]:
    # Engine.open with create=True brings the schema; then only the bare bind is used.
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        yield eng.bind


@pytest.fixture
def tx(bind: sa.Engine) -> Transactions:
    return BindTx(bind)


def _queue(
    tx: Transactions,
    n: int,
    *,
    channel: str = "log",
    hold: bool = False,
    recipient: str = "county_office@140302",
    at: datetime = NOW,
    first: int = 0,
) -> list[int]:
    ids = []
    with tx.write() as conn:
        for i in range(first, first + n):
            found = queue_notice(
                conn,
                case_id=None,
                case_ref=f"ZQ-T-{channel}-{recipient}-{i}",
                rule_id="acceptance_overdue",
                cycle_key=f"acceptance:{i}",
                template="超期预警",
                recipient=recipient,
                recipient_name="城区人社局",
                channel=channel,
                address="county@rsj.example.gov.cn",
                context=WARNING,
                now=at,
                hold=hold,
            )
            assert found is not None
            ids.append(found)
    return ids


def _set(tx: Transactions, notice_id: int, **values: Any) -> None:
    """Put a row in a state a test needs (what an earlier pass would have left)."""
    notices = table_of(NoticeRow)
    with tx.write() as conn:
        conn.execute(sa.update(notices).where(notices.c.id == notice_id).values(**values))


def _claim(tx: Transactions, at: datetime, worker: str, **kw: Any) -> list[NoticeRecord]:
    with tx.write() as conn:
        return list(
            claim_due(
                conn,
                now=at,
                limit=kw.pop("limit", 100),
                worker=worker,
                lease_until=at + LEASE,
                **kw,
            ).records
        )


def _row(tx: Transactions, notice_id: int) -> NoticeRecord:
    with tx.read() as conn:
        found = get_notice(conn, notice_id)
    assert found is not None
    return found


# -- the claim contract -------------------------------------------------------------------------


def test_claim_takes_due_pending_and_expired_leases_only(tx: Transactions) -> None:
    due, ahead, held_id, dead_id, expired, live = _queue(tx, 6)
    _set(tx, ahead, next_attempt_at=NOW + timedelta(minutes=1))
    _set(tx, held_id, status=HELD, next_attempt_at=None)
    _set(tx, dead_id, status=DEAD, next_attempt_at=None)
    _set(
        tx,
        expired,
        status=SENDING,
        claimed_by="gone:1",
        attempts=2,
        next_attempt_at=NOW - timedelta(seconds=1),
    )
    _set(
        tx,
        live,
        status=SENDING,
        claimed_by="busy:2",
        attempts=1,
        next_attempt_at=NOW + timedelta(seconds=30),
    )

    taken = _claim(tx, NOW, "w:1")

    # Oldest due first: the expired lease (due a second ago) before the new notice (due now).
    assert [r.id for r in taken] == [expired, due]
    for record in taken:
        assert (record.status, record.claimed_by, record.next_attempt_at) == (
            SENDING,
            "w:1",
            NOW + LEASE,
        )
        assert record == _row(tx, record.id)  # what came back is what was written
    assert [r.attempts for r in taken] == [3, 1]
    assert _row(tx, live).claimed_by == "busy:2"  # a live lease stays with its worker
    assert _row(tx, ahead).status == PENDING
    assert _claim(tx, NOW, "w:2") == []  # nothing left that is due


def test_claim_honours_the_limit_in_due_order(tx: Transactions) -> None:
    ids = _queue(tx, 5)
    _set(tx, ids[0], next_attempt_at=NOW - timedelta(minutes=1))
    first = _claim(tx, NOW, "w", limit=2)
    assert [r.id for r in first] == [ids[0], ids[1]]
    assert [r.id for r in _claim(tx, NOW, "w", limit=10)] == ids[2:]


def test_quiet_hours_defer_outward_channels_in_the_claim(tx: Transactions) -> None:
    log_id, mail_id = _queue(tx, 1, channel="log") + _queue(tx, 1, channel="email")
    end = NOW + timedelta(hours=8)
    with tx.write() as conn:
        claim = claim_due(
            conn, now=NOW, limit=10, worker="w", lease_until=NOW + LEASE, quiet_until=end
        )
    assert [r.id for r in claim.records] == [log_id]
    assert claim.deferred == 1
    waiting = _row(tx, mail_id)
    assert (waiting.status, waiting.next_attempt_at, waiting.attempts) == (PENDING, end, 0)


def test_an_outcome_is_fenced_by_worker_and_attempt(tx: Transactions) -> None:
    (notice_id,) = _queue(tx, 1)
    (first,) = _claim(tx, NOW, "slow:1")
    later = NOW + LEASE + timedelta(seconds=1)  # slow:1's lease has run out
    (second,) = _claim(tx, later, "fast:2")
    assert (second.claimed_by, second.attempts) == ("fast:2", 2)

    with tx.write() as conn:
        lost = record_outcome(
            conn, first, status=SENT, next_attempt_at=None, last_error=None, sent_at=later
        )
    assert lost is False
    assert _row(tx, notice_id).status == SENDING  # the late worker changed nothing
    with tx.write() as conn:
        won = record_outcome(
            conn,
            second,
            status=SENT,
            next_attempt_at=None,
            last_error=None,
            sent_at=later,
            remote_id="r-2",
        )
    assert won is True
    done = _row(tx, notice_id)
    assert (done.status, done.remote_id, done.sent_at) == (SENT, "r-2", later)
    with tx.write() as conn:  # a sent notice is no one's to overwrite
        assert not record_outcome(
            conn, second, status=DEAD, next_attempt_at=None, last_error="late"
        )


def test_the_attempt_fences_a_worker_from_its_own_earlier_claim(tx: Transactions) -> None:
    (notice_id,) = _queue(tx, 1)
    (stale,) = _claim(tx, NOW, "w:1")
    later = NOW + LEASE + timedelta(seconds=1)
    (fresh,) = _claim(tx, later, "w:1")  # the same worker name took it again after its lease
    with tx.write() as conn:
        assert not record_outcome(
            conn, stale, status=DEAD, next_attempt_at=None, last_error="old attempt"
        )
    assert _row(tx, notice_id) == fresh


@pytest.mark.postgres
def test_concurrent_claims_take_disjoint_rows_on_postgres(pg_url: str) -> None:
    with Engine.open(pg_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        tx = BindTx(eng.bind)
        ids = _queue(tx, 4)
        with eng.bind.begin() as one:  # worker 1 has claimed but not committed yet
            mine = claim_due(one, now=NOW, limit=2, worker="one", lease_until=NOW + LEASE)
            # Worker 2 neither waits for worker 1's locks nor takes its rows (were it to wait,
            # the lock timeout turns the hang into an error).
            with eng.bind.begin() as two:
                two.exec_driver_sql("SET LOCAL lock_timeout = '3s'")
                theirs = claim_due(two, now=NOW, limit=10, worker="two", lease_until=NOW + LEASE)
            assert [r.id for r in mine.records] == ids[:2]
            assert [r.id for r in theirs.records] == ids[2:]
        assert {_row(tx, i).claimed_by for i in ids} == {"one", "two"}


# -- the jobs and queries on a bare bind --------------------------------------------------------


def test_deliver_and_retry_run_on_any_transaction_object(tx: Transactions) -> None:
    pack = load_pack("national")
    ids = _queue(tx, 3, channel="memory")
    memory = MemoryNotifier()
    memory.fail_next(1, retryable=False, detail="address refused")
    report = deliver(tx, {"memory": memory}, pack=pack, now=NOW, worker="w", rng=random.Random(1))
    assert (report.sent, report.dead, report.retried) == (2, 1, 0)
    dead = list_notices(tx, status=DEAD)
    assert [n.id for n in dead] == [ids[0]]
    assert dead[0].last_error == "address refused"

    with tx.write() as conn:
        again = retry_notice(conn, ids[0], now=NOW)
    assert (again.status, again.attempts, again.claimed_by, again.next_attempt_at) == (
        PENDING,
        0,
        None,
        NOW,
    )
    with tx.write() as conn, pytest.raises(Refused, match="is sent"):
        retry_notice(conn, ids[1], now=NOW)
    assert deliver(tx, {"memory": memory}, pack=pack, now=NOW).sent == 1
    assert {n.status for n in list_notices(tx)} == {SENT}


def test_delivery_pass_stops_when_asked_and_leaves_the_rest_claimed(tx: Transactions) -> None:
    ids = _queue(tx, 3, channel="memory")
    memory = MemoryNotifier()
    asked = iter([False, False, True])  # before the batch, before notice 1, before notice 2
    report = deliver(
        tx,
        {"memory": memory},
        pack=load_pack("national"),
        now=NOW,
        worker="w",
        stop=lambda: next(asked, True),
    )
    assert report.sent == 1
    assert [_row(tx, i).status for i in ids] == [SENT, SENDING, SENDING]


def test_listing_filters_and_pages(tx: Transactions) -> None:
    ids = _queue(tx, 4)
    _set(tx, ids[1], status=DEAD)
    with tx.read() as conn:
        assert [r.id for r in select_notices(conn)] == ids[::-1]
        assert [r.id for r in select_notices(conn, status=DEAD)] == [ids[1]]
        assert [r.id for r in select_notices(conn, limit=2, offset=1)] == [ids[2], ids[1]]
        assert select_notices(conn, case_id=99) == []
        assert select_notices(conn, status=PENDING, case_id=99) == []
    with pytest.raises(ValueError, match="status must be one of"):
        list_notices(tx, status="bogus")
    with pytest.raises(Refused, match="no notice 999"):
        show_notice(tx, 999)
    shown = show_notice(tx, ids[0])
    assert shown.text is not None
    assert "超期预警" in shown.text


def test_digest_job_folds_held_warnings_per_recipient(tx: Transactions) -> None:
    pack = load_pack("national")
    a = _queue(tx, 2, channel="email", hold=True, recipient="county_office@140302")
    b = _queue(tx, 1, channel="email", hold=True, recipient="city_office@140300")
    later = _queue(tx, 1, channel="email", hold=True, at=NOW + timedelta(hours=1), first=2)
    made = make_digests(tx, now=NOW, tz=pack.timezone, calendar=LegalCalendar.default())
    assert made == 2
    statuses = {i: _row(tx, i).status for i in a + b + later}
    assert statuses == {a[0]: "digested", a[1]: "digested", b[0]: "digested", later[0]: HELD}
    digests = [n for n in list_notices(tx) if n.template == "每日台账摘要"]
    assert sorted(len(n.context["cases"]) for n in digests) == [1, 2]
    assert make_digests(tx, now=NOW, tz=pack.timezone, calendar=LegalCalendar.default()) == 0


# -- the facade's default channels --------------------------------------------------------------


def test_deliver_notices_without_channels_uses_the_default_ones(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        tx = BindTx(eng.bind)
        _queue(tx, 1, channel="file")
        _queue(tx, 1, channel="log")
        _queue(tx, 1, channel="email")
        report = eng.deliver_notices()
        assert (report.sent, report.dead) == (2, 1)  # no email channel unless configured
        (dead,) = eng.notices(status=DEAD)
        assert dead.channel == "email"
        assert "have: file, log" in (dead.last_error or "")
    assert len(list((tmp_path / "notices").glob("*.txt"))) == 1


def test_default_channels_are_log_and_file(tmp_path: Path) -> None:
    channels = default_channels(notice_dir=tmp_path / "out")
    assert sorted(channels) == ["file", "log"]
    assert isinstance(channels["log"], LogNotifier)
    assert isinstance(channels["file"], FileNotifier)
    assert channels["file"].folder == tmp_path / "out"


# -- pure decisions -----------------------------------------------------------------------------


def test_backoff_doubles_with_half_jitter_up_to_the_cap() -> None:
    rng = random.Random(3)
    for attempts, full in ((1, 30), (2, 60), (3, 120), (8, 600), (20, 600)):
        delay = backoff_delay(attempts, base=30, cap=600, rng=rng)
        assert full / 2 <= delay <= full
    assert backoff_delay(1, base=30, cap=600, rng=rng, retry_after=900) == 900
    policy = DeliveryPolicy(base_delay=30, max_delay=600)
    assert 15 <= policy.delay(1, random.Random(0), None) <= 30
    with pytest.raises(ValueError, match="max_attempts"):
        DeliveryPolicy(max_attempts=0)


def test_quiet_window_may_wrap_midnight() -> None:
    night = QuietHours.model_validate({"from": "22:00", "to": "08:00"})
    tz = load_pack("national").timezone
    at_23 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 local
    at_07 = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 local, the next day
    morning = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert quiet_until(night, at_23, tz) == morning
    assert quiet_until(night, at_07, tz) == morning
    assert quiet_until(night, NOW, tz) is None
    same = QuietHours.model_validate({"from": "08:00", "to": "08:00"})
    assert quiet_until(same, at_23, tz) is None


def test_digest_due_and_groups(tmp_path: Path) -> None:
    pack = load_pack("national")
    assert pack.routing.digest is not None
    at = datetime.combine(NOW.date(), time(8, 30), tzinfo=pack.timezone)  # 08:30 local
    assert digest_due(pack, at) is True
    assert digest_due(pack, at - timedelta(minutes=1)) is False
    without = load_pack(write_pack(tmp_path, routing=FILE_ROUTING))  # no digest configured
    assert digest_due(without, at) is False
    rows = [
        _held("a", "email", 1),
        _held("b", "email", 2),
        _held("a", "email", 3),
        _held("a", "log", 4),
    ]
    groups = [(key, [r.case_ref for r in g]) for key, g in digest_groups(rows)]
    assert groups == [(("a", "email"), ["1", "3"]), (("b", "email"), ["2"]), (("a", "log"), ["4"])]


def _held(recipient: str, channel: str, n: int) -> NoticeRecord:
    return NoticeRecord(
        id=n,
        case_id=None,
        case_ref=str(n),
        rule_id="r",
        cycle_key="c",
        template="超期预警",
        channel=channel,
        recipient=recipient,
        recipient_name="x",
        address="",
        subject="",
        context={},
        idempotency_key=str(n),
        status=HELD,
        attempts=0,
        next_attempt_at=None,
        claimed_by=None,
        last_error=None,
        note=None,
        digest_id=None,
        created_at=NOW,
        sent_at=None,
        remote_id=None,
    )


# -- the rooms' import rules, for the outbox's modules ------------------------------------------


def _imports(relative: str) -> set[str]:
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "module", ["engine/jobs/delivery.py", "engine/queries/notices.py", "engine/commands/notices.py"]
)
def test_outbox_modules_see_neither_the_facade_nor_the_edge(module: str) -> None:
    bad = {
        name
        for name in _imports(module)
        if name.startswith(
            (
                "zhiqian.engine.engine",
                "zhiqian.engine.service",
                "zhiqian.engine.cli",
                "zhiqian.engine.outbox",
            )
        )
    }
    assert bad == set()


def test_domain_notices_is_pure() -> None:
    found = _imports("engine/domain/notices.py")
    assert not {n for n in found if n.split(".")[0] in {"sqlalchemy", "os", "sqlmodel"}}
    assert not {n for n in found if n.startswith("zhiqian.store")}
