"""``Engine.open(router=...)``: the escalator built into the engine uses the router given (its
leader directory and addresses) instead of an unconfigured default: the leader a rule's 领导包案
proposal suggests to the head comes from that directory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhiqian import DecisionView, Engine, FrozenClock, Refused
from zhiqian.engine.routing import LeaderDirectory, Person, Router
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _major(seed: int) -> dict[str, object]:
    """A case whose 领导包案 the national pack proposes on receipt (100+ workers)."""
    return sample_complaint(
        seed,
        workers=120,
        migrant_workers=100,
        amount="1500000.00",
        migrant_amount="1000000.00",
        received_at=NOW.isoformat(),
        flags=[],
    )


def _leader_proposal(engine: Engine, case_id: int) -> DecisionView:
    (found,) = [d for d in engine.decisions(case_id, status="pending") if d.act == "assign_leader"]
    return found


def test_the_router_given_names_the_leader(db_url: str) -> None:
    directory = LeaderDirectory({"140300": {"分管领导": Person("张局长")}})
    router = Router(environ={}, directory=directory)
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), router=router) as engine:
        assert engine.escalator is not None
        assert engine.escalator.router is router
        case = engine.receive(_major(1))
        assert case.leader is None  # proposed to the head, not named yet
        proposal = _leader_proposal(engine, case.id)
        assert proposal.params["leader"] == "张局长"  # the directory's name, for the head
        engine.decide(case.id, proposal.id, "approve", actor="局长-李", reason="同意包案")
        assert engine.get(case.id).leader == "张局长"


def test_without_a_router_nobody_is_named_from_a_directory(db_url: str) -> None:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW)) as engine:
        case = engine.receive(_major(2))
        proposal = _leader_proposal(engine, case.id)
        assert "leader" not in proposal.params  # the default router knows no one
        # so the head names the leader when approving; without a name nothing is done
        with pytest.raises(Refused, match="leader"):
            engine.decide(case.id, proposal.id, "approve", actor="局长-李", reason="同意包案")
        assert engine.get(case.id).leader is None
        engine.decide(
            case.id,
            proposal.id,
            "approve",
            actor="局长-李",
            reason="同意包案",
            params={"leader": "副局长-赵"},
        )
        assert engine.get(case.id).leader == "副局长-赵"


def test_escalate_false_has_no_escalator_even_with_a_router(db_url: str) -> None:
    router = Router(environ={})
    with Engine.open(db_url, create=True, escalate=False, router=router) as engine:
        assert engine.escalator is None
        case = engine.receive(_major(3))
        assert engine.decisions(case.id) == []
    assert case.leader is None
