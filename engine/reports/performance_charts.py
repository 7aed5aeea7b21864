"""Server-side charts of the ranking: matplotlib's object API (no pyplot, no global figure, no
display), SVG for the HTML page and PNG for a look. Optional: ``pip install 'zhiqian[charts]'``.

Why matplotlib (docs/performance.md): it renders SVG and PNG in-process with no browser, no
JavaScript and no system library (wheels for every platform); ``Figure`` objects are
independent of each other, so a daemon can render in any thread. The cost — about 40 MB with
numpy — is why it is an extra and not a core dependency: an office embedding the engine gets
the measures and the XLSX/CSV without it, and the HTML report says what to install.

Chinese labels: SVG keeps text as text (``svg.fonttype: none``), so the browser or printer
draws it with its own CJK fonts; for PNG a CJK font must be on the machine (the first found of
``CJK_FONTS``), else the glyphs show as boxes — the figures stay right.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from zhiqian.engine.performance_views import Performance, light_label
from zhiqian.errors import ZhiqianError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CHART_NAMES", "CJK_FONTS", "charts_available", "render_chart", "render_charts"]

CJK_FONTS: Final = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
)
CHART_NAMES: Final = ("rates", "trend", "lights")
_LIGHT_COLOURS: Final = {
    "red": "#d62728",
    "yellow": "#f2c200",
    "green": "#2ca02c",
    "grey": "#9e9e9e",
}
_BAR: Final = "#4e79a7"
_RED_LIST: Final = "#c00000"  # 红榜: honour, as the lists are printed
_BLACK_LIST: Final = "#222222"


def charts_available() -> bool:
    """Whether matplotlib can be imported (the ``charts`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _style() -> Iterator[None]:
    try:
        import matplotlib
    except ImportError:
        raise ZhiqianError(
            "the HTML performance report draws its charts with matplotlib, which is not "
            "installed: pip install 'zhiqian[charts]' (or write -f xlsx / -f csv)"
        ) from None
    with (
        matplotlib.rc_context(
            {
                "font.family": "sans-serif",
                "font.sans-serif": list(CJK_FONTS),
                "svg.fonttype": "none",
                "axes.spines.top": False,
                "axes.spines.right": False,
                "font.size": 9,
            }
        ),
        warnings.catch_warnings(),
    ):
        # Without a CJK font matplotlib warns once per missing glyph; the SVG is still right.
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph.*missing", category=UserWarning)
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _rates(perf: Performance, level: str) -> Figure:
    offices = [f for f in perf.offices_at(level) if f.on_time_rate is not None]
    offices.reverse()  # best at the top of a horizontal bar chart
    fig = _figure(6.5, max(2.2, 0.42 * len(offices) + 1.2))
    ax = fig.add_subplot()
    colours = [
        _RED_LIST if f.listed == "red" else _BLACK_LIST if f.listed == "black" else _BAR
        for f in offices
    ]
    rates = [(f.on_time_rate or 0.0) * 100 for f in offices]
    bars = ax.barh([f.name for f in offices], rates, color=colours)
    ax.bar_label(bars, labels=[f"{r:.1f}%" for r in rates], padding=3)
    for value, label, style in (
        (float(perf.red_list) * 100, "红榜线", "--"),
        (float(perf.black_list) * 100, "黑榜线", ":"),
    ):
        ax.axvline(value, color="#555555", linestyle=style, linewidth=1)
        ax.text(
            value,
            1.0,
            f"{label} {value:g}%",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xlim(0, 105)
    ax.set_xlabel("按期办结率（%）")
    ax.set_title("各单位按期办结率", pad=14)
    return fig


def _trend(perf: Performance) -> Figure:
    fig = _figure(6.5, 2.6)
    ax = fig.add_subplot()
    points = [p for p in perf.trend if p.on_time_rate is not None]
    months = [p.month for p in points]
    rates = [(p.on_time_rate or 0.0) * 100 for p in points]
    ax.plot(months, rates, marker="o", color=_BAR)
    black = float(perf.black_list) * 100
    for month, rate, p in zip(months, rates, points, strict=True):
        below = rate < black  # under the 黑榜 line: the label goes under the point
        ax.annotate(
            f"{rate:.1f}%（{p.ended}）",
            (month, rate),
            textcoords="offset points",
            xytext=(0, -14 if below else 7),
            ha="center",
            fontsize=8,
        )
    ax.axhline(black, color="#555555", linestyle=":", linewidth=1)
    ax.text(
        1.0,
        black + 1.5,
        f"黑榜线 {black:g}%",
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="bottom",
        fontsize=8,
    )
    ax.margins(x=0.12)
    ax.set_ylim(0, 105)
    ax.set_ylabel("按期办结率（%）")
    ax.set_title("按月趋势（括号内为办结计时数）")
    return fig


def _lights(perf: Performance) -> Figure:
    totals = perf.light_totals()
    fig = _figure(6.5, 2.2)
    ax = fig.add_subplot()
    names = [light_label(light) for light in totals]
    counts = list(totals.values())
    bars = ax.bar(names, counts, color=[_LIGHT_COLOURS[light] for light in totals])
    ax.bar_label(bars, padding=2)
    ax.set_ylabel("案件数")
    ax.set_title(f"在办案件灯色分布（截至 {perf.as_of:%Y-%m-%d}）")
    ax.margins(y=0.2)
    return fig


def render_chart(perf: Performance, name: str, *, level: str = "county", fmt: str = "svg") -> bytes:
    """One chart (``rates``, ``trend`` or ``lights``) as SVG or PNG bytes."""
    with _style():
        if name == "rates":
            fig = _rates(perf, level)
        elif name == "trend":
            fig = _trend(perf)
        elif name == "lights":
            fig = _lights(perf)
        else:
            raise ValueError(f"unknown chart {name!r}: use one of {', '.join(CHART_NAMES)}")
        out = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
        fig.savefig(out, format=fmt, metadata=metadata, dpi=150 if fmt == "png" else 100)
        return out.getvalue()


def render_charts(perf: Performance, *, level: str = "county") -> dict[str, str]:
    """Every chart as SVG text (for an HTML page), by name."""
    return {name: render_chart(perf, name, level=level).decode("utf-8") for name in CHART_NAMES}
