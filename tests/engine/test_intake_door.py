"""The door: what intake and act refuse (issue 11, item 5), each reproduction of the red team.

Every refusal is a field problem of our tree that names the field and never repeats a value that
may be personal; the same data is accepted on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from zhiqian import DuplicateCase, Engine, FrozenClock, InvalidIntake
from zhiqian.engine.domain.intake import (
    MAX_AMOUNT,
    clean_act,
    clean_actor,
    parse_batch,
    parse_complaint,
    read_records,
)
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NAME, PHONE = "张三丰", "13812345678"


def complaint(seed: int = 1, **changes: Any) -> dict[str, Any]:
    record = sample_complaint(seed)
    record["complainant"] = {"name": NAME, "phone": PHONE, "id_number": None}
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__")
            record[outer] = {**record[outer], inner: value}
        else:
            record[key] = value
    return record


def problems_of(record: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidIntake) as refused:
        parse_complaint(record, now=NOW)
    return [(p.field, p.problem) for p in refused.value.problems]


def only_field(record: Any) -> str:
    found = problems_of(record)
    assert len(found) == 1, found
    return found[0][0]


def never_echoes_personal_data(exc: InvalidIntake) -> None:
    text = str(exc) + json.dumps([str(p.value) for p in exc.problems], ensure_ascii=False)
    assert NAME not in text
    assert PHONE not in text


# --------------------------------------------------------------------------- Unicode


def test_an_employer_name_of_only_a_zero_width_space_is_refused() -> None:
    found = problems_of(complaint(employer__name="\u200b"))
    assert found[0][0] == "employer.name"
    assert "U+200B" in found[0][1]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("ref", "GZQX\u200b-1", "invisible format character"),
        ("ref", "GZQX\x1b[2J", "control character"),
        ("employer__name", "某某\u202e司公限有", "bidi control"),
        ("complainant__name", "张\u0000三", "control character"),
        ("summary", "拖欠工资\u0000", "control character"),
        ("summary", "拖欠\u202e工资", "bidi control"),
        ("project__name", "项目\u2028二期", "line separator"),
    ],
)
def test_control_format_and_bidi_characters_are_refused(
    field: str, value: str, fragment: str
) -> None:
    found = problems_of(complaint(**{field: value}))
    assert found[0][0] == field.replace("__", ".")
    assert fragment in found[0][1]


def test_a_summary_keeps_newlines_and_an_emoji_joiner() -> None:
    text = "第一行\n第二行\t完\U0001f468\u200d\U0001f527"
    assert parse_complaint(complaint(summary=text), now=NOW).summary == text


def test_a_lone_surrogate_is_a_field_problem_of_its_record_only() -> None:
    records = [complaint(1), complaint(2, summary="拖欠\ud800工资"), complaint(3)]
    results = parse_batch(records, now=NOW)
    assert [type(r).__name__ for r in results] == ["Complaint", "InvalidIntake", "Complaint"]
    bad = results[1]
    assert isinstance(bad, InvalidIntake)
    assert bad.record == 1
    assert bad.problems[0].field == "summary"
    assert "surrogate" in bad.problems[0].problem
    str(bad).encode("utf-8")  # printable as it is: the message holds no surrogate itself


def test_a_lone_surrogate_in_a_field_name_cannot_break_the_error_message() -> None:
    record = complaint()
    record["x\udc80"] = 1
    with pytest.raises(InvalidIntake) as refused:
        parse_complaint(record, now=NOW)
    json.dumps(str(refused.value), ensure_ascii=False).encode("utf-8")


def test_names_are_stored_in_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Café 某公司")
    parsed = parse_complaint(complaint(employer__name=decomposed, ref="CAFE\u0301-1"), now=NOW)
    assert parsed.employer.name == unicodedata.normalize("NFC", decomposed)
    assert parsed.ref == "CAF\u00c9-1"


def test_refs_in_a_batch_are_compared_after_normalisation() -> None:
    results = parse_batch(
        [complaint(1, ref="CAF\u00c9-1"), complaint(2, ref=" CAFE\u0301-1")], now=NOW
    )
    assert not isinstance(results[0], InvalidIntake)
    assert isinstance(results[1], InvalidIntake)
    assert "the same ref as record 0" in results[1].problems[0].problem


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    "received_at", ["0001-01-01T00:00:00+08:00", "1948-12-31T23:00:00+08:00", "9999-12-31T00:00"]
)
def test_years_outside_1949_2100_are_refused(received_at: str) -> None:
    field = only_field(complaint(received_at=received_at))
    assert field == "received_at"


@pytest.mark.parametrize(
    "amount",
    [
        float("nan"),
        float("inf"),
        1e30,
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1E+30"),
        10**5000,
        "1" * 5000,
        "NaN",
        "Infinity",
        "1e30",
        "１２３",  # full-width digits: not an amount a ledger can add
    ],
    ids=lambda v: f"{type(v).__name__}-{len(str(v)) if not isinstance(v, int) else 'huge'}",
)
def test_amounts_must_be_finite_and_below_the_ceiling(amount: object) -> None:
    found = problems_of(complaint(amount=amount, migrant_amount="0"))
    assert [f for f, _ in found] == ["amount"]


def test_the_largest_amount_is_accepted() -> None:
    parsed = parse_complaint(complaint(amount=str(MAX_AMOUNT), migrant_amount="0"), now=NOW)
    assert parsed.amount == MAX_AMOUNT


def test_a_huge_count_is_refused_without_printing_it() -> None:
    found = problems_of(complaint(workers=10**5000))
    assert found[0][0] == "workers"


def test_full_width_phone_digits_are_refused() -> None:
    assert only_field(complaint(complainant__phone="１３８１２３４５６７８")) == "complainant.phone"


# --------------------------------------------------------------------------- JSON and nesting


@pytest.mark.parametrize(
    "text",
    [
        '{"amount": NaN}',
        '{"amount": Infinity}',
        '{"amount": -Infinity}',
        '{"amount": 1e999}',
        '{"workers": ' + "9" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_json_that_is_no_record_is_refused_by_read_records(text: str) -> None:
    with pytest.raises(InvalidIntake) as refused:
        read_records(text)
    assert refused.value.problems[0].field == "<json>"


def test_deep_json_lines_refuse_the_line_only() -> None:
    good = json.dumps(complaint(1), ensure_ascii=False)
    deep = "[" * 50_000 + "]" * 50_000
    records = read_records(f"{good}\n{deep}\n{good}\n", keep_going=True)
    assert isinstance(records[0], dict)
    assert isinstance(records[1], InvalidIntake)
    assert isinstance(records[2], dict)


def test_a_deeply_nested_record_is_refused_as_a_whole() -> None:
    nested: Any = "x"
    for _ in range(500):
        nested = {"a": nested}
    assert only_field(complaint(summary=nested)) == "<record>"


def test_json_syntax_errors_do_not_echo_the_record() -> None:
    record = complaint()
    first = {"complainant": record.pop("complainant"), **record}  # within the old 80-char excerpt
    broken = json.dumps(first, ensure_ascii=False)[:-1] + ",]"
    with pytest.raises(InvalidIntake) as refused:
        read_records(broken)
    never_echoes_personal_data(refused.value)
    assert "line 1, column" in str(refused.value)
    lines = json.dumps(complaint(), ensure_ascii=False) + "\n" + broken + "\n"
    assert NAME in broken[:80]
    with pytest.raises(InvalidIntake) as refused:
        read_records(lines)
    never_echoes_personal_data(refused.value)


def test_a_refused_summary_is_not_repeated() -> None:
    secret = f"{NAME} {PHONE} 住址某某\u0000"
    with pytest.raises(InvalidIntake) as refused:
        parse_complaint(complaint(summary=secret), now=NOW)
    never_echoes_personal_data(refused.value)
    assert "住址" not in str(refused.value)


# --------------------------------------------------------------------------- act


def test_an_empty_or_invisible_actor_is_refused() -> None:
    for actor in ("", "   ", "\u200b", "王\x1b[2J", "x" * 101, None, 5):
        with pytest.raises(InvalidIntake) as refused:
            clean_actor(actor)
        assert refused.value.problems[0].field == "actor"


@pytest.mark.parametrize(
    "value", [Decimal("sNaN"), Decimal("NaN"), Decimal("-Infinity"), float("nan"), 10**100]
)
def test_act_params_must_be_finite_numbers(value: object) -> None:
    with pytest.raises(InvalidIntake) as refused:
        clean_act("王", None, {"amount": value})
    assert refused.value.problems[0].field == "params.amount"


def test_act_params_are_bounded_by_their_columns() -> None:
    with pytest.raises(InvalidIntake) as refused:
        clean_act("王", "why\u0000", {"leader": "李" * 101, "role": "r" * 65, "n": float("nan")})
    fields = [p.field for p in refused.value.problems]
    assert fields == ["reason", "params.leader", "params.role", "params.n"]
    actor, reason, params = clean_act(
        " 王 ", "多行\n理由", {"leader": "李" * 100, "n": 3, "on": True, "x": ""}
    )
    assert (actor, reason) == ("王", "多行\n理由")
    assert params == {"leader": "李" * 100, "n": 3, "on": True, "x": ""}


# --------------------------------------------------------------------------- on both databases


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        yield eng


def table_counts(eng: Engine) -> dict[str, int]:
    with eng.bind.connect() as conn:
        names = [t for t in sa.inspect(conn).get_table_names() if t.startswith("zq_")]
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in names
        }


def test_receive_many_never_stops_half_way(engine: Engine) -> None:
    records = [complaint(1), complaint(2, employer__name="某\ud800公司"), complaint(3)]
    results = engine.receive_many(records, actor="12333 对接")
    assert [type(r).__name__ for r in results] == ["CaseView", "InvalidIntake", "CaseView"]
    assert table_counts(engine)["zq_cases"] == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"summary": "拖欠\u0000工资"},
        {"amount": "1" * 40, "migrant_amount": "0"},
        {"ref": "R" * 65},
        {"employer__name": "公" * 201},
        {"complainant__name": "张" * 51},
        {"received_at": "0001-01-01T00:00:00+00:00"},
    ],
)
def test_what_postgresql_refuses_is_refused_first_on_both(
    engine: Engine, changes: dict[str, Any]
) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidIntake) as refused:
        engine.receive(complaint(5, **changes))
    never_echoes_personal_data(refused.value)
    assert table_counts(engine) == before


def test_receive_refuses_an_empty_or_too_long_actor(engine: Engine) -> None:
    before = table_counts(engine)
    for actor in ("", "a" * 101, "x\u0000"):
        with pytest.raises(InvalidIntake):
            engine.receive(complaint(6), actor=actor)
        with pytest.raises(InvalidIntake):
            engine.receive_many([complaint(6)], actor=actor)
    assert table_counts(engine) == before


def test_the_largest_accepted_values_round_trip_on_both(engine: Engine) -> None:
    record = complaint(
        7,
        ref="R" * 64,
        employer__name="公" * 200,
        complainant__name="张" * 50,
        summary="欠" * 5000,
        amount=str(MAX_AMOUNT),
        migrant_amount=str(MAX_AMOUNT),
        workers=1_000_000,
        migrant_workers=1_000_000,
    )
    case = engine.receive(record, actor="a" * 100)
    again = engine.get(case.id)
    assert again.ref == "R" * 64
    assert again.employer_name == "公" * 200
    assert again.amount == MAX_AMOUNT
    assert again.summary == "欠" * 5000
    assert again.events[0].actor == "a" * 100


def test_a_duplicate_ref_written_another_way_is_the_same_case(engine: Engine) -> None:
    engine.receive(complaint(8, ref="CAF\u00c9-8"))
    with pytest.raises(DuplicateCase):
        engine.receive(complaint(9, ref="CAFE\u0301-8"))
    with pytest.raises(InvalidIntake):  # the zero-width space no longer makes a new case
        engine.receive(complaint(9, ref="CAF\u00c9-8\u200b"))


def test_act_refuses_long_leader_and_role_on_both(engine: Engine) -> None:
    case = engine.receive(complaint(10))
    before = table_counts(engine)
    for params in ({"leader": "李" * 101}, {"leader": "李局长", "role": "r" * 65}):
        with pytest.raises(InvalidIntake):
            engine.act(case.id, "assign_leader", actor="王", params=params)
    with pytest.raises(InvalidIntake):
        engine.act(case.id, "verify", actor="王" * 101)
    with pytest.raises(InvalidIntake):
        engine.act(case.id, "verify", actor="王", reason="核实\u0000")
    assert table_counts(engine) == before
    assert engine.get(case.id).version == case.version


def test_decimal_and_date_params_reach_the_payload_as_text(engine: Engine) -> None:
    case = engine.receive(complaint(11))
    engine.act(case.id, "verify", actor="王")
    engine.act(case.id, "handle", actor="王")
    engine.act(case.id, "file", actor="王", params={"n": Decimal("1.50"), "on": date(2026, 11, 20)})
    assert engine.verify_audit() == []
