"""Check digits of 统一社会信用代码 (GB 32100), 组织机构代码 (GB 11714) and 身份证号 (GB 11643)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiqian.rules import codes
from zhiqian.rules.codes import (
    USCC_ALPHABET,
    id_number_problem,
    make_id_number,
    make_uscc,
    org_code_problem,
    uscc_problem,
)

TODAY = date(2026, 11, 23)

# Published codes of real organisations, collected from the test suites of other validators:
# python-stdnum 2.2 (stdnum/cn/uscc.py doctest), hutool (CreditCodeUtilTest), bluesky335/IDCheck
# (USCI_test.go, names as given there) and the GB 32100 example 91350100M000100Y43.
REAL_USCC = {
    "91110000600037341L": "python-stdnum doctest",
    "91350100M000100Y43": "GB 32100-2015 示例",
    "91310110666007217T": "hutool CreditCodeUtilTest",
    "91310115591693856A": "hutool CreditCodeUtilTest",
    "9135010557098120XJ": "福建百度博瑞网络科技有限公司",
    "91120222MA06DG3067": "天津云上畅游科技合伙企业（有限合伙）",
    "91120222MA0699U071": "天津锤子科技有限公司",
    "91310000MA1K35Y38P": "锤子科贸（上海）有限公司",
    "91110108795101314G": "谷歌信息技术（中国）有限公司",
    "914403001922038216": "华为技术有限公司",
    "91330000704202479R": "浙江小王子食品有限公司",
    "91500105MA5UM6TF71": "重庆云嘟嘟科技有限公司",
    "913504001555807674": "福建一建集团有限公司",
    "9135020026015919XW": "厦门象屿集团有限公司",
    "913502006120495420": "厦门中骏集团有限公司",
    "91230184MA1BUFLT44": "cloud-utils example",
    "92371000MA3MXH0E3W": "cloud-utils example (个体工商户)",
}

# Codes issued in the 2015 pilot (福建) before the standard settled: real, but their last
# character is not the GB 32100 check. The expected characters are the ones IDCheck's README
# computes for them, so they also check our arithmetic against an independent implementation.
PILOT_USCC = {
    "91350100M0001TGQXM": "1",
    "91350211M0000XUF46": "R",
    "91350203M0001FUE2P": "J",
}


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_uscc_are_valid(code: str) -> None:
    assert uscc_problem(code) is None


@pytest.mark.parametrize(("code", "expected"), PILOT_USCC.items())
def test_pilot_codes_fail_with_the_check_digit_others_compute(code: str, expected: str) -> None:
    assert uscc_problem(code) == f"check digit is {code[-1]}, expected {expected}"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000600037341", "must be 18 characters, got 17"),
        ("91110000600037341LL", "must be 18 characters, got 19"),
        ("9111000060003734IL", "character 17 'I' is not allowed"),
        ("91110000600O37341L", "character 12 'O' is not allowed"),
        ("91110000600037341l", "character 18 'l' is not allowed"),
        ("B1110000600037341L", "registration authority (登记管理部门) code 'B' is unknown"),
        (
            "94110000600037341L",
            "organisation type (机构类别) '4' is not issued by authority 9 工商",
        ),
        ("Y2110000600037341L", "'2' is not issued by authority Y"),
        ("91A10000600037341L", "characters 3-8 'A10000' must be a 6-digit division code"),
        ("91990000600037341L", "unknown province prefix 99"),
        ("91110000600037342L", "organisation code check digit is 2, expected 1"),
        ("91110000600037341M", "check digit is M, expected L"),
        (91110000600037341, "is a string, not int"),
    ],
)
def test_uscc_problems_name_what_is_wrong(code: object, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert fragment in problem


def test_every_authority_type_pair_of_the_standard() -> None:
    rng = random.Random(7)
    allowed = {
        "1": "1239",
        "2": "19",
        "3": "123459",
        "4": "19",
        "5": "1239",
        "6": "129",
        "7": "129",
        "8": "19",
        "9": "123",
        "A": "19",
        "N": "1239",
        "Y": "1",
    }
    for authority in USCC_ALPHABET:
        for kind in USCC_ALPHABET:
            body = make_uscc(rng, "530102")[2:17]
            first17 = authority + kind + body
            code = first17 + codes.uscc_check(first17)
            ok = kind in allowed.get(authority, "")
            assert (uscc_problem(code) is None) == ok, code


def test_national_registrations_use_region_100000() -> None:
    # Central-level registrations put 100000 in characters 3-8 instead of a province.
    code = make_uscc(random.Random(1), "100000", authority="1", kind="1")
    assert code[2:8] == "100000"
    assert uscc_problem(code) is None


def test_several_problems_are_reported_together() -> None:
    problem = uscc_problem("94990000600037342M")
    assert problem is not None
    assert "organisation type" in problem
    assert "unknown province prefix 99" in problem
    assert "organisation code check digit" in problem
    assert "check digit is M" in problem


def test_org_code_problems() -> None:
    assert org_code_problem("600037341") is None
    assert org_code_problem("19220382X") is not None  # Huawei's is 192203821
    assert org_code_problem("192203821") is None
    assert org_code_problem("MA1BUFLT4") is None
    assert (
        org_code_problem("MA1BUFLT")
        == "organisation code (组织机构代码) must be 9 characters, got 8"
    )
    assert "not a digit or upper-case letter" in (org_code_problem("MA1bUFLT4") or "")
    # GB 11714 maps 10 → X and 11 → 0: bodies whose sum needs each of them.
    bodies = {codes.org_code_check(f"{n:08d}"): f"{n:08d}" for n in range(200)}
    assert org_code_problem(bodies["X"] + "X") is None
    assert org_code_problem(bodies["0"] + "0") is None


def test_org_code_check_alone_misses_a_substitution_by_eleven() -> None:
    # What GB 11714 does not guarantee, and why the USCC's own mod-31 check matters: '3' (3)
    # and 'E' (14) differ by 11, so the organisation code still checks; the USCC does not.
    assert org_code_problem("600037341") is None
    assert org_code_problem("600037E41") is None
    problem = uscc_problem("91110000600037E41L")
    assert problem is not None
    assert problem.startswith("check digit is L")


# ---------------------------------------------------------------------------------------------
# 身份证号

REAL_ID = {
    "11010519491231002X": "GB 11643-1999 示例",
    "360426199101010071": "python-stdnum doctest",
}


@pytest.mark.parametrize("code", REAL_ID)
def test_published_id_numbers_are_valid(code: str) -> None:
    assert id_number_problem(code, today=TODAY) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("11010519491231002", "must be 18 characters, got 17"),
        ("110105491231002", "15-digit first-generation ID numbers are not accepted"),
        ("11010519491231002x", "X must be upper case"),
        ("1101051949123100AX", "the first 17 characters must be digits"),
        ("11010519491231002Y", "the last character must be a digit or X"),
        ("110105194912310021", "ID number check digit is 1, expected X"),
        ("990105194912310022", "unknown province prefix 99"),
        ("110105194902300020", "birth date 19490230 is not a valid date"),
        ("110105203001010010", "birth date 2030-01-01 is in the future"),
        ("110105189912310011", "birth date 1899-12-31 is before 1900"),
    ],
)
def test_id_number_problems(code: str, fragment: str) -> None:
    problem = id_number_problem(code, today=TODAY)
    assert problem is not None
    assert fragment in problem, problem


def test_birth_today_is_allowed_tomorrow_is_not() -> None:
    rng = random.Random(3)
    assert id_number_problem(make_id_number(rng, "140302", TODAY), today=TODAY) is None
    tomorrow = date(2026, 11, 24)
    problem = id_number_problem(make_id_number(rng, "140302", tomorrow), today=TODAY)
    assert problem == "ID number: birth date 2026-11-24 is in the future"


def test_an_old_address_code_with_a_known_province_is_accepted() -> None:
    # 140202 (大同市城区) was withdrawn in 2018, but people born there keep their number.
    code = make_id_number(random.Random(5), "140202", date(1980, 5, 17))
    assert id_number_problem(code, today=TODAY) is None


# ---------------------------------------------------------------------------------------------
# Properties: generated codes pass; the checks catch what their arithmetic guarantees.

regions = st.sampled_from(["140302", "140300", "530102", "532801", "110105", "659001", "500157"])
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    seed = draw(st.integers(0, 2**32))
    authority = draw(st.sampled_from(sorted(codes.USCC_KINDS)))
    kind = draw(st.sampled_from(sorted(codes.USCC_KINDS[authority][1])))
    return make_uscc(random.Random(seed), draw(regions), authority=authority, kind=kind)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    seed = draw(st.integers(0, 2**32))
    return make_id_number(random.Random(seed), draw(regions), draw(births))


@given(usccs())
def test_generated_usccs_are_valid(code: str) -> None:
    assert uscc_problem(code) is None


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_in_a_uscc_fails_its_check_digit(
    code: str, position: int, replacement: str
) -> None:
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    expected = codes.uscc_check(changed[:17])
    assert changed[17] != expected  # the mod-31 check alone catches it
    assert uscc_problem(changed) is not None


@given(usccs(), st.integers(0, 15))
def test_any_adjacent_transposition_in_a_uscc_body_fails(code: str, position: int) -> None:
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert codes.uscc_check(swapped[:17]) != swapped[17]


@given(id_numbers())
def test_generated_id_numbers_are_valid(code: str) -> None:
    assert id_number_problem(code, today=TODAY) is None


@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_substitution_in_an_id_number_fails(
    code: str, position: int, replacement: str
) -> None:
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert id_number_problem(changed, today=TODAY) is not None


@given(id_numbers(), st.integers(0, 15))
def test_any_adjacent_transposition_in_an_id_number_body_fails(code: str, position: int) -> None:
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert codes.id_number_check(swapped[:17]) != swapped[17]


def test_generators_refuse_what_they_cannot_make() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="no organisation type"):
        make_uscc(rng, "140302", authority="9", kind="9")
    with pytest.raises(ValueError, match="known province"):
        make_uscc(rng, "990000")
    with pytest.raises(ValueError, match="known province"):
        make_id_number(rng, "990000", date(1990, 1, 1))
