"""Rules triggered by case data fire on the change itself (no sweep needed), once."""

from __future__ import annotations

from datetime import UTC, datetime

from zhiqian import Engine, FrozenClock
from zhiqian.testing import sample_complaint


def test_a_major_case_escalates_on_receipt_and_only_once(db_url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    with Engine.open(db_url, create=True, clock=clock) as eng:
        major = eng.receive(
            sample_complaint(
                1,
                workers=120,
                migrant_workers=110,
                amount="2400000.00",
                migrant_amount="2200000.00",
                flags=["collective"],
            )
        )
        small = eng.receive(
            sample_complaint(
                2,
                workers=2,
                migrant_workers=2,
                amount="8000.00",
                migrant_amount="8000.00",
                flags=[],
            )
        )
        stored = eng.get(major.id)
        rules = sorted(e.rule for e in stored.escalations)
        assert "supervise_major" in rules
        assert "leader_major" in rules
        assert stored.supervised_by is not None
        assert stored.leader is not None
        assert any(e.rule_id == "supervise_major" for e in stored.events)
        eng.act(major.id, "verify", actor="a")
        again = eng.get(major.id)
        assert sorted(e.rule for e in again.escalations) == rules  # not fired a second time
        assert eng.get(small.id).escalations == ()
        assert eng.verify_audit() == []


def test_escalate_false_leaves_the_rules_to_the_host(db_url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    with Engine.open(db_url, create=True, clock=clock, escalate=False) as eng:
        case = eng.receive(
            sample_complaint(
                3,
                workers=150,
                migrant_workers=150,
                amount="3000000.00",
                migrant_amount="3000000.00",
            )
        )
        assert eng.get(case.id).escalations == ()
        assert eng.get(case.id).version == 1
