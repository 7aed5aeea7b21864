"""附件2 根治欠薪冬季专项行动情况: figures from hand-built cases, and every writer read back."""

from __future__ import annotations

import csv
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from zhiqian.engine import reports
from zhiqian.engine.reports import (
    COLUMNS,
    ReportCase,
    Signatures,
    campaign_report,
    write_csv,
    write_html,
    write_xlsx,
)
from zhiqian.errors import InvalidIntake

CN = timezone(timedelta(hours=8))
D = Decimal

USCC_A = "91530100MA6K3XYW0A"
USCC_B = "91530100MA6K3XYW0B"
USCC_C = "91530100MA6K3XYW0C"
USCC_E = "91530100MA6K3XYW0E"
DIANZHONG = "滇中新区安置房一期"
METRO = "昆明地铁5号线配套工程"


def make(**kw: Any) -> ReportCase:
    base: dict[str, Any] = {
        "id": 1,
        "ref": "YN-2021-0001",
        "received_at": datetime(2021, 11, 3, 9, tzinfo=CN),
        "region": "530102",
        "region_name": "五华区",
        "level": "county",
        "state": "handling",
        "state_label": "处理",
        "employer_name": "云南某建设集团有限公司",
        "employer_uscc": USCC_A,
        "employer_category": "construction",
        "workers": 0,
        "migrant_workers": 0,
        "amount": D("0.00"),
        "migrant_amount": D("0.00"),
    }
    base.update(kw)
    return ReportCase(**base)


def fixture_cases() -> list[ReportCase]:
    """Ten cases; the expected figures below are worked out by hand in the comments."""
    return [
        make(
            id=1,
            ref="YN-1",
            employer_uscc=USCC_A,
            project_kind="government",
            project_name=DIANZHONG,
            workers=120,
            migrant_workers=110,
            migrant_contracts=80,
            amount=D("1234567.89"),
            migrant_amount=D("1200000.00"),
            arrears_verified=True,
            filed=True,
            recovered_workers=100,
            recovered_migrant_workers=95,
            recovered_amount=D("1000000.00"),
            recovered_migrant_amount=D("980000.00"),
            orders_to_correct=1,
            handling_decisions=1,
            police_referred=True,
            police_filed=True,
            publicised=True,
            blacklisted=True,
        ),
        make(
            id=2,
            ref="YN-2",
            received_at=datetime(2021, 11, 5, 10, tzinfo=CN),
            employer_name="昆明某劳务公司",
            employer_uscc=USCC_B,
            project_kind=frozenset({"ppp", "soe"}),
            project_name=METRO,
            workers=45,
            migrant_workers=45,
            migrant_contracts=30,
            amount=D("350000.00"),
            migrant_amount=D("350000.00"),
            arrears_verified=True,
            resolved_without_filing=True,
            recovered_workers=45,
            recovered_migrant_workers=45,
            recovered_amount=D("350000.00"),
            recovered_migrant_amount=D("350000.00"),
            orders_to_correct=1,
        ),
        # Same employer and project as case 1 (spaces in the name do not make a new project);
        # the SOE kind here makes 滇中 both 政府投资 and 国企 (备注3). Not verified.
        make(
            id=3,
            ref="YN-3",
            received_at=datetime(2021, 11, 20, 14, tzinfo=CN),
            employer_uscc=USCC_A,
            project_kind="soe",
            project_name="滇中新区 安置房一期",
            workers=10,
            migrant_workers=10,
            migrant_contracts=None,
            amount=D("50000.50"),
            migrant_amount=D("50000.50"),
        ),
        make(
            id=4,
            ref="YN-4",
            received_at=datetime(2021, 11, 10, 9, 30, tzinfo=CN),
            employer_name="某电子厂",
            employer_uscc=USCC_C,
            employer_category="manufacturing",
            workers=30,
            migrant_workers=12,
            migrant_contracts=12,
            amount=D("88000.00"),
            migrant_amount=D("30000.00"),
            arrears_verified=True,
            filed=True,
            recovered_workers=30,
            recovered_migrant_workers=12,
            recovered_amount=D("88000.00"),
            recovered_migrant_amount=D("30000.00"),
            handling_decisions=1,
            penalty_decisions=1,
            blacklisted=True,
        ),
        make(
            id=5,
            ref="YN-5",
            received_at=datetime(2021, 11, 15, 11, tzinfo=CN),
            employer_name="某培训学校",
            employer_uscc=None,
            employer_category="training",
            workers=8,
            migrant_workers=0,
            amount=D("64000.00"),
            migrant_amount=D("0.00"),
            arrears_verified=True,
            resolved_without_filing=True,
            recovered_workers=8,
            recovered_amount=D("64000.00"),
        ),
        # 2021-11-01 00:00 in Kunming, still October in UTC: inside the period.
        make(
            id=6,
            ref="YN-6",
            received_at=datetime(2021, 10, 31, 16, 0, tzinfo=UTC),
            employer_name="某物业公司",
            employer_uscc=USCC_E,
            employer_category="other",
            workers=3,
            migrant_workers=3,
            migrant_contracts=3,
            amount=D("9000.00"),
            migrant_amount=D("9000.00"),
        ),
        # Dismissed (不予受理): left out although it is in the period and publicised.
        make(
            id=7,
            ref="YN-7",
            received_at=datetime(2021, 11, 12, tzinfo=CN),
            state="dismissed",
            state_label="不予受理",
            employer_name="某餐馆",
            employer_uscc=None,
            employer_category="other",
            workers=2,
            migrant_workers=2,
            amount=D("3000.00"),
            migrant_amount=D("3000.00"),
            publicised=True,
        ),
        # 2021-10-31 23:59 in Kunming: before the period.
        make(
            id=8,
            ref="YN-8",
            received_at=datetime(2021, 10, 31, 15, 59, tzinfo=UTC),
            workers=500,
            migrant_workers=500,
        ),
        # 2021-12-01 00:30 in Kunming: after the period.
        make(
            id=9,
            ref="YN-9",
            received_at=datetime(2021, 11, 30, 16, 30, tzinfo=UTC),
            workers=700,
            migrant_workers=700,
        ),
        # Employer C recorded once as 其他: its latest case (4) says 加工制造, so the whole
        # employer — this case too — is counted in 加工制造企业.
        make(
            id=10,
            ref="YN-10",
            received_at=datetime(2021, 11, 8, 8, tzinfo=CN),
            employer_name="某电子厂",
            employer_uscc=USCC_C,
            employer_category="other",
            workers=5,
            migrant_workers=5,
            migrant_contracts=5,
            amount=D("10000.00"),
            migrant_amount=D("10000.00"),
            arrears_verified=True,
            filed=True,
        ),
    ]


def figs(*figures: str | int | None) -> tuple[Decimal | None, ...]:
    return tuple(None if f is None else D(str(f)) for f in figures)


def number(text: str) -> Decimal | None:
    """A printed figure read back; a blank cell is a figure nobody knows."""
    return D(text) if text else None


# fmt: off
EXPECTED = {
    #                     1  2         3         4         5  6         7         8         9         10 11 12        13        14        15        16 17 18 19 20
    "total":         figs(5, "0.0221", "0.0185", None,     4, "0.0208", "0.0172", "174.66", "159.00", 3, 2, "0.0183", "0.0152", "150.20", "136.00", 2, 2, 1, 1, 1),
    "construction":  figs(2, "0.0175", "0.0165", None,     2, "0.0165", "0.0155", "158.46", "155.00", 1, 1, "0.0145", "0.0140", "135.00", "133.00", 2, 1, 0, 1, 1),
    "manufacturing": figs(1, "0.0035", "0.0017", "0.0017", 1, "0.0035", "0.0017", "9.80",   "4.00",   2, 0, "0.0030", "0.0012", "8.80",   "3.00",   0, 1, 1, 0, 0),
    "training":      figs(1, "0.0008", "0.0000", "0.0000", 1, "0.0008", "0.0000", "6.40",   "0.00",   0, 1, "0.0008", "0.0000", "6.40",   "0.00",   0, 0, 0, 0, 0),
    "other":         figs(1, "0.0003", "0.0003", "0.0003", 0, "0.0000", "0.0000", "0.00",   "0.00",   0, 0, "0.0000", "0.0000", "0.00",   "0.00",   0, 0, 0, 0, 0),
}
# fmt: on
# Column 4 of 建筑企业, and so of 合计, is blank: case 3 has 10 migrant workers and no 签订劳动合同
# figure. What the other construction case (1) recorded, 80, is no figure of the row.
ROW_ORDER = ["total", "construction", "manufacturing", "training", "other"]
LABELS = ["合计", "建筑企业", "加工制造企业", "校外培训机构", "其他用人单位"]
OTHER_TEXT = (
    "其他情况：1.检查政府投资工程项目共1个，查实存在欠薪项目1个（拖欠工资123.46万元，涉及0.0120万人）；"
    "2.检查政府与社会资本合作项目共1个，查实存在欠薪项目1个（拖欠工资35.00万元，涉及0.0045万人）；"
    "3.检查国企项目共2个，查实存在欠薪项目2个（拖欠工资158.46万元，涉及0.0165万人）；"
    "4.公布欠薪严重违法单位数：1户，列入欠薪“黑名单”2件。"
)
MADE_AT = datetime(2021, 12, 2, 1, 30, tzinfo=UTC)  # 2021-12-02 09:30 in Kunming


def build(**kw: Any) -> reports.CampaignReport:
    args: dict[str, Any] = {
        "period_from": date(2021, 11, 1),
        "period_to": date(2021, 11, 30),
        "unit_name": "昆明市人力资源和社会保障局",
        "made_at": MADE_AT,
        "signatures": Signatures(
            head="张三", section_head="李四", preparer="王五", phone="0871-67195055"
        ),
    }
    args.update(kw)
    return campaign_report(fixture_cases(), **args)


@pytest.fixture(scope="module")
def report() -> reports.CampaignReport:
    return build()


# ---------------------------------------------------------------------------------- figures


def test_every_figure_of_every_row(report: reports.CampaignReport) -> None:
    assert [r.key for r in report.rows] == ROW_ORDER
    assert [r.label for r in report.rows] == LABELS
    assert [r.seq for r in report.rows] == [1, 2, 3, 4, 5]
    for key in ROW_ORDER:
        row = report.row(key)  # type: ignore[arg-type]
        for number, (got, want) in enumerate(zip(row.display, EXPECTED[key], strict=True), 1):
            assert got == want, f"{key} column {number}: {got} != {want}"


def test_display_precision_is_fixed(report: reports.CampaignReport) -> None:
    for row in report.rows:
        for column, value in zip(COLUMNS, row.display, strict=True):
            if value is None:
                continue
            places = {"money": 2, "people": 4}.get(column.kind, 0)
            assert value.as_tuple().exponent == -places, (row.key, column.number, value)


def test_exact_figures_keep_every_yuan(report: reports.CampaignReport) -> None:
    assert report.row("construction").figure(8, exact=True) == D("158.456789")
    assert report.row("total").figure(8, exact=True) == D("174.656789")
    assert report.row("total").figure(2, exact=True) == D("0.0221")


def test_total_row_is_the_sum_of_the_category_rows(report: reports.CampaignReport) -> None:
    total = report.row("total")
    for n in range(1, 21):
        for exact in (False, True):
            parts = [report.rows[i].figure(n, exact=exact) for i in range(1, 5)]
            if None in parts:  # a row nobody can sum makes a 合计 nobody can give
                assert total.figure(n, exact=exact) is None
            else:
                assert total.figure(n, exact=exact) == sum(p for p in parts if p is not None)


def test_other_information(report: reports.CampaignReport) -> None:
    government, ppp, soe = report.projects
    assert (government.kind, government.checked, government.in_arrears) == ("government", 1, 1)
    assert government.amount == D("123.46")
    assert government.amount_exact == D("123.456789")
    assert government.workers == D("0.0120")
    assert (ppp.checked, ppp.in_arrears, ppp.amount, ppp.workers) == (1, 1, D("35.00"), D("0.0045"))
    # 滇中 (government + SOE through case 3) and the metro (PPP + SOE) both count as SOE.
    assert (soe.checked, soe.in_arrears, soe.amount, soe.workers) == (
        2,
        2,
        D("158.46"),
        D("0.0165"),
    )
    assert report.publicised_employers == 1  # the dismissed case 7 does not count
    assert report.blacklisted_cases == 2
    assert report.other_text() == OTHER_TEXT


def test_bookkeeping(report: reports.CampaignReport) -> None:
    assert report.cases_counted == 7
    assert report.contracts_unknown == 1  # case 3; case 5 has no migrant workers to ask about
    assert report.contracts_unknown_migrants == 10
    assert report.notes[3] == (
        "第4栏（农民工签订劳动合同人数）空白表示未掌握：有1件案件（涉及农民工10人）"
        "尚未登记签订劳动合同人数，所在行及合计行该栏不填数。"
    )
    assert report.made_on == date(2021, 12, 2)


def test_project_without_verified_case_is_checked_not_in_arrears() -> None:
    cases = [
        make(id=1, project_kind="government", project_name="甲工程", workers=4, migrant_workers=4),
        make(id=2, project_kind="government", project_name="乙工程", arrears_verified=True,
             workers=7, migrant_workers=7, amount=D("12345.00"), migrant_amount=D("12345.00")),
    ]  # fmt: skip
    r = campaign_report(
        cases,
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=MADE_AT,
    )
    g = r.projects[0]
    assert (g.checked, g.in_arrears, g.amount, g.workers) == (2, 1, D("1.23"), D("0.0007"))


def test_empty_report_prints_zeros() -> None:
    r = campaign_report(
        [],
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=MADE_AT,
    )
    for row in r.rows:
        assert all(v == 0 for v in row.display)
    assert "共0个" in r.other_text()


def test_adversarial_half_units_add_up() -> None:
    """Three categories of 50 yuan (0.005 万元) each: rounded alone they would print 0.01 three
    times under a 合计 of 0.02 (150 yuan). The rows give way instead: 0.01 + 0.01 + 0.00."""
    cases = [
        make(id=i, employer_uscc=None, employer_name=f"单位{i}", employer_category=cat,
             workers=1, migrant_workers=1, amount=D("50.00"), migrant_amount=D("50.00"),
             arrears_verified=True)
        for i, cat in enumerate(["construction", "manufacturing", "training"], start=1)
    ]  # fmt: skip
    r = campaign_report(
        cases,
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=MADE_AT,
    )
    assert r.row("total").figure(8, exact=True) == D("0.015")
    assert [row.figure(8) for row in r.rows] == list(figs("0.02", "0.01", "0.01", "0.00", "0.00"))
    assert [row.figure(9) for row in r.rows] == list(figs("0.02", "0.01", "0.01", "0.00", "0.00"))


def test_migrant_part_never_shows_above_its_total() -> None:
    """Independent rounding would print 建筑 合计 0.01 beside 其中：农民工 0.02."""
    cases = [
        make(id=1, employer_uscc=USCC_A, amount=D("150.00"), migrant_amount=D("150.00"),
             workers=1, migrant_workers=1, arrears_verified=True),
        make(id=2, employer_uscc=USCC_C, employer_category="manufacturing", amount=D("170.00"),
             migrant_amount=D("0.00"), workers=1, migrant_workers=0, arrears_verified=True),
    ]  # fmt: skip
    r = campaign_report(
        cases,
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=MADE_AT,
    )
    assert r.row("total").figure(8) == D("0.03")  # 320 yuan
    assert r.row("total").figure(9) == D("0.02")  # 150 yuan, half up
    assert (r.row("construction").figure(8), r.row("construction").figure(9)) == figs(
        "0.02", "0.02"
    )
    assert (r.row("manufacturing").figure(8), r.row("manufacturing").figure(9)) == figs(
        "0.01", "0.00"
    )


def test_people_at_two_decimals_also_add_up() -> None:
    cases = [
        make(id=i, employer_uscc=None, employer_name=f"单位{i}", employer_category=cat,
             workers=50, migrant_workers=50, migrant_contracts=50)
        for i, cat in enumerate(["construction", "manufacturing", "training"], start=1)
    ]  # fmt: skip
    r = campaign_report(
        cases,
        period_from=date(2021, 11, 1),
        period_to=date(2021, 11, 30),
        unit_name="X",
        made_at=MADE_AT,
        people_places=2,
    )
    for n in (2, 3, 4):
        assert [row.figure(n) for row in r.rows] == list(
            figs("0.02", "0.01", "0.01", "0.00", "0.00")
        )


# ---------------------------------------------------------------------------------- bad input


def test_case_names_every_bad_field() -> None:
    with pytest.raises(InvalidIntake) as err:
        make(
            id=42,
            region="14030",
            received_at=datetime(2021, 11, 3, 9),  # naive
            employer_category="mining",
            employer_uscc="not-a-code",
            workers=5,
            migrant_workers=6,
            amount=1000.0,
            migrant_amount=D("-1.00"),
            filed=True,
            resolved_without_filing=True,
            police_filed=True,
            project_kind="government",
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {
        "region",
        "received_at",
        "employer_category",
        "employer_uscc",
        "migrant_workers",
        "amount",
        "migrant_amount",
        "resolved_without_filing",
        "police_filed",
        "project_name",
    }
    assert err.value.record == 42
    assert "float" in str(err.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": D("10.001"), "migrant_amount": D("0.00")}, "amount"),
        ({"amount": D("NaN")}, "amount"),
        ({"workers": 3, "migrant_workers": 2, "migrant_contracts": 3}, "migrant_contracts"),
        ({"workers": 3, "recovered_workers": 4}, "recovered_workers"),
        (
            {"recovered_amount": D("5.00"), "recovered_migrant_amount": D("6.00")},
            "recovered_migrant_amount",
        ),
        ({"closed_at": datetime(2021, 11, 1, tzinfo=CN)}, "closed_at"),
        ({"project_kind": frozenset(), "project_name": "x"}, "project_kind"),
        ({"project_kind": "private", "project_name": "x"}, "project_kind"),
        ({"overdue_clocks": ["当日"]}, "overdue_clocks"),
        ({"orders_to_correct": True}, "orders_to_correct"),
        ({"blacklisted": 1}, "blacklisted"),
        ({"ref": " "}, "ref"),
    ],
)
def test_case_rejects(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidIntake) as err:
        make(**changes)
    assert field in {p.field for p in err.value.problems}


def test_report_rejects_bad_arguments_and_duplicates() -> None:
    cases = fixture_cases()
    cases.append(replace(cases[0], ref="dup"))
    with pytest.raises(InvalidIntake) as err:
        campaign_report(
            [*cases, "not a case"],  # type: ignore[list-item]
            period_from=date(2021, 12, 1),
            period_to=date(2021, 11, 30),
            unit_name=" ",
            made_at=datetime(2021, 12, 2),
            money_places=7,
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {
        "period_to",
        "made_at",
        "money_places",
        "unit_name",
        "cases[10].id",
        "cases[11]",
    }


# ---------------------------------------------------------------------------------- XLSX

GROUP_MERGES = {"C4:F4": "检查用人单位情况", "G4:K4": "拖欠工资情况", "L4:Q4": "处理情况",
                "R4:T4": "行政处理处罚", "U4:V4": "涉嫌犯罪案件"}  # fmt: skip
HEADINGS = {
    "C5": "用人单位数(户)",
    "D5": "涉及职工人数(万人)",
    "E5": "其中：农民工人数(万人)",
    "F5": "农民工签订劳动合同人数(万人)",
    "G5": "用人单位数(户)",
    "H5": "涉及职工人数(万人)",
    "J5": "涉及金额(万元)",
    "L5": "立案(件)",
    "M5": "通过协调等非立案方式解决(件)",
    "N5": "追发工资及赔偿金人数(万人)",
    "P5": "追发工资及赔偿金(万元)",
    "R5": "责令改正(件)",
    "S5": "行政处理决定(件)",
    "T5": "行政处罚决定(件)",
    "U5": "移送公安机关(件)",
    "V5": "公安机关立案(件)",
}
PAIRS = {"H5:I5", "J5:K5", "N5:O5", "P5:Q5"}
SINGLE_DOWN = {f"{c}5:{c}6" for c in "CDEFGLMRSTUV"}


def test_xlsx_cell_by_cell(report: reports.CampaignReport, tmp_path: Path) -> None:
    path = write_xlsx(report, tmp_path / "附件2.xlsx")
    assert path == tmp_path / "附件2.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["附件2.xlsx"]  # no temporary left behind
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "附件2"

    merged = {str(r) for r in ws.merged_cells.ranges}
    expected_merges = (
        {"A2:V2", "A3:H3", "I3:P3", "Q3:V3", "A4:A6", "B4:B6"}
        | set(GROUP_MERGES)
        | PAIRS
        | SINGLE_DOWN
        | {"A13:V13", "A14:E14", "F14:K14", "L14:Q14", "R14:V14", "A15:V15", "A16:V16", "A17:V17"}
        | {"A18:V18"}
    )
    assert merged == expected_merges

    assert ws["A1"].value == "附件2"
    assert ws["A2"].value == "根治欠薪冬季专项行动情况"
    assert ws["A3"].value == "制表单位名称（盖章）：昆明市人力资源和社会保障局"
    assert ws["I3"].value == "统计期间：2021年11月1日至2021年11月30日"
    assert ws["Q3"].value == "制表时间：2021年12月2日"
    for ref, text in GROUP_MERGES.items():
        assert ws[ref.split(":")[0]].value == text
    for ref, text in HEADINGS.items():
        assert ws[ref].value == text
    for left in "HJNP":
        assert ws[f"{left}6"].value == "合计"
        assert ws[f"{chr(ord(left) + 1)}6"].value == "其中：农民工"
    assert ws["A7"].value == "甲"
    assert ws["B7"].value == "序号"
    assert [ws.cell(row=7, column=3 + i).value for i in range(20)] == list(range(1, 21))

    for offset, key in enumerate(ROW_ORDER):
        row = 8 + offset
        assert ws.cell(row=row, column=1).value == LABELS[offset]
        assert ws.cell(row=row, column=2).value == offset + 1
        for i, want in enumerate(EXPECTED[key]):
            cell = ws.cell(row=row, column=3 + i)
            if want is None:
                assert cell.value is None, (key, i + 1, cell.value)  # blank, not 0
                assert cell.border.left.style == "thin"  # still a cell of the form
                continue
            assert isinstance(cell.value, (int, float)), (row, i + 1, cell.value)
            assert D(str(cell.value)) == want, (key, i + 1, cell.value)
            kind = COLUMNS[i].kind
            assert cell.number_format == {"money": "0.00", "people": "0.0000"}.get(kind, "0")
    # The 合计 row adds up in the sheet itself (to the display unit).
    for col in range(3, 23):
        if ws.cell(row=8, column=col).value is None:
            continue
        below = sum(D(str(ws.cell(row=r, column=col).value)) for r in range(9, 13))
        assert D(str(ws.cell(row=8, column=col).value)) == below

    assert ws["A13"].value == OTHER_TEXT
    assert ws["A13"].alignment.wrap_text
    assert [ws[c].value for c in ("A14", "F14", "L14", "R14")] == [
        "单位负责人：张三",
        "处（队）负责人：李四",
        "制表人：王五",
        "联系电话：0871-67195055",
    ]
    assert ws["A15"].value == "备注：1.情况统计包括立案和通过非立案方式处理的欠薪问题；"
    assert ws["A16"].value.endswith(
        "2.国企项目指中央和地方监管的国有（含国有控股）企业作为总承包单位的工程项目（标段）；"
    )
    assert ws["A17"].value.endswith(
        "3.政府投资工程项目、政府与社会资本合作项目和国企项目有重合的分别单独统计。"
    )
    assert ws["A18"].value == "　　　4." + report.notes[3]
    assert ws["F5"].alignment.wrap_text
    assert ws.column_dimensions["A"].width >= 14
    assert ws.freeze_panes == "C8"
    assert ws.page_setup.orientation == "landscape"


def test_xlsx_replaces_an_older_file(report: reports.CampaignReport, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"old")
    write_xlsx(report, path)
    assert openpyxl.load_workbook(path).active["A2"].value == "根治欠薪冬季专项行动情况"


def test_writer_into_missing_folder_fails_and_leaves_nothing(
    report: reports.CampaignReport, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        write_xlsx(report, tmp_path / "missing" / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- CSV


def test_csv_parsed_back(report: reports.CampaignReport, tmp_path: Path) -> None:
    path = write_csv(report, tmp_path / "附件2.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert len(header) == 22
    assert header[:2] == ["用人单位类别", "序号"]
    assert header[2] == "检查用人单位情况-用人单位数(户)"
    assert header[5] == "检查用人单位情况-农民工签订劳动合同人数(万人)"
    assert header[9] == "拖欠工资情况-涉及金额(万元)-合计"
    assert header[10] == "拖欠工资情况-涉及金额(万元)-其中：农民工"
    assert header[13] == "处理情况-追发工资及赔偿金人数(万人)-合计"
    assert header[21] == "涉嫌犯罪案件-公安机关立案(件)"
    assert len(rows) == 6
    for offset, key in enumerate(ROW_ORDER):
        line = rows[1 + offset]
        assert line[0] == LABELS[offset]
        assert line[1] == str(offset + 1)
        assert [number(v) for v in line[2:]] == list(EXPECTED[key])
        assert line[2 + 7] == f"{EXPECTED[key][7]:.2f}"  # fixed decimals as printed
    assert rows[1][5] == ""  # 合计 column 4: blank, not 0
    assert b"\r\n" in raw


# ---------------------------------------------------------------------------------- HTML


class TableParser(HTMLParser):
    """Collects the header cells (text, rowspan, colspan) and the body rows of every table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section = ""
        self.head: list[list[tuple[str, int, int]]] = []
        self.body: list[list[str]] = []
        self.cell: list[str] | None = None
        self.spans = (1, 1)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section:
            (self.head if self.section == "thead" else self.body).append([])
        elif tag in ("th", "td") and self.section:
            self.cell = []
            self.spans = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("thead", "tbody"):
            self.section = ""
        elif tag in ("th", "td") and self.cell is not None:
            text = "".join(self.cell)
            if self.section == "thead":
                self.head[-1].append((text, *self.spans))
            else:
                self.body[-1].append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def parse(path: Path) -> TableParser:
    parser = TableParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_html_grouped_headers_and_figures(report: reports.CampaignReport, tmp_path: Path) -> None:
    path = write_html(report, tmp_path / "附件2.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    parsed = parse(path)
    groups, headings, subs, numbers = parsed.head
    assert groups[:2] == [("", 3, 1), ("", 3, 1)]
    assert groups[2:] == [
        ("检查用人单位情况", 1, 4),
        ("拖欠工资情况", 1, 5),
        ("处理情况", 1, 6),
        ("行政处理处罚", 1, 3),
        ("涉嫌犯罪案件", 1, 2),
    ]
    assert ("涉及金额(万元)", 1, 2) in headings
    assert ("追发工资及赔偿金人数(万人)", 1, 2) in headings
    assert ("立案(件)", 2, 1) in headings
    assert ("农民工签订劳动合同人数(万人)", 2, 1) in headings
    assert sum(colspan for _, _, colspan in headings) == 20
    assert subs == [("合计", 1, 1), ("其中：农民工", 1, 1)] * 4
    assert [t for t, _, _ in numbers] == ["甲", "序号", *(str(n) for n in range(1, 21))]
    assert len(parsed.body) == 5
    for offset, key in enumerate(ROW_ORDER):
        cells = parsed.body[offset]
        assert cells[0] == LABELS[offset]
        assert cells[1] == str(offset + 1)
        assert [number(c) for c in cells[2:]] == list(EXPECTED[key])
    text = "".join(parsed.text)
    assert "4.第4栏（农民工签订劳动合同人数）空白表示未掌握" in text
    assert OTHER_TEXT in text
    assert "单位负责人：张三" in text
    assert "制表单位名称（盖章）：昆明市人力资源和社会保障局" in text


def test_html_escapes_the_unit_name(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>&'
    r = build(unit_name=evil)
    page = write_html(r, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert evil in "".join(parse(tmp_path / "r.html").text)


def test_public_names_import() -> None:
    for name in reports.__all__:
        assert hasattr(reports, name), name
    assert os.fspath(Path(reports.__file__).parent.name) == "reports"
