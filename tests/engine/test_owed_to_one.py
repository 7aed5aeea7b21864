"""What one worker is owed (法释〔2013〕3号 第三条（一）): captured at intake and by
``record_arrears``, read by the screening rules and by ``referral_preconditions``.

Issue 10: 9 workers owed 6,000 yuan in all were referred, the one-worker branch applied to the
case total. Each scenario below runs on both databases through the Engine, the sweep firing the
order's breach as it does in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from zhiqian import Engine, FrozenClock, InvalidIntake, Refused
from zhiqian.engine.domain.actions import referral_preconditions
from zhiqian.engine.domain.context import owed_to_one
from zhiqian.engine.domain.intake import parse_complaint
from zhiqian.rules.loader import load_pack
from zhiqian.store.records import CaseRecord, ClockRecord
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=CST)  # a Monday


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def small(**kw: Any) -> dict[str, Any]:
    """A case below every on-receipt rule (no supervision, no leader): only the screens act."""
    base: dict[str, Any] = dict(
        workers=9, migrant_workers=9, amount="6000.00", migrant_amount="6000.00", flags=[]
    )
    base.update(kw)
    return base


def complaint(seed: int, **kw: Any) -> dict[str, Any]:
    return sample_complaint(seed, received_at=RECEIVED - timedelta(hours=1), **small(**kw))


def _scalar(db_url: str, sql: str) -> tuple[Any, ...]:
    """One row read behind the engine's back (what is stored, not what a view shows)."""
    bind = sa.create_engine(db_url)
    try:
        with bind.connect() as conn:
            return tuple(conn.execute(sa.text(sql)).one())
    finally:
        bind.dispose()


# -- intake --------------------------------------------------------------------------------------


def problems(**kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidIntake) as info:
        parse_complaint(complaint(1, **kw), now=RECEIVED)
    return [(p.field, p.problem) for p in info.value.problems]


def test_intake_takes_what_one_worker_is_owed() -> None:
    parsed = parse_complaint(complaint(1, largest_owed="2000", largest_owed_months=4), now=RECEIVED)
    assert (parsed.largest_owed, parsed.largest_owed_months) == (Decimal("2000.00"), 4)
    data = parsed.to_json_dict()
    assert (data["largest_owed"], data["largest_owed_months"]) == ("2000.00", 4)
    unknown = parse_complaint(complaint(1), now=RECEIVED)
    assert (unknown.largest_owed, unknown.largest_owed_months) == (None, None)
    one = parse_complaint(
        complaint(1, workers=1, migrant_workers=1, largest_owed_months=3),
        now=RECEIVED,
    )  # one worker: the amount is that worker's, the months alone are enough
    assert (one.largest_owed, one.largest_owed_months) == (None, 3)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"largest_owed": "6000.01"},
            [
                (
                    "largest_owed",
                    "6000.01 yuan owed to one worker is more than the 6000.00 yuan owed in all",
                )
            ],
        ),
        (
            {"largest_owed": "666.65"},
            [
                (
                    "largest_owed",
                    "666.65 yuan is less than the average owed (6000.00 yuan / 9 workers = "
                    "666.66): the most owed to one worker cannot be below the average",
                )
            ],
        ),
        (
            {"largest_owed": "0"},
            [
                (
                    "largest_owed",
                    "the most owed to one worker must be more than 0; leave it out if unknown",
                )
            ],
        ),
        (
            {"largest_owed": 1000.5},
            [
                (
                    "largest_owed",
                    'an amount must be a string such as "12500.50" or a JSON integer, not a JSON '
                    "number with a fraction: binary floating point loses cents",
                )
            ],
        ),
        (
            {"largest_owed_months": 3},
            [
                (
                    "largest_owed_months",
                    "largest_owed_months are the months of the worker owed the most: give "
                    "largest_owed too (with one worker, the amount is that worker's)",
                )
            ],
        ),
        (
            {"largest_owed": "1000", "largest_owed_months": 0},
            [("largest_owed_months", "0 months: the months of pay owed are at least 1")],
        ),
        (
            {"largest_owed": "1000", "largest_owed_months": "4"},
            [
                (
                    "largest_owed_months",
                    "largest_owed_months must be a whole number of months (a JSON integer), not str",
                )
            ],
        ),
        (
            {"largest_owed": "1000", "largest_owed_months": 601},
            [("largest_owed_months", "601 months is more than 600 (50 years); check the figure")],
        ),
        (
            {"workers": 1, "migrant_workers": 1, "largest_owed": "5000"},
            [
                (
                    "largest_owed",
                    "the case has one worker, owed 6000.00 yuan: what that worker is owed is 6000.00",
                )
            ],
        ),
        # a refused figure is reported once, on its own field, not echoed on the months
        (
            {"largest_owed": "abc", "largest_owed_months": 4},
            [
                (
                    "largest_owed",
                    'not an amount in yuan: digits with at most 2 decimals (e.g. "12500.50"), '
                    "no separators or units",
                )
            ],
        ),
    ],
)
def test_intake_refuses_figures_no_worker_can_be_owed(
    fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems(**fields) == expected


def test_a_refused_figure_writes_nothing(db_url: str) -> None:
    clock = FrozenClock(RECEIVED)
    with Engine.open(db_url, create=True, clock=clock) as eng:
        with pytest.raises(InvalidIntake, match=r"more than the 6000\.00 yuan"):
            eng.receive(complaint(1, largest_owed="7000"))
        assert _scalar(db_url, "SELECT count(*) FROM zq_cases") == (0,)


# -- the screens through the engine --------------------------------------------------------------


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=FrozenClock(RECEIVED)) as eng:
        yield eng


def _ordered(engine: Engine, record: dict[str, Any], *acts: tuple[str, dict[str, Any]]) -> int:
    """Receive, verify, handle, record ``acts``, serve a 责令支付 order due on Friday and let
    the sweep pass its breach the next Monday; returns the case id."""
    engine.clock.set(RECEIVED + timedelta(minutes=5))  # type: ignore[attr-defined]
    case = engine.receive(record)
    for event in ("verify", "handle"):
        engine.act(case.id, event, actor="监察员-王")
    for action, params in acts:
        engine.act(case.id, action, actor="监察员-王", params=params)
    engine.act(case.id, "order_payment", actor="监察员-王", params={"due": "2026-03-06"})
    engine.clock.set(cst(2026, 3, 9, 9, 0))  # type: ignore[attr-defined]
    engine.sweep()
    return case.id


def _screens(engine: Engine, case_id: int) -> set[str]:
    rules = {e.rule for e in engine.get(case_id).escalations}
    return rules & {"crime_screen", "blacklist_screen"}


def _events(engine: Engine, case_id: int) -> list[str]:
    return [e.event for e in engine.get(case_id).events]


def test_nine_workers_owed_six_thousand_in_all_are_never_screened(engine: Engine) -> None:
    plain = _ordered(engine, complaint(1))
    flagged = _ordered(engine, complaint(2, flags=["arrears_3_months"]))
    recorded = _ordered(
        engine,
        complaint(3),
        ("record_arrears", {"largest_owed": "1000", "months": 5}),
    )
    for case_id in (plain, flagged, recorded):
        assert engine.get(case_id).clocks  # the order's clock ran and breached …
        order = next(c for c in engine.get(case_id).clocks if c.id == "order_payment")
        assert order.status == "breached"
        assert _screens(engine, case_id) == set()  # … and no screen held
        events = _events(engine, case_id)
        assert not any("refer_police" in e for e in events), events
        assert engine.get(case_id).police_referred_at is None
    assert engine.verify_audit() == []


def test_one_worker_owed_three_months_is_screened(engine: Engine) -> None:
    # a single worker: what the case owes is that worker's; the months are recorded at intake
    single = _ordered(
        engine,
        complaint(4, workers=1, migrant_workers=1, largest_owed_months=4),
    )
    assert _screens(engine, single) == {"crime_screen", "blacklist_screen"}
    # nine workers, one of them owed 5,000 for three months, found during verification
    found = _ordered(
        engine,
        complaint(5),
        ("record_arrears", {"largest_owed": "5000", "months": "3"}),
    )
    assert "crime_screen" in _screens(engine, found)
    # the same facts short of one month are not
    short = _ordered(
        engine,
        complaint(6),
        ("record_arrears", {"largest_owed": "5000", "months": 2}),
    )
    assert _screens(engine, short) == set()


def test_ten_workers_are_screened_on_the_total(engine: Engine) -> None:
    ten = _ordered(
        engine,
        complaint(7, workers=10, migrant_workers=0, amount="30000", migrant_amount="0"),
    )
    # no migrant workers: 45号令 (农民工工资) does not apply; the crime screen does
    assert _screens(engine, ten) == {"crime_screen"}


# -- record_arrears ------------------------------------------------------------------------------


def test_record_arrears_records_replaces_and_refuses(engine: Engine, db_url: str) -> None:
    case = engine.receive(complaint(8))
    engine.act(case.id, "verify", actor="监察员-王")
    engine.act(case.id, "record_arrears", actor="监察员-王", params={"largest_owed": "1200.5"})
    engine.act(case.id, "record_arrears", actor="监察员-王", params={"months": 4})
    last = engine.get(case.id).events[-1]
    assert (last.event, last.label) == ("record_arrears", "核定单个劳动者欠薪数额和月数")
    assert last.payload == {
        "largest_owed": "1200.50",
        "months": 4,
        "before": {"largest_owed": "1200.50", "months": None},
    }
    refusals = [
        ({}, "give largest_owed (the most owed to one worker, yuan) and/or months"),
        ({"largest_owed": "6000.01"}, "more than the 6000.00 yuan owed in all"),
        ({"largest_owed": "600"}, "less than the average owed"),
        ({"largest_owed": 1000.5}, "give largest_owed as a decimal string, not a float"),
        ({"months": "three"}, "months must be a whole number"),
        ({"months": 0}, "0 months: the months of pay owed are at least 1"),
    ]
    version = engine.get(case.id).version
    for params, message in refusals:
        with pytest.raises(Refused, match=re.escape(message)):
            engine.act(case.id, "record_arrears", actor="监察员-王", params=params)
    assert engine.get(case.id).version == version  # nothing written
    owed, months = _scalar(
        db_url, f"SELECT largest_owed, largest_owed_months FROM zq_cases WHERE id = {case.id}"
    )
    assert (Decimal(owed), months) == (Decimal("1200.50"), 4)
    assert engine.verify_audit() == []


def test_months_without_the_worker_are_refused(engine: Engine) -> None:
    case = engine.receive(complaint(9))
    with pytest.raises(Refused, match="months are those of the worker owed the most"):
        engine.act(case.id, "record_arrears", actor="监察员-王", params={"months": 4})
    one = engine.receive(complaint(10, workers=1, migrant_workers=1))
    engine.act(one.id, "record_arrears", actor="监察员-王", params={"months": 4})


# -- referral_preconditions, pure ----------------------------------------------------------------

NOW = datetime(2026, 3, 9, 1, tzinfo=UTC)


def _record(**kw: Any) -> CaseRecord:
    base: dict[str, Any] = dict(
        id=1, ref="R", channel="platform", received_at=NOW, region="140302",
        handling_region="140302", level="county", state="handling", previous_state=None,
        version=1, head_hash="x", pack_name="national", pack_version="2026.1",
        employer_name="某公司", employer_uscc=None, employer_category="other",
        project_name=None, project_kind=None, workers=9, migrant_workers=9,
        amount=Decimal("6000.00"), migrant_amount=Decimal("6000.00"), complainant_name="张三",
        complainant_phone="13812345678", complainant_id_number=None, flags=(), summary="",
        leader=None, leader_role=None, supervised_by=None, police_referred_at=None,
        police_filed_at=None, blacklist_candidate=False, arrears_verified=False, filed_at=None,
        resolved_without_filing=False, recovered_workers=0, recovered_migrant_workers=0,
        recovered_amount=Decimal(0), recovered_migrant_amount=Decimal(0), orders_to_correct=1,
        handling_decisions=0, penalty_decisions=0, publicised=False, blacklisted=False,
        largest_owed=None, largest_owed_months=None, contracted_migrant_workers=None, extra={},
        created_at=NOW, updated_at=NOW, closed_at=None,
    )  # fmt: skip
    base.update(kw)
    return CaseRecord(**base)


BREACHED = {
    "order_payment": ClockRecord(
        clock_id="order_payment",
        cycle=1,
        status="running",
        started_at=NOW - timedelta(days=7),
        deadline_at=NOW - timedelta(days=1),
        breached_at=NOW - timedelta(days=1),
    )
}


def test_referral_preconditions_read_one_worker_not_the_total() -> None:
    pack = load_pack("national")

    def missing(**kw: Any) -> list[str]:
        return referral_preconditions(_record(**kw), pack=pack, clocks=BREACHED, at=NOW)

    (unknown,) = missing()
    assert unknown == (
        "数额较大 not reached (法释〔2013〕3号 第三条): branch (一) needs one worker owed ≥5000 "
        "yuan for ≥3 months — what one worker is owed is not recorded (record_arrears "
        "largest_owed=… months=…); branch (二) needs ≥10 workers owed ≥30000 yuan in all — "
        "9 workers, fewer than the 10 of branch (二)"
    )
    (no_months,) = missing(largest_owed=Decimal("5000.00"))
    assert "one worker is owed 5000.00 yuan, for months not recorded" in no_months
    (too_few,) = missing(largest_owed=Decimal("5000.00"), largest_owed_months=2)
    assert "one worker is owed 5000.00 yuan for 2 months" in too_few
    assert missing(largest_owed=Decimal("5000.00"), largest_owed_months=3) == []
    assert missing(workers=1, amount=Decimal("5000.00"), largest_owed_months=3) == []
    (group,) = missing(workers=10, amount=Decimal("29999.99"))
    assert "10 workers are owed 29999.99 yuan in all, below 30000" in group
    assert missing(workers=10, amount=Decimal("30000.00")) == []
    order_running = {"order_payment": replace(BREACHED["order_payment"], breached_at=None,
                                              deadline_at=NOW + timedelta(days=1))}  # fmt: skip
    assert referral_preconditions(
        _record(workers=10, amount=Decimal("30000.00")), pack=pack, clocks=order_running, at=NOW
    ) == ["the period of the 责令支付 order has not passed unpaid"]


def test_owed_to_one_derives_only_what_arithmetic_gives() -> None:
    assert owed_to_one(_record()) == (None, None)
    assert owed_to_one(_record(workers=1, largest_owed_months=4)) == (Decimal("6000.00"), 4)
    assert owed_to_one(_record(largest_owed=Decimal("900.00"))) == (Decimal("900.00"), None)


def test_the_http_door_takes_what_the_intake_door_takes() -> None:
    """The service's ComplaintIn (extra fields forbidden) must not refuse a field or a flag the
    intake model accepts, or the new figures could be posted by the library but not by HTTP."""
    from typing import get_args

    from zhiqian.engine.domain.intake import Complaint, Flag
    from zhiqian.engine.http.models import ComplaintIn

    assert set(ComplaintIn.model_fields) == set(Complaint.model_fields)
    (item,) = get_args(ComplaintIn.model_fields["flags"].annotation)
    assert set(get_args(item)) == {f.value for f in Flag}
