"""Clocks as the law counts them (issue 10, item 3), driven through the Engine on both databases:
which cases a clock is for (complaints, not inspections; the campaign's window; the day the
complaint was received), 立案 after the day of 受理, 回头看 paused by a suspension, and the
seeds' clear-by-a-date limits. Expected days are counted here with chinese_calendar or read off
the State Council's notices, not with the code under test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from zhiqian import Engine, FrozenClock
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
SMALL: dict[str, Any] = {
    "workers": 2,
    "migrant_workers": 2,
    "amount": "9000.00",
    "migrant_amount": "9000.00",
    "flags": [],
}


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=CST).astimezone(UTC)


def next_workday(d: date) -> date:
    d += timedelta(days=1)
    while not chinese_calendar.is_workday(d):
        d += timedelta(days=1)
    return d


def clocks_of(engine: Engine, case_id: int) -> dict[str, Any]:
    return {c.id: c for c in engine.get(case_id).clocks}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(cst(2026, 3, 2, 9, 0))


@pytest.fixture
def national(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=clock) as eng:
        yield eng


# -- 若干规定 第十八条: the acceptance clock is for complaints --------------------------------------


def test_an_inspection_has_no_acceptance_clock_a_complaint_has(national: Engine) -> None:
    at = cst(2026, 3, 2, 8, 30)
    inspected = national.receive(sample_complaint(1, received_at=at, channel="inspection", **SMALL))
    complained = national.receive(
        sample_complaint(2, received_at=at, channel="hotline_12333", **SMALL)
    )
    assert "acceptance" not in clocks_of(national, inspected.id)
    acceptance = clocks_of(national, complained.id)["acceptance"]
    assert acceptance.status == "running"
    # Mon 2026-03-02 + 5 working days → Mon 2026-03-09
    assert acceptance.deadline == end_of(date(2026, 3, 9))


def test_filing_on_a_later_day_than_acceptance_is_done_with_a_warning(
    national: Engine, clock: FrozenClock
) -> None:
    case = national.receive(sample_complaint(3, received_at=cst(2026, 3, 2, 8, 30), **SMALL))
    national.act(case.id, "verify", actor="监察员-王")  # 受理 on Mon 03-02
    clock.set(cst(2026, 3, 4, 10, 0))
    national.act(case.id, "file", actor="监察员-王")  # 立案 on Wed 03-04
    view = national.get(case.id)
    filed = next(e for e in view.events if e.event == "file")
    (warning,) = filed.payload["warnings"]
    assert "于受理之日立案查处" in warning
    assert warning.endswith("2026-03-02 → 2026-03-04")
    assert "investigation" in clocks_of(national, case.id)  # the act is done, not refused


def test_filing_the_day_of_acceptance_or_before_it_warns_nothing(
    national: Engine, clock: FrozenClock
) -> None:
    same_day = national.receive(sample_complaint(4, received_at=cst(2026, 3, 2, 8, 30), **SMALL))
    national.act(same_day.id, "verify", actor="a")
    clock.set(cst(2026, 3, 2, 17, 0))
    national.act(same_day.id, "file", actor="a")
    # Filed while still undecided: the filing is the acceptance, and stops its clock.
    early = national.receive(sample_complaint(5, received_at=cst(2026, 3, 2, 16, 0), **SMALL))
    clock.set(cst(2026, 3, 3, 9, 0))
    national.act(early.id, "file", actor="a")
    for case_id in (same_day.id, early.id):
        filed = next(e for e in national.get(case_id).events if e.event == "file")
        assert "warnings" not in filed.payload
    assert clocks_of(national, early.id)["acceptance"].status == "stopped"


# -- 回头看: a suspension pauses it; a second 回头看 after a reopen runs again ----------------------


def to_review(engine: Engine, case_id: int) -> None:
    for event in ("verify", "handle", "paid"):
        engine.act(case_id, event, actor="a")


def test_a_suspension_during_review_pauses_the_review_clock(
    national: Engine, clock: FrozenClock
) -> None:
    case = national.receive(sample_complaint(6, received_at=cst(2026, 3, 2, 8, 30), **SMALL))
    to_review(national, case.id)  # 回头看 from Mon 03-02: 30 days → Wed 04-01
    assert clocks_of(national, case.id)["review"].deadline == end_of(date(2026, 4, 1))
    clock.set(cst(2026, 3, 5, 10, 0))
    national.act(case.id, "suspend", actor="a", reason="等待法院裁定")
    assert clocks_of(national, case.id)["review"].status == "paused"
    clock.set(cst(2026, 3, 15, 10, 0))
    national.act(case.id, "resume", actor="a")
    review = clocks_of(national, case.id)["review"]
    assert review.status == "running"
    # the closes of 03-05 … 03-14 fell inside the pause: 10 days not counted → Sat 04-11, which
    # is not a working day: rolled over (民法典 第二百零三条) to Mon 04-13
    assert review.deadline == end_of(date(2026, 4, 13))
    national.act(case.id, "close", actor="a")
    assert clocks_of(national, case.id)["review"].status == "stopped"


def test_a_second_review_after_a_reopen_starts_a_new_cycle(
    national: Engine, clock: FrozenClock
) -> None:
    case = national.receive(sample_complaint(7, received_at=cst(2026, 3, 2, 8, 30), **SMALL))
    to_review(national, case.id)
    clock.set(cst(2026, 3, 10, 9, 0))
    national.act(case.id, "reopen", actor="a", reason="回头看发现两人未领到工资")
    assert clocks_of(national, case.id)["review"].status == "stopped"
    clock.set(cst(2026, 3, 12, 9, 0))
    national.act(case.id, "paid", actor="a")
    review = clocks_of(national, case.id)["review"]
    assert review.status == "running"
    assert review.started_at == cst(2026, 3, 12, 9, 0)
    assert review.deadline == end_of(date(2026, 4, 13))  # 04-11 Sat + roll-over


# -- campaign clocks only inside their window ---------------------------------------------------


def test_the_yunnan_campaign_clock_only_inside_the_campaign(db_url: str) -> None:
    clock = FrozenClock(cst(2021, 12, 1, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="yunnan-2021") as eng:
        inside = eng.receive(sample_complaint(8, received_at=cst(2021, 12, 1, 8, 0), **SMALL))
        eng.act(inside.id, "verify", actor="a")
        eng.act(inside.id, "handle", actor="a")
        # 2022 春节 break from Mon 01-31: the last working day before it is Sun 01-30 (调休)
        assert clocks_of(eng, inside.id)["campaign"].deadline == end_of(date(2022, 1, 30))
        clock.set(cst(2024, 3, 4, 9, 0))
        late = eng.receive(sample_complaint(9, received_at=cst(2024, 3, 4, 8, 0), **SMALL))
        eng.act(late.id, "verify", actor="a")
        eng.act(late.id, "handle", actor="a")
        clocks = clocks_of(eng, late.id)
        assert "campaign" not in clocks  # no "before Spring Festival 2025"
        assert "acceptance" in clocks  # national law still counts


def test_yangquan_same_day_clocks_are_for_complaints_received_in_the_campaign(
    db_url: str,
) -> None:
    clock = FrozenClock(cst(2019, 11, 20, 9, 30))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        before = eng.receive(sample_complaint(10, received_at=cst(2019, 11, 12, 9, 0), **SMALL))
        inspected = eng.receive(
            sample_complaint(11, received_at=cst(2019, 11, 20, 9, 0), channel="inspection", **SMALL)
        )
        during = eng.receive(sample_complaint(12, received_at=cst(2019, 11, 20, 9, 0), **SMALL))
        assert "classify" not in clocks_of(eng, before.id)  # received before 2019-11-15
        assert not {"classify", "verify", "acceptance"} & set(clocks_of(eng, inspected.id))
        assert {"classify", "verify", "acceptance"} <= set(clocks_of(eng, during.id))


# -- counted from when the complaint was received, not when it was keyed in ---------------------


def test_yangquan_next_day_report_counts_from_receipt(db_url: str) -> None:
    # Received Fri 2019-11-22, keyed in Mon 11-25: the report is due Mon 11-25, not Tue 11-26.
    clock = FrozenClock(cst(2019, 11, 25, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        case = eng.receive(
            sample_complaint(
                13, received_at=cst(2019, 11, 22, 16, 0), channel="transferred", **SMALL
            )
        )
        report = clocks_of(eng, case.id)["progress_report"]
        assert report.started_at == cst(2019, 11, 22, 16, 0)
        assert report.deadline == end_of(next_workday(date(2019, 11, 22)))
        assert report.deadline == end_of(date(2019, 11, 25))
        eng.act(case.id, "report_progress", actor="a", reason="已核清案情，正在协调总包垫付")
        assert clocks_of(eng, case.id)["progress_report"].status == "stopped"
        ordinary = eng.receive(sample_complaint(14, received_at=cst(2019, 11, 25, 8, 0), **SMALL))
        assert "progress_report" not in clocks_of(eng, ordinary.id)


def test_yangquan_clear_by_dates_follow_the_day_received(db_url: str) -> None:
    clock = FrozenClock(cst(2020, 1, 6, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        of_2019 = eng.receive(sample_complaint(15, received_at=cst(2019, 12, 30, 9, 0), **SMALL))
        of_2020 = eng.receive(sample_complaint(16, received_at=cst(2020, 1, 6, 8, 0), **SMALL))
        stock = eng.receive(
            sample_complaint(
                17,
                received_at=cst(2018, 6, 1, 9, 0),
                flags=["old_case"],
                **{k: v for k, v in SMALL.items() if k != "flags"},
            )
        )
        c2019, c2020, cstock = (clocks_of(eng, c.id) for c in (of_2019, of_2020, stock))
        # a 2019 complaint keyed in in 2020 is still a 2019 case: due 2019-12-31, already late
        assert c2019["year_end"].deadline == end_of(date(2019, 12, 31))
        assert c2019["year_end"].status == "breached"
        assert "spring_festival_cleared" not in c2019
        # a case of 2020 before the festival: the break began Fri 2020-01-24
        assert c2020["spring_festival_cleared"].deadline == end_of(date(2020, 1, 23))
        assert "year_end" not in c2020
        # 历史存量 (received before 2019): 2019-12-31 as the notice names it
        assert cstock["stock_cleared"].deadline == end_of(date(2019, 12, 31))
        assert not {"year_end", "spring_festival_cleared"} & set(cstock)


def test_liling_two_zeros_split_by_project_kind_and_day_received(db_url: str) -> None:
    def complaint(seed: int, received: datetime, kind: str | None) -> dict[str, Any]:
        record = sample_complaint(seed, received_at=received, **SMALL)
        record["employer"]["category"] = "construction"
        record["project"] = None if kind is None else {"name": "城区安置房项目", "kind": kind}
        return record

    clock = FrozenClock(cst(2019, 11, 20, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="liling-2019") as eng:
        old_gov = eng.receive(complaint(20, cst(2019, 10, 20, 9, 0), "government"))
        new_soe = eng.receive(complaint(21, cst(2019, 11, 5, 9, 0), "soe"))
        private = eng.receive(complaint(22, cst(2019, 10, 20, 9, 0), None))
        ppp = eng.receive(complaint(23, cst(2019, 10, 20, 9, 0), "ppp"))
        expect = {
            old_gov.id: ("gov_soe_cleared", date(2019, 12, 31)),
            new_soe.id: ("later_gov_soe_cleared", date(2020, 1, 23)),
            private.id: ("others_cleared", date(2020, 1, 23)),
            ppp.id: ("others_cleared", date(2020, 1, 23)),
        }
        two_zeros = {"gov_soe_cleared", "later_gov_soe_cleared", "others_cleared"}
        for case_id, (clock_id, due) in expect.items():
            clocks = clocks_of(eng, case_id)
            assert two_zeros & set(clocks) == {clock_id}, case_id
            assert clocks[clock_id].deadline == end_of(due)
