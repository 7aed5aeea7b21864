"""``Engine.dry_run``: a candidate pack judged over the open cases, on both databases.

Expected deadlines are counted independently here with chinese_calendar, not with the code
under test. "Writes nothing" is checked on every table of the database: its row count and a
hash of all its rows, before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import sqlalchemy as sa

from zhiqian import CaseDryRun, DryRun, Engine, FrozenClock, RuleError
from zhiqian.rules.loader import load_pack
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")
FILED = date(2026, 3, 2)  # a Monday

# national 2026.2: the investigation limit shortened, a new clock and a rule on it.
CANDIDATE = """\
pack: national
version: "2026.2"
extends: national
clocks:
  - {id: investigation, limit: 45 workdays, basis: 候选：调查处理时限45个工作日}
  - id: handling_report
    label: 进入处理后10个工作日内报告进展
    start: {on_enter: [handling]}
    stop: {on_leave: [handling]}
    limit: 10 workdays
    basis: 候选：处理进展报告
    status: CONV
escalations:
  - id: handling_report_overdue
    label: 未按期报告处理进展
    when: breached("handling_report")
    do:
      - notify: {to: [county_office], template: 超期预警}
      - supervise: {by: city}
    basis: 候选：处理进展报告
    status: CONV
"""


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=CST).astimezone(UTC)


def nth_workday_after(start: date, n: int) -> date:
    d, counted = start, 0
    while counted < n:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            counted += 1
    return d


def complaint(seed: int, **overrides: object) -> dict[str, object]:
    """A small complaint no major-case rule reacts to (5 workers, 20,000 yuan, no flags)."""
    fields: dict[str, object] = {
        "workers": 5,
        "migrant_workers": 5,
        "amount": "20000.00",
        "migrant_amount": "20000.00",
        "flags": [],
        "received_at": cst(2026, 3, 2, 8, 30),
    }
    fields.update(overrides)
    return sample_complaint(seed, **fields)


def snapshot(bind: sa.Engine) -> dict[str, tuple[int, str]]:
    """Every table of the database: its row count and a hash of its rows in key order."""
    meta = sa.MetaData()
    meta.reflect(bind)
    out: dict[str, tuple[int, str]] = {}
    with bind.connect() as conn:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            out[table.name] = (len(rows), digest)
    return out


def heads(bind: sa.Engine) -> dict[int, tuple[int, str]]:
    with bind.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, version, head_hash FROM zq_cases").all()
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(cst(2026, 3, 2, 9, 0))


@pytest.fixture
def engine(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with Engine.open(db_url, create=True, clock=clock) as eng:
        yield eng


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    path = tmp_path / "national-2026.2.yaml"
    path.write_text(CANDIDATE, encoding="utf-8")
    return path


def walk(engine: Engine, case_id: int, *events: str) -> None:
    for event in events:
        engine.act(case_id, event, actor="监察员")


def by_id(result: DryRun) -> dict[int, CaseDryRun]:
    return {c.case_id: c for c in result.cases}


def test_a_shorter_limit_moves_a_deadline_a_new_rule_fires_and_nothing_is_written(
    engine: Engine, clock: FrozenClock, candidate: Path
) -> None:
    filed = engine.receive(complaint(1)).id
    walk(engine, filed, "verify", "handle", "file")
    received = engine.receive(complaint(2)).id
    closed = engine.receive(complaint(3)).id
    walk(engine, closed, "verify", "handle", "paid", "close")
    suspended = engine.receive(complaint(4)).id
    walk(engine, suspended, "verify", "handle", "file", "suspend")
    clock.set(cst(2026, 3, 20, 9, 0))
    before, heads_before = snapshot(engine.bind), heads(engine.bind)
    assert before["zq_cases"][0] == 4
    assert before["zq_events"][0] > 10  # the comparison below is not of empty tables
    assert before["zq_clocks"][0] > 4
    assert before["zq_timers"][0] > 0

    result = engine.dry_run(candidate)

    assert snapshot(engine.bind) == before
    assert heads(engine.bind) == heads_before
    assert engine.verify_audit() == []
    assert (result.pack, result.version) == ("national", "2026.2")
    assert result.scope == ("national",)
    assert result.at == cst(2026, 3, 20, 9, 0)
    # only the filed case changes: the received one keeps its acceptance clock, the suspended
    # one's investigation is paused under both packs, its handling_report never ran long
    assert list(by_id(result)) == [filed]
    case = by_id(result)[filed]
    assert case.state == "handling"
    assert case.pack == "national 2026.1"
    moves = {c.clock: c for c in case.clocks}
    investigation = moves["investigation"]
    assert investigation.change == "moves"
    assert investigation.old_deadline == end_of(nth_workday_after(FILED, 60))
    assert investigation.new_deadline == end_of(nth_workday_after(FILED, 45))
    assert investigation.workdays == -15
    assert (investigation.old_status, investigation.new_status) == ("running", "running")
    assert investigation.basis == "候选：调查处理时限45个工作日"
    report = moves["handling_report"]
    assert report.change == "starts"
    assert report.old_status == "not started"
    assert report.old_deadline is None
    assert report.new_deadline == end_of(nth_workday_after(FILED, 10))
    assert report.new_status == "breached"
    assert [(r.rule, r.actions, r.modes, r.cycle_key) for r in case.rules] == [
        (
            "handling_report_overdue",
            ("notify", "supervise"),
            ("acts", "recommends"),
            "handling_report:1",
        )
    ]
    assert case.notes == ()
    totals = result.totals
    assert (totals.cases, totals.changed) == (3, 1)  # the closed case is not looked at
    assert (totals.moved, totals.earlier, totals.later) == (1, 1, 0)
    assert (totals.started, totals.stopped, totals.firings) == (1, 0, 1)
    assert dict(totals.by_rule) == {"handling_report_overdue": 1}
    assert totals.notes == 0
    assert received not in by_id(result)


def test_the_governing_pack_replayed_changes_nothing(engine: Engine, clock: FrozenClock) -> None:
    """Every difference the dry run shows comes from the candidate: the case's own pack,
    replayed over varied histories, gives back the stored clocks and fires nothing new."""
    extended = engine.receive(complaint(11)).id
    walk(engine, extended, "verify", "handle", "file")
    clock.set(cst(2026, 3, 3, 10, 0))
    engine.act(
        extended,
        "extend",
        actor="监察员",
        params={
            "clock": "investigation",
            "by": "20 workdays",
            "approver": "局长",
            "reason": "复杂",
        },
    )
    engine.act(extended, "order_payment", actor="监察员", params={"due": "2026-03-13"})
    engine.act(extended, "suspend", actor="监察员")
    clock.set(cst(2026, 3, 9, 10, 0))
    engine.act(extended, "resume", actor="监察员")
    reopened = engine.receive(complaint(12)).id
    walk(engine, reopened, "verify", "handle", "file", "paid", "reopen")
    paused = engine.receive(complaint(13)).id
    walk(engine, paused, "suspend", "resume", "verify")
    flagged = engine.receive(complaint(14)).id
    engine.act(flagged, "flag", actor="监察员", params={"flag": "absconded"})
    walk(engine, flagged, "verify", "handle")
    raised = engine.receive(complaint(15)).id
    walk(engine, raised, "verify", "handle", "file")
    # 提级 approved with the clocks continuing: the office changes, the clocks do not restart
    proposal = engine.propose(
        raised, "raise_level", actor="监察员", reason="疑难复杂", params={"clocks": "continue"}
    )
    engine.decide(raised, proposal.id, "approve", actor="市局负责人", reason="同意提级")
    assert engine.get(raised).level == "city"
    clock.set(cst(2026, 4, 20, 9, 0))
    engine.sweep()  # what fell due has fired, as the daemon would have done

    result = engine.dry_run("national")

    assert result.totals.cases == 5
    assert result.cases == ()
    stored = {c.id: c.status for c in engine.get(extended).clocks}
    assert stored["investigation"] == "running"  # the histories do reach the clocks compared
    assert stored["order_payment"] == "breached"  # and the rules on it fired in the sweep


def test_an_extension_beyond_the_candidates_bound_is_named_and_not_applied(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    case_id = engine.receive(complaint(21)).id
    walk(engine, case_id, "verify", "handle", "file")
    engine.act(
        case_id,
        "extend",
        actor="监察员",
        params={
            "clock": "investigation",
            "by": "20 workdays",
            "approver": "局长",
            "reason": "复杂",
        },
    )
    tighter = tmp_path / "tighter.yaml"
    tighter.write_text(
        'pack: national\nversion: "2026.3"\nextends: national\nclocks:\n'
        "  - id: investigation\n"
        "    extension: {up_to: 10 workdays, needs: approval, approver_role: 负责人}\n",
        encoding="utf-8",
    )
    result = engine.dry_run(tighter)
    (case,) = result.cases
    assert len(case.notes) == 1
    assert "extend investigation" in case.notes[0]
    assert "exceed" in case.notes[0]
    (move,) = case.clocks
    assert move.old_deadline == end_of(nth_workday_after(FILED, 80))
    assert move.new_deadline == end_of(nth_workday_after(FILED, 60))
    assert move.workdays == -20
    assert result.totals.notes == 1


def test_a_rule_already_fired_for_the_cycle_is_not_listed_again(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    case_id = engine.receive(complaint(31)).id
    walk(engine, case_id, "verify", "handle", "file")
    clock.set(end_of(nth_workday_after(FILED, 60)) + timedelta(hours=10))
    engine.sweep()
    assert [e.rule for e in engine.get(case_id).escalations] == ["investigation_overdue"]
    twin = tmp_path / "twin.yaml"
    twin.write_text(
        'pack: national\nversion: "2026.4"\nextends: national\nescalations:\n'
        "  - id: investigation_overdue_city\n"
        "    label: 调查处理超期（报市级）\n"
        '    when: breached("investigation")\n'
        "    do: [{notify: {to: [city_office], template: 超期预警}}]\n"
        "    basis: 《劳动保障监察条例》第十七条\n"
        "    status: V\n",
        encoding="utf-8",
    )
    (case,) = engine.dry_run(twin).cases
    # the same condition holds for both; only the one not fired for investigation:1 is listed
    assert [(r.rule, r.cycle_key) for r in case.rules] == [
        ("investigation_overdue_city", "investigation:1")
    ]
    assert case.clocks == ()


def test_the_cases_looked_at_follow_the_candidates_packs_and_the_region(
    engine: Engine, candidate: Path
) -> None:
    here = engine.receive(complaint(41)).id
    walk(engine, here, "verify", "handle", "file")
    there = engine.receive(complaint(42, region="140303")).id
    walk(engine, there, "verify", "handle", "file")
    engine.with_pack(load_pack("yangquan-2019"))
    # received in the campaign (its clocks are in force only then), keyed in today
    other = engine.receive(complaint(43, received_at=cst(2019, 11, 20, 9, 0))).id

    default = engine.dry_run(candidate)
    assert default.totals.cases == 2
    assert set(by_id(default)) == {here, there}

    everything = engine.dry_run(candidate, every_pack=True)
    assert everything.scope is None
    assert everything.totals.cases == 3
    # the campaign's own clocks are not in the national candidate: they would stop
    stops = {c.clock: c for c in by_id(everything)[other].clocks if c.change == "stops"}
    assert stops["classify"].new_status == "not in pack"

    regional = engine.dry_run(candidate, region="140303")
    assert regional.totals.cases == 1
    assert list(by_id(regional)) == [there]
    assert regional.region == "140303"


def test_batches_stream_every_open_case_once(engine: Engine, candidate: Path) -> None:
    ids = []
    for seed in range(51, 58):
        case_id = engine.receive(complaint(seed)).id
        walk(engine, case_id, "verify", "handle", "file")
        ids.append(case_id)
    seen: list[int] = []
    result = engine.dry_run(candidate, batch=3, progress=seen.append)
    assert seen == [3, 3, 1]
    assert result.totals.cases == 7
    assert [c.case_id for c in result.cases] == ids


def test_a_broken_pack_is_a_rule_error_at_file_and_line(engine: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        'pack: national\nversion: "9"\nextends: national\nclocks:\n'
        "  - {id: investigation, limit: 30 wokdays}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        engine.dry_run(broken)
    (problem,) = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("broken.yaml", 5)
    assert "wokdays" in problem.message


def test_the_demo_campaign_replayed_under_its_own_pack_changes_nothing(tmp_path: Path) -> None:
    """The demo walks cases through every kind of event the campaign knows (screenings, leaders
    named, reports required, recommendations, sweeps on time): its own pack, replayed, gives
    back every stored clock, and a candidate changes them."""
    from zhiqian.engine.cli.demo import run_demo

    demo = run_demo(tmp_path / "demo", count=40)
    with sa.create_engine(f"sqlite:///{demo.database}").connect() as conn:
        kinds = set(conn.exec_driver_sql("SELECT DISTINCT event FROM zq_events").scalars())
    # the log the replay walks holds decisions, orders and the rules' own events
    assert {"propose_assign_leader", "approve_assign_leader", "order_payment"} <= kinds
    at = FrozenClock(cst(2020, 1, 24, 21, 0))
    with Engine.open(f"sqlite:///{demo.database}", pack="yangquan-2019", clock=at) as engine:
        same = engine.dry_run("yangquan-2019")
        assert same.totals.cases > 0
        assert same.cases == ()
        shorter = tmp_path / "yangquan-shorter.yaml"
        shorter.write_text(
            'pack: yangquan-2019\nversion: "2019.2"\nextends: yangquan-2019\nclocks:\n'
            "  - {id: investigation, limit: 40 workdays}\n",
            encoding="utf-8",
        )
        moved = engine.dry_run(shorter)
    assert moved.totals.earlier > 0
    assert moved.totals.later == 0
    assert {c.clock for case in moved.cases for c in case.clocks} == {"investigation"}
    assert all(c.workdays == -20 for case in moved.cases for c in case.clocks)


RESTARTING = """\
pack: national
version: "2026.5"
extends: national
escalations:
  - id: raise_filed_case
    label: 立案后提级办理（测试）
    when: state == "handling" and level == "county"
    do:
      - raise_level: {clocks: restart}
    basis: 测试：提级后重新起算
    status: L
"""


def test_an_approved_raise_with_restart_is_replayed(
    db_url: str, clock: FrozenClock, candidate: Path, tmp_path: Path
) -> None:
    """An approved 提级 with ``clocks: restart`` restarts the clocks after its event: the replay
    does it too — the pack that did it changes nothing, and a candidate counts its own limit
    from the restart, not from 立案 (the 提级 happened: a new pack does not undo it)."""
    path = tmp_path / "restarting.yaml"
    path.write_text(RESTARTING, encoding="utf-8")
    with Engine.open(db_url, create=True, clock=clock, pack=path) as engine:
        case_id = engine.receive(complaint(61)).id
        walk(engine, case_id, "verify", "file", "handle")  # the rule proposes the 提级
        (proposal,) = engine.decisions(case_id)
        assert (proposal.act, proposal.status) == ("raise_level", "pending")
        clock.set(cst(2026, 3, 4, 9, 0))  # two working days after 立案
        engine.decide(case_id, proposal.id, "approve", actor="市局负责人", reason="疑难复杂")
        view = engine.get(case_id)
        assert (view.level, view.handling_region) == ("city", "140300")
        investigation = next(c for c in view.clocks if c.id == "investigation")
        assert investigation.started_at == cst(2026, 3, 4, 9, 0)  # restarted at the approval

        assert engine.dry_run(path).cases == ()
        (case,) = engine.dry_run(candidate).cases
    moves = {c.clock: c for c in case.clocks}
    assert moves["investigation"].old_deadline == end_of(nth_workday_after(date(2026, 3, 4), 60))
    assert moves["investigation"].new_deadline == end_of(nth_workday_after(date(2026, 3, 4), 45))
    # and the candidate's new clock starts on the entry into handling, as recorded
    assert moves["handling_report"].change == "starts"
