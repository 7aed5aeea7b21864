"""Rounding figures for display so that the 合计 row is the sum of the rows above it.

The rule (applied per column, or per chain of 合计 / 其中 columns):

1. Figures are rounded to the display unit (0.01 万元, 0.0001 万人, …). Each row's figure is its
   exact value rounded down or up to a neighbouring unit, never further: a row never shows a
   figure more than one unit away from the truth.
2. The 合计 row is not rounded on its own: it is the sum of the displayed rows, and the rows are
   chosen so that this sum is the exact total rounded half up (四舍五入, the convention of Chinese
   statistical tables). This is largest-remainder (Hamilton) apportionment: it is exactly the
   assignment that minimises the total distance between displayed and exact figures.
3. Where columns nest (涉及金额 合计 ⊇ 其中：农民工), the displayed 其中 figure never exceeds the
   displayed 合计 figure in any row. Independent largest-remainder rounding of the two columns can
   break that (合计 0.015 → 0.01 next to 其中 0.015 → 0.02), so nested columns are apportioned
   jointly: among all floor/ceiling choices that respect the nesting, the one that hits every
   column's half-up total (or misses by the fewest units, should none hit), then is closest to the
   exact figures, then favours larger exact figures and earlier rows on ties.

With the four category rows of 附件2 and chains of at most three columns the search covers at most
4^4 = 256 assignments (8^4 when floors differ), so it is exhaustive rather than heuristic.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

__all__ = ["apportion", "round_half_up"]

_MAX_ASSIGNMENTS = 200_000


def round_half_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half up (四舍五入) to ``places`` decimals, with exactly that many shown."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def apportion(chain: Sequence[Sequence[Decimal]], places: int) -> tuple[tuple[Decimal, ...], ...]:
    """Display figures for the rows of one column or of a chain of nested columns.

    ``chain[c][i]`` is the exact figure of column ``c`` in row ``i``; column 0 is the outer 合计
    column and each further column a part (其中) of the one before, so ``chain[c][i] >=
    chain[c + 1][i] >= 0``. Returns the displayed figures in the same shape, each with ``places``
    decimals. The total row is their sum (see the module docstring for the guarantees).
    Raises ``ValueError`` on negative or non-nesting figures or ragged input.
    """
    if places < 0:
        raise ValueError(f"places must be >= 0, got {places}")
    if not chain:
        return ()
    rows = len(chain[0])
    if any(len(column) != rows for column in chain):
        raise ValueError("every column of a chain needs the same number of rows")
    for c, column in enumerate(chain):
        for i, value in enumerate(column):
            if not value.is_finite() or value < 0:
                raise ValueError(f"column {c} row {i}: figure {value} is not a finite figure >= 0")
            if c and value > chain[c - 1][i]:
                raise ValueError(
                    f"column {c} row {i}: part {value} exceeds its whole {chain[c - 1][i]}"
                )
    if rows == 0:
        return tuple(() for _ in chain)

    scale = Decimal(1).scaleb(places)
    scaled = [[v * scale for v in column] for column in chain]
    floors = [[int(q.to_integral_value(rounding=ROUND_FLOOR)) for q in col] for col in scaled]
    targets = [
        int(sum(col, Decimal(0)).to_integral_value(rounding=ROUND_HALF_UP)) for col in scaled
    ]

    # Per row, the floor/ceiling choices that keep 合计 >= 其中 >= … within the row.
    options: list[list[tuple[int, ...]]] = []
    for i in range(rows):
        per_column = [
            (floors[c][i],) if scaled[c][i] == floors[c][i] else (floors[c][i], floors[c][i] + 1)
            for c in range(len(chain))
        ]
        options.append(
            [
                choice
                for choice in itertools.product(*per_column)
                if all(a >= b for a, b in itertools.pairwise(choice))
            ]
        )
    count = 1
    for row_options in options:
        count *= len(row_options)
    if count > _MAX_ASSIGNMENTS:
        raise ValueError(f"{rows} rows × {len(chain)} columns is too many for exact apportionment")

    # Ties go to the larger exact figure, then to the earlier row.
    def preferred(c: int) -> list[int]:
        return sorted(range(rows), key=lambda i: (-scaled[c][i], i))

    preference = [preferred(c) for c in range(len(chain))]

    def key(assignment: tuple[tuple[int, ...], ...]) -> tuple[int, Decimal, tuple[int, ...]]:
        miss = sum(abs(sum(row[c] for row in assignment) - targets[c]) for c in range(len(chain)))
        distance = sum(
            (
                abs(row[c] - scaled[c][i])
                for i, row in enumerate(assignment)
                for c in range(len(chain))
            ),
            Decimal(0),
        )
        ties = tuple(-assignment[i][c] for c in range(len(chain)) for i in preference[c])
        return miss, distance, ties

    best = min(itertools.product(*options), key=key)
    return tuple(
        tuple(Decimal(best[i][c]).scaleb(-places) for i in range(rows)) for c in range(len(chain))
    )
