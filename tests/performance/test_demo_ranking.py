"""On the demo (300 cases of the Yangquan campaign) the ranking ranks the five districts and
counties with figures recounted here independently: from the event log (who held a case when,
which change stopped a clock), the stored clock rows read one by one, and working days from
chinese_calendar — none of the grouped SQL, the roll-up or the ranking code under test."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from typer.testing import CliRunner

from zhiqian import Engine, FrozenClock
from zhiqian.engine.cli import app
from zhiqian.engine.cli.demo import COUNTIES, run_demo

CST = ZoneInfo("Asia/Shanghai")
END = datetime(2020, 1, 24, 21, 0, tzinfo=CST)
CAMPAIGN = (date(2019, 11, 15), date(2020, 1, 24))
DECEMBER = (date(2019, 12, 1), date(2019, 12, 31))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = run_demo(folder)
    assert result.cases == 300
    return result.database


@pytest.fixture(scope="module")
def engine(demo: Path) -> Iterator[Engine]:
    with Engine.open(f"sqlite:///{demo}", pack="yangquan-2019", clock=FrozenClock(END)) as eng:
        yield eng


@dataclass
class Tally:
    received: int = 0
    met: int = 0
    late: int = 0
    running: int = 0
    overdue: int = 0
    used: list[int] = field(default_factory=list)


def utc(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def workdays(a: date, b: date) -> int:
    return sum(
        1 for i in range(1, (b - a).days + 1) if chinese_calendar.is_workday(a + timedelta(days=i))
    )


def recount(
    database: Path, counted: tuple[str, ...], period: tuple[date, date]
) -> dict[str, Tally]:
    start = datetime.combine(period[0], time(), CST).astimezone(UTC)
    end = min(
        datetime.combine(period[1] + timedelta(days=1), time(), CST).astimezone(UTC),
        END.astimezone(UTC),
    )
    bind = sa.create_engine(f"sqlite:///{database}")
    with bind.connect() as conn:
        cases = {r.id: r for r in conn.execute(sa.text("SELECT * FROM zq_cases"))}
        events = defaultdict(list)
        for e in conn.execute(sa.text("SELECT * FROM zq_events ORDER BY case_id, seq")):
            events[e.case_id].append(e)
        clocks = list(conn.execute(sa.text("SELECT * FROM zq_clocks")))
    bind.dispose()

    def held_at(case_id: int, moment: datetime) -> str:
        """Replay the case's 提级办理 events: the office before the first raise after moment."""
        import json

        for e in events[case_id]:
            if e.event == "raise_level" and utc(e.at) > moment:  # type: ignore[operator]
                payload = e.payload if isinstance(e.payload, dict) else json.loads(e.payload)
                return str(payload["from_region"])
        return str(cases[case_id].handling_region)

    tallies: dict[str, Tally] = defaultdict(Tally)
    for case in cases.values():
        received = utc(case.received_at)
        assert received is not None
        if start <= received < end:
            tallies[case.region].received += 1
    for c in clocks:
        if c.clock_id not in counted:
            continue
        started, ended, deadline = utc(c.started_at), utc(c.ended_at), utc(c.deadline_at)
        assert started is not None
        if started >= end or (ended is not None and ended < start):
            continue
        if ended is not None and ended < end:
            # the stop is a change in the event log: some event of the case at that moment
            assert any(utc(e.at) == ended for e in events[c.case_id]), (c.case_id, c.clock_id)
            if c.status == "cancelled":
                continue
            late = c.breached_at is not None or (deadline is not None and ended > deadline)
            moment = deadline if late and deadline is not None and deadline < ended else ended
            tally = tallies[held_at(c.case_id, moment)]
            if late:
                tally.late += 1
            else:
                tally.met += 1
            tally.used.append(
                workdays(started.astimezone(CST).date(), ended.astimezone(CST).date())
            )
        else:
            overdue = deadline is not None and deadline < end
            moment = deadline if overdue and deadline is not None else end
            tally = tallies[held_at(c.case_id, moment)]
            tally.running += 1
            tally.overdue += int(overdue)
    return tallies


def p90(values: list[int]) -> int:
    return sorted(values)[math.ceil(0.9 * len(values)) - 1]


@pytest.mark.parametrize("period", [CAMPAIGN, DECEMBER], ids=["campaign", "december"])
def test_the_five_counties_are_ranked_with_recounted_figures(
    engine: Engine, demo: Path, period: tuple[date, date]
) -> None:
    perf = engine.performance(period_from=period[0], period_to=period[1])
    expected = recount(demo, perf.counted_clocks, period)
    county = perf.offices_at("county")
    assert {f.key for f in county} == set(COUNTIES)
    for f in county:
        t = expected[f.key]
        assert (f.received, f.met, f.late, f.running, f.overdue) == (
            t.received,
            t.met,
            t.late,
            t.running,
            t.overdue,
        ), f.key
        assert f.on_time_rate == round(t.met / (t.met + t.late), 4)
        assert f.workdays_used_avg == round(sum(t.used) / len(t.used), 2)
        assert f.workdays_used_p90 == p90(t.used)
    # the ranking: by on-time rate, best first, ranks 1..5
    by_rate = sorted(
        COUNTIES, key=lambda k: -expected[k].met / (expected[k].met + expected[k].late)
    )
    assert [f.key for f in county] == by_rate
    assert [f.rank for f in county] == [1, 2, 3, 4, 5]
    # the city is the sum of its counties (all demo cases stay at county level)
    city = perf.offices_at("city")[0]
    assert city.key == "140300"
    assert city.ended == sum(f.ended for f in county)
    assert city.received == sum(f.received for f in county)


def test_the_lists_follow_the_thresholds(engine: Engine) -> None:
    perf = engine.performance(period_from=CAMPAIGN[0], period_to=CAMPAIGN[1])
    for f in perf.offices_at("county"):
        assert f.on_time_rate is not None
        rate = f.on_time_rate
        expected = "red" if rate >= 0.95 else "black" if rate < 0.80 else None
        assert f.listed == expected, (f.key, rate)
    assert any(f.listed == "black" for f in perf.offices_at("county"))  # the demo has some


def test_the_xlsx_ranks_as_the_measures_do(engine: Engine, demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "排名.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            f"sqlite:///{demo}",
            "--rules",
            "yangquan-2019",
            "report",
            "performance",
            "--from",
            "2019-11-15",
            "--to",
            "2020-01-24",
            "--level",
            "county",
            "-f",
            "xlsx",
            "-o",
            str(out),
            "--at",
            END.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    book = load_workbook(out, read_only=True)
    assert book.sheetnames[:6] == [
        "按期办结率",
        "超期未办结",
        "办理用时",
        "受理案件",
        "延期与升级",
        "红黑榜",
    ]
    rows = list(book["按期办结率"].iter_rows(min_row=4, values_only=True))
    book.close()
    perf = engine.performance(period_from=CAMPAIGN[0], period_to=CAMPAIGN[1])
    expected = recount(demo, perf.counted_clocks, CAMPAIGN)
    by_rate = sorted(
        COUNTIES, key=lambda k: -expected[k].met / (expected[k].met + expected[k].late)
    )
    assert [r[1] for r in rows] == by_rate
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [r[2] for r in rows] == [COUNTIES[k] for k in by_rate]
    first = expected[by_rate[0]]
    assert rows[0][3:6] == (str(first.met + first.late), str(first.met), str(first.late))
    listed = [r[7] for r in rows]
    assert set(listed) <= {"红榜", "黑榜", None, ""}


def test_the_html_page_has_its_three_charts(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "排名.html"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            f"sqlite:///{demo}",
            "--rules",
            "yangquan-2019",
            "report",
            "performance",
            "--from",
            "2019-11-15",
            "--to",
            "2020-01-24",
            "-f",
            "html",
            "-o",
            str(out),
            "--at",
            END.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    page = out.read_text("utf-8")
    for name in ("rates", "trend", "lights"):
        assert f'id="chart-{name}"><svg' in page
    assert "@page { size: A4" in page
    # the bar chart names every county (SVG text stays text: the browser draws the CJK glyphs)
    for name in COUNTIES.values():
        assert name in page
