"""The intake model: every field's problem names the field; all problems at once; batches."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiqian.engine.domain import intake
from zhiqian.engine.domain.intake import (
    Channel,
    Complaint,
    EmployerCategory,
    Flag,
    ProjectKind,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_batch,
    parse_complaint,
    read_records,
)
from zhiqian.errors import FieldProblem, InvalidIntake
from zhiqian.rules.codes import make_id_number, make_uscc

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ref": "GZQX-2026-000123",
        "received_at": "2026-11-20T09:30:00+08:00",
        "channel": "platform",
        "region": "140302",
        "employer": {
            "name": "阳泉市某建筑劳务有限公司",
            "uscc": "91140302MA0KXN5R01",
            "category": "construction",
        },
        "project": {"name": "城区棚户区改造安置房项目", "kind": "government"},
        "workers": 12,
        "migrant_workers": 10,
        "amount": "186000.00",
        "migrant_amount": "150000",
        "complainant": {
            "name": "张三",
            "phone": "13812345678",
            "id_number": "11010519491231002X",
        },
        "flags": ["collective"],
        "summary": "拖欠 2026 年 3 月至 9 月工资，多次讨要未果。",
    }
    base = copy.deepcopy(base)
    for key, value in changes.items():
        target = base
        *parents, last = key.split("__")
        for p in parents:
            target = target[p]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return base


def problems_of(data: Any, *, now: datetime = NOW) -> dict[str, FieldProblem]:
    with pytest.raises(InvalidIntake) as caught:
        parse_complaint(data, now=now)
    found = {p.field: p for p in caught.value.problems}
    assert len(found) == len(caught.value.problems), "one problem per field"
    return found


def only_problem(data: Any) -> FieldProblem:
    found = problems_of(data)
    assert len(found) == 1, found
    return next(iter(found.values()))


def test_the_fixture_uscc_is_valid() -> None:
    # A made-up but well-formed code registered in 阳泉市城区 (the demo's kind of employer).
    from zhiqian.rules.codes import uscc_problem

    assert uscc_problem("91140302MA0KXN5R01") is None


def test_a_valid_record_parses_into_typed_values() -> None:
    c = parse_complaint(record(), now=NOW)
    assert c.ref == "GZQX-2026-000123"
    assert c.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert c.channel is Channel.PLATFORM
    assert c.channel.label == "全国根治欠薪线索反映平台"
    assert c.employer.category is EmployerCategory.CONSTRUCTION
    assert c.employer.category.label == "建筑企业"
    assert c.project is not None
    assert c.project.kind is ProjectKind.GOVERNMENT
    assert c.amount == Decimal("186000.00")
    assert c.migrant_amount == Decimal("150000.00")
    assert c.flags == (Flag.COLLECTIVE,)


def test_every_channel_and_kind_has_a_chinese_label() -> None:
    for enum in (Channel, EmployerCategory, ProjectKind, Flag):
        for member in enum:
            assert member.label
            assert not member.label.isascii()
    assert Channel.TRANSFERRED.label == "上级转办"
    assert Channel.INSPECTION.label == "排查"


def test_complaint_is_frozen() -> None:
    c = parse_complaint(record(), now=NOW)
    with pytest.raises(ValueError, match="frozen"):
        c.workers = 3  # type: ignore[misc]
    assert hash(c) == hash(parse_complaint(record(), now=NOW))


def test_normalisation_is_limited_to_identifiers_and_phones() -> None:
    c = parse_complaint(
        record(
            employer__uscc=" 91140302ma0kxn5r01 ",
            complainant__id_number="11010519491231002x",
            complainant__phone="+86 138-1234-5678",
            flags=["sensitive", "collective", "sensitive"],
            ref="  A-1 ",
        ),
        now=NOW,
    )
    assert c.employer.uscc == "91140302MA0KXN5R01"
    assert c.complainant.id_number == "11010519491231002X"
    assert c.complainant.phone == "13812345678"
    assert c.flags == (Flag.COLLECTIVE, Flag.SENSITIVE)
    assert c.ref == "A-1"


def test_optional_parts() -> None:
    c = parse_complaint(
        record(project=None, employer__uscc=None, complainant__id_number=..., flags=...), now=NOW
    )
    assert c.project is None
    assert c.employer.uscc is None
    assert c.complainant.id_number is None
    assert c.flags == ()
    assert parse_complaint(record(project=...), now=NOW).project is None


# ---------------------------------------------------------------------------------------------
# Each field: its problem names it.


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"ref": ""}, "ref", "must not be empty"),
        ({"ref": "x" * 65}, "ref", "at most 64"),
        ({"ref": "A\x001"}, "ref", "control character U+0000"),
        ({"ref": "A\n1"}, "ref", "control character U+000A"),
        ({"ref": 123}, "ref", "must be text"),
        ({"ref": ...}, "ref", "is required"),
        ({"received_at": "2026-11-20 09:30"}, "received_at", "has no UTC offset"),
        ({"received_at": "20/11/2026"}, "received_at", "is not an ISO 8601 date and time"),
        ({"received_at": 1763600000}, "received_at", "not a number"),
        ({"received_at": "2026-11-23T12:00:01+08:00"}, "received_at", "is in the future"),
        ({"channel": "wechat"}, "channel", "unknown channel 'wechat'; one of: platform"),
        ({"channel": "PLATFORM"}, "channel", "unknown channel"),
        ({"region": "140399"}, "region", "no such code in 阳泉市"),
        ({"region": 140302}, "region", "string of 6 digits"),
        ({"region": "110100"}, "region", "直辖市"),
        ({"employer": "某公司"}, "employer", "must be an object with name, uscc, category"),
        ({"employer__name": " "}, "employer.name", "must not be empty"),
        ({"employer__uscc": "91140302MA0KXN5R0Q"}, "employer.uscc", "check digit is Q, expected 1"),
        ({"employer__uscc": "9114030"}, "employer.uscc", "must be 18 characters"),
        ({"employer__category": "mining"}, "employer.category", "unknown employer category"),
        ({"employer__category": ...}, "employer.category", "is required"),
        ({"project": "none"}, "project", "or null"),
        ({"project__kind": "private"}, "project.kind", "unknown project kind 'private'"),
        ({"workers": 0}, "workers", "at least 1 worker"),
        ({"workers": "12"}, "workers", "whole number (a JSON integer), not str"),
        ({"workers": 12.0}, "workers", "whole number"),
        ({"workers": True}, "workers", "not a boolean"),
        ({"migrant_workers": -1}, "migrant_workers", "cannot be negative"),
        ({"migrant_workers": 13}, "migrant_workers", "13 migrant workers is more than the 12"),
        ({"amount": 186000.5}, "amount", "binary floating point loses cents"),
        ({"amount": "-1"}, "amount", "negative"),
        ({"amount": "1.005"}, "amount", "more than 2 decimal places"),
        ({"amount": "186,000"}, "amount", "no separators or units"),
        ({"amount": "186000元"}, "amount", "no separators or units"),
        ({"amount": "NaN"}, "amount", "not an amount in yuan"),
        ({"amount": "1e5"}, "amount", "not an amount in yuan"),
        ({"amount": "1000000000000"}, "amount", "above the largest amount"),
        ({"amount": "1" * 40 + ".001"}, "amount", "above the largest amount"),
        ({"amount": "12.345"}, "amount", "more than 2 decimal places"),
        ({"amount": None}, "amount", "not null"),
        ({"migrant_amount": "186000.01"}, "migrant_amount", "more than the 186000.00 yuan"),
        ({"complainant__name": ""}, "complainant.name", "must not be empty"),
        ({"complainant__phone": "12345"}, "complainant.phone", "not a mainland mobile"),
        ({"complainant__phone": "0351-123456"}, "complainant.phone", "landline"),
        ({"complainant__id_number": "110105194912310021"}, "complainant.id_number", "expected X"),
        ({"flags": "collective"}, "flags", "must be a list"),
        ({"flags": ["collective", "angry"]}, "flags[1]", "unknown flag 'angry'"),
        ({"summary": ""}, "summary", "must not be empty"),
        ({"summary": "x" * 5001}, "summary", "at most 5000"),
        ({"priority": "high"}, "priority", "unknown field 'priority'; the fields are: ref,"),
        ({"employer__boss": "李四"}, "employer.boss", "unknown field 'boss'"),
    ],
)
def test_each_problem_names_its_field(changes: dict[str, Any], field: str, fragment: str) -> None:
    found = only_problem(record(**changes))
    assert found.field == field
    assert fragment in found.problem, found.problem


def test_several_errors_are_reported_at_once() -> None:
    found = problems_of(
        record(
            channel="web",
            employer__uscc="91140302MA0KXN5R0Q",
            workers=0,
            amount=12.5,
            complainant__phone="110",
            flags=["collective", "x", "y"],
            colour="red",
        )
    )
    assert set(found) == {
        "channel",
        "employer.uscc",
        "workers",
        "amount",
        "complainant.phone",
        "flags[1]",
        "flags[2]",
        "colour",
    }


def test_cross_field_checks_run_with_other_field_errors() -> None:
    found = problems_of(record(channel="web", migrant_workers=20, migrant_amount="999999"))
    assert set(found) == {"channel", "migrant_workers", "migrant_amount"}


def test_a_cross_check_is_skipped_when_its_other_field_is_wrong() -> None:
    found = problems_of(record(workers="many", migrant_workers=20))
    assert set(found) == {"workers"}


def test_a_record_that_is_not_an_object() -> None:
    found = only_problem(["ref", "x"])
    assert found.field == "<record>"
    assert found.problem == "a complaint must be a JSON object"


def test_empty_object_lists_every_required_field() -> None:
    found = problems_of({})
    assert set(found) == {
        "ref",
        "received_at",
        "channel",
        "region",
        "employer",
        "workers",
        "migrant_workers",
        "amount",
        "migrant_amount",
        "complainant",
        "summary",
    }
    assert all(p.problem == "is required" for p in found.values())


def test_personal_data_is_masked_in_problems_too() -> None:
    found = problems_of(
        record(complainant__id_number="110105194912310021", complainant__phone="1381234567")
    )
    assert found["complainant.id_number"].value == "110105********0021"
    assert "1381234567" not in str(found["complainant.phone"])
    assert found["complainant.phone"].value == "138***4567"


def test_pydantic_error_does_not_leak() -> None:
    with pytest.raises(InvalidIntake) as caught:
        parse_complaint(record(workers=0), now=NOW)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert str(caught.value) == "workers: at least 1 worker must be involved (got 0)"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_complaint(record(), now=datetime(2026, 11, 23, 12, 0))


# ---------------------------------------------------------------------------------------------
# Dates against the operation's now and the calendar day in the office's zone.


def test_received_exactly_now_is_accepted() -> None:
    assert parse_complaint(record(received_at="2026-11-23T12:00:00+08:00"), now=NOW)


def test_birth_today_in_beijing_is_accepted_even_when_utc_is_still_yesterday() -> None:
    # 2026-11-23 01:00 in Beijing is 2026-11-22 17:00 UTC.
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    newborn = make_id_number(random.Random(1), "140302", date(2026, 11, 23))
    data = record(received_at="2026-11-23T00:30:00+08:00", complainant__id_number=newborn)
    assert parse_complaint(data, now=now).complainant.id_number == newborn
    found = problems_of(data, now=now - timedelta(hours=2))  # 23:00 on the 22nd in Beijing
    assert "is in the future" in found["complainant.id_number"].problem


def test_today_tz_decides_the_day() -> None:
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    newborn = make_id_number(random.Random(1), "140302", date(2026, 11, 23))
    data = record(received_at="2026-11-22T10:00:00+00:00", complainant__id_number=newborn)
    with pytest.raises(InvalidIntake, match="in the future"):
        parse_complaint(data, now=now, today_tz=ZoneInfo("UTC"))


def test_region_is_checked_on_the_day_received() -> None:
    # 江北区 (500105) was withdrawn in 2025: a 2024 complaint still names it, a 2026 one cannot.
    old = record(region="500105", received_at="2024-06-03T10:00:00+08:00")
    assert parse_complaint(old, now=NOW).region == "500105"
    found = only_problem(record(region="500105", received_at="2026-11-20T10:00:00+08:00"))
    assert found.field == "region"
    assert "withdrawn in 2025" in found.problem


# ---------------------------------------------------------------------------------------------
# Output helpers.


def test_to_json_dict_is_json_safe_and_round_trips() -> None:
    c = parse_complaint(record(migrant_amount=150000), now=NOW)
    data = c.to_json_dict()
    assert data["amount"] == "186000.00"
    assert data["migrant_amount"] == "150000.00"
    assert data["received_at"] == "2026-11-20T09:30:00+08:00"
    assert data["channel"] == "platform"
    assert data["flags"] == ["collective"]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert Complaint.from_json_dict(data) == c


def test_from_json_dict_validates_too() -> None:
    data = parse_complaint(record(), now=NOW).to_json_dict()
    data["workers"] = 0
    with pytest.raises(InvalidIntake, match="workers"):
        Complaint.from_json_dict(data)


def test_masked_output() -> None:
    c = parse_complaint(record(complainant__id_number="110101199001061234"), now=NOW)
    masked = c.masked()
    assert masked["complainant"] == {
        "name": "张*",
        "phone": "138****5678",
        "id_number": "110101********1234",
    }
    assert "13812345678" not in json.dumps(masked)
    assert c.complainant.phone == "13812345678"  # the complaint itself is untouched


def test_mask_helpers() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0351-1234567") == "0351-***4567"
    assert mask_phone("010-12345678-801") == "010-****5678-801"
    assert mask_id_number("110101199001061234") == "110101********1234"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("0351-1234567", "0351-1234567"),
        ("03511234567", "0351-1234567"),
        ("(0351) 1234567", "0351-1234567"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("0871-65123456", "0871-65123456"),
        ("0351-1234567-801", "0351-1234567-801"),
    ],
)
def test_phone_shapes(given: str, stored: str) -> None:
    c = parse_complaint(record(complainant__phone=given), now=NOW)
    assert c.complainant.phone == stored


@pytest.mark.parametrize(
    "bad", ["12812345678", "1381234567", "010-1234567", "12345", "400-800-1234", "abc"]
)
def test_bad_phones(bad: str) -> None:
    assert only_problem(record(complainant__phone=bad)).field == "complainant.phone"


# ---------------------------------------------------------------------------------------------
# Reading records: one object, an array, JSON Lines.


def test_read_one_object_array_and_json_lines() -> None:
    one = json.dumps(record(), ensure_ascii=False, indent=2)
    assert read_records(one) == [record()]
    many = json.dumps([record(), record(ref="B")], ensure_ascii=False)
    assert [r["ref"] for r in read_records(many)] == ["GZQX-2026-000123", "B"]
    lines = "\n".join(json.dumps(record(ref=f"L{i}"), ensure_ascii=False) for i in range(3))
    assert [r["ref"] for r in read_records(lines + "\n\n")] == ["L0", "L1", "L2"]


def test_a_byte_order_mark_is_not_an_error() -> None:
    assert read_records("\ufeff" + json.dumps(record(), ensure_ascii=False)) == [record()]


def test_a_syntax_error_gives_line_and_column() -> None:
    text = '{\n  "ref": "A",\n  "workers": 12,,\n}'
    with pytest.raises(InvalidIntake) as caught:
        read_records(text)
    (p,) = caught.value.problems
    assert p.field == "<json>"
    assert p.problem.startswith("line 3, column 17:")


def test_json_lines_with_a_broken_line() -> None:
    good = json.dumps(record(ref="L0"), ensure_ascii=False)
    broken = good.replace('"ref": "L0",', '"ref": "L1"')
    text = "\n".join([good, broken, "", json.dumps(record(ref="L2"), ensure_ascii=False)])
    with pytest.raises(InvalidIntake) as caught:
        read_records(text)
    (p,) = caught.value.problems
    assert p.field == "<json>"
    assert p.problem.startswith("line 2, column ")
    assert "(JSON Lines record 1)" in p.problem

    kept = read_records(text, keep_going=True)
    assert isinstance(kept[0], dict)
    assert isinstance(kept[1], InvalidIntake)
    assert kept[1].record == 1
    assert isinstance(kept[2], dict)
    assert kept[2]["ref"] == "L2"


def test_a_broken_first_line_is_still_json_lines() -> None:
    lines = ['{"ref": "A",}', json.dumps(record(ref="B"), ensure_ascii=False)]
    kept = read_records("\n".join(lines), keep_going=True)
    assert isinstance(kept[0], InvalidIntake)
    assert isinstance(kept[1], dict)


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("", "<json>", "the text is empty"),
        ("  \n ", "<json>", "the text is empty"),
        ("42", "<json>", "must be a JSON object"),
        ('[{"ref": "A"}, 3, "x"]', "[1]", "must be a JSON object"),
        ('{"ref": "A"}\n[1]', "<json>", "line 2: a record must be a JSON object"),
    ],
)
def test_read_records_problems(text: str, field: str, fragment: str) -> None:
    with pytest.raises(InvalidIntake) as caught:
        read_records(text)
    first = caught.value.problems[0]
    assert first.field == field
    assert fragment in first.problem


# ---------------------------------------------------------------------------------------------
# Batches.


def test_batch_reports_per_record() -> None:
    records = [record(ref="A"), record(ref="B", workers=0, channel="x"), record(ref="C")]
    results = parse_batch(records, now=NOW)
    assert isinstance(results[0], Complaint)
    assert isinstance(results[2], Complaint)
    bad = results[1]
    assert isinstance(bad, InvalidIntake)
    assert bad.record == 1
    assert {p.field for p in bad.problems} == {"workers", "channel"}
    assert str(bad).startswith("record 1: ")


def test_batch_flags_a_repeated_ref() -> None:
    results = parse_batch([record(ref="A"), record(ref="B"), record(ref="A")], now=NOW)
    assert isinstance(results[0], Complaint)
    dup = results[2]
    assert isinstance(dup, InvalidIntake)
    assert dup.problems[0] == FieldProblem("ref", "A", "the same ref as record 0 of this batch")


def test_batch_from_json_lines_with_a_broken_line() -> None:
    text = "\n".join(
        [
            json.dumps(record(ref="A"), ensure_ascii=False),
            '{"ref": "B", oops}',
            json.dumps(record(ref="C", amount=1.5), ensure_ascii=False),
            json.dumps(record(ref="D"), ensure_ascii=False),
        ]
    )
    results = parse_batch(read_records(text, keep_going=True), now=NOW)
    assert [type(r).__name__ for r in results] == [
        "Complaint",
        "InvalidIntake",
        "InvalidIntake",
        "Complaint",
    ]
    broken, floaty = results[1], results[2]
    assert isinstance(broken, InvalidIntake)
    assert isinstance(floaty, InvalidIntake)
    assert broken.record == 1
    assert broken.problems[0].problem.startswith("line 2, column 14:")
    assert floaty.record == 2
    assert floaty.field == "amount"


# ---------------------------------------------------------------------------------------------
# Property: what the generators make, intake accepts; amounts survive the round trip exactly.


@given(
    seed=st.integers(0, 2**32),
    region=st.sampled_from(["140302", "530102", "110105", "429004", "532801"]),
    birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 12, 31)),
    cents=st.integers(0, 10**13),
    share=st.integers(0, 100),
    workers=st.integers(1, 5000),
)
def test_generated_records_parse_and_round_trip(
    seed: int, region: str, birth: date, cents: int, share: int, workers: int
) -> None:
    rng = random.Random(seed)
    amount = Decimal(cents % (10**14 - 1)) / 100
    amount = min(amount, intake.MAX_AMOUNT)
    migrant = (amount * share / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    data = record(
        region=region,
        employer__uscc=make_uscc(rng, region),
        complainant__id_number=make_id_number(rng, region, birth),
        workers=workers,
        migrant_workers=workers * share // 100,
        amount=str(amount),
        migrant_amount=str(migrant),
    )
    c = parse_complaint(data, now=NOW)
    assert c.amount == amount
    assert c.migrant_amount == migrant
    assert Complaint.from_json_dict(json.loads(json.dumps(c.to_json_dict()))) == c
