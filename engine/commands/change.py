"""THE HOT PATH: one change of a case — one load, one decide, one write.

Runs inside the caller's transaction: read the case and its clocks (unless the caller hands in
the case as it holds it), let the lifecycle or the action decide (pure), write the case with its
optimistic version guard, append one hash-chained event, store the clocks that moved with their
timers. It returns the after-record and the clocks (``dataclasses.replace`` of what was read,
with what was written), so no caller reads the case again.

Statement budget of one change (prebuilt SQLAlchemy Core statements; parameters at execution):

* ``SELECT`` the case, ``SELECT`` its clocks — 2 (0 when the caller passes ``current``: the
  escalator, which holds the case, chains its actions this way);
* ``UPDATE`` the case ``WHERE version = :read`` — 1; ``INSERT`` the event — 1;
* per clock that moved: ``UPDATE`` it + ``DELETE`` its unfired timers + ``INSERT`` its timers
  (a new clock: ``INSERT`` it + ``INSERT`` its timers) — 2 or 3 each;
* follow-up reports required by the action: one ``INSERT`` of their timers.

``Engine.act()`` adds the escalator's one ``SELECT`` of the rules already fired when the pack has
escalation rules (more only when a rule fires), and nothing after: no ``SELECT`` of the case
follows its ``UPDATE`` (``tests/engine/test_statements.py`` counts them on both databases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.domain.actions import (
    ACCESS,
    ACTION_LABELS,
    DECISION_EVENTS,
    ActionEffect,
    apply_action,
)
from zhiqian.engine.domain.clocks import (
    CaseChange,
    ClockState,
    evaluate_clocks,
    extend_clock,
    same_day_warnings,
    warning_moments,
)
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.errors import CaseNotFound, ConflictError, Refused, TransitionRefused
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import parse_limit
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import RESERVED_ACTS
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import events as event_store
from zhiqian.store import timers as timer_store
from zhiqian.store.records import CaseRecord, NewTimer

__all__ = [
    "Changed",
    "arm_timers",
    "change_case",
    "load_case",
    "load_clocks",
    "move_clocks",
    "record_access",
    "store_clocks",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Changed:
    """A case after one change: the record as written and all its clocks."""

    case: CaseRecord
    clocks: dict[str, ClockState]


def load_clocks(conn: sa.Connection, case_id: int) -> dict[str, ClockState]:
    return dict(clock_store.load_clocks(conn, case_id))


def load_case(conn: sa.Connection, case_id: int) -> CaseRecord:
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def change_case(
    conn: sa.Connection,
    packs: Packs,
    case_id: int,
    event: str,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    params: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    rule_id: str | None = None,
    current: tuple[CaseRecord, Mapping[str, ClockState]] | None = None,
    decision_id: int | None = None,
) -> Changed:
    """Fire a lifecycle event or record an action on the case, inside ``conn``'s transaction.

    The acts the law reserves to a person and the steps of their decisions are written only by
    ``commands.decide``, which passes the ``decision_id`` (the ``zq_decisions`` row) they belong to.

    ``current`` is the case and its clocks as the caller holds them in this transaction (with
    the case's row lock): they are not read again. Refusals raise before anything is written;
    ``ConflictError`` when the case moved on since it was read (or since ``expected_version``).
    """
    params = dict(params or {})
    if current is None:
        case = load_case(conn, case_id)
        clocks: Mapping[str, ClockState] = clock_store.load_clocks(conn, case_id)
    else:
        case, clocks = current
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(case=case_id, expected=expected_version)
    governing = packs.of(case)
    lifecycle = governing.lifecycle
    if now < case.updated_at:  # updated_at is the time of the last change
        raise Refused(
            f"time {now.isoformat()} is before the case's last change "
            f"({case.updated_at.isoformat()})"
        )
    effect: ActionEffect | None = None
    values: dict[str, Any] = {}
    if lifecycle.spec.event(event) is not None:
        ctx = governing.context(case, now=now, clocks=clocks.values())
        decision = lifecycle.decide(
            case.state, event, case=case_id, previous_state=case.previous_state, context=ctx
        )
        source, dest = decision.source, decision.dest
        values["previous_state"] = decision.previous_state
        if lifecycle.is_final(dest):
            values["closed_at"] = now
        elif lifecycle.is_final(source):
            values["closed_at"] = None
    elif event in governing.pack.event_ids or event in ACTION_LABELS:
        if event in DECISION_EVENTS and decision_id is None:
            raise Refused(_decided_only(event, case_id))
        if lifecycle.is_final(case.state):
            raise TransitionRefused(
                case=case_id, event=event, state=case.state, why="the case is closed"
            )
        effect = apply_action(
            event, case, params, at=now, actor=actor, pack=governing.pack, clocks=clocks
        )
        if decision_id is not None:
            effect = replace(effect, payload={**effect.payload, "decision": decision_id})
        values.update(effect.values)
        source = dest = case.state
    else:
        known = ", ".join([e.id for e in lifecycle.spec.events] + sorted(ACTION_LABELS))
        raise TransitionRefused(
            case=case_id, event=event, state=case.state, why=f"unknown event; known: {known}"
        )
    payload = dict(effect.payload) if effect is not None else {}
    # An act the law wants on the day a clock was met, done later (立案 after the day of 受理):
    # done all the same, and its event says so for the clerk and the audit.
    late = same_day_warnings(governing.pack, clocks, event, now)
    if late:
        payload["warnings"] = late
    seq = case.version + 1
    ev = event_store.new_event(
        case_id=case_id,
        seq=seq,
        at=now,
        actor=actor,
        event=event,
        from_state=source,
        to_state=dest,
        reason=reason,
        rule_id=rule_id,
        pack_name=governing.pack.name,
        pack_version=governing.pack.version,
        payload=payload,
        prev_hash=case.head_hash,
    )
    values.update(state=dest, version=seq, head_hash=ev["hash"], updated_at=now)
    case_store.update_case(conn, case_id, version=case.version, values=values)
    # The guarded UPDATE holds the case's row lock: from here on this transaction alone writes
    # the case's clocks, timers and next event.
    event_store.insert_event(conn, ev, expected=case.version)
    after = replace(case, **values)
    change = CaseChange(event, source, dest, now, received_at=case.received_at)
    changed = move_clocks(conn, governing, after, change, clocks, now=now, effect=effect)
    return Changed(case=after, clocks={**clocks, **changed})


def _decided_only(event: str, case_id: int) -> str:
    if event in RESERVED_ACTS:
        return (
            f"{ACTION_LABELS[event]} is an act the law reserves to a person: propose it "
            f"(zhiqian case propose {case_id} {event}, or Engine.propose) and have the person "
            f"named in the pack decide it (zhiqian case decide {case_id} DECISION approve|reject)"
        )
    return f"{event} is written only by a decision (Engine.propose / Engine.decide)"


def move_clocks(
    conn: sa.Connection,
    governing: Governing,
    case: CaseRecord,
    change: CaseChange,
    clocks: Mapping[str, ClockState],
    *,
    now: datetime,
    effect: ActionEffect | None = None,
) -> dict[str, ClockState]:
    """Evaluate and store the clocks after ``change`` (``case`` is the after-record); returns
    the clocks that changed."""
    ctx = governing.context(case, now=now, clocks=clocks.values())
    changed = evaluate_clocks(
        governing.pack,
        clocks,
        change,
        ctx,
        calendar=governing.calendar,
        limit_overrides=effect.limit_overrides if effect else None,
    )
    if effect is not None and effect.extension is not None:
        clock_id, extension = effect.extension
        try:
            spec = governing.pack.clock(clock_id)
        except KeyError:
            known = ", ".join(c.id for c in governing.pack.clocks)
            raise Refused(f"extend: no clock {clock_id!r} (clocks: {known})") from None
        now_clock = changed.get(clock_id, clocks.get(clock_id))
        changed[clock_id] = extend_clock(
            spec,
            now_clock,
            extension,
            case=case.id,
            pack=governing.pack,
            calendar=governing.calendar,
        )
    if changed:
        store_clocks(conn, case.id, changed, clocks, governing=governing, now=now)
    if effect is not None and effect.reports:
        followups = []
        for seq, (within, label) in enumerate(effect.reports):
            due = compute_deadline(
                parse_limit(within),
                change.at,
                calendar=governing.calendar,
                tz=governing.pack.timezone,
            ).at
            if due is not None:
                followups.append(
                    NewTimer(
                        case_id=case.id,
                        clock_id=f"report:{label}"[:64],
                        cycle=case.version,
                        kind=timer_store.FOLLOWUP,
                        seq=seq,
                        due_at=due,
                    )
                )
        timer_store.insert_timers(conn, followups)
    return changed


def store_clocks(
    conn: sa.Connection,
    case_id: int,
    changed: Mapping[str, ClockState],
    existing: Mapping[str, ClockState],
    *,
    governing: Governing,
    now: datetime,
) -> None:
    """Write the changed clocks and re-arm their timers (unfired ones replaced, fired kept)."""
    timers = {
        clock_id: arm_timers(case_id, state, pack=governing.pack, calendar=governing.calendar)
        for clock_id, state in changed.items()
    }
    clock_store.write_clocks(conn, case_id, changed, existing, timers, now=now)


def arm_timers(
    case_id: int, state: ClockState, *, pack: RulePack, calendar: LegalCalendar
) -> list[NewTimer]:
    """The timers a clock needs: its warnings not yet fired this cycle and its breach."""
    if state.status != "running" or state.deadline_at is None:
        return []
    spec = pack.clock(state.clock_id)
    out = [
        NewTimer(
            case_id=case_id,
            clock_id=state.clock_id,
            cycle=state.cycle,
            kind=timer_store.WARN,
            seq=index,
            due_at=due,
        )
        for index, due in warning_moments(spec, state, pack=pack, calendar=calendar)
        if index >= state.warned
    ]
    if state.breached_at is None:
        out.append(
            NewTimer(
                case_id=case_id,
                clock_id=state.clock_id,
                cycle=state.cycle,
                kind=timer_store.BREACH,
                seq=0,
                due_at=state.deadline_at,
            )
        )
    return out


def record_access(
    conn: sa.Connection,
    packs: Packs,
    case_id: int,
    *,
    actor: str,
    what: str,
    now: datetime,
) -> None:
    """Append a ``pii_shown`` event (personal data shown unmasked): the case's version and head
    hash move, nothing else — allowed in every state, closed cases included."""
    case = load_case(conn, case_id)
    governing = packs.of(case)
    ev = event_store.new_event(
        case_id=case_id,
        seq=case.version + 1,
        at=now,
        actor=actor,
        event=ACCESS,
        from_state=case.state,
        to_state=case.state,
        reason=None,
        rule_id=None,
        pack_name=governing.pack.name,
        pack_version=governing.pack.version,
        payload={"what": what},
        prev_hash=case.head_hash,
    )
    case_store.update_case(
        conn,
        case_id,
        version=case.version,
        values={"version": case.version + 1, "head_hash": ev["hash"]},
    )
    event_store.insert_event(conn, ev, expected=case.version)
