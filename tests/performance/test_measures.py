"""The measures on a hand-built March 2026 over both databases: every expected figure is worked
out here by hand (working days counted with chinese_calendar, not with the code under test).

Cases (national pack; acceptance: 5 working days, so a case received Mon 03-02 is due Mon 03-09):

- A 140302: verified the next day — met, 1 working day used, 5 allowed.
- B 140302: verified on 03-12 — late, 8 working days used (03-03 … 03-12).
- C 140303: raised to 140300 on 03-04 (proposed and approved), verified on 03-05 — met, and the city's: the clock ended
  after the raise, before its deadline.
- D 140303: never verified; raised on 03-16, after the deadline — overdue at the end, and
  140303's: it held the case when the deadline passed.
- E 140311: suspended on 03-03 — paused (no deadline), running at the end, grey.
- F 140322: 120 workers (挂牌督办, 领导包案 proposed on receipt, approved on 03-03 09:30);
  verified on 03-03 — met.
- G 140322: paid, then 回头看 finds wages unpaid (reopen) on 03-05 — review clock met.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from zhiqian import Engine, FrozenClock
from zhiqian.testing import approve_act, sample_complaint

CST = ZoneInfo("Asia/Shanghai")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def workdays_between(a: date, b: date) -> int:
    return sum(
        1 for i in range(1, (b - a).days + 1) if chinese_calendar.is_workday(a + timedelta(days=i))
    )


def small(seed: int, region: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "workers": 3,
        "migrant_workers": 0,
        "amount": "9000.00",
        "migrant_amount": "0.00",
        "flags": [],
    }
    values.update(overrides)
    return sample_complaint(seed, received_at=cst(2026, 3, 2, 9, 0), region=region, **values)


@pytest.fixture
def measured(db_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    clock = FrozenClock(cst(2026, 3, 2, 9, 0))
    with Engine.open(db_url, create=True, clock=clock) as engine:
        ids = {
            "A": engine.receive(small(1, "140302")).id,
            "B": engine.receive(small(2, "140302")).id,
            "C": engine.receive(small(3, "140303")).id,
            "D": engine.receive(small(4, "140303")).id,
            "E": engine.receive(small(5, "140311")).id,
            "F": engine.receive(
                small(6, "140322", workers=120, migrant_workers=120, migrant_amount="9000.00")
            ).id,
            "G": engine.receive(small(7, "140322")).id,
        }
        steps = [
            (cst(2026, 3, 2, 11), "G", "verify", "监察员乙"),
            (cst(2026, 3, 2, 12), "G", "handle", "监察员乙"),
            (cst(2026, 3, 3, 9, 30), "F", "approve", "局长"),
            (cst(2026, 3, 3, 10), "A", "verify", "监察员甲"),
            (cst(2026, 3, 3, 10), "F", "verify", "监察员乙"),
            (cst(2026, 3, 3, 11), "E", "suspend", "监察员丙"),
            (cst(2026, 3, 3, 15), "G", "paid", "监察员乙"),
            (cst(2026, 3, 4, 10), "C", "raise_level", "监察员丙"),
            (cst(2026, 3, 5, 10), "C", "verify", "市监察员"),
            (cst(2026, 3, 5, 16), "G", "reopen", "监察员乙"),
            (cst(2026, 3, 12, 10), "B", "verify", "监察员甲"),
            (cst(2026, 3, 16, 10), "D", "raise_level", "监察员丙"),
        ]
        for at, key, event, actor in steps:
            clock.set(at)
            if event == "raise_level":  # 提级 is the city office's decision: the day it approves
                approve_act(engine, ids[key], event, proposer=actor, decider="市人社局")
            elif event == "approve":  # what the rules proposed, decided by those the pack names
                for decision in engine.decisions(ids[key], status="pending"):
                    engine.decide(
                        ids[key],
                        decision.id,
                        "approve",
                        actor=actor,
                        reason="同意",
                        params={"leader": "副局长-赵"} if decision.act == "assign_leader" else None,
                    )
            else:
                engine.act(ids[key], event, actor=actor)
        assert engine.decisions(status="pending") == []  # nothing waits: F's acts are done
        assert (engine.get(ids["F"]).supervised_by, engine.get(ids["F"]).leader) == (
            "city",
            "副局长-赵",
        )
        assert engine.get(ids["C"]).handling_region == "140300"
        clock.set(cst(2026, 4, 1, 9, 0))
        yield engine, ids


def test_offices_count_clocks_where_the_case_was_held(
    measured: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = measured
    perf = engine.performance(period_from=date(2026, 3, 1), period_to=date(2026, 3, 31))
    county = {f.key: f for f in perf.offices_at("county")}
    chengqu = county["140302"]
    assert (chengqu.received, chengqu.ended, chengqu.met, chengqu.late) == (2, 2, 1, 1)
    assert chengqu.on_time_rate == 0.5
    used = [workdays_between(date(2026, 3, 2), d) for d in (date(2026, 3, 3), date(2026, 3, 12))]
    assert used == [1, 8]
    assert chengqu.workdays_used_avg == 4.5
    assert chengqu.workdays_used_p90 == 8  # nearest rank: ceil(0.9 × 2) = the 2nd
    assert chengqu.workdays_allowed_avg == workdays_between(date(2026, 3, 2), date(2026, 3, 9))

    kuangqu = county["140303"]  # C went to the city before it ended; D's deadline passed here
    assert (kuangqu.received, kuangqu.ended, kuangqu.running, kuangqu.overdue) == (2, 0, 1, 1)
    assert kuangqu.on_time_rate is None
    assert kuangqu.rank is None

    jiaoqu = county["140311"]  # E is paused: running, not overdue
    assert (jiaoqu.ended, jiaoqu.running, jiaoqu.overdue) == (0, 1, 0)

    yuxian = county["140322"]
    assert (yuxian.received, yuxian.met, yuxian.late, yuxian.found_unpaid) == (2, 3, 0, 1)
    assert yuxian.escalations == {"leader_major": 1, "supervise_major": 1}

    city = perf.offices_at("city")
    assert [f.key for f in city] == ["140300"]
    assert (city[0].received, city[0].ended, city[0].met, city[0].late) == (7, 6, 5, 1)
    assert (city[0].running, city[0].overdue, city[0].found_unpaid) == (2, 1, 1)
    province = perf.offices_at("province")
    assert [(f.key, f.ended, f.met) for f in province] == [("140000", 6, 5)]

    # ranked by rate: 盂县 1.0, 城区 0.5; 矿区 and 郊区 ended nothing and are not ranked
    assert [(f.key, f.rank) for f in perf.offices_at("county")] == [
        ("140322", 1),
        ("140302", 2),
        ("140303", None),
        ("140311", None),
    ]


def test_the_red_and_black_lists_follow_the_pack_thresholds(
    measured: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = measured
    perf = engine.performance(period_from=date(2026, 3, 1), period_to=date(2026, 3, 31))
    assert perf.min_ended == 5  # the national pack: no county has 5 ended clocks: no list
    assert all(f.listed is None for f in perf.offices_at("county"))
    # the city has 6 ended at 5/6 = 0.833: between the lists (black < 0.80, red ≥ 0.95)
    assert perf.offices_at("city")[0].listed is None


def test_handlers_kinds_categories_trend_and_lights(
    measured: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = measured
    perf = engine.performance(period_from=date(2026, 3, 1), period_to=date(2026, 3, 31))
    handlers = {f.key: f for f in perf.handlers}
    assert (handlers["监察员甲"].ended, handlers["监察员甲"].met) == (2, 1)
    assert (handlers["市监察员"].ended, handlers["市监察员"].met) == (1, 1)
    assert (handlers["监察员乙"].ended, handlers["监察员乙"].met) == (3, 3)
    kinds = {f.key: f for f in perf.clocks}
    assert (kinds["acceptance"].ended, kinds["acceptance"].met) == (5, 4)
    assert (kinds["review"].ended, kinds["review"].met) == (1, 1)
    assert kinds["review"].workdays_used_avg == workdays_between(date(2026, 3, 3), date(2026, 3, 5))
    assert sum(f.received for f in perf.categories) == 7
    assert [(p.month, p.ended, p.met, p.received) for p in perf.trend] == [("2026-03", 6, 5, 7)]
    # now (04-01): D red (acceptance overdue), E grey (paused); the others have no running clock
    assert perf.light_totals() == {"green": 0, "yellow": 0, "red": 1, "grey": 1}
    assert [(o.case_id, o.clock) for o in perf.top_overdue] == [(ids["D"], "acceptance")]
    assert engine.get(ids["D"]).light == "red"
    assert engine.get(ids["E"]).light == "grey"
    assert engine.get(ids["A"]).light is None


def test_a_period_before_anything_happened_is_empty(
    measured: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = measured
    perf = engine.performance(period_from=date(2026, 2, 1), period_to=date(2026, 2, 28))
    assert perf.offices == ()
    assert perf.trend == ()
    with pytest.raises(ValueError, match="before it starts"):
        engine.performance(period_from=date(2026, 3, 2), period_to=date(2026, 3, 1))


def test_the_period_ends_at_now(measured: tuple[Engine, dict[str, int]]) -> None:
    """As of 03-06 09:00 B is still open and not yet late (due 03-09): running, not overdue."""
    engine, _ = measured
    perf = engine.performance(
        period_from=date(2026, 3, 1),
        period_to=date(2026, 3, 31),
        at=cst(2026, 3, 6, 9, 0).astimezone(UTC),
    )
    chengqu = next(f for f in perf.offices_at("county") if f.key == "140302")
    assert (chengqu.ended, chengqu.met, chengqu.running, chengqu.overdue) == (1, 1, 1, 0)
