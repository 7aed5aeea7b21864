"""Which document goes to whom, built from real cases through the engine: the decider's form
when an act reserved to a person is proposed, the act's document when a named person approves
it (``Engine.propose`` / ``Engine.decide``), rules that only warn, remind and advise, the
document numbers, documents that wait for a missing fact, and a check of every rendered
document as the clerk who must sign it would read it. Where a case the engine cannot produce
is needed (a decider at the office itself, a leader nobody named), ``NoticeIssuer`` is called
with a hand-built ``DecisionRecord``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from zhiqian import Engine, FrozenClock, Refused, RuleError
from zhiqian.engine.commands.issue import Issued, NoticeIssuer
from zhiqian.engine.domain.documents import (
    office_name,
    office_short,
    police_office_name,
    referral_document_no,
)
from zhiqian.engine.escalation import install
from zhiqian.engine.routing import LeaderDirectory, Person, Router
from zhiqian.notifiers import TEMPLATES, MemoryNotifier, NoticeRenderer, document_problems
from zhiqian.rules.loader import load_pack
from zhiqian.store.cases import get_case
from zhiqian.store.clocks import load_clocks
from zhiqian.store.records import CaseRecord, DecisionRecord
from zhiqian.store.sequences import next_document_no
from zhiqian.testing import sample_complaint

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
COUNTY, CITY = "140302", "140300"
ORDER_NO = "城区人社监令〔2026〕12号"


# -- building real cases ------------------------------------------------------------------------


def _open(url: str, clock: FrozenClock, router: Router | None = None, **kw: Any) -> Engine:
    eng = Engine.open(url, create=True, clock=clock, **kw)
    install(eng, router=router or Router())
    return eng


def _ordered_case(
    eng: Engine, seed: int = 7, *, doc_no: str | None = ORDER_NO, flags: list[str] | None = None
) -> int:
    """A county case, filed, ordered to pay (its 文号 recorded or not), the period run out."""
    clock = eng.clock
    assert isinstance(clock, FrozenClock)
    case_id = eng.receive(
        sample_complaint(
            seed,
            region=COUNTY,
            workers=15,
            migrant_workers=12,
            amount="86000.00",
            migrant_amount="70000.00",
            flags=flags or [],
            project={"name": "城区安置房项目（5标段）", "kind": "government"},
            received_at=(clock.now() - timedelta(days=20)).isoformat(),
        ),
        actor="受理窗口",
    ).id
    for event in ("verify", "handle", "file"):
        eng.act(case_id, event, actor="监察员王")
    params = {"within": "5 workdays", "method": "张贴送达"}
    if doc_no:
        params["doc_no"] = doc_no
    eng.act(case_id, "order_payment", actor="监察员王", params=params)
    clock.advance(days=10)
    return case_id


def _decision(
    case_id: int,
    act: str,
    division: str,
    role: str,
    *,
    approved: bool,
    at: datetime,
    number: int = 1,
    **changes: Any,
) -> DecisionRecord:
    decision = DecisionRecord(
        id=number,
        case_id=case_id,
        act=act,
        status="approved" if approved else "pending",
        rule_id={
            "refer_police": "crime_screen",
            "supervise": "supervise_major",
            "assign_leader": "leader_major",
            "blacklist": "blacklist_screen",
        }.get(act),
        proposed_by="rule:" + {"refer_police": "crime_screen"}.get(act, "x"),
        proposed_at=at - timedelta(days=1),
        proposed_seq=5,
        params={},
        grounds="",
        decider_role=role,
        decider_division=division,
        clock_id="referral_decision",
        due_at=at + timedelta(days=2),
        decided_by="局长张建国" if approved else None,
        decided_at=at if approved else None,
        decision_reason="同意" if approved else None,
        decided_seq=6 if approved else None,
        act_seq=7 if approved else None,
        document_no=None,
    )
    return replace(decision, **changes)


class Held:
    """The case as a transaction holds it, and the issuer the engine's escalator uses."""

    def __init__(self, eng: Engine, conn: sa.Connection, case_id: int) -> None:
        escalator = eng.escalator
        assert escalator is not None
        self.issuer: NoticeIssuer = escalator.issuer
        self.conn = conn
        case = get_case(conn, case_id)
        assert case is not None
        self.case: CaseRecord = case
        self.clocks = load_clocks(conn, case_id)
        self.governing = self.issuer.packs.of(case)
        self.now = eng.clock.now()

    def request(self, decision: DecisionRecord) -> Issued:
        return self.issuer.decision_request(
            self.conn, self.governing, self.case, self.clocks, self.now, decision
        )

    def act(self, decision: DecisionRecord, before: CaseRecord | None = None) -> Issued:
        return self.issuer.act_documents(
            self.conn,
            self.governing,
            self.case,
            self.clocks,
            self.now,
            decision,
            before=before or self.case,
        )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def eng(db_url: str, clock: FrozenClock) -> Iterator[Engine]:
    with _open(db_url, clock) as engine:
        yield engine


def _text(eng: Engine, notice_id: int) -> str:
    """The document as ``notices show`` gives it, without its subject line."""
    text = eng.notice(notice_id).text
    assert text is not None
    subject, _, body = text.partition("\n\n")
    assert subject.startswith("【") or subject.startswith("（未发出"), subject
    return body if subject.startswith("【") else text


# -- names and numbers -----------------------------------------------------------------------


def test_offices_police_and_document_numbers_follow_the_division_table() -> None:
    assert office_name(COUNTY) == "阳泉市城区人力资源和社会保障局"
    assert office_name("140000") == "山西省人力资源和社会保障厅"
    assert office_name("110105") == "北京市朝阳区人力资源和社会保障局"
    assert office_name("110000") == "北京市人力资源和社会保障局"  # a 直辖市's is a 局
    assert police_office_name(COUNTY) == "阳泉市公安局城区分局"
    assert police_office_name("140321") == "平定县公安局"
    assert police_office_name(CITY) == "阳泉市公安局"
    assert police_office_name("140000") == "山西省公安厅"
    assert police_office_name("110105") == "北京市公安局朝阳分局"
    assert (office_short(COUNTY), office_short("140322")) == ("城区人社", "盂县人社")
    assert referral_document_no(COUNTY, 2026, 3) == "城区人社移〔2026〕3号"
    assert referral_document_no("140000", 2026, 1) == "山西人社厅移〔2026〕1号"
    with pytest.raises(ValueError, match="positive whole number"):
        referral_document_no(COUNTY, 2026, 0)


def test_document_numbers_run_per_office_kind_and_year_and_come_back_on_rollback(
    db_url: str,
) -> None:
    with Engine.open(db_url, create=True) as engine:
        tx = engine.tx
        with tx.write() as conn:
            taken = [next_document_no(conn, division=COUNTY, kind="refer_police", year=2026)]
            taken.append(next_document_no(conn, division=COUNTY, kind="refer_police", year=2026))
            other = next_document_no(conn, division=CITY, kind="refer_police", year=2026)
            later = next_document_no(conn, division=COUNTY, kind="refer_police", year=2027)
        assert (taken, other, later) == ([1, 2], 1, 1)

        def fails() -> None:
            with tx.write() as conn:
                assert next_document_no(conn, division=COUNTY, kind="refer_police", year=2026) == 3
                raise RuntimeError("the issue failed")

        with pytest.raises(RuntimeError):
            fails()
        with tx.write() as conn:  # the rolled-back number is given back, not skipped
            assert next_document_no(conn, division=COUNTY, kind="refer_police", year=2026) == 3
            for bad in ({"division": "1403"}, {"kind": ""}, {"year": 26}):
                args: dict[str, Any] = {
                    "division": COUNTY, "kind": "refer_police", "year": 2026, **bad
                }  # fmt: skip
                with pytest.raises(ValueError, match="next_document_no"):
                    next_document_no(conn, **args)


# -- the decider's form, with the proposal --------------------------------------------------------


def _pending(eng: Engine, case_id: int, act: str) -> Any:
    (found,) = [d for d in eng.decisions(case_id) if d.act == act and d.status == "pending"]
    return found


def _of(eng: Engine, case_id: int, template: str) -> list[Any]:
    return [n for n in eng.notices(case_id=case_id, limit=1000) if n.template == template]


def test_a_screened_referral_sends_the_approval_form_to_the_head(eng: Engine) -> None:
    case_id = _ordered_case(eng)
    eng.sweep()  # the order's period has passed unpaid: crime_screen proposes the referral
    decision = _pending(eng, case_id, "refer_police")
    (notice,) = _of(eng, case_id, "移送审批表")
    assert (notice.recipient, notice.status) == (f"leader@{COUNTY}", "pending")
    assert notice.recipient_name == "阳泉市城区人力资源和社会保障局负责人"
    text = _text(eng, notice.id)
    lines = text.splitlines()
    assert lines[:2] == ["阳泉市城区人力资源和社会保障局", "涉嫌犯罪案件移送审批表"]
    assert f"决定期限：{_cn(decision.due_at)}" in lines
    assert "拟办意见：拟作为涉嫌拒不支付劳动报酬罪案件，移送阳泉市公安局城区分局" in lines
    assert f"（{ORDER_NO}）" in text
    assert "提 请 人：＿＿＿＿＿＿＿＿（核实情况的执法人员签名）" in lines  # a rule screened
    assert "负责人意见：□ 批准移送　　□ 不批准移送" in lines
    assert "crime_screen" not in text
    assert document_problems(text) == []
    assert not _of(eng, case_id, "涉嫌犯罪案件移送书")  # nothing is referred before approval


def _cn(at: datetime | None) -> str:
    assert at is not None
    day = at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    return f"{day.year}年{day.month}月{day.day}日"


def test_a_higher_office_gets_its_request_and_a_head_named_in_the_directory_gets_theirs(
    db_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "leaders.json"
    directory.write_text(
        json.dumps({COUNTY: {"负责人": {"name": "张建国"}}}, ensure_ascii=False), "utf-8"
    )
    router = Router(directory=LeaderDirectory.from_file(directory))
    with _open(db_url, clock, router) as engine:
        case_id = _ordered_case(engine)
        # blacklist_screen proposes the 失信 listing to the head; a clerk proposes 挂牌督办
        engine.propose(case_id, "supervise", actor="监察员王", reason="久拖未结，涉及人数较多")
        (request,) = [n for n in _of(engine, case_id, "提请决定审批表") if n.channel == "file"]
        assert request.recipient == f"city_office@{CITY}"
        text = _text(engine, request.id)
        assert text.splitlines()[:4] == [
            "阳泉市城区人力资源和社会保障局",
            "提请决定审批表",
            "",
            "阳泉市人力资源和社会保障局：",
        ]
        assert "提请事项：提请阳泉市人力资源和社会保障局对该案挂牌督办" in text
        assert "提 请 人：监察员王" in text.splitlines()
        (head,) = [
            n for n in _of(engine, case_id, "提请决定审批表") if n.rule_id == "blacklist_screen"
        ]
        assert (head.recipient, head.recipient_name) == (f"leader@{COUNTY}", "张建国")
        blacklist = _text(engine, head.id)
        assert "张建国：" in blacklist.splitlines()
        assert "听取其陈述和申辩" in blacklist
        for document in (text, blacklist):
            assert document_problems(document) == []


# -- the act's document, only after approval ---------------------------------------------------


def test_an_approved_supervision_goes_from_the_office_above_to_the_one_handling(
    eng: Engine,
) -> None:
    case_id = _ordered_case(eng)
    proposed = eng.propose(case_id, "supervise", actor="监察员王", reason="久拖未结")
    assert not _of(eng, case_id, "挂牌督办通知书")
    eng.decide(case_id, proposed.id, "approve", actor="市局局长李明", reason="同意挂牌督办")
    notices = _of(eng, case_id, "挂牌督办通知书")
    assert {(n.recipient, n.channel) for n in notices} == {
        (f"county_office@{COUNTY}", "log"),
        (f"county_office@{COUNTY}", "file"),
    }
    text = _text(eng, notices[0].id)
    lines = text.splitlines()
    assert lines[:3] == ["阳泉市人力资源和社会保障局", "挂牌督办通知书", ""]
    assert "阳泉市城区人力资源和社会保障局：" in lines
    assert "本机关于2026年3月12日决定对该案实行挂牌督办" in text
    assert document_problems(text) == []
    # a supervising office that is the one handling the case would address itself: refused
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        itself = held.act(
            _decision(case_id, "supervise", COUNTY, "负责人", approved=True, at=held.now, number=9)
        )
    assert itself == []
    assert (
        "the supervising office (阳泉市城区人力资源和社会保障局) is the office handling"
        in (itself.refused[0])
    )


def test_an_approved_raise_goes_to_the_office_that_handled_the_case(eng: Engine) -> None:
    case_id = _ordered_case(eng)
    proposed = eng.propose(
        case_id, "raise_level", actor="监察员王", reason="案情复杂，县级难以解决"
    )
    eng.decide(case_id, proposed.id, "approve", actor="市局局长李明", reason="同意提级")
    assert eng.get(case_id).handling_region == CITY
    notices = _of(eng, case_id, "提级办理通知书")
    assert {n.recipient for n in notices} == {f"county_office@{COUNTY}"}  # the lower office
    text = _text(eng, notices[0].id)
    assert text.splitlines()[:4] == [
        "阳泉市人力资源和社会保障局",
        "提级办理通知书",
        "",
        "阳泉市城区人力资源和社会保障局：",
    ]
    assert "自本通知送达之日起由本机关调查处理" in text
    assert "提级事由：案情复杂，县级难以解决" in text.splitlines()
    assert document_problems(text) == []
    with eng.tx.write() as conn:  # a "raise" that left the case where it was: nothing to send
        held = Held(eng, conn, case_id)
        decision = _decision(case_id, "raise_level", CITY, "上级", approved=True, at=held.now)
        unmoved = held.act(decision, before=held.case)
    assert unmoved == []
    assert "no office to hand it over" in unmoved.refused[0]


def test_the_referral_letter_is_numbered_dated_by_the_decision_and_never_a_draft(
    eng: Engine, clock: FrozenClock
) -> None:
    case_id = _ordered_case(eng)
    eng.sweep()
    decision = _pending(eng, case_id, "refer_police")  # proposed on 2026-03-12
    clock.advance(days=1)
    eng.decide(case_id, decision.id, "approve", actor="局长张建国", reason="证据确实，同意移送")
    notices = _of(eng, case_id, "涉嫌犯罪案件移送书")
    assert {n.status for n in notices} == {"pending"}
    assert all("由其移送阳泉市公安局城区分局" in (n.note or "") for n in notices)
    text = _text(eng, notices[0].id)
    lines = text.splitlines()
    assert lines[:3] == [
        "阳泉市城区人力资源和社会保障局",
        "涉嫌犯罪案件移送书",
        "城区人社移〔2026〕1号",
    ]
    assert "阳泉市公安局城区分局：" in lines
    assert "经本机关负责人（局长张建国）于2026年3月13日批准" in text
    assert "2026年3月12日" not in text  # the day the rule screened is not the approval's
    assert "草稿" not in text
    assert "在城区安置房项目（5标段）中拖欠15名劳动者" in text
    assert document_problems(text) == []


def test_a_letter_without_the_orders_number_waits_until_it_is_registered(
    eng: Engine, clock: FrozenClock
) -> None:
    case_id = _ordered_case(eng, doc_no=None)
    ref = eng.get(case_id).ref
    eng.sweep()
    decision = _pending(eng, case_id, "refer_police")
    eng.decide(case_id, decision.id, "approve", actor="局长张建国", reason="同意移送")
    waiting = eng.notices(status="waiting")
    assert {n.template for n in waiting} == {"涉嫌犯罪案件移送书"}
    assert len(waiting) == 2  # the office's log and file
    reason = waiting[0].last_error or ""
    assert "责令支付文书（限期整改指令书或者行政处理决定书）的文号" in reason
    assert f"zhiqian case act {ref} register_order --param doc_no=" in reason
    assert "未发出" in _text(eng, waiting[0].id)
    memory = MemoryNotifier()
    channels = {"log": memory, "file": memory}
    eng.deliver_notices(channels)
    assert not [s for s in memory.sent if s.notice.template == "涉嫌犯罪案件移送书"]
    with pytest.raises(Refused, match="still waiting: 待补：责令支付文书"):
        eng.retry_notice(waiting[0].id)
    assert eng.notice(waiting[0].id).status == "waiting"

    clock.advance(days=1)
    eng.act(case_id, "register_order", actor="监察员王", params={"doc_no": ORDER_NO})
    assert eng.retry_notice(waiting[0].id).status == "pending"  # checked again at once
    report = eng.deliver_notices(channels)  # and the other copy on the delivery pass
    assert report.released == 1
    letters = [s for s in memory.sent if s.notice.template == "涉嫌犯罪案件移送书"]
    assert len(letters) == 2
    text = letters[0].rendered.text
    assert f"劳动保障监察限期整改指令书（{ORDER_NO}，送达方式：张贴送达）" in text
    assert "2026年3月13日" in text.splitlines()  # issued when it went out
    assert "waiting" not in letters[0].notice.context
    assert document_problems(text) == []


def test_a_leader_notice_without_a_named_leader_waits_for_the_directory(
    db_url: str, clock: FrozenClock
) -> None:
    with _open(db_url, clock) as engine:
        case_id = _ordered_case(engine)
        decision = _decision(
            case_id, "assign_leader", COUNTY, "负责人", approved=True, at=clock.now(),
            params={"role": "分管领导"},
        )  # fmt: skip
        with engine.tx.write() as conn:
            ids = Held(engine, conn, case_id).act(decision)
        waiting = engine.notices(status="waiting")
        assert {n.id for n in waiting} == set(ids)
        assert {n.recipient.split("@")[0] for n in waiting} == {"leader", "handler"}
        assert "包案领导的姓名" in (waiting[0].last_error or "")
        quiet = MemoryNotifier()
        assert engine.deliver_notices({"log": quiet, "file": quiet}).released == 0

        escalator = engine.escalator
        assert escalator is not None
        escalator.router = Router(
            directory=LeaderDirectory({COUNTY: {"分管领导": Person("王建华")}})
        )
        memory = MemoryNotifier()
        assert engine.deliver_notices({"log": memory, "file": memory}).released == len(ids)
        (text,) = {s.rendered.text for s in memory.sent if s.notice.template == "领导包案通知"}
        assert "王建华同志：" in text.splitlines()
        assert "该案由你（分管领导）包案负责" in text
        assert document_problems(text) == []


# -- what rules issue by themselves ----------------------------------------------------------------

RULES = """\
pack: rules
version: "1"
extends: national
label: 规则自行发出的文书
escalations:
  - id: absconded_advance
    label: 欠薪逃匿：建议动用应急周转金
    when: '"absconded" in flags and state == "handling"'
    do:
      - recommend: {event: advance, label: 动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）}
      - notify: {to: [county_office, handler, county_office], template: 垫付建议}
    basis: 《保障农民工工资支付条例》第六十三条
    status: V
"""


@pytest.fixture
def rules_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "rules.yaml"
    pack.write_text(RULES, "utf-8")
    return pack


def test_a_rule_advises_once_per_recipient_and_may_not_issue_an_acts_document(
    db_url: str, clock: FrozenClock, rules_pack: Path, tmp_path: Path
) -> None:
    with _open(db_url, clock, pack=rules_pack) as engine:
        case_id = _ordered_case(engine, flags=["absconded"])
        advice = [n for n in _of(engine, case_id, "垫付建议") if n.rule_id == "absconded_advance"]
        # county_office twice in the rule, on log and file; the handler on log: three copies
        assert sorted((n.recipient, n.channel) for n in advice) == [
            (f"county_office@{COUNTY}", "file"),
            (f"county_office@{COUNTY}", "log"),
            (f"handler@{COUNTY}", "log"),
        ]
        text = _text(engine, advice[0].id)
        assert "建议事项：动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）" in text
        assert "不是垫付决定" in text
        assert document_problems(text) == []
        with engine.tx.write() as conn:  # asked for an act's document, the issuer refuses
            held = Held(engine, conn, case_id)
            refused = held.issuer.rule_notices(
                conn, held.governing, held.case, held.clocks, held.now,
                spec=held.governing.pack.escalation("absconded_advance"),
                facts={}, roles=("city_office",), template="督办通知",
            )  # fmt: skip
        assert refused == []
        assert "挂牌督办通知书 is issued only by the decision model" in refused.refused[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("template: 垫付建议", "template: 督办通知"), "utf-8")
    with pytest.raises(RuleError, match="issued by a decision, not by a rule"):
        load_pack(bad)


def test_an_undecided_decision_reminds_its_decider_once_its_clock_runs_out(
    eng: Engine, clock: FrozenClock
) -> None:
    case_id = _ordered_case(eng)
    proposed = eng.propose(case_id, "supervise", actor="监察员王", reason="久拖未结")
    clock.set(proposed.due_at + timedelta(hours=11))  # the next morning
    eng.sweep()
    reminders = [n for n in _of(eng, case_id, "催办提醒") if f"city_office@{CITY}" == n.recipient]
    assert reminders
    text = _text(eng, reminders[0].id)
    lines = text.splitlines()
    assert "待决事项：是否挂牌督办" in lines
    assert "决 定 人：阳泉市人力资源和社会保障局" in lines
    assert f"该事项的决定期限已于{_cn(proposed.due_at)}届满，至今尚未作出决定。" in text
    assert "本提醒仅提示期限，不代表任何处理决定。" in lines
    assert document_problems(text) == []


# -- every document, read as the clerk who signs it ---------------------------------------------------


def test_every_document_over_real_cases_has_no_hole_id_or_placeholder(
    sqlite_url: str, clock: FrozenClock, rules_pack: Path
) -> None:
    with _open(sqlite_url, clock, pack=rules_pack) as engine:
        case_id = _ordered_case(engine, flags=["absconded"])
        follow = engine.receive(
            sample_complaint(8, region=COUNTY, channel="transferred", flags=[],
                             received_at=clock.now().isoformat()),
            actor="受理窗口",
        ).id  # fmt: skip
        engine.act(
            follow, "require_report", actor="监察员王",
            params={"within": "next_day", "label": "次日报告案件处理解决进展"},
        )  # fmt: skip
        engine.sweep()  # the referral (移送审批表) and 失信 proposals of the rules
        referral = _pending(engine, case_id, "refer_police")
        engine.decide(case_id, referral.id, "approve", actor="局长张建国", reason="同意移送")
        for act, params in (
            ("supervise", {}),
            ("assign_leader", {"role": "分管领导"}),
            ("raise_level", {}),
        ):
            proposed = engine.propose(
                case_id, act, actor="监察员王", reason="重大复杂案件", params=params
            )
            extra = {"leader": "王建华"} if act == "assign_leader" else {}
            engine.decide(
                case_id, proposed.id, "approve", actor="局长张建国", reason="同意", params=extra
            )
        clock.advance(days=90)
        engine.sweep()  # 超期预警 (the investigation's held for the digest), 催办提醒
        clock.set(clock.now().replace(hour=3))  # 11:00 local: past the digest's hour
        engine.make_digests()
        renderer = NoticeRenderer()
        seen: dict[str, int] = {}
        for listed in engine.notices(limit=1000):
            assert listed.status != "waiting", (listed.template, listed.last_error)
            notice = listed.notice()
            rendered = renderer.render(notice)
            for part in (rendered.subject, rendered.text):
                assert document_problems(part) == [], (notice.template, part)
            seen[notice.template] = seen.get(notice.template, 0) + 1
    assert set(seen) == set(TEMPLATES), f"documents not rendered: {set(TEMPLATES) - set(seen)}"
