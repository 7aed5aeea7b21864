"""``Engine.open(router=...)``: the escalator built into the engine uses the router given (its
leader directory and addresses) instead of an unconfigured default."""

from __future__ import annotations

from datetime import UTC, datetime

from zhiqian import Engine, FrozenClock
from zhiqian.engine.routing import LeaderDirectory, Person, Router
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _major(seed: int) -> dict[str, object]:
    """A case the national pack gives a leader on receipt (领导包案: 100+ workers)."""
    return sample_complaint(
        seed,
        workers=120,
        migrant_workers=100,
        amount="1500000.00",
        migrant_amount="1000000.00",
        received_at=NOW.isoformat(),
        flags=[],
    )


def test_the_router_given_names_the_leader(db_url: str) -> None:
    directory = LeaderDirectory({"140300": {"分管领导": Person("张局长")}})
    router = Router(environ={}, directory=directory)
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), router=router) as engine:
        assert engine.escalator is not None
        assert engine.escalator.router is router
        case = engine.receive(_major(1))
    assert case.leader is not None
    assert case.leader.startswith("张局长")


def test_without_a_router_nobody_is_named_from_a_directory(db_url: str) -> None:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW)) as engine:
        case = engine.receive(_major(2))
    assert case.leader is not None
    assert case.leader.endswith("（待指定）")  # the default router knows no one


def test_escalate_false_has_no_escalator_even_with_a_router(db_url: str) -> None:
    router = Router(environ={})
    with Engine.open(db_url, create=True, escalate=False, router=router) as engine:
        assert engine.escalator is None
        case = engine.receive(_major(3))
    assert case.leader is None
