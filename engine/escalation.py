"""Escalation rules: evaluated on every change of a case and on every timer the sweep fires.

Each rule of the governing pack fires **at most once per (case, rule, cycle key)**. The cycle key
names the cycle of every clock the rule's condition reads (``investigation:2``; ``-`` when it
reads none): a rule on ``breached("investigation")`` fires again only when the clock was reset
and breached anew. A rule with ``once: false`` fires at most once per local day while it holds.

Exactly once, by construction:

1. the evaluation runs inside the transaction that holds the case (the change's own, or the
   sweep's, which locked the case row first);
2. the rule's row in ``zq_escalations`` is inserted **before** any action, with
   ``ON CONFLICT DO NOTHING``: when another evaluator got there first (another daemon, a clerk's
   change), the insert returns nothing and this evaluator does nothing;
3. every action and notice is written in that same transaction, so they exist exactly when the
   escalation row does — a crash rolls all of them back together.

Actions are recorded as case events (actor ``rule:<id>``, ``rule_id`` = the rule, the pack
version on the event) through ``Engine.change_in``; each is idempotent (a leader already named,
a case already supervised at that level or referred is left alone) and runs inside a SAVEPOINT,
so an action the law refuses (移送公安 before the order's period passed) is recorded as refused —
or as a recommendation — without spoiling the others. Actions can make other rules true (提级
changes the level): evaluation repeats, at most ``MAX_ROUNDS`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from zhiqian.engine.clock_store import load_clocks, save_clocks
from zhiqian.engine.commands.notices import queue_notice
from zhiqian.engine.domain.actions import ACTION_LABELS, referral_preconditions
from zhiqian.engine.domain.clocks import ClockState, days_left, derived_status, recompute
from zhiqian.engine.routing import (
    Recipient,
    Router,
    division_name,
    office_name,
)
from zhiqian.errors import ZhiqianError
from zhiqian.rules.limits import LimitUnit
from zhiqian.rules.schema import ActionSpec, ClockSpec, EscalationSpec
from zhiqian.store.dialect import insert_ignore
from zhiqian.store.tables import CaseRow, EscalationRow, EventRow, table_of

if TYPE_CHECKING:
    from zhiqian.engine.engine import Engine

__all__ = [
    "MAX_ROUNDS",
    "Escalator",
    "EvalResult",
    "cycle_key",
    "escalator_of",
    "install",
    "list_escalations",
]

MAX_ROUNDS: Final = 4
WARNING: Final = "超期预警"

_log = logging.getLogger("zhiqian.escalation")
_cases = table_of(CaseRow)
_events = table_of(EventRow)
_escalations = table_of(EscalationRow)
# Built once: evaluated on every change of every case.
_FIRED = sa.select(_escalations.c.rule_id, _escalations.c.cycle_key).where(
    _escalations.c.case_id == sa.bindparam("w_case")
)


@dataclass(frozen=True, slots=True)
class EvalResult:
    escalations: int = 0
    notices: int = 0

    def __add__(self, other: EvalResult) -> EvalResult:
        return EvalResult(self.escalations + other.escalations, self.notices + other.notices)


def cycle_key(
    spec: EscalationSpec, clocks: Mapping[str, ClockState], *, now: datetime, tz: Any
) -> str:
    """``clock:cycle`` for each clock the condition reads (0: not started), sorted; ``-`` for
    none; ``@YYYY-MM-DD`` appended for a rule with ``once: false``."""
    read = sorted(spec.condition.clocks)
    key = ",".join(f"{c}:{clocks[c].cycle if c in clocks else 0}" for c in read) or "-"
    if not spec.once:
        key += "@" + now.astimezone(tz).date().isoformat()
    return key


class Escalator:
    """Evaluates a pack's escalation rules for one case inside the caller's transaction.

    Installed as an ``Engine.after_change`` hook by :func:`install`; the sweep calls
    :meth:`evaluate` after firing a case's timers.
    """

    def __init__(self, router: Router | None = None) -> None:
        self.router = router or Router()

    def __call__(
        self,
        engine: Engine,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        row: Any = None,
        clocks: dict[str, ClockState] | None = None,
    ) -> None:
        self.evaluate(engine, conn, case_id, now, trigger="change", row=row, clocks=clocks)

    # -- evaluation ------------------------------------------------------------------------------

    def evaluate(
        self,
        engine: Engine,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        trigger: str = "change",
        row: Any = None,
        clocks: dict[str, ClockState] | None = None,
    ) -> EvalResult:
        """Fire every rule that holds and has not fired for its cycle key; ``row``/``clocks``
        are the case as the caller has just read it (saves reading it again)."""
        total = EvalResult()
        snap = _Snap(conn, case_id, row, clocks)
        done = {(r.rule_id, r.cycle_key) for r in conn.execute(_FIRED, {"w_case": case_id})}
        for _ in range(MAX_ROUNDS):
            fired = self._round(engine, snap, now, trigger, done)
            total = total + fired
            if not fired.escalations:
                break
        else:
            _log.warning(
                "case %s: escalations still cascading after %s rounds", case_id, MAX_ROUNDS
            )
        return total

    def _round(
        self,
        engine: Engine,
        snap: _Snap,
        now: datetime,
        trigger: str,
        done: set[tuple[str, str]],
    ) -> EvalResult:
        conn, case_id = snap.conn, snap.case_id
        result = EvalResult()
        state = _CaseState.load(engine, snap, now)
        if state is None:
            return result
        for spec in state.pack.escalations:
            key = cycle_key(spec, state.clocks, now=now, tz=state.pack.timezone)
            if (spec.id, key) in done:
                continue
            if not spec.condition.evaluate(state.ctx):
                continue
            done.add((spec.id, key))
            escalation_id = insert_ignore(
                conn,
                _escalations,
                {
                    "case_id": case_id,
                    "rule_id": spec.id,
                    "cycle_key": key,
                    "fired_at": now,
                    "trigger": trigger[:32],
                    "actions": [],
                    "pack_name": state.pack.name,
                    "pack_version": state.pack.version,
                },
            )
            if escalation_id is None:  # someone else fired it: nothing to do
                continue
            outcomes, notices = self._apply(engine, snap, spec, key, now)
            conn.execute(
                sa.update(_escalations)
                .where(_escalations.c.id == escalation_id)
                .values(actions=outcomes)
            )
            result = result + EvalResult(1, notices)
            if not any("event_seq" in o or "restarted" in o for o in outcomes):
                continue  # only notices: the case the next rule sees is unchanged
            reloaded = _CaseState.load(engine, snap, now)
            if reloaded is None:
                break
            state = reloaded
        return result

    # -- actions ---------------------------------------------------------------------------------

    def _apply(
        self,
        engine: Engine,
        snap: _Snap,
        spec: EscalationSpec,
        key: str,
        now: datetime,
    ) -> tuple[list[dict[str, Any]], int]:
        conn, case_id = snap.conn, snap.case_id
        facts: dict[str, Any] = {"rule": spec, "cycle_key": key}
        outcomes: list[dict[str, Any]] = []
        notices = 0
        raise_notified = any(
            a.notify is not None and a.notify.template == "提级办理通知书" for a in spec.do
        )
        for action in spec.do:
            kind = action.kind
            try:
                if action.notify is not None:  # no case change: no savepoint needed
                    ids = self._notify(
                        engine, snap, spec, now, facts, action.notify.to, action.notify.template
                    )
                    outcome = {"kind": kind, "outcome": "queued", "notices": ids}
                    notices += len(ids)
                    outcomes.append(outcome)
                    continue
                with conn.begin_nested():
                    outcome = self._action(engine, snap, spec, action, now, facts)
                    if (
                        kind == "raise_level"
                        and outcome.get("outcome") == "done"
                        and not (raise_notified)
                    ):
                        # 提级办理: the higher office is told even when the rule forgot to say so.
                        extra = self._notify(
                            engine, snap, spec, now, facts, ("$upper",), "提级办理通知书"
                        )
                        outcome["notices"] = extra
            except (ZhiqianError, ValueError, LookupError) as exc:
                snap.changed()
                _log.warning("case %s rule %s action %s: %s", case_id, spec.id, kind, exc)
                outcome = {"kind": kind, "outcome": "error", "detail": str(exc)}
            notices += len(outcome.get("notices", ()))
            outcomes.append(outcome)
        return outcomes, notices

    def _action(
        self,
        engine: Engine,
        snap: _Snap,
        spec: EscalationSpec,
        action: ActionSpec,
        now: datetime,
        facts: dict[str, Any],
    ) -> dict[str, Any]:
        conn, case_id = snap.conn, snap.case_id
        kind = action.kind
        row = snap.row
        actor = f"rule:{spec.id}"[:100]

        def change(event: str, params: Mapping[str, Any]) -> dict[str, Any]:
            engine.change_in(
                conn,
                case_id,
                event,
                actor=actor,
                now=now,
                reason=spec.label,
                params=params,
                rule_id=spec.id,
            )
            snap.changed()
            seq = int(row.version) + 1  # change_in wrote exactly one event after the row we read
            return {"kind": kind, "outcome": "done", "event_seq": seq, "params": dict(params)}

        if action.raise_level is not None:
            before = row.handling_region
            out = change("raise_level", {"clocks": action.raise_level.clocks})
            facts["raised"] = (before, snap.row.handling_region)
            if action.raise_level.clocks == "restart":
                out["restarted"] = self._restart_clocks(engine, snap, now)
            return out
        if action.assign_leader is not None:
            if row.leader:
                return {"kind": kind, "outcome": "already", "leader": row.leader}
            title = action.assign_leader.role
            name = self.router.leader_name(row.handling_region, title)
            return change("assign_leader", {"leader": name, "role": title})
        if action.refer_police is not None:
            if row.police_referred_at is not None:
                facts["referred"] = True
                return {"kind": kind, "outcome": "already"}
            governing = engine.governing(row.pack_name, row.pack_version)
            missing = referral_preconditions(row, pack=governing.pack, clocks=snap.clocks, at=now)
            if missing:
                facts["referred"] = False
                return self._recommend(
                    engine,
                    snap,
                    spec,
                    now,
                    "refer_police",
                    "移送公安（法定条件未满足）",
                    missing,
                )
            out = change("refer_police", {"rule": spec.id})
            facts["referred"] = True
            return out
        if action.supervise is not None:
            by = action.supervise.by
            if row.supervised_by == by or (row.supervised_by == "province" and by == "city"):
                return {"kind": kind, "outcome": "already", "by": row.supervised_by}
            return change("supervise", {"by": by})
        if action.require_report is not None:
            return change(
                "require_report",
                {
                    "within": str(action.require_report.within),
                    "label": action.require_report.label,
                },
            )
        if action.blacklist_candidate is not None:
            if row.blacklist_candidate:
                return {"kind": kind, "outcome": "already"}
            return change("blacklist_candidate", {"rule": spec.id})
        if action.recommend is not None:
            return self._recommend(
                engine,
                snap,
                spec,
                now,
                action.recommend.event,
                action.recommend.label,
                [],
            )
        raise ValueError(f"unknown action {kind!r}")  # pragma: no cover - the schema forbids it

    def _recommend(
        self,
        engine: Engine,
        snap: _Snap,
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
        conn, case_id = snap.conn, snap.case_id
        row = snap.row
        pack = engine.governing(row.pack_name, row.pack_version).pack
        if "recommend" in ACTION_LABELS or "recommend" in {a.id for a in pack.actions}:
            params: dict[str, Any] = {"event": event, "label": label}
            if missing:
                params["missing"] = "; ".join(missing)
            engine.change_in(
                conn,
                case_id,
                "recommend",
                actor=f"rule:{spec.id}"[:100],
                now=now,
                reason=spec.label,
                params=params,
                rule_id=spec.id,
            )
            snap.changed()
            out["event_seq"] = int(row.version) + 1
        return out

    def _restart_clocks(self, engine: Engine, snap: _Snap, now: datetime) -> list[str]:
        """提级 with ``clocks: restart``: every active clock whose limit is the pack's (not an
        order's own period) starts a new cycle at the higher office."""
        conn, case_id = snap.conn, snap.case_id
        row = snap.row
        governing = engine.governing(row.pack_name, row.pack_version)
        pack = governing.pack
        clocks = snap.clocks
        changed: dict[str, ClockState] = {}
        for clock_id, state in clocks.items():
            try:
                spec = pack.clock(clock_id)
            except KeyError:
                continue
            if not state.active or spec.per_case_limit:
                continue
            paused = state.status == "paused"
            fresh = ClockState(
                clock_id=clock_id,
                cycle=state.cycle + 1,
                status=state.status,
                started_at=now,
                paused_since=now if paused else None,
                pack_version=pack.version,
            )
            if not paused:
                fresh = recompute(spec, fresh, pack=pack, calendar=governing.calendar)
            changed[clock_id] = fresh
        if changed:
            save_clocks(
                conn, case_id, changed, clocks, pack=pack, calendar=governing.calendar, now=now
            )
            snap.changed()
        return sorted(changed)

    # -- notices ---------------------------------------------------------------------------------

    def _notify(
        self,
        engine: Engine,
        snap: _Snap,
        spec: EscalationSpec,
        now: datetime,
        facts: Mapping[str, Any],
        roles: tuple[str, ...],
        template: str,
    ) -> list[int]:
        conn, case_id = snap.conn, snap.case_id
        row = snap.row
        governing = engine.governing(row.pack_name, row.pack_version)
        pack = governing.pack
        if template == "移送函" and facts.get("referred") is False:
            return []  # no referral was made: a 移送函 would be false
        builder = NoticeContexts(engine, conn, row, now, clocks=lambda: snap.clocks)
        digest = pack.routing.digest
        ids: list[int] = []
        for role in roles:
            recipients = (
                self._upper_office(pack, row)
                if role == "$upper"
                else self.router.recipients(pack, row, role)
            )
            for recipient in recipients:
                context, subject = builder.for_rule(template, spec, recipient, facts)
                hold = (
                    template == WARNING
                    and digest is not None
                    and recipient.role in digest.to
                    and recipient.channel not in ("log",)
                )
                notice_id = queue_notice(
                    conn,
                    case_id=case_id,
                    case_ref=row.ref,
                    rule_id=spec.id,
                    cycle_key=str(facts.get("cycle_key", "-")),
                    template=template,
                    recipient=recipient.key,
                    recipient_name=recipient.name,
                    channel=recipient.channel,
                    address=recipient.address,
                    context=context,
                    subject=subject,
                    now=now,
                    hold=hold,
                    note=recipient.note,
                )
                if notice_id is not None:
                    ids.append(notice_id)
        return ids

    def _upper_office(self, pack: Any, row: Any) -> list[Recipient]:
        """The office now handling the case (after 提级): the pack role of that level, or log."""
        from zhiqian.rules.divisions import level_of

        level = level_of(row.handling_region)
        for role in pack.routing.roles:
            if role.level == level:
                return self.router.recipients(pack, row, role.id)
        return [
            Recipient(
                role=f"{level}_office",
                division=row.handling_region,
                key=f"{level}_office@{row.handling_region}",
                name=office_name(row.handling_region),
                channel="log",
                address="",
                note=f"the pack routes no role at level {level}: recorded in the log",
            )
        ]

    def warning_notices(
        self,
        engine: Engine,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        rule_id: str,
        cycle: str,
        roles: tuple[str, ...],
        template: str,
        clock: ClockState | None,
        label: str | None = None,
        due: datetime | None = None,
    ) -> list[int]:
        """Notices for a clock warning or a follow-up reminder (the sweep's timers)."""
        row = _row(conn, case_id)
        governing = engine.governing(row.pack_name, row.pack_version)
        pack = governing.pack
        builder = NoticeContexts(engine, conn, row, now)
        digest = pack.routing.digest
        ids: list[int] = []
        for role in roles:
            for recipient in self.router.recipients(pack, row, role):
                context = builder.warning(clock, rule_id=rule_id, label=label, due=due)
                if template != WARNING:
                    context = builder.generic(template, rule_id, label or "", "", recipient)
                hold = (
                    template == WARNING
                    and digest is not None
                    and recipient.role in digest.to
                    and recipient.channel != "log"
                )
                notice_id = queue_notice(
                    conn,
                    case_id=case_id,
                    case_ref=row.ref,
                    rule_id=rule_id,
                    cycle_key=cycle,
                    template=template,
                    recipient=recipient.key,
                    recipient_name=recipient.name,
                    channel=recipient.channel,
                    address=recipient.address,
                    context=context,
                    now=now,
                    hold=hold,
                    note=recipient.note,
                )
                if notice_id is not None:
                    ids.append(notice_id)
        return ids


# -- what the documents say ----------------------------------------------------------------------


class NoticeContexts:
    """Builds template contexts from the case row, its clocks and events (JSON-safe values;
    personal data only where the document needs them: the 移送函)."""

    def __init__(
        self,
        engine: Engine,
        conn: sa.Connection,
        row: Any,
        now: datetime,
        *,
        clocks: Callable[[], dict[str, ClockState]] | None = None,
    ) -> None:
        self._clock_source = clocks
        self.engine = engine
        self.conn = conn
        self.row = row
        self.now = now
        self.governing = engine.governing(row.pack_name, row.pack_version)
        self.pack = self.governing.pack
        self.tz = self.pack.timezone
        self.today = now.astimezone(self.tz).date().isoformat()

    def _clocks(self) -> dict[str, ClockState]:
        if self._clock_source is not None:
            return self._clock_source()
        return load_clocks(self.conn, self.row.id)

    def warning(
        self,
        clock: ClockState | None,
        *,
        rule_id: str,
        label: str | None = None,
        due: datetime | None = None,
        basis: str | None = None,
    ) -> dict[str, Any]:
        row = self.row
        spec: ClockSpec | None = None
        if clock is not None:
            try:
                spec = self.pack.clock(clock.clock_id)
            except KeyError:
                spec = None
        deadline = due or (clock.deadline_at if clock is not None else None) or self.now
        workdays = spec is not None and spec.limit.unit is LimitUnit.WORKDAYS
        left = days_left(
            deadline, self.now, tz=self.tz, calendar=self.governing.calendar, workdays=workdays
        )
        return {
            "office_name": office_name(row.handling_region),
            "employer_name": row.employer_name,
            "clock_label": label or (spec.label if spec else rule_id),
            "deadline": deadline.astimezone(self.tz).date().isoformat(),
            "deadline_at": deadline.astimezone(UTC).isoformat(),
            "days_left": left,
            "day_unit": "工作日" if workdays else "日",
            "basis": basis or (spec.basis if spec else "规则包要求"),
            "issued_on": self.today,
            "division_name": division_name(row.handling_region),
            "rule_id": rule_id,
            # past the State Council notices' years the deadline rests on assumed holidays
            "deadline_assumed": bool(clock is not None and clock.assumed and due is None),
        }

    def for_rule(
        self, template: str, spec: EscalationSpec, recipient: Recipient, facts: Mapping[str, Any]
    ) -> tuple[dict[str, Any], str]:
        if template == WARNING:
            clocks = self._clocks()
            read = [clocks[c] for c in sorted(spec.condition.clocks) if c in clocks]
            clock = next(
                (c for c in read if derived_status(c, self.now) in ("breached", "warned")),
                read[0] if read else None,
            )
            return self.warning(clock, rule_id=spec.id), ""
        if template == "移送函":
            return self.referral(spec), "【移送公安·待负责人审批】" + self.row.employer_name
        return self.generic(template, spec.id, spec.label, spec.basis, recipient, facts), ""

    def generic(
        self,
        template: str,
        rule_id: str,
        reason: str,
        basis: str,
        recipient: Recipient,
        facts: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        row = self.row
        facts = facts or {}
        handling = row.handling_region
        common = {"employer_name": row.employer_name, "issued_on": self.today}
        if template == "督办通知":
            by = row.supervised_by
            if by == "province":
                supervising = office_name(handling[:2] + "0000")
            elif by == "city" and handling[4:] != "00":
                supervising = office_name(handling[:4] + "00")
            else:
                supervising = office_name(handling)
            ctx = {
                **common,
                "supervising_office": supervising,
                "supervised_office": office_name(handling),
                "workers_involved": int(row.workers),
                "amount_owed": str(row.amount),
                "reason": reason.rstrip("。"),
                "basis": basis or "规则包",
                "report_due": self._workdays_from_now(5),
            }
            if row.leader:
                ctx["leader_name"] = row.leader
            if row.project_name:
                ctx["project_name"] = row.project_name
            return ctx
        if template == "提级办理通知书":
            before, after = facts.get("raised") or self._last_raise() or (handling, handling)
            return {
                **common,
                "office_name": office_name(after),
                "from_division_name": division_name(before),
                "to_division_name": division_name(after),
                "from_division_code": before,
                "to_division_code": after,
                "from_office_name": office_name(before),
                "reason": reason.rstrip("。"),
                "rule_id": rule_id,
                "basis": basis or "《劳动保障监察条例》第十三条第二款",
                "workers_involved": int(row.workers),
                "amount_owed": str(row.amount),
                "handover_due": self._workdays_from_now(3),
            }
        if template == "每日台账摘要":
            line = self.warning(None, rule_id=rule_id)
            return {
                "recipient_name": recipient.name,
                "digest_date": self.today,
                "cases": [
                    {
                        "case_ref": row.ref,
                        "employer_name": row.employer_name,
                        "clock_label": line["clock_label"],
                        "deadline": line["deadline"],
                        "days_left": line["days_left"],
                    }
                ],
            }
        if template == WARNING:
            return self.warning(None, rule_id=rule_id, label=reason, basis=basis)
        raise ValueError(f"no context builder for template {template!r}")

    def referral(self, spec: EscalationSpec) -> dict[str, Any]:
        """移送函 (国务院令第310号 Art. 6): the facts the police need, from the case and the
        责令支付 order's event. The letter is a draft for the head's approval (Art. 5)."""
        row = self.row
        clocks = self._clocks()
        order = clocks.get("order_payment")
        order_event = self._last_event("order_payment")
        payload: Mapping[str, Any] = order_event.payload if order_event is not None else {}
        approved = self._last_event("referral_approved")
        served_on = (
            order.started_at if order is not None else (order_event.at if order_event else self.now)
        )
        due_on = order.deadline_at if order is not None and order.deadline_at else served_on
        unpaid = Decimal(row.amount) - Decimal(row.recovered_amount or 0)
        ctx: dict[str, Any] = {
            "office_name": office_name(row.handling_region),
            "document_no": str(payload.get("referral_no") or f"（待编号）{row.ref}"),
            "police_office": f"{division_name(row.region)}公安机关",
            "employer_name": row.employer_name,
            "employer_uscc": row.employer_uscc or "（未登记）",
            "workers_involved": int(row.workers),
            "migrant_workers": int(row.migrant_workers),
            "amount_owed": str(row.amount),
            "order_doc_type": str(payload.get("doc_type") or "劳动保障监察限期整改指令书"),
            "order_no": str(payload.get("doc_no") or payload.get("no") or "（文号见案卷）"),
            "order_served_on": served_on.astimezone(self.tz).date().isoformat(),
            "order_service_method": str(payload.get("method") or "直接送达"),
            "order_due_date": due_on.astimezone(self.tz).date().isoformat(),
            "amount_unpaid": str(unpaid.quantize(Decimal("0.01"))),
            "approved_on": (approved.at if approved is not None else self.now)
            .astimezone(self.tz)
            .date()
            .isoformat(),
            "complainant_name": row.complainant_name,
            "complainant_phone": row.complainant_phone,
            "issued_on": self.today,
            "facts": (
                f"依据规则 {spec.id}（{spec.label}）筛查：{spec.basis}。"
                + ("" if approved is not None else "本移送书为草稿，须经负责人批准后方可移送。")
            ),
        }
        if row.complainant_id_number:
            ctx["complainant_id_number"] = row.complainant_id_number
        if row.project_name:
            ctx["project_name"] = row.project_name
        return ctx

    def _last_event(self, event: str) -> Any:
        return self.conn.execute(
            sa.select(_events)
            .where(_events.c.case_id == self.row.id, _events.c.event == event)
            .order_by(_events.c.seq.desc())
            .limit(1)
        ).first()

    def _last_raise(self) -> tuple[str, str] | None:
        event = self._last_event("raise_level")
        if event is None:
            return None
        payload = event.payload or {}
        return str(payload.get("from_region")), str(payload.get("to_region"))

    def _workdays_from_now(self, n: int) -> str:
        day = self.now.astimezone(self.tz).date()
        cal = self.governing.calendar
        while n > 0:
            day += timedelta(days=1)
            if cal.is_workday(day):
                n -= 1
        return day.isoformat()


# -- the case as rules see it ---------------------------------------------------------------------


class _Snap:
    """The case row and clocks, read once and again only after a change (statements are the
    sweep's cost on a remote database)."""

    def __init__(
        self,
        conn: sa.Connection,
        case_id: int,
        row: Any = None,
        clocks: dict[str, ClockState] | None = None,
    ) -> None:
        self.conn = conn
        self.case_id = case_id
        self._row = row
        self._clocks = clocks

    @property
    def row(self) -> Any:
        if self._row is None:
            self._row = _row(self.conn, self.case_id)
        return self._row

    @property
    def clocks(self) -> dict[str, ClockState]:
        if self._clocks is None:
            self._clocks = load_clocks(self.conn, self.case_id)
        return self._clocks

    def changed(self) -> None:
        self._row = None
        self._clocks = None


@dataclass(frozen=True, slots=True)
class _CaseState:
    row: Any
    pack: Any
    clocks: dict[str, ClockState]
    ctx: Any

    @classmethod
    def load(cls, engine: Engine, snap: _Snap, now: datetime) -> _CaseState | None:
        row = snap.row
        governing = engine.governing(row.pack_name, row.pack_version)
        if governing.lifecycle.is_final(row.state):
            return None  # a closed case does not escalate
        clocks = snap.clocks
        ctx = governing.context(row, now=now, clocks=clocks.values())
        return cls(row, governing.pack, clocks, ctx)


def _row(conn: sa.Connection, case_id: int) -> Any:
    return conn.execute(sa.select(_cases).where(_cases.c.id == case_id)).one()


# -- installing ------------------------------------------------------------------------------------


def install(engine: Engine, *, router: Router | None = None) -> Escalator:
    """Hang the evaluator on ``engine.after_change`` (once; a second call returns the first)."""
    existing = escalator_of(engine)
    if existing is not None:
        if router is not None:
            existing.router = router
        return existing
    escalator = Escalator(router)
    engine.after_change.append(escalator)
    return escalator


def escalator_of(engine: Engine) -> Escalator | None:
    return next((h for h in engine.after_change if isinstance(h, Escalator)), None)


def list_escalations(engine: Engine, case_id: int) -> list[dict[str, Any]]:
    """The escalations a case went through (rule, cycle key, when, what each action did)."""
    with engine._read() as conn:
        rows = conn.execute(
            sa.select(_escalations)
            .where(_escalations.c.case_id == case_id)
            .order_by(_escalations.c.id)
        )
        return [
            {
                "rule": r.rule_id,
                "cycle_key": r.cycle_key,
                "at": r.fired_at,
                "trigger": r.trigger,
                "actions": r.actions,
                "pack_version": r.pack_version,
            }
            for r in rows
        ]
