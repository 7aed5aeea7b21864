"""Opening a case from a validated complaint, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from zhiqian.engine.commands.change import Changed, move_clocks
from zhiqian.engine.domain.actions import RECEIVED
from zhiqian.engine.domain.clocks import CaseChange
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.domain.intake import Complaint
from zhiqian.rules.divisions import level_of
from zhiqian.store import cases as case_store
from zhiqian.store import events as event_store
from zhiqian.store.audit import GENESIS

__all__ = ["open_case"]


def open_case(
    conn: sa.Connection,
    governing: Governing,
    complaint: Complaint,
    *,
    actor: str,
    now: datetime,
) -> Changed:
    """Insert the case in the lifecycle's initial state, its first event (``received``) and
    the clocks that start on receipt. ``DuplicateCase`` when the ref exists: nothing written.

    Statements: ``SELECT`` the ref, ``INSERT … RETURNING`` the case, ``INSERT`` the event,
    ``UPDATE`` the head hash, then the clocks' writes (see ``commands.change``)."""
    pack = governing.pack
    initial = governing.lifecycle.initial
    project = complaint.project
    case = case_store.insert_case(
        conn,
        {
            "ref": complaint.ref,
            "channel": str(complaint.channel),
            "received_at": complaint.received_at,
            "region": complaint.region,
            "handling_region": complaint.region,
            "level": level_of(complaint.region),
            "state": initial,
            "previous_state": None,
            "version": 1,
            "head_hash": GENESIS,
            "pack_name": pack.name,
            "pack_version": pack.version,
            "employer_name": complaint.employer.name,
            "employer_uscc": complaint.employer.uscc,
            "employer_category": str(complaint.employer.category),
            "project_name": project.name if project else None,
            "project_kind": str(project.kind) if project else None,
            "workers": complaint.workers,
            "migrant_workers": complaint.migrant_workers,
            "contracted_migrant_workers": complaint.contracted_migrant_workers,
            "amount": complaint.amount,
            "migrant_amount": complaint.migrant_amount,
            "largest_owed": complaint.largest_owed,
            "largest_owed_months": complaint.largest_owed_months,
            "complainant_name": complaint.complainant.name,
            "complainant_phone": complaint.complainant.phone,
            "complainant_id_number": complaint.complainant.id_number,
            "flags": sorted(str(f) for f in complaint.flags),
            "summary": complaint.summary,
            "extra": {},
            "created_at": now,
            "updated_at": now,
        },
    )
    event = event_store.new_event(
        case_id=case.id,
        seq=1,
        at=now,
        actor=actor,
        event=RECEIVED,
        from_state=None,
        to_state=initial,
        reason=None,
        rule_id=None,
        pack_name=pack.name,
        pack_version=pack.version,
        payload={"received_at": complaint.received_at.isoformat()},
        prev_hash=GENESIS,
    )
    event_store.insert_event(conn, event, expected=0)
    case_store.set_head(conn, case.id, event["hash"])
    case = replace(case, head_hash=event["hash"])
    # Clocks count from when the complaint was received, not from when it was keyed in.
    change = CaseChange(
        RECEIVED, None, initial, complaint.received_at, received_at=complaint.received_at
    )
    clocks = move_clocks(conn, governing, case, change, {}, now=now)
    return Changed(case=case, clocks=clocks)
