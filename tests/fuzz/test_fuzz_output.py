"""Output safety (issue 11, item 7): spreadsheet cells that cannot run, workbooks that one
control character cannot break, terminal text that cannot steer the terminal — the red team's
reproductions through the CLI, then fuzzed text through every writer."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _fuzz_tally import SAMPLE, SLOW, Tally, fuzz_settings, tally
from _fuzz_values import any_text
from hypothesis import given
from openpyxl import Workbook
from rich.console import Console
from typer.testing import CliRunner

from zhiqian import Engine, FrozenClock
from zhiqian.engine.cli import app
from zhiqian.engine.cli.output import Column, render_table
from zhiqian.engine.reports import ReportCase, ledger, write_ledger_csv, write_ledger_xlsx
from zhiqian.engine.reports._out import put_text, write_csv_rows
from zhiqian.testing import sample_complaint
from zhiqian.text import BIDI_CONTROLS, FORMULA_START, csv_cell, terminal_text

CN = timezone(timedelta(hours=8))
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1"]
ESCAPES = ["\x1b[2J\x1b[H", "王\x1b]0;owned\x07", "李\r覆盖", "\u202e司公限有"]


def safe_csv_cell(cell: str) -> bool:
    return not cell.startswith(FORMULA_START) or _plain_number(cell)


def _plain_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return cell.lstrip("+-").replace(".", "", 1).isdigit()


def steers_terminal(text: str) -> bool:
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in BIDI_CONTROLS
        for ch in text
    )


# ------------------------------------------------------------------------ the reproductions


@pytest.fixture
def office(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'out.db'}"
    with Engine.open(
        url, create=True, clock=FrozenClock(datetime(2026, 12, 1, 1, tzinfo=UTC)), escalate=False
    ) as eng:
        for i, name in enumerate(FORMULAS):
            eng.receive(
                sample_complaint(i, employer={**sample_complaint(i)["employer"], "name": name})
            )
    return url


def run_cli(url: str, *args: str) -> str:
    result = CliRunner(env={"COLUMNS": None, "ZHIQIAN_DB": None}).invoke(
        app, ["--db", url, *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_case_list_csv_neutralises_formula_cells(office: str) -> None:
    rows = list(csv.reader(io.StringIO(run_cli(office, "case", "list", "--format", "csv"))))
    cells = [cell for row in rows for cell in row]
    assert all(safe_csv_cell(cell) for cell in cells), [c for c in cells if not safe_csv_cell(c)]
    assert '\'=HYPERLINK("http://evil","x")' in cells


def test_terminal_tables_escape_control_and_bidi_characters() -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    rows = [{"actor": text, "reason": text} for text in ESCAPES]
    console.print(render_table([Column("actor", "人"), Column("reason", "理由")], rows))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert not steers_terminal(shown)
    assert "\\x1b[2J" in shown
    assert "\\u202e" in shown


def _ledger_case(**kw: Any) -> ReportCase:
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
        "employer_uscc": None,
        "employer_category": "construction",
        "workers": 1,
        "migrant_workers": 0,
        "amount": Decimal("10.00"),
        "migrant_amount": Decimal("0.00"),
    }
    base.update(kw)
    return ReportCase(**base)


def _book(leader: str, employer: str = "某公司") -> Any:
    return ledger(
        [_ledger_case(leader=leader, employer_name=employer)],
        region="140300",
        period_from=date(2019, 12, 1),
        period_to=date(2019, 12, 31),
        made_at=datetime(2020, 1, 2, 9, tzinfo=CN),
        unit_name="阳泉市人社局",
    )


def test_a_control_character_in_a_leader_name_does_not_break_the_ledger(tmp_path: Path) -> None:
    book = _book("王\x07副市长\x1b", employer="=cmd|' /C calc'!A0")
    path = write_ledger_xlsx(book, tmp_path / "台账.xlsx")
    sheet = openpyxl.load_workbook(path).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "王副市长" in values
    assert "=cmd|' /C calc'!A0" in values  # kept as text: the cell's type is string
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    with write_ledger_csv(book, tmp_path / "台账.csv").open(encoding="utf-8-sig") as stream:
        rows = list(csv.reader(stream))
    assert all(safe_csv_cell(cell) for row in rows for cell in row)


# ------------------------------------------------------------------------ fuzzed text


def write_everywhere(t: Tally, text: str, folder: Path) -> None:
    try:
        assert safe_csv_cell(csv_cell(text)), csv_cell(text)
        shown = terminal_text(text)
        assert not steers_terminal(shown), shown
        assert not any(unicodedata.category(ch) == "Cs" for ch in shown), (
            "a surrogate reached the terminal"
        )
        path = write_csv_rows(folder / "f.csv", [[text, "x"], ["1", text]])
        with path.open(encoding="utf-8-sig", newline="") as stream:
            cells = [c for row in csv.reader(stream) for c in row]
        assert all(safe_csv_cell(c) for c in cells), cells
        book = Workbook(write_only=False)
        cell = book.active["A1"]
        put_text(cell, text)  # openpyxl refuses an illegal character right here
        assert cell.data_type == "s"  # never a formula
        book.save(io.BytesIO())  # and the workbook can be written
        console = Console(file=io.StringIO(), width=120, color_system=None)
        console.print(render_table([Column("a", "列")], [{"a": text}]))
        assert "\x1b" not in console.file.getvalue()  # type: ignore[attr-defined]
        json.dumps(shown)
    except AssertionError as exc:
        t.crash(exc)
    except Exception as exc:
        t.crash(exc)
    else:
        t.outcome("accepted")


def _run(folder: Path, examples: int, label: str) -> None:
    t = tally(f"output: CSV/XLSX/terminal{label}")

    @fuzz_settings(examples)
    @given(any_text)
    def run(text: str) -> None:
        write_everywhere(t, text, folder)

    run()
    t.check()


def test_fuzzed_text_through_every_writer(tmp_path: Path) -> None:
    _run(tmp_path, SAMPLE, "")


@pytest.mark.slow
def test_fuzzed_text_through_every_writer_slow(tmp_path: Path) -> None:
    _run(tmp_path, SLOW, " (slow)")
