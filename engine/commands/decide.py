"""Decisions on the acts the law reserves to a person: propose, then approve or reject.

A proposal (by a rule, or by a clerk) writes a pending row in ``zq_decisions`` and the case event
``propose_<act>``, which starts the decision's own legal clock (the pack's ``decisions:`` says
who decides, within what, on what basis). A decision by the named person writes
``approve_<act>`` or ``reject_<act>``; an approval then performs the act itself — its event
``<act>``, actor the decider, in the same transaction — and only that event sets the case's
columns (``police_referred_at``, ``supervised_by``, …) that the reports count. Everything runs
inside the caller's transaction: a refusal anywhere rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.commands.change import Changed, change_case, load_case, store_clocks
from zhiqian.engine.domain.actions import referral_preconditions
from zhiqian.engine.domain.clocks import ClockState, restarted
from zhiqian.engine.domain.decisions import Verdict, already, decider_division
from zhiqian.engine.domain.documents import referral_document_no
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.engine.routing import office_name
from zhiqian.errors import ConflictError, InvalidArgument, Refused, UnknownName
from zhiqian.rules.schema import RESERVED_ACTS, ClockSpec
from zhiqian.store import clocks as clock_store
from zhiqian.store import decisions as decision_store
from zhiqian.store import sequences as sequence_store
from zhiqian.store.records import CaseRecord, DecisionRecord

__all__ = ["Decided", "Proposed", "decide", "pending_by_act", "propose", "restart_clocks"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposed:
    decision: DecisionRecord
    changed: Changed


@dataclass(frozen=True, kw_only=True, slots=True)
class Decided:
    decision: DecisionRecord
    changed: Changed
    before: CaseRecord  # the case before the act (提级's from-office, for its notice)


def propose(
    conn: sa.Connection,
    packs: Packs,
    case: CaseRecord,
    clocks: Mapping[str, ClockState],
    act: str,
    *,
    actor: str,
    now: datetime,
    grounds: str,
    params: Mapping[str, Any] | None = None,
    rule_id: str | None = None,
    pending: Mapping[str, DecisionRecord] | None = None,
) -> Proposed:
    """Propose ``act`` on the case as the caller holds it; ``Refused`` when it is done already,
    waits for a decision already, or has no one to decide it. ``pending``: the case's pending
    decisions by act, when the caller has read them."""
    if act not in RESERVED_ACTS:
        raise UnknownName(kind="act to decide", name=act, known=RESERVED_ACTS)
    governing = packs.of(case)
    spec = governing.pack.spec.decisions.get(act)
    if spec is None:
        raise Refused(
            f"pack {governing.pack.name} declares no decisions.{act}: no one is named to decide "
            f"{RESERVED_ACTS[act]}"
        )
    params = dict(params or {})
    if pending is None:
        pending = pending_by_act(conn, case.id)
    waiting = pending.get(act)
    if waiting is not None:
        raise Refused(
            f"case {case.id}: {RESERVED_ACTS[act]} waits for a decision already "
            f"(decision {waiting.id}, proposed {waiting.proposed_at:%Y-%m-%d})"
        )
    done = already(case, act, params)
    if done is not None:
        raise Refused(done)
    if act == "refer_police":
        missing = referral_preconditions(case, pack=governing.pack, clocks=clocks, at=now)
        if missing:
            raise Refused("移送公安 cannot be proposed yet: " + "; ".join(missing))
    division = decider_division(act, spec, case, params)
    clock_id = spec.clock_id(act)
    decision_id = decision_store.insert_decision(
        conn,
        case_id=case.id,
        act=act,
        rule_id=rule_id,
        proposed_by=actor,
        proposed_at=now,
        proposed_seq=case.version + 1,
        params=params,
        grounds=grounds,
        decider_role=spec.by,
        decider_division=division,
        clock_id=clock_id,
    )
    changed = change_case(
        conn,
        packs,
        case.id,
        f"propose_{act}",
        actor=actor,
        now=now,
        reason=grounds,
        params={
            "act": act,
            **params,
            "decider": f"{office_name(division)}{spec.by}",
            "decider_division": division,
        },
        rule_id=rule_id,
        current=(case, clocks),
        decision_id=decision_id,
    )
    clock = changed.clocks.get(clock_id)
    due = clock.deadline_at if clock is not None else None
    decision_store.set_due(conn, decision_id, due)
    record = DecisionRecord(
        id=decision_id,
        case_id=case.id,
        act=act,
        status=decision_store.PENDING,
        rule_id=rule_id,
        proposed_by=actor,
        proposed_at=now,
        proposed_seq=changed.case.version,
        params=params,
        grounds=grounds,
        decider_role=spec.by,
        decider_division=division,
        clock_id=clock_id,
        due_at=due,
        decided_by=None,
        decided_at=None,
        decision_reason=None,
        decided_seq=None,
        act_seq=None,
        document_no=None,
    )
    return Proposed(decision=record, changed=changed)


def pending_by_act(conn: sa.Connection, case_id: int) -> dict[str, DecisionRecord]:
    return {
        d.act: d
        for d in decision_store.of_case(conn, case_id)
        if d.status == decision_store.PENDING
    }


def decide(
    conn: sa.Connection,
    packs: Packs,
    case_id: int,
    decision_id: int,
    verdict: Verdict,
    *,
    actor: str,
    reason: str,
    now: datetime,
    params: Mapping[str, Any] | None = None,
) -> Decided:
    """The named person's decision. ``approve`` performs the act (its own event follows the
    approval); ``reject`` records the refusal and its reason. Both stop the decision's clock."""
    if verdict not in ("approve", "reject"):
        raise InvalidArgument(name="verdict", value=verdict, why="use approve or reject")
    if not reason.strip():
        raise Refused("a decision records its reason: give --reason (批准/不批准的理由)")
    decision = decision_store.get_decision(conn, decision_id)
    if decision is None or decision.case_id != case_id:
        known = [str(d.id) for d in decision_store.of_case(conn, case_id)]
        raise UnknownName(kind="decision", name=decision_id, where=f"case {case_id}", known=known)
    if decision.status != decision_store.PENDING:
        raise Refused(
            f"decision {decision_id} was {decision.status} by {decision.decided_by} on "
            f"{decision.decided_at:%Y-%m-%d}: there is nothing left to decide"
            if decision.decided_at is not None
            else f"decision {decision_id} is {decision.status}: there is nothing left to decide"
        )
    act = decision.act
    case = load_case(conn, case_id)
    clocks = clock_store.load_clocks(conn, case_id)
    governing = packs.of(case)
    step = changed = change_case(
        conn,
        packs,
        case_id,
        f"{verdict}_{act}",
        actor=actor,
        now=now,
        reason=reason,
        params={"act": act},
        current=(case, clocks),
        decision_id=decision_id,
    )
    act_seq: int | None = None
    document_no: str | None = None
    if verdict == "approve":
        act_params = {**decision.params, **dict(params or {})}
        if act == "assign_leader" and not str(act_params.get("leader", "")).strip():
            raise Refused(
                f"领导包案 names a leader: give the leader's name (--param leader=姓名) when "
                f"approving decision {decision_id}"
            )
        if act == "refer_police":
            document_no = _take_referral_no(conn, governing, case, now)
            act_params["document_no"] = document_no
        changed = change_case(
            conn,
            packs,
            case_id,
            act,
            actor=actor,
            now=now,
            reason=reason,
            params=act_params,
            current=(step.case, step.clocks),
            decision_id=decision_id,
        )
        act_seq = changed.case.version
        if act == "raise_level" and act_params.get("clocks") == "restart":
            changed = restart_clocks(conn, governing, changed, now)
    status = "approved" if verdict == "approve" else "rejected"
    if not decision_store.decided(
        conn,
        decision_id,
        status=status,
        by=actor,
        at=now,
        reason=reason,
        seq=step.case.version,
        act_seq=act_seq,
        document_no=document_no,
    ):
        raise ConflictError(case=case_id, expected=case.version)
    record = replace(
        decision,
        status=status,
        decided_by=actor,
        decided_at=now,
        decision_reason=reason,
        decided_seq=step.case.version,
        act_seq=act_seq,
        document_no=document_no,
    )
    return Decided(decision=record, changed=changed, before=case)


def _take_referral_no(
    conn: sa.Connection, governing: Governing, case: CaseRecord, now: datetime
) -> str:
    year = now.astimezone(governing.pack.timezone).year
    division = case.handling_region
    number = sequence_store.next_document_no(
        conn, division=division, kind="refer_police", year=year
    )
    return referral_document_no(division, year, number)


def restart_clocks(
    conn: sa.Connection, governing: Governing, changed: Changed, now: datetime
) -> Changed:
    """提级 with ``clocks: restart``: the clocks ``clocks.restarted`` gives, stored."""
    pack = governing.pack
    clocks = changed.clocks

    def spec_of(clock_id: str) -> ClockSpec | None:
        try:
            return pack.clock(clock_id)
        except KeyError:
            return None

    fresh = restarted(clocks, spec_of, now, pack=pack, calendar=governing.calendar)
    if not fresh:
        return changed
    store_clocks(conn, changed.case.id, fresh, clocks, governing=governing, now=now)
    return Changed(case=changed.case, clocks={**clocks, **fresh})
