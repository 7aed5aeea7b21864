"""Actions inside handling that the law needs, recorded as internal events (state unchanged).

Each handler is pure: from the case row, the action's parameters and the time it returns what
to change — case fields, per-case clock limits, an extension, follow-up reports — or raises
``Refused`` naming what is missing. The engine writes the result in the same transaction as the
event row, so an action either happens completely or not at all.

Built-in actions (``zhiqian.rules.schema.INTERNAL_EVENTS``): file 立案, order_payment 责令支付,
extend 延期, raise_level 提级办理, assign_leader 领导包案, refer_police 移送公安, supervise 挂牌督办,
require_report 报告进展. Outcome facts the official reports count: find_arrears 查实欠薪,
record_arrears 核定单个劳动者欠薪, recover 追发工资, resolve_without_filing 协调解决, decide 行政处理决定, penalize 行政处罚决定,
police_filed 公安立案, blacklist 列入失信名单, publicise 公布违法行为. A pack may declare more
actions (``actions:``) that only move clocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from zhiqian.engine.domain.clocks import ClockState, Extension, derived_status
from zhiqian.engine.domain.context import owed_to_one
from zhiqian.engine.domain.intake import Flag, largest_owed_problem, months_problem
from zhiqian.errors import Refused
from zhiqian.rules.divisions import level_of, name_path, parent
from zhiqian.rules.limits import parse_limit
from zhiqian.rules.loader import RulePack
from zhiqian.store.records import CaseRecord

__all__ = ["ACCESS", "ACTION_LABELS", "RECEIVED", "ActionEffect", "apply_action"]

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
    "record_arrears": "核定单个劳动者欠薪数额和月数",
    "recover": "追发工资",
    "resolve_without_filing": "协调解决（未立案）",
    "decide": "作出行政处理决定",
    "penalize": "作出行政处罚决定",
    "police_filed": "公安机关立案",
    "blacklist": "列入失信联合惩戒名单",
    "publicise": "公布重大违法行为",
    "flag": "标记案情",
    "recommend": "建议",
}
OUTCOME_ACTIONS = frozenset(
    {
        "find_arrears",
        "recover",
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
    raw = params.get(name, 0)
    try:
        value = int(str(raw))
    except ValueError:
        raise Refused(f"{action}: {name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise Refused(f"{action}: {name} must be >= 0, got {value}")
    return value


def _money(params: Mapping[str, Any], name: str, action: str) -> Decimal:
    raw = params.get(name, "0")
    if isinstance(raw, float):
        raise Refused(f"{action}: give {name} as a decimal string, not a float")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise Refused(f"{action}: {name} must be an amount in yuan, got {raw!r}") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise Refused(f"{action}: {name} must be >= 0 with at most 2 decimals, got {raw!r}")
    return value


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
    return ActionEffect(
        values={"orders_to_correct": row.orders_to_correct + 1},
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


def _increment(column: str) -> Any:
    def handler(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
        return ActionEffect(
            values={column: getattr(row, column) + 1},
            payload={k: str(v) for k, v in params.items()},
        )

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


def _recover(row: CaseRecord, params: Mapping[str, Any], **_: Any) -> ActionEffect:
    workers = _count(params, "workers", "recover")
    migrants = _count(params, "migrant_workers", "recover")
    amount = _money(params, "amount", "recover")
    migrant_amount = _money(params, "migrant_amount", "recover")
    if migrants > workers or migrant_amount > amount:
        raise Refused("recover: migrant figures cannot exceed the totals")
    return ActionEffect(
        values={
            "recovered_workers": row.recovered_workers + workers,
            "recovered_migrant_workers": row.recovered_migrant_workers + migrants,
            "recovered_amount": Decimal(row.recovered_amount) + amount,
            "recovered_migrant_amount": Decimal(row.recovered_migrant_amount) + migrant_amount,
        },
        payload={
            "workers": workers,
            "migrant_workers": migrants,
            "amount": str(amount),
            "migrant_amount": str(migrant_amount),
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
    "decide": _increment("handling_decisions"),
    "penalize": _increment("penalty_decisions"),
    "recover": _recover,
    "record_arrears": _record_arrears,
    "police_filed": _police_filed,
    "flag": _set_flag,
    "recommend": _recommend,
}
