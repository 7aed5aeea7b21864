"""Fuzzed packs: condition texts built from the language's own tokens, and a small pack with
hostile YAML spliced in. Asserted: ``check_pack`` and ``compile_condition`` raise nothing but
RuleError, a condition that compiles runs on every boundary case without raising, and each
check stays quick (CPU time, not wall time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _fuzz_tally import SAMPLE, SLOW, Tally, fuzz_settings, tally
from _fuzz_values import any_text
from hypothesis import given
from hypothesis import strategies as st

from zhiqian.errors import RuleError
from zhiqian.rules.conditions import (
    boundary_contexts,
    boundary_problem,
    compile_condition,
)
from zhiqian.rules.loader import check_pack

TOKENS = [
    "workers", "migrant_workers", "amount", "migrant_amount", "level", "region", "state",
    "channel", "flags", "now", "now.year", "campaign_end", "params.big", "params.nope",
    'breached("work")', 'running("x")', "$now", "and", "or", "not", "==", "!=", "<", ">=", "in",
    "+", "-", "*", "/", "%", "**", "??", "=~", "!~", "=~~", "(", ")", "[", "]", "0", "1", "30",
    "1e308", "9" * 40, '"collective"', '"^14"', '"(a+)+$"', '"(a|aa)*"', '".*.*.*x"',
    '"aaaaaaaaaaaaaaaaaaaaaaaaa!"', "null", "true", "'x'", '"张三"', "张", ",", ".", "\x00",
]  # fmt: skip
EDGES = boundary_contexts(now=datetime(2026, 1, 1, tzinfo=UTC), clocks={"work"})
OPERANDS = [
    "workers", "migrant_workers", "amount", "migrant_amount", "params.big", "0", "1", "1e308",
    "9" * 40, "(amount / migrant_workers)", "(migrant_amount / (workers - 1))", "amount * amount",
    "(amount % migrant_workers)", "(amount ** 400)", "now.year", "now.month",
]  # fmt: skip
TESTS = [
    '"collective" in flags', 'level == "city"', 'breached("work")', 'region =~ "^14"',
    'channel =~ "^hotline"', 'state != "closed"', "now < (campaign_end ?? now)",
]  # fmt: skip
comparison = st.builds(
    lambda a, op, b: f"{a} {op} {b}",
    st.sampled_from(OPERANDS),
    st.sampled_from([">", ">=", "<", "==", "!="]),
    st.sampled_from(OPERANDS),
)
clause = st.one_of(comparison, st.sampled_from(TESTS))
conditions = st.one_of(
    st.lists(clause, min_size=1, max_size=4).map(" and ".join),
    st.lists(clause, min_size=2, max_size=3).map(" or ".join),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=9).map(" ".join),
    any_text,
)


def compile_once(t: Tally, text: str) -> None:
    started = time.process_time()
    try:
        condition = compile_condition(
            text, where=("fuzz.yaml", 1), params={"big": 10}, clocks={"work"}
        )
    except RuleError:
        t.outcome("refused")
    except Exception as exc:
        t.crash(exc)
    else:
        try:
            boundary_problem(condition, EDGES)  # returns a sentence or None; never raises
        except Exception as exc:
            t.crash(exc)
        else:
            t.outcome("accepted")
    spent = time.process_time() - started
    if spent > 1.0:
        t.crash(TimeoutError(f"{text!r}: {spent:.2f} s of CPU"))


CONDITIONS = tally("packs: compile_condition")


@fuzz_settings(SAMPLE)
@given(conditions)
def test_fuzzed_conditions_sample(text: str) -> None:
    compile_once(CONDITIONS, text)
    CONDITIONS.check()


CONDITIONS_SLOW = tally("packs: compile_condition (slow)")


@pytest.mark.slow
@fuzz_settings(SLOW)
@given(conditions)
def test_fuzzed_conditions_slow(text: str) -> None:
    compile_once(CONDITIONS_SLOW, text)
    CONDITIONS_SLOW.check()


MINI = """\
pack: mini
version: "1"
label: 测试
params:
  big: {value: 10, basis: 测试依据, status: CONV}
lifecycle:
  initial: open
  states:
    - {id: open, label: 开}
    - {id: done, label: 完, final: true}
  events:
    - {id: finish, label: 完成, from: open, to: done}
clocks:
  - id: work
    label: 办理
    start: {on_event: [received]}
    stop: {on_enter: [done]}
    limit: 5 workdays
    basis: 测试依据
    status: V
escalations:
  - id: late
    label: 超期
    when: breached("work") and workers >= params.big
    do: [{notify: {to: [office], template: 超期预警}}]
    basis: 测试依据
    status: CONV
routing:
  roles:
    - {id: office, label: 办公室}
"""
SNIPPETS = [
    "x: &a [1, 2]\ny: *a\n", "z:\n  <<: {label: a}\n", "t: !!python/object:os.system x\n",
    "u: !foo 1\n", "calendar:\n  extra_holidays: [2026-02-30]\n", "v: " + "[" * 40 + "\n",
    "w: '" + "x" * 50 + "\n", "    when: 'region =~ \"(a+)+$\"'\n", "limit: 99999 days\n",
    "    limit: 99999999 hours\n", "pack: " + "p" * 70 + "\n", "extends: mini\n", "\t- x\n",
    "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - x\n",
    "    when: migrant_amount / migrant_workers > 1\n", "a: 2026-13-01\n", "? [a, b]\n: c\n",
]  # fmt: skip


@st.composite
def packs(draw: st.DrawFn) -> str:
    lines = MINI.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines)))
        piece = draw(st.one_of(st.sampled_from(SNIPPETS), any_text.map(lambda s: s + "\n")))
        if draw(st.booleans()) and at < len(lines):
            lines[at] = piece  # replace a line
        else:
            lines.insert(at, piece)
    return "".join(lines)


def check_once(t: Tally, text: str, folder: Path) -> None:
    path = folder / "fuzz.yaml"
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
    started = time.process_time()
    try:
        problems = check_pack(path, search_path=[folder])
    except Exception as exc:  # check_pack never raises for problems in the pack
        t.crash(exc)
    else:
        t.outcome("refused" if problems else "accepted")
    spent = time.process_time() - started
    if spent > 1.0:
        t.crash(TimeoutError(f"check_pack took {spent:.2f} s of CPU"))


def _run(tmp_path: Path, examples: int, label: str) -> None:
    t = tally(f"packs: check_pack{label}")

    @fuzz_settings(examples)
    @given(packs())
    def run(text: str) -> None:
        check_once(t, text, tmp_path)

    run()
    t.check()


def test_fuzzed_packs_sample(tmp_path: Path) -> None:
    _run(tmp_path, SAMPLE, "")


@pytest.mark.slow
def test_fuzzed_packs_slow(tmp_path: Path) -> None:
    _run(tmp_path, SLOW, " (slow)")
