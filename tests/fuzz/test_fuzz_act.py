"""Fuzzed acts: lifecycle events, actions and made-up names with hostile actors, reasons and
params, on both databases. Asserted: only our errors escape, a refused act changes no zq_*
table, the audit chain verifies after every accepted act."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from _fuzz_tally import SAMPLE, SLOW, Tally, fuzz_settings, tally
from _fuzz_values import any_text, scalars
from hypothesis import given
from hypothesis import strategies as st

from zhiqian import Engine, FrozenClock, ZhiqianError
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EVENTS = [
    "verify", "handle", "dismiss", "advance", "paid", "reopen", "close", "suspend", "resume",
    "file", "order_payment", "extend", "raise_level", "assign_leader", "refer_police",
    "supervise", "require_report", "flag", "record_payment", "referral_approved", "received",
    "recover", "revoke_recover", "amend_arrears", "record_contracts", "order_correct", "decide",
]  # fmt: skip
PARAM_NAMES = [
    "leader", "role", "clock", "by", "within", "label", "amount", "migrant_amount", "due",
    "approver", "reason", "flag", "remove", "n", "x\u200b",
    "workers", "compensation", "payment_ref", "confirm", "event", "doc_type", "doc_no",
    "contracted_migrant_workers",
]  # fmt: skip
# Param values of the types a caller may legitimately pass; floats are refused at the door
# (binary floating point), so they are among the hostile values too.
param_values = st.one_of(
    scalars,
    st.sampled_from(["investigation", "acceptance", "15 workdays", "2026-12-01", "城区", "1000"]),
)


@st.composite
def acts(draw: st.DrawFn) -> dict[str, Any]:
    def pick(ordinary: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> Any:
        # each part hostile one time in four: most acts reach the engine's own rules
        return draw(hostile if draw(st.integers(0, 3)) == 0 else ordinary)

    return {
        "event": pick(st.sampled_from(EVENTS), any_text),
        "actor": pick(st.just("监察员-王"), any_text),
        "reason": pick(st.sampled_from([None, "电话核实"]), st.one_of(any_text, scalars)),
        "params": pick(
            st.none(),
            st.dictionaries(st.sampled_from(PARAM_NAMES), param_values, max_size=3),
        ),
        "expected": pick(st.none(), st.integers(-2, 12)),
    }


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


class Cases:
    """A fresh case every few acts, so that acts meet every state and the chain stays short."""

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.n = 0
        self.case_id = 0
        self.acts = 0

    def current(self) -> int:
        if self.acts % 12 == 0:
            self.n += 1
            self.case_id = self.eng.receive(sample_complaint(self.n, ref=f"ACT-{self.n}")).id
        self.acts += 1
        return self.case_id


def act_once(eng: Engine, t: Tally, cases: Cases, act: dict[str, Any]) -> None:
    case_id = cases.current()
    before = counts(eng)
    version = eng.get(case_id, history=False).version
    try:
        eng.act(
            case_id,
            act["event"],
            actor=act["actor"],
            reason=act["reason"],
            params=act["params"],
            expected_version=act["expected"],
        )
    except ZhiqianError as exc:
        str(exc).encode("utf-8")
        t.outcome("refused")
        if counts(eng) != before or eng.get(case_id, history=False).version != version:
            t.partial += 1
    except Exception as exc:
        t.crash(exc)
    else:
        t.outcome("accepted")
        problems = eng.verify_audit()
        if problems:
            t.crash(AssertionError(f"audit after {act}: {problems[:2]}"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=FrozenClock(NOW), escalate=False) as eng:
        yield eng


def _run(engine: Engine, db_url: str, examples: int, label: str) -> None:
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    t = tally(f"act ({kind}{label})")
    cases = Cases(engine)

    @fuzz_settings(examples)
    @given(acts())
    def run(act: dict[str, Any]) -> None:
        act_once(engine, t, cases, act)

    run()
    t.check()


def test_fuzzed_acts_sample(engine: Engine, db_url: str) -> None:
    _run(engine, db_url, SAMPLE, "")


@pytest.mark.slow
def test_fuzzed_acts_slow(engine: Engine, db_url: str) -> None:
    _run(engine, db_url, SLOW, ", slow")
