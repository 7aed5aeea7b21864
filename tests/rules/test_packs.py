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
        # the decisions' clocks the loader makes from `decisions:` (refer_police has its own)
        "decide_supervise",
        "decide_raise_level",
        "decide_blacklist",
        "decide_assign_leader",
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
    assert [a.kind for a in esc.do] == ["refer_police"]  # proposed; its documents follow decisions
    breached = {"order_payment": "breached"}
    group = dict(workers=10, amount=Decimal(30000))
    assert esc.condition.evaluate(ctx(**group, clocks=breached)) is True
    assert esc.condition.evaluate(ctx(**group, clocks={"order_payment": "running"})) is False
    assert esc.condition.evaluate(ctx(workers=9, amount=Decimal(30000), clocks=breached)) is False
    # branch (一): what ONE worker is owed, and for how many months ("以上" includes the figure)
    one = dict(workers=4, amount=Decimal(9000), clocks=breached)
    owed = dict(largest_owed=Decimal(5000), largest_owed_months=3)
    assert esc.condition.evaluate(ctx(**one, **owed)) is True
    no_order = {**one, "clocks": {}}
    assert esc.condition.evaluate(ctx(**no_order, **owed)) is False  # no order breached
    assert esc.condition.evaluate(ctx(**one, largest_owed=Decimal(5000))) is False  # months?
    assert (
        esc.condition.evaluate(ctx(**one, largest_owed=Decimal(5000), largest_owed_months=2))
        is False
    )
    assert (
        esc.condition.evaluate(ctx(**one, largest_owed=Decimal("4999.99"), largest_owed_months=9))
        is False
    )
    # the old flag alone no longer stands for the months of one worker's pay
    assert esc.condition.evaluate(ctx(**one, flags=("arrears_3_months",))) is False


def test_nine_workers_owed_six_thousand_in_all_are_not_screened_for_referral() -> None:
    """Issue 10: the one-worker branch was applied to the case total. 9 workers owed 6,000 yuan
    in all: fewer than ten workers, and no one worker can be owed 5,000 for three months unless
    the case records it."""
    esc = load_pack("national").escalation("crime_screen")
    nine = dict(workers=9, amount=Decimal(6000), clocks={"order_payment": "breached"})
    assert esc.condition.evaluate(ctx(**nine)) is False
    assert esc.condition.evaluate(ctx(**nine, flags=("arrears_3_months",))) is False
    assert (
        esc.condition.evaluate(ctx(**nine, largest_owed=Decimal(1000), largest_owed_months=4))
        is False
    )


def test_blacklist_screen_per_45_ling_article_5() -> None:
    esc = load_pack("national").escalation("blacklist_screen")
    breached = {"order_payment": "breached"}
    at = datetime(2022, 3, 1, 2, tzinfo=UTC)
    migrants = dict(workers=12, migrant_workers=10, amount=Decimal(40000), now=at)
    assert esc.condition.evaluate(ctx(**migrants, migrant_amount=Decimal(30000), clocks=breached))
    # (一) counted over migrant workers' wages: 10 migrants owed 29,999.99 are below the line
    assert not esc.condition.evaluate(
        ctx(**migrants, migrant_amount=Decimal("29999.99"), clocks=breached)
    )
    # no migrant workers: 45号令 is about 农民工工资
    none = dict(workers=12, migrant_workers=0, amount=Decimal(90000), migrant_amount=0, now=at)
    assert not esc.condition.evaluate(ctx(**none, clocks=breached))
    assert not esc.condition.evaluate(
        ctx(**none, flags=("collective", "serious_impact"), clocks=breached)
    )
    # (一) one worker: only when every worker owed is a migrant worker
    one = dict(largest_owed=Decimal(6000), largest_owed_months=3, now=at, clocks=breached)
    all_migrants = dict(workers=3, migrant_workers=3, amount=Decimal(9000))
    assert esc.condition.evaluate(ctx(**all_migrants, migrant_amount=Decimal(9000), **one))
    some = dict(workers=3, migrant_workers=2, amount=Decimal(9000), migrant_amount=Decimal(3000))
    assert not esc.condition.evaluate(ctx(**some, **one))
    # (二) a 群体性 or 极端 incident with serious social impact — not any collective complaint
    small = dict(workers=3, migrant_workers=3, amount=Decimal(900), migrant_amount=Decimal(900))
    assert not esc.condition.evaluate(ctx(**small, flags=("collective",), now=at, clocks=breached))
    assert not esc.condition.evaluate(ctx(**small, flags=("extreme",), now=at, clocks=breached))
    assert not esc.condition.evaluate(
        ctx(**small, flags=("serious_impact",), now=at, clocks=breached)
    )
    for kind in ("collective", "extreme"):
        flags = (kind, "serious_impact")
        assert esc.condition.evaluate(ctx(**small, flags=flags, now=at, clocks=breached))
        # and only once the 责令限期支付 period passed unpaid
        assert not esc.condition.evaluate(ctx(**small, flags=flags, now=at))
    # 45号令 took effect on 2022-01-01: nothing before
    before = datetime(2021, 12, 31, 15, tzinfo=UTC)  # 23:00 in Shanghai
    flags = ("collective", "serious_impact")
    assert not esc.condition.evaluate(ctx(**small, flags=flags, now=before, clocks=breached))


def test_supervise_and_leader_thresholds() -> None:
    pack = load_pack("national")
    sup = pack.escalation("supervise_major").condition
    assert sup.evaluate(ctx(workers=100)) is True
    assert sup.evaluate(ctx(workers=99, amount=Decimal("999999.99"))) is False
    assert sup.evaluate(ctx(amount=Decimal(1000000))) is True
    assert pack.escalation("leader_major").condition.evaluate(ctx(workers=30)) is True


def test_yangquan_overlay() -> None:
    pack = load_pack("yangquan-2019")
    in_campaign = datetime(2019, 12, 2, 2, tzinfo=UTC)
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
    assert report.condition.evaluate(ctx(channel="transferred", now=in_campaign)) is True
    # the notice's rules are in force for its campaign only (to the eve of the 2020 break)
    assert report.in_force is not None
    assert report.in_force.text_zh() == "2019-11-15 至 2020-01-23"
    after = datetime(2020, 1, 23, 16, 1, tzinfo=UTC)  # 2020-01-24 00:01 in Shanghai
    assert report.condition.evaluate(ctx(channel="transferred", now=after)) is False
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


# -- the law in force on the day, and national law in the national pack

# When each document cited in the shipped rules took effect: 施行日期 as the document states it,
# for a campaign notice the first day of the campaign it declares (LAW.md; seeds/003, seeds/004).
TOOK_EFFECT: dict[str, date] = {
    "《劳动保障监察条例》": date(2004, 12, 1),  # 第三十六条
    "法释〔2013〕3号": date(2013, 1, 23),
    "《保障农民工工资支付条例》": date(2020, 5, 1),  # 第六十四条
    "人社部令第45号": date(2022, 1, 1),
    "人社部明电〔2021〕12号": date(2021, 10, 28),  # 落款日期
    "云治欠明电〔2021〕3号": date(2021, 11, 1),  # “从2021年11月1日至2022年春节前”
    "阳农工治欠办发〔2019〕7号": date(2019, 11, 15),  # “从2019年11月15日至2020年春节前”
}


def _first_day(pack: Any, in_force: Any) -> date:
    """The first day a rule or param of ``pack`` can apply: its own from, and for a campaign
    pack not before the campaign (a case of the pack is received in its window)."""
    days = [date.min]
    if in_force is not None and in_force.from_ is not None:
        days.append(in_force.from_)
    if pack.effective is not None:
        days.append(pack.effective.from_)
    return max(days)


@pytest.mark.parametrize("name", SHIPPED)
def test_no_rule_cites_a_document_before_it_took_effect(name: str) -> None:
    pack = load_pack(name)
    cited = 0
    elements = [(f"escalation {e.id}", e.basis, e.in_force) for e in pack.escalations] + [
        (f"param {n}", p.basis, p.in_force) for n, p in pack.params.items()
    ]
    for what, basis, in_force in elements:
        first = _first_day(pack, in_force)
        for document, effective in TOOK_EFFECT.items():
            if document in basis:
                cited += 1
                assert effective <= first, (
                    f"{name} {what} applies from {first} but cites {document} "
                    f"(in force from {effective})"
                )
    assert cited >= 10


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_knows_the_first_day_it_applies(name: str) -> None:
    pack = load_pack(name)
    for esc in pack.escalations:
        assert _first_day(pack, esc.in_force) > date.min, esc.id


def test_no_2021_document_on_a_2019_case() -> None:
    pack = load_pack("yangquan-2019")
    leader = pack.escalation("leader_major")
    assert "人社部明电〔2021〕12号" in leader.basis
    major = dict(workers=200, amount=Decimal(3_000_000), flags=("collective",))
    in_2019 = datetime(2019, 12, 2, 2, tzinfo=UTC)
    assert leader.condition.holds(ctx(**major, now=in_2019)) is True  # the facts would do …
    assert leader.condition.evaluate(ctx(**major, now=in_2019)) is False  # … the day does not
    assert leader.condition.out_of_force(in_2019) == "规则 未施行（2021-10-28 起）"
    # supervision rests on 条例 第十三条 (2004): it still applies to the 2019 case
    assert pack.escalation("supervise_major").condition.evaluate(ctx(**major, now=in_2019))


def test_yunnan_campaign_rules_only_in_the_campaign() -> None:
    pack = load_pack("yunnan-2021")
    raise_ = pack.escalation("raise_level_hard")
    breached = {"investigation": "breached"}
    assert raise_.condition.evaluate(ctx(clocks=breached, now=datetime(2022, 1, 30, 2, tzinfo=UTC)))
    for day in (datetime(2021, 10, 31, 2, tzinfo=UTC), datetime(2024, 3, 1, 2, tzinfo=UTC)):
        assert raise_.condition.evaluate(ctx(clocks=breached, now=day)) is False
    for rule in ("raise_level_hard", "leader_old_or_major", "special_team"):
        window = pack.escalation(rule).in_force
        assert window is not None
        assert (window.from_, window.to) == (date(2021, 11, 1), date(2022, 1, 30))


def _provinces() -> list[str]:
    from zhiqian.rules.divisions import all_divisions

    names = [d.name for d in all_divisions() if d.code.endswith("0000")]
    return [n[:3] if n.startswith(("内蒙古", "黑龙江")) else n[:2] for n in names]


def test_the_national_pack_cites_national_law_only() -> None:
    """Issue 10: the national pack cited a Heilongjiang rule (2013) in notices to 阳泉 and
    昆明. A figure taken from a province stays, as a local default naming its example; no basis,
    label or note of a national rule or param names a province."""
    pack = load_pack("national")
    provinces = _provinces()
    assert "黑龙" not in provinces
    assert "黑龙江" in provinces
    texts = [(f"escalation {e.id}", e.label, e.basis, e.note or "") for e in pack.escalations]
    texts += [(f"param {n}", p.label or "", p.basis, p.note or "") for n, p in pack.params.items()]
    for what, *fields in texts:
        for text in fields:
            found = [p for p in provinces if p in text]
            assert not found, f"{what} names {found}: {text}"
    local = {n for n, p in pack.params.items() if p.local_default}
    assert local == {"supervise_workers", "supervise_amount", "major_workers", "major_amount"}
    for name in local:
        param = pack.params[name]
        assert param.status in (Status.L, Status.CONV), name
        assert param.example, name
    assert "黑龙江" in (pack.params["supervise_workers"].example or "")
    assert pack.escalation("supervise_major").basis == "《劳动保障监察条例》第十三条第二款"
