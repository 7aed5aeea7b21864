"""The escalator: evaluates a pack's escalation rules on a case inside the caller's transaction
(on every change of the case, and on every timer the sweep fires).

Exactly once, by construction:

1. the evaluation runs inside the transaction that holds the case (the change's own, or the
   sweep's, which claimed the case row first);
2. the rule's row in ``zq_escalations`` is inserted **before** any action, with
   ``ON CONFLICT DO NOTHING`` (``store.escalations.insert_escalation``): when another evaluator
   got there first (another daemon, a clerk's change), it returns nothing and this evaluator
   does nothing;
3. every action and notice is written in that same transaction, so they exist exactly when the
   escalation row does — a crash rolls all of them back together.

Actions are recorded as case events (actor ``rule:<id>``, ``rule_id`` = the rule, the pack
version on the event) through ``commands.change.change_case``, handed the case as the escalator
holds it: each action's after-record feeds the next rule, nothing is read again. Each action is
idempotent (a leader already named, a case already supervised at that level or referred is left
alone) and runs inside a SAVEPOINT, so an action the law refuses (移送公安 before the order's
period passed) is recorded as refused — or as a recommendation — without spoiling the others.
Actions can make other rules true (提级 changes the level): evaluation repeats, at most
``MAX_ROUNDS`` times. The pure part (cycle keys) is ``zhiqian.engine.domain.escalation``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.commands.change import Changed, change_case
from zhiqian.engine.commands.decide import pending_by_act, propose
from zhiqian.engine.commands.issue import NoticeIssuer
from zhiqian.engine.domain.actions import ACTION_LABELS, referral_preconditions
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.decisions import already, proposal_params
from zhiqian.engine.domain.escalation import MAX_ROUNDS, EvalResult, cycle_key
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.engine.routing import Router
from zhiqian.errors import ZhiqianError
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.schema import ActionSpec, EscalationSpec
from zhiqian.store import escalations as escalation_store
from zhiqian.store.records import CaseRecord

__all__ = ["Escalated", "Escalator"]

_log = logging.getLogger("zhiqian.escalation")


@dataclass(frozen=True, kw_only=True, slots=True)
class Escalated:
    """What an evaluation did, and the case as it is after it (for the caller's view)."""

    result: EvalResult
    case: CaseRecord
    clocks: dict[str, ClockState]


class _Held:
    """The case and its clocks as this transaction holds them: replaced by each write's result,
    never read again from the database (statements are the sweep's cost on a remote one)."""

    __slots__ = ("_ctx", "case", "clocks", "conn", "governing")

    def __init__(
        self,
        conn: sa.Connection,
        governing: Governing,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
    ) -> None:
        self.conn = conn
        self.governing = governing
        self.case = case
        self.clocks = dict(clocks)
        self._ctx: tuple[CaseRecord, dict[str, ClockState], ConditionContext] | None = None

    def context(self, now: datetime) -> ConditionContext:
        """The conditions' view of the case, rebuilt only after the case or its clocks moved."""
        if self._ctx is None or self._ctx[0] is not self.case or self._ctx[1] is not self.clocks:
            ctx = self.governing.context(self.case, now=now, clocks=self.clocks.values())
            self._ctx = (self.case, self.clocks, ctx)
        return self._ctx[2]

    def took(self, changed: Changed) -> None:
        self.case, self.clocks = changed.case, changed.clocks

    def save(self) -> tuple[CaseRecord, dict[str, ClockState]]:
        return self.case, self.clocks

    def restore(self, saved: tuple[CaseRecord, dict[str, ClockState]]) -> None:
        self.case, self.clocks = saved


class Escalator:
    """Evaluates the escalation rules of a case's pack inside the caller's transaction."""

    def __init__(self, packs: Packs, router: Router | None = None) -> None:
        self.packs = packs
        self.issuer = NoticeIssuer(packs, router or Router())

    @property
    def router(self) -> Router:
        return self.issuer.router

    @router.setter
    def router(self, router: Router) -> None:  # the compat layer's install() swaps it
        self.issuer.router = router

    # -- evaluation ------------------------------------------------------------------------------

    def evaluate(
        self,
        conn: sa.Connection,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        *,
        trigger: str = "change",
    ) -> Escalated:
        """Fire every rule that holds and has not fired for its cycle key. ``case``/``clocks``
        are the case as the caller holds it (its row lock taken) in this transaction."""
        governing = self.packs.of(case)
        held = _Held(conn, governing, case, clocks)
        total = EvalResult()
        if not governing.pack.escalations or governing.lifecycle.is_final(case.state):
            return Escalated(result=total, case=held.case, clocks=held.clocks)
        done = escalation_store.fired_keys(conn, case.id)
        for _ in range(MAX_ROUNDS):
            fired = self._round(held, now, trigger, done)
            total = total + fired
            if not fired.escalations:
                break
        else:
            _log.warning(
                "case %s: escalations still cascading after %s rounds", case.id, MAX_ROUNDS
            )
        return Escalated(result=total, case=held.case, clocks=held.clocks)

    def _round(
        self, held: _Held, now: datetime, trigger: str, done: set[tuple[str, str]]
    ) -> EvalResult:
        result = EvalResult()
        pack = held.governing.pack
        for spec in pack.escalations:
            if held.governing.lifecycle.is_final(held.case.state):
                break  # a closed case does not escalate
            key = cycle_key(spec, held.clocks, now=now, tz=pack.timezone)
            if (spec.id, key) in done:
                continue
            if not spec.condition.evaluate(held.context(now)):
                continue
            done.add((spec.id, key))
            escalation_id = escalation_store.insert_escalation(
                held.conn,
                case_id=held.case.id,
                rule_id=spec.id,
                cycle_key=key,
                fired_at=now,
                trigger=trigger,
                pack_name=pack.name,
                pack_version=pack.version,
            )
            if escalation_id is None:  # someone else fired it: nothing to do
                continue
            outcomes, notices = self._apply(held, spec, key, now)
            escalation_store.set_actions(held.conn, escalation_id, outcomes)
            result = result + EvalResult(1, notices)
        return result

    # -- actions ---------------------------------------------------------------------------------

    def _apply(
        self, held: _Held, spec: EscalationSpec, key: str, now: datetime
    ) -> tuple[list[dict[str, Any]], int]:
        facts: dict[str, Any] = {"rule": spec, "cycle_key": key}
        outcomes: list[dict[str, Any]] = []
        notices = 0
        for action in spec.do:
            kind = action.kind
            saved = held.save()
            try:
                if action.notify is not None:  # no case change: no savepoint needed
                    ids = self._notify(
                        held, spec, now, facts, action.notify.to, action.notify.template
                    )
                    outcome: dict[str, Any] = {"kind": kind, "outcome": "queued", "notices": ids}
                    notices += len(ids)
                    outcomes.append(outcome)
                    continue
                with held.conn.begin_nested():
                    outcome = self._action(held, spec, action, now, facts)
            except (ZhiqianError, ValueError, LookupError) as exc:
                held.restore(saved)  # the savepoint rolled back what the action wrote
                _log.warning("case %s rule %s action %s: %s", held.case.id, spec.id, kind, exc)
                outcome = {"kind": kind, "outcome": "error", "detail": str(exc)}
            notices += len(outcome.get("notices", ()))
            outcomes.append(outcome)
        return outcomes, notices

    def _change(
        self,
        held: _Held,
        spec: EscalationSpec,
        kind: str,
        event: str,
        params: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        changed = change_case(
            held.conn,
            self.packs,
            held.case.id,
            event,
            actor=f"rule:{spec.id}"[:100],
            now=now,
            reason=spec.label,
            params=params,
            rule_id=spec.id,
            current=(held.case, held.clocks),
        )
        held.took(changed)
        seq = changed.case.version  # the event the change wrote
        return {"kind": kind, "outcome": "done", "event_seq": seq, "params": dict(params)}

    def _action(
        self,
        held: _Held,
        spec: EscalationSpec,
        action: ActionSpec,
        now: datetime,
        facts: dict[str, Any],
    ) -> dict[str, Any]:
        kind = action.kind

        def change(event: str, params: Mapping[str, Any]) -> dict[str, Any]:
            return self._change(held, spec, kind, event, params, now)

        if action.reserved:
            return self._propose(held, spec, action, now, facts)
        if action.require_report is not None:
            return change(
                "require_report",
                {
                    "within": str(action.require_report.within),
                    "label": action.require_report.label,
                },
            )
        if action.recommend is not None:
            return self._recommend(
                held, spec, now, action.recommend.event, action.recommend.label, []
            )
        raise ValueError(f"unknown action {kind!r}")  # pragma: no cover - the schema forbids it

    def _recommend(
        self,
        held: _Held,
        spec: EscalationSpec,
        now: datetime,
        event: str,
        label: str,
        missing: list[str],
    ) -> dict[str, Any]:
        """A recommendation to a clerk: an event ``recommend`` where the engine knows one,
        otherwise recorded on the escalation row only."""
        out: dict[str, Any] = {
            "kind": "recommend",
            "outcome": "recommended",
            "event": event,
            "label": label,
        }
        if missing:
            out["missing"] = missing
        pack = held.governing.pack
        if "recommend" in ACTION_LABELS or "recommend" in {a.id for a in pack.actions}:
            params: dict[str, Any] = {"event": event, "label": label}
            if missing:
                params["missing"] = "; ".join(missing)
            done = self._change(held, spec, "recommend", "recommend", params, now)
            out["event_seq"] = done["event_seq"]
        return out

    def _propose(
        self,
        held: _Held,
        spec: EscalationSpec,
        action: ActionSpec,
        now: datetime,
        facts: dict[str, Any],
    ) -> dict[str, Any]:
        """A reserved act: the rule proposes it and a named person decides (commands.decide).
        Where the law's conditions are not met yet, it stays a recommendation to the clerk."""
        kind = action.kind
        row = held.case
        pending = pending_by_act(held.conn, row.id)
        suggested = None
        if action.assign_leader is not None:
            person = self.router.directory.find(row.handling_region, action.assign_leader.role)
            suggested = person.name if person is not None else None
        params = proposal_params(action, suggested_leader=suggested)
        waiting = pending.get(kind)
        if waiting is not None:
            return {"kind": kind, "outcome": "pending", "decision": waiting.id}
        done = already(row, kind, params)
        if done is not None:
            return {"kind": kind, "outcome": "already", "detail": done}
        if action.refer_police is not None:
            missing = referral_preconditions(
                row, pack=held.governing.pack, clocks=held.clocks, at=now
            )
            if missing:
                return self._recommend(
                    held, spec, now, "refer_police", "移送公安（法定条件未满足）", missing
                )
        proposed = propose(
            held.conn,
            self.packs,
            row,
            held.clocks,
            kind,
            actor=f"rule:{spec.id}"[:100],
            now=now,
            grounds=f"{spec.label}（依据：{spec.basis}）",
            params=params,
            rule_id=spec.id,
            pending=pending,
        )
        held.took(proposed.changed)
        decision = proposed.decision
        issued = self.issuer.decision_request(
            held.conn, held.governing, held.case, held.clocks, now, decision
        )
        out: dict[str, Any] = {
            "kind": kind,
            "outcome": "proposed",
            "decision": decision.id,
            "notices": list(issued),
            "event_seq": decision.proposed_seq,
            "decider": decision.decider_role,
            "decider_division": decision.decider_division,
        }
        if issued.refused:
            out["not_issued"] = issued.refused
        return out

    # -- notices ---------------------------------------------------------------------------------

    def _notify(
        self,
        held: _Held,
        spec: EscalationSpec,
        now: datetime,
        facts: Mapping[str, Any],
        roles: tuple[str, ...],
        template: str,
    ) -> list[int]:
        return self.issuer.rule_notices(
            held.conn,
            held.governing,
            held.case,
            held.clocks,
            now,
            spec=spec,
            facts=facts,
            roles=roles,
            template=template,
        )

    def warning_notices(
        self,
        conn: sa.Connection,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        **kwargs: Any,
    ) -> list[int]:
        """Notices for a clock warning or a follow-up reminder (the sweep's timers)."""
        return self.issuer.warning_notices(conn, case, clocks, now, **kwargs)
