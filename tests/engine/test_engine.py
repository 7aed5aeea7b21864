"""The Engine on a real database: the same tests on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiqian import (
    CaseNotFound,
    ConflictError,
    DuplicateCase,
    Engine,
    FrozenClock,
    InvalidIntake,
    Refused,
    StoreError,
    TransitionRefused,
)
from zhiqian.store.database import create_engine
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HAPPY_PATH = ["verify", "handle", "paid", "close"]
_refs = itertools.count()


def open_core(target: str, **kwargs: Any) -> Engine:
    """The engine without escalation rules: these tests count events of the core alone
    (tests/engine/test_escalation_on_change.py and tests/daemon cover escalations)."""
    return Engine.open(target, escalate=False, **kwargs)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def engine(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with open_core(db_url, create=True, clock=clock) as eng:
        yield eng


def count_rows(eng: Engine, table: str) -> int:
    with eng.bind.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_receive_opens_a_case_with_its_first_event(engine: Engine) -> None:
    case = engine.receive(sample_complaint(1), actor="窗口-李")
    assert case.state == "accepted"
    assert case.state_label == "受理"
    assert case.version == 1
    assert [e.event for e in case.events] == ["received"]
    assert case.events[0].actor == "窗口-李"
    assert case.level == "county"
    assert case.handling_region == "140302"
    assert case.pack_name == "national"
    assert case.received_at.tzinfo is not None


def test_every_step_persists_and_reloads(db_url: str, clock: FrozenClock) -> None:
    """Persist → reload after every step: nothing survives in memory between steps."""
    with open_core(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(sample_complaint(2)).id
    expected_states = ["verifying", "handling", "reviewing", "closed"]
    for step, (event, state) in enumerate(zip(HAPPY_PATH, expected_states, strict=True), 2):
        clock.advance(hours=1)
        with open_core(db_url, clock=clock) as eng:
            eng.act(case_id, event, actor="监察员-王", reason=f"step {step}")
        with open_core(db_url, clock=clock) as eng:
            case = eng.get(case_id)
        assert case.state == state
        assert case.version == step
        assert len(case.events) == case.version
        assert case.events[-1].reason == f"step {step}"
        assert case.events[-1].from_state == expected_states[step - 3] if step > 2 else "accepted"
    assert case.closed_at == clock.now()


def test_suspend_and_resume_survive_a_reload(db_url: str, clock: FrozenClock) -> None:
    with open_core(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(sample_complaint(3)).id
        eng.act(case_id, "verify", actor="a")
        eng.act(case_id, "handle", actor="a")
        eng.act(case_id, "suspend", actor="a", reason="等待法院判决")
    with open_core(db_url, clock=clock) as eng:
        case = eng.act(case_id, "resume", actor="a")
    assert case.state == "handling"


def test_a_refused_transition_changes_nothing(engine: Engine) -> None:
    case = engine.receive(sample_complaint(4))
    with pytest.raises(TransitionRefused) as info:
        engine.act(case.id, "close", actor="a")
    assert (info.value.event, info.value.state, info.value.case) == ("close", "accepted", case.id)
    after = engine.get(case.id)
    assert after.version == 1
    assert after.state == "accepted"
    assert len(after.events) == 1


def test_unknown_case_and_missing_actor(engine: Engine) -> None:
    with pytest.raises(CaseNotFound) as info:
        engine.act(999, "verify", actor="a")
    assert isinstance(info.value, LookupError)
    case = engine.receive(sample_complaint(5))
    with pytest.raises(Refused, match="actor"):
        engine.act(case.id, "verify", actor="  ")


def test_times_must_be_aware_and_not_in_the_future(engine: Engine) -> None:
    case = engine.receive(sample_complaint(6))
    with pytest.raises(Refused, match="future"):
        engine.act(case.id, "verify", actor="a", at=NOW + timedelta(minutes=1))
    with pytest.raises(Refused, match="timezone"):
        engine.act(case.id, "verify", actor="a", at=datetime(2026, 11, 23, 9, 0))
    assert engine.get(case.id).version == 1


def test_invalid_intake_writes_nothing(engine: Engine) -> None:
    bad = sample_complaint(7, workers=3, migrant_workers=5, amount="-1")
    with pytest.raises(InvalidIntake) as info:
        engine.receive(bad)
    fields = {p.field for p in info.value.problems}
    assert {"migrant_workers", "amount"} <= fields
    assert count_rows(engine, "zq_cases") == 0
    assert count_rows(engine, "zq_events") == 0


def test_intake_in_the_future_is_rejected(engine: Engine) -> None:
    with pytest.raises(InvalidIntake) as info:
        engine.receive(sample_complaint(8, received_at=(NOW + timedelta(days=1)).isoformat()))
    assert info.value.field == "received_at"


def test_duplicate_ref_is_refused(engine: Engine) -> None:
    first = engine.receive(sample_complaint(9))
    with pytest.raises(DuplicateCase) as info:
        engine.receive(sample_complaint(9))
    assert info.value.existing == first.id
    assert count_rows(engine, "zq_cases") == 1


def test_a_batch_reports_per_record(engine: Engine) -> None:
    records = [
        sample_complaint(10),
        {**sample_complaint(11), "region": "999999"},
        sample_complaint(12),
        sample_complaint(10),
    ]
    results = engine.receive_many(records)
    assert [type(r).__name__ for r in results] == [
        "CaseView",
        "InvalidIntake",
        "CaseView",
        "DuplicateCase",
    ]
    bad = results[1]
    assert isinstance(bad, InvalidIntake)
    assert bad.record == 1
    assert bad.field == "region"
    assert count_rows(engine, "zq_cases") == 2


def test_expected_version_guards_a_stale_screen(engine: Engine) -> None:
    case = engine.receive(sample_complaint(13))
    engine.act(case.id, "verify", actor="clerk-1", expected_version=1)
    with pytest.raises(ConflictError) as info:
        engine.act(case.id, "dismiss", actor="clerk-2", expected_version=1)
    assert info.value.expected == 1
    assert engine.get(case.id).state == "verifying"


def test_concurrent_acts_on_one_case_exactly_one_wins(db_url: str, clock: FrozenClock) -> None:
    """Eight threads, each with its own engine, fire at once; the log stays consistent."""
    with open_core(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(sample_complaint(14)).id
    engines = [open_core(db_url, clock=clock) for _ in range(8)]
    barrier = threading.Barrier(len(engines))
    outcomes: list[str] = []

    def fire(eng: Engine) -> None:
        barrier.wait()
        try:
            eng.act(case_id, "verify", actor="t", expected_version=1)
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")
        except TransitionRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=fire, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.close()
    assert outcomes.count("won") == 1
    assert len(outcomes) == 8
    with open_core(db_url, clock=clock) as eng:
        case = eng.get(case_id)
        assert case.version == 2
        assert len(case.events) == 2
        assert eng.verify_audit() == []


def test_concurrent_different_events_keep_the_log_consistent(
    db_url: str, clock: FrozenClock
) -> None:
    """Without expected_version, losers are refused by the machine or lose the version race."""
    with open_core(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(sample_complaint(15)).id
    engines = [open_core(db_url, clock=clock) for _ in range(6)]
    barrier = threading.Barrier(len(engines))
    events = ["verify", "dismiss", "verify", "dismiss", "suspend", "verify"]
    won: list[str] = []

    def fire(eng: Engine, event: str) -> None:
        barrier.wait()
        try:
            eng.act(case_id, event, actor="t")
            won.append(event)
        except (ConflictError, TransitionRefused):
            pass

    threads = [threading.Thread(target=fire, args=a) for a in zip(engines, events, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.close()
    with open_core(db_url, clock=clock) as eng:
        case = eng.get(case_id)
        assert case.version == 1 + len(won)
        assert [e.event for e in case.events[1:]] == won or sorted(
            e.event for e in case.events[1:]
        ) == sorted(won)
        assert eng.verify_audit() == []


def test_query_filters_and_pages(engine: Engine) -> None:
    for seed in range(5):
        engine.receive(sample_complaint(100 + seed, region="140302"))
    for seed in range(3):
        engine.receive(sample_complaint(200 + seed, region="530102"))
    first = engine.query(region="140300", limit=2)
    assert first.total == 5
    assert len(first.items) == 2
    assert first.has_more
    rest = engine.query(region="140300", limit=2, offset=4)
    assert len(rest.items) == 1
    assert not rest.has_more
    assert engine.query(region="530000").total == 3
    assert engine.query(state="verifying").total == 0
    engine.act(first.items[0].id, "verify", actor="a")
    assert [c.id for c in engine.query(state="verifying").items] == [first.items[0].id]
    assert engine.query(level="county").total == 8
    with pytest.raises(ValueError, match="6-digit"):
        engine.query(region="14")


def test_audit_finds_an_edited_and_a_deleted_event(engine: Engine) -> None:
    a = engine.receive(sample_complaint(16)).id
    b = engine.receive(sample_complaint(17)).id
    for case_id in (a, b):
        engine.act(case_id, "verify", actor="a")
        engine.act(case_id, "handle", actor="a")
    assert engine.verify_audit() == []
    with engine.bind.begin() as conn:
        conn.execute(
            sa.text("UPDATE zq_events SET actor = 'mallory' WHERE case_id = :c AND seq = 2"),
            {"c": a},
        )
        conn.execute(sa.text("DELETE FROM zq_events WHERE case_id = :c AND seq = 3"), {"c": b})
    findings = engine.verify_audit()
    assert any(f"case {a}: event #2" in f and "altered" in f for f in findings)
    assert any(f"case {b}:" in f and "deleted" in f for f in findings)


def test_opening_without_schema_says_what_to_do(db_url: str) -> None:
    with pytest.raises(StoreError, match="db upgrade"):
        open_core(db_url)


def test_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        open_core("mysql://x@localhost/db")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.sampled_from(
            [
                "verify",
                "handle",
                "dismiss",
                "advance",
                "paid",
                "reopen",
                "close",
                "suspend",
                "resume",
            ]
        ),
        max_size=15,
    )
)
def test_random_sequences_keep_event_count_equal_to_version(
    engine: Engine, events: list[str]
) -> None:
    case = engine.receive(sample_complaint(0, ref=f"ZQ-H-{next(_refs)}"))
    for event in events:
        try:
            case = engine.act(case.id, event, actor="h")
        except TransitionRefused:
            continue
        assert case.state in engine.pack.lifecycle.state_ids
    stored = engine.get(case.id)
    assert len(stored.events) == stored.version
    assert stored.state == case.state


def test_a_host_session_commits_our_writes_with_its_own(db_url: str, clock: FrozenClock) -> None:
    from sqlalchemy.orm import Session

    zq = open_core(db_url, create=True, clock=clock)
    host_engine = create_engine(db_url)
    with host_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE host_tickets (id INTEGER PRIMARY KEY, case_id INTEGER)")
    # Rolled back by the host: nothing of ours remains either.
    with Session(host_engine) as session:
        case = zq.within(session).receive(sample_complaint(30))
        session.execute(sa.text("INSERT INTO host_tickets VALUES (1, :c)"), {"c": case.id})
        session.rollback()
    assert count_rows(zq, "zq_cases") == 0
    # Committed by the host: both are there; a refused act of ours leaves the host's work intact.
    with Session(host_engine) as session:
        view = zq.within(session)
        case = view.receive(sample_complaint(31))
        session.execute(sa.text("INSERT INTO host_tickets VALUES (2, :c)"), {"c": case.id})
        with pytest.raises(TransitionRefused):
            view.act(case.id, "close", actor="host")
        view.act(case.id, "verify", actor="host")
        session.commit()
    assert zq.get(case.id).state == "verifying"
    with host_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT case_id FROM host_tickets")).scalar_one() == case.id
    host_engine.dispose()
    zq.close()


def test_flag_action_adds_and_removes_facts(engine: Engine) -> None:
    case = engine.receive(sample_complaint(40, flags=[]))
    engine.act(case.id, "verify", actor="a")
    assert engine.act(case.id, "flag", actor="a", params={"flag": "arrears_3_months"}).flags == (
        "arrears_3_months",
    )
    with pytest.raises(Refused, match="unknown flag"):
        engine.act(case.id, "flag", actor="a", params={"flag": "rich"})
    after = engine.act(
        case.id, "flag", actor="a", params={"flag": "arrears_3_months", "remove": "true"}
    )
    assert after.flags == ()
    assert after.version == 4


def test_actions_on_a_closed_case_are_refused(engine: Engine) -> None:
    case = engine.receive(sample_complaint(41))
    engine.act(case.id, "dismiss", actor="a", reason="不属于劳动保障监察范围")
    with pytest.raises(TransitionRefused, match="closed"):
        engine.act(case.id, "file", actor="a")
    with pytest.raises(TransitionRefused, match="unknown event"):
        engine.act(case.id, "teleport", actor="a")
