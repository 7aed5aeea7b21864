"""What every ``zhiqian`` command shares: output formats, tables, errors and exit codes, progress.

Conventions (documented in docs/cli.md; scripts rely on them):

- stdout carries the command's product — a table, JSON, or CSV; nothing else is written there;
- stderr carries everything for a human (summaries, warnings, errors, progress bars);
- exit 0 success, 1 refused (a ``ZhiqianError``: invalid input, illegal transition, failed check,
  tampered audit log, unusable database), 2 bad usage (unknown option, bad value, missing file);
- in JSON mode an error is one JSON object on stderr: ``{"error": {"type", "message", "problems"}}``.

Only the standard library is imported at module level: rich is imported when a table or a progress
bar is drawn, so ``zhiqian --help`` stays cheap.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zhiqian.text import csv_cell, terminal_text

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "Column",
    "Format",
    "OutputState",
    "error_payload",
    "human_duration",
    "local_time",
    "make_console",
    "print_error",
    "print_json",
    "print_listing",
    "progress",
    "to_jsonable",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

Format = Literal["table", "json", "csv"]


@dataclass(slots=True)
class OutputState:
    """Per-invocation settings shared by the root callback and the command that runs."""

    db: str = ""
    rules: str = ""
    json_mode: bool = False  # set by a command once its --format is known; errors follow it


# --------------------------------------------------------------------------------- JSON and CSV


def to_jsonable(value: Any) -> Any:
    """Values as JSON writes them: amounts as decimal strings (never floats), times as ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(to_jsonable(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def json_text(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)


def print_json(value: Any, *, stderr: bool = False) -> None:
    stream = sys.stderr if stderr else sys.stdout
    stream.write(json_text(value) + "\n")
    stream.flush()


def _csv_cell(value: Any) -> str:
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return csv_cell(";".join(str(v) for v in value))
    return csv_cell(str(value))  # an employer named "=HYPERLINK(…)" stays a name


# --------------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a listing: ``key`` in JSON and as the CSV header, ``header`` in the table."""

    key: str
    header: str
    justify: Literal["left", "right"] = "left"
    text: Callable[[Any], str] | None = None  # how the table shows the value (default: str)


def make_console(*, stderr: bool = False) -> Console:
    """A rich console that never interprets markup in our data (a summary may hold ``[紧急]``).

    On a pipe rich would assume 80 columns and wrap Chinese cells; a table written to a file or
    another program is laid out at its natural width instead (``COLUMNS`` still wins).
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width: int | None = None
    if not stream.isatty():
        width = int(os.environ.get("COLUMNS") or 0) or 400
    return Console(
        file=stream,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


def cell_text(column: Column, value: Any) -> str:
    # ESC, CR or a bidi override in an actor, reason or leader must not steer the terminal.
    return terminal_text(_cell_text(column, value))


def _cell_text(column: Column, value: Any) -> str:
    if column.text is not None:
        return column.text(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def render_table(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
) -> Any:
    """A rich Table; rich measures cells by display width, so Chinese text lines up."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title,
        caption=caption,
        box=box.SQUARE,
        show_lines=False,
        header_style="bold",
        title_justify="left",
        caption_justify="left",
    )
    for column in columns:
        table.add_column(column.header, justify=column.justify, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell_text(c, row.get(c.key))) for c in columns))
    return table


def print_listing(
    fmt: Format,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    json_rows: Any = None,
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Write a listing in ``fmt``: JSON (``json_rows`` or the rows), CSV (keys as header), table."""
    if fmt == "json":
        print_json(rows if json_rows is None else json_rows)
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([_csv_cell(row.get(c.key)) for c in columns])
        sys.stdout.flush()
        return
    make_console().print(render_table(columns, rows, title=title, caption=caption))


# --------------------------------------------------------------------------------- durations, times


def human_duration(seconds: float | None) -> str:
    """``3天4小时``, ``45分钟``; a negative value reads ``超期 1天2小时``."""
    if seconds is None:
        return "—"
    over = seconds < 0
    left = int(abs(seconds))
    days, left = divmod(left, 86_400)
    hours, left = divmod(left, 3_600)
    minutes = left // 60
    parts = []
    if days:
        parts.append(f"{days}天")
    if hours:
        parts.append(f"{hours}小时")
    if minutes and not days:
        parts.append(f"{minutes}分钟")
    text = "".join(parts) or "不足1分钟"
    return f"超期 {text}" if over else text


def local_time(value: datetime | None, tz: tzinfo) -> str:
    """A stored (UTC) time as a clerk reads it: ``2019-11-15 09:30`` in the pack's zone."""
    if value is None:
        return "—"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------------- errors


def _problem(problem: Any, record: int | None = None) -> dict[str, Any]:
    from zhiqian import FieldProblem, RuleProblem

    if isinstance(problem, FieldProblem):
        out: dict[str, Any] = {}
        if record is not None:
            out["record"] = record
        out.update(field=problem.field, value=problem.value, problem=problem.problem)
        return out
    if isinstance(problem, RuleProblem):
        return {"file": problem.file, "line": problem.line, "message": problem.message}
    return {"message": str(problem)}


def error_payload(exc: BaseException, *, message: str | None = None) -> dict[str, Any]:
    """``{"error": {"type", "message", "problems", …}}`` for any error the CLI reports."""
    from zhiqian import errors

    body: dict[str, Any] = {"type": type(exc).__name__, "message": message or str(exc)}
    problems: list[dict[str, Any]] = []
    if isinstance(exc, errors.InvalidIntake):
        problems = [_problem(p, exc.record) for p in exc.problems]
    elif isinstance(exc, errors.RuleError):
        problems = [_problem(p) for p in exc.problems]
    elif isinstance(exc, errors.AuditError):
        problems = [{"message": f} for f in exc.findings]
    elif isinstance(exc, errors.TransitionRefused):
        body.update(case=exc.case, event=exc.event, state=exc.state)
    elif isinstance(exc, errors.CaseNotFound):
        body.update(case=exc.case)
    elif isinstance(exc, errors.DuplicateCase):
        body.update(ref=exc.ref, existing=exc.existing)
    elif isinstance(exc, errors.ConflictError):
        body.update(case=exc.case, expected=exc.expected)
    body["problems"] = problems
    return {"error": to_jsonable(body)}


def print_error(exc: BaseException, *, json_mode: bool, message: str | None = None) -> None:
    """Report an error on stderr: one JSON object, or lines a clerk can read (no traceback)."""
    if json_mode:
        print_json(error_payload(exc, message=message), stderr=True)
        return
    from zhiqian import errors

    lines = [f"zhiqian: {type(exc).__name__}: {message or _headline(exc)}"]
    if isinstance(exc, errors.InvalidIntake):
        where = f"record {exc.record}: " if exc.record is not None else ""
        lines += [f"  {where}{p}" for p in exc.problems]
    elif isinstance(exc, errors.RuleError):
        lines += [f"  {p}" for p in exc.problems]
    elif isinstance(exc, errors.AuditError):
        lines += [f"  {f}" for f in exc.findings]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def _headline(exc: BaseException) -> str:
    """The first line of a message whose details are listed below it."""
    from zhiqian import errors

    if isinstance(exc, errors.InvalidIntake):
        n = len(exc.problems)
        return f"invalid input ({n} problem{'s' if n != 1 else ''}); nothing was written"
    if isinstance(exc, errors.RuleError):
        n = len(exc.problems)
        return f"the rule pack is invalid ({n} problem{'s' if n != 1 else ''})"
    if isinstance(exc, errors.AuditError):
        return f"the event log does not verify ({len(exc.findings)} finding(s))"
    return str(exc)


# --------------------------------------------------------------------------------- progress


@contextmanager
def progress(
    description: str, total: int | None, *, enabled: bool
) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while a long command runs — only on a terminal, never for JSON.

    Yields ``advance(n)``; when disabled it is a no-op, so callers need no branches.
    """
    if not enabled or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
