"""Check-digit validators for the identifiers a complaint carries, and generators for test data.

- 统一社会信用代码 (unified social credit code, USCC), GB 32100-2015: 18 characters from a
  31-character alphabet; its characters 9–17 are the 组织机构代码 (organisation code) of
  GB 11714-1997 with that code's own check character.
- 公民身份号码 (resident identity number), GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2
  check character.

Each ``*_problem`` function returns None when the value is valid, else one short sentence naming
what is wrong ("check digit is 3, expected X"). They never normalise: callers strip and
upper-case what they accept from people.

What the check digits guarantee (tested in tests/engine/test_codes.py): every single-character
substitution and every transposition of two adjacent characters among the first 17 is caught by
the USCC check (weights 3^i mod 31 are non-zero and pairwise distinct modulo the prime 31) and by
the ID number check (weights 2^(17-i) mod 11, digit differences below 11). The GB 11714 check of
the organisation code alone is weaker: its characters take values up to 35, so substituting a
character whose value differs by 11 or 22 (``1`` ↔ ``C``) keeps the sum modulo 11 and passes.

Real exceptions: a few codes issued in early pilot areas (厦门/福州 2015) do not satisfy
GB 32100 (e.g. ``91350100M0001TGQXM``); they are rejected here like any other bad check digit.
"""

from __future__ import annotations

import random
from datetime import date

from zhiqian.errors import InvalidArgument
from zhiqian.rules import divisions

__all__ = [
    "USCC_ALPHABET",
    "USCC_KINDS",
    "id_number_check",
    "id_number_problem",
    "make_id_number",
    "make_org_code",
    "make_uscc",
    "org_code_check",
    "org_code_problem",
    "uscc_check",
    "uscc_problem",
]

# GB 32100-2015 §4: digits and upper-case Latin letters except I, O, Z, S, V; a character's value
# is its index here.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# GB 32100-2015 表1/表2: 登记管理部门 (character 1) → 机构类别 (character 2) it may issue.
USCC_KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}

# GB 11714-1997: the 8 body characters are digits or letters (A=10 … Z=35).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# GB 11643-1999: weights 2^(17-i) mod 11; check character indexed by the sum modulo 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Registration authorities at national level put 100000 in characters 3–8 (no province).
_NATIONAL_REGION = "100000"


def uscc_check(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (all from USCC_ALPHABET)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check(body8: str) -> str:
    """The GB 11714 check character for the 8 body characters of an organisation code."""
    total = sum(_ORG_BODY.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def org_code_problem(code9: object) -> str | None:
    """None when ``code9`` is a valid 组织机构代码 (8 characters and its check character)."""
    if not isinstance(code9, str):
        return f"an organisation code is a string, not {type(code9).__name__}"
    if len(code9) != 9:
        return f"organisation code (组织机构代码) must be 9 characters, got {len(code9)}"
    for i, c in enumerate(code9[:8], start=1):
        if c not in _ORG_BODY:
            return f"organisation code character {i} {c!r} is not a digit or upper-case letter"
    expected = org_code_check(code9[:8])
    if code9[8] != expected:
        return f"organisation code check digit is {code9[8]}, expected {expected}"
    return None


def uscc_problem(code: object) -> str | None:
    """None when ``code`` is a valid 统一社会信用代码, else every structural problem found."""
    if not isinstance(code, str):
        return f"a 统一社会信用代码 is a string, not {type(code).__name__}"
    if len(code) != 18:
        return f"统一社会信用代码 must be 18 characters, got {len(code)}"
    for i, c in enumerate(code, start=1):
        if c not in _USCC_VALUE:
            return (
                f"character {i} {c!r} is not allowed (统一社会信用代码 uses 0-9 and "
                "upper-case A-Y without I, O, S, V, Z)"
            )
    problems: list[str] = []
    authority, kind = code[0], code[1]
    if authority not in USCC_KINDS:
        problems.append(f"registration authority (登记管理部门) code {authority!r} is unknown")
    else:
        name, kinds = USCC_KINDS[authority]
        if kind not in kinds:
            allowed = ", ".join(f"{k} {v}" for k, v in kinds.items())
            problems.append(
                f"organisation type (机构类别) {kind!r} is not issued by authority "
                f"{authority} {name} (allowed: {allowed})"
            )
    region = code[2:8]
    if not region.isdigit():
        problems.append(f"characters 3-8 {region!r} must be a 6-digit division code")
    elif region != _NATIONAL_REGION and divisions.province_of(region) is None:
        problems.append(f"characters 3-8 {region}: unknown province prefix {region[:2]}")
    org = org_code_problem(code[8:17])
    if org is not None:
        problems.append(org)
    expected = uscc_check(code[:17])
    if code[17] != expected:
        problems.append(f"check digit is {code[17]}, expected {expected}")
    return "; ".join(problems) or None


def id_number_check(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(code: object, *, today: date) -> str | None:
    """None when ``code`` is a valid 18-character 公民身份号码 of someone born by ``today``.

    The address code (characters 1–6) is the holder's place of first registration and may be a
    code withdrawn long ago, so only its province prefix is checked against the table.
    """
    if not isinstance(code, str):
        return f"an ID number is a string, not {type(code).__name__}"
    if len(code) == 15 and code.isascii() and code.isdigit():
        return "15-digit first-generation ID numbers are not accepted; give the 18-digit number"
    if len(code) != 18:
        return f"ID number (身份证号) must be 18 characters, got {len(code)}"
    if not (code[:17].isascii() and code[:17].isdigit()):
        return "ID number: the first 17 characters must be digits"
    if code[17] == "x":
        return "ID number: the check character X must be upper case"
    if not (code[17].isdigit() or code[17] == "X") or not code[17].isascii():
        return f"ID number: the last character must be a digit or X, got {code[17]!r}"
    problems: list[str] = []
    if divisions.province_of(code[:6]) is None:
        problems.append(f"ID number: unknown province prefix {code[:2]} in address code {code[:6]}")
    try:
        birth = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        problems.append(f"ID number: birth date {code[6:14]} is not a valid date")
    else:
        if birth > today:
            problems.append(f"ID number: birth date {birth.isoformat()} is in the future")
        elif birth.year < 1900:
            problems.append(f"ID number: birth date {birth.isoformat()} is before 1900")
    expected = id_number_check(code[:17])
    if code[17] != expected:
        problems.append(f"ID number check digit is {code[17]}, expected {expected}")
    return "; ".join(problems) or None


def make_org_code(rng: random.Random) -> str:
    """A valid 9-character organisation code drawn from ``rng``, shaped like real ones: old
    all-digit codes and the ``MA…`` codes issued since 2015."""
    if rng.random() < 0.5:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    else:
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    return body + org_code_check(body)


def make_uscc(
    rng: random.Random, region: str = "140302", *, authority: str = "9", kind: str = "1"
) -> str:
    """A valid 统一社会信用代码 registered in ``region`` (default 企业 registered by 工商)."""
    if authority not in USCC_KINDS or kind not in USCC_KINDS[authority][1]:
        raise InvalidArgument(
            name="kind",
            value=kind,
            why=f"no organisation type {kind!r} under registration authority {authority!r}",
        )
    if region != _NATIONAL_REGION and divisions.province_of(region) is None:
        raise _no_province(region)
    first17 = authority + kind + region + make_org_code(rng)
    return first17 + uscc_check(first17)


def make_id_number(rng: random.Random, region: str, birth: date) -> str:
    """A valid 公民身份号码 for someone born on ``birth`` and first registered in ``region``."""
    if divisions.province_of(region) is None:
        raise _no_province(region)
    first17 = f"{region}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return first17 + id_number_check(first17)


def _no_province(region: str) -> InvalidArgument:
    return InvalidArgument(
        name="region", value=region, why="not a division code with a known province"
    )
