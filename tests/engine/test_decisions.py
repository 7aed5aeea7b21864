"""Acts the law reserves to a person: a rule proposes, a named person decides, only then the act.

The walk of issue 10 on both databases: screening → pending decision → approval → 移送书 number
→ police filing; and a rejection, which performs nothing and counts nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from zhiqian import DecisionView, Engine, FrozenClock, InvalidIntake, Refused, UnknownName
from zhiqian.testing import sample_complaint

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # Monday 09:30 in Beijing


def _crime_case(eng: Engine, clock: FrozenClock, seed: int = 1) -> int:
    """12 workers owed 86,000 yuan; the 责令支付 order's period passes unpaid."""
    case_id = eng.receive(
        sample_complaint(
            seed,
            workers=12,
            migrant_workers=12,
            amount="86000.00",
            migrant_amount="86000.00",
            flags=[],
            received_at=clock.now().isoformat(),
        )
    ).id
    for event in ("verify", "handle", "file"):
        clock.advance(hours=1)
        eng.act(case_id, event, actor="监察员-王")
    eng.act(
        case_id,
        "order_payment",
        actor="监察员-王",
        params={"within": "5 workdays", "doc_no": "郊人社监令〔2026〕7号"},
    )
    clock.advance(days=10)
    eng.sweep()
    return case_id


def _referral(eng: Engine, case_id: int) -> DecisionView:
    (found,) = [d for d in eng.decisions(case_id, status="pending") if d.act == "refer_police"]
    return found


def test_screening_proposes_a_referral_and_does_nothing_else(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case_id = _crime_case(eng, clock)
        case = eng.get(case_id)
        assert case.police_referred_at is None  # screened, not referred
        pending = _referral(eng, case_id)
        assert pending.rule_id == "crime_screen"
        assert pending.decider == "负责人"
        assert pending.decider_division == case.handling_region
        # 国务院令第310号 第五条: three days from the report, on its own clock
        clocks = {c.id: c for c in case.clocks}
        assert clocks["referral_decision"].status in ("running", "warned")
        assert pending.due_at == clocks["referral_decision"].deadline
        events = [e.event for e in case.events]
        assert "propose_refer_police" in events
        assert "refer_police" not in events
        assert pending.id in {d.id for d in eng.decisions(status="pending", office="140000")}
        assert eng.verify_audit() == []


def test_approval_performs_the_referral_numbers_it_and_police_file(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        first = _crime_case(eng, clock, seed=1)
        second = _crime_case(eng, clock, seed=2)
        clock.advance(hours=2)
        ids = [_referral(eng, c).id for c in (first, second)]
        decided = [
            eng.decide(
                c, d, "approve", actor="局长-李明", reason="涉嫌拒不支付劳动报酬罪，同意移送"
            )
            for c, d in zip((first, second), ids, strict=True)
        ]
        assert [d.status for d in decided] == ["approved", "approved"]
        assert decided[0].decided_by == "局长-李明"
        assert decided[0].decided_at == clock.now()
        year = clock.now().year
        assert decided[0].document_no == f"城区人社移〔{year}〕1号"
        assert decided[1].document_no == f"城区人社移〔{year}〕2号"
        case = eng.get(first)
        assert case.police_referred_at == clock.now()
        steps = [(e.event, e.actor) for e in case.events][-2:]
        assert steps == [("approve_refer_police", "局长-李明"), ("refer_police", "局长-李明")]
        act = case.events[-1]
        assert act.payload["decision"] == ids[0]
        assert act.payload["document_no"] == decided[0].document_no
        clocks = {c.id: c for c in case.clocks}
        assert clocks["referral_decision"].status == "stopped"
        assert clocks["referral_transfer"].status == "running"  # 24 hours to hand it over
        # Deciding twice is refused, and writes nothing.
        with pytest.raises(Refused, match="nothing left to decide"):
            eng.decide(first, ids[0], "reject", actor="局长-李明", reason="再议")
        assert eng.get(first).version == case.version
        clock.advance(hours=3)
        eng.act(first, "police_received", actor="监察员-王")
        eng.act(first, "police_filed", actor="监察员-王", params={"no": "阳公刑立字〔2026〕12号"})
        # The documents: the 移送审批表 went to the head with the proposal; the numbered
        # 移送书, with the approver and the day of the decision, only after the approval.
        mine = [n for n in eng.notices() if n.case_id == first]
        templates = [n.template for n in mine]
        assert "移送审批表" in templates
        letters = [n for n in mine if n.template == "涉嫌犯罪案件移送书"]
        assert sorted(n.channel for n in letters) == ["file", "log"]  # one copy per channel
        text = eng.notice(letters[0].id).text or ""
        assert decided[0].document_no in text
        assert "草稿" not in text
        assert "批准" in text
        day = clock.now().astimezone(ZoneInfo("Asia/Shanghai"))
        assert f"{day.year}年{day.month}月{day.day}日" in text
        filed = eng.get(first).events[-1]
        assert (filed.event, filed.at) == ("police_filed", clock.now())
        assert eng.verify_audit() == []


def test_rejection_performs_nothing_and_records_why(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case_id = _crime_case(eng, clock)
        pending = _referral(eng, case_id)
        with pytest.raises(InvalidIntake, match="reason"):
            eng.decide(case_id, pending.id, "reject", actor="局长-李明", reason="  ")
        rejected = eng.decide(
            case_id, pending.id, "reject", actor="局长-李明", reason="用人单位已足额支付，不予移送"
        )
        assert rejected.status == "rejected"
        assert rejected.reason == "用人单位已足额支付，不予移送"
        assert rejected.document_no is None
        case = eng.get(case_id)
        assert case.police_referred_at is None
        last = case.events[-1]
        assert (last.event, last.actor, last.reason) == (
            "reject_refer_police",
            "局长-李明",
            "用人单位已足额支付，不予移送",
        )
        clocks = {c.id: c for c in case.clocks}
        assert clocks["referral_decision"].status == "stopped"
        assert "referral_transfer" not in clocks
        mine = [n.template for n in eng.notices() if n.case_id == case_id]
        assert "移送审批表" in mine
        assert "涉嫌犯罪案件移送书" not in mine  # rejected: no letter to the police
        assert all(d.act != "refer_police" for d in eng.decisions(status="pending"))


def test_a_person_cannot_perform_a_reserved_act_directly(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(sample_complaint(3, flags=[], received_at=START.isoformat())).id
        version = eng.get(case_id).version
        for act in ("refer_police", "supervise", "raise_level", "blacklist", "assign_leader"):
            with pytest.raises(Refused, match="case decide"):
                eng.act(case_id, act, actor="监察员-王", params={"by": "city", "leader": "张三"})
        for step in ("propose_supervise", "approve_refer_police", "reject_raise_level"):
            with pytest.raises(Refused, match="only by a decision"):
                eng.act(case_id, step, actor="监察员-王")
        assert eng.get(case_id).version == version


def test_a_clerk_proposes_and_the_higher_office_decides(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case_id = eng.receive(
            sample_complaint(
                4,
                flags=[],
                workers=3,
                migrant_workers=3,
                amount="20000.00",
                migrant_amount="20000.00",
                received_at=START.isoformat(),
            )
        ).id
        proposed = eng.propose(
            case_id,
            "supervise",
            actor="监察员-王",
            reason="一时难以解决，提请上级督办",
            params={"by": "city"},
        )
        assert (proposed.status, proposed.decider_division) == ("pending", "140300")
        assert eng.get(case_id).supervised_by is None
        with pytest.raises(Refused, match="waits for a decision already"):
            eng.propose(
                case_id, "supervise", actor="监察员-王", reason="再次提请", params={"by": "city"}
            )
        with pytest.raises(UnknownName):
            eng.decide(case_id, proposed.id + 99, "approve", actor="市局-陈", reason="同意")
        eng.decide(case_id, proposed.id, "approve", actor="市局局长-陈", reason="同意挂牌督办")
        assert eng.get(case_id).supervised_by == "city"
        leader = eng.propose(
            case_id,
            "assign_leader",
            actor="监察员-王",
            reason="重大案件",
            params={"role": "分管领导"},
        )
        with pytest.raises(Refused, match="leader"):
            eng.decide(case_id, leader.id, "approve", actor="局长-李明", reason="同意")
        eng.decide(
            case_id,
            leader.id,
            "approve",
            actor="局长-李明",
            reason="同意",
            params={"leader": "副局长-赵"},
        )
        assert eng.get(case_id).leader == "副局长-赵"


def test_an_undecided_referral_escalates_like_any_clock(db_url: str) -> None:
    clock = FrozenClock(START)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case_id = _crime_case(eng, clock)
        pending = _referral(eng, case_id)
        assert pending.due_at is not None
        clock.set(pending.due_at + timedelta(hours=1))
        eng.sweep()
        case = eng.get(case_id)
        clocks = {c.id: c for c in case.clocks}
        assert clocks["referral_decision"].status == "breached"
        fired = {e.rule for e in case.escalations}
        assert "decision_overdue" in fired
        # a reminder, not a decision: the referral still waits and nothing was referred
        assert case.police_referred_at is None
        assert _referral(eng, case_id).status == "pending"
        reminders = [n for n in eng.notices() if n.rule_id == "decision_overdue"]
        assert reminders


def test_column_19_counts_approved_referrals_and_column_20_police_filings(db_url: str) -> None:
    from zhiqian.engine.reports import campaign_report

    clock = FrozenClock(START)

    def form(eng: Engine) -> Any:
        return campaign_report(
            eng.report_cases(),
            period_from=START.date(),
            period_to=(clock.now() + timedelta(days=1)).date(),
            unit_name="阳泉市城区人力资源和社会保障局",
            made_at=clock.now(),
        )

    with Engine.open(db_url, create=True, clock=clock) as eng:
        approved = _crime_case(eng, clock, seed=5)
        rejected = _crime_case(eng, clock, seed=6)
        total = form(eng).row("total")
        assert (total.figure(19), total.figure(20)) == (0, 0)  # screened is not referred
        eng.decide(
            approved, _referral(eng, approved).id, "approve", actor="局长-李明", reason="同意"
        )
        eng.decide(
            rejected, _referral(eng, rejected).id, "reject", actor="局长-李明", reason="已支付"
        )
        total = form(eng).row("total")
        assert (total.figure(19), total.figure(20)) == (1, 0)
        clock.advance(hours=2)
        eng.act(approved, "police_received", actor="监察员-王")
        eng.act(approved, "police_filed", actor="监察员-王")
        total = form(eng).row("total")
        assert (total.figure(19), total.figure(20)) == (1, 1)
