"""The store's transaction object and claim contract: foreign errors enter our tree once, a
host's transaction is joined, and a claimed case belongs to one transaction at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from zhiqian import DuplicateCase, Engine, FrozenClock, StoreError
from zhiqian.store import cases as case_store
from zhiqian.store.database import create_engine
from zhiqian.store.timers import claim_due_cases, due_timers
from zhiqian.store.tx import Tx
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=400)  # every timer of a new case is due by then


def _engine_with_cases(url: str, n: int) -> Engine:
    engine = Engine.open(url, create=True, clock=FrozenClock(NOW), escalate=False)
    for seed in range(n):
        engine.receive(sample_complaint(seed, flags=[]))
    return engine


def test_a_violated_constraint_comes_out_as_store_error(db_url: str) -> None:
    with _engine_with_cases(db_url, 1) as engine:
        tx = Tx(engine.bind)
        copy = sa.text("INSERT INTO zq_events SELECT * FROM zq_events")  # ids taken
        with pytest.raises(StoreError, match="refused the write") as caught, tx.write() as conn:
            conn.execute(copy)
        assert isinstance(caught.value.__cause__, sa.exc.IntegrityError)


def test_our_own_errors_pass_through_unchanged(db_url: str) -> None:
    with _engine_with_cases(db_url, 1) as engine:
        case = engine.get(1, history=False)
        with pytest.raises(DuplicateCase), engine.tx.write() as conn:
            case_store.insert_case(conn, {"ref": case.ref})


def test_an_unreachable_database_is_a_store_error() -> None:
    tx = Tx(create_engine("postgresql://nobody@127.0.0.1:9/none"))
    with pytest.raises(StoreError, match="cannot be used"), tx.read() as conn:
        conn.execute(sa.text("SELECT 1"))


def test_within_joins_the_hosts_transaction(db_url: str) -> None:
    with _engine_with_cases(db_url, 1) as engine, engine.bind.connect() as host:
        host.begin()
        with engine.tx.within(host).write() as conn:
            assert conn is host
            case_store.set_head(conn, 1, "f" * 64)
        host.rollback()  # the host decides: our write goes with its transaction
        with engine.tx.read() as conn:
            found = case_store.get_case(conn, 1)
        assert found is not None
        assert found.head_hash != "f" * 64


@pytest.mark.postgres
def test_a_claimed_case_is_skipped_by_a_second_claimer(pg_url: str) -> None:
    with _engine_with_cases(pg_url, 3) as engine:
        first, second = engine.bind.connect(), engine.bind.connect()
        try:
            first.begin()
            second.begin()
            mine = claim_due_cases(first, LATER, 2)
            assert mine == [1, 2]  # oldest due first, at most the limit, sorted
            theirs = claim_due_cases(second, LATER, 10)
            assert theirs == [3]  # locked cases skipped, not waited for
            assert due_timers(first, 1, LATER)  # nothing was marked by the claim itself
            first.rollback()  # a claim ends with its transaction
            assert claim_due_cases(first, LATER, 10, skip={3}) == [1, 2]
        finally:
            first.close()
            second.close()


def test_sqlite_claims_every_case_under_begin_immediate(sqlite_url: str) -> None:
    with _engine_with_cases(sqlite_url, 3) as engine, engine.tx.write() as conn:
        assert claim_due_cases(conn, LATER, 10) == [1, 2, 3]
        assert claim_due_cases(conn, LATER, 10, skip={2}) == [1, 3]
        before = datetime(2026, 1, 1, tzinfo=UTC)  # before any complaint was received
        assert claim_due_cases(conn, before, 10) == []
