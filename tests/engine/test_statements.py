"""The hot path's statement budget (``zhiqian.engine.commands.change``), counted on both
databases with a ``before_cursor_execute`` listener: one ``act()`` is one load (case, clocks),
one guarded ``UPDATE``, one event, the clocks that moved, the escalator's one read of the rules
already fired — and no ``SELECT`` of the case after its ``UPDATE``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from zhiqian import Engine, FrozenClock
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HAPPY_PATH = ["verify", "handle", "paid", "close"]
_NOT_STATEMENTS = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)


def _small(seed: int) -> dict[str, Any]:
    """A case no escalation rule holds for: two workers, a small sum, no flags."""
    return sample_complaint(
        seed, workers=2, migrant_workers=0, amount="3000", migrant_amount="0", flags=[]
    )


@contextmanager
def statements(bind: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (transaction control left out)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if not _NOT_STATEMENTS.match(text):
            sent.append(text)

    sa.event.listen(bind, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(bind, "before_cursor_execute", record)


def _kind(statement: str) -> str:
    """``SELECT zq_cases``, ``UPDATE zq_clocks``, … : the verb and the first table named."""
    verb = statement.split(" ", 1)[0].upper()
    table = re.search(r"\b(zq_\w+)", statement)
    return f"{verb} {table.group(1) if table else '?'}"


def _budget_holds(sent: list[str], *, escalating: bool) -> None:
    kinds = [_kind(s) for s in sent]
    update = kinds.index("UPDATE zq_cases")
    assert kinds[:update].count("SELECT zq_cases") == 1, kinds  # one load of the case …
    assert kinds.count("SELECT zq_clocks") == 1, kinds  # … and of its clocks
    assert "SELECT zq_cases" not in kinds[update:], kinds  # nothing re-reads what was written
    assert kinds.count("UPDATE zq_cases") == 1, kinds
    assert kinds.count("INSERT zq_events") == 1, kinds
    clocks = kinds.count("UPDATE zq_clocks") + kinds.count("INSERT zq_clocks")
    assert kinds.count("DELETE zq_timers") <= clocks, kinds
    assert kinds.count("INSERT zq_timers") <= clocks, kinds
    assert kinds.count("SELECT zq_escalations") == (1 if escalating else 0), kinds
    assert "INSERT zq_escalations" not in kinds, kinds  # no rule fired on this walk
    budget = 4 + 3 * clocks + (1 if escalating else 0)
    assert len(sent) <= budget, kinds
    allowed = {
        "SELECT zq_cases",
        "SELECT zq_clocks",
        "UPDATE zq_cases",
        "INSERT zq_events",
        "UPDATE zq_clocks",
        "INSERT zq_clocks",
        "DELETE zq_timers",
        "INSERT zq_timers",
        "SELECT zq_escalations",
    }
    assert set(kinds) <= allowed, kinds


@pytest.mark.parametrize("escalating", [False, True], ids=["core", "escalating"])
def test_act_stays_within_its_statement_budget(db_url: str, escalating: bool) -> None:
    clock = FrozenClock(NOW)
    with Engine.open(db_url, create=True, clock=clock, escalate=escalating) as engine:
        # a small case: no escalation rule holds on the happy path
        case = engine.receive(_small(7))
        moved = 0
        for event in HAPPY_PATH:
            with statements(engine.bind) as sent:
                after = engine.act(case.id, event, actor="科员-王")
            # a closed case does not escalate: the escalator reads nothing for it
            _budget_holds(sent, escalating=escalating and after.closed_at is None)
            moved += sum(_kind(s) in ("UPDATE zq_clocks", "INSERT zq_clocks") for s in sent)
            # act() returns the case as written, with its clocks: the same as a fresh read
            fresh = engine.get(case.id)
            assert after.version == fresh.version
            assert after.state == fresh.state
            assert after.updated_at == fresh.updated_at
            assert [(c.id, c.status, c.deadline) for c in after.clocks] == [
                (c.id, c.status, c.deadline) for c in fresh.clocks
            ]
        assert fresh.state == "closed"
        assert moved > 0  # the walk did move clocks: the per-clock part was counted


def test_a_rule_firing_inside_act_reads_nothing_back(db_url: str) -> None:
    """A rule that acts (提级, 领导包案 …) chains its changes on what each one wrote."""
    clock = FrozenClock(NOW)
    with Engine.open(db_url, create=True, clock=clock) as engine:
        case = engine.receive(_small(8))
        engine.act(case.id, "verify", actor="科员-王")
        with statements(engine.bind) as sent:
            after = engine.act(
                case.id,
                "flag",
                actor="科员-王",
                params={"flag": "collective"},
            )
        kinds = [_kind(s) for s in sent]
        fired = kinds.count("INSERT zq_escalations")
        update = kinds.index("UPDATE zq_cases")
        assert "SELECT zq_cases" not in kinds[update:], kinds
        assert kinds.count("SELECT zq_clocks") == 1, kinds
        assert after.version == engine.get(case.id).version
        assert fired >= 1, kinds  # the flag made a rule hold: the test covers a firing
