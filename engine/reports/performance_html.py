"""The ranking as one standalone HTML page with its charts inline (SVG), laid out for A4."""

from __future__ import annotations

import os
import re
from pathlib import Path

from zhiqian.engine.performance_views import Performance
from zhiqian.engine.reports._out import esc, html_page, write_text
from zhiqian.engine.reports.performance import RankedTable, performance_tables, ranking_title
from zhiqian.engine.reports.performance_charts import render_charts

__all__ = ["render_performance_html", "write_performance_html"]

# A4 portrait, 15 mm margins: 180 mm of width for tables and charts; charts never split a page.
_PRINT = """
<style>
@page { size: A4 portrait; margin: 15mm; }
.chart svg { width: 100%; max-width: 180mm; height: auto; }
.chart { break-inside: avoid; page-break-inside: avoid; margin: 0.5em 0; }
table { width: 100%; max-width: 180mm; }
td.red { color: #c00000; font-weight: bold; }
td.black { font-weight: bold; }
h2 { font-size: 1.1em; margin-top: 1.2em; break-after: avoid; }
.note { font-size: 0.85em; color: #333; }
@media print { h2 { page-break-after: avoid; } }
</style>
"""
_XML_HEAD = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def _table(table: RankedTable) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in table.headers)
    body = []
    for row in table.rows:
        cells = []
        for text in row:
            cls = "red" if text == "红榜" else "black" if text == "黑榜" else ""
            if not cls and text.replace(".", "").replace("%", "").isdigit():
                cls = "num"
            cells.append(f'<td class="{cls}">{esc(text)}</td>' if cls else f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    rows = "\n".join(body) or f'<tr><td colspan="{len(table.headers)}">（无）</td></tr>'
    return (
        f'<h2>{esc(table.title)}</h2>\n<p class="note">{esc(table.note)}</p>\n'
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
    )


def render_performance_html(perf: Performance, *, level: str = "county") -> str:
    """The page: title, the charts, then every table of :func:`performance_tables`."""
    charts = render_charts(perf, level=level)
    tables = performance_tables(perf, level)
    title = ranking_title(perf, level)
    parts = [
        _PRINT,
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">规则包 {esc(perf.pack)} · 截至 {perf.as_of:%Y-%m-%d %H:%M} UTC · '
        f"计入的时限：{esc('、'.join(perf.counted_clocks))}</p>",
    ]
    for name in ("rates", "trend", "lights"):
        svg = _XML_HEAD.sub("", charts[name])
        parts.append(f'<div class="chart" id="chart-{name}">{svg}</div>')
    parts.extend(_table(t) for t in tables)
    return html_page(title, "\n".join(parts))


def write_performance_html(
    perf: Performance, path: str | os.PathLike[str], *, level: str = "county"
) -> Path:
    return write_text(path, render_performance_html(perf, level=level))
