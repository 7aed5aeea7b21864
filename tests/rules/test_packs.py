"""The shipped packs: they load cleanly, every rule names its basis and status, and they behave."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.loader import PACKS_DIR, check_pack, load_pack
from zhiqian.rules.schema import Status

SHIPPED = ("national", "yangquan-2019", "yunnan-2021", "liling-2019")


def ctx(**kw: Any) -> ConditionContext:
    base: dict[str, Any] = dict(
        level="county",
        region="140302",
        state="handling",
        workers=1,
        migrant_workers=1,
        amount=Decimal(1000),
        migrant_amount=Decimal(1000),
        flags=(),
        channel="platform",
        now=datetime(2021, 12, 1, 2, tzinfo=UTC),
        clocks={},
    )
    base.update(kw)
    return ConditionContext(**base)


def test_every_pack_file_is_shipped_and_checked() -> None:
    assert sorted(p.stem for p in PACKS_DIR.glob("*.yaml")) == sorted(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_loads_without_problems_or_warnings(name: str) -> None:
    assert check_pack(PACKS_DIR / f"{name}.yaml") == []
    pack = load_pack(name)
    assert pack.warnings == ()
    assert pack.chain[0][0] == "national"
    assert pack.chain[-1] == (name, pack.version)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_names_basis_and_status(name: str) -> None:
    pack = load_pack(name)
    for clock in pack.clocks:
        assert clock.basis.strip(), clock.id
        assert isinstance(clock.status, Status), clock.id
        assert clock.label.strip()
    for esc in pack.escalations:
        assert esc.basis.strip(), esc.id
        assert isinstance(esc.status, Status), esc.id
    for pname, param in pack.params.items():
        assert param.basis.strip(), pname
    for report in pack.routing.reports:
        assert report.basis.strip(), report.id
    # a basis names a document: 《…》 or a document number 〔year〕, or says it is a convention
    for rule in (*pack.clocks, *pack.escalations):
        assert "《" in rule.basis or "〔" in rule.basis or rule.status is Status.CONV, rule.id


def test_national_lifecycle_and_clocks() -> None:
    pack = load_pack("national")
    lc = pack.lifecycle
    assert lc.initial == "accepted"
    assert lc.final_states == {"closed", "dismissed"}
    assert set(lc.state_ids) == {
        "accepted",
        "verifying",
        "handling",
        "advancing",
        "reviewing",
        "closed",
        "dismissed",
        "suspended",
    }
    assert lc.event("dismiss").source == ("accepted", "verifying")  # type: ignore[union-attr]
    assert lc.event("resume").to == "$previous"  # type: ignore[union-attr]
    assert [c.id for c in pack.clocks] == [
        "acceptance",
        "investigation",
        "order_payment",
        "referral_decision",
        "referral_transfer",
        "police_decision",
        "review",
    ]
    inv = pack.clock("investigation")
    assert str(inv.limit) == "60 workdays"
    assert inv.status is Status.V
    assert inv.start.on_event == ("file",)
    assert inv.extension is not None
    assert str(inv.extension.up_to) == "30 workdays"
    assert inv.pause is not None
    assert inv.pause.on_enter == ("suspended",)
    assert inv.resume is not None
    assert inv.resume.on_leave == ("suspended",)
    acc = pack.clock("acceptance")
    assert str(acc.limit) == "5 workdays"
    assert acc.status is Status.S
    order = pack.clock("order_payment")
    assert order.per_case_limit
    assert order.status is Status.CONV
    assert str(pack.clock("referral_decision").limit) == "3 days"  # calendar days, flagged
    assert "自然日" in (pack.clock("referral_decision").note or "")


def test_crime_screen_uses_thresholds_and_needs_the_order_breached() -> None:
    esc = load_pack("national").escalation("crime_screen")
    assert [a.kind for a in esc.do] == ["refer_police", "notify"]
    group = dict(workers=10, amount=Decimal(30000))
    assert esc.condition.evaluate(ctx(**group, clocks={"order_payment": "breached"})) is True
    assert esc.condition.evaluate(ctx(**group, clocks={"order_payment": "running"})) is False
    assert (
        esc.condition.evaluate(
            ctx(workers=9, amount=Decimal(30000), clocks={"order_payment": "breached"})
        )
        is False
    )
    single = dict(workers=1, amount=Decimal(5000), clocks={"order_payment": "breached"})
    assert esc.condition.evaluate(ctx(**single, flags=("arrears_3_months",))) is True
    assert esc.condition.evaluate(ctx(**single)) is False  # fewer than 3 months owed


def test_supervise_and_leader_thresholds() -> None:
    pack = load_pack("national")
    sup = pack.escalation("supervise_major").condition
    assert sup.evaluate(ctx(workers=100)) is True
    assert sup.evaluate(ctx(workers=99, amount=Decimal("999999.99"))) is False
    assert sup.evaluate(ctx(amount=Decimal(1000000))) is True
    assert pack.escalation("leader_major").condition.evaluate(ctx(workers=30)) is True


def test_yangquan_overlay() -> None:
    pack = load_pack("yangquan-2019")
    assert pack.effective is not None
    assert pack.effective.from_ == date(2019, 11, 15)
    assert pack.effective.to == "spring_festival"
    assert str(pack.clock("classify").limit) == "end_of_day"
    assert str(pack.clock("verify").limit) == "end_of_day"
    assert str(pack.clock("year_end").limit) == "by 2019-12-31"
    verify_start = pack.clock("verify").start
    assert verify_start.admits("platform", date(2019, 11, 20))
    assert not verify_start.admits("transferred", date(2019, 11, 20))
    assert not verify_start.admits("inspection", date(2019, 11, 20))
    assert pack.clock("transferred_facts").start.admits("transferred", date(2019, 11, 20))
    assert not pack.clock("transferred_facts").start.admits("visit", date(2019, 11, 20))
    report = pack.escalation("transferred_report")
    assert [a.kind for a in report.do] == ["require_report", "assign_leader"]
    assert report.condition.evaluate(ctx(channel="transferred")) is True
    advance = pack.escalation("verify_failed_advance")
    assert advance.do[0].recommend is not None
    assert advance.do[0].recommend.event == "advance"
    ledger = next(r for r in pack.routing.reports if r.id == "monthly_ledger")
    assert ledger.day_of_month == 28
    # the override of an inherited escalation keeps its condition and quotes the local notice
    crime = pack.escalation("crime_screen")
    assert "阳农工治欠办发〔2019〕7号 三（三）7" in crime.basis
    national_file = str(PACKS_DIR / "national.yaml")
    assert [f for f, _ in pack.sources_of("crime_screen")] == [
        national_file,
        str(PACKS_DIR / "yangquan-2019.yaml"),
    ]
    assert pack.routing.role("city_office").label == "市领导小组办公室（市人社局）"  # type: ignore[union-attr]
    assert pack.routing.role("city_office").level == "city"  # type: ignore[union-attr]


def test_yunnan_overlay() -> None:
    pack = load_pack("yunnan-2021")
    assert pack.effective is not None
    assert pack.effective.from_ == date(2021, 11, 1)
    assert str(pack.clock("campaign").limit) == "before_spring_festival"
    raise_ = pack.escalation("raise_level_hard")
    assert raise_.do[0].raise_level is not None
    assert raise_.condition.evaluate(ctx(clocks={"investigation": "breached"})) is True
    assert (
        raise_.condition.evaluate(ctx(level="city", clocks={"investigation": "breached"})) is False
    )
    assert raise_.condition.evaluate(ctx(clocks={"campaign": "warned"})) is True
    leader = pack.escalation("leader_old_or_major").condition
    assert leader.evaluate(ctx(flags=("old_case",))) is True
    assert leader.evaluate(ctx()) is False
    assert "人社部明电〔2021〕12号 三（三）" in pack.escalation("crime_screen").basis
    assert pack.param_values["emergency_fund_county_min"] == 1000000


def test_fingerprints_differ() -> None:
    prints = {load_pack(n).fingerprint for n in SHIPPED}
    assert len(prints) == len(SHIPPED)
    assert load_pack("national").fingerprint == load_pack(PACKS_DIR / "national.yaml").fingerprint
