"""A case uses only the rules in force when it happened (issue 10: 2019 notices cited
人社部明电〔2021〕12号). Through the Engine on both databases: the rule is judged on the day of
the change that could fire it, and ``rules explain`` says why a rule does not apply."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from zhiqian import Engine, FrozenClock
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
MAJOR: dict[str, Any] = dict(
    workers=120,
    migrant_workers=110,
    amount="2400000.00",
    migrant_amount="2200000.00",
    flags=["collective"],
)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def test_a_2019_major_case_gets_no_2021_notice(db_url: str) -> None:
    clock = FrozenClock(cst(2019, 12, 2, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        case = eng.receive(sample_complaint(1, received_at=cst(2019, 12, 2, 8, 30), **MAJOR))
        rules = {e.rule for e in eng.get(case.id).escalations}
        assert "supervise_major" in rules  # 《劳动保障监察条例》第十三条 (2004): in force
        assert "leader_major" not in rules  # 人社部明电〔2021〕12号 (2021-10-28): not yet
        explained = {e.id: e for e in eng.explain(case.id).escalations}
        leader = explained["leader_major"]
        assert leader.holds_now is False
        assert leader.in_force == "2021-10-28 起"
        assert leader.out_of_force == "规则 未施行（2021-10-28 起）"
        assert explained["supervise_major"].out_of_force is None
        lines = eng.explain(case.id).lines()
        assert (
            "[leader_major] 领导包案（重大案件） — 规则 未施行（2021-10-28 起）："
            'workers >= params.major_workers or amount >= params.major_amount or "collective" '
            "in flags"
        ) in lines
        assert any(
            line.startswith("    施行期间 2021-10-28 起；依据 人社部明电〔2021〕12号")
            for line in lines
        )


def test_the_same_case_in_2022_gets_the_rule(db_url: str) -> None:
    clock = FrozenClock(cst(2022, 3, 1, 9, 0))
    with Engine.open(db_url, create=True, clock=clock) as eng:
        case = eng.receive(sample_complaint(2, received_at=cst(2022, 3, 1, 8, 30), **MAJOR))
        assert {"supervise_major", "leader_major"} <= {e.rule for e in eng.get(case.id).escalations}


def test_a_campaign_rule_stops_with_its_campaign(db_url: str) -> None:
    """yunnan-2021: 领导包案 for 陈案 (leader_old_or_major) only until the eve of the 2022 break."""
    old_case: dict[str, Any] = dict(
        workers=3,
        migrant_workers=3,
        amount="9000.00",
        migrant_amount="9000.00",
        flags=["old_case"],
        region="530102",
    )
    clock = FrozenClock(cst(2022, 1, 28, 9, 0))
    with Engine.open(db_url, create=True, clock=clock, pack="yunnan-2021") as eng:
        inside = eng.receive(sample_complaint(3, received_at=cst(2022, 1, 28, 8, 0), **old_case))
        assert "leader_old_or_major" in {e.rule for e in eng.get(inside.id).escalations}
        clock.set(cst(2022, 2, 8, 9, 0))
        after = eng.receive(sample_complaint(4, received_at=cst(2022, 2, 8, 8, 0), **old_case))
        assert "leader_old_or_major" not in {e.rule for e in eng.get(after.id).escalations}
        (why,) = [
            e.out_of_force
            for e in eng.explain(after.id).escalations
            if e.id == "leader_old_or_major"
        ]
        assert why == "规则 已失效（2021-11-01 至 2022-01-30）"
