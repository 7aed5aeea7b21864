"""Stored cases feed the official reports: actions recorded through the engine show up in 附件2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from zhiqian import Engine, FrozenClock
from zhiqian.engine.reports import campaign_report
from zhiqian.testing import sample_complaint


def test_recorded_outcomes_are_counted_in_the_campaign_form(db_url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    with Engine.open(db_url, create=True, clock=clock) as eng:
        a = eng.receive(
            sample_complaint(
                1, workers=12, migrant_workers=10, amount="240000.00", migrant_amount="200000.00"
            )
        )
        b = eng.receive(
            sample_complaint(
                2, workers=3, migrant_workers=3, amount="45000.00", migrant_amount="45000.00"
            )
        )
        dismissed = eng.receive(sample_complaint(3))
        eng.act(dismissed.id, "dismiss", actor="a")
        for case in (a, b):
            eng.act(case.id, "verify", actor="a")
            eng.act(case.id, "find_arrears", actor="a")
        eng.act(a.id, "file", actor="a")
        eng.act(a.id, "order_payment", actor="a", params={"within": "5 workdays"})
        eng.act(a.id, "decide", actor="a")
        eng.act(b.id, "resolve_without_filing", actor="a")
        eng.act(
            b.id,
            "recover",
            actor="a",
            params={
                "workers": 3,
                "migrant_workers": 3,
                "amount": "45000.00",
                "migrant_amount": "45000.00",
            },
        )
        cases = list(eng.report_cases())
    assert {c.id for c in cases} == {a.id, b.id, dismissed.id}
    by_id = {c.id: c for c in cases}
    assert by_id[a.id].filed
    assert by_id[a.id].orders_to_correct == 1
    assert by_id[b.id].recovered_amount == Decimal("45000.00")
    report = campaign_report(
        cases,
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        unit_name="测试",
        made_at=clock.now(),
    )
    total = report.rows[0]
    assert total.figure(10, exact=True) == 1  # 立案
    assert total.figure(11, exact=True) == 1  # 协调解决
    assert total.figure(16, exact=True) == 1  # 责令改正
    assert total.figure(17, exact=True) == 1  # 行政处理决定
    assert total.figure(8, exact=True) == Decimal("28.5")  # (240000 + 45000) yuan = 28.5 万元
    assert total.figure(14, exact=True) == Decimal("4.5")  # 45000 yuan recovered
