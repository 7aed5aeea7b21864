"""``zhiqian report …``: the stored cases reach the 附件2 form and the ledger, file by file."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from zhiqian.testing import sample_complaint

AT = "2026-12-01T09:00:00+08:00"
LATER = "2026-12-02T10:00:00+08:00"


@pytest.fixture
def stored(cli: Any, records_file: Callable[..., Path]) -> list[dict[str, Any]]:
    records = [sample_complaint(i, region="140302") for i in range(4)]
    records += [sample_complaint(10, region="140311")]  # same city (阳泉市郊区)
    records += [sample_complaint(20, region="140105")]  # another city (太原市小店区)
    done = cli("case", "add", str(records_file(records)), "--at", AT)
    assert done.code == 0, done.stderr
    return records


def _figures(path: Path) -> dict[str, dict[int, Any]]:
    """Row label → {column number → value}, read from the worksheet like a clerk reads it."""
    sheet = openpyxl.load_workbook(path).active
    number_row = next(r for r in sheet.iter_rows() if r[0].value == "甲")
    numbers = {cell.column: cell.value for cell in number_row if isinstance(cell.value, int)}
    out: dict[str, dict[int, Any]] = {}
    for row in sheet.iter_rows(min_row=number_row[0].row + 1, max_row=number_row[0].row + 5):
        out[str(row[0].value)] = {numbers[c.column]: c.value for c in row if c.column in numbers}
    return out


def test_campaign_xlsx_counts_the_region_cases(
    cli: Any, stored: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "附件2.xlsx"  # the folder is created
    done = cli(
        "report", "campaign", "--from", "2026-11-01", "--to", "2026-11-30",
        "--region", "140300", "--format", "xlsx", "--out", str(out), "--at", LATER,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "5 cases counted" in done.stderr
    counted = [r for r in stored if r["region"].startswith("1403")]
    figures = _figures(out)
    total = figures["合计"]
    employers = {r["employer"]["uscc"] for r in counted}
    assert total[1] == len(employers)
    workers = sum(r["workers"] for r in counted)
    migrants = sum(r["migrant_workers"] for r in counted)
    assert Decimal(str(total[2])) == (Decimal(workers) / 10_000).quantize(Decimal("0.0001"))
    assert Decimal(str(total[3])) == (Decimal(migrants) / 10_000).quantize(Decimal("0.0001"))
    by_category: dict[str, int] = {}
    for r in counted:
        by_category[r["employer"]["category"]] = by_category.get(r["employer"]["category"], 0) + 1
    labels = {
        "construction": "建筑企业",
        "manufacturing": "加工制造企业",
        "training": "校外培训机构",
        "other": "其他用人单位",
    }
    for category, label in labels.items():
        n = len({r["employer"]["uscc"] for r in counted if r["employer"]["category"] == category})
        assert figures[label][1] == n
    sheet = openpyxl.load_workbook(out).active
    assert sheet["A2"].value == "根治欠薪冬季专项行动情况"
    assert "山西省阳泉市" in str(sheet["A3"].value)  # the unit defaults to the region's name


def test_campaign_counts_outcomes_recorded_through_the_cli(
    cli: Any, stored: list[dict[str, Any]], tmp_path: Path
) -> None:
    for event in ("verify", "handle"):
        assert cli("case", "act", "1", event, "--actor", "x", "--at", LATER).code == 0
    assert cli("case", "act", "1", "find_arrears", "--actor", "x", "--at", LATER).code == 0
    assert cli("case", "act", "1", "file", "--actor", "x", "--at", LATER).code == 0
    recovered = cli(
        "case", "act", "1", "recover", "--actor", "x", "--at", LATER,
        "--param", "workers=3", "--param", "migrant_workers=2",
        "--param", "amount=12345.67", "--param", "migrant_amount=10000",
    )  # fmt: skip
    assert recovered.code == 0, recovered.stderr
    out = tmp_path / "c.xlsx"
    done = cli(
        "report", "campaign", "--from", "2026-11-01", "--to", "2026-11-30",
        "--region", "140300", "-f", "xlsx", "-o", str(out), "--at", LATER,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    total = _figures(out)["合计"]
    assert total[5] == 1
    assert total[10] == 1  # 立案
    assert Decimal(str(total[12])) == Decimal("0.0003")
    assert Decimal(str(total[13])) == Decimal("0.0002")
    assert Decimal(str(total[14])) == Decimal("1.23")  # 12345.67 yuan in 万元, 2 places
    assert Decimal(str(total[15])) == Decimal("1.00")
    assert Decimal(str(total[6])) == (Decimal(stored[0]["workers"]) / 10_000).quantize(
        Decimal("0.0001")
    )


def test_campaign_csv_and_html(cli: Any, stored: list[dict[str, Any]], tmp_path: Path) -> None:
    for fmt in ("csv", "html"):
        out = tmp_path / f"c.{fmt}"
        done = cli(
            "report", "campaign", "--from", "2026-11-01", "--to", "2026-11-30",
            "--unit", "测试局", "-f", fmt, "-o", str(out), "--at", LATER,
        )  # fmt: skip
        assert done.code == 0, done.stderr
        text = out.read_text("utf-8-sig")
        assert "建筑企业" in text
    rows = list(csv.reader((tmp_path / "c.csv").read_text("utf-8-sig").splitlines()))
    assert rows[1][0] == "合计"
    assert int(rows[1][2]) == len({r["employer"]["uscc"] for r in stored})


def test_campaign_bad_arguments(cli: Any, stored: list[dict[str, Any]], tmp_path: Path) -> None:
    out = str(tmp_path / "c.xlsx")
    no_unit = cli(
        "report", "campaign", "--from", "2026-11-01", "--to", "2026-11-30", "-f", "xlsx", "-o", out
    )
    assert no_unit.code == 2
    assert "--unit" in no_unit.stderr
    bad_day = cli(
        "report",
        "campaign",
        "--from",
        "2026-11-31",
        "--to",
        "2026-11-30",
        "--unit",
        "x",
        "-f",
        "xlsx",
        "-o",
        out,
    )
    assert bad_day.code == 2
    backwards = cli(
        "report", "campaign", "--from", "2026-11-30", "--to", "2026-11-01", "--unit", "x",
        "-f", "xlsx", "-o", out, "--at", LATER,
    )  # fmt: skip
    assert backwards.code == 1
    assert "period_to" in backwards.stderr
    assert not Path(out).exists()
    no_format = cli("report", "campaign", "--from", "2026-11-01", "--to", "2026-11-30", "-o", out)
    assert no_format.code == 2


def test_ledger_per_region(cli: Any, stored: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    done = cli(
        "report", "ledger", "--region", "140302", "--from", "2026-11-01", "--to", "2026-11-30",
        "-f", "csv", "-o", str(out), "--at", LATER,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    body = [r for r in rows[1:] if r[0].isdigit()]
    refs = sorted(r[1] for r in body)
    assert refs == sorted(r["ref"] for r in stored if r["region"] == "140302")
    assert rows[-1][0] == "合计"
    # default period: the month of --at
    xlsx = tmp_path / "ledger.xlsx"
    done = cli(
        "report", "ledger", "--region", "140300", "-f", "xlsx", "-o", str(xlsx), "--at", LATER
    )
    assert done.code == 0, done.stderr
    assert "2026-12-01 – 2026-12-02" in done.stderr
    sheet = openpyxl.load_workbook(xlsx).active
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(r["ref"] in texts for r in stored if r["region"] == "140311")
    html = tmp_path / "ledger.html"
    assert (
        cli("report", "ledger", "--unit", "局", "-f", "html", "-o", str(html), "--at", LATER).code
        == 0
    )
    assert "欠薪案件台账" in html.read_text("utf-8")
