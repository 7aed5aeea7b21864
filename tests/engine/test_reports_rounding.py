"""The rounding that makes 附件2's 合计 row add up, as properties over random figures."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiqian.engine.reports import (
    CATEGORY_ORDER,
    COLUMNS,
    ReportCase,
    apportion,
    campaign_report,
    round_half_up,
)

CN = timezone(timedelta(hours=8))
D = Decimal


def unit(places: int) -> Decimal:
    return D(1).scaleb(-places)


# ------------------------------------------------------------------------- apportion itself


def test_three_half_units() -> None:
    (shown,) = apportion([[D("0.005")] * 3 + [D(0)]], 2)
    assert shown == (D("0.01"), D("0.01"), D("0.00"), D("0.00"))
    assert sum(shown) == round_half_up(D("0.015"), 2) == D("0.02")


def test_largest_remainder_wins() -> None:
    (shown,) = apportion([[D("1.004"), D("2.006"), D("3.003"), D("0.002")]], 2)
    # total 6.015 → 6.02: floors sum to 6.00; the two largest remainders (.6, .4) get a unit.
    assert shown == (D("1.01"), D("2.01"), D("3.00"), D("0.00"))


def test_ties_go_to_the_larger_figure_then_the_earlier_row() -> None:
    (shown,) = apportion([[D("0.005"), D("1.005"), D("0.005"), D("0")]], 2)
    # 1.015 → 1.02 over floors summing to 1.00:
    # two units to give, three equal remainders: the largest figure, then the first row.
    assert shown == (D("0.01"), D("1.01"), D("0.00"), D("0.00"))


def test_nested_columns_keep_part_below_whole() -> None:
    whole, part = apportion([[D("0.015"), D("0.017")], [D("0.015"), D("0")]], 2)
    assert whole == (D("0.02"), D("0.01"))
    assert part == (D("0.02"), D("0.00"))


def test_exact_figures_are_untouched() -> None:
    (shown,) = apportion([[D("158.46"), D("9.8"), D("6.4"), D("0")]], 2)
    assert shown == (D("158.46"), D("9.80"), D("6.40"), D("0.00"))


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ([[D("-1")]], "finite figure >= 0"),
        ([[D("NaN")]], "finite figure >= 0"),
        ([[D("1")], [D("2")]], "exceeds its whole"),
        ([[D("1"), D("2")], [D("1")]], "same number of rows"),
    ],
)
def test_bad_chains(chain: list[list[Decimal]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apportion(chain, 2)


def test_round_half_up_is_not_bankers() -> None:
    assert round_half_up(D("0.125"), 2) == D("0.13")
    assert round_half_up(D("0.135"), 2) == D("0.14")
    assert str(round_half_up(D("3"), 2)) == "3.00"


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[list[Decimal]], int]:
    depth = draw(st.integers(1, 3))
    rows = draw(st.integers(1, 4 if depth == 3 else 6))
    places = draw(st.integers(0, 4))
    fine = places + draw(st.integers(1, 3))  # figures finer than the display unit
    top = draw(st.sampled_from([10, 10**3, 10**6]))
    column = [D(draw(st.integers(0, top))).scaleb(-fine) for _ in range(rows)]
    chain = [column]
    for _ in range(depth - 1):
        # each part at most its whole, often equal or zero (the adversarial cases)
        column = [
            draw(st.sampled_from([v, D(0), (v * D(draw(st.integers(0, 100))) / 100).scaleb(0)]))
            for v in column
        ]
        column = [
            min(c.quantize(unit(fine + 2)), w) for c, w in zip(column, chain[-1], strict=True)
        ]
        chain.append(column)
    return chain, places


@given(chains())
@settings(max_examples=400, deadline=None)
def test_apportion_properties(case: tuple[list[list[Decimal]], int]) -> None:
    chain, places = case
    shown = apportion(chain, places)
    one = unit(places)
    for exact_col, shown_col in zip(chain, shown, strict=True):
        # 合计 is the half-up total, and the rows add up to it
        assert sum(shown_col, D(0)) == round_half_up(sum(exact_col, D(0)), places)
        for exact, value in zip(exact_col, shown_col, strict=True):
            assert value.as_tuple().exponent == -places
            assert abs(value - exact) < one  # a neighbouring unit, never further
    for whole, part in itertools.pairwise(shown):
        assert all(p <= w for p, w in zip(part, whole, strict=True))


# ------------------------------------------------------------------------- whole reports

USCC = "91530100MA6K3XYW0{}"
EMPLOYERS = [USCC.format(c) for c in "ABCDEFGH"]


@st.composite
def case_lists(draw: st.DrawFn) -> list[ReportCase]:
    count = draw(st.integers(0, 14))
    out = []
    for i in range(count):
        workers = draw(st.integers(0, 300))
        migrants = draw(st.integers(0, workers))
        fen = draw(st.sampled_from([100, 5_000, 10**6, 10**9]))
        amount = draw(st.integers(0, fen))
        migrant_amount = draw(st.sampled_from([amount, 0, draw(st.integers(0, amount))]))
        recovered = draw(st.integers(0, fen))
        recovered_workers = draw(st.integers(0, workers))
        filed = draw(st.booleans())
        referred = draw(st.booleans())
        project = draw(st.sampled_from([None, "甲工程", "乙工程", "丙工程"]))
        kinds: Any = (
            None
            if project is None
            else draw(
                st.sampled_from(["government", "ppp", "soe", frozenset({"government", "soe"})])
            )
        )
        out.append(
            ReportCase(
                id=i,
                ref=f"R{i}",
                received_at=datetime(2021, 11, draw(st.integers(1, 30)), 12, tzinfo=CN),
                region="530102",
                region_name="五华区",
                level="county",
                state="handling",
                state_label="处理",
                employer_name=f"单位{i}",
                employer_uscc=draw(st.sampled_from([*EMPLOYERS, None])),
                employer_category=draw(st.sampled_from(CATEGORY_ORDER)),
                project_kind=kinds,
                project_name=project,
                workers=workers,
                migrant_workers=migrants,
                migrant_contracts=draw(st.one_of(st.none(), st.integers(0, migrants))),
                amount=D(amount).scaleb(-2),
                migrant_amount=D(migrant_amount).scaleb(-2),
                arrears_verified=draw(st.booleans()),
                filed=filed,
                resolved_without_filing=not filed and draw(st.booleans()),
                recovered_workers=recovered_workers,
                recovered_migrant_workers=draw(st.integers(0, recovered_workers)),
                recovered_amount=D(recovered).scaleb(-2),
                recovered_migrant_amount=D(draw(st.integers(0, recovered))).scaleb(-2),
                orders_to_correct=draw(st.integers(0, 3)),
                handling_decisions=draw(st.integers(0, 2)),
                penalty_decisions=draw(st.integers(0, 2)),
                police_referred=referred,
                police_filed=referred and draw(st.booleans()),
            )
        )
    return out


@given(case_lists(), st.integers(0, 4), st.integers(0, 4))
@settings(max_examples=250, deadline=None)
def test_displayed_total_is_the_sum_of_displayed_rows(
    cases: list[ReportCase], money_places: int, people_places: int
) -> None:
    report = campaign_report(
        cases,
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=datetime(2021, 12, 2, tzinfo=CN),
        money_places=money_places,
        people_places=people_places,
    )
    total, *rows = report.rows
    for n, column in enumerate(COLUMNS, start=1):
        places = report.places(column)
        one = unit(places)
        for r in rows:
            shown, exact = r.figure(n), r.figure(n, exact=True)
            assert (shown is None) == (exact is None), (r.key, n)
            if shown is not None and exact is not None:
                assert abs(shown - exact) < one, (r.key, n)
        if any(r.figure(n) is None for r in rows):
            # only column 4 can be unknown, and then 合计 is unknown too: never a partial sum
            assert n == 4
            assert total.figure(n) is None
            assert total.figure(n, exact=True) is None
            continue
        shown_total, exact_total = total.figure(n), total.figure(n, exact=True)
        assert shown_total is not None
        assert exact_total is not None
        assert shown_total == sum((r.figure(n) or D(0) for r in rows), D(0)), n
        assert exact_total == sum((r.figure(n, exact=True) or D(0) for r in rows), D(0))
        assert shown_total == exact_total.quantize(one, ROUND_HALF_UP), n
    for whole, part in ((2, 3), (3, 4), (6, 7), (8, 9), (12, 13), (14, 15)):
        for r in report.rows:
            shown_part, shown_whole = r.figure(part), r.figure(whole)
            if shown_part is None:
                continue
            assert shown_whole is not None
            assert shown_part <= shown_whole, (r.key, whole, part)
    unknown = [c for c in cases if c.migrant_contracts is None and c.migrant_workers > 0]
    assert report.contracts_unknown == len(unknown)
    assert (len(report.notes) == 4) == bool(unknown)
    assert all(r.figure(5) <= r.figure(1) for r in report.rows)
