"""案件台账: the case ledger an office reports upward every month (by the 28th in Yangquan 2019).

Which cases
    A ledger keeps a case until it is solved (欠薪问题不解决不销账): a case is on the ledger of a
    period when it was received on or before ``period_to`` and was still open on ``period_from``
    (not closed, or closed on or after that day). So last month's open cases reappear, and a case
    closed during the period shows its 办结日期 once. Cases in ``exclude_states`` (default
    ``dismissed``, 不予受理: not a wage matter) are left out. ``region`` keeps the division and its
    children (``140300`` keeps ``1403xx``); ``None`` keeps all.

Figures
    Per-case figures are in persons and yuan (to the fen): a ledger lists cases, and its totals are
    exact sums, so nothing needs rounding. Rows are in order of receipt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle
from openpyxl.utils import get_column_letter

from zhiqian.engine.reports._case import (
    CHINA_TZ,
    ReportCase,
    check_arguments,
    check_cases,
    region_matches,
)
from zhiqian.engine.reports._out import (
    BODY_FONT,
    BOLD_FONT,
    BOX,
    CENTER,
    LEFT,
    atomic_file,
    cn_date,
    csv_text,
    esc,
    header_cells,
    html_page,
    put_text,
    write_csv_rows,
    write_text,
)
from zhiqian.errors import FieldProblem, InvalidIntake

__all__ = [
    "LEDGER_COLUMNS",
    "LEDGER_TITLE",
    "Ledger",
    "LedgerRow",
    "LedgerTotals",
    "ledger",
    "write_ledger_csv",
    "write_ledger_html",
    "write_ledger_xlsx",
]

LEDGER_TITLE: Final = "欠薪案件台账"

#: Header path of each ledger column (outermost first) and its width in the worksheet.
LEDGER_COLUMNS: Final[tuple[tuple[tuple[str, ...], float], ...]] = (
    (("序号",), 6),
    (("案件编号",), 18),
    (("受理日期",), 12),
    (("属地",), 16),
    (("用人单位",), 26),
    (("项目",), 24),
    (("涉及人数(人)", "合计"), 8),
    (("涉及人数(人)", "其中：农民工"), 8),
    (("拖欠金额(元)", "合计"), 14),
    (("拖欠金额(元)", "其中：农民工"), 14),
    (("当前状态",), 10),
    (("包案领导",), 10),
    (("是否立案",), 9),
    (("追发金额(元)",), 14),
    (("办结日期",), 12),
    (("超期时限",), 22),
)
_YUAN_FORMAT = "#,##0.00"
_DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One case on the ledger."""

    seq: int
    case_id: int
    ref: str
    received_on: date
    region: str
    region_name: str
    employer_name: str
    project_name: str | None
    workers: int
    migrant_workers: int
    amount: Decimal
    migrant_amount: Decimal
    state_label: str
    leader: str | None
    filed: bool
    recovered_amount: Decimal
    closed_on: date | None
    overdue_clocks: tuple[str, ...]

    @property
    def place(self) -> str:
        """属地 as printed: name and code."""
        return f"{self.region_name}（{self.region}）"

    @property
    def overdue_text(self) -> str:
        return "、".join(self.overdue_clocks)


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """The 合计 row: exact sums and counts."""

    cases: int
    workers: int
    migrant_workers: int
    amount: Decimal
    migrant_amount: Decimal
    filed: int
    recovered_amount: Decimal
    closed: int
    overdue: int
    """Cases with at least one breached time limit."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Ledger:
    title: str
    unit_name: str
    region: str | None
    period_from: date
    period_to: date
    made_at: datetime
    tz: tzinfo
    rows: tuple[LedgerRow, ...]
    totals: LedgerTotals

    @property
    def made_on(self) -> date:
        return self.made_at.astimezone(self.tz).date()

    def meta(self) -> tuple[str, ...]:
        """The lines under the title: unit, region, period, date made."""
        return (
            f"填报单位：{self.unit_name}",
            f"属地范围：{self.region if self.region is not None else '全部'}",
            f"统计期间：{cn_date(self.period_from)}至{cn_date(self.period_to)}",
            f"制表时间：{cn_date(self.made_on)}",
        )

    def total_texts(self) -> tuple[str, str, str, str]:
        """Texts for the 合计 row's 案件编号, 是否立案, 办结日期 and 超期时限 cells."""
        t = self.totals
        return f"共{t.cases}件", f"立案{t.filed}件", f"办结{t.closed}件", f"超期{t.overdue}件"


def ledger(
    cases: Iterable[ReportCase],
    *,
    region: str | None,
    period_from: date,
    period_to: date,
    made_at: datetime,
    tz: tzinfo = CHINA_TZ,
    unit_name: str = "",
    exclude_states: frozenset[str] = frozenset({"dismissed"}),
    title: str = LEDGER_TITLE,
) -> Ledger:
    """The case ledger of ``region`` for the period (see the module docstring for which cases).

    Raises :class:`~zhiqian.errors.InvalidIntake` naming each bad argument or record.
    """
    problems = check_arguments(period_from=period_from, period_to=period_to, made_at=made_at)
    region_given: object = region
    if region_given is not None and (
        not isinstance(region_given, str) or len(region_given) != 6 or not region_given.isdigit()
    ):
        problems.append(FieldProblem("region", region, "must be a 6-digit 行政区划代码 or None"))
    unit_given: object = unit_name
    if not isinstance(unit_given, str):
        problems.append(FieldProblem("unit_name", unit_name, "must be a string"))
    records = check_cases(cases, problems)
    if problems:
        raise InvalidIntake(problems)

    def on_ledger(case: ReportCase) -> bool:
        if case.state in exclude_states:
            return False
        if region is not None and not region_matches(case.region, region):
            return False
        closed = case.closed_on(tz)
        return case.received_on(tz) <= period_to and (closed is None or closed >= period_from)

    chosen = sorted(filter(on_ledger, records), key=lambda c: (c.received_at, c.ref, c.id))
    rows = tuple(
        LedgerRow(
            seq=seq,
            case_id=c.id,
            ref=c.ref,
            received_on=c.received_on(tz),
            region=c.region,
            region_name=c.region_name,
            employer_name=c.employer_name,
            project_name=c.project_name,
            workers=c.workers,
            migrant_workers=c.migrant_workers,
            amount=c.amount,
            migrant_amount=c.migrant_amount,
            state_label=c.state_label,
            leader=c.leader,
            filed=c.filed,
            recovered_amount=c.recovered_amount,
            closed_on=c.closed_on(tz),
            overdue_clocks=c.overdue_clocks,
        )
        for seq, c in enumerate(chosen, start=1)
    )
    totals = LedgerTotals(
        cases=len(rows),
        workers=sum(r.workers for r in rows),
        migrant_workers=sum(r.migrant_workers for r in rows),
        amount=sum((r.amount for r in rows), Decimal("0.00")),
        migrant_amount=sum((r.migrant_amount for r in rows), Decimal("0.00")),
        filed=sum(1 for r in rows if r.filed),
        recovered_amount=sum((r.recovered_amount for r in rows), Decimal("0.00")),
        closed=sum(1 for r in rows if r.closed_on is not None),
        overdue=sum(1 for r in rows if r.overdue_clocks),
    )
    return Ledger(
        title=title,
        unit_name=unit_name.strip(),
        region=region,
        period_from=period_from,
        period_to=period_to,
        made_at=made_at,
        tz=tz,
        rows=rows,
        totals=totals,
    )


_Cell = str | int | Decimal | date | None


def _row_values(row: LedgerRow) -> list[_Cell]:
    return [
        row.seq,
        row.ref,
        row.received_on,
        row.place,
        row.employer_name,
        row.project_name or "",
        row.workers,
        row.migrant_workers,
        row.amount,
        row.migrant_amount,
        row.state_label,
        row.leader or "",
        "是" if row.filed else "否",
        row.recovered_amount,
        row.closed_on,
        row.overdue_text,
    ]


def _total_values(book: Ledger) -> list[_Cell]:
    t = book.totals
    cases, filed, closed, overdue = book.total_texts()
    return [
        "合计",
        cases,
        None,
        None,
        None,
        None,
        t.workers,
        t.migrant_workers,
        t.amount,
        t.migrant_amount,
        None,
        None,
        filed,
        t.recovered_amount,
        closed,
        overdue,
    ]


def _text(value: _Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_ledger_xlsx(book: Ledger, path: str | os.PathLike[str]) -> Path:
    """The ledger as one worksheet: title, meta line, two header rows, one row per case, 合计.

    Dates are Excel dates, amounts numbers with ``#,##0.00``; text cells never turn into formulas.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "案件台账"
    width = len(LEDGER_COLUMNS)
    put_text(ws["A1"], book.title)
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 30
    spans = ((1, 4), (5, 6), (7, 11), (12, width))
    for (first, last), text in zip(spans, book.meta(), strict=True):
        put_text(ws.cell(row=2, column=first), text)
        ws.cell(row=2, column=first).font = BODY_FONT
        ws.cell(row=2, column=first).alignment = LEFT
        ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)

    top = 3
    depth, cells = header_cells([p for p, _ in LEDGER_COLUMNS])
    for hc in cells:
        row, col = top + hc.row, 1 + hc.col
        put_text(ws.cell(row=row, column=col), hc.text)
        if hc.rowspan > 1 or hc.colspan > 1:
            ws.merge_cells(
                start_row=row,
                start_column=col,
                end_row=row + hc.rowspan - 1,
                end_column=col + hc.colspan - 1,
            )
    first_data = top + depth
    for row_cells in ws.iter_rows(min_row=top, max_row=first_data - 1, min_col=1, max_col=width):
        for cell in row_cells:
            cell.border = BOX
            cell.font = BOLD_FONT
            cell.alignment = CENTER
    # One named style per kind of cell: assigning four style attributes to each of a hundred
    # thousand cells costs openpyxl about a millisecond a cell, a named style a few microseconds.
    styles = _add_styles(wb)
    lines = [_row_values(r) for r in book.rows] + [_total_values(book)]
    last_row = first_data + len(lines) - 1
    for offset, values in enumerate(lines):
        row = first_data + offset
        bold = row == last_row
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                put_text(cell, value)
            else:
                cell.value = value
            cell.style = styles[_style_kind(value), bold]
    for col, (_, col_width) in enumerate(LEDGER_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = col_width
    ws.row_dimensions[top].height = 22
    ws.row_dimensions[top + 1].height = 22
    ws.freeze_panes = ws.cell(row=first_data, column=3)
    if book.rows:
        ws.auto_filter.ref = f"A{first_data - 1}:{get_column_letter(width)}{last_row - 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{top}:{first_data - 1}"
    return atomic_file(path, wb.save)


_STYLE_KINDS: Final[dict[str, tuple[str, Alignment]]] = {
    "text": ("General", LEFT),
    "count": ("0", Alignment(horizontal="right", vertical="center")),
    "yuan": (_YUAN_FORMAT, Alignment(horizontal="right", vertical="center")),
    "date": (_DATE_FORMAT, Alignment(horizontal="center", vertical="center")),
}


def _style_kind(value: _Cell) -> str:
    if isinstance(value, Decimal):
        return "yuan"
    if isinstance(value, date):
        return "date"
    if isinstance(value, int):
        return "count"
    return "text"


def _add_styles(wb: Workbook) -> dict[tuple[str, bool], str]:
    names: dict[tuple[str, bool], str] = {}
    for kind, (number_format, alignment) in _STYLE_KINDS.items():
        for bold in (False, True):
            name = f"台账-{kind}{'-合计' if bold else ''}"
            wb.add_named_style(
                NamedStyle(
                    name=name,
                    font=BOLD_FONT if bold else BODY_FONT,
                    border=BOX,
                    alignment=alignment,
                    number_format=number_format,
                )
            )
            names[kind, bold] = name
    return names


def ledger_csv_header() -> list[str]:
    return ["-".join(path) for path, _ in LEDGER_COLUMNS]


def write_ledger_csv(book: Ledger, path: str | os.PathLike[str]) -> Path:
    """One header row (``涉及人数(人)-合计`` …), one row per case, then 合计. UTF-8 with BOM.

    Text fields that a spreadsheet would run as a formula are prefixed with ``'``.
    """
    rows = [ledger_csv_header()]
    for values in [_row_values(r) for r in book.rows] + [_total_values(book)]:
        rows.append([csv_text(_text(v)) if isinstance(v, str) else _text(v) for v in values])
    return write_csv_rows(path, rows)


def render_ledger_html(book: Ledger) -> str:
    depth, cells = header_cells([p for p, _ in LEDGER_COLUMNS])
    head_rows: list[list[str]] = [[] for _ in range(depth)]
    for hc in cells:
        spans = (f' rowspan="{hc.rowspan}"' if hc.rowspan > 1 else "") + (
            f' colspan="{hc.colspan}"' if hc.colspan > 1 else ""
        )
        head_rows[hc.row].append(f'<th scope="col"{spans}>{esc(hc.text)}</th>')
    head = "".join(f"<tr>{''.join(r)}</tr>\n" for r in head_rows)

    def tr(values: list[_Cell], css: str) -> str:
        tds = "".join(
            f'<td class="num">{esc(_text(v))}</td>'
            if isinstance(v, (int, Decimal))
            else f"<td>{esc(_text(v))}</td>"
            for v in values
        )
        return f'<tr class="{css}">{tds}</tr>\n'

    body = "".join(tr(_row_values(r), "case") for r in book.rows)
    body += tr(_total_values(book), "total")
    meta = "".join(f"<span>{esc(m)}</span>" for m in book.meta())
    content = (
        f"<h1>{esc(book.title)}</h1>\n"
        f'<div class="meta">{meta}</div>\n'
        f'<table class="ledger">\n<thead>\n{head}</thead>\n<tbody>\n{body}</tbody>\n</table>'
    )
    return html_page(book.title, content)


def write_ledger_html(book: Ledger, path: str | os.PathLike[str]) -> Path:
    return write_text(path, render_ledger_html(book))
