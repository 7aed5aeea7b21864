"""Helpers for host systems' own tests: a frozen clock and realistic sample complaints.

from zhiqian.testing import FrozenClock, sample_complaint
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from zhiqian.clock import FrozenClock
from zhiqian.rules.codes import make_id_number, make_uscc

if TYPE_CHECKING:
    from collections.abc import Mapping

    from zhiqian.engine.engine import Engine
    from zhiqian.engine.views import DecisionView

__all__ = ["FrozenClock", "approve_act", "sample_complaint"]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ["建国", "秀英", "伟", "芳", "军", "敏", "强", "丽", "磊", "洋", "勇", "艳", "杰", "娟"]
_EMPLOYERS = [
    ("construction", "建筑工程有限公司"),
    ("construction", "建设集团有限公司"),
    ("manufacturing", "机械制造有限公司"),
    ("manufacturing", "服装加工厂"),
    ("training", "教育培训学校"),
    ("other", "餐饮管理有限公司"),
]
_PLACES = ["城区", "矿区", "郊区", "平定", "盂县", "南山", "东岭", "桃河"]


def sample_complaint(
    seed: int = 0,
    *,
    received_at: datetime | str | None = None,
    region: str = "140302",
    **overrides: Any,
) -> dict[str, Any]:
    """A valid complaint record (the JSON shape other systems post), the same for the same seed.

    ``overrides`` replace top-level fields, e.g. ``sample_complaint(3, workers=40)``.
    """
    rng = random.Random(seed)
    category, suffix = rng.choice(_EMPLOYERS)
    workers = rng.randint(1, 60)
    migrants = rng.randint(0, workers)
    amount = Decimal(rng.randint(3_000, 2_000_000)) + Decimal(rng.randint(0, 99)) / 100
    migrant_amount = (amount * migrants / workers).quantize(Decimal("0.01"))
    at = received_at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + timedelta(hours=seed % 500)
    received = at if isinstance(at, str) else at.isoformat()
    birth = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))
    project = None
    if category == "construction":
        project = {
            "name": f"{rng.choice(_PLACES)}{rng.choice(['安置房', '道路改造', '学校'])}项目",
            "kind": rng.choice(["government", "ppp", "soe"]),
        }
    record: dict[str, Any] = {
        "ref": f"ZQ-TEST-{seed:06d}",
        "received_at": received,
        "channel": rng.choice(["platform", "hotline_12333", "visit"]),
        "region": region,
        "employer": {
            "name": f"阳泉市{rng.choice(_PLACES)}{suffix}",
            "uscc": make_uscc(rng, region),
            "category": category,
        },
        "project": project,
        "workers": workers,
        "migrant_workers": migrants,
        "amount": str(amount),
        "migrant_amount": str(migrant_amount),
        "complainant": {
            "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            "id_number": make_id_number(rng, region, birth),
        },
        "flags": ["collective"] if workers >= 10 else [],
        "summary": f"{workers}名工人被拖欠工资共计{amount}元。",
    }
    record.update(overrides)
    return record


def approve_act(
    engine: Engine,
    case_id: int,
    act: str,
    *,
    params: Mapping[str, Any] | None = None,
    proposer: str = "监察员-测试",
    decider: str = "负责人-测试",
    at: datetime | None = None,
) -> DecisionView:
    """An act the law reserves to a person, proposed and approved in two steps, as a test's
    setup needs it (a case already supervised, raised, referred…): ``propose`` by ``proposer``,
    then ``decide … approve`` by ``decider``. Returns the approved decision."""
    proposed = engine.propose(
        case_id, act, actor=proposer, reason="测试：提请决定", params=params, at=at
    )
    return engine.decide(
        case_id, proposed.id, "approve", actor=decider, reason="测试：同意", params=params, at=at
    )
