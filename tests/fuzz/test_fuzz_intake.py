"""Fuzzed intake: records mutated field by field with hostile values, parsed and received on
both databases. Asserted: nothing but our errors escapes, a refusal writes nothing to any zq_*
table, an accepted record leaves the audit chain clean."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from _fuzz_tally import SAMPLE, SLOW, Tally, fuzz_settings, tally
from _fuzz_values import any_value
from hypothesis import given
from hypothesis import strategies as st

from zhiqian import Engine, FrozenClock, ZhiqianError
from zhiqian.engine.domain.intake import parse_complaint, read_records
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PATHS = [
    ("ref",), ("received_at",), ("channel",), ("region",), ("employer",), ("employer", "name"),
    ("employer", "uscc"), ("employer", "category"), ("project",), ("project", "name"),
    ("project", "kind"), ("workers",), ("migrant_workers",), ("amount",), ("migrant_amount",),
    ("complainant",), ("complainant", "name"), ("complainant", "phone"),
    ("complainant", "id_number"), ("flags",), ("summary",), ("extra\ud800",), ("employer", "x"),
]  # fmt: skip


@st.composite
def records(draw: st.DrawFn) -> Any:
    record = copy.deepcopy(sample_complaint(draw(st.integers(0, 500))))
    record["ref"] = f"FZ-{draw(st.integers(0, 10**9))}"
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(PATHS))
        target = record
        for step in path[:-1]:
            if not isinstance(target.get(step), dict):
                target[step] = {}
            target = target[step]
        if draw(st.integers(0, 9)) == 0:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = draw(any_value)
    if draw(st.integers(0, 19)) == 0:
        return draw(any_value)  # not even an object
    return record


def _parse(t: Tally, record: Any) -> None:
    try:
        parse_complaint(record, now=NOW)
    except ZhiqianError as exc:
        str(exc).encode("utf-8")  # every message can be printed as it is
        t.outcome("refused")
    except Exception as exc:
        t.crash(exc)
    else:
        t.outcome("accepted")


PARSE = tally("intake: parse_complaint")


@fuzz_settings(SAMPLE)
@given(records())
def test_fuzzed_records_sample(record: Any) -> None:
    _parse(PARSE, record)
    PARSE.check()


PARSE_SLOW = tally("intake: parse_complaint (slow)")


@pytest.mark.slow
@fuzz_settings(SLOW)
@given(records())
def test_fuzzed_records_slow(record: Any) -> None:
    _parse(PARSE_SLOW, record)
    PARSE_SLOW.check()


TEXT = tally("intake: read_records (JSON text)")


@fuzz_settings(SAMPLE)
@given(records(), st.integers(0, 400), st.text(max_size=8))
def test_fuzzed_json_text(record: Any, cut: int, noise: str) -> None:
    try:
        text = json.dumps(record, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        text = "[" * 5000
    text = text[:cut] + noise + text[cut:]
    try:
        for item in read_records(text + "\n" + text, keep_going=True):
            if not isinstance(item, ZhiqianError):
                parse_complaint(item, now=NOW)
    except ZhiqianError as exc:
        str(exc).encode("utf-8", "strict")
        TEXT.outcome("refused")
    except Exception as exc:
        TEXT.crash(exc)
    else:
        TEXT.outcome("accepted")
    TEXT.check()


# ------------------------------------------------------------------------ on the databases


_TABLES: dict[int, list[str]] = {}


def counts(eng: Engine) -> dict[str, int]:
    """Rows in every zq_* table (one query): a refusal must leave each count as it was."""
    with eng.bind.connect() as conn:
        names = _TABLES.get(id(eng))
        if names is None:
            names = [t for t in sa.inspect(conn).get_table_names() if t.startswith("zq_")]
            _TABLES[id(eng)] = names
        query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in names)
        return {str(t): int(n) for t, n in conn.execute(sa.text(query))}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        yield eng


def receive_one(eng: Engine, t: Tally, record: Any, actor: str) -> None:
    before = counts(eng)
    try:
        eng.receive(record, actor=actor)
    except ZhiqianError:
        t.outcome("refused")
        if counts(eng) != before:
            t.partial += 1
    except Exception as exc:
        t.crash(exc)
    else:
        t.outcome("accepted")
        problems = eng.verify_audit()
        assert problems == [], problems


def batch(eng: Engine, t: Tally, items: list[Any]) -> None:
    before = counts(eng)["zq_cases"]
    try:
        results = eng.receive_many(items, actor="批量导入")
    except Exception as exc:  # receive_many never stops half-way, whatever the records
        t.crash(exc)
        return
    assert len(results) == len(items)
    written = sum(1 for r in results if not isinstance(r, ZhiqianError))
    if counts(eng)["zq_cases"] != before + written:
        t.partial += 1
    t.outcome("accepted" if written else "refused")


RECEIVE: dict[str, Tally] = {}


@pytest.mark.parametrize("examples", [pytest.param(SAMPLE, id="sample")])
def test_fuzzed_receive_on_both_databases(engine: Engine, db_url: str, examples: int) -> None:
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    t = RECEIVE.setdefault(kind, tally(f"intake: receive ({kind})"))

    @fuzz_settings(examples)
    @given(records(), st.sampled_from(["12333 对接"] * 6 + ["", "\u200b", "x" * 101, "王\x00"]))
    def run(record: Any, actor: str) -> None:
        receive_one(engine, t, record, actor)

    run()
    t.check()


@pytest.mark.slow
def test_fuzzed_receive_slow(engine: Engine, db_url: str) -> None:
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    t = tally(f"intake: receive ({kind}, slow)")

    @fuzz_settings(SLOW)
    @given(records(), st.sampled_from(["12333 对接"] * 6 + ["", "\u200b", "x" * 101, "王\x00"]))
    def run(record: Any, actor: str) -> None:
        receive_one(engine, t, record, actor)

    run()
    t.check()


def test_fuzzed_batches_never_stop_half_way(engine: Engine, db_url: str) -> None:
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    t = tally(f"intake: receive_many ({kind})")

    @fuzz_settings(max(SAMPLE // 5, 10))
    @given(st.lists(records(), min_size=1, max_size=6))
    def run(items: list[Any]) -> None:
        batch(engine, t, items)

    run()
    t.check()
