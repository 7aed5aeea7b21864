"""``contracted_migrant_workers`` at the door: 附件2 column 4, optional, None = not known."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from zhiqian import Engine, FrozenClock
from zhiqian.engine.domain.intake import Complaint, parse_batch, parse_complaint
from zhiqian.errors import InvalidIntake
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def record(**changes: Any) -> dict[str, Any]:
    return sample_complaint(1, **{"workers": 12, "migrant_workers": 10, **changes})


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidIntake) as caught:
        parse_complaint(data, now=NOW)
    return {p.field: p.problem for p in caught.value.problems}


def test_absent_or_null_is_not_known_and_a_number_is_kept() -> None:
    assert parse_complaint(record(), now=NOW).contracted_migrant_workers is None
    assert (
        parse_complaint(record(contracted_migrant_workers=None), now=NOW).contracted_migrant_workers
        is None
    )
    for n in (0, 7, 10):
        parsed = parse_complaint(record(contracted_migrant_workers=n), now=NOW)
        assert parsed.contracted_migrant_workers == n


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (-1, "cannot be negative"),
        (11, "11 migrant workers with a labour contract is more than the 10 migrant workers"),
        ("7", "must be a whole number (a JSON integer), not str"),
        (7.0, "must be a whole number (a JSON integer), not a number"),
        (True, "not a boolean"),
        ([7], "not a list"),
        (10**7, "more than the largest number accepted"),
    ],
)
def test_each_bad_value_is_named(value: object, fragment: str) -> None:
    found = problems(record(contracted_migrant_workers=value))
    assert list(found) == ["contracted_migrant_workers"]
    assert fragment in found["contracted_migrant_workers"]
    assert "migrant workers with a labour contract" in found["contracted_migrant_workers"]


def test_the_cross_check_waits_for_a_valid_migrant_count() -> None:
    found = problems(record(migrant_workers="ten", contracted_migrant_workers=99))
    assert set(found) == {"migrant_workers"}
    found = problems(record(migrant_workers=20, contracted_migrant_workers=15))
    assert set(found) == {"migrant_workers"}  # 20 > 12 workers; 15 is not judged against it


def test_it_round_trips_and_batches_like_the_other_fields() -> None:
    parsed = parse_complaint(record(contracted_migrant_workers=4), now=NOW)
    data = parsed.to_json_dict()
    assert data["contracted_migrant_workers"] == 4
    assert Complaint.from_json_dict(data) == parsed
    good, bad = parse_batch(
        [
            record(ref="A", contracted_migrant_workers=3),
            record(ref="B", contracted_migrant_workers=-2),
        ],
        now=NOW,
    )
    assert isinstance(good, Complaint)
    assert isinstance(bad, InvalidIntake)
    assert bad.record == 1


def test_the_case_keeps_it_and_a_refused_record_writes_nothing(db_url: str) -> None:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW)) as eng:
        known = eng.receive(record(ref="K", contracted_migrant_workers=6), actor="平台对接")
        unknown = eng.receive(record(ref="U"), actor="平台对接")
        with pytest.raises(InvalidIntake):
            eng.receive(record(ref="X", contracted_migrant_workers=11), actor="平台对接")
        by_id = {c.id: c for c in eng.report_cases()}
    assert set(by_id) == {known.id, unknown.id}
    assert by_id[known.id].migrant_contracts == 6
    assert by_id[unknown.id].migrant_contracts is None
