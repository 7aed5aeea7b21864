"""Deadlines read back: what is overdue (or due soon), and why a case's clocks stand where they
do (``explain``). Indexed reads on the stored deadlines: no case is recomputed on read."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.domain.clocks import days_left, derived_status
from zhiqian.engine.domain.governing import Packs
from zhiqian.engine.views import (
    ClockExplanation,
    DueItem,
    EscalationExplanation,
    Explanation,
)
from zhiqian.errors import CaseNotFound
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import events as event_store

__all__ = ["explain", "overdue"]


def overdue(
    conn: sa.Connection,
    packs: Packs,
    *,
    now: datetime,
    horizon: datetime | None,
    region: str | None,
    level: str | None,
    limit: int,
    calendar: LegalCalendar,
    tz: tzinfo,
) -> list[DueItem]:
    """Running clocks past their deadline at ``now`` (strictly), or — with ``horizon`` — due up
    to and including it; most overdue first. ``calendar``/``tz`` serve a case whose pack
    version is not loaded."""
    rows = clock_store.due_clocks(
        conn,
        before=horizon if horizon is not None else now,
        inclusive=horizon is not None,
        level=level,
        region=region,
        limit=limit,
    )
    items = []
    for r in rows:
        gov = packs.get(r.pack_name, r.pack_version)
        label = r.clock_id
        cal, zone = calendar, tz
        if gov is not None:
            cal, zone = gov.calendar, gov.pack.timezone
            label = gov.clock_label(r.clock_id)
        items.append(
            DueItem(
                case_id=r.case_id,
                ref=r.ref,
                clock=r.clock_id,
                label=label,
                deadline=r.deadline_at,
                overdue_by=now - r.deadline_at,
                workdays_left=days_left(r.deadline_at, now, tz=zone, calendar=cal),
                assumed=r.assumed,
                level=r.level,
                region=r.handling_region,
                state=r.state,
            )
        )
    return items


def explain(conn: sa.Connection, packs: Packs, case_id: int, *, now: datetime) -> Explanation:
    """Which clocks and escalations of the case's pack apply, with deadlines and traces."""
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    clocks = clock_store.load_clocks(conn, case_id)
    fired = event_store.fired_rule_ids(conn, case_id)
    governing = packs.of(case)
    pack = governing.pack
    ctx = governing.context(case, now=now, clocks=clocks.values())
    clock_lines = []
    for spec in pack.clocks:
        state = clocks.get(spec.id)
        file, line = pack.source_of(spec.id, "clocks")
        clock_lines.append(
            ClockExplanation(
                id=spec.id,
                label=spec.label,
                applies=state is not None,
                status=derived_status(state, now) if state else "not started",
                deadline=state.deadline_at if state else None,
                workdays_left=(
                    days_left(state.deadline_at, now, tz=pack.timezone, calendar=governing.calendar)
                    if state and state.status == "running" and state.deadline_at
                    else None
                ),
                assumed=state.assumed if state else False,
                limit=state.limit_override or str(spec.limit) if state else str(spec.limit),
                basis=spec.basis,
                source=f"{file}:{line}",
                starts_on=_trigger_text(spec.start),
                trace=tuple(state.trace.get("lines", ())) if state else (),
                extensions=tuple(e.to_json() for e in state.extensions) if state else (),
            )
        )
    escalation_lines = []
    for esc in pack.escalations:
        file, line = pack.source_of(esc.id, "escalations")
        condition = esc.condition
        escalation_lines.append(
            EscalationExplanation(
                id=esc.id,
                label=esc.label,
                when=esc.when,
                holds_now=bool(condition is not None and condition.evaluate(ctx)),
                fired=esc.id in fired,
                actions=tuple(
                    f"{_action_text(a)} — {pack.action_mode(a, esc).text().split(': ', 1)[1]}"
                    for a in esc.do
                ),
                basis=esc.basis,
                source=f"{file}:{line}",
                in_force=esc.in_force.text_zh() if esc.in_force is not None else None,
                out_of_force=condition.out_of_force(now) if condition is not None else None,
            )
        )
    return Explanation(
        case_id=case.id,
        ref=case.ref,
        pack=f"{pack.name} {pack.version}",
        at=now,
        calendar_coverage=governing.calendar.coverage_text(),
        clocks=tuple(clock_lines),
        escalations=tuple(escalation_lines),
    )


def _trigger_text(trigger: Any) -> str:
    parts = []
    for name in ("on_event", "on_enter", "on_leave"):
        values = getattr(trigger, name, ())
        if values:
            parts.append(f"{name}: {', '.join(values)}")
    if getattr(trigger, "when", None):
        parts.append(f"when: {trigger.when}")
    return "; ".join(parts)


def _action_text(action: Any) -> str:
    for name, value in action.model_dump(exclude_none=True).items():
        return name if not value else f"{name} {value}"
    return "?"
