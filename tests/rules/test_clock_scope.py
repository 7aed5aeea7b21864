"""Which cases a clock is for and until when (issue 10, item 3): ``in_force``, the start's
channel and receipt filters, ``same_day``, ``by`` limits and report duties — as the schema reads
them, as the loader refuses them (file:line), and as the pure clock evaluation applies them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from zhiqian.engine.domain.clocks import CaseChange, evaluate_clocks, same_day_warnings
from zhiqian.engine.domain.intake import Channel
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.duties import campaign_last_day, report_due
from zhiqian.rules.limits import Limit, LimitUnit, parse_limit
from zhiqian.rules.loader import check_pack, load_pack
from zhiqian.rules.schema import INTAKE_CHANNELS, EffectiveSpec, ReportSpec
from zhiqian.store.records import ClockRecord

CST = ZoneInfo("Asia/Shanghai")
CAL = LegalCalendar()

# Line numbers matter: they are asserted exactly.
MINI = """\
pack: mini
version: "1"
label: 测试
effective: {from: 2021-11-01, to: spring_festival}
lifecycle:
  initial: open
  states:
    - {id: open, label: 开}
    - {id: reviewing, label: 回头看}
    - {id: suspended, label: 中止}
    - {id: done, label: 完, final: true}
  events:
    - {id: review, label: 回头看, from: open, to: reviewing}
    - {id: suspend, label: 中止, from: [open, reviewing], to: suspended}
    - {id: resume, label: 恢复, from: suspended, to: $previous}
    - {id: finish, label: 完成, from: reviewing, to: done}
clocks:
  - id: work
    label: 办理
    in_force: {from: 2021-11-01, to: 2022-01-30}
    start: {on_event: [received], unless_channel: [inspection]}
    stop: {on_event: [finish]}
    pause: {while_state: [suspended]}
    limit: 5 workdays
    basis: 测试依据
    status: V
routing:
  roles:
    - {id: office, label: 办公室}
  reports:
    - id: summary
      label: 总结
      after_end: 5 workdays
      basis: 测试依据
      status: V
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path: Path, old: str, new: str) -> list[str]:
    assert old in MINI, old
    path = write(tmp_path, MINI.replace(old, new, 1))
    return [str(p).removeprefix(f"{path}:") for p in check_pack(path)]


def test_mini_loads(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, MINI))
    work = pack.clock("work")
    assert work.in_force is not None
    assert work.in_force.to == date(2022, 1, 30)
    assert work.start.unless_channel == ("inspection",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    stop: {on_event: [finish]}",
            "    stop: {on_leave: [reviewing]}",
            "22: clocks[work].stop.on_leave: stop on leaving 'reviewing' also fires on 'suspend' "
            "into 'suspended', where the clock pauses — it would end instead of pausing; stop "
            "on the other ways out (on_enter / on_event)",
        ),
        (
            "unless_channel: [inspection]",
            "unless_channel: [inspecton]",
            "21: clocks[work].start.unless_channel: unknown channel 'inspecton': "
            "use platform, hotline_12333, hotline_12345, visit, letter, transferred, inspection",
        ),
        (
            "unless_channel: [inspection]",
            "unless_channel: [inspection], channel: [visit]",
            "21: clocks[work].start: give channel or unless_channel, not both",
        ),
        (
            "in_force: {from: 2021-11-01, to: 2022-01-30}",
            "in_force: {from: 2022-01-30, to: 2021-11-01}",
            "20: clocks[work].in_force: in_force.from 2022-01-30 is after in_force.to 2021-11-01",
        ),
        (
            "in_force: {from: 2021-11-01, to: 2022-01-30}",
            "in_force: {fro: 2021-11-01}",
            "20: clocks[work].in_force: unknown key 'fro' (did you mean 'from'?)",
        ),
        (
            "    limit: 5 workdays\n",
            "    limit: by 2022-02-30\n",
            "24: clocks[work].limit: cannot read the day in limit 'by 2022-02-30': "
            "write 'by YYYY-MM-DD' (e.g. 'by 2019-12-31')",
        ),
        (
            "    limit: 5 workdays\n",
            "    limit: 5 workdays\n    same_day: {event: fnish, warning: 晚了}\n",
            "25: clocks[work].same_day.event: unknown event 'fnish' (did you mean 'finish'?)",
        ),
        (
            "effective: {from: 2021-11-01, to: spring_festival}\n",
            "",
            "32: routing.reports[summary].after_end: after_end counts from the end of the "
            "campaign: the pack needs effective.to",
        ),
        (
            "      after_end: 5 workdays",
            "      after_end: 24 hours",
            "31: routing.reports[summary]: after_end counts working or natural "
            "days (e.g. '5 workdays'), got 24 hours",
        ),
        (
            "      after_end: 5 workdays",
            "      after_end: 5 workdays\n      due: 2022-02-11",
            "31: routing.reports[summary]: a report needs exactly one of "
            "day_of_month, due or after_end",
        ),
    ],
)
def test_one_problem_with_exact_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert broken(tmp_path, old, new) == [expected]


def test_intake_channels_are_the_intake_enum() -> None:
    assert tuple(c.value for c in Channel) == INTAKE_CHANNELS


# -- limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["by 2019-12-31", "BY 2019-12-31", "2019-12-31前"])
def test_a_named_day_parses_and_round_trips(text: str) -> None:
    limit = parse_limit(text)
    assert limit == Limit(LimitUnit.BY_DATE, day=date(2019, 12, 31))
    assert parse_limit(str(limit)) == limit
    assert not limit.counted


def test_only_a_by_limit_has_a_day() -> None:
    with pytest.raises(ValueError, match="needs its day"):
        Limit(LimitUnit.BY_DATE)
    with pytest.raises(ValueError, match="only a 'by' limit"):
        Limit(LimitUnit.WORKDAYS, 5, day=date(2019, 12, 31))


# -- report duties -------------------------------------------------------------------------------


def test_the_national_summary_is_due_five_working_days_after_the_action() -> None:
    pack = load_pack("yunnan-2021")
    assert campaign_last_day(pack.effective, CAL) == date(2022, 1, 30)
    summary = next(r for r in pack.routing.reports if r.id == "national_summary")
    due = report_due(summary, effective=pack.effective, calendar=CAL, tz=CST)
    # 2022 春节 off 01-31…02-06; 5 working days after Sun 01-30 → Mon 02-07 … Fri 02-11
    assert due.due == date(2022, 2, 11)
    assert "2022-01-30" in due.how
    progress = next(r for r in pack.routing.reports if r.id == "national_progress")
    assert report_due(progress, effective=pack.effective, calendar=CAL, tz=CST).due == date(
        2022, 1, 5
    )


def test_a_monthly_duty_stands_only_in_its_window() -> None:
    pack = load_pack("yangquan-2019")
    ledger = next(r for r in pack.routing.reports if r.id == "monthly_ledger")
    assert ledger.owed_on(date(2019, 12, 28))
    assert ledger.owed_on(date(2020, 1, 23))
    assert not ledger.owed_on(date(2020, 2, 28))
    due = report_due(ledger, effective=pack.effective, calendar=CAL, tz=CST)
    assert due.due is None
    assert due.how == "每月28日（2019-11-15 至 2020-01-23）"


def test_campaign_ends_by_symbol_or_date() -> None:
    sf = EffectiveSpec.model_validate({"from": "2019-11-15", "to": "spring_festival"})
    assert campaign_last_day(sf, CAL) == date(2020, 1, 23)  # the break began 2020-01-24
    ny = EffectiveSpec.model_validate({"from": "2019-11-15", "to": "new_year"})
    assert campaign_last_day(ny, CAL) == date(2019, 12, 31)
    assert campaign_last_day(EffectiveSpec.model_validate({"from": "2019-11-15"}), CAL) is None
    with pytest.raises(ValueError, match=r"effective\.to"):
        report_due(
            ReportSpec.model_validate(
                {"id": "x", "label": "x", "after_end": "5 workdays", "basis": "b", "status": "V"}
            ),
            effective=None,
            calendar=CAL,
            tz=CST,
        )


# -- the pure evaluation -------------------------------------------------------------------------


def ctx(channel: str = "platform", state: str = "accepted") -> ConditionContext:
    return ConditionContext(
        level="county",
        region="140302",
        state=state,
        workers=2,
        migrant_workers=2,
        amount=Decimal(9000),
        migrant_amount=Decimal(9000),
        flags=(),
        channel=channel,
        now=datetime(2021, 12, 1, tzinfo=UTC),
        clocks={},
    )


def receipt(at: datetime) -> CaseChange:
    return CaseChange("received", None, "accepted", at, received_at=at)


def started(pack_name: str, change: CaseChange, **kw: Any) -> set[str]:
    pack = load_pack(pack_name)
    return set(evaluate_clocks(pack, {}, change, ctx(**kw), calendar=CAL))


def test_in_force_is_tested_on_the_day_the_clock_would_start() -> None:
    move = {"event": "handle", "from_state": "verifying", "to_state": "handling"}
    inside = CaseChange(**move, at=datetime(2022, 1, 30, 15, tzinfo=CST))  # type: ignore[arg-type]
    after = CaseChange(**move, at=datetime(2022, 1, 31, 9, tzinfo=CST))  # type: ignore[arg-type]
    assert "campaign" in started("yunnan-2021", inside, state="handling")
    assert "campaign" not in started("yunnan-2021", after, state="handling")


def test_the_receipt_day_decides_not_the_change_day() -> None:
    # a change in 2020 of a case whose complaint came in 2019: a 2019 case
    of_2019 = CaseChange(
        "received",
        None,
        "accepted",
        datetime(2020, 1, 6, 9, tzinfo=CST),
        received_at=datetime(2019, 12, 30, 9, tzinfo=CST),
    )
    clocks = started("yangquan-2019", of_2019)
    assert "year_end" in clocks
    assert "spring_festival_cleared" not in clocks
    of_2020 = started("yangquan-2019", receipt(datetime(2020, 1, 6, 9, tzinfo=CST)))
    assert "spring_festival_cleared" in of_2020
    assert "year_end" not in of_2020


def test_inspections_start_no_complaint_clock() -> None:
    at = datetime(2021, 11, 10, 9, tzinfo=CST)
    assert "acceptance" in started("national", receipt(at))
    assert "acceptance" not in started("national", receipt(at), channel="inspection")


def test_same_day_warnings_name_both_days() -> None:
    pack = load_pack("national")
    accepted = ClockRecord(
        clock_id="acceptance",
        started_at=datetime(2026, 3, 2, 8, tzinfo=CST),
        status="stopped",
        ended_at=datetime(2026, 3, 2, 16, tzinfo=CST),
        pack_version=pack.version,
    )
    clocks = {"acceptance": accepted}
    assert same_day_warnings(pack, clocks, "file", datetime(2026, 3, 2, 23, tzinfo=CST)) == []
    (late,) = same_day_warnings(pack, clocks, "file", datetime(2026, 3, 3, 0, 5, tzinfo=CST))
    assert late.endswith("2026-03-02 → 2026-03-03")
    assert same_day_warnings(pack, clocks, "verify", datetime(2026, 3, 5, tzinfo=CST)) == []
    running = {"acceptance": replace(accepted, status="running", ended_at=None)}
    assert same_day_warnings(pack, running, "file", datetime(2026, 3, 5, tzinfo=CST)) == []
