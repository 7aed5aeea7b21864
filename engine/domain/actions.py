"""Actions inside handling that the law needs, recorded as internal events (state unchanged).

Each handler is pure: from the case row, the action's parameters and the time it returns what
to change — case fields, per-case clock limits, an extension, follow-up reports — or raises
``Refused`` naming what is missing. The engine writes the result in the same transaction as the
event row, so an action either happens completely or not at all.

Built-in actions (``zhiqian.rules.schema.INTERNAL_EVENTS``): file 立案, order_payment 责令支付,
extend 延期, raise_level 提级办理, assign_leader 领导包案, refer_police 移送公安, supervise 挂牌督办,
require_report 报告进展. Outcome facts the official reports count: find_arrears 查实欠薪,
amend_arrears 核定欠薪人数和金额, record_arrears 核定单个劳动者欠薪, record_contracts 签订劳动合同人数, recover 追发工资及赔偿金 (and
revoke_recover for one recorded by mistake), resolve_without_filing 协调解决, order_correct 责令改正,
decide 行政处理决定, penalize 行政处罚决定, police_filed 公安立案, blacklist 列入失信名单,
publicise 公布违法行为. Payments and numbered documents are counted once
(:mod:`zhiqian.engine.domain.outcomes`). A pack may declare more actions (``actions:``) that only
move clocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from zhiqian.engine.domain import outcomes
from zhiqian.engine.domain.clocks import ClockState, Extension, derived_status
from zhiqian.engine.domain.context import owed_to_one
from zhiqian.engine.domain.intake import (
    MAX_AMOUNT,
    MAX_WORKERS,
    Flag,
    largest_owed_problem,
    months_problem,
)
from zhiqian.errors import Refused
from zhiqian.rules.divisions import level_of, name_path, parent
from zhiqian.rules.limits import parse_limit
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import RESERVED_ACTS
from zhiqian.store.records import CaseRecord

__all__ = [
    "ACCESS",
    "ACTION_LABELS",
    "DECISION_EVENTS",
    "RECEIVED",
    "ActionEffect",
    "apply_action",
]

RECEIVED = "received"  # the pseudo-event intake writes as a case's first event
ACCESS = "pii_shown"  # personal data shown unmasked (recorded, never a change of the case)

ACTION_LABELS: Mapping[str, str] = {
    "file": "立案",
    "order_payment": "责令限期支付",
    "extend": "延长期限",
    "raise_level": "提级办理",
    "assign_leader": "领导包案",
    "refer_police": "移送公安",
    "supervise": "挂牌督办",
    "require_report": "要求报告进展",
    "blacklist_candidate": "列为失信名单候选",
    "find_arrears": "查实欠薪",
    "recover": "追发工资及赔偿金",
    "revoke_recover": "撤销误录的追发记录",
    "amend_arrears": "核定欠薪人数和金额",
    "record_contracts": "登记农民工签订劳动合同人数",
    "order_correct": "责令改正",
    "record_arrears": "核定单个劳动者欠薪数额和月数",
    "resolve_without_filing": "协调解决（未立案）",
    "decide": "作出行政处理决定",
    "penalize": "作出行政处罚决定",
    "police_filed": "公安机关立案",
    "blacklist": "列入失信联合惩戒名单",
    "publicise": "公布重大违法行为",
    "flag": "标记案情",
    "recommend": "建议",
    **{
        f"{step}_{act}": f"{verb}{label}"
        for act, label in RESERVED_ACTS.items()
        for step, verb in (("propose", "提请决定："), ("approve", "批准"), ("reject", "不批准"))
    },
}
# The events only a decision writes (``commands.decide``): the reserved acts themselves and the
# steps of their decisions. ``change_case`` refuses them from anyone else.
DECISION_EVENTS: frozenset[str] = frozenset(
    {*RESERVED_ACTS}
    | {f"{step}_{act}" for act in RESERVED_ACTS for step in ("propose", "approve", "reject")}
)
OUTCOME_ACTIONS = frozenset(
    {
        "find_arrears",
        "recover",
        "revoke_recover",
        "amend_arrears",
        "record_contracts",
        "order_correct",
        "resolve_without_filing",
        "decide",
        "penalize",
        "police_filed",
        "blacklist",
        "publicise",
        "blacklist_candidate",
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionEffect:
    values: Mapping[str, Any] = field(default_factory=dict)  # case columns to set
    limit_overrides: Mapping[str, str] = field(default_factory=dict)  # clock id → date/limit
    extension: tuple[str, Extension] | None = None  # (clock id, extension)
    reports: tuple[tuple[str, str], ...] = ()  # (within, label) follow-ups required
    payload: Mapping[str, Any] = field(default_factory=dict)  # what the event row records


def _need(params: Mapping[str, Any], name: str, action: str) -> str:
    value = params.get(name)
    if value is None or not str(value).strip():
        raise Refused(f"{action}: parameter {name!r} is required")
    return str(value).strip()


def _count(params: Mapping[str, Any], name: str, action: str) -> int:
    raw = params.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0  # not given
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise Refused(f"{action}: {name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise Refused(f"{action}: {name} must be >= 0, got {value}")
    if value > MAX_WORKERS:  # also keeps it inside the INTEGER columns of both databases
        raise Refused(f"{action}: {name}={value} is more than the largest number ({MAX_WORKERS})")
    return value


def _money(params: Mapping[str, Any], name: str, action: str) -> Decimal:
    raw = params.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Decimal("0.00")  # not given
    if isinstance(raw, float):
        raise Refused(f"{action}: give {name} as a decimal string, not a float")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise Refused(f"{action}: {name} must be an amount in yuan, got {raw!r}") from None
    # NaN, infinities and 1e30 would raise from the comparisons and quantize() below
    if not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise Refused(f"{action}: {name} must be an amount in yuan up to {MAX_AMOUNT}, got {raw!r}")
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise Refused(f"{action}: {name} must be >= 0 with at most 2 decimals, got {raw!r}")
    return value.quantize(Decimal("0.01"))


def apply_action(
    action: str,
    row: CaseRecord,
    params: Mapping[str, Any],
    *,
    at: datetime,
    actor: str,
    pack: RulePack,
    clocks: Mapping[str, ClockState],
) -> ActionEffect:
    """What ``action`` does to the case in ``row``; ``Refused`` when it cannot be done now."""
    handler = _HANDLERS.get(action)
    if handler is None:
        if action in {a.id for a in pack.actions}:
            return ActionEffect(payload=dict(params))
        raise Refused(f"unknown action {action!r}")
    effect: ActionEffect = handler(row, params, at=at, actor=actor, pack=pack, clocks=clocks)
    return effect


def _file(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    if row.filed_at is not None:
        raise Refused(f"case {row.id} was filed (立案) already on {row.filed_at:%Y-%m-%d}")
    return ActionEffect(values={"filed_at": _["at"]}, payload=dict(params))


def _order_payment(
    row: CaseRecord, params: Mapping[str, Any], *, at: datetime, pack: RulePack, **_: Any
) -> ActionEffect:
    """责令限期支付: the order's own due date (``due``) or period (``within``) sets the clock."""
    due = params.get("due")
    within = params.get("within")
    override: str | None = None
    if due:
        try:
            due_date = date.fromisoformat(str(due))
        except ValueError:
            raise Refused(f"order_payment: due must be a date (YYYY-MM-DD), got {due!r}") from None
        if due_date < at.astimezone(pack.timezone).date():
            raise Refused(f"order_payment: due date {due_date} is before the order was served")
        override = due_date.isoformat()
    elif within:
        try:
            override = str(parse_limit(str(within)))
        except ValueError as exc:
            raise Refused(f"order_payment: {exc}") from None
    payload = {k: str(v) for k, v in params.items()}
    doc_type = str(params.get("doc_type") or "").strip()
    if "处罚" in doc_type:
        raise Refused(
            f"order_payment: a {doc_type} imposes a penalty, it does not order the wages paid; "
            "record the order to pay (限期整改指令书 or 行政处理决定书) here and the penalty "
            "with penalize"
        )
    # 《劳动保障监察条例》第十八条 tells 责令改正 from 行政处理决定, and so does 附件2 (columns 16
    # and 17): an order to pay given in a 行政处理决定书 is counted as that decision.
    column = "handling_decisions" if "处理决定" in doc_type else "orders_to_correct"
    values: dict[str, Any] = {column: getattr(row, column) + 1}
    doc_no = str(params.get("doc_no") or "").strip()
    if doc_no:
        values["extra"] = _document(
            row, "order_payment", doc_type or "限期整改指令书", doc_no, at=at, pack=pack
        )
    return ActionEffect(
        values=values,
        limit_overrides={"order_payment": override} if override else {},
        payload=payload,
    )


def _extend(
    row: CaseRecord, params: Mapping[str, Any], *, at: datetime, actor: str, **_: Any
) -> ActionEffect:
    clock = _need(params, "clock", "extend")
    extension = Extension(
        by=_need(params, "by", "extend"),
        approver=str(params.get("approver", "")).strip(),
        reason=str(params.get("reason", "")).strip(),
        at=at,
    )
    return ActionEffect(
        extension=(clock, extension), payload={"clock": clock, **extension.to_json()}
    )


def _raise_level(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    up = parent(row.handling_region)
    if up is None:
        raise Refused(f"case {row.id} is handled at province level already: no higher office")
    return ActionEffect(
        values={"handling_region": up, "level": level_of(up)},
        payload={
            "from_region": row.handling_region,
            "from_name": name_path(row.handling_region),
            "to_region": up,
            "to_name": name_path(up),
            **{k: str(v) for k, v in params.items()},
        },
    )


def _assign_leader(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    leader = _need(params, "leader", "assign_leader")
    role = str(params.get("role", "包案领导"))
    return ActionEffect(
        values={"leader": leader, "leader_role": role}, payload={"leader": leader, "role": role}
    )


def referral_preconditions(
    row: CaseRecord, *, pack: RulePack, clocks: Mapping[str, ClockState], at: datetime
) -> list[str]:
    """What is still missing before a 移送公安 (法释〔2013〕3号 Art. 3–4); empty = all met.

    数额较大 (第三条) is one of two branches: (一) ONE worker owed the pay of three months or
    more, at least the single line — read from what one worker is owed (``owed_to_one``), never
    from the case total; (二) ten workers or more owed at least the group line in all. Both
    count only after a 责令支付 order was served and its period passed unpaid (第四条). "以上"
    includes the figure itself (《刑法》第九十九条). Unknown figures meet nothing: the message
    says what to record.
    """
    missing: list[str] = []
    order = clocks.get("order_payment")
    if order is None:
        missing.append("no 责令支付 order has been served (法释〔2013〕3号 第四条)")
    elif derived_status(order, at) != "breached" and order.breached_at is None:
        missing.append("the period of the 责令支付 order has not passed unpaid")
    p = pack.param_values
    group_workers = int(p.get("crime_group_workers", 10))
    group = Decimal(str(p.get("crime_threshold_group", 30000)))
    single = Decimal(str(p.get("crime_threshold_single", 5000)))
    months_needed = int(p.get("crime_single_months", 3))
    amount = Decimal(row.amount)
    owed, months = owed_to_one(row)
    group_met = row.workers >= group_workers and amount >= group
    single_met = (
        owed is not None and months is not None and owed >= single and months >= months_needed
    )
    if group_met or single_met:
        return missing
    if row.workers >= group_workers:
        group_text = f"{row.workers} workers are owed {amount} yuan in all, below {group}"
    else:
        group_text = f"{row.workers} workers, fewer than the {group_workers} of branch (二)"
    if owed is None:
        single_text = (
            "what one worker is owed is not recorded (record_arrears largest_owed=… months=…)"
        )
    elif months is None:
        single_text = (
            f"one worker is owed {owed} yuan, for months not recorded (record_arrears months=…)"
        )
    else:
        single_text = f"one worker is owed {owed} yuan for {months} months"
    missing.append(
        "数额较大 not reached (法释〔2013〕3号 第三条): "
        f"branch (一) needs one worker owed ≥{single} yuan for ≥{months_needed} months — "
        f"{single_text}; branch (二) needs ≥{group_workers} workers owed ≥{group} yuan in all — "
        f"{group_text}"
    )
    return missing


def _refer_police(
    row: CaseRecord,
    params: Mapping[str, Any],
    *,
    at: datetime,
    pack: RulePack,
    clocks: Mapping[str, ClockState],
    **_: Any,
) -> ActionEffect:
    if row.police_referred_at is not None:
        raise Refused(f"case {row.id} was referred to the police already")
    missing = referral_preconditions(row, pack=pack, clocks=clocks, at=at)
    if missing:
        raise Refused("移送公安 not possible yet: " + "; ".join(missing))
    return ActionEffect(
        values={"police_referred_at": at}, payload={k: str(v) for k, v in params.items()}
    )


def _supervise(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    by = str(params.get("by", "city"))
    if by not in ("city", "province"):
        raise Refused(f"supervise: by must be city or province, got {by!r}")
    return ActionEffect(values={"supervised_by": by}, payload={"by": by})


def _require_report(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    within = str(params.get("within", "next_day"))
    try:
        parse_limit(within)
    except ValueError as exc:
        raise Refused(f"require_report: {exc}") from None
    label = str(params.get("label", "报告进展"))
    return ActionEffect(reports=((within, label),), payload={"within": within, "label": label})


def _flag(column: str) -> Any:
    def handler(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
        return ActionEffect(values={column: True}, payload={k: str(v) for k, v in params.items()})

    return handler


def _set_flag(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """Add (or with ``remove=true`` drop) a fact flag learnt during verification."""
    name = _need(params, "flag", "flag")
    known = {f.value for f in Flag}
    if name not in known:
        raise Refused(f"flag: unknown flag {name!r}; known: {', '.join(sorted(known))}")
    flags = set(row.flags or ())
    remove = str(params.get("remove", "")).lower() in {"1", "true", "yes"}
    flags = flags - {name} if remove else flags | {name}
    return ActionEffect(values={"flags": sorted(flags)}, payload={"flag": name, "remove": remove})


def _recommend(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """A rule's recommendation to the clerk (e.g. 先行垫付, or a 移送 whose legal preconditions
    are not met yet): recorded in the log, nothing else changes."""
    _need(params, "event", "recommend")
    return ActionEffect(payload={k: str(v) for k, v in params.items()})


def _record_arrears(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """核定单个劳动者欠薪: what the worker owed the most is owed (``largest_owed``, yuan) and
    for how many months of pay (``months``), as verification established them — the facts
    法释〔2013〕3号 第三条（一） needs. Either may be given alone (the other stays as it is); a
    later finding replaces an earlier one, and each stays in the case's log with what it
    replaced. The same checks as at intake: at most the total, at least the average."""
    given = {k for k in ("largest_owed", "months") if str(params.get(k, "")).strip()}
    if not given:
        raise Refused(
            "record_arrears: give largest_owed (the most owed to one worker, yuan) and/or "
            "months (the months of pay owed to that worker)"
        )
    owed = row.largest_owed
    if "largest_owed" in given:
        owed = _money(params, "largest_owed", "record_arrears")
        problem = largest_owed_problem(owed, amount=Decimal(row.amount), workers=row.workers)
        if problem is not None:
            raise Refused(f"record_arrears: largest_owed: {problem}")
    months = row.largest_owed_months
    if "months" in given:
        months = _count(params, "months", "record_arrears")
        problem = months_problem(months)
        if problem is not None:
            raise Refused(f"record_arrears: months: {problem}")
        if owed is None and row.workers != 1:
            raise Refused(
                "record_arrears: months are those of the worker owed the most: give "
                "largest_owed too (with one worker, the case's amount is that worker's)"
            )
    return ActionEffect(
        values={"largest_owed": owed, "largest_owed_months": months},
        payload={
            "largest_owed": None if owed is None else str(owed),
            "months": months,
            "before": {
                "largest_owed": None if row.largest_owed is None else str(row.largest_owed),
                "months": row.largest_owed_months,
            },
        },
    )


def _decision_step(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """A step of a decision (proposed, approved, rejected): recorded in the chain; what it does
    is the decision's (``commands.decide``)."""
    return ActionEffect(payload=dict(params))


# ---------------------------------------------------------------------------------------------
# The outcome facts 附件2 counts: each payment and each numbered document once, the amounts
# within what the case owes (zhiqian.engine.domain.outcomes says why and how).


def _day(at: datetime, pack: RulePack) -> str:
    return at.astimezone(pack.timezone).date().isoformat()


def _given(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is not None and str(value).strip() != ""


def _yes(params: Mapping[str, Any], name: str) -> bool:
    return str(params.get(name, "")).strip().lower() in {"1", "true", "yes"}


def _document(
    row: CaseRecord, action: str, doc_type: str, doc_no: str, *, at: datetime, pack: RulePack
) -> dict[str, Any]:
    return outcomes.with_document(
        row.extra,
        action=action,
        doc_type=doc_type,
        doc_no=doc_no,
        event=row.version + 1,
        on=_day(at, pack),
        labels=ACTION_LABELS,
    )


def _due(params: Mapping[str, Any], action: str, *, at: datetime, pack: RulePack) -> str | None:
    if not _given(params, "due"):
        return None
    raw = params["due"]
    try:
        due = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Refused(f"{action}: due must be a date (YYYY-MM-DD), got {raw!r}") from None
    if due < at.astimezone(pack.timezone).date():
        raise Refused(f"{action}: due date {due} is before the order was served")
    return due.isoformat()


def _order_correct(
    row: CaseRecord, params: Mapping[str, Any], *, at: datetime, pack: RulePack, **_: Any
) -> ActionEffect:
    """责令改正 of anything but unpaid wages (《劳动保障监察条例》第十八条), e.g. no written labour
    contract or no wage ledger: ``doc_type`` (the 指令书 served) and its ``doc_no`` (文号) are
    required, ``matter`` (what is to be corrected) and ``due`` are recorded. 附件2 column 16
    counts it with the orders to pay. An order to pay wages is ``order_payment``: it starts the
    period that 法释〔2013〕3号 第四条 and 人社部令第45号 第五条 read."""
    doc_type = _need(params, "doc_type", "order_correct")
    doc_no = _need(params, "doc_no", "order_correct")
    if "处理决定" in doc_type or "处罚" in doc_type:
        act = "decide" if "处理决定" in doc_type else "penalize"
        raise Refused(
            f"order_correct: a {doc_type} is not a 责令改正 (附件2 counts it in its own column); "
            f"record it with {act}"
        )
    due = _due(params, "order_correct", at=at, pack=pack)
    payload: dict[str, Any] = {"doc_type": doc_type, "doc_no": doc_no}
    if _given(params, "matter"):
        payload["matter"] = str(params["matter"]).strip()
    if due is not None:
        payload["due"] = due
    return ActionEffect(
        values={
            "orders_to_correct": row.orders_to_correct + 1,
            "extra": _document(row, "order_correct", doc_type, doc_no, at=at, pack=pack),
        },
        payload=payload,
    )


def _decision(action: str, column: str, default_type: str) -> Any:
    """行政处理决定 / 行政处罚决定 (附件2 columns 17, 18): counted per act; a ``doc_no`` given
    is recorded, so the same decision is not counted twice."""

    def handler(
        row: CaseRecord, params: Mapping[str, Any], *, at: datetime, pack: RulePack, **_: Any
    ) -> ActionEffect:
        values: dict[str, Any] = {column: getattr(row, column) + 1}
        if _given(params, "doc_no"):
            doc_type = str(params.get("doc_type") or default_type).strip()
            doc_no = str(params["doc_no"]).strip()
            values["extra"] = _document(row, action, doc_type, doc_no, at=at, pack=pack)
        return ActionEffect(values=values, payload={k: str(v) for k, v in params.items()})

    return handler


def _recover(
    row: CaseRecord, params: Mapping[str, Any], *, at: datetime, pack: RulePack, **_: Any
) -> ActionEffect:
    """追发工资及赔偿金 (附件2 columns 12–15): one payment that reached the workers.

    ``amount`` / ``migrant_amount`` are the wages paid, ``compensation`` /
    ``migrant_compensation`` the 赔偿金 (《劳动保障监察条例》第二十六条); ``workers`` /
    ``migrant_workers`` the workers this payment paid for the first time, so that column 12
    counts each worker once however many instalments reach him. ``payment_ref`` (the 凭证号)
    names the payment; a payment with the figures of one already recorded and no ref of its own
    is refused unless ``confirm=true`` says it is another one (see ``outcomes``)."""
    act = "recover"
    workers = _count(params, "workers", act)
    migrants = _count(params, "migrant_workers", act)
    amount = _money(params, "amount", act)
    migrant_amount = _money(params, "migrant_amount", act)
    compensation = _money(params, "compensation", act)
    migrant_compensation = _money(params, "migrant_compensation", act)
    ref = str(params.get("payment_ref") or "").strip() or None
    if migrants > workers:
        raise Refused(
            f"recover: migrant_workers={migrants} is more than workers={workers}: the migrant "
            "workers are part of the workers this payment reached"
        )
    for part, whole, p, w in (
        ("migrant_amount", "amount", migrant_amount, amount),
        ("migrant_compensation", "compensation", migrant_compensation, compensation),
    ):
        if p > w:
            raise Refused(f"recover: {part}={p} is more than {whole}={w}: it is a part of it")
    if amount + compensation == 0:
        raise Refused(
            "recover: nothing recovered — give amount= (the wages paid, yuan) and, for 赔偿金, "
            "compensation="
        )
    payment = outcomes.Payment(
        event=row.version + 1,
        on=_day(at, pack),
        workers=workers,
        migrant_workers=migrants,
        amount=amount,
        migrant_amount=migrant_amount,
        compensation=compensation,
        migrant_compensation=migrant_compensation,
        payment_ref=ref,
    )
    recorded = outcomes.recorded_payments(row.extra)
    earlier, certain = outcomes.same_payment(payment, recorded)
    if earlier is not None and certain:
        raise Refused(
            f"recover: payment_ref {ref} was recorded already — {earlier.describe()}. A payment "
            f"is counted once; if that record is wrong, revoke it (revoke_recover "
            f"event={earlier.event}) and record the payment again"
        )
    if earlier is not None and not _yes(params, "confirm"):
        raise Refused(
            f"recover: the same payment was recorded already — {earlier.describe()}; recording "
            "it again would count it twice in 附件2. If this is another payment, give its "
            "payment_ref=… (the 凭证号 of the transfer or payroll sheet), or confirm=true"
        )
    _check_recovered(row, payment)
    entries = [p.to_json() for p in recorded] + [payment.to_json()]
    payload: dict[str, Any] = {
        "workers": workers,
        "migrant_workers": migrants,
        "amount": str(amount),
        "migrant_amount": str(migrant_amount),
        "compensation": str(compensation),
        "migrant_compensation": str(migrant_compensation),
    }
    if ref is not None:
        payload["payment_ref"] = ref
    if earlier is not None:
        payload["confirmed_repeat_of"] = earlier.event
    return ActionEffect(
        values={
            "recovered_workers": row.recovered_workers + workers,
            "recovered_migrant_workers": row.recovered_migrant_workers + migrants,
            "recovered_amount": Decimal(row.recovered_amount) + amount,
            "recovered_migrant_amount": Decimal(row.recovered_migrant_amount) + migrant_amount,
            "extra": {**row.extra, outcomes.RECOVERIES: entries},
        },
        payload=payload,
    )


def _check_recovered(row: CaseRecord, payment: outcomes.Payment) -> None:
    """``Refused`` naming every figure the payment would take past what the case owes."""
    owed, migrant_owed = Decimal(row.amount), Decimal(row.migrant_amount)
    wages = Decimal(row.recovered_amount) + payment.amount
    migrant_wages = Decimal(row.recovered_migrant_amount) + payment.migrant_amount
    compensation, migrant_compensation = outcomes.compensation_totals(row.extra)
    compensation += payment.compensation
    migrant_compensation += payment.migrant_compensation
    paid = row.recovered_workers + payment.workers
    migrants_paid = row.recovered_migrant_workers + payment.migrant_workers
    more = "if verification found more, record the verified figures first with amend_arrears"
    problems: list[str] = []
    if wages > owed:
        problems.append(
            f"the wages recovered would be {wages} yuan, more than the {owed} yuan owed on the "
            f"case ({row.recovered_amount} recovered before); money paid beyond the wages is "
            f"赔偿金: give it as compensation=…; {more}"
        )
    if migrant_wages > migrant_owed:
        problems.append(
            f"the migrant workers' wages recovered would be {migrant_wages} yuan, more than the "
            f"{migrant_owed} yuan owed to them ({row.recovered_migrant_amount} recovered "
            f"before); {more}"
        )
    if compensation > owed:
        problems.append(
            f"the 赔偿金 would be {compensation} yuan, more than the {owed} yuan owed: "
            "《劳动保障监察条例》第二十六条 sets it at 50% to 1 times the wages due"
        )
    if migrant_compensation > migrant_owed:
        problems.append(
            f"the migrant workers' 赔偿金 would be {migrant_compensation} yuan, more than the "
            f"{migrant_owed} yuan owed to them"
        )
    if paid > row.workers:
        problems.append(
            f"{paid} workers would have been paid, more than the {row.workers} workers of the "
            f"case ({row.recovered_workers} paid before): count a worker once — a later "
            f"instalment to workers already paid adds workers=0; {more}"
        )
    if migrants_paid > row.migrant_workers:
        problems.append(
            f"{migrants_paid} migrant workers would have been paid, more than the "
            f"{row.migrant_workers} of the case ({row.recovered_migrant_workers} paid before)"
        )
    if problems:
        raise Refused("recover: " + "; ".join(problems) + ". Nothing was recorded")


def _revoke_recover(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """Take back a payment recorded by mistake (the log keeps both events): ``event`` is the
    seq of its ``recover`` event. Its figures leave the case's totals."""
    raw = _need(params, "event", "revoke_recover")
    try:
        seq = int(raw)
    except ValueError:
        raise Refused(
            f"revoke_recover: event must be the number of a recover event, got {raw!r}"
        ) from None
    recorded = outcomes.recorded_payments(row.extra)
    target = next((p for p in recorded if p.event == seq), None)
    if target is None or target.revoked_by is not None:
        live = [p.describe() for p in recorded if p.revoked_by is None]
        why = (
            f"was revoked already by event {target.revoked_by}"
            if target is not None
            else "is not a payment recorded on the case"
        )
        raise Refused(
            f"revoke_recover: event {seq} {why}; payments in force: "
            + ("; ".join(live) if live else "none")
        )
    entries = [
        (replace(p, revoked_by=row.version + 1) if p.event == seq else p).to_json()
        for p in recorded
    ]
    values: dict[str, int | Decimal] = {
        "recovered_workers": row.recovered_workers - target.workers,
        "recovered_migrant_workers": row.recovered_migrant_workers - target.migrant_workers,
        "recovered_amount": Decimal(row.recovered_amount) - target.amount,
        "recovered_migrant_amount": Decimal(row.recovered_migrant_amount) - target.migrant_amount,
    }
    if any(v < 0 for v in values.values()):  # the totals were not built from these entries
        raise Refused(
            f"revoke_recover: the case's recovered totals are smaller than event {seq}'s "
            "figures; they were changed outside the recorded payments — ask the administrator"
        )
    return ActionEffect(
        values={**values, "extra": {**row.extra, outcomes.RECOVERIES: entries}},
        payload={"event": seq, **{k: v for k, v in target.to_json().items() if k != "event"}},
    )


_ARREARS: tuple[tuple[str, str], ...] = (
    ("workers", "count"),
    ("migrant_workers", "count"),
    ("amount", "money"),
    ("migrant_amount", "money"),
)


def _amend_arrears(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """核定欠薪: the workers and wages owed as verification established them, in place of the
    complaint's figures (the event records both). The complaint may say less than was owed —
    and what is recovered may not exceed what is owed (``recover``)."""
    act = "amend_arrears"
    given = [name for name, _kind in _ARREARS if _given(params, name)]
    if not given:
        raise Refused(
            f"{act}: give the figures verification found: workers=, migrant_workers=, "
            "amount=, migrant_amount= (one or more)"
        )
    new: dict[str, Any] = {}
    for name, kind in _ARREARS:
        if name not in given:
            new[name] = getattr(row, name)
        elif kind == "count":
            new[name] = _count(params, name, act)
        else:
            new[name] = _money(params, name, act)
    compensation, _migrant = outcomes.compensation_totals(row.extra)
    checks: list[tuple[bool, str]] = [
        (new["workers"] < 1, "at least 1 worker is involved"),
        (
            new["migrant_workers"] > new["workers"],
            f"{new['migrant_workers']} migrant workers is more than the {new['workers']} workers",
        ),
        (
            new["migrant_amount"] > new["amount"],
            f"the migrant workers' {new['migrant_amount']} yuan is more than the "
            f"{new['amount']} yuan in all",
        ),
        (
            row.recovered_workers > new["workers"],
            f"{row.recovered_workers} workers were paid already (recover)",
        ),
        (
            row.recovered_migrant_workers > new["migrant_workers"],
            f"{row.recovered_migrant_workers} migrant workers were paid already",
        ),
        (
            Decimal(row.recovered_amount) > new["amount"],
            f"{row.recovered_amount} yuan of wages were recovered already",
        ),
        (
            Decimal(row.recovered_migrant_amount) > new["migrant_amount"],
            f"{row.recovered_migrant_amount} yuan of the migrant workers' wages were recovered",
        ),
        (
            compensation > new["amount"],
            f"{compensation} yuan of 赔偿金 were recovered: at most 1 times the wages due",
        ),
        (
            row.contracted_migrant_workers is not None
            and row.contracted_migrant_workers > new["migrant_workers"],
            f"{row.contracted_migrant_workers} migrant workers have a labour contract on record",
        ),
        (
            row.largest_owed is not None and Decimal(row.largest_owed) > new["amount"],
            f"one worker alone is owed {row.largest_owed} yuan on record",
        ),
    ]
    problems = [text for failed, text in checks if failed]
    if problems:
        raise Refused(f"{act}: " + "; ".join(problems) + ". Nothing was changed")
    changed = {name: value for name, value in new.items() if value != getattr(row, name)}
    if not changed:
        raise Refused(f"{act}: the case records these figures already; nothing to change")
    return ActionEffect(
        values=changed,
        payload={
            name: {"from": str(getattr(row, name)), "to": str(value)}
            for name, value in changed.items()
        },
    )


def _record_contracts(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    """农民工签订劳动合同人数 (附件2 column 4), learnt while the case is handled: how many of its
    migrant workers have a written labour contract. A later record corrects an earlier one."""
    _need(params, "contracted_migrant_workers", "record_contracts")
    count = _count(params, "contracted_migrant_workers", "record_contracts")
    if count > row.migrant_workers:
        raise Refused(
            f"record_contracts: {count} migrant workers with a labour contract is more than the "
            f"{row.migrant_workers} migrant workers of case {row.id}; if verification found "
            "more, record the verified figures first with amend_arrears"
        )
    return ActionEffect(
        values={"contracted_migrant_workers": count},
        payload={
            "contracted_migrant_workers": count,
            "previous": row.contracted_migrant_workers,
        },
    )


def _police_filed(
    row: CaseRecord, params: Mapping[str, Any], *, at: datetime, **_: Any
) -> ActionEffect:
    if row.police_referred_at is None:
        raise Refused(f"case {row.id} was not referred to the police")
    return ActionEffect(
        values={"police_filed_at": at}, payload={k: str(v) for k, v in params.items()}
    )


_HANDLERS: Mapping[str, Any] = {
    "file": lambda row, params, **kw: _file(row, params, **kw),
    "order_payment": _order_payment,
    "extend": _extend,
    "raise_level": _raise_level,
    "assign_leader": _assign_leader,
    "refer_police": _refer_police,
    "supervise": _supervise,
    "require_report": _require_report,
    "blacklist_candidate": _flag("blacklist_candidate"),
    "find_arrears": _flag("arrears_verified"),
    "resolve_without_filing": _flag("resolved_without_filing"),
    "blacklist": _flag("blacklisted"),
    "publicise": _flag("publicised"),
    "decide": _decision("decide", "handling_decisions", "行政处理决定书"),
    "penalize": _decision("penalize", "penalty_decisions", "行政处罚决定书"),
    "order_correct": _order_correct,
    "recover": _recover,
    "revoke_recover": _revoke_recover,
    "amend_arrears": _amend_arrears,
    "record_contracts": _record_contracts,
    "record_arrears": _record_arrears,
    "police_filed": _police_filed,
    "flag": _set_flag,
    "recommend": _recommend,
    **{
        f"{step}_{act}": _decision_step
        for act in RESERVED_ACTS
        for step in ("propose", "approve", "reject")
    },
}
