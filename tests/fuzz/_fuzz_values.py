"""Hostile values for the fuzz suites: the characters and numbers the red team used."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

NASTY_CHARS = [
    "\x00", "\x07", "\x08", "\x1b", "\r", "\n", "\t", "\x7f", "\x85", "\x9b",
    "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad",
    "\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c",
    "\u2028", "\u2029", "\ud800", "\udfff", "\ufffe", "\uffff",
    "=", "+", "-", "@", "'", '"', "[", "{", "\\", "%", "$", "*", "&", "!", "|", "<<",
    "e\u0301", "\u00e9", "\u3000", " ", "张", "三", "司", "0", "9", "１", "٣", "A", "x",
    "\U0001f468", "\U000e0041",
]  # fmt: skip

nasty_text = st.lists(st.sampled_from(NASTY_CHARS), max_size=24).map("".join)
any_text = st.one_of(
    st.text(max_size=24),
    nasty_text,
    st.builds(
        lambda a, b: a + b, st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), st.text(max_size=12)
    ),
    st.text(alphabet="张三某建筑劳务有限公司", min_size=45, max_size=260),
    st.sampled_from(["", " ", "null", "NaN", "1e30", "-0", "0.001", "9" * 40, "2026-02-30"]),
)
numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**7),
    st.integers(min_value=10**12, max_value=10**400),
    st.integers(max_value=-(10**12), min_value=-(10**400)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.just(Decimal("999999999999.99")),
    st.just(Decimal("1000000000000.00")),
)
scalars = st.one_of(any_text, numbers, st.none(), st.booleans())
deep = st.integers(min_value=1, max_value=3000).map(lambda n: _nest(n))
any_value: st.SearchStrategy[Any] = st.one_of(
    scalars,
    deep,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=6), scalars, max_size=3),
)


def _nest(n: int) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = [value]
    return value
