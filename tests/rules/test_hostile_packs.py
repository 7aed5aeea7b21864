"""Hostile and broken packs (issue 11, item 5): each refused by the loader and `rules check` with
file:line, quickly — measured on the loader's own work, not on the wall clock of a busy machine
(the budget checks run before any YAML is parsed or composed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from zhiqian.errors import RuleError
from zhiqian.rules.conditions import compile_condition, regex_problem
from zhiqian.rules.loader import MAX_PACK_BYTES, PACKS_DIR, check_pack, load_pack

CHILD = (PACKS_DIR / "yangquan-2019.yaml").read_text(encoding="utf-8")
# A clock start of the child pack: each hostile condition takes its place.
WHEN = "start: {on_event: [received], channel: [transferred]}"
assert WHEN in CHILD


def start_when(condition: str) -> str:
    return CHILD.replace(WHEN, "start: {on_event: [received], when: " + condition + "}", 1)


def laughs() -> str:
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"lol{i}: &l{i} [{refs}]")
    return CHILD + "\n" + "\n".join(lines) + "\n"


HOSTILE: dict[str, tuple[Callable[[], str], str]] = {
    "constant regex": (
        lambda: start_when('\'"aaaaaaaaaaaaaaaaaaaaaaaaaaa!" =~ "(a+)+$"\''),
        "repeats inside a repetition",
    ),
    "alternatives repeated": (
        lambda: start_when("'region =~ \"^(1|14)+$\"'"),
        "repeats a choice",
    ),
    "division by zero migrants": (
        lambda: start_when("migrant_amount / migrant_workers > 1000"),
        "no migrant workers",
    ),
    "billion laughs": (laughs, "YAML nodes"),
    "merge key": (lambda: CHILD + "\nbase: &b {label: x}\nother:\n  <<: *b\n", "merge keys"),
    "anchor defined twice": (lambda: CHILD + "\nx: &a [1]\ny: &a [2]\n", "defined twice"),
    "python tag": (
        lambda: CHILD + "\nx: !!python/object/apply:os.system ['true']\n",
        "tags are not allowed",
    ),
    "custom tag": (lambda: CHILD + "\nx: !include other.yaml\n", "tags are not allowed"),
    "invalid holiday": (
        lambda: CHILD + "\ncalendar:\n  extra_holidays: [2026-02-30]\n",
        "not a valid date",
    ),
    "deep flow nesting": (
        lambda: CHILD + "\nx: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "nested more than",
    ),
    "deep block nesting": (
        lambda: CHILD + "\nx:\n" + "".join("  " * i + "-\n" for i in range(1, 200)),
        "columns deep",
    ),
    "huge limit": (
        lambda: CHILD.replace("limit: end_of_day", "limit: 99999999 workdays", 1),
        "beyond ten years",
    ),
    "pack name longer than its column": (
        lambda: CHILD.replace("pack: yangquan-2019", "pack: " + "y" * 65),
        "at most 64",
    ),
    "too big": (lambda: CHILD + "\n# " + "x" * MAX_PACK_BYTES + "\n", "bytes"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_pack_is_refused_with_file_and_line(name: str, tmp_path: Path) -> None:
    make, fragment = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(make(), encoding="utf-8")
    load_pack("national")  # the parent is loaded and cached outside the measured part
    started = time.process_time()
    problems = check_pack(path)
    spent = time.process_time() - started
    assert problems, name
    assert any(fragment in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == str(path) for p in problems if fragment in p.message)
    if name != "too big":  # the size is the file's, not a line's
        assert any(p.line is not None for p in problems if fragment in p.message)
    with pytest.raises(RuleError):
        load_pack(path)
    # Each of these took seconds to minutes (or exhausted memory) before the budgets; the
    # remaining cost is reading the shipped parent pack.
    assert spent < 3.0, f"{name}: {spent:.2f} s of CPU"


def test_the_shipped_packs_pass_every_budget() -> None:
    for path in sorted(PACKS_DIR.glob("*.yaml")):
        assert check_pack(path) == [], path


def test_aliases_within_the_budget_still_load(tmp_path: Path) -> None:
    text = CHILD.replace(
        "label: 阳泉市2019年度根治欠薪冬季攻坚行动",
        "label: &label 阳泉市2019年度根治欠薪冬季攻坚行动",
    )
    path = tmp_path / "aliases.yaml"
    path.write_text(text + "\n# the anchor is defined but never used: still fine\n", "utf-8")
    assert check_pack(path) == []


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ('region =~ "(a*)*b"', "repeats inside a repetition"),
        ('region =~ "(x+x+)+y"', "repeats inside a repetition"),
        ('channel =~ ".*a.*b.*c"', "unbounded repetitions"),
        ('region =~ "' + "a" * 101 + '"', "at most 100"),
        ('region =~ "("', "not a regular expression"),
    ],
)
def test_costly_regexes_are_refused_before_rule_engine_runs_them(
    condition: str, fragment: str
) -> None:
    problem = regex_problem(condition)
    assert problem is not None
    assert fragment in problem
    with pytest.raises(RuleError) as refused:
        compile_condition(condition, where=("pack.yaml", 7))
    assert refused.value.line == 7


def test_a_regex_param_is_judged_too() -> None:
    assert regex_problem("region =~ params.pattern", {"pattern": "(a+)+$"}) is not None
    assert regex_problem("region =~ params.pattern", {"pattern": "^14"}) is None


@pytest.mark.parametrize(
    "condition",
    ['region =~ "^1403"', 'channel =~ "^hotline_(12333|12345)$"', 'state !~ "clos.*"'],
)
def test_ordinary_regexes_compile(condition: str) -> None:
    assert regex_problem(condition) is None
    compile_condition(condition, where=("pack.yaml", 1))


def test_a_guarded_division_loads(tmp_path: Path) -> None:
    guarded = "migrant_workers > 0 and migrant_amount / migrant_workers > 1000"
    path = tmp_path / "guarded.yaml"
    path.write_text(start_when(guarded), encoding="utf-8")
    assert check_pack(path) == []
