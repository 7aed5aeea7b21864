"""A county case walked through months with a frozen clock and the sweep: it breaches its
investigation clock, is raised to the city and then to the province (the clock restarting each
time), gets a named leader from the directory, and — once the 责令支付 order's period has passed
unpaid and the amounts are above the thresholds — is referred to the police. Every notice is
rendered, written by the file channel, and the audit chain verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhiqian import Engine, FrozenClock
from zhiqian.engine.escalation import install, list_escalations
from zhiqian.engine.jobs.sweep import sweep
from zhiqian.engine.queries.notices import show_notice
from zhiqian.engine.routing import LeaderDirectory, Router
from zhiqian.notifiers import FileNotifier, NoticeRenderer
from zhiqian.testing import sample_complaint

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

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
      - notify: {to: [leader], template: 督办通知}
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

        # 60 working days later: breached at the county → raised to the city, clock restarted.
        clock.advance(days=100)
        first = sweep(eng)
        case = eng.get(case_id)
        assert (case.level, case.handling_region) == ("city", "140300")
        assert first.escalations == 2  # investigation_overdue + raise_overdue
        assert sweep(eng).fired == 0  # the same moment again: nothing more

        # The new cycle breaches at the city → raised to the province → a leader is named.
        clock.advance(days=100)
        sweep(eng)
        case = eng.get(case_id)
        assert (case.level, case.handling_region) == ("province", "140000")
        assert case.leader == "赵卫国"

        # The order to pay is served; its period passes unpaid → referred to the police.
        eng.act(case_id, "order_payment", actor="监察员-王", params={"within": "5 workdays"})
        clock.advance(days=10)
        sweep(eng)
        case = eng.get(case_id)
        assert case.police_referred_at == clock.now()

        by_rule = [(e.event, e.rule_id, e.actor) for e in case.events if e.rule_id]
        assert by_rule == [
            ("raise_level", "raise_overdue", "rule:raise_overdue"),
            ("raise_level", "raise_overdue", "rule:raise_overdue"),
            ("assign_leader", "leader_at_province", "rule:leader_at_province"),
            ("refer_police", "crime_screen", "rule:crime_screen"),
            ("blacklist_candidate", "blacklist_screen", "rule:blacklist_screen"),
        ]
        assert all(e.pack_version == "1" for e in case.events if e.rule_id)
        clocks = {c.id: c for c in case.clocks}
        assert {"leader_review", "referral_decision"} <= set(clocks)
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

        # Every notice renders; the referral letter carries what the police need.
        eng.make_digests()
        notices = eng.notices()
        templates = {n.template for n in notices}
        assert {"超期预警", "提级办理通知书", "督办通知", "移送函", "每日台账摘要"} <= templates
        renderer = NoticeRenderer()
        tx = eng.tx
        for notice in notices:
            text = show_notice(tx, notice.id, renderer=renderer).text
            assert text is not None
            assert not text.startswith("(cannot"), (notice.template, text)
        raised = [n for n in notices if n.template == "提级办理通知书"]
        assert {n.recipient for n in raised if n.channel == "file"} == {
            "city_office@140300",
            "province_office@140000",
        }
        referral = next(n for n in notices if n.template == "移送函")
        letter = eng.notice(referral.id).text or ""
        assert "拒不支付劳动报酬罪" in letter
        assert case.complainant_phone in letter
        assert referral.recipient_name == "赵卫国"
        assert referral.channel == "log"  # the national pack routes the leader to the log

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
        "    do: [refer_police, {notify: {to: [leader], template: 移送函}}]\n"
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
    assert case.police_referred_at is None
    refer, notify = fired["actions"]
    assert refer["outcome"] == "recommended"
    assert any("责令支付" in m for m in refer["missing"])
    assert notify["notices"] == []  # no referral, so no 移送函
    # The refused referral is recorded as one `recommend` event of the rule (the engine knows
    # that action): no refer_police event, the case stays in handling.
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
