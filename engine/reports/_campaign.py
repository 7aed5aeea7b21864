"""附件2 根治欠薪冬季专项行动情况: the campaign form, computed from plain case records.

Which cases count
    Cases received (``received_at``, read in ``tz``) from ``period_from`` to ``period_to``
    inclusive, except those in ``exclude_states`` (default ``dismissed``: 不予受理 is not a wage
    matter, and 备注1 counts 立案 and non-filed wage problems only). A progress report 截至上月底
    is the campaign's first day to the last day of last month.

Which row
    Each employer (by USCC, else by name) sits in exactly one category row: the category on its
    most recently received case in the period. All of that employer's cases are counted in that
    row, so every row describes its own employers and the 合计 row is the sum of the four rows —
    also for the distinct-employer columns 1 and 5, which would otherwise count an employer
    recorded under two categories twice below and once in 合计.

Columns (units as printed on the form)
    1  用人单位数 (户)             distinct employers among the counted cases
    2  涉及职工人数 (万人)          Σ ``workers`` of all counted cases
    3  其中：农民工人数 (万人)      Σ ``migrant_workers``
    4  农民工签订劳动合同人数 (万人) Σ ``migrant_contracts``, left blank (None), not 0, in a row
                                   where a case with migrant workers has no recorded figure: a
                                   partial sum would be a number nobody counted. Such cases are
                                   ``contracts_unknown`` and a 备注 line says how many
    5  用人单位数 (户)             distinct employers with at least one ``arrears_verified`` case
    6/7   涉及职工人数 合计/农民工 (万人)  Σ ``workers`` / ``migrant_workers`` of verified cases
    8/9   涉及金额 合计/农民工 (万元)      Σ ``amount`` / ``migrant_amount`` of verified cases
    10 立案 (件)                   cases with ``filed``
    11 通过协调等非立案方式解决 (件) cases with ``resolved_without_filing``
    12/13 追发工资及赔偿金人数 (万人)  Σ ``recovered_workers`` / ``recovered_migrant_workers``
    14/15 追发工资及赔偿金 (万元)      Σ ``recovered_amount`` / ``recovered_migrant_amount``
    16/17/18 责令改正 / 行政处理决定 / 行政处罚决定 (件)  Σ of the acts recorded on the cases:
                                   every 责令改正 (a 限期改正指令书 ordering payment or any other
                                   correction), each document once
    19 移送公安机关 (件)            cases with ``police_referred``: a 移送 a named person approved
                                   and that was sent — never a screening rule's proposal
    20 公安机关立案 (件)            cases with ``police_filed`` (公安机关立案, of those referred)

其他情况
    Projects are told apart by name (spaces ignored). A project's kinds are the union of the kinds
    on its cases, and a project of several kinds is counted under each (备注3). 检查…共 N 个 counts
    the projects among the counted cases; 查实存在欠薪项目 those with a verified case; 拖欠工资 and
    涉及 are Σ ``amount`` and Σ ``workers`` of those verified cases. 公布欠薪严重违法单位数 counts
    distinct employers with ``publicised`` (户); 列入欠薪“黑名单” counts cases with
    ``blacklisted`` (件, as the form's unit says).

Display precision
    万元 with 2 decimals (a hundred yuan: the customary precision of 万元 in statistical tables)
    and 万人 with 4 decimals (one person: head counts are exact, and a county's 37 workers would
    otherwise print as 0.00 万人). Both can be changed; see :mod:`._rounding` for how the rows are
    rounded so that 合计 adds up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Final, Literal

from zhiqian.engine.reports._case import (
    CATEGORY_LABELS,
    CATEGORY_ORDER,
    CHINA_TZ,
    PROJECT_KIND_LABELS,
    PROJECT_KINDS,
    EmployerCategory,
    ProjectKind,
    ReportCase,
    check_arguments,
    check_cases,
)
from zhiqian.engine.reports._rounding import apportion, round_half_up
from zhiqian.errors import FieldProblem, InvalidIntake

__all__ = [
    "CAMPAIGN_NOTES",
    "CAMPAIGN_TITLE",
    "COLUMNS",
    "COLUMN_GROUPS",
    "CampaignReport",
    "CampaignRow",
    "ColumnKind",
    "FormColumn",
    "ProjectTally",
    "Signatures",
    "campaign_report",
]

ColumnKind = Literal["employers", "people", "money", "cases"]
RowKey = Literal["total", "construction", "manufacturing", "training", "other"]

CAMPAIGN_TITLE: Final = "根治欠薪冬季专项行动情况"
CAMPAIGN_NOTES: Final[tuple[str, ...]] = (
    "情况统计包括立案和通过非立案方式处理的欠薪问题；",
    "国企项目指中央和地方监管的国有（含国有控股）企业作为总承包单位的工程项目（标段）；",
    "政府投资工程项目、政府与社会资本合作项目和国企项目有重合的分别单独统计。",
)
_UNITS: Final[dict[ColumnKind, str]] = {
    "employers": "户",
    "people": "万人",
    "money": "万元",
    "cases": "件",
}


@dataclass(frozen=True, slots=True)
class FormColumn:
    """One numbered column of 附件2 and where it sits under the grouped headers."""

    number: int
    group: str
    label: str
    kind: ColumnKind
    sub: str | None = None
    """合计 / 其中：农民工 under a two-column heading, else None."""

    @property
    def unit(self) -> str:
        return _UNITS[self.kind]

    @property
    def heading(self) -> str:
        """The heading with its unit, e.g. ``涉及金额(万元)``."""
        return f"{self.label}({self.unit})"

    @property
    def flat(self) -> str:
        """The grouped headers in one line, e.g. ``拖欠工资情况-涉及金额(万元)-合计``."""
        return "-".join(p for p in (self.group, self.heading, self.sub) if p)


_G1, _G2, _G3, _G4, _G5 = (
    "检查用人单位情况",
    "拖欠工资情况",
    "处理情况",
    "行政处理处罚",
    "涉嫌犯罪案件",
)
_TOTAL, _MIGRANT = "合计", "其中：农民工"

COLUMNS: Final[tuple[FormColumn, ...]] = (
    FormColumn(1, _G1, "用人单位数", "employers"),
    FormColumn(2, _G1, "涉及职工人数", "people"),
    FormColumn(3, _G1, "其中：农民工人数", "people"),
    FormColumn(4, _G1, "农民工签订劳动合同人数", "people"),
    FormColumn(5, _G2, "用人单位数", "employers"),
    FormColumn(6, _G2, "涉及职工人数", "people", _TOTAL),
    FormColumn(7, _G2, "涉及职工人数", "people", _MIGRANT),
    FormColumn(8, _G2, "涉及金额", "money", _TOTAL),
    FormColumn(9, _G2, "涉及金额", "money", _MIGRANT),
    FormColumn(10, _G3, "立案", "cases"),
    FormColumn(11, _G3, "通过协调等非立案方式解决", "cases"),
    FormColumn(12, _G3, "追发工资及赔偿金人数", "people", _TOTAL),
    FormColumn(13, _G3, "追发工资及赔偿金人数", "people", _MIGRANT),
    FormColumn(14, _G3, "追发工资及赔偿金", "money", _TOTAL),
    FormColumn(15, _G3, "追发工资及赔偿金", "money", _MIGRANT),
    FormColumn(16, _G4, "责令改正", "cases"),
    FormColumn(17, _G4, "行政处理决定", "cases"),
    FormColumn(18, _G4, "行政处罚决定", "cases"),
    FormColumn(19, _G5, "移送公安机关", "cases"),
    FormColumn(20, _G5, "公安机关立案", "cases"),
)
_CONTRACTS: Final = 4  # 农民工签订劳动合同人数: blank where not known
#: (group heading, first column number, last column number)
COLUMN_GROUPS: Final[tuple[tuple[str, int, int], ...]] = (
    (_G1, 1, 4),
    (_G2, 5, 9),
    (_G3, 10, 15),
    (_G4, 16, 18),
    (_G5, 19, 20),
)
# Columns whose figures nest (合计 ⊇ 其中 ⊇ …): rounded jointly so 其中 never shows above 合计.
_CHAINS: Final[tuple[tuple[int, ...], ...]] = ((2, 3, 4), (6, 7), (8, 9), (12, 13), (14, 15))
_ROW_LABELS: Final[dict[str, str]] = {"total": "合计"} | {k: v for k, v in CATEGORY_LABELS.items()}


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One row of the form: 合计 (序号 1) or an employer category (序号 2–5).

    ``exact`` and ``display`` hold the 20 column figures in the form's units (户, 万人, 万元, 件),
    index 0 being column 1. ``exact`` is the true figure (万 figures are exact decimals of
    persons and yuan); ``display`` is what the form shows (see :mod:`._rounding`). None is a
    figure nobody knows, printed as a blank cell: only column 4 (签订劳动合同人数) can be None.
    """

    key: RowKey
    label: str
    seq: int
    exact: tuple[Decimal | None, ...]
    display: tuple[Decimal | None, ...]

    def figure(self, number: int, *, exact: bool = False) -> Decimal | None:
        """The figure of column ``number`` (1–20); None where it is not known (a blank cell)."""
        if not 1 <= number <= len(COLUMNS):
            raise IndexError(f"附件2 has columns 1–{len(COLUMNS)}, not {number}")
        return (self.exact if exact else self.display)[number - 1]


@dataclass(frozen=True, slots=True)
class ProjectTally:
    """其他情况 1–3 for one project kind."""

    kind: ProjectKind
    label: str
    checked: int
    """检查…项目共 N 个."""
    in_arrears: int
    """查实存在欠薪项目 N 个."""
    amount_exact: Decimal
    amount: Decimal
    """拖欠工资 (万元), exact and as displayed (rounded half up)."""
    workers_exact: Decimal
    workers: Decimal
    """涉及 (万人), exact and as displayed."""


@dataclass(frozen=True, slots=True)
class Signatures:
    """The names on the signature line; blank lines are left to be filled by hand."""

    head: str = ""
    """单位负责人"""
    section_head: str = ""
    """处（队）负责人"""
    preparer: str = ""
    """制表人"""
    phone: str = ""
    """联系电话"""

    def items(self) -> tuple[tuple[str, str], ...]:
        return (
            ("单位负责人", self.head),
            ("处（队）负责人", self.section_head),
            ("制表人", self.preparer),
            ("联系电话", self.phone),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CampaignReport:
    """附件2 as data: the five rows × 20 columns, 其他情况, and what the writers print around it."""

    title: str
    unit_name: str
    period_from: date
    period_to: date
    made_at: datetime
    tz: tzinfo
    money_places: int
    people_places: int
    rows: tuple[CampaignRow, ...]
    """合计 first, then 建筑企业, 加工制造企业, 校外培训机构, 其他用人单位."""
    projects: tuple[ProjectTally, ...]
    """其他情况 1–3: government investment, PPP, SOE."""
    publicised_employers: int
    """其他情况 4: 公布欠薪严重违法单位数 (户)."""
    blacklisted_cases: int
    """其他情况 4: 列入欠薪“黑名单” (件)."""
    cases_counted: int
    """How many case records went into the figures."""
    contracts_unknown: int
    """Counted cases with migrant workers but no recorded 签订劳动合同 figure: their rows (and
    合计) leave column 4 blank."""
    contracts_unknown_migrants: int = 0
    """The migrant workers of those cases."""
    signatures: Signatures = field(default_factory=Signatures)
    columns: tuple[FormColumn, ...] = COLUMNS
    notes: tuple[str, ...] = CAMPAIGN_NOTES
    """备注 1–3 of the form, then the reporting unit's own: what a blank cell means."""

    @property
    def made_on(self) -> date:
        """制表时间 as a calendar day in the report's zone."""
        return self.made_at.astimezone(self.tz).date()

    def row(self, key: RowKey) -> CampaignRow:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def places(self, column: FormColumn) -> int:
        """Decimals shown in ``column``."""
        if column.kind == "money":
            return self.money_places
        if column.kind == "people":
            return self.people_places
        return 0

    def text(self, value: Decimal | None, column: FormColumn) -> str:
        """A displayed figure as the form prints it (fixed decimals, no grouping); a figure
        nobody knows (None) is a blank cell."""
        if value is None:
            return ""
        return f"{value:.{self.places(column)}f}"

    def other_text(self) -> str:
        """The 其他情况 paragraph with its blanks filled in."""
        mp, pp = self.money_places, self.people_places
        parts = [
            f"{n}.检查{p.label}共{p.checked}个，查实存在欠薪项目{p.in_arrears}个"
            f"（拖欠工资{p.amount:.{mp}f}万元，涉及{p.workers:.{pp}f}万人）"
            for n, p in enumerate(self.projects, start=1)
        ]
        parts.append(
            f"{len(parts) + 1}.公布欠薪严重违法单位数：{self.publicised_employers}户，"
            f"列入欠薪“黑名单”{self.blacklisted_cases}件"
        )
        return "其他情况：" + "；".join(parts) + "。"


def campaign_report(
    cases: Iterable[ReportCase],
    *,
    period_from: date,
    period_to: date,
    unit_name: str,
    made_at: datetime,
    tz: tzinfo = CHINA_TZ,
    money_places: int = 2,
    people_places: int = 4,
    exclude_states: frozenset[str] = frozenset({"dismissed"}),
    signatures: Signatures | None = None,
    title: str = CAMPAIGN_TITLE,
) -> CampaignReport:
    """Compute 附件2 over ``cases`` (see the module docstring for every counting rule).

    Raises :class:`~zhiqian.errors.InvalidIntake` naming each bad argument or record (a record
    that is not a :class:`ReportCase`, duplicate ids), and computes nothing in that case.
    """
    problems = check_arguments(
        period_from=period_from,
        period_to=period_to,
        made_at=made_at,
        money_places=money_places,
        people_places=people_places,
    )
    if not isinstance(unit_name, str) or not unit_name.strip():
        problems.append(FieldProblem("unit_name", unit_name, "制表单位名称 must be given"))
    records = check_cases(cases, problems)
    if problems:
        raise InvalidIntake(problems)

    chosen = [
        c
        for c in records
        if c.state not in exclude_states and period_from <= c.received_on(tz) <= period_to
    ]
    category = _employer_categories(chosen)
    by_row: dict[EmployerCategory, list[ReportCase]] = {k: [] for k in CATEGORY_ORDER}
    for case in chosen:
        by_row[category[case.employer_key]].append(case)

    exact_rows = [_exact_figures(by_row[k]) for k in CATEGORY_ORDER]
    display_rows: list[list[Decimal | None]] = [list(figures) for figures in exact_rows]
    for chain in _CHAINS:
        places = money_places if COLUMNS[chain[0] - 1].kind == "money" else people_places
        # An unknown figure takes part as 0 (it only loosens the nesting below it) and stays
        # blank: the known rows still add up to their own total, which the 备注 line explains.
        shown = apportion([[row[n - 1] or Decimal(0) for row in exact_rows] for n in chain], places)
        for n, column in zip(chain, shown, strict=True):
            for i, value in enumerate(column):
                display_rows[i][n - 1] = None if exact_rows[i][n - 1] is None else value

    rows = [
        CampaignRow(
            key="total",
            label=_ROW_LABELS["total"],
            seq=1,
            exact=_column_sums(exact_rows),
            display=_column_sums(display_rows),
        )
    ]
    for seq, (key, exact, figures) in enumerate(
        zip(CATEGORY_ORDER, exact_rows, display_rows, strict=True), start=2
    ):
        rows.append(
            CampaignRow(
                key=key, label=_ROW_LABELS[key], seq=seq, exact=exact, display=tuple(figures)
            )
        )

    unknown = [c for c in chosen if _contracts_unknown(c)]
    unknown_migrants = sum(c.migrant_workers for c in unknown)
    return CampaignReport(
        title=title,
        unit_name=unit_name.strip(),
        period_from=period_from,
        period_to=period_to,
        made_at=made_at,
        tz=tz,
        money_places=money_places,
        people_places=people_places,
        rows=tuple(rows),
        projects=_project_tallies(chosen, money_places, people_places),
        publicised_employers=len({c.employer_key for c in chosen if c.publicised}),
        blacklisted_cases=sum(1 for c in chosen if c.blacklisted),
        cases_counted=len(chosen),
        contracts_unknown=len(unknown),
        contracts_unknown_migrants=unknown_migrants,
        signatures=signatures if signatures is not None else Signatures(),
        notes=CAMPAIGN_NOTES + _contracts_note(len(unknown), unknown_migrants),
    )


def _contracts_unknown(case: ReportCase) -> bool:
    """Whether the case leaves column 4 unknown: it has migrant workers and no figure. A case
    without migrant workers has none with a contract either: a known 0."""
    return case.migrant_contracts is None and case.migrant_workers > 0


def _contracts_note(cases: int, migrants: int) -> tuple[str, ...]:
    if not cases:
        return ()
    return (
        f"第{_CONTRACTS}栏（农民工签订劳动合同人数）空白表示未掌握：有{cases}件案件"
        f"（涉及农民工{migrants}人）尚未登记签订劳动合同人数，所在行及合计行该栏不填数。",
    )


def _employer_categories(cases: list[ReportCase]) -> dict[str, EmployerCategory]:
    latest: dict[str, ReportCase] = {}
    for case in cases:
        known = latest.get(case.employer_key)
        if known is None or (case.received_at, case.id) > (known.received_at, known.id):
            latest[case.employer_key] = case
    return {key: case.employer_category for key, case in latest.items()}


def _persons(n: int) -> Decimal:
    return Decimal(n).scaleb(-4)


def _yuan(amount: Decimal) -> Decimal:
    return amount.scaleb(-4)


def _exact_figures(cases: list[ReportCase]) -> tuple[Decimal | None, ...]:
    verified = [c for c in cases if c.arrears_verified]
    contracts = (
        None
        if any(_contracts_unknown(c) for c in cases)
        else _persons(sum(c.migrant_contracts or 0 for c in cases))
    )
    return (
        Decimal(len({c.employer_key for c in cases})),
        _persons(sum(c.workers for c in cases)),
        _persons(sum(c.migrant_workers for c in cases)),
        contracts,
        Decimal(len({c.employer_key for c in verified})),
        _persons(sum(c.workers for c in verified)),
        _persons(sum(c.migrant_workers for c in verified)),
        _yuan(sum((c.amount for c in verified), Decimal(0))),
        _yuan(sum((c.migrant_amount for c in verified), Decimal(0))),
        Decimal(sum(1 for c in cases if c.filed)),
        Decimal(sum(1 for c in cases if c.resolved_without_filing)),
        _persons(sum(c.recovered_workers for c in cases)),
        _persons(sum(c.recovered_migrant_workers for c in cases)),
        _yuan(sum((c.recovered_amount for c in cases), Decimal(0))),
        _yuan(sum((c.recovered_migrant_amount for c in cases), Decimal(0))),
        Decimal(sum(c.orders_to_correct for c in cases)),
        Decimal(sum(c.handling_decisions for c in cases)),
        Decimal(sum(c.penalty_decisions for c in cases)),
        Decimal(sum(1 for c in cases if c.police_referred)),
        Decimal(sum(1 for c in cases if c.police_filed)),
    )


def _column_sums(rows: Iterable[Iterable[Decimal | None]]) -> tuple[Decimal | None, ...]:
    """合计 of each column; unknown (None) where any row is unknown."""
    sums: list[Decimal | None] = []
    for column in zip(*rows, strict=True):
        known = [v for v in column if v is not None]
        sums.append(sum(known, Decimal(0)) if len(known) == len(column) else None)
    return tuple(sums)


def _project_tallies(
    cases: list[ReportCase], money_places: int, people_places: int
) -> tuple[ProjectTally, ...]:
    kinds: dict[str, set[ProjectKind]] = defaultdict(set)
    amount: dict[str, Decimal] = defaultdict(Decimal)
    workers: dict[str, int] = defaultdict(int)
    verified: set[str] = set()
    for case in cases:
        key = case.project_key
        if key is None:
            continue
        kinds[key] |= case.project_kinds
        if case.arrears_verified:
            verified.add(key)
            amount[key] += case.amount
            workers[key] += case.workers
    tallies = []
    for kind in PROJECT_KINDS:
        projects = [key for key, found in kinds.items() if kind in found]
        owing = [key for key in projects if key in verified]
        amount_exact = _yuan(sum((amount[k] for k in owing), Decimal(0)))
        workers_exact = _persons(sum(workers[k] for k in owing))
        tallies.append(
            ProjectTally(
                kind=kind,
                label=PROJECT_KIND_LABELS[kind],
                checked=len(projects),
                in_arrears=len(owing),
                amount_exact=amount_exact,
                amount=round_half_up(amount_exact, money_places),
                workers_exact=workers_exact,
                workers=round_half_up(workers_exact, people_places),
            )
        )
    return tuple(tallies)
