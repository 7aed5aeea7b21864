"""``InForce``: the one type for the dates a rule, a clock, a param or a report is in force."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from zhiqian.rules.in_force import InForce


def test_both_ends_are_included() -> None:
    window = InForce.model_validate({"from": "2021-11-01", "to": "2022-01-30"})
    assert window.from_ == date(2021, 11, 1)
    assert window.covers(date(2021, 11, 1))
    assert window.covers(date(2022, 1, 30))
    assert not window.covers(date(2021, 10, 31))
    assert not window.covers(date(2022, 1, 31))
    assert str(window) == "2021-11-01 至 2022-01-30"


def test_an_open_end_is_unbounded() -> None:
    since = InForce.model_validate({"from": date(2021, 10, 28)})
    assert since.covers(date(2035, 1, 1))
    assert not since.covers(date(2021, 10, 27))
    assert since.text_zh() == "2021-10-28 起"
    until = InForce(to=date(2019, 12, 31))
    assert until.covers(date(1990, 1, 1))
    assert not until.covers(date(2020, 1, 1))
    assert until.text_zh() == "至 2019-12-31"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({}, "needs from, to or both"),
        ({"from": "2022-01-30", "to": "2021-11-01"}, "is after in_force.to"),
        ({"from": "2021-13-01"}, "from"),
        ({"from": datetime(2021, 11, 1, 8)}, "not a moment"),
        ({"since": "2021-11-01"}, "since"),
    ],
)
def test_bad_windows_are_refused_naming_the_problem(value: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        InForce.model_validate(value)


def test_covers_wants_a_local_day_not_a_moment() -> None:
    with pytest.raises(TypeError, match="local date"):
        InForce(to=date(2019, 12, 31)).covers(datetime(2019, 12, 31, 23))  # type: ignore[arg-type]


def test_frozen() -> None:
    window = InForce(to=date(2019, 12, 31))
    with pytest.raises(ValidationError):
        window.to = date(2020, 1, 1)  # type: ignore[misc]
