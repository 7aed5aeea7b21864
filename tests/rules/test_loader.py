"""The pack loader: every problem with its exact file:line, inheritance, cycles, provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhiqian.errors import RuleError
from zhiqian.rules.loader import check_pack, load_pack

# A small, valid, self-contained pack; the tests below break one thing at a time.
# Line numbers matter: they are asserted exactly.
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


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kw: object) -> list[str]:
    return [str(p) for p in check_pack(path, **kw)]  # type: ignore[arg-type]


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINI, old
    return write(tmp_path, "mini.yaml", MINI.replace(old, new, 1))


def test_mini_loads(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, "mini.yaml", MINI))
    assert pack.name == "mini"
    assert pack.chain == (("mini", "1"),)
    assert [c.id for c in pack.clocks] == ["work"]
    assert str(pack.clock("work").limit) == "5 workdays"
    assert pack.escalation("late").condition.clocks == {"work"}
    assert pack.source_of("work") == (str(tmp_path / "mini.yaml"), 14)
    assert pack.source_of("late", "escalations") == (str(tmp_path / "mini.yaml"), 22)
    assert pack.source_of("big") == (str(tmp_path / "mini.yaml"), 5)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "limit: 5 workdays",
            "limit: 5 fortnights",
            "18: clocks[work].limit: unknown unit 'fortnights' in limit '5 fortnights': "
            "use workdays, days or hours",
        ),
        (
            "limit: 5 workdays",
            "limit: 0 workdays",
            "18: clocks[work].limit: a workdays limit needs a positive count, got 0",
        ),
        (
            "stop: {on_enter: [done]}",
            "stop: {on_enter: [dne]}",
            "17: clocks[work].stop.on_enter: unknown state 'dne' (did you mean 'done'?)",
        ),
        (
            "on_event: [received]",
            "on_event: [recieved]",
            "16: clocks[work].start.on_event: unknown event 'recieved' (did you mean 'received'?)",
        ),
        (
            'breached("work")',
            'breached("wrk")',
            "24: condition 'breached(\"wrk\") and workers >= params.big': unknown clock 'wrk' "
            "(did you mean 'work'?) in breached() (clocks: work)",
        ),
        (
            "workers >= params.big",
            "workers >= params.bgi",
            "24: condition 'breached(\"work\") and workers >= params.bgi': unknown param 'bgi' "
            "(did you mean 'big'?) (this pack's params: big)",
        ),
        (
            "workers >= params.big",
            "level > 5",
            "24: condition 'breached(\"work\") and level > 5': type error: the operands do not "
            "fit (text compared or combined with a number?)",
        ),
        (
            "to: [office]",
            "to: [ofice]",
            "25: escalations[late].do[0].notify.to: unknown role 'ofice' (did you mean 'office'?) "
            "(routing.roles: office)",
        ),
        (
            "template: 超期预警",
            "template: 催办单",
            "25: escalations[late].do[0].notify.template: Input should be '超期预警', '催办提醒', "
            "'挂牌督办通知书', '提级办理通知书', '领导包案通知', '垫付建议', '移送审批表', "
            "'提请决定审批表', '涉嫌犯罪案件移送书' or '每日台账摘要'",
        ),
        (
            "do: [{notify: {to: [office], template: 超期预警}}]",
            "do: [explode]",
            "25: escalations[late].do[0]: unknown action 'explode': use one of notify, "
            "raise_level, assign_leader, refer_police, supervise, require_report, "
            "blacklist, recommend",
        ),
        (
            "initial: open",
            "initial: opn",
            "7: lifecycle.initial: unknown initial state 'opn' (did you mean 'open'?)",
        ),
        (
            "    - {id: open, label: 开}",
            "    - {id: open, label: 开}\n    - {id: open, label: 又开}",
            "10: duplicate id 'open' in lifecycle.states (first at {file}:9)",
        ),
        (
            "    basis: 测试依据\n    status: V\n",
            "    status: V\n",
            "14: clocks[work]: missing 'basis'",
        ),
        (
            "    status: V\n",
            "    status: V\n    colour: red\n",
            "21: clocks[work]: unknown key 'colour'",
        ),
        (
            "    status: V\n",
            "    status: maybe\n",
            "20: clocks[work].status: Input should be 'V', 'S', 'L', 'CONV' or 'UNVERIFIED'",
        ),
        (
            "  - id: work\n",
            "  - id: Work-1\n",
            "14: clocks[Work-1].id: 'Work-1' is not a valid id: use lower-case ASCII letters, "
            "digits and '_' (ids appear in conditions, the CLI and the database)\n"
            "{file}:24: condition 'breached(\"work\") and workers >= params.big': unknown clock "
            "'work' (did you mean 'Work-1'?) in breached() (clocks: Work-1)",
        ),
        (
            "    - {id: finish, label: 完成, from: open, to: done}",
            "    - {id: finish, label: 完成, from: opne, to: done}",
            "12: lifecycle.events[finish].from: unknown state 'opne' (did you mean 'open'?)",
        ),
        (
            "label: 办理",
            "label: [办理",
            "16: YAML: while parsing a flow sequence expected ',' or ']', but got ':'",
        ),
        (
            "    label: 办理\n",
            "    label: 办理\n    label: 再办理\n",
            '16: YAML: while constructing a mapping found duplicate key "label" with value '
            '"再办理" (original value: "办理")',
        ),
    ],
)
def test_one_problem_with_exact_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = broken(tmp_path, old, new)
    assert problems(path) == (f"{path}:" + expected.replace("{file}", str(path))).split("\n")


def test_unknown_key_suggests(tmp_path: Path) -> None:
    path = broken(tmp_path, "    status: V\n", "    stauts: V\n")
    assert problems(path) == [
        f"{path}:14: clocks[work]: missing 'status'",
        f"{path}:20: clocks[work]: unknown key 'stauts' (did you mean 'status'?)",
    ]


def test_misspelt_name_behind_or_is_a_load_error(tmp_path: Path) -> None:
    path = broken(tmp_path, "workers >= params.big", "workers >= 3 or amout > 1")
    (only,) = problems(path)
    assert only.startswith(
        f"{path}:24: condition 'breached(\"work\") and workers >= 3 or amout > 1': "
        "unknown name 'amout' (did you mean 'amount'?); conditions can read: level, region,"
    )


def test_unreachable_and_dead_end_states(tmp_path: Path) -> None:
    path = broken(
        tmp_path,
        "    - {id: done, label: 完, final: true}",
        "    - {id: done, label: 完, final: true}\n    - {id: limbo, label: 悬}",
    )
    assert problems(path) == [
        f"{path}:11: lifecycle.states[limbo]: state 'limbo' cannot be reached from 'open'",
        f"{path}:11: lifecycle.states[limbo]: state 'limbo' is not final and no event leaves it",
    ]


def test_previous_reaches_every_source(tmp_path: Path) -> None:
    # hold → $previous: goes back to `open` (the only state with an event into `hold`), so the
    # lifecycle is fine; `limbo` is reached only if $previous were taken as "anywhere".
    text = MINI.replace(
        "    - {id: finish, label: 完成, from: open, to: done}",
        "    - {id: finish, label: 完成, from: open, to: done}\n"
        "    - {id: hold, label: 暂停, from: open, to: held}\n"
        "    - {id: back, label: 恢复, from: held, to: $previous}\n"
        "    - {id: out, label: 出, from: limbo, to: done}",
    ).replace(
        "    - {id: done, label: 完, final: true}",
        "    - {id: done, label: 完, final: true}\n"
        "    - {id: held, label: 暂停}\n"
        "    - {id: limbo, label: 悬}",
    )
    path = write(tmp_path, "mini.yaml", text)
    assert problems(path) == [
        f"{path}:12: lifecycle.states[limbo]: state 'limbo' cannot be reached from 'open'"
    ]


def test_effective_from_after_to(tmp_path: Path) -> None:
    path = write(tmp_path, "mini.yaml", MINI + "effective: {from: 2021-11-01, to: 2021-10-01}\n")
    assert problems(path) == [
        f"{path}:31: effective: effective.from 2021-11-01 is after effective.to 2021-10-01"
    ]


def test_warning_not_shorter_than_limit_and_extension_unit(tmp_path: Path) -> None:
    path = broken(
        tmp_path,
        "    limit: 5 workdays\n",
        "    limit: 5 workdays\n    warn: [{before: 5 workdays}]\n    extension: {up_to: 3 days}\n",
    )
    assert problems(path) == [
        f"{path}:19: clocks[work].warn[0].before: a warning 5 workdays before the deadline is "
        "not shorter than the limit 5 workdays",
        f"{path}:20: clocks[work].extension.up_to: extension 3 days must count in the limit's "
        "unit (5 workdays)",
    ]


def test_every_problem_at_once(tmp_path: Path) -> None:
    text = (
        MINI.replace("limit: 5 workdays", "limit: 5 fortnights")
        .replace("to: [office]", "to: [ofice]")
        .replace("initial: open", "initial: opn")
    )
    path = write(tmp_path, "mini.yaml", text)
    with pytest.raises(RuleError) as info:
        load_pack(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:18: clocks[work].limit: unknown unit 'fortnights' in limit '5 fortnights': "
        "use workdays, days or hours",
        f"{path}:7: lifecycle.initial: unknown initial state 'opn' (did you mean 'open'?)",
        f"{path}:25: escalations[late].do[0].notify.to: unknown role 'ofice' "
        "(did you mean 'office'?) (routing.roles: office)",
    ]
    assert info.value.file == str(path)
    assert info.value.line == 18


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    assert problems(path) == [f"{path}:1: a rule pack is a YAML mapping (pack: …, clocks: …)"]
    missing = tmp_path / "nope.yaml"
    assert problems(missing) == [f"{missing}: no such file"]


def test_unknown_pack_name(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"no rule pack named 'nonesuch'"):
        load_pack("nonesuch", search_path=[tmp_path])


def test_unverified_clock_loads_with_a_warning(tmp_path: Path) -> None:
    path = broken(tmp_path, "    status: V\n", "    status: UNVERIFIED\n")
    pack = load_pack(path)
    assert [str(w) for w in pack.warnings] == [
        f"{path}:14: clocks[work]: clock 'work' has an UNVERIFIED basis: a placeholder, "
        "confirm before relying on it"
    ]
    assert check_pack(path) == []


def test_pause_while_state_is_sugar(tmp_path: Path) -> None:
    text = (
        MINI.replace(
            "    - {id: finish, label: 完成, from: open, to: done}",
            "    - {id: finish, label: 完成, from: open, to: done}\n"
            "    - {id: hold, label: 暂停, from: open, to: held}\n"
            "    - {id: back, label: 恢复, from: held, to: $previous}",
        )
        .replace(
            "    - {id: done, label: 完, final: true}",
            "    - {id: done, label: 完, final: true}\n    - {id: held, label: 暂停}",
        )
        .replace(
            "    stop: {on_enter: [done]}\n",
            "    stop: {on_enter: [done]}\n    pause: {while_state: held}\n",
        )
    )
    clock = load_pack(write(tmp_path, "mini.yaml", text)).clock("work")
    assert clock.pause is not None
    assert clock.resume is not None
    assert clock.pause.on_enter == ("held",)
    assert clock.resume.on_leave == ("held",)


# --------------------------------------------------------------------------- inheritance

CHILD = """\
pack: child
version: "2"
extends: mini
label: 子包
params:
  big: {value: 20, basis: 地方依据, status: L}
clocks:
  - id: work
    limit: 3 workdays
    basis: 地方依据
  - id: extra
    label: 附加
    start: {on_enter: [done]}
    limit: end_of_day
    basis: 地方依据
    status: L
escalations:
  - {id: late, remove: true}
"""


def test_child_overrides_adds_and_removes(tmp_path: Path) -> None:
    parent = write(tmp_path, "mini.yaml", MINI)
    child = write(tmp_path, "child.yaml", CHILD)
    pack = load_pack("child", search_path=[tmp_path])
    assert pack.chain == (("mini", "1"), ("child", "2"))
    assert pack.files == (str(parent), str(child))
    work = pack.clock("work")
    assert str(work.limit) == "3 workdays"  # overridden
    assert work.label == "办理"  # inherited key
    assert work.stop is not None
    assert work.stop.on_enter == ("done",)
    assert [c.id for c in pack.clocks] == ["work", "extra"]
    assert pack.escalations == ()
    assert pack.param_values["big"] == 20
    assert pack.sources_of("work") == ((str(parent), 14), (str(child), 8))
    assert pack.source_of("extra") == (str(child), 11)
    assert pack.source_of("big") == (str(child), 6)
    with pytest.raises(KeyError):
        pack.source_of("late")


def test_problem_in_parent_points_at_parent(tmp_path: Path) -> None:
    parent = write(
        tmp_path, "mini.yaml", MINI.replace("stop: {on_enter: [done]}", "stop: {on_enter: [dne]}")
    )
    child = write(
        tmp_path, "child.yaml", CHILD.replace("  - id: extra\n", "  - id: extra\n    colour: red\n")
    )
    assert problems(child, search_path=[tmp_path]) == [
        f"{child}:12: clocks[extra]: unknown key 'colour'",
        f"{parent}:17: clocks[work].stop.on_enter: unknown state 'dne' (did you mean 'done'?)",
    ]


def test_remove_unknown_and_duplicate_in_child(tmp_path: Path) -> None:
    write(tmp_path, "mini.yaml", MINI)
    child = write(
        tmp_path,
        "child.yaml",
        CHILD.replace("  - {id: late, remove: true}", "  - {id: lat, remove: true}")
        + "  - {id: late2, label: x, when: 'true', do: [require_report: {within: next_day, label: r}], basis: b, status: V}\n"
        + "  - {id: late2, label: y, when: 'true', do: [require_report: {within: next_day, label: r}], basis: b, status: V}\n",
    )
    assert problems(child, search_path=[tmp_path]) == [
        f"{child}:18: cannot remove escalations 'lat': no parent pack defines it",
        f"{child}:20: duplicate id 'late2' in escalations (first at {child}:19)",
    ]


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", MINI.replace("pack: mini\n", "pack: a\nextends: b\n"))
    write(tmp_path, "b.yaml", MINI.replace("pack: mini\n", "pack: b\nextends: a\n"))
    assert problems(a, search_path=[tmp_path]) == [
        f"{tmp_path / 'b.yaml'}:2: extends makes a cycle: a → b → a"
    ]


def test_extends_self(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", MINI.replace("pack: mini\n", "pack: a\nextends: a\n"))
    assert problems(a, search_path=[tmp_path]) == [f"{a}:2: extends makes a cycle: a → a"]


def test_extends_missing_and_id_mismatch(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", CHILD.replace("extends: mini", "extends: nowhere"))
    (only,) = problems(child, search_path=[tmp_path])
    assert only.startswith(f"{child}:3: extends 'nowhere': no such pack (looked in {tmp_path}, ")
    write(tmp_path, "mini.yaml", MINI.replace("pack: mini", "pack: other"))
    child = write(tmp_path, "child.yaml", CHILD)
    assert problems(child, search_path=[tmp_path]) == [
        f"{tmp_path / 'mini.yaml'}:1: pack 'other' is loaded as 'mini': the id must match the file name"
    ]


def test_fingerprint_tells_same_version_apart(tmp_path: Path) -> None:
    one = load_pack(write(tmp_path, "one.yaml", MINI))
    same = load_pack(write(tmp_path, "same.yaml", "# a comment changes nothing\n" + MINI))
    other = load_pack(write(tmp_path, "other.yaml", MINI.replace("5 workdays", "6 workdays")))
    assert (one.name, one.version) == (other.name, other.version)
    assert one.fingerprint == same.fingerprint
    assert one.fingerprint != other.fingerprint
    assert len(one.fingerprint) == 64


def test_on_and_no_read_as_written(tmp_path: Path) -> None:
    # PyYAML reads `no` as False and `010` as 8; the round-trip loader keeps them as text/int
    text = MINI.replace(
        "    - {id: office, label: 办公室}",
        "    - {id: office, label: 'no'}\n    - {id: no_x, label: no}",
    )
    pack = load_pack(write(tmp_path, "mini.yaml", text))
    assert pack.routing.role("no_x") is not None
    assert pack.routing.role("no_x").label == "no"  # type: ignore[union-attr]


def test_guard_check(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    text = MINI.replace(
        "    - {id: finish, label: 完成, from: open, to: done}",
        "    - {id: finish, label: 完成, from: open, to: done, guard: amount < params.big}",
    )
    pack = load_pack(write(tmp_path, "mini.yaml", text))
    base = dict(
        level="county",
        region="140302",
        state="open",
        workers=1,
        migrant_workers=1,
        migrant_amount=0,
        now=datetime(2026, 1, 5, tzinfo=UTC),
    )
    assert pack.guard_check("amount < params.big", {**base, "amount": 5}) is True
    assert pack.guard_check("amount < params.big", {**base, "amount": 50}) is False
    with pytest.raises(KeyError):
        pack.guard_check("true", {**base, "amount": 5})


# -- dates in force and local defaults


def with_rule_window(window: str) -> str:
    old = "    status: CONV\nrouting:"
    assert old in MINI
    return MINI.replace(old, f"    status: CONV\n    in_force: {window}\nrouting:", 1)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            "{from: 2022-01-02, to: 2022-01-01}",
            "28: escalations[late].in_force: in_force.from 2022-01-02 is after in_force.to "
            "2022-01-01",
        ),
        ("{}", "28: escalations[late].in_force: in_force needs from, to or both (YYYY-MM-DD)"),
        # a number or a moment is not a day (the wording is the shared InForce type's)
        ("{from: 20220101}", "28: escalations[late].in_force.from: "),
        ("{from: 2022-01-01 08:00}", "28: escalations[late].in_force.from: "),
        ("{from: 2022-02-30}", "28: '2022-02-30' is not a valid date (YYYY-MM-DD)"),
        (
            "{since: 2022-01-01}",
            "28: escalations[late].in_force: unknown key 'since' (did you mean 'once'?)",
        ),
    ],
)
def test_in_force_problems_at_their_line(tmp_path: Path, window: str, expected: str) -> None:
    path = write(tmp_path, "mini.yaml", with_rule_window(window))
    (problem,) = problems(path)
    if expected.endswith(": "):
        assert problem.startswith(f"{path}:{expected}"), problem
    else:
        assert problem == f"{path}:{expected}"


def test_a_rule_is_false_outside_its_dates_and_an_override_keeps_them(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from zhiqian.rules.conditions import ConditionContext

    write(tmp_path, "mini.yaml", with_rule_window("{from: 2022-01-01}"))
    child = write(
        tmp_path,
        "child.yaml",
        'pack: child\nversion: "1"\nextends: mini\nlabel: 子\nescalations:\n'
        "  - {id: late, basis: 子依据}\n",
    )
    pack = load_pack(child, search_path=[tmp_path])
    late = pack.escalation("late")
    assert late.in_force is not None
    assert late.in_force.text_zh() == "2022-01-01 起"

    def holds(at: datetime) -> bool:
        ctx = ConditionContext(
            level="county", region="140302", state="open", workers=10, migrant_workers=0,
            amount=0, migrant_amount=0, now=at, clocks={"work": "breached"},
        )  # fmt: skip
        return late.condition.evaluate(ctx)

    assert holds(datetime(2022, 1, 1, 1, tzinfo=UTC)) is True
    assert holds(datetime(2021, 12, 31, 15, tzinfo=UTC)) is False  # 23:00 local: not yet
    assert late.condition.out_of_force(datetime(2021, 6, 1, tzinfo=UTC)) == (
        "规则 未施行（2022-01-01 起）"
    )


def test_a_param_in_force_only_some_days_bounds_every_condition_reading_it(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    text = MINI.replace(
        "  big: {value: 10, basis: 测试依据, status: CONV}",
        "  big: {value: 10, basis: 测试依据, status: CONV, in_force: {to: 2020-12-31}}",
    )
    pack = load_pack(write(tmp_path, "mini.yaml", text))
    cond = pack.escalation("late").condition
    assert cond.out_of_force(datetime(2020, 12, 31, 15, tzinfo=UTC)) is None
    assert cond.out_of_force(datetime(2021, 1, 1, 1, tzinfo=UTC)) == (
        "参数 big 已失效（至 2020-12-31）"
    )


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (
            "{value: 10, basis: 法, status: V, local_default: true, example: 某省规定}",
            "a local default has status L or CONV (a figure from a province or from practice), "
            "not V: a figure the law fixes is not a default",
        ),
        (
            "{value: 10, basis: 法, status: L, local_default: true}",
            "a local default names in example the document its figure was taken from "
            "(e.g. 黑龙江《重大劳动保障违法案件挂牌督办制度》（2013）)",
        ),
        (
            "{value: 10, basis: 法, status: L, example: 某省规定}",
            "example belongs to a local default: add local_default: true",
        ),
    ],
)
def test_local_defaults_name_their_example(tmp_path: Path, param: str, expected: str) -> None:
    path = broken(tmp_path, "  big: {value: 10, basis: 测试依据, status: CONV}", f"  big: {param}")
    found = problems(path)
    assert found[0] == f"{path}:5: params.big: {expected}"


def test_a_local_default_loads_and_a_child_replaces_it(tmp_path: Path) -> None:
    text = MINI.replace(
        "  big: {value: 10, basis: 测试依据, status: CONV}",
        "  big: {value: 10, basis: 测试依据, status: L, local_default: true, example: 某省规定}",
    )
    write(tmp_path, "mini.yaml", text)
    child = write(
        tmp_path,
        "child.yaml",
        'pack: child\nversion: "1"\nextends: mini\nlabel: 子\nparams:\n'
        "  big: {value: 20, basis: 本省规定, status: L}\n",
    )
    parent = load_pack(tmp_path / "mini.yaml")
    assert parent.params["big"].local_default
    assert parent.params["big"].example == "某省规定"
    mine = load_pack(child, search_path=[tmp_path]).params["big"]
    assert (mine.value, mine.local_default, mine.example) == (20, False, None)
