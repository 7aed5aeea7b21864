"""``zhiqian case propose|decide|decisions``: acts the law reserves to a person.

A rule (or a clerk, with ``propose``) proposes 移送公安, 挂牌督办, 提级办理, 列入失信名单 or 领导包案;
the person the pack names decides with ``decide … approve|reject``; only an approval performs the
act and issues its document. ``decisions`` lists what waits for whom.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhiqian.engine.cli.cases import parse_params
from zhiqian.engine.cli.common import (
    ActorOption,
    AtOption,
    FormatOption,
    ShowFormatOption,
    actor_name,
    check_region,
    command_state,
    find_case,
    open_engine,
    pack_tz,
)
from zhiqian.engine.cli.output import Column, local_time, print_json, print_listing

if TYPE_CHECKING:
    from datetime import tzinfo

    from zhiqian import DecisionView

__all__ = ["case_decide", "case_decisions", "case_propose"]

_ACTS = "refer_police 移送公安 | supervise 挂牌督办 | raise_level 提级办理 | blacklist 列入失信名单 | assign_leader 领导包案"

_COLUMNS = (
    Column("id", "决定ID", "right"),
    Column("case_id", "案件ID", "right"),
    Column("act_label", "事项"),
    Column("status", "状态"),
    Column("decider", "决定人"),
    Column("decider_office", "决定机关"),
    Column("due", "决定期限"),
    Column("proposed_by", "提请人"),
    Column("decided_by", "决定人签名"),
    Column("document_no", "文号"),
)
_STATUS_LABELS = {
    "pending": "待决定",
    "approved": "已批准",
    "rejected": "不批准",
    "withdrawn": "已撤回",
}


def _row(d: DecisionView, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": d.id,
        "case_id": d.case_id,
        "act": d.act,
        "act_label": d.act_label,
        "status": d.status,
        "status_label": _STATUS_LABELS.get(d.status, d.status),
        "rule_id": d.rule_id,
        "grounds": d.grounds,
        "params": dict(d.params),
        "decider": d.decider,
        "decider_division": d.decider_division,
        "decider_office": d.decider_office,
        "due": d.due_at.isoformat() if d.due_at else None,
        "proposed_by": d.proposed_by,
        "proposed_at": d.proposed_at.isoformat(),
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
        "reason": d.reason,
        "document_no": d.document_no,
    }


def _say(d: DecisionView, tz: tzinfo) -> None:
    when = local_time(d.due_at, tz)
    if d.status == "pending":
        line = (
            f"decision {d.id} (case {d.case_id}): {d.act_label} — 待{d.decider_office}{d.decider}"
            f"决定，期限 {when}"
        )
    else:
        label = _STATUS_LABELS.get(d.status, d.status)
        line = f"decision {d.id} (case {d.case_id}): {d.act_label} — {label}（{d.decided_by}，{local_time(d.decided_at, tz)}）"
        if d.document_no:
            line += f"，文号 {d.document_no}"
    sys.stdout.write(line + "\n")


def case_propose(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    act: Annotated[str, typer.Argument(metavar="ACT", help=_ACTS)],
    actor: ActorOption = None,
    reason: Annotated[str, typer.Option("--reason", help="The grounds (提请理由), recorded.")] = "",
    at: AtOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="K=V", help="e.g. by=city, role=分管领导; repeatable."),
    ] = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Propose an act the law reserves to a person; it waits for the decider the pack names."""
    state = command_state(ctx, fmt)
    with open_engine(state, at) as engine:
        found = find_case(engine, case, history=False)
        view = engine.propose(
            found.id,
            act,
            actor=actor_name(actor),
            reason=reason,
            params=parse_params(param or []) or None,
        )
        tz = pack_tz(engine)
    if fmt == "json":
        print_json(_row(view, tz))
        return
    _say(view, tz)


def case_decide(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    decision: Annotated[int, typer.Argument(metavar="DECISION", help="The decision's id.")],
    verdict: Annotated[str, typer.Argument(metavar="approve|reject", help="批准 or 不批准.")],
    actor: ActorOption = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why (批准/不批准的理由), recorded.")
    ] = "",
    at: AtOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="K=V", help="e.g. leader=姓名 for 领导包案; repeatable."),
    ] = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Decide a proposed act as the person the pack names: approve performs it, reject does not."""
    state = command_state(ctx, fmt)
    with open_engine(state, at) as engine:
        found = find_case(engine, case, history=False)
        view = engine.decide(
            found.id,
            decision,
            verdict,
            actor=actor_name(actor),
            reason=reason,
            params=parse_params(param or []) or None,
        )
        tz = pack_tz(engine)
    if fmt == "json":
        print_json(_row(view, tz))
        return
    _say(view, tz)


def case_decisions(
    ctx: typer.Context,
    case: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One case's decisions (all of them).")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="pending | approved | rejected | withdrawn."),
    ] = None,
    office: Annotated[
        str | None,
        typer.Option(
            "--office", metavar="CODE", help="Deciding office (行政区划代码) and those under it."
        ),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Decisions waiting for (or given by) a decider; without ID, the pending ones by default."""
    state = command_state(ctx, fmt)
    check_region(office)
    with open_engine(state) as engine:
        tz = pack_tz(engine)
        if case is not None:
            found = find_case(engine, case, history=False)
            views = engine.decisions(found.id, status=status)
        else:
            views = engine.decisions(status=status or "pending", office=office)
    rows = [_row(d, tz) for d in views]
    table = [
        {**r, "status": r["status_label"], "due": local_time(d.due_at, tz)}
        for r, d in zip(rows, views, strict=True)
    ]
    print_listing(fmt, _COLUMNS, table if fmt == "table" else rows, caption=f"共 {len(rows)} 项")
