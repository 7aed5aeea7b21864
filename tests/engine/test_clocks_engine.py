"""Clocks of the shipped packs driven through the Engine: deadlines, pauses, extensions,
actions, overdue, explain and recompute. Expected dates are counted independently here with
chinese_calendar, not with the code under test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import sqlalchemy as sa

from zhiqian import Engine, ExtensionRefused, FrozenClock, Refused
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.limits import parse_limit
from zhiqian.testing import approve_act, sample_complaint

CST = ZoneInfo("Asia/Shanghai")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=CST).astimezone(UTC)


def nth_workday_after(start: date, n: int, skip: frozenset[date] = frozenset()) -> date:
    d, counted = start, 0
    while counted < n:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d) and d not in skip:
            counted += 1
    return d


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(cst(2026, 1, 30, 9, 0))


@pytest.fixture
def engine(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=clock) as eng:
        yield eng


def clock_of(engine: Engine, case_id: int, clock_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in engine.get(case_id).clocks if c.id == clock_id)


def test_acceptance_runs_five_working_days_across_spring_festival(
    engine: Engine, clock: FrozenClock
) -> None:
    clock.set(cst(2026, 2, 13, 11, 0))
    case = engine.receive(sample_complaint(1, received_at=cst(2026, 2, 13, 10, 0)))
    acceptance = clock_of(engine, case.id, "acceptance")
    # LAW.md §1I worked example: Fri 2026-02-13 + 5 WD → Fri 2026-02-27 (Sat 02-14 counts).
    assert acceptance.deadline == end_of(date(2026, 2, 27))
    assert acceptance.status == "running"
    assert not acceptance.assumed
    text = "\n".join(acceptance.trace)
    assert "调休上班：2026-02-14 周六" in text
    assert "春节" in text
    engine.act(case.id, "verify", actor="a")
    assert clock_of(engine, case.id, "acceptance").status == "stopped"


def test_investigation_starts_on_filing_and_extends_within_its_bound(
    engine: Engine, clock: FrozenClock
) -> None:
    case = engine.receive(sample_complaint(2, received_at=cst(2026, 1, 30, 8, 0)))
    engine.act(case.id, "verify", actor="a")
    assert "investigation" not in {c.id for c in engine.get(case.id).clocks}
    engine.act(case.id, "file", actor="监察员")
    investigation = clock_of(engine, case.id, "investigation")
    # LAW.md §1I: 立案 Fri 2026-01-30 + 60 WD → Wed 2026-05-06.
    assert investigation.deadline == end_of(date(2026, 5, 6))
    assert investigation.deadline == end_of(nth_workday_after(date(2026, 1, 30), 60))

    with pytest.raises(ExtensionRefused, match="approval"):
        engine.act(
            case.id,
            "extend",
            actor="a",
            params={"clock": "investigation", "by": "30 workdays", "reason": "复杂"},
        )
    with pytest.raises(ExtensionRefused, match="exceed"):
        engine.act(
            case.id,
            "extend",
            actor="a",
            params={
                "clock": "investigation",
                "by": "31 workdays",
                "approver": "局长",
                "reason": "复杂",
            },
        )
    engine.act(
        case.id,
        "extend",
        actor="a",
        params={
            "clock": "investigation",
            "by": "20 workdays",
            "approver": "局长",
            "reason": "涉案人数多",
        },
    )
    assert clock_of(engine, case.id, "investigation").deadline == end_of(
        nth_workday_after(date(2026, 1, 30), 80)
    )
    with pytest.raises(ExtensionRefused, match="20 \\+ 11"):
        engine.act(
            case.id,
            "extend",
            actor="a",
            params={
                "clock": "investigation",
                "by": "11 workdays",
                "approver": "局长",
                "reason": "再延",
            },
        )
    engine.act(
        case.id,
        "extend",
        actor="a",
        params={
            "clock": "investigation",
            "by": "10 workdays",
            "approver": "局长",
            "reason": "再延",
        },
    )
    final = clock_of(engine, case.id, "investigation")
    assert final.deadline == end_of(nth_workday_after(date(2026, 1, 30), 90))
    events = [e.event for e in engine.get(case.id).events]
    assert events.count("extend") == 2  # refused extensions wrote nothing


def test_suspension_pauses_and_excludes_the_paused_days(engine: Engine, clock: FrozenClock) -> None:
    case = engine.receive(sample_complaint(3, received_at=cst(2026, 1, 30, 8, 0)))
    for event in ("verify", "file", "handle"):
        engine.act(case.id, event, actor="a")
    before = clock_of(engine, case.id, "investigation").deadline
    clock.set(cst(2026, 3, 9, 10, 0))
    engine.act(case.id, "suspend", actor="a", reason="等待法院判决")
    paused = clock_of(engine, case.id, "investigation")
    assert paused.status == "paused"
    assert paused.deadline is None
    clock.set(cst(2026, 3, 12, 10, 0))
    engine.act(case.id, "resume", actor="a")
    after = clock_of(engine, case.id, "investigation")
    # The closes of Mon 03-09, Tue 03-10 and Wed 03-11 fell in the pause: 3 working days.
    skipped = frozenset({date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)})
    assert after.deadline == end_of(nth_workday_after(date(2026, 1, 30), 60, skipped))
    assert before is not None
    assert after.deadline is not None
    assert after.deadline > before
    assert any("中止" in line for line in after.trace)


def test_suspending_an_undecided_complaint_pauses_acceptance(
    engine: Engine, clock: FrozenClock
) -> None:
    clock.set(cst(2026, 3, 2, 9, 0))
    case = engine.receive(sample_complaint(4, received_at=cst(2026, 3, 2, 9, 0)))
    engine.act(case.id, "suspend", actor="a", reason="补正投诉材料")
    assert clock_of(engine, case.id, "acceptance").status == "paused"
    clock.set(cst(2026, 3, 4, 9, 0))
    engine.act(case.id, "resume", actor="a")
    acceptance = clock_of(engine, case.id, "acceptance")
    skipped = frozenset({date(2026, 3, 2), date(2026, 3, 3)})
    assert acceptance.deadline == end_of(nth_workday_after(date(2026, 3, 2), 5, skipped))


def test_order_payment_due_date_and_police_referral_preconditions(
    engine: Engine, clock: FrozenClock
) -> None:
    record = sample_complaint(
        5,
        received_at=cst(2026, 1, 30, 8, 0),
        workers=25,
        migrant_workers=20,
        amount="186000.00",
        migrant_amount="150000.00",
    )
    case = engine.receive(record)
    for event in ("verify", "file", "handle"):
        engine.act(case.id, event, actor="a")

    def propose() -> None:
        engine.propose(case.id, "refer_police", actor="a", reason="逾期未支付，提请移送")

    version = engine.get(case.id).version
    with pytest.raises(Refused, match="no 责令支付 order"):
        propose()
    clock.set(cst(2026, 2, 2, 10, 0))
    engine.act(case.id, "order_payment", actor="a", params={"due": "2026-02-10"})
    order = clock_of(engine, case.id, "order_payment")
    assert order.deadline == end_of(date(2026, 2, 10))
    with pytest.raises(Refused, match="has not passed"):
        propose()
    assert engine.get(case.id).version == version + 1  # the order only: refusals write nothing
    clock.set(cst(2026, 2, 11, 9, 0))
    assert clock_of(engine, case.id, "order_payment").status == "breached"
    with pytest.raises(Refused, match="case decide"):
        engine.act(case.id, "refer_police", actor="a", reason="逾期未支付")  # not by a clerk
    proposed = engine.propose(case.id, "refer_police", actor="a", reason="逾期未支付")
    assert engine.get(case.id).police_referred_at is None  # proposed, not referred
    assert clock_of(engine, case.id, "referral_decision").status == "running"
    clock.set(cst(2026, 2, 11, 15, 0))
    engine.decide(case.id, proposed.id, "approve", actor="局长-李明", reason="同意移送")
    assert engine.get(case.id).police_referred_at == clock.now()
    assert clock_of(engine, case.id, "referral_decision").status == "stopped"


def test_raise_level_walks_up_the_division_codes(engine: Engine) -> None:
    case = engine.receive(sample_complaint(6, received_at=cst(2026, 1, 30, 8, 0)))
    engine.act(case.id, "verify", actor="a")
    # Each 提级 is decided by the office above the one handling the case.
    assert approve_act(engine, case.id, "raise_level").decider_division == "140300"
    assert engine.get(case.id).handling_region == "140300"
    assert approve_act(engine, case.id, "raise_level").decider_division == "140000"
    up = engine.get(case.id)
    assert (up.handling_region, up.level) == ("140000", "province")
    with pytest.raises(Refused, match="province level"):
        approve_act(engine, case.id, "raise_level")
    assert engine.get(case.id).version == up.version
    raised = [e for e in up.events if e.event == "raise_level"]
    assert [e.payload["to_name"] for e in raised] == ["山西省 阳泉市", "山西省"]


def test_overdue_lists_breached_clocks_most_overdue_first(
    engine: Engine, clock: FrozenClock
) -> None:
    # Small cases (no rule proposes anything on receipt): only their acceptance clocks run.
    def small(seed: int, at: datetime) -> dict[str, object]:
        return sample_complaint(
            seed,
            received_at=at,
            workers=2,
            migrant_workers=2,
            amount="8000.00",
            migrant_amount="8000.00",
            flags=[],
        )

    first = engine.receive(small(7, cst(2026, 1, 30, 8, 0)))
    clock.set(cst(2026, 2, 2, 9, 0))
    second = engine.receive(small(8, cst(2026, 2, 2, 8, 0)))
    engine.act(second.id, "verify", actor="a")  # stops its acceptance clock
    clock.set(cst(2026, 2, 3, 9, 0))
    third = engine.receive(small(9, cst(2026, 2, 3, 8, 0)))
    assert engine.decisions() == []
    assert engine.overdue() == []
    later = cst(2026, 2, 20, 9, 0)
    clock.set(later)
    items = engine.overdue()
    assert [(i.case_id, i.clock) for i in items] == [
        (first.id, "acceptance"),
        (third.id, "acceptance"),
    ]
    assert items[0].overdue_by > items[1].overdue_by > timedelta(0)
    assert items[0].workdays_left is not None
    assert items[0].workdays_left < 0
    soon = engine.overdue(at=cst(2026, 2, 3, 12, 0), within=timedelta(days=8))
    assert {i.case_id for i in soon} == {first.id, third.id}
    assert engine.overdue(region="530000") == []
    # Tue 02-03 noon + 3 working days: the close of Fri 02-06 covers first's deadline (02-06)
    # but not third's (02-10).
    within_workdays = engine.overdue(at=cst(2026, 2, 3, 12, 0), within=parse_limit("3 workdays"))
    assert {i.case_id for i in within_workdays} == {first.id}


def test_explain_shows_deadlines_traces_and_rules(engine: Engine, clock: FrozenClock) -> None:
    clock.set(cst(2026, 2, 13, 11, 0))
    case = engine.receive(
        sample_complaint(10, received_at=cst(2026, 2, 13, 10, 0), workers=120, migrant_workers=100)
    )
    explanation = engine.explain(case.id)
    by_id = {c.id: c for c in explanation.clocks}
    assert by_id["acceptance"].applies
    assert by_id["acceptance"].deadline == end_of(date(2026, 2, 27))
    assert by_id["acceptance"].workdays_left == 5
    assert by_id["acceptance"].source.endswith(
        "national.yaml:" + by_id["acceptance"].source.split(":")[-1]
    )
    assert not by_id["investigation"].applies
    assert by_id["investigation"].starts_on == "on_event: file"
    supervise = next(e for e in explanation.escalations if e.id == "supervise_major")
    assert supervise.holds_now  # 120 workers ≥ 100
    text = "\n".join(explanation.lines())
    assert "受理时限" in text
    assert "2004–2026" in text or "2004" in text


def test_recompute_shows_then_applies_moves_after_a_new_notice(db_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(cst(2026, 12, 15, 10, 0))
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case = eng.receive(sample_complaint(11, received_at=cst(2026, 12, 15, 9, 0)))
        eng.act(case.id, "verify", actor="a")
        eng.act(case.id, "file", actor="a")
        before = clock_of(eng, case.id, "investigation")
        assert before.assumed  # runs into 2027: no State Council notice yet
        assert eng.recompute() == []
    notice = tmp_path / "2027.yaml"
    notice.write_text(
        "year: 2027\n"
        "source: 测试用通知\n"
        "holidays:\n"
        "  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
        "  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n"
        "  - {name: 清明节, from: 2027-04-03, to: 2027-04-05}\n"
        "  - {name: 劳动节, from: 2027-05-01, to: 2027-05-05}\n"
        "  - {name: 端午节, from: 2027-06-09, to: 2027-06-11}\n"
        "  - {name: 中秋节, from: 2027-09-15, to: 2027-09-17}\n"
        "  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"
        "workdays:\n"
        "  - {name: 春节, date: 2027-02-14}\n",
        encoding="utf-8",
    )
    calendar = LegalCalendar.default(tmp_path)
    with Engine.open(db_url, clock=clock, calendar=calendar) as eng:
        preview = eng.recompute()
        assert [(m.case_id, m.clock) for m in preview] == [(case.id, "investigation")]
        move = preview[0]
        assert move.old == before.deadline
        assert move.assumed_before
        assert not move.assumed_after
        assert clock_of(eng, case.id, "investigation").deadline == before.deadline  # not applied
        applied = eng.recompute(apply=True)
        assert applied == preview
        after = clock_of(eng, case.id, "investigation")
        assert after.deadline == move.new
        assert not after.assumed
        with eng.bind.connect() as conn:
            due = conn.execute(
                sa.text(
                    "SELECT due_at FROM zq_timers WHERE case_id = :c AND clock_id = "
                    "'investigation' AND kind = 'breach' AND fired_at IS NULL"
                ),
                {"c": case.id},
            ).scalar_one()
        assert due is not None
        assert eng.recompute() == []


def test_yangquan_classifies_the_same_day(db_url: str) -> None:
    clock = FrozenClock(cst(2019, 11, 20, 9, 30))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        case = eng.receive(sample_complaint(12, received_at=cst(2019, 11, 20, 9, 0)))
        classify = clock_of(eng, case.id, "classify")
        assert classify.deadline == end_of(date(2019, 11, 20))
        assert case.pack_name == "yangquan-2019"


def test_record_access_is_chained_in_every_state(engine: Engine) -> None:
    small = {"workers": 2, "migrant_workers": 2, "amount": "9000.00", "migrant_amount": "9000.00"}
    case = engine.receive(
        sample_complaint(13, received_at=cst(2026, 1, 30, 8, 0), flags=[], **small)
    )
    engine.act(case.id, "dismiss", actor="a")
    engine.record_access(case.id, actor="科长-赵", what="complainant")
    stored = engine.get(case.id)
    assert stored.events[-1].event == "pii_shown"
    assert stored.events[-1].label == "查看个人信息"
    assert stored.events[-1].payload == {"what": "complainant"}
    assert stored.version == len(stored.events) == 3
    assert stored.state == "dismissed"
    assert engine.verify_audit() == []
