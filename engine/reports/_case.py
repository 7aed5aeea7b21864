"""The plain record the reports are computed from, and its validation.

The engine maps each stored case to one :class:`ReportCase`; the reports never touch a database.
Every field says which column of 附件2 (根治欠薪冬季专项行动情况) or of the 案件台账 it feeds, so a
clerk who doubts a figure can trace it back to the case fields it was summed from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Final, Literal, TypeAlias, get_args
from zoneinfo import ZoneInfo

from zhiqian.errors import FieldProblem, InvalidIntake

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_ORDER",
    "CHINA_TZ",
    "PROJECT_KINDS",
    "PROJECT_KIND_LABELS",
    "EmployerCategory",
    "ProjectKind",
    "ReportCase",
    "check_arguments",
    "check_cases",
    "region_matches",
]

EmployerCategory = Literal["construction", "manufacturing", "training", "other"]
ProjectKind = Literal["government", "ppp", "soe"]

#: The category rows of 附件2, in the form's order (序号 2–5).
CATEGORY_ORDER: Final[tuple[EmployerCategory, ...]] = get_args(EmployerCategory)
CATEGORY_LABELS: Final[dict[EmployerCategory, str]] = {
    "construction": "建筑企业",
    "manufacturing": "加工制造企业",
    "training": "校外培训机构",
    "other": "其他用人单位",
}
PROJECT_KINDS: Final[tuple[ProjectKind, ...]] = get_args(ProjectKind)
PROJECT_KIND_LABELS: Final[dict[ProjectKind, str]] = {
    "government": "政府投资工程项目",
    "ppp": "政府与社会资本合作项目",
    "soe": "国企项目",
}

#: Dates on the forms are read in China Standard Time unless the caller passes the pack's zone.
CHINA_TZ: Final[tzinfo] = ZoneInfo("Asia/Shanghai")

_REGION = re.compile(r"[1-9]\d{5}")
# GB 32100: 18 characters from digits and capitals without I, O, Z, S, V. The check digit is the
# intake's business; here the code is only the key that tells employers apart.
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_FEN = Decimal("0.01")


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportCase:
    """One case as the reports see it. Build it from the store; it validates itself.

    Figures are in base units (persons, yuan as ``Decimal`` to the fen); the reports convert to
    万人 / 万元. Column numbers below are those of 附件2 (1–20) and of the ledger (台账).
    Invalid values raise :class:`~zhiqian.errors.InvalidIntake` naming every bad field.
    """

    id: int
    """Our case id. Must be unique in one report's input (a duplicate would be counted twice)."""
    ref: str
    """External reference (clue number): 台账 案件编号."""
    received_at: datetime
    """When the complaint was received (aware). Selects the period; 台账 受理日期."""
    region: str
    """6-digit 行政区划代码 of the jurisdiction: 台账 属地 and its region filter."""
    region_name: str
    """Name of that division: 台账 属地."""
    level: str
    """Level now handling the case (county/city/province); carried for callers, not printed."""
    state: str
    """Lifecycle state id; states in ``exclude_states`` (default ``dismissed``) are left out."""
    state_label: str
    """Chinese label of the state: 台账 当前状态."""
    employer_name: str
    """Employer (用人单位) name: 台账 用人单位; the employer key when there is no USCC."""
    employer_uscc: str | None
    """统一社会信用代码: the key for distinct-employer counts (附件2 columns 1, 5, 其他情况 4)."""
    employer_category: EmployerCategory
    """Which row of 附件2 (序号 2–5) the case's employer is counted in."""
    project_kind: ProjectKind | frozenset[ProjectKind] | None = None
    """政府投资 / PPP / 国企 project, or several (备注3: counted in each), or none: 其他情况 1–3."""
    project_name: str | None = None
    """The project: distinct projects are counted in 其他情况 1–3; 台账 项目."""
    workers: int
    """Workers involved: columns 2 (all cases) and 6 (arrears verified); 台账 涉及人数."""
    migrant_workers: int
    """Of them migrant workers (农民工): columns 3 and 7; 台账 其中农民工."""
    amount: Decimal
    """Wages owed, yuan: column 8 (arrears verified), 其他情况 拖欠工资; 台账 拖欠金额."""
    migrant_amount: Decimal
    """Of it owed to migrant workers: column 9; 台账 其中农民工."""
    migrant_contracts: int | None = None
    """Migrant workers with a signed labour contract (农民工签订劳动合同人数): column 4. None = not
    recorded: when the case has migrant workers, its row and 合计 leave column 4 blank, and it is
    counted in ``CampaignReport.contracts_unknown``."""
    arrears_verified: bool = False
    """查实存在欠薪: selects the case for columns 5–9 and the 查实存在欠薪项目 of 其他情况."""
    filed: bool = False
    """立案: column 10; 台账 是否立案."""
    resolved_without_filing: bool = False
    """通过协调等非立案方式解决: column 11. Excludes ``filed``."""
    recovered_workers: int = 0
    """Workers paid what was recovered (追发工资及赔偿金人数), each once: column 12."""
    recovered_migrant_workers: int = 0
    """Of them migrant workers: column 13."""
    recovered_amount: Decimal = Decimal(0)
    """Wages and compensation (赔偿金) recovered, yuan (追发工资及赔偿金): column 14; 台账 追发金额."""
    recovered_migrant_amount: Decimal = Decimal(0)
    """Of it for migrant workers: column 15."""
    orders_to_correct: int = 0
    """责令改正 acts — orders to pay in a 限期整改指令书 and every other order to correct: column 16."""
    handling_decisions: int = 0
    """行政处理决定: column 17."""
    penalty_decisions: int = 0
    """行政处罚决定: column 18."""
    police_referred: bool = False
    """移送公安机关: column 19. Only a referral a named person approved and that was sent; the
    engine never sets it for a screening rule's proposal."""
    police_filed: bool = False
    """公安机关立案: column 20. Implies ``police_referred``."""
    publicised: bool = False
    """Employer published as 欠薪严重违法单位: 其他情况 4, distinct employers (户)."""
    blacklisted: bool = False
    """列入欠薪“黑名单”: 其他情况 4, counted per case (件)."""
    leader: str | None = None
    """包案领导: 台账 包案领导."""
    closed_at: datetime | None = None
    """When the case was closed (办结, aware): 台账 办结日期; open cases stay on the ledger."""
    overdue_clocks: tuple[str, ...] = field(default=())
    """Labels of the time limits the case has breached: 台账 超期时限."""

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidIntake(problems, record=self.id if type(self.id) is int else None)

    @property
    def project_kinds(self) -> frozenset[ProjectKind]:
        """The project's kinds as a set (empty when the case has no counted project)."""
        kind = self.project_kind
        if kind is None:
            return frozenset()
        if isinstance(kind, str):
            return frozenset((kind,))
        return kind

    @property
    def employer_key(self) -> str:
        """What tells employers apart: the USCC, else the name with spaces removed."""
        if self.employer_uscc:
            return self.employer_uscc
        return "name:" + "".join(self.employer_name.split())

    @property
    def project_key(self) -> str | None:
        """What tells projects apart: the name with spaces removed (None without a project)."""
        if self.project_name is None:
            return None
        return "".join(self.project_name.split())

    def received_on(self, tz: tzinfo = CHINA_TZ) -> date:
        """The calendar day of receipt in ``tz``."""
        return self.received_at.astimezone(tz).date()

    def closed_on(self, tz: tzinfo = CHINA_TZ) -> date | None:
        """The calendar day of closing in ``tz``, or None while open."""
        return None if self.closed_at is None else self.closed_at.astimezone(tz).date()


def _problems(case: ReportCase) -> list[FieldProblem]:
    out: list[FieldProblem] = []

    def bad(name: str, problem: str) -> None:
        out.append(FieldProblem(name, getattr(case, name), problem))

    if type(case.id) is not int:
        bad("id", "must be an int")
    for name in ("ref", "region_name", "level", "state", "state_label", "employer_name"):
        value = getattr(case, name)
        if not isinstance(value, str) or not value.strip():
            bad(name, "must be a non-empty string")
    if not _aware(case.received_at):
        bad("received_at", "must be a timezone-aware datetime")
    if not isinstance(case.region, str) or not _REGION.fullmatch(case.region):
        bad("region", "must be a 6-digit 行政区划代码")
    if case.employer_uscc is not None and (
        not isinstance(case.employer_uscc, str) or not _USCC.fullmatch(case.employer_uscc)
    ):
        bad("employer_uscc", "must be 18 characters of 统一社会信用代码 (digits, capitals) or None")
    if case.employer_category not in CATEGORY_ORDER:
        bad("employer_category", f"must be one of {', '.join(CATEGORY_ORDER)}")
    _check_project(case, bad)

    counts = (
        "workers",
        "migrant_workers",
        "recovered_workers",
        "recovered_migrant_workers",
        "orders_to_correct",
        "handling_decisions",
        "penalty_decisions",
    )
    good_counts = {n for n in counts if _count_ok(getattr(case, n), bad, n)}
    contracts_ok = case.migrant_contracts is None or _count_ok(
        case.migrant_contracts, bad, "migrant_contracts"
    )
    money = ("amount", "migrant_amount", "recovered_amount", "recovered_migrant_amount")
    good_money = {n for n in money if _money_ok(getattr(case, n), bad, n)}

    def over(part: str, whole: str, good: set[str]) -> None:
        if {part, whole} <= good and getattr(case, part) > getattr(case, whole):
            bad(part, f"exceeds {whole} ({getattr(case, whole)})")

    over("migrant_workers", "workers", good_counts)
    over("recovered_migrant_workers", "recovered_workers", good_counts)
    over("recovered_workers", "workers", good_counts)
    over("migrant_amount", "amount", good_money)
    over("recovered_migrant_amount", "recovered_amount", good_money)
    if (
        contracts_ok
        and case.migrant_contracts is not None
        and "migrant_workers" in good_counts
        and case.migrant_contracts > case.migrant_workers
    ):
        bad("migrant_contracts", f"exceeds migrant_workers ({case.migrant_workers})")

    flags = (
        "arrears_verified",
        "filed",
        "resolved_without_filing",
        "police_referred",
        "police_filed",
        "publicised",
        "blacklisted",
    )
    for name in flags:
        if type(getattr(case, name)) is not bool:
            bad(name, "must be a bool")
    if case.filed is True and case.resolved_without_filing is True:
        bad("resolved_without_filing", "a case is either filed (立案) or resolved without filing")
    if case.police_filed is True and case.police_referred is not True:
        bad("police_filed", "the police can only file a case that was referred (移送公安机关)")

    leader: object = case.leader
    if leader is not None and not isinstance(leader, str):
        bad("leader", "must be a string or None")
    if case.closed_at is not None:
        if not _aware(case.closed_at):
            bad("closed_at", "must be a timezone-aware datetime or None")
        elif _aware(case.received_at) and case.closed_at < case.received_at:
            bad("closed_at", f"is before received_at ({case.received_at.isoformat()})")
    if not isinstance(case.overdue_clocks, tuple) or not all(
        isinstance(c, str) and c for c in case.overdue_clocks
    ):
        bad("overdue_clocks", "must be a tuple of non-empty labels")
    return out


def _check_project(case: ReportCase, bad: _Bad) -> None:
    kinds = case.project_kind
    if kinds is None:
        pass
    elif isinstance(kinds, str):
        if kinds not in PROJECT_KINDS:
            bad("project_kind", f"must be one of {', '.join(PROJECT_KINDS)} or None")
    elif not isinstance(kinds, frozenset) or not kinds or not kinds <= set(PROJECT_KINDS):
        bad("project_kind", f"a set of kinds must be non-empty, of {', '.join(PROJECT_KINDS)}")
    if case.project_name is not None and (
        not isinstance(case.project_name, str) or not case.project_name.strip()
    ):
        bad("project_name", "must be a non-empty string or None")
    elif kinds is not None and case.project_name is None:
        # Projects are counted by name; a kind without a name could not be told apart.
        bad("project_name", "is required when project_kind is given")


_Bad: TypeAlias = Callable[[str, str], None]


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _count_ok(value: object, bad: _Bad, name: str) -> bool:
    if type(value) is not int:
        bad(name, "must be an int")
        return False
    if value < 0:
        bad(name, "must not be negative")
        return False
    return True


def _money_ok(value: object, bad: _Bad, name: str) -> bool:
    if not isinstance(value, Decimal):
        bad(name, "must be a Decimal (yuan), never a float")
        return False
    if not value.is_finite():
        bad(name, "must be a finite amount")
        return False
    if value < 0:
        bad(name, "must not be negative")
        return False
    if value != value.quantize(_FEN):
        bad(name, "is more precise than the fen (0.01 yuan)")
        return False
    return True


def check_arguments(
    *,
    period_from: object,
    period_to: object,
    made_at: object,
    money_places: object = 2,
    people_places: object = 4,
) -> list[FieldProblem]:
    """Problems with the period, the time made and the display precision of a report call."""
    problems: list[FieldProblem] = []
    dates_ok = True
    for name, value in (("period_from", period_from), ("period_to", period_to)):
        if not isinstance(value, date) or isinstance(value, datetime):
            problems.append(FieldProblem(name, value, "must be a date"))
            dates_ok = False
    if (
        dates_ok
        and isinstance(period_from, date)
        and isinstance(period_to, date)
        and period_from > period_to
    ):
        problems.append(
            FieldProblem("period_to", period_to, f"is before period_from {period_from}")
        )
    if not isinstance(made_at, datetime) or made_at.utcoffset() is None:
        problems.append(FieldProblem("made_at", made_at, "must be a timezone-aware datetime"))
    for name, value, top in (
        ("money_places", money_places, 6),
        ("people_places", people_places, 4),
    ):
        # Finer than the base unit (a fen, a person) would only print zeros.
        if type(value) is not int or not 0 <= value <= top:
            problems.append(FieldProblem(name, value, f"must be an int from 0 to {top}"))
    return problems


def check_cases(cases: Iterable[ReportCase], problems: list[FieldProblem]) -> list[ReportCase]:
    """The records as a list; records that are not ReportCase and duplicate ids go to ``problems``."""
    given: list[object] = list(cases)
    records: list[ReportCase] = []
    seen: dict[int, int] = {}
    for index, case in enumerate(given):
        if not isinstance(case, ReportCase):
            problems.append(FieldProblem(f"cases[{index}]", case, "must be a ReportCase"))
            continue
        records.append(case)
        if case.id in seen:
            problems.append(
                FieldProblem(
                    f"cases[{index}].id",
                    case.id,
                    f"duplicates cases[{seen[case.id]}] (would count twice)",
                )
            )
        else:
            seen[case.id] = index
    return records


def region_matches(code: str, region: str) -> bool:
    """Whether division ``code`` lies in ``region``: itself or a child.

    A province code ends in ``0000`` and a city code in ``00``; the trailing zero pairs are what
    the children vary (``140300`` holds ``1403xx``, ``140000`` holds ``14xxxx``).
    """
    prefix = region
    for _ in range(2):
        if prefix.endswith("00"):
            prefix = prefix[:-2]
    return code.startswith(prefix)
