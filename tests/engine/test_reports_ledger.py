"""案件台账: which cases stay on the ledger, its totals, and the three writers read back."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from zhiqian.engine.reports import (
    Ledger,
    ReportCase,
    ledger,
    region_matches,
    write_ledger_csv,
    write_ledger_html,
    write_ledger_xlsx,
)
from zhiqian.errors import InvalidIntake

CN = timezone(timedelta(hours=8))
D = Decimal
EVIL = '=HYPERLINK("http://evil.example","点我")<script>alert(1)</script>'


def make(**kw: Any) -> ReportCase:
    base: dict[str, Any] = {
        "id": 1,
        "ref": "YQ-1",
        "received_at": datetime(2019, 12, 2, 9, tzinfo=CN),
        "region": "140302",
        "region_name": "城区",
        "level": "county",
        "state": "handling",
        "state_label": "处理",
        "employer_name": "阳泉某建筑公司",
        "employer_uscc": "91140300MA0K000001",
        "employer_category": "construction",
        "workers": 0,
        "migrant_workers": 0,
        "amount": D("0.00"),
        "migrant_amount": D("0.00"),
    }
    base.update(kw)
    return ReportCase(**base)


def cases() -> list[ReportCase]:
    return [
        make(id=1, ref="YQ-2019-120201", project_name="某小区二期", project_kind="soe",
             workers=35, migrant_workers=35, amount=D("420000.00"), migrant_amount=D("420000.00"),
             leader="王副市长", filed=True, overdue_clocks=("当日完成核查分类",)),
        # received before the period and still open: stays on the ledger (不解决不销账)
        make(id=2, ref="YQ-2019-112001", received_at=datetime(2019, 11, 20, 10, tzinfo=CN),
             region="140311", region_name="郊区", employer_name="某劳务队", employer_uscc=None,
             workers=6, migrant_workers=6, amount=D("18500.50"), migrant_amount=D("18500.50"),
             overdue_clocks=("次日报告进展", "当日完成核查分类")),
        # closed before the period: off the ledger
        make(id=3, ref="YQ-2019-111001", received_at=datetime(2019, 11, 10, tzinfo=CN),
             region="140303", region_name="矿区", state="closed", state_label="结案",
             closed_at=datetime(2019, 11, 25, tzinfo=CN), workers=1, migrant_workers=1),
        make(id=4, ref="YQ-2019-120501", received_at=datetime(2019, 12, 5, 8, tzinfo=CN),
             region="140321", region_name="平定县", state="closed", state_label="结案",
             closed_at=datetime(2019, 12, 20, 17, tzinfo=CN), workers=10, migrant_workers=8,
             amount=D("50000.00"), migrant_amount=D("40000.00"), recovered_workers=10,
             recovered_amount=D("50000.00")),
        # another city (长治): outside 140300
        make(id=5, ref="CZ-2019-1", region="140402", region_name="潞州区", workers=3,
             migrant_workers=3),
        # a case the city itself handles, with a name made to attack spreadsheets and pages
        make(id=6, ref="YQ-2019-121001", received_at=datetime(2019, 12, 10, 15, tzinfo=CN),
             region="140300", region_name="阳泉市", level="city", employer_name=EVIL,
             employer_uscc=None, workers=12, migrant_workers=12, amount=D("96000.00"),
             migrant_amount=D("90000.00"), filed=True, leader="李局长"),
        # received after the period
        make(id=7, ref="YQ-2019-122901", received_at=datetime(2019, 12, 29, tzinfo=CN)),
        # dismissed: not a wage case
        make(id=8, ref="YQ-2019-120301", state="dismissed", state_label="不予受理"),
        # closed at 00:30 Yangquan time on the first day of the period: still on it once
        make(id=9, ref="YQ-2019-110101", received_at=datetime(2019, 11, 1, 9, tzinfo=CN),
             state="closed", state_label="结案", closed_at=datetime(2019, 11, 27, 16, 30, tzinfo=UTC),
             workers=4, migrant_workers=4, amount=D("2000.00"), migrant_amount=D("2000.00"),
             recovered_workers=4, recovered_amount=D("2000.00")),
    ]  # fmt: skip


PERIOD = {"period_from": date(2019, 11, 28), "period_to": date(2019, 12, 27)}
MADE_AT = datetime(2019, 12, 28, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def book() -> Ledger:
    return ledger(cases(), region="140300", made_at=MADE_AT, unit_name="阳泉市人社局", **PERIOD)


def test_which_cases_and_in_what_order(book: Ledger) -> None:
    assert [r.case_id for r in book.rows] == [9, 2, 1, 4, 6]
    assert [r.seq for r in book.rows] == [1, 2, 3, 4, 5]
    assert book.rows[0].closed_on == date(2019, 11, 28)
    assert book.rows[3].closed_on == date(2019, 12, 20)
    assert book.rows[1].place == "郊区（140311）"
    assert book.rows[1].overdue_text == "次日报告进展、当日完成核查分类"


def test_totals(book: Ledger) -> None:
    t = book.totals
    assert (t.cases, t.workers, t.migrant_workers) == (5, 67, 65)
    assert t.amount == D("586500.50")
    assert t.migrant_amount == D("570500.50")
    assert (t.filed, t.closed, t.overdue) == (2, 2, 2)
    assert t.recovered_amount == D("52000.00")
    assert book.total_texts() == ("共5件", "立案2件", "办结2件", "超期2件")


@pytest.mark.parametrize(
    ("region", "ids"),
    [
        # case 5 shares case 1's receipt time: the ref breaks the tie
        (None, [9, 2, 5, 1, 4, 6]),
        ("140000", [9, 2, 5, 1, 4, 6]),
        ("140302", [9, 1]),
        ("140311", [2]),
        ("140400", [5]),
        ("530000", []),
    ],
)
def test_region_filter(region: str | None, ids: list[int]) -> None:
    book = ledger(cases(), region=region, made_at=MADE_AT, **PERIOD)
    assert [r.case_id for r in book.rows] == ids


def test_region_matches() -> None:
    assert region_matches("140302", "140300")
    assert region_matches("140300", "140300")
    assert not region_matches("140402", "140300")
    assert region_matches("140402", "140000")
    assert region_matches("140302", "140302")
    assert not region_matches("140303", "140302")
    assert not region_matches("150302", "140000")


def test_bad_arguments() -> None:
    with pytest.raises(InvalidIntake) as err:
        ledger(
            [*cases(), make(id=1, ref="dup")],
            region="1403",
            made_at=datetime(2019, 12, 28),
            period_from=date(2019, 12, 27),
            period_to=date(2019, 11, 28),
        )
    assert {p.field for p in err.value.problems} == {
        "region",
        "made_at",
        "period_to",
        "cases[9].id",
    }


def test_empty_ledger_still_has_a_total_row(tmp_path: Path) -> None:
    book = ledger([], region=None, made_at=MADE_AT, **PERIOD)
    assert book.totals.amount == D("0.00")
    ws = openpyxl.load_workbook(write_ledger_xlsx(book, tmp_path / "e.xlsx")).active
    assert ws["A5"].value == "合计"
    assert ws["B5"].value == "共0件"


HEADERS = {
    "A3": "序号", "B3": "案件编号", "C3": "受理日期", "D3": "属地", "E3": "用人单位", "F3": "项目",
    "G3": "涉及人数(人)", "G4": "合计", "H4": "其中：农民工", "I3": "拖欠金额(元)", "I4": "合计",
    "J4": "其中：农民工", "K3": "当前状态", "L3": "包案领导", "M3": "是否立案", "N3": "追发金额(元)",
    "O3": "办结日期", "P3": "超期时限",
}  # fmt: skip

# fmt: off
ROWS = [
    [1, "YQ-2019-110101", date(2019, 11, 1), "城区（140302）", "阳泉某建筑公司", None, 4, 4, D("2000.00"), D("2000.00"), "结案", None, "否", D("2000.00"), date(2019, 11, 28), None],
    [2, "YQ-2019-112001", date(2019, 11, 20), "郊区（140311）", "某劳务队", None, 6, 6, D("18500.50"), D("18500.50"), "处理", None, "否", D("0.00"), None, "次日报告进展、当日完成核查分类"],
    [3, "YQ-2019-120201", date(2019, 12, 2), "城区（140302）", "阳泉某建筑公司", "某小区二期", 35, 35, D("420000.00"), D("420000.00"), "处理", "王副市长", "是", D("0.00"), None, "当日完成核查分类"],
    [4, "YQ-2019-120501", date(2019, 12, 5), "平定县（140321）", "阳泉某建筑公司", None, 10, 8, D("50000.00"), D("40000.00"), "结案", None, "否", D("50000.00"), date(2019, 12, 20), None],
    [5, "YQ-2019-121001", date(2019, 12, 10), "阳泉市（140300）", EVIL, None, 12, 12, D("96000.00"), D("90000.00"), "处理", "李局长", "是", D("0.00"), None, None],
    ["合计", "共5件", None, None, None, None, 67, 65, D("586500.50"), D("570500.50"), None, None, "立案2件", D("52000.00"), "办结2件", "超期2件"],
]
# fmt: on


def test_xlsx_cell_by_cell(book: Ledger, tmp_path: Path) -> None:
    path = write_ledger_xlsx(book, tmp_path / "台账.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "案件台账"
    assert ws["A1"].value == "欠薪案件台账"
    assert [ws[c].value for c in ("A2", "E2", "G2", "L2")] == [
        "填报单位：阳泉市人社局",
        "属地范围：140300",
        "统计期间：2019年11月28日至2019年12月27日",
        "制表时间：2019年12月28日",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    singles = {f"{c}3:{c}4" for c in "ABCDEFKLMNOP"}
    assert merged == {"A1:P1", "A2:D2", "E2:F2", "G2:K2", "L2:P2", "G3:H3", "I3:J3"} | singles
    for ref, text in HEADERS.items():
        assert ws[ref].value == text, ref
    for offset, want_row in enumerate(ROWS):
        for col, want in enumerate(want_row, start=1):
            cell = ws.cell(row=5 + offset, column=col)
            got = cell.value
            if isinstance(want, Decimal):
                assert D(str(got)) == want, (offset, col)
                assert cell.number_format == "#,##0.00"
            elif isinstance(want, date):
                assert got == datetime(want.year, want.month, want.day), (offset, col)
                assert cell.number_format == "yyyy-mm-dd"
            else:
                assert got == want, (offset, col, got)
    evil = ws.cell(row=9, column=5)
    assert evil.data_type == "s"  # a name, never a formula
    assert ws.freeze_panes == "C5"
    assert ws.auto_filter.ref == "A4:P9"


def test_csv_parsed_back(book: Ledger, tmp_path: Path) -> None:
    path = write_ledger_csv(book, tmp_path / "台账.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "序号", "案件编号", "受理日期", "属地", "用人单位", "项目", "涉及人数(人)-合计",
        "涉及人数(人)-其中：农民工", "拖欠金额(元)-合计", "拖欠金额(元)-其中：农民工", "当前状态",
        "包案领导", "是否立案", "追发金额(元)", "办结日期", "超期时限",
    ]  # fmt: skip
    assert len(rows) == 7
    for got, want in zip(rows[1:], ROWS, strict=True):
        expected = [
            ""
            if v is None
            else f"{v:.2f}"
            if isinstance(v, Decimal)
            else v.isoformat()
            if isinstance(v, date)
            else str(v)
            for v in want
        ]
        expected[4] = "'" + EVIL if want[4] == EVIL else expected[4]  # spreadsheet-safe
        assert got == expected


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head: list[tuple[str, int, int]] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.spans = (1, 1)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "tr" and "thead" not in self.tags[-3:]:
            self.rows.append([])
        if tag in ("th", "td"):
            self.cell = []
            self.spans = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            text = "".join(self.cell)
            if tag == "th":
                self.head.append((text, *self.spans))
            else:
                self.rows[-1].append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_html_headers_rows_and_escaping(book: Ledger, tmp_path: Path) -> None:
    path = write_ledger_html(book, tmp_path / "台账.html")
    page = path.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parser = Cells()
    parser.feed(page)
    assert "script" not in parser.tags
    assert ("涉及人数(人)", 1, 2) in parser.head
    assert ("拖欠金额(元)", 1, 2) in parser.head
    assert ("案件编号", 2, 1) in parser.head
    assert parser.head.count(("合计", 1, 1)) == 2
    body = [r for r in parser.rows if r]
    assert len(body) == 6
    assert body[4][4] == EVIL  # shown literally, as text
    assert body[5][:2] == ["合计", "共5件"]
    assert body[5][8] == "586500.50"
    assert body[2][11] == "王副市长"
