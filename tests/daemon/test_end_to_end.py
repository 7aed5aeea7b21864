"""A county case walked through months with a frozen clock and the sweep, on the decision model:
it breaches its investigation clock and a rule *proposes* 提级办理; the city office approves
(the clock restarts there), the new cycle breaches and the province approves the next; at the
province a rule proposes 领导包案, the head approves with the leader the directory names; once
the 责令支付 order's period has passed unpaid and the amounts are above the thresholds, the rule
proposes 移送公安 and only the head's approval refers it, with the numbered 移送书. Every notice is
rendered, written by the file channel, and the audit chain verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhiqian import DecisionView, Engine, FrozenClock
from zhiqian.engine.escalation import install, list_escalations
from zhiqian.engine.jobs.sweep import sweep
from zhiqian.engine.queries.notices import show_notice
from zhiqian.engine.routing import LeaderDirectory, Router
from zhiqian.notifiers import FileNotifier, NoticeRenderer
from zhiqian.testing import sample_complaint

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
RESERVED = ("raise_level", "assign_leader", "refer_police", "supervise", "blacklist")

PACK = """\
pack: e2e
version: "1"
extends: national
label: 端到端：超期提级、领导包案、移送公安
escalations:
  - id: raise_overdue
    label: 调查处理超期，提级办理
    when: breached("investigation") and level != "province"
    do:
      - raise_level: {clocks: restart}
    basis: 《劳动保障监察条例》第十三条第二款
    status: L
  - id: leader_at_province
    label: 省级办理的案件领导包案
    when: level == "province"
    do:
      - assign_leader: {role: 分管领导}
    basis: 人社部明电〔2021〕12号 三（二）
    status: CONV
clocks:
  - id: leader_review
    label: 包案领导审查
    start: {on_event: [assign_leader]}
    stop: {on_enter: [reviewing, closed]}
    limit: 10 workdays
    basis: 惯例：包案领导审查期限
    status: CONV
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "e2e.yaml"
    path.write_text(PACK, encoding="utf-8")
    return path


def _pending(eng: Engine, case_id: int, act: str) -> DecisionView:
    (found,) = [d for d in eng.decisions(case_id, status="pending") if d.act == act]
    return found


def test_breach_raise_twice_leader_and_police(db_url: str, pack: Path, tmp_path: Path) -> None:
    directory = tmp_path / "leaders.json"
    directory.write_text(
        json.dumps({"140000": {"分管领导": {"name": "赵卫国", "file": str(tmp_path / "leader")}}}),
        encoding="utf-8",
    )
    router = Router(environ={}, directory=LeaderDirectory.from_file(directory))
    clock = FrozenClock(START)
    with Engine.open(db_url, pack=pack, create=True, clock=clock) as eng:
        install(eng, router=router)
        case_id = eng.receive(
            sample_complaint(
                11,
                region="140302",
                workers=15,
                migrant_workers=15,
                amount="86000.00",
                migrant_amount="86000.00",
                flags=[],
                received_at=START.isoformat(),
            )
        ).id
        for event in ("verify", "handle", "file"):
            clock.advance(hours=2)
            eng.act(case_id, event, actor="监察员-王")
        assert eng.get(case_id).level == "county"

        # 60 working days later: breached at the county → 提级 proposed to the city office,
        # which decides; until it does, the case stays where it is.
        clock.advance(days=100)
        first = sweep(eng)
        assert first.escalations == 2  # investigation_overdue + raise_overdue
        assert sweep(eng).fired == 0  # the same moment again: nothing more
        case = eng.get(case_id)
        assert (case.level, case.handling_region) == ("county", "140302")
        to_city = _pending(eng, case_id, "raise_level")
        assert (to_city.rule_id, to_city.decider_division) == ("raise_overdue", "140300")
        forms = [n for n in eng.notices() if n.template == "提请决定审批表"]
        assert {n.recipient for n in forms} == {"city_office@140300"}
        clock.advance(hours=3)
        eng.decide(case_id, to_city.id, "approve", actor="市人社局-陈", reason="同意提级办理")
        case = eng.get(case_id)
        assert (case.level, case.handling_region) == ("city", "140300")
        investigation = {c.id: c for c in case.clocks}["investigation"]
        assert (investigation.started_at, investigation.status) == (clock.now(), "running")
        assert investigation.deadline is not None
        assert investigation.deadline > clock.now()  # restarted at the city: a new cycle

        # The new cycle breaches at the city → 提级 proposed to the province, which approves;
        # handled at the province, the case gets 领导包案 proposed to the province's head.
        clock.advance(days=100)
        sweep(eng)
        to_province = _pending(eng, case_id, "raise_level")
        assert to_province.decider_division == "140000"
        assert eng.get(case_id).level == "city"
        eng.decide(case_id, to_province.id, "approve", actor="省人社厅-孙", reason="同意提级办理")
        case = eng.get(case_id)
        assert (case.level, case.handling_region) == ("province", "140000")
        assert case.leader is None  # proposed, not named
        leader = _pending(eng, case_id, "assign_leader")
        assert (leader.rule_id, leader.decider_division) == ("leader_at_province", "140000")
        assert leader.params["leader"] == "赵卫国"  # suggested from the directory
        eng.decide(case_id, leader.id, "approve", actor="厅长-周", reason="同意包案")
        assert eng.get(case_id).leader == "赵卫国"

        # The order to pay is served; its period passes unpaid → 移送公安 proposed; the head
        # approves, and only then the case is referred.
        eng.act(
            case_id,
            "order_payment",
            actor="监察员-王",
            params={"within": "5 workdays", "doc_no": "晋人社监令〔2026〕3号"},
        )
        clock.advance(days=10)
        sweep(eng)
        case = eng.get(case_id)
        assert case.police_referred_at is None
        referral = _pending(eng, case_id, "refer_police")
        assert (referral.rule_id, referral.decider) == ("crime_screen", "负责人")
        _pending(eng, case_id, "blacklist")  # proposed too, and left undecided here
        clock.advance(hours=1)
        approved = eng.decide(
            case_id, referral.id, "approve", actor="厅长-周", reason="涉嫌拒不支付劳动报酬罪"
        )
        case = eng.get(case_id)
        assert case.police_referred_at == clock.now()
        assert approved.document_no

        by_rule = [(e.event, e.rule_id, e.actor) for e in case.events if e.rule_id]
        assert by_rule == [
            ("propose_raise_level", "raise_overdue", "rule:raise_overdue"),
            ("propose_raise_level", "raise_overdue", "rule:raise_overdue"),
            ("propose_assign_leader", "leader_at_province", "rule:leader_at_province"),
            ("propose_refer_police", "crime_screen", "rule:crime_screen"),
            ("propose_blacklist", "blacklist_screen", "rule:blacklist_screen"),
        ]
        assert all(e.pack_version == "1" for e in case.events if e.rule_id)
        performed = [(e.event, e.actor) for e in case.events if e.event in RESERVED]
        assert performed == [
            ("raise_level", "市人社局-陈"),
            ("raise_level", "省人社厅-孙"),
            ("assign_leader", "厅长-周"),
            ("refer_police", "厅长-周"),
        ]
        clocks = {c.id: c for c in case.clocks}
        assert clocks["leader_review"].status == "running"
        assert clocks["referral_decision"].status == "stopped"
        assert clocks["referral_transfer"].status == "running"
        fired = [(e["rule"], e["cycle_key"]) for e in list_escalations(eng, case_id)]
        assert fired == [
            ("investigation_overdue", "investigation:1"),
            ("raise_overdue", "investigation:1"),
            ("investigation_overdue", "investigation:2"),
            ("raise_overdue", "investigation:2"),
            ("leader_at_province", "-"),
            ("crime_screen", "order_payment:1"),
            ("blacklist_screen", "order_payment:1"),
        ]

        # Every notice renders: the forms with the proposals, each act's document after its
        # approval; the 移送书 carries what the police need.
        eng.make_digests()
        notices = eng.notices()
        templates = {n.template for n in notices}
        assert {
            "超期预警",
            "提请决定审批表",
            "提级办理通知书",
            "领导包案通知",
            "移送审批表",
            "涉嫌犯罪案件移送书",
            "每日台账摘要",
        } <= templates
        renderer = NoticeRenderer()
        tx = eng.tx
        for notice in notices:
            text = show_notice(tx, notice.id, renderer=renderer).text
            assert text is not None
            assert not text.startswith("(cannot"), (notice.template, text)
        # 提级办理通知书: from the higher office to the one the case came from
        raised = [n for n in notices if n.template == "提级办理通知书"]
        assert {n.recipient for n in raised if n.channel == "file"} == {
            "county_office@140302",
            "city_office@140300",
        }
        named = [
            n for n in notices if n.template == "领导包案通知" and n.recipient_name == "赵卫国"
        ]
        assert [n.channel for n in named] == [
            "log"
        ]  # the national pack routes the leader to the log
        letters = [n for n in notices if n.template == "涉嫌犯罪案件移送书"]
        assert letters
        assert {n.status for n in letters} == {"pending"}  # complete: nothing waits
        letter = eng.notice(letters[0].id).text or ""
        assert "拒不支付劳动报酬罪" in letter
        assert approved.document_no in letter
        assert "厅长-周" in letter  # the approver
        assert case.complainant_phone in letter

        folder = tmp_path / "notices"
        channel = FileNotifier(folder)
        report = eng.deliver_notices({"log": channel, "file": channel})
        assert report.dead == 0
        sent = [n for n in eng.notices() if n.status == "sent"]
        assert len(sent) == report.sent
        assert eng.verify_audit() == []
        clock.advance(days=1)
        assert sweep(eng).escalations == 0  # nothing fires twice


def test_referral_refused_by_law_becomes_a_recommendation(tmp_path: Path) -> None:
    pack = tmp_path / "early.yaml"
    pack.write_text(
        'pack: early\nversion: "1"\nextends: national\nlabel: 过早移送\n'
        "escalations:\n"
        '  - id: refer_early\n    label: 过早移送\n    when: state == "handling"\n'
        "    do: [refer_police]\n"
        "    basis: 测试\n    status: CONV\n",
        encoding="utf-8",
    )
    clock = FrozenClock(START)
    with Engine.open(
        f"sqlite:///{tmp_path / 'db.sqlite'}", pack=pack, create=True, clock=clock
    ) as eng:
        install(eng)
        case_id = eng.receive(
            sample_complaint(2, workers=3, flags=[], received_at=START.isoformat())
        ).id
        eng.act(case_id, "verify", actor="x")
        eng.act(case_id, "handle", actor="x")
        case = eng.get(case_id)
        (fired,) = [e for e in list_escalations(eng, case_id) if e["rule"] == "refer_early"]
        decisions = eng.decisions(case_id)
        templates = [n.template for n in eng.notices() if n.case_id == case_id]
    assert case.police_referred_at is None
    (refer,) = fired["actions"]
    assert refer["outcome"] == "recommended"
    assert any("责令支付" in m for m in refer["missing"])
    # The law's conditions are not met: nothing for the head to decide, so no decision, no
    # 移送审批表 (and no 移送书).
    assert decisions == []
    assert "移送审批表" not in templates
    assert "涉嫌犯罪案件移送书" not in templates
    # The refused referral is recorded as one `recommend` event of the rule (the engine knows
    # that action): no propose_refer_police or refer_police event, the case stays in handling.
    assert [(e.event, e.rule_id) for e in case.events] == [
        ("received", None),
        ("verify", None),
        ("handle", None),
        ("recommend", "refer_early"),
    ]
    recommended = case.events[-1]
    assert refer["event_seq"] == recommended.seq
    assert (recommended.actor, recommended.from_state, recommended.to_state) == (
        "rule:refer_early",
        "handling",
        "handling",
    )
    assert recommended.payload["event"] == "refer_police"
    assert "责令支付" in recommended.payload["missing"]
    assert case.state == "handling"
    assert "referral_decision" not in {c.id for c in case.clocks}  # no decision's clock either
