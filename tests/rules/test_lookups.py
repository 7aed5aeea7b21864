"""Lookups that can miss raise errors of our tree (UnknownName, InvalidArgument), never a bare
KeyError or ValueError — and stay catchable as KeyError / ValueError for older callers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from zhiqian import InvalidArgument, UnknownName, ZhiqianError
from zhiqian.rules import ConditionContext, LegalCalendar, compute_deadline, load_pack, parse_limit
from zhiqian.rules.divisions import level_of, name_path

PACK = load_pack("national")


@pytest.mark.parametrize(
    ("lookup", "kind", "a_known_one"),
    [
        (PACK.clock, "clock", "investigation"),
        (PACK.escalation, "escalation", "crime_screen"),
        (PACK.event, "lifecycle event", "close"),
        (PACK.state, "state", "reviewing"),
        (PACK.role, "role", "county_office"),
        (PACK.action, "declared action", "police_received"),
        (PACK.guard, "lifecycle event", "close"),
    ],
)
def test_pack_lookups_name_what_is_missing_and_what_is_known(
    lookup: Callable[[str], Any], kind: str, a_known_one: str
) -> None:
    with pytest.raises(UnknownName) as missed:
        lookup("no_such_thing")
    error = missed.value
    assert isinstance(error, ZhiqianError)
    assert isinstance(error, KeyError)  # callers that caught the old bare KeyError still do
    assert (error.kind, error.name, error.where) == (kind, "no_such_thing", "pack 'national'")
    assert a_known_one in error.known
    message = str(error)
    assert message.startswith(f"pack 'national' has no {kind} 'no_such_thing'; known: ")
    assert a_known_one in message


def test_found_lookups_return_the_element() -> None:
    assert PACK.clock("investigation").id == "investigation"
    assert PACK.event("close").to == "closed"
    assert PACK.state("closed").final
    assert PACK.role("leader").label == "分管领导"
    assert PACK.guard("close") is None  # known event without a guard


def test_sources_and_guard_check_miss_as_unknown_name() -> None:
    with pytest.raises(UnknownName, match=r"has no clocks 'nope'; known: .*investigation"):
        PACK.source_of("nope", "clocks")
    with pytest.raises(UnknownName, match="has no event guard 'close'"):
        PACK.guard_check("close", {})


def test_division_lookups() -> None:
    with pytest.raises(UnknownName, match="unknown division code '140399'") as missed:
        name_path("140399")
    assert isinstance(missed.value, LookupError)
    assert missed.value.why is not None
    assert "阳泉市" in missed.value.why
    with pytest.raises(InvalidArgument, match="6 digits expected") as bad:
        level_of("14030")
    assert isinstance(bad.value, ValueError)
    assert (bad.value.name, bad.value.value) == ("division code", "14030")


def test_argument_errors_are_invalid_argument() -> None:
    calendar = LegalCalendar.default()
    with pytest.raises(InvalidArgument, match="roll_over: must be one of") as bad:
        compute_deadline(
            parse_limit("5 workdays"),
            datetime(2026, 3, 2, 9, tzinfo=UTC),
            calendar=calendar,
            roll_over="sideways",  # type: ignore[arg-type]
        )
    assert bad.value.value == "sideways"
    with pytest.raises(InvalidArgument, match="ConditionContext has no field colour"):
        ConditionContext.from_mapping({"colour": "red"})
    with pytest.raises(InvalidArgument, match="1900–2099"):
        LegalCalendar.spring_festival(2200)
