"""Lights (红黄绿灯): the pure rules, the pack's definition, and the views that carry them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhiqian import Engine, FrozenClock, RuleError
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.lights import (
    Light,
    case_light,
    clock_light,
    light_of,
    pack_horizon,
    warning_horizon,
    worst,
)
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.limits import parse_limit
from zhiqian.rules.loader import load_pack
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 09:00 in Beijing
HORIZON = datetime(2026, 3, 5, 15, 59, 59, tzinfo=UTC)  # the close of Thu: 3 working days on


def state(**kw: object) -> ClockState:
    values: dict[str, object] = {"clock_id": "acceptance", "started_at": NOW}
    values.update(kw)
    return ClockState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"deadline_at": datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)}, Light.GREEN),
        ({"deadline_at": HORIZON}, Light.YELLOW),  # within the window, inclusive
        ({"deadline_at": datetime(2026, 3, 20, tzinfo=UTC), "warned": 1}, Light.YELLOW),
        ({"deadline_at": datetime(2026, 3, 1, tzinfo=UTC)}, Light.RED),
        ({"deadline_at": datetime(2026, 3, 20, tzinfo=UTC), "breached_at": NOW}, Light.RED),
        ({"status": "paused", "paused_since": NOW}, Light.GREY),
        ({"status": "stopped", "ended_at": NOW}, None),
        ({"status": "cancelled", "ended_at": NOW}, None),
    ],
)
def test_the_light_of_a_clock(kw: dict[str, object], expected: Light | None) -> None:
    assert clock_light(state(**kw), now=NOW, horizon=HORIZON) == expected


def test_a_case_shows_its_worst_clock() -> None:
    green = state(deadline_at=datetime(2026, 3, 20, tzinfo=UTC))
    red = state(clock_id="verify", deadline_at=datetime(2026, 3, 1, tzinfo=UTC))
    grey = state(clock_id="review", status="paused")
    assert case_light([green, grey], now=NOW, horizon=HORIZON) is Light.GREEN
    assert case_light([green, red, grey], now=NOW, horizon=HORIZON) is Light.RED
    assert case_light([grey], now=NOW, horizon=HORIZON) is Light.GREY
    assert case_light([], now=NOW, horizon=HORIZON) is None
    assert worst(["yellow", None, "green"]) is Light.YELLOW
    assert light_of("warned", None, now=NOW, horizon=HORIZON) is Light.YELLOW


def test_the_window_counts_working_days_on_the_legal_calendar() -> None:
    calendar = LegalCalendar.default()
    # From Thu 2026-02-12, 3 working days: Fri 13, Sat 14 (调休上班), then the Spring Festival
    # break (02-15 … 02-23), so the third is Tue 02-24.
    at = warning_horizon(
        parse_limit("3 workdays"), datetime(2026, 2, 12, 2, tzinfo=UTC), calendar=calendar, tz=CST
    )
    assert at.astimezone(CST).date() == date(2026, 2, 24)
    pack = load_pack("national")
    assert pack.spec.performance.lights.yellow_within == parse_limit("3 workdays")
    assert pack.spec.performance.lights.basis
    assert pack_horizon(pack, NOW, calendar=calendar) == HORIZON


def test_old_packs_load_with_the_default_lights(tmp_path: Path) -> None:
    pack = load_pack("yunnan-2021")  # no performance section of its own: inherits national's
    assert pack.spec.performance.black_list == load_pack("national").spec.performance.black_list
    mini = tmp_path / "mini.yaml"
    mini.write_text(
        "pack: mini\nversion: '1'\nlabel: 测试\nlifecycle:\n  initial: a\n"
        "  states: [{id: a, label: 甲}, {id: b, label: 乙, final: true}]\n"
        "  events: [{id: go, label: 走, from: a, to: b}]\n",
        encoding="utf-8",
    )
    spec = load_pack(mini).spec.performance
    assert (spec.clocks, spec.found_unpaid_event, str(spec.lights.yellow_within)) == (
        (),
        None,
        "3 workdays",
    )


def test_a_pack_naming_an_unknown_clock_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pack: bad\nversion: '1'\nextends: national\nlabel: 坏\n"
        "performance:\n  clocks: [acceptance, nonesuch]\n  red_list: 0.7\n  black_list: 0.9\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_pack(bad)
    text = str(caught.value)
    assert "black_list 0.9 is above red_list 0.7" in text


def test_a_pack_naming_an_unknown_decision_clock_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pack: bad\nversion: '1'\nextends: national\nlabel: 坏\n"
        "performance:\n  decisions: [nonesuch]\n  found_unpaid_event: nothing\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_pack(bad)
    text = str(caught.value)
    assert "unknown clock 'nonesuch'" in text
    assert "unknown event 'nothing'" in text
    assert "bad.yaml:" in text


@pytest.fixture
def engine(db_url: str) -> Iterator[tuple[Engine, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    with Engine.open(db_url, create=True, clock=clock) as eng:
        yield eng, clock


def test_views_carry_the_lights_as_time_passes(engine: tuple[Engine, FrozenClock]) -> None:
    zq, clock = engine
    case = zq.receive(
        sample_complaint(
            1,
            received_at=datetime(2026, 3, 2, 9, 0, tzinfo=CST),
            workers=3,
            migrant_workers=0,
            amount="9000.00",
            migrant_amount="0.00",
            flags=[],
        )
    )
    assert case.light == "green"  # acceptance due Mon 03-09, the window reaches Thu 03-05
    assert [(c.id, c.light) for c in case.clocks] == [("acceptance", "green")]
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=CST))  # Wed: the deadline is 3 working days on
    assert zq.get(case.id).light == "yellow"
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=CST))
    assert zq.get(case.id).light == "red"
    suspended = zq.act(case.id, "suspend", actor="a")
    assert zq.get(suspended.id).light == "grey"
    assert zq.get(case.id, history=False).light is None  # clocks not loaded: no light
