"""Tables that line up in Chinese, the error contract, and the cost of ``zhiqian --help``."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from typer.testing import CliRunner

from zhiqian.engine.cli import app
from zhiqian.engine.cli.output import (
    Column,
    error_payload,
    human_duration,
    make_console,
    render_table,
)
from zhiqian.errors import FieldProblem, InvalidIntake, RuleError, RuleProblem, TransitionRefused
from zhiqian.testing import sample_complaint

AT = "2026-12-01T09:00:00+08:00"
BOX = tuple("┌│├└┏┃┡┗╭")


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(BOX)]


def assert_lines_up(text: str) -> list[str]:
    lines = table_lines(text)
    assert len(lines) >= 4, text
    widths = {cell_len(line) for line in lines}
    assert len(widths) == 1, "\n".join(f"{cell_len(x):4d} {x}" for x in lines)
    return lines


def test_render_table_aligns_mixed_chinese_and_ascii() -> None:
    rows = [
        {"name": "阳泉市城区建筑工程有限公司", "n": 12, "note": "ASCII only"},
        {"name": "A公司", "n": 1234567, "note": "混合 mixed 文本"},
        {"name": "欧阳娜娜", "n": 0, "note": "[紧急] 不是标记"},
    ]
    columns = (Column("name", "用人单位"), Column("n", "人数", "right"), Column("note", "备注"))
    console = make_console()
    with console.capture() as captured:
        console.print(render_table(columns, rows, title="标题"))
    text = captured.get()
    lines = assert_lines_up(text)
    assert "[紧急] 不是标记" in text  # data is never read as rich markup
    assert len(lines) == 4 + len(rows)  # top, header, rule, rows, bottom


def test_case_list_table_lines_up_in_chinese(cli: Any, records_file: Callable[..., Path]) -> None:
    records = [
        sample_complaint(0),
        sample_complaint(1, employer={"name": "A", "uscc": None, "category": "other"}),
        sample_complaint(
            2,
            employer={
                "name": "山西省阳泉市郊区某某某建设集团有限公司第三分公司",
                "uscc": None,
                "category": "construction",
            },
        ),
    ]
    assert cli("case", "add", str(records_file(records)), "--at", AT).code == 0
    out = cli("case", "list").stdout
    lines = assert_lines_up(out)
    assert any("山西省阳泉市郊区某某某建设集团有限公司第三分公司" in line for line in lines)


def test_narrow_terminal_wraps_but_still_lines_up(
    cli: Any, records_file: Callable[..., Path], sqlite_url: str
) -> None:
    records = [
        sample_complaint(
            i,
            employer={
                "name": "阳泉市" + "某" * (5 + i * 7) + "公司",
                "uscc": None,
                "category": "other",
            },
        )
        for i in range(3)
    ]
    assert cli("case", "add", str(records_file(records)), "--at", AT).code == 0
    result = CliRunner(env={"COLUMNS": "72"}).invoke(app, ["--db", sqlite_url, "case", "list"])
    assert result.exit_code == 0
    lines = assert_lines_up(result.stdout)
    assert cell_len(lines[0]) <= 72
    shown = cli("case", "show", "1", "--at", AT).stdout
    assert_lines_up(shown.split("经过 Timeline")[1])


def test_human_duration() -> None:
    assert human_duration(None) == "—"
    assert human_duration(3 * 86_400 + 4 * 3_600 + 59) == "3天4小时"
    assert human_duration(45 * 60) == "45分钟"
    assert human_duration(-(86_400 + 2 * 3_600)) == "超期 1天2小时"
    assert human_duration(20) == "不足1分钟"


def test_error_payloads_carry_the_offending_values() -> None:
    intake = error_payload(InvalidIntake([FieldProblem("workers", -1, "must be >= 1")], record=3))
    assert intake == {
        "error": {
            "type": "InvalidIntake",
            "message": "record 3: workers: must be >= 1 (got -1)",
            "problems": [{"record": 3, "field": "workers", "value": -1, "problem": "must be >= 1"}],
        }
    }
    rule = error_payload(RuleError([RuleProblem("p.yaml", 7, "unknown state 'x'")]))
    assert rule["error"]["problems"] == [
        {"file": "p.yaml", "line": 7, "message": "unknown state 'x'"}
    ]
    refused = error_payload(TransitionRefused(case=5, event="close", state="accepted"))["error"]
    assert (refused["case"], refused["event"], refused["state"]) == (5, "close", "accepted")
    json.dumps(intake, ensure_ascii=False)


def test_usage_errors_are_json_in_json_mode(cli: Any) -> None:
    done = cli("case", "list", "--bogus", "--format", "json")
    assert done.code == 2
    assert done.error()["type"] == "NoSuchOption"
    done = cli("case", "list", "--format=json", "--level", "town")
    assert done.code == 2
    assert "town" in done.error()["message"]
    done = cli("case", "show", "--format", "json")  # missing ID
    assert done.code == 2
    assert done.error()["type"] == "MissingParameter"
    done = cli("case", "list", "--bogus")
    assert done.code == 2
    assert "No such option" in done.stderr
    assert done.stdout == ""


def test_no_command_shows_help_and_exits_2() -> None:
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    assert "Usage" in result.stdout + result.stderr


def test_help_names_the_default_database_and_env() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "sqlite:///zhiqian.db" in result.stdout
    assert "ZHIQIAN_DB" in result.stdout
    assert "ZHIQIAN_RULES" in result.stdout
    for command in (
        "case",
        "db",
        "rules",
        "report",
        "audit",
        "overdue",
        "sweep",
        "notices",
        "daemon",
        "demo",
    ):
        assert command in result.stdout
    add_help = CliRunner().invoke(app, ["case", "add", "--help"], env={"COLUMNS": "200"}).stdout
    assert "STILL WRITTEN" in add_help


def test_version() -> None:
    from zhiqian import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"zhiqian {__version__}"


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = (
        "import sys, zhiqian.engine.cli;"
        "heavy = [m for m in ('sqlalchemy', 'rich', 'openpyxl', 'pydantic', 'rule_engine',"
        " 'zhiqian.engine.engine', 'zhiqian.rules.loader', 'alembic') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def _median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_help_is_within_three_times_importing_sqlalchemy() -> None:
    """Issue 6's budget: ``zhiqian --help`` ≤ 3 × ``python -c "import sqlalchemy"`` (medians)."""
    zhiqian = str(Path(sys.executable).with_name("zhiqian"))
    baseline, helped = [], []
    for _ in range(5):  # interleaved, so a busy moment hits both sides
        baseline.append(_median_seconds([sys.executable, "-c", "import sqlalchemy"], 1))
        helped.append(_median_seconds([zhiqian, "--help"], 1))
    ratio = statistics.median(helped) / statistics.median(baseline)
    assert ratio < 3, f"zhiqian --help took {ratio:.2f}× importing sqlalchemy"


def test_docs_cover_every_command() -> None:
    import typer

    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert "```python" not in docs  # console and JSON only: tests/test_docs.py runs python blocks
    root = typer.main.get_command(app)
    paths: list[str] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        paths += [f"{name} {leaf}" for leaf in sub] if sub else [name]
    missing = [p for p in paths if p not in docs]
    assert not missing, f"docs/cli.md does not mention: {missing}"
