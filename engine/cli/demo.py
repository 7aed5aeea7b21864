"""``zhiqian demo``: a winter campaign replayed on a fresh SQLite database.

A few hundred realistic complaints (fixed seed: industries, the districts and counties of
阳泉市, project kinds, amounts) arrive between 2019-11-15 and mid-January 2020 under the
``yangquan-2019`` pack. A simulated clock walks day by day to the Spring Festival of 2020;
clerks act on most cases (some promptly, some late, a few never), the sweep runs as the daemon
would, and notices are delivered to files. At the end the demo writes what escalated and why,
the rendered notices, the overdue table and the campaign report (附件2), and returns the paths.

The program (:func:`run_demo`) drives the public ``Engine`` only, as an embedding system would;
the command (:func:`demo`) prints what it returns.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from zhiqian.engine.cli.deadlines import OVERDUE_COLUMNS
from zhiqian.engine.cli.output import (
    Column,
    human_duration,
    local_time,
    make_console,
    print_listing,
    progress,
)

if TYPE_CHECKING:
    from zhiqian import DueItem, Engine
    from zhiqian.rules.loader import RulePack

__all__ = ["COUNTIES", "DemoResult", "demo", "demo_complaints", "run_demo"]

CST = ZoneInfo("Asia/Shanghai")
START = date(2019, 11, 15)
SPRING_FESTIVAL_EVE = date(2020, 1, 24)
COUNTIES = {
    "140302": "城区",
    "140303": "矿区",
    "140311": "郊区",
    "140321": "平定县",
    "140322": "盂县",
}
_INDUSTRIES = [
    ("construction", 0.55, ["建筑工程有限公司", "建设集团有限公司", "市政工程有限公司"]),
    ("manufacturing", 0.2, ["机械制造有限公司", "耐火材料厂", "铸造有限公司"]),
    ("training", 0.05, ["教育培训学校", "艺术培训中心"]),
    ("other", 0.2, ["物业服务有限公司", "餐饮管理有限公司", "商贸有限公司"]),
]
_TRADE_NAMES = ["鑫达", "恒泰", "宏远", "晋阳", "华盛", "兴旺", "瑞丰", "永安", "金桥", "东方"]
_PROJECTS = ["安置房", "棚户区改造", "道路改造", "污水处理厂", "学校", "医院门诊楼", "产业园厂房"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈"
_GIVEN = [
    "建国",
    "秀英",
    "伟",
    "芳",
    "军",
    "敏",
    "强",
    "丽",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
]


@dataclass
class DemoResult:
    folder: Path
    database: Path
    cases: int
    events: int
    escalations: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # ref, rule, event, at
    notices: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    overdue: list[DueItem] = field(default_factory=list)
    sweeps: int = 0
    pack: RulePack | None = None  # the pack the campaign ran under


def demo_complaints(seed: int = 2019, count: int = 300) -> list[dict[str, Any]]:
    """``count`` complaint records received between 2019-11-15 and 2020-01-15, reproducibly."""
    from zhiqian.rules.codes import make_id_number, make_uscc  # loads the division table

    rng = random.Random(seed)
    days = [START + timedelta(days=i) for i in range((date(2020, 1, 15) - START).days + 1)]
    records = []
    for n in range(count):
        region = rng.choice(list(COUNTIES))
        category = rng.choices([i[0] for i in _INDUSTRIES], [i[1] for i in _INDUSTRIES])[0]
        suffix = rng.choice(next(i[2] for i in _INDUSTRIES if i[0] == category))
        workers = max(1, int(rng.lognormvariate(2.0, 1.0)))
        workers = min(workers, 260)
        migrants = workers if category == "construction" else rng.randint(0, workers)
        per_head = Decimal(rng.randint(3_000, 25_000))
        amount = per_head * workers + Decimal(rng.randint(0, 99)) / 100
        migrant_amount = (amount * migrants / workers).quantize(Decimal("0.01"))
        day = rng.choice(days)
        at = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=CST)
        project = None
        if category == "construction":
            project = {
                "name": f"{COUNTIES[region]}{rng.choice(_PROJECTS)}项目（{rng.randint(1, 9)}标段）",
                "kind": rng.choices(["government", "ppp", "soe"], [0.5, 0.2, 0.3])[0],
            }
        flags = []
        if workers >= 10:
            flags.append("collective")
        if rng.random() < 0.08:
            flags.append("malicious")
        if rng.random() < 0.3:
            flags.append("arrears_3_months")
        birth = date(1962, 1, 1) + timedelta(days=rng.randint(0, 365 * 38))
        records.append(
            {
                "ref": f"YQ2019-{n + 1:04d}",
                "received_at": at.isoformat(),
                "channel": rng.choices(
                    ["platform", "hotline_12333", "visit", "transferred", "letter"],
                    [0.45, 0.25, 0.15, 0.1, 0.05],
                )[0],
                "region": region,
                "employer": {
                    "name": f"阳泉市{COUNTIES[region]}{rng.choice(_TRADE_NAMES)}{suffix}",
                    "uscc": make_uscc(rng, region),
                    "category": category,
                },
                "project": project,
                "workers": workers,
                "migrant_workers": migrants,
                "amount": str(amount),
                "migrant_amount": str(migrant_amount),
                "complainant": {
                    "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                    "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                    "id_number": make_id_number(rng, region, birth),
                },
                "flags": flags,
                "summary": f"{workers}名劳动者反映{suffix.rstrip('有限公司')}拖欠工资{amount}元。",
            }
        )
    records.sort(key=lambda r: str(r["received_at"]))
    return records


# What clerks do with a case: (event or action, params, working hours after the previous step).
_Plan = list[tuple[str, dict[str, str], float]]


def _plan(rng: random.Random, record: dict[str, Any]) -> _Plan:
    """A case's fate, and for a case transferred from above the report owed the next day
    (阳农工治欠办发〔2019〕7号 三（三）4 "次日报告案件处理解决进展"): made before the first step, at
    most 20 hours after receipt, without moving the steps that follow."""
    plan = _fate(rng, record)
    first, params, hours = plan[0]
    if record["channel"] == "transferred" and first != "dismiss":
        report = min(hours, 20.0)
        plan[0:1] = [("report_progress", {}, report), (first, params, hours - report)]
    return plan


def _fate(rng: random.Random, record: dict[str, Any]) -> _Plan:
    """A case's fate: most are solved within days; some drag on; a few end at the police."""
    roll = rng.random()
    workers = record["workers"]
    amount = Decimal(record["amount"])
    order = {
        "doc_type": "劳动保障监察限期整改指令书",
        "doc_no": f"{COUNTIES[record['region']]}人社监令〔2019〕{int(record['ref'][-4:])}号",
        "method": "直接送达",
    }
    pay = {
        "workers": str(workers),
        "migrant_workers": str(record["migrant_workers"]),
        "amount": record["amount"],
        "migrant_amount": record["migrant_amount"],
    }
    if roll < 0.06:
        return [("dismiss", {}, 3)]
    if roll < 0.55:  # 当天核实当天解决
        return [
            ("verify", {}, 2),
            ("find_arrears", {}, 1),
            ("resolve_without_filing", {}, 1),
            ("handle", {}, 1),
            ("recover", pay, 2),
            ("paid", {}, 0.5),
            ("close", {}, 24 * 5),
        ]
    if roll < 0.8:  # verified late: filed, ordered to pay, pays before the due date
        return [
            ("verify", {}, 30),
            ("find_arrears", {}, 4),
            ("file", {}, 2),
            ("handle", {}, 1),
            ("order_payment", {"within": "5 workdays", **order}, 2),
            ("decide", {}, 30),
            ("recover", pay, 40),
            ("paid", {}, 1),
            ("close", {}, 24 * 7),
        ]
    if roll < 0.9 and ((workers >= 10 and amount >= 30000) or amount >= 5000):
        # employer absconds: order served, period passes unpaid → screening → 移送公安
        return [
            ("verify", {}, 6),
            ("find_arrears", {}, 2),
            ("flag", {"flag": "absconded"}, 1),
            ("file", {}, 1),
            ("handle", {}, 1),
            ("order_payment", {"within": "3 workdays", **order}, 2),
            ("advance", {}, 24 * 6),
        ]
    if roll < 0.95:
        # stalls; after a week the clerk asks the city to take it over (逐级上报, 提请提级办理)
        return [("verify", {}, 72), ("propose:raise_level", {"clocks": "continue"}, 24 * 7)]
    return [("verify", {}, 72)]  # then stalls: the year-end and investigation clocks run out


@dataclass
class _Pending:
    case_id: int
    ref: str
    steps: _Plan
    due: datetime


# Who decides in the demo: each county bureau's head (移送, 失信名单, 包案领导) and the city
# bureau (督办, 提级), by name — the names are the demo's own.
_HEADS = {
    "140302": "城区人社局局长 王建军",
    "140303": "矿区人社局局长 刘志刚",
    "140311": "郊区人社局局长 张海平",
    "140321": "平定县人社局局长 李国华",
    "140322": "盂县人社局局长 赵振宇",
    "140300": "阳泉市人社局局长 陈晓东",
    "140000": "山西省人社厅副厅长 周文斌",
}
_LEADERS = {
    "140302": "城区人社局副局长 孙立新",
    "140303": "矿区人社局副局长 高红梅",
    "140311": "郊区人社局副局长 马俊峰",
    "140321": "平定县人社局副局长 郭永胜",
    "140322": "盂县人社局副局长 韩晓燕",
    "140300": "阳泉市人社局副局长 吴卫东",
}


@dataclass
class _Deciders:
    """The demo's deciders: a decision waits a working day or two, then its decider approves
    most and refuses some, with reasons; an approved referral is received and filed by the
    police in the following days."""

    rng: random.Random
    police: list[tuple[int, str, datetime]] = field(default_factory=list)
    decided: int = 0
    rejected: int = 0


_REJECTIONS = {
    "refer_police": "经核实，用人单位已于审批前足额支付拖欠工资，不予移送",
    "blacklist": "用人单位在陈述申辩期间已全部改正，暂不列入",
    "supervise": "该案已有实质进展，暂不挂牌督办，继续跟踪",
    "raise_level": "县级已组织专班，暂由县级继续办理",
    "assign_leader": "已由分管领导直接调度，暂不另行包案",
}
_APPROVALS = {
    "refer_police": "经审查，涉嫌拒不支付劳动报酬罪，同意移送公安机关",
    "blacklist": "经事先告知，当事人未提出陈述申辩，同意列入",
    "supervise": "同意挂牌督办，请按期报告进展",
    "raise_level": "同意由市级提级办理",
    "assign_leader": "同意包案",
}


def _decide(engine: Engine, deciders: _Deciders, now: datetime, result: DemoResult) -> None:
    """Decide the decisions waiting since yesterday or earlier; move approved referrals on."""
    from zhiqian import Refused

    for decision in engine.decisions(status="pending"):
        if now - decision.proposed_at < timedelta(hours=20):
            continue
        decider = _HEADS.get(decision.decider_division, f"{decision.decider_office}负责人")
        reject = deciders.rng.random() < 0.15
        params: dict[str, str] = {}
        if decision.act == "assign_leader":
            params["leader"] = str(
                decision.params.get("leader")
                or _LEADERS.get(decision.decider_division, _LEADERS["140300"])
            )
        try:
            done = engine.decide(
                decision.case_id,
                decision.id,
                "reject" if reject else "approve",
                actor=decider,
                reason=(_REJECTIONS if reject else _APPROVALS)[decision.act],
                params=params or None,
            )
        except Refused:
            continue  # the case moved on (paid, closed) since the proposal
        deciders.decided += 1
        deciders.rejected += reject
        if done.act == "refer_police" and done.status == "approved":
            deciders.police.append((done.case_id, "police_received", now + timedelta(hours=20)))
    for item in list(deciders.police):
        case_id, event, due = item
        if due > now:
            continue
        deciders.police.remove(item)
        try:
            engine.act(case_id, event, actor="监察员", params={"by": "公安机关"})
        except Refused:
            continue
        if event == "police_received":
            deciders.police.append((case_id, "police_filed", now + timedelta(days=3)))


def run_demo(
    folder: Path,
    *,
    seed: int = 2019,
    count: int = 300,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Replay the campaign into ``folder`` (created; an old demo database there is replaced)."""
    from zhiqian import Engine, FrozenClock, Refused
    from zhiqian.engine.reports import (
        campaign_report,
        ledger,
        write_csv,
        write_html,
        write_ledger_xlsx,
        write_xlsx,
    )
    from zhiqian.notifiers import FileNotifier

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "demo.db"
    for stale in folder.glob("demo.db*"):
        stale.unlink()
    notices_dir = folder / "notices"
    notices_dir.mkdir(exist_ok=True)
    for old in notices_dir.iterdir():
        old.unlink()
    clock = FrozenClock(datetime.combine(START, time(8, 0), tzinfo=CST))
    engine = Engine.open(f"sqlite:///{database}", create=True, pack="yangquan-2019", clock=clock)
    files = FileNotifier(notices_dir, fsync=False)
    channels = {name: files for name in ("log", "file", "email", "webhook", "apprise")}
    rng = random.Random(seed)
    records = demo_complaints(seed, count)
    result = DemoResult(
        folder=folder, database=database, cases=len(records), events=0, pack=engine.pack
    )
    received: list[int] = []
    pending: list[_Pending] = []
    deciders = _Deciders(random.Random(seed + 1))
    next_record = 0
    day = START
    total_days = (SPRING_FESTIVAL_EVE - START).days
    try:
        while day <= SPRING_FESTIVAL_EVE:
            for hour in (9, 12, 15, 18, 21):
                now = datetime.combine(day, time(hour, 0), tzinfo=CST)
                clock.set(now)
                while (
                    next_record < len(records)
                    and datetime.fromisoformat(records[next_record]["received_at"]) <= now
                ):
                    record = records[next_record]
                    next_record += 1
                    case = engine.receive(record, actor="受理窗口")
                    received.append(case.id)
                    first = datetime.fromisoformat(record["received_at"])
                    pending.append(_Pending(case.id, case.ref, _plan(rng, record), first))
                for item in list(pending):
                    while item.steps and item.due + timedelta(hours=item.steps[0][2]) <= now:
                        event, params, hours = item.steps.pop(0)
                        item.due = item.due + timedelta(hours=hours)
                        try:
                            if event.startswith("propose:"):
                                engine.propose(
                                    item.case_id,
                                    event.removeprefix("propose:"),
                                    actor="监察员",
                                    reason="该案核实后一时难以解决，依照阳农工治欠办发〔2019〕7号"
                                    "三（三）2逐级上报，提请上级提级办理",
                                    params=params,
                                )
                            else:
                                engine.act(item.case_id, event, actor="监察员", params=params)
                        except Refused:
                            item.steps.clear()  # the rules (or an escalation) overtook the plan
                    if not item.steps:
                        pending.remove(item)
                # The clock stands at ``now``. Deliveries fall between 09:00 and 21:00, outside
                # the packs' quiet hours, so every due notice goes out in the same pass.
                engine.sweep()
                result.sweeps += 1
                if hour == 9 and engine.digest_due():
                    engine.make_digests()  # the 08:30 每日台账摘要, as the daemon makes it
                if hour == 15:
                    _decide(engine, deciders, now, result)
                engine.deliver_notices(channels)
            if progress:
                progress("campaign", (day - START).days + 1, total_days + 1)
            day += timedelta(days=1)
        end = datetime.combine(SPRING_FESTIVAL_EVE, time(21, 0), tzinfo=CST)
        _collect(engine, result, received, end)
        result.notices = sorted(notices_dir.iterdir())
        cases = list(engine.report_cases())
        report = campaign_report(
            cases,
            period_from=START,
            period_to=SPRING_FESTIVAL_EVE,
            unit_name="阳泉市根治拖欠农民工工资工作领导小组办公室（演示）",
            made_at=end,
        )
        for path, writer in (
            (folder / "附件2-冬季专项行动情况.xlsx", write_xlsx),
            (folder / "附件2-冬季专项行动情况.csv", write_csv),
            (folder / "附件2-冬季专项行动情况.html", write_html),
        ):
            writer(report, path)
            result.reports.append(path)
        book = ledger(
            cases,
            region="140300",
            period_from=START,
            period_to=SPRING_FESTIVAL_EVE,
            made_at=end,
            unit_name="阳泉市",
        )
        ledger_path = folder / "案件台账.xlsx"
        write_ledger_xlsx(book, ledger_path)
        result.reports.append(ledger_path)
    finally:
        engine.close()
    return result


def _collect(engine: Engine, result: DemoResult, case_ids: Sequence[int], end: datetime) -> None:
    """How many events were written and which escalation rules fired, read back through the
    cases' histories (an escalation is an event with its rule's id), in the order they happened;
    then what is overdue at the end."""
    events = 0
    fired: list[tuple[datetime, int, int, tuple[str, str, str, str]]] = []
    for case_id in case_ids:
        view = engine.get(case_id)
        events += len(view.events)
        fired += [
            (e.at, case_id, e.seq, (view.ref, e.rule_id, e.event, str(e.at)))
            for e in view.events
            if e.rule_id is not None
        ]
    result.events = events
    result.escalations = [what for *_order, what in sorted(fired, key=lambda f: f[:3])]
    result.overdue = engine.overdue(at=end, limit=20)


# --------------------------------------------------------------------------------- the command


def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo database and its files.")
    ] = Path("zhiqian-demo"),
    notices_shown: Annotated[
        int, typer.Option("--notices", min=0, help="How many notice documents to print.")
    ] = 3,
) -> None:
    """The winter campaign of 2019 replayed: 阳泉市, the yangquan-2019 pack, a few hundred cases.

    A fresh SQLite database in --out; a simulated clock walks from 2019-11-15 to the Spring Festival of 2020 with the sweep running. Prints what escalated and why, some notice documents, the overdue table and the files written (附件2, 台账, notices).
    """
    console = make_console()
    with progress("demo", None, enabled=True) as advance:
        seen = 0

        def step(_phase: str, done: int, _total: int) -> None:
            nonlocal seen
            advance(done - seen)
            seen = done

        result = run_demo(out, progress=step)
    from collections import Counter

    from rich.text import Text

    console.print(
        Text(
            f"{result.cases} cases, {result.events} events, {result.sweeps} sweeps; "
            f"database {result.database}"
        )
    )
    by_rule = Counter(rule for _ref, rule, _event, _at in result.escalations)
    known = {e.id: e for e in result.pack.escalations} if result.pack is not None else {}
    print_listing(
        "table",
        (
            Column("rule", "规则 rule"),
            Column("label", "升级 what"),
            Column("count", "次数", "right"),
            Column("basis", "依据 why"),
        ),
        [
            {
                "rule": rule,
                "label": known[rule].label if rule in known else "",
                "count": n,
                "basis": known[rule].basis if rule in known else "",
            }
            for rule, n in by_rule.most_common()
        ],
        title="升级 What escalated, and why",
    )
    shown: set[str] = set()
    for path in result.notices:
        template = path.stem.rsplit("-", 2)[-2] if path.stem.count("-") >= 2 else path.stem
        if path.suffix != ".txt" or template in shown or len(shown) >= notices_shown:
            continue
        shown.add(template)
        console.print(Text(f"── {path}", style="bold"))
        console.print(Text(path.read_text("utf-8").rstrip("\n")))
    tz = CST
    from zhiqian.engine.cli.shapes import overdue_shape

    rows = [overdue_shape(item, tz) for item in result.overdue]
    print_listing(
        "table",
        OVERDUE_COLUMNS,
        [
            {
                **r,
                "clock_label": f"{r['clock_label']} ({r['clock']})",
                "deadline": local_time(r["deadline"], tz),
                "overdue_by": human_duration(-r["overdue_by"]),
            }
            for r in rows
        ],
        title="超期 Overdue at the end",
    )
    for path in [*result.reports, result.folder / "notices"]:
        sys.stdout.write(f"{path}\n")
