"""What official documents call things, pure: offices, the police, document numbers, acts, and
the facts a document may still be waiting for.

Names follow the forms Chinese offices use and are derived from the division table, never
guessed from free text:

- the 人社 office of a division (``阳泉市城区人力资源和社会保障局``; a province's is a 厅, a
  直辖市's a 局);
- the police office at the same level (国务院令第310号 第五条: "向同级公安机关移送"): a
  district's is the city bureau's 分局 (``阳泉市公安局城区分局``), a county's or county-level
  city's its own 公安局 (``平定县公安局``), a city's ``阳泉市公安局``, a province's 公安厅 and a
  直辖市's 公安局. A deployment whose police office is named otherwise gives the name in its
  directory (``zhiqian.engine.routing``);
- document numbers (文号) ``{机关代字}{类别}〔{年}〕{序号}号``: the 机关代字 is the division's own
  name without its administrative suffix (``城区``, ``平定``, ``阳泉``; a province's ``山西人社厅``)
  followed by 人社 — unambiguous with the issuing office printed above it, and never an
  abbreviation we would have to invent; the 类别 of the 涉嫌犯罪案件移送书 is 移
  (``城区人社移〔2026〕3号``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from zhiqian.rules.divisions import level_of, lookup, name_path, parent

__all__ = [
    "ACT_LABELS",
    "DOCUMENT_KINDS",
    "FACTS",
    "PENDING_NAME",
    "Fact",
    "division_name",
    "document_no",
    "is_named_person",
    "office_name",
    "office_short",
    "police_office_name",
    "referral_document_no",
]

# 北京, 天津, 上海, 重庆: a province-level division whose offices are 局, not 厅.
_MUNICIPALITIES: Final = frozenset({"11", "12", "31", "50"})

# Longest first: 自治县 before 县.
_SUFFIXES: Final = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)

ACT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "refer_police": "移送公安机关",
        "supervise": "挂牌督办",
        "raise_level": "提级办理",
        "blacklist": "列入拖欠农民工工资失信联合惩戒对象名单",
        "assign_leader": "领导包案",
    }
)
"""The acts the law reserves to a person, as a document names them."""

DOCUMENT_KINDS: Final[Mapping[str, str]] = MappingProxyType({"refer_police": "移"})
"""Numbered documents: the sequence's kind → the 类别 character of its 文号."""

PENDING_NAME: Final = "（待指定）"
"""What older versions stored as a leader's name when no one had been named."""


def _municipality(code: str) -> bool:
    return code[:2] in _MUNICIPALITIES


def division_name(code: str) -> str:
    """``140302`` → ``阳泉市城区``, ``110105`` → ``北京市朝阳区``; a province by its own name; an
    unknown code as itself."""
    try:
        names = name_path(code).split()
    except LookupError:
        return code
    if len(names) == 1 or _municipality(code):
        return "".join(names)
    return "".join(names[1:])


def office_name(code: str) -> str:
    """The 人社 office of a division: ``阳泉市城区人力资源和社会保障局``, ``山西省人力资源和社会保障厅``,
    ``北京市人力资源和社会保障局``."""
    try:
        level = level_of(code)
    except (ValueError, LookupError):
        return f"{code}人力资源和社会保障部门"
    suffix = "厅" if level == "province" and not _municipality(code) else "局"
    return f"{division_name(code)}人力资源和社会保障{suffix}"


def _own_name(code: str) -> str:
    division = lookup(code)
    return division.name if division is not None else code


def _strip_suffix(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def office_short(code: str) -> str:
    """The 机关代字 of the division's 人社 office: ``城区人社``, ``平定人社``, ``阳泉人社``,
    ``山西人社厅``, ``北京人社``."""
    short = _strip_suffix(_own_name(code))
    try:
        province = level_of(code) == "province"
    except (ValueError, LookupError):
        province = False
    return f"{short}人社厅" if province and not _municipality(code) else f"{short}人社"


def document_no(division: str, kind: str, year: int, n: int) -> str:
    """The 文号 of the ``n``-th document of ``kind`` (a key of ``DOCUMENT_KINDS``) issued by
    the office of ``division`` in ``year``: ``城区人社移〔2026〕3号``."""
    code = DOCUMENT_KINDS.get(kind)
    if code is None:
        raise ValueError(
            f"no numbered document of kind {kind!r}; known: {', '.join(DOCUMENT_KINDS)}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"a document's number is a positive whole number, got {n!r}")
    return f"{office_short(division)}{code}〔{year}〕{n}号"


def referral_document_no(division: str, year: int, n: int) -> str:
    """The 文号 of the ``n``-th 涉嫌犯罪案件移送书 of the office of ``division`` in ``year``."""
    return document_no(division, "refer_police", year, n)


def police_office_name(code: str) -> str:
    """The police office at the level of ``code`` (see the module docstring)."""
    division = lookup(code)
    if division is None:
        return f"{code}公安机关"
    own = division.name
    level = level_of(code)
    if level == "province":
        return f"{own}公安局" if _municipality(code) else f"{own}公安厅"
    if level == "city":
        return f"{own}公安局"
    up = parent(code)
    upper = lookup(up) if up is not None else None
    if own.endswith("区") and upper is not None:
        # a district: a branch (分局) of the city's (or the municipality's) bureau
        branch = own[:-1] if len(own) > 2 else own
        return f"{upper.name}公安局{branch}分局"
    return f"{own}公安局"


def is_named_person(name: str | None) -> bool:
    """Whether ``name`` names a person (not empty, not a title left ``（待指定）``)."""
    return bool(name and name.strip() and PENDING_NAME not in name)


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a document needs and may still lack: what it is, and how a clerk supplies it
    (``{case}`` is replaced by the case's reference)."""

    id: str
    label: str
    supply: str

    def reason(self, case_ref: str) -> str:
        """The waiting reason shown in the outbox: the fact and the command that supplies it."""
        return f"待补：{self.label}。{self.supply.format(case=case_ref)}"


FACTS: Final[Mapping[str, Fact]] = MappingProxyType(
    {
        "order": Fact(
            "order",
            "责令支付文书（限期整改指令书或者行政处理决定书）的文号",
            "登记后重新检查：zhiqian case act {case} register_order --param doc_no=文号 "
            "[--param doc_type=文书种类] [--param method=送达方式]；"
            "再由下一次投递或 zhiqian notices retry 发出",
        ),
        "leader": Fact(
            "leader",
            "包案领导的姓名",
            "在领导名录（ZHIQIAN_LEADERS 指向的文件）中登记该职务的人员后，"
            "由下一次投递或 zhiqian notices retry 发出",
        ),
        "document_no": Fact(
            "document_no",
            "移送书的文号",
            "文号在批准移送时取得（zhiqian case decide {case} 决定编号 approve）；"
            "取得后由下一次投递或 zhiqian notices retry 发出",
        ),
    }
)
"""The facts a document can wait for, by id."""
