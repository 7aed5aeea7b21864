"""What every report writer shares: atomic files, safe text cells, the sheet look, the HTML page."""

from __future__ import annotations

import csv
import html
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from openpyxl.styles import Alignment, Border, Font, Side

from zhiqian.text import csv_cell, xlsx_text

__all__ = [
    "BODY_FONT",
    "BOLD_FONT",
    "BOX",
    "CENTER",
    "LEFT",
    "HeaderCell",
    "atomic_file",
    "cn_date",
    "csv_text",
    "esc",
    "header_cells",
    "html_page",
    "put_text",
    "write_csv_rows",
    "write_text",
]

BODY_FONT = Font(name="宋体", size=10)
BOLD_FONT = Font(name="宋体", size=10, bold=True)
_THIN = Side(style="thin")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def cn_date(day: date | None) -> str:
    """``2021年12月3日`` as forms print dates; empty for None."""
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def put_text(cell: Any, text: str) -> None:
    """Store ``text`` as a string even when it looks like a formula or an error code.

    openpyxl turns any string starting with ``=`` into a formula; an employer named
    ``=HYPERLINK(…)`` must stay a name. Characters XML cannot hold are dropped: one control
    character in a leader's name must not make the whole workbook unwritable.
    """
    cell.value = xlsx_text(text)
    cell.data_type = "s"


def csv_text(text: str) -> str:
    """Neutralise a text field for spreadsheets (OWASP: prefix a quote to formula starters;
    plain numbers such as ``-12.50`` stay numbers)."""
    return csv_cell(text)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def atomic_file(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then move it into place.

    A failure leaves ``path`` as it was (no half-written report for someone to send upward).
    """
    target = Path(path)
    # Not mkstemp: its 0600 file would keep the report from the group that must read it; a
    # random name that the writer creates itself gets the caller's umask.
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        write(temp)
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            temp.unlink()
        raise
    return target


def write_csv_rows(path: str | os.PathLike[str], rows: Iterable[Sequence[str]]) -> Path:
    """UTF-8 with BOM (Excel then reads Chinese correctly), CRLF line ends (as Excel writes CSV).

    Every cell is neutralised here (:func:`csv_text`), whoever built the rows: a formula in a
    report is never one writer's oversight away. Neutralising twice changes nothing.
    """

    def write(temp: Path) -> None:
        stream: IO[str]
        # A lone surrogate (only a host's own data can hold one) is written as an escape
        # rather than failing the whole report.
        with temp.open("w", encoding="utf-8-sig", newline="", errors="backslashreplace") as stream:
            csv.writer(stream, quoting=csv.QUOTE_MINIMAL).writerows(
                [csv_cell(str(cell)) for cell in row] for row in rows
            )

    return atomic_file(path, write)


_CSS = """
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; margin: 2em; }
h1 { text-align: center; font-size: 1.4em; }
.attachment { font-family: "SimHei", "Heiti SC", sans-serif; }
.meta { display: flex; justify-content: space-between; flex-wrap: wrap; gap: 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #000; padding: 0.25em 0.4em; font-size: 0.9em; }
thead th { font-weight: normal; text-align: center; vertical-align: middle; }
tbody th { font-weight: normal; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.seq { text-align: center; }
tr.total th, tr.total td { font-weight: bold; }
.signatures { display: flex; gap: 3em; flex-wrap: wrap; }
.notes p { margin: 0.2em 0; }
@media print { body { margin: 0; } }
"""


def html_page(title: str, body: str) -> str:
    """A standalone UTF-8 page (no external assets) around ``body`` (already escaped)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8", errors="backslashreplace")

    return atomic_file(path, write)


@dataclass(frozen=True, slots=True)
class HeaderCell:
    """One cell of a grouped header: position among the leaf columns and its spans."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


def header_cells(paths: Sequence[Sequence[str]]) -> tuple[int, list[HeaderCell]]:
    """Lay out grouped headers from each leaf column's path of labels (outermost first).

    Neighbouring leaves that share a prefix share the cell above them; a path shorter than the
    deepest one reaches down to the last header row. Returns (header depth, cells).
    """
    depth = max((len(p) for p in paths), default=0)
    cells: list[HeaderCell] = []
    for level in range(depth):
        i = 0
        while i < len(paths):
            path = paths[i]
            if len(path) <= level:
                i += 1
                continue
            j = i + 1
            while j < len(paths) and tuple(paths[j][: level + 1]) == tuple(path[: level + 1]):
                j += 1
            rowspan = depth - level if len(path) == level + 1 else 1
            cells.append(HeaderCell(level, i, rowspan, j - i, path[level]))
            i = j
    return depth, cells
