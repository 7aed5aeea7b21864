"""The condition language: compile-time errors, evaluation of every name and helper."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from zhiqian.errors import RuleError
from zhiqian.rules.conditions import ConditionContext, compile_condition

WHERE = ("pack.yaml", 7)
PARAMS = {"crime_threshold_single": Decimal(5000), "crime_threshold_group": 30000, "label": "x"}
CLOCKS = {"investigation", "order_payment", "campaign"}


def compile_(text: str, **kw: Any) -> Any:
    return compile_condition(text, where=WHERE, params=PARAMS, clocks=CLOCKS, **kw)


def error(text: str) -> str:
    with pytest.raises(RuleError) as info:
        compile_(text)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == WHERE
    return problem.message


def ctx(**kw: Any) -> ConditionContext:
    base: dict[str, Any] = dict(
        level="county",
        region="140302",
        state="handling",
        workers=12,
        migrant_workers=10,
        amount=Decimal("30000.00"),
        migrant_amount=Decimal("25000.50"),
        flags=("collective",),
        project_kind="government",
        employer_category="construction",
        channel="transferred",
        now=datetime(2021, 12, 31, 16, 30, tzinfo=UTC),  # 2022-01-01 00:30 in Shanghai
        clocks={"investigation": "breached", "order_payment": "warned", "campaign": "paused"},
    )
    base.update(kw)
    return ConditionContext(**base)


def test_misspelt_field_behind_or_fails_at_compile() -> None:
    message = error("workers >= 30 or amout >= 5")
    assert message.startswith(
        "condition 'workers >= 30 or amout >= 5': unknown name 'amout' (did you mean 'amount'?)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "level > 5",
            "type error: the operands do not fit (text compared or combined with a number?)",
        ),
        (
            "level == 3",
            "type error: level (text) is compared with 3 (number); they can never be equal",
        ),
        ("workers + 1", "a condition must be true or false, this one gives a number"),
        (
            "now > campaign_end",
            "type error: the right operand may be null (campaign_start, campaign_end, largest_owed, largest_owed_months); discharge it with ??, e.g. (largest_owed ?? 0) >= params.crime_threshold_single (an unknown figure then meets nothing) or now < (campaign_end ?? now)",
        ),
        (
            "largest_owed >= 5000",
            "type error: the left operand may be null (campaign_start, campaign_end, largest_owed, largest_owed_months); discharge it with ??, e.g. (largest_owed ?? 0) >= params.crime_threshold_single (an unknown figure then meets nothing) or now < (campaign_end ?? now)",
        ),
        (
            'breached("investigaton")',
            "unknown clock 'investigaton' (did you mean 'investigation'?) in breached() (clocks: campaign, investigation, order_payment)",
        ),
        ("breached(level)", 'breached() takes one quoted clock id, e.g. breached("investigation")'),
        (
            "breached(3)",
            "data type mismatch (argument #1) in a helper call: helpers take one quoted clock id",
        ),
        (
            "params.crime_threshold",
            "unknown param 'crime_threshold' (did you mean 'crime_threshold_group'?) (this pack's params: crime_threshold_group, crime_threshold_single, label)",
        ),
        (
            "$now > now",
            "built-in $now is not available: conditions read only the case (use now, campaign_start, campaign_end)",
        ),
        ("project.owner == 'x'", "project has no attribute 'owner'"),
        ("workers >=", "syntax error: the expression ends too early"),
        ("workers >= >= 3", "syntax error at column 12 near '>='"),
        (
            "工人 > 3",
            "non-ASCII character '工' outside a quoted string: names in conditions are ASCII (Chinese belongs in labels and quoted values)",
        ),
        ("", "empty condition"),
    ],
)
def test_compile_errors(text: str, expected: str) -> None:
    assert error(text) == f"condition {text!r}: {expected}"


def test_helpers() -> None:
    c = ctx()
    assert compile_('breached("investigation")').evaluate(c) is True
    assert compile_('warned("investigation")').evaluate(c) is False
    assert compile_('warned("order_payment")').evaluate(c) is True
    assert compile_('running("order_payment")').evaluate(c) is True  # a warned clock still runs
    assert compile_('running("investigation")').evaluate(c) is False
    assert compile_('paused("campaign")').evaluate(c) is True
    assert compile_('running("campaign")').evaluate(c) is False
    # a clock the case has not started has no status: every helper is false
    assert compile_('breached("campaign") or running("campaign")').evaluate(ctx(clocks={})) is False


def test_names_and_exact_money() -> None:
    c = ctx()
    cond = compile_(
        "amount >= params.crime_threshold_group and workers >= 10 and migrant_amount == 25000.5"
    )
    assert cond.evaluate(c) is True
    assert cond.names == {"amount", "params", "workers", "migrant_amount"}
    # 0.1 + 0.2 == 0.3 holds for exact decimals (it would not for floats)
    assert compile_("amount + 0.1 + 0.2 == 30000.3").evaluate(c) is True
    assert (
        compile_("amount >= params.crime_threshold_group").evaluate(ctx(amount=Decimal("29999.99")))
        is False
    )
    assert compile_('"collective" in flags and not "malicious" in flags').evaluate(c) is True
    assert compile_('project_kind == "government" and project.kind == "government"').evaluate(c)
    assert compile_('project_kind == "none"').evaluate(ctx(project_kind=None)) is True
    assert compile_('level == "county" and region =~ "^1403" and state == "handling"').evaluate(c)
    assert compile_('channel == "transferred" and employer_category == "construction"').evaluate(c)
    assert compile_('params.label == "x"').evaluate(c) is True


def test_now_in_pack_time_zone_and_campaign_window() -> None:
    c = ctx(
        campaign_start=datetime(2021, 10, 31, 16, tzinfo=UTC),
        campaign_end=datetime(2022, 1, 31, 16, tzinfo=UTC),
    )
    # 16:30 UTC on 31 Dec is already 2022 in Shanghai
    assert compile_("now.year == 2022 and now.month == 1").evaluate(c) is True
    assert compile_("now.year == 2021", timezone=UTC).evaluate(c) is True
    inside = compile_("now >= (campaign_start ?? now) and now < (campaign_end ?? now)")
    assert inside.evaluate(c) is True
    assert compile_("campaign_end == null").evaluate(ctx()) is True


def test_context_params_override() -> None:
    cond = compile_("amount >= params.crime_threshold_single")
    assert cond.evaluate(ctx(amount=6000)) is True
    assert cond.evaluate(ctx(amount=6000, params={"crime_threshold_single": 10000})) is False


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        compile_("now.year == 2021").evaluate(ctx(now=datetime(2021, 1, 1)))


def test_without_clock_list_any_clock_compiles() -> None:
    cond = compile_condition('breached("anything")', where=WHERE)
    assert cond.clocks == {"anything"}
    assert cond.evaluate(ctx()) is False


def test_from_mapping() -> None:
    values = dict(
        level="city",
        region="140300",
        state="accepted",
        workers=1,
        migrant_workers=0,
        amount=1,
        migrant_amount=0,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert ConditionContext.from_mapping(values).level == "city"
    with pytest.raises(ValueError, match="no field colour"):
        ConditionContext.from_mapping({**values, "colour": "red"})
    with pytest.raises(ValueError, match="missing"):
        ConditionContext.from_mapping({"level": "city"})


def test_what_one_worker_is_owed_may_be_unknown() -> None:
    cond = compile_("(largest_owed ?? 0) >= 5000 and (largest_owed_months ?? 0) >= 3")
    assert cond.names == {"largest_owed", "largest_owed_months"}
    assert cond.evaluate(ctx()) is False  # not recorded: meets nothing, never a guessed figure
    assert cond.evaluate(ctx(largest_owed=Decimal("5000.00"), largest_owed_months=3)) is True
    assert cond.evaluate(ctx(largest_owed=Decimal("4999.99"), largest_owed_months=12)) is False
    assert cond.evaluate(ctx(largest_owed=Decimal("8000.00"))) is False  # months unknown
    assert compile_("largest_owed == null").evaluate(ctx()) is True


def test_a_condition_knows_the_params_it_reads() -> None:
    cond = compile_("amount >= params.crime_threshold_group or params.label == 'y'")
    assert cond.params == {"crime_threshold_group", "label"}
    assert compile_("workers > 1").params == frozenset()


def test_outside_its_dates_in_force_a_condition_is_false() -> None:
    from datetime import date

    from zhiqian.rules.in_force import InForce

    window = InForce.model_validate({"from": "2022-01-01", "to": "2022-12-31"})
    cond = compile_("workers >= 10").within([("规则", window)])
    # ctx() is 2021-12-31 16:30 UTC: already 2022-01-01 in the pack's zone (Asia/Shanghai)
    assert cond.evaluate(ctx()) is True
    before = ctx(now=datetime(2021, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 Dec in Shanghai
    assert cond.evaluate(before) is False
    assert cond.holds(before) is True  # the expression itself still holds
    assert cond.out_of_force(before.now) == "规则 未施行（2022-01-01 至 2022-12-31）"
    after = datetime(2022, 12, 31, 16, tzinfo=UTC)  # 2023-01-01 00:00 in Shanghai
    assert cond.out_of_force(after) == "规则 已失效（2022-01-01 至 2022-12-31）"
    assert cond.evaluate(ctx(now=after)) is False
    assert window.covers(date(2022, 12, 31))
    assert not window.covers(date(2023, 1, 1))
    # every window must cover the day: the rule's and each param's
    param = InForce.model_validate({"from": "2022-06-01"})
    both = cond.within([("参数 big", param)])
    assert both.evaluate(ctx()) is False
    assert both.out_of_force(ctx().now) == "参数 big 未施行（2022-06-01 起）"
    assert compile_("workers >= 10").within([]).in_force == ()
