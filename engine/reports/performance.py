"""The performance ranking (按期办结率排名, 红黑榜) as tables, XLSX and CSV. Pure: it lays out a
:class:`~zhiqian.engine.performance_views.Performance` the engine measured.

One sheet per measure, the offices of one level ranked by it (docs/performance.md):
按期办结率 (with the 红黑榜 mark), 超期未办结, 办理用时, 受理案件, 延期与升级, then the
红黑榜 itself, the handlers, the clock kinds, the employer categories, the monthly trend and the
lights now. The CSV is the first table with every measure as a column.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from zhiqian.engine.performance_views import Figures, Performance, light_label
from zhiqian.engine.reports._out import (
    BODY_FONT,
    BOLD_FONT,
    BOX,
    CENTER,
    LEFT,
    atomic_file,
    csv_text,
    put_text,
    write_csv_rows,
)

__all__ = [
    "LEVEL_LABELS",
    "LIST_LABELS",
    "RankedTable",
    "performance_tables",
    "ranking_title",
    "write_performance_csv",
    "write_performance_xlsx",
]

LEVEL_LABELS: Final = {"county": "县级", "city": "市级", "province": "省级"}
LIST_LABELS: Final = {"red": "红榜", "black": "黑榜"}


@dataclass(frozen=True, slots=True)
class RankedTable:
    """One sheet: a title, the column headers and the rows (text cells, already formatted)."""

    title: str
    note: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _num(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def ranking_title(perf: Performance, level: str) -> str:
    return (
        f"{LEVEL_LABELS.get(level, level)}单位按期办结情况排名"
        f"（{perf.period_from:%Y-%m-%d} 至 {perf.period_to:%Y-%m-%d}）"
    )


def _ranked_by(
    offices: Sequence[Figures],
    value: Callable[[Figures], float | int | None],
    *,
    higher_is_better: bool,
) -> list[tuple[int | None, Figures]]:
    """Rank by one measure (competition ranking: equal values share a place); no value: last."""
    have = [f for f in offices if value(f) is not None]
    missing = [f for f in offices if value(f) is None]

    def key(f: Figures) -> tuple[float, str]:
        v = float(value(f) or 0)
        return (-v if higher_is_better else v, f.key)

    ordered = sorted(have, key=key)
    out: list[tuple[int | None, Figures]] = []
    for i, f in enumerate(ordered):
        if i and value(f) == value(ordered[i - 1]):
            out.append((out[-1][0], f))
        else:
            out.append((i + 1, f))
    out.extend((None, f) for f in sorted(missing, key=lambda f: f.key))
    return out


def _office_table(
    title: str,
    note: str,
    offices: Sequence[Figures],
    value: Callable[[Figures], float | int | None] | None,
    higher_is_better: bool,
    columns: Sequence[tuple[str, Callable[[Figures], str]]],
) -> RankedTable:
    """``value`` None: the offices' own ranking (按期办结率, as the engine ranked them)."""
    ranked = (
        [(f.rank, f) for f in offices]
        if value is None
        else _ranked_by(offices, value, higher_is_better=higher_is_better)
    )
    rows = tuple(
        (
            "" if rank is None else str(rank),
            f.key,
            f.name,
            *(cell(f) for _, cell in columns),
        )
        for rank, f in ranked
    )
    return RankedTable(title, note, ("名次", "区划代码", "单位", *(h for h, _ in columns)), rows)


def _figure_table(title: str, note: str, head: str, figures: Sequence[Figures]) -> RankedTable:
    rows = tuple(
        (
            "" if f.rank is None else str(f.rank),
            f.name,
            str(f.ended),
            str(f.met),
            str(f.late),
            _pct(f.on_time_rate),
            str(f.running),
            str(f.overdue),
            _num(f.workdays_used_avg),
            _num(f.workdays_used_p90),
            _num(f.workdays_allowed_avg),
        )
        for f in figures
    )
    headers = (
        "名次",
        head,
        "办结",
        "按期办结",
        "超期办结",
        "按期办结率",
        "期末在办",
        "期末超期",
        "平均用时（工作日）",
        "用时90分位",
        "平均时限（工作日）",
    )
    return RankedTable(title, note, headers, rows)


def performance_tables(perf: Performance, level: str = "county") -> list[RankedTable]:
    """Every sheet of the ranking of the offices at ``level``."""
    offices = perf.offices_at(level)
    thresholds = (
        f"红榜：按期办结率不低于{float(perf.red_list) * 100:g}%；黑榜：低于"
        f"{float(perf.black_list) * 100:g}%；办结不足{perf.min_ended}件不上榜"
    )
    rules = sorted({k for f in offices for k in f.escalations})
    tables = [
        _office_table(
            "按期办结率",
            f"按期办结率 = 按期办结 ÷ 办结（期内结束的计时）。{thresholds}。",
            offices,
            None,
            True,
            [
                ("办结", lambda f: str(f.ended)),
                ("按期办结", lambda f: str(f.met)),
                ("超期办结", lambda f: str(f.late)),
                ("按期办结率", lambda f: _pct(f.on_time_rate)),
                ("红黑榜", lambda f: LIST_LABELS.get(f.listed or "", "")),
            ],
        ),
        _office_table(
            "超期未办结",
            "期末仍在计时、已过期限的计时（少者在前）；待决事项超期：负责人审批等决定逾期未作出。",
            offices,
            lambda f: f.overdue,
            False,
            [
                ("期末在办", lambda f: str(f.running)),
                ("期末超期", lambda f: str(f.overdue)),
                ("待决事项超期", lambda f: str(f.decisions_overdue)),
            ],
        ),
        _office_table(
            "办理用时",
            "用时：自计时次日起至结束日的工作日数；时限：至期限日的工作日数（含中止与延期）。",
            offices,
            lambda f: f.workdays_used_avg,
            False,
            [
                ("平均用时（工作日）", lambda f: _num(f.workdays_used_avg)),
                ("用时90分位", lambda f: _num(f.workdays_used_p90)),
                ("平均时限（工作日）", lambda f: _num(f.workdays_allowed_avg)),
            ],
        ),
        _office_table(
            "受理案件",
            "期内收到的案件，计入受理时所在单位。",
            offices,
            lambda f: f.received,
            True,
            [("受理案件", lambda f: str(f.received))],
        ),
        _office_table(
            "延期与升级",
            "延期：期内办结的计时获批的延期次数；升级：期内触发的升级处置规则；回头看发现未支付：重新处理次数。",
            offices,
            lambda f: f.escalations_total,
            False,
            [
                ("延期", lambda f: str(f.extensions)),
                ("升级处置合计", lambda f: str(f.escalations_total)),
                *((rule, _escalation_cell(rule)) for rule in rules),
                ("回头看发现未支付", lambda f: str(f.found_unpaid)),
            ],
        ),
    ]
    listed = [f for f in offices if f.listed]
    tables.append(
        RankedTable(
            "红黑榜",
            thresholds,
            ("榜单", "名次", "区划代码", "单位", "按期办结率", "办结"),
            tuple(
                (
                    LIST_LABELS[f.listed or ""],
                    "" if f.rank is None else str(f.rank),
                    f.key,
                    f.name,
                    _pct(f.on_time_rate),
                    str(f.ended),
                )
                for f in sorted(listed, key=lambda f: (f.listed != "red", f.rank or 0))
            ),
        )
    )
    tables.append(
        _figure_table("办案人员", "按结束计时的那次操作的记录人统计。", "办案人员", perf.handlers)
    )
    tables.append(_figure_table("时限类别", "每类计时（规则包的时限）。", "时限", perf.clocks))
    tables.append(_figure_table("企业类别", "按用人单位类别。", "企业类别", perf.categories))
    tables.append(
        RankedTable(
            "月度趋势",
            "按计时结束的月份。",
            ("月份", "受理案件", "办结", "按期办结", "按期办结率"),
            tuple(
                (p.month, str(p.received), str(p.ended), str(p.met), _pct(p.on_time_rate))
                for p in perf.trend
            ),
        )
    )
    totals = perf.light_totals()
    tables.append(
        RankedTable(
            "灯色分布",
            f"截至 {perf.as_of:%Y-%m-%d %H:%M} UTC，按案件最严重的在办计时。",
            ("灯色", "案件数"),
            tuple((light_label(light), str(n)) for light, n in totals.items()),
        )
    )
    return tables


def _escalation_cell(rule: str) -> Callable[[Figures], str]:
    return lambda f: str(f.escalations.get(rule, 0))


def write_performance_xlsx(
    perf: Performance, path: str | os.PathLike[str], *, level: str = "county"
) -> Path:
    """One sheet per table of :func:`performance_tables`; numbers stay text as printed."""
    from openpyxl import Workbook

    tables = performance_tables(perf, level)

    def write(temp: Path) -> None:
        book = Workbook()
        first = book.active
        assert first is not None
        book.remove(first)
        for table in tables:
            sheet = book.create_sheet(table.title[:31])
            put_text(sheet.cell(1, 1), f"{ranking_title(perf, level)} · {table.title}")
            sheet.cell(1, 1).font = BOLD_FONT
            put_text(sheet.cell(2, 1), table.note)
            sheet.cell(2, 1).font = BODY_FONT
            sheet.cell(2, 1).alignment = LEFT
            for col, head in enumerate(table.headers, start=1):
                cell = sheet.cell(3, col)
                put_text(cell, head)
                cell.font, cell.border, cell.alignment = BOLD_FONT, BOX, CENTER
                sheet.column_dimensions[cell.column_letter].width = max(10, 2 * len(head) + 2)
            for r, row in enumerate(table.rows, start=4):
                for col, text in enumerate(row, start=1):
                    cell = sheet.cell(r, col)
                    put_text(cell, text)
                    cell.font, cell.border = BODY_FONT, BOX
            sheet.freeze_panes = "A4"
        book.save(temp)

    return atomic_file(path, write)


def write_performance_csv(
    perf: Performance, path: str | os.PathLike[str], *, level: str = "county"
) -> Path:
    """The offices at ``level`` ranked by on-time rate, every measure a column."""
    offices = perf.offices_at(level)
    rules = sorted({k for f in offices for k in f.escalations})
    header = [
        "名次",
        "区划代码",
        "单位",
        "受理案件",
        "办结",
        "按期办结",
        "超期办结",
        "按期办结率",
        "期末在办",
        "期末超期",
        "平均用时（工作日）",
        "用时90分位",
        "平均时限（工作日）",
        "延期",
        *(f"升级:{r}" for r in rules),
        "待决事项超期",
        "回头看发现未支付",
        "红黑榜",
    ]
    rows = [header]
    for f in offices:
        rows.append(
            [
                "" if f.rank is None else str(f.rank),
                f.key,
                csv_text(f.name),
                str(f.received),
                str(f.ended),
                str(f.met),
                str(f.late),
                "" if f.on_time_rate is None else f"{f.on_time_rate:.4f}",
                str(f.running),
                str(f.overdue),
                _num(f.workdays_used_avg),
                _num(f.workdays_used_p90),
                _num(f.workdays_allowed_avg),
                str(f.extensions),
                *(str(f.escalations.get(r, 0)) for r in rules),
                str(f.decisions_overdue),
                str(f.found_unpaid),
                LIST_LABELS.get(f.listed or "", ""),
            ]
        )
    return write_csv_rows(path, rows)
