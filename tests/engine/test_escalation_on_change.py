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
        # The rules propose 挂牌督办 and 领导包案; a person decides them, nothing is done yet.
        assert stored.supervised_by is None
        assert stored.leader is None
        proposed = [(e.event, e.rule_id) for e in stored.events if e.rule_id]
        assert ("propose_supervise", "supervise_major") in proposed
        assert ("propose_assign_leader", "leader_major") in proposed
        pending = {d.act: d for d in eng.decisions(major.id, status="pending")}
        assert {"supervise", "assign_leader"} <= set(pending)
        assert pending["supervise"].rule_id == "supervise_major"
        forms = [n for n in eng.notices() if n.case_id == major.id]
        assert {n.template for n in forms} == {"提请决定审批表"}
        eng.act(major.id, "verify", actor="a")
        again = eng.get(major.id)
        assert sorted(e.rule for e in again.escalations) == rules  # not fired a second time
        assert len(eng.decisions(major.id)) == len(pending)  # nor proposed twice
        # The city office approves: only now the case is supervised, and no rule fires again.
        eng.decide(
            major.id, pending["supervise"].id, "approve", actor="市局-陈", reason="同意挂牌督办"
        )
        done = eng.get(major.id)
        assert done.supervised_by == "city"
        assert sorted(e.rule for e in done.escalations) == rules
        assert eng.get(small.id).escalations == ()
        assert eng.decisions(small.id) == []
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
