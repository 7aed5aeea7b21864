"""Reading cases: one case fully loaded (``CaseView``), lists of summaries (``CaseSummary``),
and the views built from the records a command just wrote (so nothing reads them again)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

import sqlalchemy as sa

from zhiqian.engine.domain.actions import ACCESS, ACTION_LABELS, RECEIVED
from zhiqian.engine.domain.clocks import ClockState, derived_status
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.engine.domain.lights import clock_light, pack_horizon, worst
from zhiqian.engine.views import (
    CaseEvent,
    CaseSummary,
    CaseView,
    ClockView,
    EscalationRecord,
    Page,
)
from zhiqian.errors import CaseNotFound, InvalidArgument
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import escalations as escalation_store
from zhiqian.store import events as event_store
from zhiqian.store.records import CaseRecord, EventRecord
from zhiqian.store.records import EscalationRecord as StoredEscalation

__all__ = [
    "allowed",
    "case_id_of_ref",
    "case_summary",
    "case_view",
    "get_case_view",
    "query_cases",
]


def _state_label(governing: Governing | None) -> Callable[[str], str]:
    return governing.lifecycle.label if governing is not None else (lambda s: s)


def case_summary(case: CaseRecord, governing: Governing | None) -> CaseSummary:
    return CaseSummary(**_summary_values(case, governing))


def _summary_values(case: CaseRecord, governing: Governing | None) -> _SummaryValues:
    return {
        "id": case.id,
        "ref": case.ref,
        "channel": case.channel,
        "received_at": case.received_at,
        "region": case.region,
        "handling_region": case.handling_region,
        "level": case.level,
        "state": case.state,
        "state_label": _state_label(governing)(case.state),
        "version": case.version,
        "pack_name": case.pack_name,
        "pack_version": case.pack_version,
        "employer_name": case.employer_name,
        "employer_uscc": case.employer_uscc,
        "employer_category": case.employer_category,
        "project_name": case.project_name,
        "project_kind": case.project_kind,
        "workers": case.workers,
        "migrant_workers": case.migrant_workers,
        "amount": case.amount,
        "migrant_amount": case.migrant_amount,
        "complainant_name": case.complainant_name,
        "complainant_phone": case.complainant_phone,
        "complainant_id_number": case.complainant_id_number,
        "flags": tuple(case.flags or ()),
        "summary": case.summary,
        "leader": case.leader,
        "supervised_by": case.supervised_by,
        "police_referred_at": case.police_referred_at,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
    }


class _SummaryValues(TypedDict):
    id: int
    ref: str
    channel: str
    received_at: datetime
    region: str
    handling_region: str
    level: str
    state: str
    state_label: str
    version: int
    pack_name: str
    pack_version: str
    employer_name: str
    employer_uscc: str | None
    employer_category: str
    project_name: str | None
    project_kind: str | None
    workers: int
    migrant_workers: int
    amount: Decimal
    migrant_amount: Decimal
    complainant_name: str
    complainant_phone: str
    complainant_id_number: str | None
    flags: tuple[str, ...]
    summary: str
    leader: str | None
    supervised_by: str | None
    police_referred_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


def case_view(
    case: CaseRecord,
    governing: Governing | None,
    *,
    now: datetime,
    clocks: Iterable[ClockState] = (),
    events: Sequence[EventRecord] = (),
    escalations: Sequence[StoredEscalation] = (),
) -> CaseView:
    """The view of ``case`` with what was loaded (or just written) alongside it."""
    lifecycle_label = _state_label(governing)

    def label(event: str) -> str:
        if event == RECEIVED:
            return "受理登记"
        if event == ACCESS:
            return "查看个人信息"
        return ACTION_LABELS.get(event) or lifecycle_label(event)

    clocks = tuple(clocks)
    horizon = now  # the lights' warning window, computed only when there are clocks
    if clocks and governing is not None:
        horizon = pack_horizon(governing.pack, now, calendar=governing.calendar)
    clock_views = []
    for state in clocks:
        spec = None
        if governing is not None:
            try:
                spec = governing.pack.clock(state.clock_id)
            except KeyError:
                spec = None
        clock_views.append(
            ClockView(
                id=state.clock_id,
                label=spec.label if spec else state.clock_id,
                status=derived_status(state, now),
                started_at=state.started_at,
                deadline=state.deadline_at,
                assumed=state.assumed,
                basis=spec.basis if spec else "",
                trace=tuple(state.trace.get("lines", ())),
                light=clock_light(state, now=now, horizon=horizon),
            )
        )
    return CaseView(
        **_summary_values(case, governing),
        events=tuple(
            CaseEvent(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                event=e.event,
                label=label(e.event),
                from_state=e.from_state,
                to_state=e.to_state,
                reason=e.reason,
                rule_id=e.rule_id,
                pack_name=e.pack_name,
                pack_version=e.pack_version,
                payload=e.payload or {},
            )
            for e in events
        ),
        clocks=tuple(clock_views),
        escalations=tuple(
            EscalationRecord(
                rule=e.rule_id,
                label=governing.escalation_label(e.rule_id) if governing else e.rule_id,
                at=e.fired_at,
                cycle_key=e.cycle_key,
                trigger=e.trigger,
                actions=tuple(e.actions or ()),
                pack_version=e.pack_version,
            )
            for e in escalations
        ),
        light=worst(c.light for c in clock_views),
    )


def get_case_view(
    conn: sa.Connection, packs: Packs, case_id: int, *, history: bool, now: datetime
) -> CaseView:
    """The case with its clocks, events and escalations (``history=False``: the case alone)."""
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    governing = packs.get(case.pack_name, case.pack_version)
    if not history:
        return case_view(case, governing, now=now)
    return case_view(
        case,
        governing,
        now=now,
        clocks=clock_store.load_clocks(conn, case_id).values(),
        events=event_store.events_of(conn, case_id),
        escalations=escalation_store.escalations_of(conn, case_id),
    )


def query_cases(
    conn: sa.Connection,
    packs: Packs,
    *,
    state: str | None,
    region: str | None,
    level: str | None,
    limit: int,
    offset: int,
) -> Page[CaseSummary]:
    """Cases by state, handling region (a code matches itself and its subdivisions), level."""
    if not 1 <= limit <= 1000:
        raise InvalidArgument(name="limit", value=limit, why="must be 1..1000")
    if offset < 0:
        raise InvalidArgument(name="offset", value=offset, why="must be >= 0")
    total = case_store.count_cases(conn, state=state, level=level, region=region)
    rows = case_store.page_cases(
        conn, state=state, level=level, region=region, limit=limit, offset=offset
    )
    items = tuple(case_summary(r, packs.get(r.pack_name, r.pack_version)) for r in rows)
    return Page(items=items, total=total, offset=offset, limit=limit)


def allowed(governing: Governing, state: str) -> list[tuple[str, str]]:
    """(event, label) the lifecycle allows in ``state`` (guards not evaluated), then actions."""
    lifecycle = governing.lifecycle
    events = [(e, lifecycle.label(e)) for e in lifecycle.events_from(state)]
    if not lifecycle.is_final(state):
        events += sorted(ACTION_LABELS.items())
    return events


def case_id_of_ref(conn: sa.Connection, ref: str) -> int:
    found = case_store.case_id_of_ref(conn, ref)
    if found is None:
        raise CaseNotFound(ref)
    return found
