"""A pack ``guard:`` end to end, through the public API, on SQLite and PostgreSQL.

The pack (tests/packs/guarded-national.yaml) is the national pack with 垫付 (``advance``) guarded
by ``"absconded" in flags`` (《保障农民工工资支付条例》第六十三条). Until the seam was fixed the
lifecycle handed the event id to a check that looked guards up by their text, so any guarded
event made ``act()`` raise a bare ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import zhiqian
from zhiqian.testing import sample_complaint

PACK = Path(__file__).parent / "packs" / "guarded-national.yaml"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
GUARD = '"absconded" in flags'


@pytest.fixture
def clock() -> zhiqian.FrozenClock:
    return zhiqian.FrozenClock(NOW)


@pytest.fixture
def engine(db_url: str, clock: zhiqian.FrozenClock) -> Iterator[zhiqian.Engine]:
    with zhiqian.Engine.open(db_url, create=True, pack=PACK, clock=clock) as eng:
        yield eng


def _verifying_case(engine: zhiqian.Engine, seed: int, **facts: object) -> int:
    case = engine.receive(sample_complaint(seed, **facts), actor="窗口-李")
    engine.act(case.id, "verify", actor="监察员-王")
    return case.id


def test_a_false_guard_refuses_the_event_naming_the_guard(
    engine: zhiqian.Engine, clock: zhiqian.FrozenClock
) -> None:
    case_id = _verifying_case(engine, 1, flags=[])
    before = engine.get(case_id)
    clock.advance(minutes=5)
    with pytest.raises(zhiqian.TransitionRefused) as refused:
        engine.act(case_id, "advance", actor="监察员-王")
    assert refused.value.event == "advance"
    assert refused.value.state == "verifying"
    assert refused.value.why == f"guard is false: {GUARD}"
    assert GUARD in str(refused.value)
    after = engine.get(case_id)
    # Refusals change nothing: same state, same version, no event written.
    assert (after.state, after.version, len(after.events)) == (
        before.state,
        before.version,
        len(before.events),
    )


def test_a_true_guard_lets_the_event_through(
    engine: zhiqian.Engine, clock: zhiqian.FrozenClock
) -> None:
    case_id = _verifying_case(engine, 2, flags=["absconded"])
    clock.advance(minutes=5)
    moved = engine.act(case_id, "advance", actor="监察员-王", reason="欠薪逃匿，动用应急周转金")
    assert moved.state == "advancing"
    assert engine.get(case_id).events[-1].event == "advance"


def test_the_guard_reads_the_case_as_it_is_now(
    db_url: str, engine: zhiqian.Engine, clock: zhiqian.FrozenClock
) -> None:
    """Refused, then the fact the guard needs is recorded, then allowed — across a reopen, so the
    guard is evaluated from what is stored, not from anything held in memory."""
    case_id = _verifying_case(engine, 3, flags=[])
    clock.advance(minutes=5)
    with pytest.raises(zhiqian.TransitionRefused, match="guard is false"):
        engine.act(case_id, "advance", actor="监察员-王")
    engine.act(case_id, "flag", actor="监察员-王", params={"flag": "absconded"})
    engine.close()
    clock.advance(minutes=5)
    with zhiqian.Engine.open(db_url, pack=PACK, clock=clock) as again:
        assert again.act(case_id, "advance", actor="监察员-王").state == "advancing"
        # unguarded events of the same pack are unaffected
        again.act(case_id, "paid", actor="监察员-王")
        assert again.act(case_id, "close", actor="监察员-王").state == "closed"


def test_the_pack_lists_its_guards_as_the_allow_list() -> None:
    from zhiqian.rules import load_pack

    pack = load_pack(PACK)
    assert set(pack.guards) == {"advance"}
    advance = pack.guard("advance")
    assert advance is not None
    assert advance.text == GUARD
    assert pack.guard("close") is None
    with pytest.raises(zhiqian.UnknownName, match="'advanced'"):
        pack.guard("advanced")
