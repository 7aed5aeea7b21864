"""Writers for 附件2: XLSX laid out like the paper form, flat CSV, standalone HTML.

Every writer prints the displayed figures (``CampaignRow.display``), so the 合计 row adds up in
every format; a figure nobody knows (column 4 where a case lacks it) is an empty cell. Files are written to a temporary name and moved into place: a failure leaves no
half-written report behind.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from zhiqian.engine.reports._campaign import CampaignReport, FormColumn
from zhiqian.engine.reports._out import (
    BODY_FONT,
    BOLD_FONT,
    BOX,
    CENTER,
    LEFT,
    atomic_file,
    cn_date,
    esc,
    header_cells,
    html_page,
    put_text,
    write_csv_rows,
    write_text,
)

__all__ = ["column_paths", "write_csv", "write_html", "write_xlsx"]

#: Worksheet layout: the label column 甲 (A), 序号 (B), then form columns 1–20 (C–V).
_FIRST_FIGURE_COL = 3
_HEADER_TOP = 4


def column_paths(report: CampaignReport) -> list[tuple[str, ...]]:
    """Each column's header path: group, heading with unit, and 合计 / 其中 where the form has it."""
    return [tuple(p for p in (c.group, c.heading, c.sub) if p) for c in report.columns]


def _number_format(report: CampaignReport, column: FormColumn) -> str:
    places = report.places(column)
    return "0" if places == 0 else "0." + "0" * places


def _cell_value(value: Decimal | None, column: FormColumn) -> int | Decimal | None:
    if value is None:  # not known: the cell stays empty, as a clerk leaves it on paper
        return None
    return int(value) if column.kind in ("employers", "cases") else value


def _period_text(report: CampaignReport) -> str:
    return f"统计期间：{cn_date(report.period_from)}至{cn_date(report.period_to)}"


def write_xlsx(report: CampaignReport, path: str | os.PathLike[str]) -> Path:
    """Write 附件2 as one worksheet laid out like the paper form; returns the path.

    Rows: 附件2 / title / 制表单位名称（盖章）, 统计期间, 制表时间 / three header rows (groups,
    headings with units, 合计 / 其中：农民工) / 甲 序号 1–20 / the five rows / 其他情况 /
    signature line / 备注 (1–3 of the form, then what a blank cell means). Figures are numbers
    with a number format; an unknown figure is an empty cell.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "附件2"
    width = _FIRST_FIGURE_COL - 1 + len(report.columns)
    last = get_column_letter(width)

    def line(row: int, first: int, last_col: int, text: str, *, font: Font = BODY_FONT) -> None:
        cell = ws.cell(row=row, column=first)
        put_text(cell, text)
        cell.font = font
        cell.alignment = LEFT
        if last_col > first:
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last_col)

    put_text(ws["A1"], "附件2")
    ws["A1"].font = Font(name="黑体", size=12)
    put_text(ws["A2"], report.title)
    ws["A2"].font = Font(name="宋体", size=16, bold=True)
    ws["A2"].alignment = CENTER
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 30
    line(3, 1, 8, f"制表单位名称（盖章）：{report.unit_name}")
    line(3, 9, 16, _period_text(report))
    line(3, 17, width, f"制表时间：{cn_date(report.made_on)}")
    ws.row_dimensions[3].height = 22

    depth, cells = header_cells(column_paths(report))
    top = _HEADER_TOP
    number_row = top + depth
    for col in (1, 2):
        ws.merge_cells(start_row=top, start_column=col, end_row=number_row - 1, end_column=col)
    for hc in cells:
        row, col = top + hc.row, _FIRST_FIGURE_COL + hc.col
        put_text(ws.cell(row=row, column=col), hc.text)
        if hc.rowspan > 1 or hc.colspan > 1:
            ws.merge_cells(
                start_row=row,
                start_column=col,
                end_row=row + hc.rowspan - 1,
                end_column=col + hc.colspan - 1,
            )
    put_text(ws.cell(row=number_row, column=1), "甲")
    put_text(ws.cell(row=number_row, column=2), "序号")
    for column in report.columns:
        ws.cell(row=number_row, column=_FIRST_FIGURE_COL - 1 + column.number, value=column.number)

    first_data = number_row + 1
    for offset, data in enumerate(report.rows):
        row = first_data + offset
        put_text(ws.cell(row=row, column=1), data.label)
        ws.cell(row=row, column=2, value=data.seq)
        for column, value in zip(report.columns, data.display, strict=True):
            cell = ws.cell(
                row=row,
                column=_FIRST_FIGURE_COL - 1 + column.number,
                value=_cell_value(value, column),
            )
            cell.number_format = _number_format(report, column)
    last_data = first_data + len(report.rows) - 1

    for row in ws.iter_rows(min_row=top, max_row=last_data, min_col=1, max_col=width):
        for cell in row:
            cell.border = BOX
            cell.font = BOLD_FONT if cell.row == first_data else BODY_FONT
            cell.alignment = CENTER
    for row_number in range(first_data, last_data + 1):
        ws.cell(row=row_number, column=1).alignment = LEFT
        for col in range(_FIRST_FIGURE_COL, width + 1):
            ws.cell(row=row_number, column=col).alignment = Alignment(
                horizontal="right", vertical="center"
            )
    ws.row_dimensions[top].height = 24
    ws.row_dimensions[top + 1].height = 84  # the longest heading wraps to five lines
    if depth > 2:
        ws.row_dimensions[top + 2].height = 30
    for row_number in range(number_row, last_data + 1):
        ws.row_dimensions[row_number].height = 20

    below = last_data + 1
    line(below, 1, width, report.other_text())
    ws.row_dimensions[below].height = 66
    spans = ((1, 5), (6, 11), (12, 17), (18, width))
    for (first, last_col), (label, name) in zip(spans, report.signatures.items(), strict=True):
        line(below + 1, first, last_col, f"{label}：{name}")
    ws.row_dimensions[below + 1].height = 24
    for n, note in enumerate(report.notes, start=1):
        line(below + 1 + n, 1, width, ("备注：" if n == 1 else "　　　") + f"{n}.{note}")

    ws.column_dimensions["A"].width = 15
    ws.column_dimensions["B"].width = 6
    for column in report.columns:
        letter = get_column_letter(_FIRST_FIGURE_COL - 1 + column.number)
        ws.column_dimensions[letter].width = 11 if column.kind == "money" else 9.5
    ws.freeze_panes = ws.cell(row=first_data, column=_FIRST_FIGURE_COL)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True

    return atomic_file(path, wb.save)


def csv_header(report: CampaignReport) -> list[str]:
    return ["用人单位类别", "序号", *(c.flat for c in report.columns)]


def write_csv(report: CampaignReport, path: str | os.PathLike[str]) -> Path:
    """One header row (grouped headers flattened, e.g. ``拖欠工资情况-涉及金额(万元)-合计``),
    then the five rows with the displayed figures at the form's precision. UTF-8 with BOM.

    Only the table: 其他情况 and the signature line are in the XLSX and HTML forms.
    """
    rows: list[list[str]] = [csv_header(report)]
    for data in report.rows:
        rows.append(
            [
                data.label,
                str(data.seq),
                *(report.text(v, c) for c, v in zip(report.columns, data.display, strict=True)),
            ]
        )
    return write_csv_rows(path, rows)


def render_html(report: CampaignReport) -> str:
    """The form as a standalone HTML page (every text escaped)."""
    depth, cells = header_cells(column_paths(report))
    head_rows: list[list[str]] = [[] for _ in range(depth)]
    head_rows[0].append(f'<th rowspan="{depth}"></th><th rowspan="{depth}"></th>')
    for hc in cells:
        spans = (f' rowspan="{hc.rowspan}"' if hc.rowspan > 1 else "") + (
            f' colspan="{hc.colspan}"' if hc.colspan > 1 else ""
        )
        head_rows[hc.row].append(f'<th scope="col"{spans}>{esc(hc.text)}</th>')
    numbers = "".join(f"<th>{c.number}</th>" for c in report.columns)
    head = "".join(f"<tr>{''.join(r)}</tr>\n" for r in head_rows)
    head += f'<tr class="numbers"><th>甲</th><th>序号</th>{numbers}</tr>\n'

    body = []
    for data in report.rows:
        figures = "".join(
            f'<td class="num">{esc(report.text(v, c))}</td>'
            for c, v in zip(report.columns, data.display, strict=True)
        )
        css = ' class="total"' if data.key == "total" else ""
        body.append(
            f'<tr{css} data-row="{esc(data.key)}"><th scope="row">{esc(data.label)}</th>'
            f'<td class="seq">{data.seq}</td>{figures}</tr>\n'
        )
    signatures = "".join(
        f"<span>{esc(label)}：{esc(name)}</span>" for label, name in report.signatures.items()
    )
    notes = "".join(
        f"<p>{'备注：' if n == 1 else ''}{n}.{esc(note)}</p>"
        for n, note in enumerate(report.notes, start=1)
    )
    content = (
        '<p class="attachment">附件2</p>\n'
        f"<h1>{esc(report.title)}</h1>\n"
        '<div class="meta">'
        f"<span>制表单位名称（盖章）：{esc(report.unit_name)}</span>"
        f"<span>{esc(_period_text(report))}</span>"
        f"<span>制表时间：{esc(cn_date(report.made_on))}</span></div>\n"
        f'<table class="form">\n<thead>\n{head}</thead>\n<tbody>\n{"".join(body)}</tbody>\n</table>\n'
        f'<p class="other">{esc(report.other_text())}</p>\n'
        f'<div class="signatures">{signatures}</div>\n'
        f'<div class="notes">{notes}</div>'
    )
    return html_page(report.title, content)


def write_html(report: CampaignReport, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8)."""
    return write_text(path, render_html(report))
