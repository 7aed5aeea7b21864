"""Which document goes to whom, built from real cases through the engine: the decision model's
drafts and acts' documents (``NoticeIssuer.decision_request`` / ``act_documents``, called here
with hand-built ``DecisionRecord`` values), rules that only warn, remind and advise, the
document numbers, documents that wait for a missing fact, and a check of every rendered
document as the clerk who must sign it would read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zhiqian import Engine, FrozenClock, Refused
from zhiqian.engine.commands.issue import Issued, NoticeIssuer
from zhiqian.engine.domain.documents import (
    office_name,
    office_short,
    police_office_name,
    referral_document_no,
)
from zhiqian.engine.escalation import install
from zhiqian.engine.routing import LeaderDirectory, Router
from zhiqian.notifiers import TEMPLATES, MemoryNotifier, NoticeRenderer, document_problems
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


def _ordered_case(eng: Engine, seed: int = 7, *, doc_no: str | None = ORDER_NO) -> int:
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
            flags=["absconded"],
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


# -- the drafts for the decider ----------------------------------------------------------------


def test_a_proposed_referral_sends_the_approval_form_to_the_head(eng: Engine) -> None:
    case_id = _ordered_case(eng)
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        decision = _decision(case_id, "refer_police", COUNTY, "负责人", approved=False, at=held.now)
        ids = held.request(decision)
        assert held.request(decision) == []  # the same proposal again: nothing new
    (notice,) = [n for n in eng.notices() if n.id in ids]
    assert (notice.template, notice.recipient, notice.status) == (
        "移送审批表",
        f"leader@{COUNTY}",
        "pending",
    )
    assert notice.recipient_name == "阳泉市城区人力资源和社会保障局负责人"
    text = _text(eng, notice.id)
    assert "决定期限：2026年3月14日" in text.splitlines()
    assert "拟办意见：拟作为涉嫌拒不支付劳动报酬罪案件，移送阳泉市公安局城区分局" in text
    assert f"（{ORDER_NO}）" in text
    assert "负责人意见：□ 批准移送" in text
    assert "移送书" not in text.split("涉嫌犯罪案件移送审批表")[1].split("依照")[0]
    assert document_problems(text) == []


def test_the_decider_is_named_from_the_directory_and_a_higher_office_gets_its_request(
    db_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "leaders.json"
    directory.write_text(
        json.dumps({COUNTY: {"负责人": {"name": "张建国"}}}, ensure_ascii=False), "utf-8"
    )
    router = Router(directory=LeaderDirectory.from_file(directory))
    with _open(db_url, clock, router) as engine:
        case_id = _ordered_case(engine)
        with engine.tx.write() as conn:
            held = Held(engine, conn, case_id)
            head = held.request(
                _decision(case_id, "blacklist", COUNTY, "负责人", approved=False, at=held.now)
            )
            city = held.request(
                _decision(
                    case_id, "supervise", CITY, "上级人社部门", approved=False, at=held.now,
                    number=2,
                )
            )  # fmt: skip
        notices = {n.id: n for n in engine.notices()}
        assert {notices[i].recipient_name for i in head} == {"张建国"}
        assert {(notices[i].recipient, notices[i].channel) for i in city} == {
            (f"city_office@{CITY}", "log"),
            (f"city_office@{CITY}", "file"),
        }
        text = _text(engine, city[0])
        assert text.splitlines()[:4] == [
            "阳泉市城区人力资源和社会保障局",
            "提请决定审批表",
            "",
            "阳泉市人力资源和社会保障局：",
        ]
        assert "提请事项：提请阳泉市人力资源和社会保障局对该案挂牌督办" in text
        blacklist = _text(engine, head[0])
        assert "听取其陈述和申辩" in blacklist
        for document in (text, blacklist):
            assert document_problems(document) == []


# -- the act's document, only after approval ---------------------------------------------------


def test_an_approved_supervision_goes_from_the_office_above_to_the_one_handling(
    eng: Engine,
) -> None:
    case_id = _ordered_case(eng)
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        ids = held.act(
            _decision(case_id, "supervise", CITY, "上级人社部门", approved=True, at=held.now)
        )
        itself = held.act(
            _decision(case_id, "supervise", COUNTY, "负责人", approved=True, at=held.now, number=2)
        )
    assert itself == []
    assert (
        "the supervising office (阳泉市城区人力资源和社会保障局) is the office handling"
        in (itself.refused[0])
    )
    notices = [n for n in eng.notices() if n.id in ids]
    assert {n.recipient for n in notices} == {f"county_office@{COUNTY}"}
    assert {n.template for n in notices} == {"挂牌督办通知书"}
    text = _text(eng, notices[0].id)
    lines = text.splitlines()
    assert lines[:3] == ["阳泉市人力资源和社会保障局", "挂牌督办通知书", ""]
    assert "阳泉市城区人力资源和社会保障局：" in lines
    assert "本机关于2026年3月12日决定对该案实行挂牌督办" in text
    assert document_problems(text) == []


def test_an_approved_raise_goes_to_the_office_that_handled_the_case(eng: Engine) -> None:
    case_id = _ordered_case(eng)
    with eng.tx.read() as conn:
        before = get_case(conn, case_id)
    assert before is not None
    eng.act(case_id, "raise_level", actor="局长张建国")
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        assert held.case.handling_region == CITY
        decision = _decision(
            case_id, "raise_level", CITY, "上级人社部门", approved=True, at=held.now
        )
        ids = held.act(decision, before=before)
        unmoved = held.act(replace(decision, id=2), before=held.case)
    assert unmoved == []
    assert "no office to hand it over" in unmoved.refused[0]
    notices = [n for n in eng.notices() if n.id in ids]
    assert {n.recipient for n in notices} == {f"county_office@{COUNTY}"}  # the lower office
    text = _text(eng, notices[0].id)
    assert text.splitlines()[:4] == [
        "阳泉市人力资源和社会保障局",
        "提级办理通知书",
        "",
        "阳泉市城区人力资源和社会保障局：",
    ]
    assert "自本通知送达之日起由本机关调查处理" in text
    assert document_problems(text) == []


def test_the_referral_letter_is_numbered_dated_by_the_decision_and_never_a_draft(
    eng: Engine,
) -> None:
    case_id = _ordered_case(eng)
    clock = eng.clock
    assert isinstance(clock, FrozenClock)
    screened = clock.now() - timedelta(days=2)
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        number = next_document_no(conn, division=COUNTY, kind="refer_police", year=2026)
        decision = _decision(
            case_id,
            "refer_police",
            COUNTY,
            "负责人",
            approved=True,
            at=held.now - timedelta(days=1),  # decided the day before the letter goes out
            proposed_at=screened,
            document_no=referral_document_no(COUNTY, 2026, number),
        )
        ids = held.act(decision)
    notices = [n for n in eng.notices() if n.id in ids]
    assert {(n.template, n.status) for n in notices} == {("涉嫌犯罪案件移送书", "pending")}
    assert all("由其移送阳泉市公安局城区分局" in (n.note or "") for n in notices)
    text = _text(eng, notices[0].id)
    assert "城区人社移〔2026〕1号" in text.splitlines()
    assert "阳泉市公安局城区分局：" in text.splitlines()
    assert "经本机关负责人局长张建国于2026年3月11日批准" in text
    assert "2026年3月10日" not in text  # the screening's day is not the approval's
    assert "草稿" not in text
    assert "在城区安置房项目（5标段）中拖欠15名劳动者" in text
    assert document_problems(text) == []


def test_a_letter_without_the_orders_number_waits_until_it_is_registered(
    eng: Engine,
) -> None:
    case_id = _ordered_case(eng, doc_no=None)
    ref = eng.get(case_id).ref
    with eng.tx.write() as conn:
        held = Held(eng, conn, case_id)
        decision = _decision(
            case_id, "refer_police", COUNTY, "负责人", approved=True, at=held.now,
            document_no="城区人社移〔2026〕1号",
        )  # fmt: skip
        ids = held.act(decision)
    waiting = [n for n in eng.notices(status="waiting") if n.id in ids]
    assert len(waiting) == len(ids) > 0
    reason = waiting[0].last_error or ""
    assert "责令支付文书（限期整改指令书或者行政处理决定书）的文号" in reason
    assert f"zhiqian case act {ref} register_order --param doc_no=" in reason
    assert "未发出" in _text(eng, waiting[0].id)
    memory = MemoryNotifier()
    channels = {"log": memory, "file": memory}
    assert eng.deliver_notices(channels).sent == 0  # never sent with a hole in it
    with pytest.raises(Refused, match="still waiting: 待补：责令支付文书"):
        eng.retry_notice(waiting[0].id)
    assert eng.notice(waiting[0].id).status == "waiting"

    clock = eng.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(days=1)
    eng.act(case_id, "register_order", actor="监察员王", params={"doc_no": ORDER_NO})
    released = eng.retry_notice(waiting[0].id)  # checked again at once
    assert released.status == "pending"
    report = eng.deliver_notices(channels)  # and the other copy on the delivery pass
    assert (report.released, report.sent) == (len(ids) - 1, len(ids))
    sent = memory.sent[0]
    assert sent.notice.template == "涉嫌犯罪案件移送书"
    assert f"劳动保障监察限期整改指令书（{ORDER_NO}）" in sent.rendered.text
    assert "2026年3月13日" in sent.rendered.text.splitlines()  # issued when it went out
    assert "waiting" not in sent.notice.context
    assert document_problems(sent.rendered.text) == []


def test_the_leader_notice_waits_for_a_name_from_the_directory(
    db_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "leaders.json"
    directory.write_text("{}", "utf-8")
    with _open(db_url, clock, Router(directory=LeaderDirectory.from_file(directory))) as engine:
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
        assert engine.deliver_notices().released == 0

        engine.escalator.router = Router(  # type: ignore[union-attr]
            directory=LeaderDirectory({COUNTY: {"分管领导": _person("王建华")}})
        )
        memory = MemoryNotifier()
        report = engine.deliver_notices({"log": memory, "file": memory})
        assert (report.released, report.sent) == (len(ids), len(ids))
        text = memory.sent[0].rendered.text
        assert "王建华同志：" in text.splitlines()
        assert "该案由你（分管领导）包案负责" in text
        assert document_problems(text) == []


def _person(name: str) -> Any:
    from zhiqian.engine.routing import Person

    return Person(name)


# -- what rules issue by themselves ----------------------------------------------------------------

RULES = """\
pack: rules
version: "1"
extends: national
label: 规则自行发出的文书
actions:
  - {id: propose_supervise, label: 提请挂牌督办}
clocks:
  - id: supervise_decision
    label: 挂牌督办决定时限
    start: {on_event: [propose_supervise]}
    limit: 5 workdays
    warn: [{before: 2 workdays, to: [handler]}]
    basis: 惯例：上级机关收到提请后5个工作日内作出决定
    status: CONV
escalations:
  - id: absconded_advance
    label: 欠薪逃匿：建议动用应急周转金
    when: '"absconded" in flags and state == "handling"'
    do:
      - recommend: {event: advance, label: 动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）}
      - notify: {to: [county_office, handler, county_office], template: 垫付建议}
    basis: 《保障农民工工资支付条例》第六十三条
    status: V
  - id: absconded_supervision
    label: 欠薪逃匿：挂牌督办
    when: '"absconded" in flags and state == "handling"'
    do:
      - notify: {to: [city_office], template: 督办通知}
    basis: 测试
    status: CONV
"""


@pytest.fixture
def rules_engine(db_url: str, clock: FrozenClock, tmp_path: Path) -> Iterator[Engine]:
    pack = tmp_path / "rules.yaml"
    pack.write_text(RULES, "utf-8")
    with _open(db_url, clock, pack=pack) as engine:
        yield engine


def test_a_rule_advises_once_per_recipient_and_may_not_issue_an_acts_document(
    rules_engine: Engine,
) -> None:
    case_id = _ordered_case(rules_engine)
    notices = rules_engine.notices(case_id=case_id)
    advice = [n for n in notices if n.template == "垫付建议"]
    # county_office twice in the rule, on log and file; the handler on log: three copies
    assert sorted((n.recipient, n.channel) for n in advice) == [
        (f"county_office@{COUNTY}", "file"),
        (f"county_office@{COUNTY}", "log"),
        (f"handler@{COUNTY}", "log"),
    ]
    assert not [n for n in notices if n.template == "挂牌督办通知书"]
    from zhiqian.engine.escalation import list_escalations

    fired = {e["rule"]: e for e in list_escalations(rules_engine, case_id)}
    (notify,) = fired["absconded_supervision"]["actions"]
    assert notify["notices"] == []
    text = _text(rules_engine, advice[0].id)
    assert "建议事项：动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）" in text
    assert "不是垫付决定" in text
    assert document_problems(text) == []


def test_an_undecided_decision_reminds_its_decider_before_its_clock_runs_out(
    rules_engine: Engine, clock: FrozenClock
) -> None:
    case_id = _ordered_case(rules_engine)
    rules_engine.act(
        case_id,
        "propose_supervise",
        actor="rule:absconded_supervision",
        params={
            "decision": 9,
            "act": "supervise",
            "decider_role": "上级人社部门",
            "decider_division": CITY,
        },
    )
    clock.advance(days=6)  # past the warning, two working days before the deadline
    rules_engine.sweep()
    reminders = [n for n in rules_engine.notices(case_id=case_id) if n.template == "催办提醒"]
    assert {n.recipient for n in reminders} == {f"city_office@{CITY}", f"handler@{COUNTY}"}
    text = _text(rules_engine, reminders[0].id)
    assert "待决事项：是否挂牌督办" in text.splitlines()
    assert "该事项尚未作出决定。请于2026年3月19日前作出批准或者不批准的决定" in text
    assert "决 定 人：阳泉市人力资源和社会保障局" in text.splitlines()
    assert document_problems(text) == []


# -- every document, read as the clerk who signs it ---------------------------------------------------


def test_every_document_over_real_cases_has_no_hole_id_or_placeholder(
    sqlite_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    pack = tmp_path / "rules.yaml"
    pack.write_text(RULES, "utf-8")
    directory = LeaderDirectory({COUNTY: {"分管领导": _person("王建华")}})
    with _open(sqlite_url, clock, Router(directory=directory), pack=pack) as engine:
        case_id = _ordered_case(engine)
        follow = engine.receive(
            sample_complaint(8, region=COUNTY, channel="transferred", flags=[],
                             received_at=clock.now().isoformat()),
            actor="受理窗口",
        ).id  # fmt: skip
        engine.act(
            follow, "require_report", actor="监察员王",
            params={"within": "next_day", "label": "次日报告案件处理解决进展"},
        )  # fmt: skip
        with engine.tx.read() as conn:
            before = get_case(conn, case_id)
        assert before is not None
        with engine.tx.write() as conn:
            held = Held(engine, conn, case_id)
            number = next_document_no(conn, division=COUNTY, kind="refer_police", year=2026)
            for n, (act, division, role) in enumerate(
                [
                    ("refer_police", COUNTY, "负责人"),
                    ("supervise", CITY, "上级人社部门"),
                    ("assign_leader", COUNTY, "负责人"),
                    ("blacklist", COUNTY, "负责人"),
                    ("raise_level", CITY, "上级人社部门"),
                ],
                start=1,
            ):
                pending = _decision(case_id, act, division, role, approved=False, at=held.now,
                                    number=n, params={"role": "分管领导"})  # fmt: skip
                held.request(pending)
                if act in ("refer_police", "supervise", "assign_leader"):
                    approved = _decision(
                        case_id, act, division, role, approved=True, at=held.now, number=n,
                        params={"role": "分管领导"},
                        document_no=referral_document_no(COUNTY, 2026, number),
                    )  # fmt: skip
                    held.act(approved)
        engine.act(case_id, "raise_level", actor="局长张建国")
        with engine.tx.write() as conn:
            held = Held(engine, conn, case_id)
            held.act(
                _decision(case_id, "raise_level", CITY, "上级人社部门", approved=True,
                          at=held.now, number=5),
                before=before,
            )  # fmt: skip
        clock.advance(days=90)
        engine.sweep()  # 超期预警 (the breached investigation's held for the digest), 催办提醒
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
