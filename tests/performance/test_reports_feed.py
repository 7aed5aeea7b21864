"""The ranking's writers, its charts (rendered and looked at as pixels), the missing-extra error,
the ``stats`` feed through the CLI, and the benchmark at a tiny N."""

from __future__ import annotations

import builtins
import io
import json
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhiqian import Engine, FrozenClock, ZhiqianError
from zhiqian.engine.cli import app
from zhiqian.engine.performance_views import FEED_VERSION, Figures, Performance
from zhiqian.engine.reports.performance import performance_tables, write_performance_csv
from zhiqian.engine.reports.performance_charts import render_chart
from zhiqian.engine.reports.performance_feed import stats_feed
from zhiqian.testing import sample_complaint

ROOT = Path(__file__).resolve().parents[2]


def office(key: str, name: str, met: int, late: int, **kw: Any) -> Figures:
    ended = met + late
    return Figures(
        key=key,
        name=name,
        level="county",
        ended=ended,
        met=met,
        late=late,
        on_time_rate=round(met / ended, 4) if ended else None,
        **kw,
    )


def made_up() -> Performance:
    """Three counties: one on the 红榜, one on the 黑榜, one between."""
    offices = (
        replace(office("140302", "城区", 19, 1), rank=1, listed="red"),
        replace(office("140303", "矿区", 17, 3), rank=2),
        replace(office("140311", "郊区", 10, 10, received=4), rank=3, listed="black"),
        office("140321", "平定县", 0, 0),
    )
    return Performance(
        pack="national 2026.1",
        period_from=date(2026, 3, 1),
        period_to=date(2026, 3, 31),
        as_of=datetime(2026, 4, 1, tzinfo=UTC),
        offices=offices,
        handlers=(),
        clocks=(),
        categories=(),
        trend=(),
        lights=(),
        top_overdue=(),
        counted_clocks=("acceptance",),
        red_list=Decimal("0.95"),
        black_list=Decimal("0.80"),
        min_ended=5,
    )


def test_the_sheets_rank_each_measure(tmp_path: Path) -> None:
    tables = {t.title: t for t in performance_tables(made_up())}
    rate = tables["按期办结率"]
    assert [r[:3] for r in rate.rows] == [
        ("1", "140302", "城区"),
        ("2", "140303", "矿区"),
        ("3", "140311", "郊区"),
        ("", "140321", "平定县"),
    ]
    assert [r[-1] for r in rate.rows] == ["红榜", "", "黑榜", ""]
    # fewer overdue first; equal values share a place
    assert [r[0] for r in tables["超期未办结"].rows] == ["1", "1", "1", "1"]
    assert tables["受理案件"].rows[0][1] == "140311"  # the most received first
    assert [r[0] for r in tables["红黑榜"].rows] == ["红榜", "黑榜"]
    path = write_performance_csv(made_up(), tmp_path / "排名.csv")
    lines = path.read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("名次,区划代码,单位,受理案件,办结")
    assert lines[1].startswith("1,140302,城区,0,20,19,1,0.9500")


def test_the_bar_chart_is_drawn(tmp_path: Path) -> None:
    """Render the PNG and look at it: the 红榜 bar is red, the 黑榜 bar is near-black."""
    from PIL import Image

    png = render_chart(made_up(), "rates", fmt="png")
    (tmp_path / "rates.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width >= 900
    assert height >= 300
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20) or []}
    assert (0xC0, 0x00, 0x00) in colours  # 红榜
    assert (0x22, 0x22, 0x22) in colours  # 黑榜
    assert (0x4E, 0x79, 0xA7) in colours  # the others
    svg = render_chart(made_up(), "rates").decode("utf-8")
    assert "城区" in svg  # text stays text in the SVG (svg.fonttype none)
    assert "红榜线 95%" in svg


def test_without_matplotlib_the_html_report_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    with pytest.raises(ZhiqianError, match=r"pip install 'zhiqian\[charts\]'"):
        render_chart(made_up(), "rates")


def test_stats_prints_the_versioned_feed(db_url: str) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    with Engine.open(db_url, create=True, clock=clock) as zq:
        zq.receive(
            sample_complaint(
                31,
                received_at="2026-03-02T09:00+08:00",
                workers=3,
                migrant_workers=0,
                amount="9000.00",
                migrant_amount="0.00",
                flags=[],
            )
        )
    result = CliRunner().invoke(
        app,
        ["--db", db_url, "stats", "--format", "json", "--at", "2026-03-20T09:00+08:00"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    feed = json.loads(result.stdout)
    assert feed["feed"] == "zhiqian.stats"
    assert feed["version"] == FEED_VERSION == 1
    assert feed["period"] == {"from": "2026-03-01", "to": "2026-03-20"}
    assert set(feed) >= {"as_of", "pack", "lights", "offices", "top_overdue", "trend"}
    assert feed["lights"]["total"] == {"green": 0, "yellow": 0, "red": 1, "grey": 0}
    assert feed["lights"]["by_region"] == [
        {
            "region": "140302",
            "name": "城区",
            "level": "county",
            "green": 0,
            "yellow": 0,
            "red": 1,
            "grey": 0,
        }
    ]
    county = next(o for o in feed["offices"] if o["level"] == "county")
    assert (county["code"], county["received"], county["overdue"], county["rank"]) == (
        "140302",
        1,
        1,
        None,
    )
    assert [o["clock"] for o in feed["top_overdue"]] == ["acceptance"]
    table = CliRunner().invoke(
        app, ["--db", db_url, "stats", "--at", "2026-03-20T09:00+08:00"], catch_exceptions=False
    )
    assert "lights: green 0, yellow 0, red 1, grey 0" in table.stdout


def test_the_feed_of_a_made_up_measure() -> None:
    feed = stats_feed(made_up())
    assert [o["code"] for o in feed["offices"]] == ["140302", "140303", "140311", "140321"]
    assert feed["offices"][0]["listed"] == "red"


def test_the_benchmark_builds_and_measures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import performance_measures

    url = f"sqlite:///{tmp_path / 'perf.db'}"
    counts = performance_measures.build(url, 300)
    assert counts["zq_cases"] == 300
    assert counts["zq_clocks"] > 300
    figures = dict(performance_measures.measure(url, 1))
    assert all(wall > 0 for wall, _ in figures.values())
    with Engine.open(url, clock=FrozenClock(performance_measures.AS_OF)) as zq:
        perf = zq.performance(period_from=date(2025, 1, 1), period_to=date(2025, 12, 31))
    assert sum(f.received for f in perf.offices_at("province")) == 300
    assert any(f.level == "city" and f.ended for f in perf.offices)
