"""附件2 counts what was done, from the store, on both databases: each payment and each order
once, column 4 blank where nobody knows it, column 19 only what a named person approved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from zhiqian import Engine, FrozenClock, Refused
from zhiqian.engine.reports import CampaignReport, campaign_report
from zhiqian.store.tables import CaseRow, DecisionRow, table_of
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture
def eng(db_url: str) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW)) as engine:
        yield engine


def form(eng: Engine) -> CampaignReport:
    return campaign_report(
        eng.report_cases(),
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        unit_name="阳泉市城区人力资源和社会保障局",
        made_at=NOW,
    )


def complaint(seed: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "workers": 3,
        "migrant_workers": 2,
        "amount": "45000.00",
        "migrant_amount": "30000.00",
        "project": None,
        "employer": {"name": f"阳泉市城区某{seed}号劳务有限公司", "category": "construction"},
    }
    return sample_complaint(seed, **{**base, **kw})


def refused(eng: Engine, case_id: int, event: str, **params: Any) -> str:
    """The refusal's text; and nothing written: the case is at the version it was."""
    version = eng.get(case_id, history=False).version
    with pytest.raises(Refused) as caught:
        eng.act(case_id, event, actor="监察员-王", params=params)
    assert eng.get(case_id, history=False).version == version
    return str(caught.value)


def test_payments_orders_and_contracts_are_counted_once(eng: Engine) -> None:
    a = eng.receive(complaint(1, contracted_migrant_workers=2), actor="12333 对接")
    b = eng.receive(complaint(2), actor="12333 对接")
    for case in (a, b):
        eng.act(case.id, "verify", actor="监察员-王")
        eng.act(case.id, "find_arrears", actor="监察员-王")
    # b's contracts are not known yet: 合计 and 建筑企业 leave column 4 blank and say why
    report = form(eng)
    assert report.row("total").figure(4) is None
    assert report.contracts_unknown == 1
    assert "有1件案件（涉及农民工2人）尚未登记签订劳动合同人数" in report.notes[3]
    eng.act(b.id, "record_contracts", actor="监察员-王", params={"contracted_migrant_workers": 1})
    report = form(eng)
    assert report.row("total").figure(4, exact=True) == D("0.0003")  # 2 + 1 persons
    assert len(report.notes) == 3

    pay = {"workers": 3, "migrant_workers": 2, "amount": "20000.00", "migrant_amount": "10000"}
    eng.act(a.id, "recover", actor="监察员-王", params=pay)
    assert "the same payment was recorded already" in refused(eng, a.id, "recover", **pay)
    second = {**pay, "workers": 0, "migrant_workers": 0, "payment_ref": "第二期"}
    eng.act(a.id, "recover", actor="监察员-王", params=second)
    message = refused(eng, a.id, "recover", amount="5000.01", payment_ref="第三期")
    assert "45000.01 yuan, more than the 45000.00 yuan owed" in message
    eng.act(
        a.id,
        "recover",
        actor="监察员-王",
        params={"amount": "5000", "compensation": "22500", "migrant_compensation": "10000"},
    )

    eng.act(a.id, "order_payment", actor="监察员-王", params={"within": "5 workdays"})
    eng.act(
        b.id,
        "order_correct",
        actor="监察员-王",
        params={"doc_type": "劳动保障监察限期改正指令书", "doc_no": "阳城劳监〔2026〕9号"},
    )
    message = refused(
        eng, b.id, "order_correct", doc_type="限期改正指令书", doc_no="阳城劳监[2026]9号"
    )
    assert "文号 阳城劳监[2026]9号 was recorded already" in message
    eng.act(
        b.id,
        "decide",
        actor="监察员-王",
        params={"doc_no": "阳城劳监处〔2026〕2号"},
    )
    assert "was recorded already" in refused(eng, b.id, "decide", doc_no="阳城劳监处〔2026〕2号")

    total = form(eng).row("total")
    assert total.figure(12, exact=True) == D("0.0003")  # 3 workers, paid in three instalments
    assert total.figure(13, exact=True) == D("0.0002")
    assert total.figure(14, exact=True) == D("6.75")  # 45000 wages + 22500 赔偿金
    assert total.figure(15, exact=True) == D("3.00")  # 20000 wages + 10000 赔偿金
    assert total.figure(16, exact=True) == 2  # an order to pay and another 责令改正
    assert total.figure(17, exact=True) == 1
    assert eng.verify_audit() == []


def test_column_19_counts_approved_referrals_and_20_their_police_filings(eng: Engine) -> None:
    ids = [eng.receive(complaint(10 + i), actor="12333 对接").id for i in range(5)]
    approved, pending, rejected, screened, recommended = ids
    eng.act(
        recommended,
        "recommend",
        actor="系统",
        params={"event": "refer_police", "label": "建议移送公安机关"},
    )
    cases, decisions = table_of(CaseRow), table_of(DecisionRow)
    at = NOW - timedelta(hours=1)
    with eng.bind.begin() as conn:
        # what the decision model writes (COMMON.md): a proposal, then a named person's decision;
        # only the approval performs the act and sets police_referred_at
        for case_id, status in (
            (approved, "approved"),
            (pending, "pending"),
            (rejected, "rejected"),
        ):
            conn.execute(
                sa.insert(decisions).values(
                    case_id=case_id,
                    act="refer_police",
                    status=status,
                    rule_id="crime_screen",
                    proposed_by="crime_screen",
                    proposed_at=at,
                    proposed_seq=2,
                    params={},
                    grounds="涉嫌拒不支付劳动报酬罪",
                    decider_role="负责人",
                    decider_division="140302",
                    clock_id="referral_decision",
                    decided_by=None if status == "pending" else "局长-李",
                    decided_at=None if status == "pending" else at,
                )
            )
        # the approved case was sent and filed; the screened one is what a rule did before the
        # decision model: police_referred_at without anybody's approval
        for case_id in (approved, screened):
            conn.execute(
                sa.update(cases)
                .where(cases.c.id == case_id)
                .values(police_referred_at=at, police_filed_at=at)
            )
    by_id = {c.id: c for c in eng.report_cases()}
    assert [i for i in ids if by_id[i].police_referred] == [approved]
    assert [i for i in ids if by_id[i].police_filed] == [approved]
    total = form(eng).row("total")
    assert total.figure(19) == 1
    assert total.figure(20) == 1
