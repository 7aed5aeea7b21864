"""What the documents say: template contexts built from a case, its clocks, its events and the
decision a document belongs to.

Every builder returns a :class:`Draft`: the template, a JSON-safe context and the facts it still
lacks. A document never prints a placeholder: where a fact is optional the line is left out (the
templates' ``OPTIONAL_CONTEXT``); where the document cannot be issued without it (the 移送书's
文号, the 责令支付 order's 文号, the name of a 包案 leader) the draft names the missing fact
(``zhiqian.engine.domain.documents.FACTS``) and the issuer queues it as ``waiting``.
:meth:`NoticeContexts.complete` looks the facts up again for a waiting notice.

Dates are local dates of the pack's time zone. Personal data only where the document needs them
(the 移送书). Reads the events it cites (the 责令支付 order, the act's event) through the store,
in the caller's transaction; the case and its clocks are handed in as the caller holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.engine.domain.clocks import ClockState, days_left, derived_status
from zhiqian.engine.domain.documents import (
    ACT_LABELS,
    division_name,
    is_named_person,
    office_name,
)
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.routing import Recipient, Router
from zhiqian.rules.limits import LimitUnit
from zhiqian.rules.schema import ClockSpec, EscalationSpec
from zhiqian.rules.templates import (
    ADVANCE_ADVICE,
    DECISION_REQUEST,
    ESCALATION_NOTICE,
    LEADER_NOTICE,
    OVERDUE_WARNING,
    POLICE_REFERRAL,
    REFERRAL_APPROVAL,
    REMINDER,
    SUPERVISION_NOTICE,
    TemplateId,
)
from zhiqian.store import events as event_store
from zhiqian.store.records import CaseRecord, DecisionRecord, EventRecord

__all__ = ["WAITING_KEY", "Draft", "NoticeContexts", "proposer_is_rule"]

WAITING_KEY: Final = "waiting"
"""The context key of a waiting document: ``{"facts": [...], ...}`` what it waits for, and
what is needed to look the facts up again. Removed when the document is released."""

# The event a clerk records the 责令支付 order's document facts with (a pack action), and the
# older way: the order's own parameters.
REGISTER_ORDER: Final = "register_order"
_DEFAULT_ORDER_DOC: Final = "劳动保障监察限期整改指令书"

# The legal basis of the act itself where the law gives one (national law, in force long before
# any case the packs govern); a rule's own basis comes first.
_ACT_BASIS: Final[Mapping[str, str]] = {
    "refer_police": "《中华人民共和国刑法》第二百七十六条之一；"
    "《行政执法机关移送涉嫌犯罪案件的规定》（国务院令第310号）第三条",
    "raise_level": "《劳动保障监察条例》第十三条第二款",
}
_REPORT_WORKDAYS: Final = 5  # 挂牌督办: progress report due (convention, as before)
_HANDOVER_WORKDAYS: Final = 3  # 提级办理: files handed over (convention, as before)


@dataclass(frozen=True, slots=True)
class Draft:
    """A document before it is queued: ``missing`` names the facts (``FACTS`` ids) it lacks."""

    template: TemplateId
    context: dict[str, Any]
    subject: str = ""
    missing: tuple[str, ...] = ()
    lookup: Mapping[str, Any] = field(default_factory=dict)  # what complete() needs later


def proposer_is_rule(proposed_by: str) -> bool:
    """Whether a decision was proposed by a pack rule (``rule:<id>``), not by a person."""
    return proposed_by.startswith("rule:")


class NoticeContexts:
    """Builds template contexts from the case record, its clocks and events."""

    def __init__(
        self,
        conn: sa.Connection,
        governing: Governing,
        row: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        router: Router | None = None,
    ) -> None:
        self.conn = conn
        self.row = row
        self.clocks = clocks
        self.now = now
        self.governing = governing
        self.pack = governing.pack
        self.router = router or Router()
        self.tz = self.pack.timezone
        self.today = now.astimezone(self.tz).date().isoformat()

    # -- small helpers ------------------------------------------------------------------------

    def _day(self, at: datetime) -> str:
        return at.astimezone(self.tz).date().isoformat()

    def _harm(self) -> dict[str, Any]:
        row = self.row
        out: dict[str, Any] = {
            "employer_name": row.employer_name,
            "workers_involved": int(row.workers),
            "amount_owed": str(row.amount),
        }
        if row.project_name:
            out["project_name"] = row.project_name
        return out

    def _rule(self, rule_id: str | None) -> EscalationSpec | None:
        if not rule_id:
            return None
        try:
            return self.pack.escalation(rule_id)
        except KeyError:
            return None

    def grounds(self, decision: DecisionRecord) -> tuple[str, str]:
        """(reason, basis) of a decision: its rule's label and basis, else what the proposer
        gave, else the act's own legal basis."""
        spec = self._rule(decision.rule_id)
        params = decision.params or {}
        reason = spec.label if spec is not None else (decision.grounds or ACT_LABELS[decision.act])
        basis = (
            str(params.get("basis") or "")
            or (spec.basis if spec is not None else "")
            or _ACT_BASIS.get(decision.act, "")
            or decision.grounds
            or reason
        )
        return reason.rstrip("。"), basis.rstrip("。")

    def _workdays_from_now(self, n: int) -> str:
        day = self.now.astimezone(self.tz).date()
        cal = self.governing.calendar
        while n > 0:
            day += timedelta(days=1)
            if cal.is_workday(day):
                n -= 1
        return day.isoformat()

    def _last_event(self, event: str) -> EventRecord | None:
        return event_store.last_event(self.conn, self.row.id, event)

    # -- warnings and reminders (decide nothing) ---------------------------------------------------

    def warning(
        self,
        clock: ClockState | None,
        *,
        rule_id: str,
        label: str | None = None,
        due: datetime | None = None,
        basis: str | None = None,
    ) -> dict[str, Any]:
        """超期预警 for ``clock`` (or a deadline ``due`` with ``label``)."""
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
            "clock_label": label or (spec.label if spec else "办理期限"),
            "deadline": self._day(deadline),
            "deadline_at": deadline.astimezone(UTC).isoformat(),
            "days_left": left,
            "day_unit": "工作日" if workdays else "日",
            "basis": basis or (spec.basis if spec else self.pack.label),
            "issued_on": self.today,
            "division_name": division_name(row.handling_region),
            # past the State Council notices' years the deadline rests on assumed holidays
            "deadline_assumed": bool(clock is not None and clock.assumed and due is None),
        }

    def rule_warning(self, spec: EscalationSpec) -> dict[str, Any]:
        """超期预警 for the clock a rule reads that is breached or warned (or its first)."""
        read = [self.clocks[c] for c in sorted(spec.condition.clocks) if c in self.clocks]
        clock = next(
            (c for c in read if derived_status(c, self.now) in ("breached", "warned")),
            read[0] if read else None,
        )
        return self.warning(clock, rule_id=spec.id)

    def report_reminder(
        self, matter: str, due: datetime, *, basis: str | None = None
    ) -> dict[str, Any]:
        """催办提醒 for something to do or report by ``due`` (e.g. 次日报告进展)."""
        ctx: dict[str, Any] = {
            "office_name": office_name(self.row.handling_region),
            "employer_name": self.row.employer_name,
            "kind": "report",
            "matter": matter,
            "due": self._day(due),
            "issued_on": self.today,
        }
        if basis:
            ctx["basis"] = basis
        return ctx

    def urgent_clocks(self, spec: EscalationSpec) -> list[ClockState]:
        """The clocks a rule reads, the breached and warned ones first, earliest deadline first."""
        read = [self.clocks[c] for c in sorted(spec.condition.clocks) if c in self.clocks]
        far = datetime.max.replace(tzinfo=UTC)

        def urgency(clock: ClockState) -> tuple[int, datetime]:
            status = derived_status(clock, self.now)
            rank = 0 if status == "breached" else 1 if status == "warned" else 2
            return rank, clock.deadline_at or far

        return sorted(read, key=urgency)

    def rule_reminder(self, spec: EscalationSpec) -> dict[str, Any]:
        """催办提醒 a rule issues: its label, due when the most urgent clock it reads runs out
        (or today)."""
        due = next((c.deadline_at for c in self.urgent_clocks(spec) if c.deadline_at), self.now)
        return self.report_reminder(spec.label, due, basis=spec.basis)

    def decision_reminder(self, decision: DecisionRecord, decider: str) -> dict[str, Any]:
        """催办提醒 to the decider of an undecided decision: 请于…前作出决定."""
        clock = self.clocks.get(decision.clock_id)
        due = decision.due_at or (clock.deadline_at if clock is not None else None) or self.now
        spec: ClockSpec | None = None
        try:
            spec = self.pack.clock(decision.clock_id)
        except KeyError:
            spec = None
        label = ACT_LABELS.get(decision.act, decision.act)
        ctx: dict[str, Any] = {
            "office_name": office_name(self.row.handling_region),
            "employer_name": self.row.employer_name,
            "kind": "decision",
            "matter": f"是否批准{label}" if decision.act == "refer_police" else f"是否{label}",
            "due": self._day(due),
            "proposed_on": self._day(decision.proposed_at),
            "decider": decider,
            "issued_on": self.today,
        }
        if spec is not None:
            ctx["basis"] = spec.basis
        return ctx

    def advice(self, spec: EscalationSpec) -> dict[str, Any]:
        """垫付建议: the recommendation a rule makes (its ``recommend`` label), deciding nothing."""
        recommend = next((a.recommend for a in spec.do if a.recommend is not None), None)
        row = self.row
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(row.handling_region),
            "advice": recommend.label if recommend is not None else spec.label,
            "reason": spec.label,
            "basis": spec.basis,
            "issued_on": self.today,
        }
        ctx["migrant_workers"] = int(row.migrant_workers)
        return ctx

    # -- facts a document may wait for ---------------------------------------------------------

    def order_facts(self) -> dict[str, Any] | None:
        """The 责令支付 order's document facts as a clerk recorded them — with the order
        (``order_payment``'s parameters) or afterwards (``register_order``, which wins field by
        field) — or None while its 文号 was never recorded."""
        recorded: dict[str, str] = {}
        for event in ("order_payment", REGISTER_ORDER):
            found = self._last_event(event)
            payload: Mapping[str, Any] = found.payload if found is not None else {}
            for key, names in (
                ("no", ("doc_no", "no")),
                ("type", ("doc_type",)),
                ("method", ("method",)),
            ):
                value = next((str(payload[n]).strip() for n in names if payload.get(n)), "")
                if value:
                    recorded[key] = value
        if not recorded.get("no"):
            return None
        out: dict[str, Any] = {
            "order_no": recorded["no"],
            "order_doc_type": recorded.get("type") or _DEFAULT_ORDER_DOC,
        }
        if recorded.get("method"):
            out["order_service_method"] = recorded["method"]
        return out

    def leader_facts(self, division: str, title: str) -> dict[str, Any] | None:
        """The 包案 leader's name: the case's, if a person is named, else the directory's."""
        if is_named_person(self.row.leader):
            return {"leader_name": str(self.row.leader)}
        person = self.router.named_leader(division, title)
        return {"leader_name": person.name} if person is not None else None

    def referral_no_facts(self, decision_id: int | None) -> dict[str, Any] | None:
        """The 移送书's 文号: on the approved act's event (``refer_police``)."""
        found = self._last_event("refer_police")
        if found is None:
            return None
        payload = found.payload or {}
        if decision_id is not None and str(payload.get("decision", decision_id)) != str(
            decision_id
        ):
            return None
        number = str(payload.get("document_no") or "").strip()
        return {"document_no": number} if number else None

    def complete(self, context: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """A waiting document's context with the facts found now, and the facts still missing."""
        waiting: Mapping[str, Any] = context.get(WAITING_KEY) or {}
        ctx = {k: v for k, v in context.items() if k != WAITING_KEY}
        missing: list[str] = []
        for fact in waiting.get("facts", ()):
            found: dict[str, Any] | None = None
            if fact == "order":
                dates = self._order_dates()
                facts = self.order_facts()
                found = {**dates, **facts} if facts and "order_due_date" in dates else None
            elif fact == "leader":
                found = self.leader_facts(
                    str(waiting.get("division") or self.row.handling_region),
                    str(waiting.get("title") or ""),
                )
            elif fact == "document_no":
                raw = waiting.get("decision")
                found = self.referral_no_facts(int(raw) if raw is not None else None)
            if found is None:
                missing.append(str(fact))
            else:
                ctx.update(found)
        if missing:
            ctx[WAITING_KEY] = {**waiting, "facts": missing}
        return ctx, tuple(missing)

    # -- the drafts of a decision --------------------------------------------------------------

    def referral_approval(self, decision: DecisionRecord, *, police_office: str) -> dict[str, Any]:
        """移送审批表 (国务院令第310号 第五条): what the head needs to decide the referral."""
        row = self.row
        reason, basis = self.grounds(decision)
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(row.handling_region),
            "migrant_workers": int(row.migrant_workers),
            "screening": reason,
            "basis": basis,
            "police_office": police_office,
            "proposed_on": self._day(decision.proposed_at),
            "issued_on": self.today,
        }
        if not proposer_is_rule(decision.proposed_by):
            ctx["proposed_by"] = decision.proposed_by
        due = self._decision_due(decision)
        if due is not None:
            ctx["decision_due"] = due
        if row.employer_uscc:
            ctx["employer_uscc"] = row.employer_uscc
        if row.summary:
            ctx["summary"] = row.summary
        if row.largest_owed is not None:
            ctx["largest_owed"] = str(row.largest_owed)
            if row.largest_owed_months is not None:
                ctx["largest_owed_months"] = int(row.largest_owed_months)
        ctx.update(self._order_dates())
        ctx.update(self.order_facts() or {})
        return ctx

    def decision_request(self, decision: DecisionRecord, *, decider_name: str) -> dict[str, Any]:
        """提请决定审批表: what the deciding office needs to decide a reserved act."""
        row = self.row
        reason, basis = self.grounds(decision)
        label = ACT_LABELS.get(decision.act, decision.act)
        params = decision.params or {}
        decider_office = office_name(decision.decider_division)
        if decision.act == "supervise":
            proposal = f"提请{decider_office}对该案挂牌督办"
        elif decision.act == "raise_level":
            proposal = f"提请{decider_office}对该案提级办理"
        elif decision.act == "assign_leader":
            title = str(params.get("role") or "负责同志")
            named = str(params.get("leader") or "")
            who = f"{title}{named}同志" if is_named_person(named) else title
            proposal = f"提请由{who}对该案包案负责"
        elif decision.act == "blacklist":
            proposal = f"提请将{row.employer_name}列入拖欠农民工工资失信联合惩戒对象名单"
        else:
            proposal = f"提请对该案{label}"
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(row.handling_region),
            "decider_name": decider_name,
            "act_label": label,
            "proposal": proposal,
            "reason": reason,
            "basis": basis,
            "proposed_on": self._day(decision.proposed_at),
            "issued_on": self.today,
        }
        if not proposer_is_rule(decision.proposed_by):
            ctx["proposed_by"] = decision.proposed_by
        due = self._decision_due(decision)
        if due is not None:
            ctx["decision_due"] = due
        if decision.act == "blacklist":
            ctx["procedure_note"] = (
                "作出列入决定前，应当依照规定告知当事人拟列入的事实、理由和依据，"
                "并听取其陈述和申辩；列入须以责令限期支付工资、逾期未支付为前提。"
            )
        return ctx

    def _decision_due(self, decision: DecisionRecord) -> str | None:
        clock = self.clocks.get(decision.clock_id)
        due = decision.due_at or (clock.deadline_at if clock is not None else None)
        return self._day(due) if due is not None else None

    def _order_dates(self) -> dict[str, Any]:
        order = self.clocks.get("order_payment")
        if order is None:
            return {}
        out: dict[str, Any] = {"order_served_on": self._day(order.started_at)}
        if order.deadline_at is not None:
            out["order_due_date"] = self._day(order.deadline_at)
        unpaid = Decimal(self.row.amount) - Decimal(self.row.recovered_amount or 0)
        out["amount_unpaid"] = str(max(unpaid, Decimal(0)).quantize(Decimal("0.01")))
        return out

    # -- the act's formal document, after approval ---------------------------------------------

    def _decided(self, decision: DecisionRecord) -> tuple[str, str]:
        if decision.decided_at is None or not decision.decided_by:
            raise ValueError(
                f"decision {decision.id} ({decision.act}) has no approval recorded "
                "(decided_by, decided_at): the act's document is issued only after it"
            )
        return decision.decided_by, self._day(decision.decided_at)

    def police_referral(self, decision: DecisionRecord, *, police_office: str) -> Draft:
        """涉嫌犯罪案件移送书: only for an approved referral, numbered, with its approver."""
        row = self.row
        approver, approved_on = self._decided(decision)
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(decision.decider_division),
            "police_office": police_office,
            "migrant_workers": int(row.migrant_workers),
            "approver": approver,
            "approved_on": approved_on,
            "complainant_name": row.complainant_name,
            "complainant_phone": row.complainant_phone,
            "issued_on": self.today,
        }
        if row.employer_uscc:
            ctx["employer_uscc"] = row.employer_uscc
        if row.complainant_id_number:
            ctx["complainant_id_number"] = row.complainant_id_number
        missing: list[str] = []
        number = decision.document_no or (self.referral_no_facts(decision.id) or {}).get(
            "document_no"
        )
        if number:
            ctx["document_no"] = number
        else:
            missing.append("document_no")
        dates = self._order_dates()
        facts = self.order_facts()
        if facts is None or "order_due_date" not in dates:
            missing.append("order")
        ctx.update(dates)
        ctx.update(facts or {})
        lookup = {"decision": decision.id}
        return Draft(POLICE_REFERRAL, ctx, missing=tuple(missing), lookup=lookup)

    def supervision(self, decision: DecisionRecord) -> Draft:
        """挂牌督办通知书: from the deciding (supervising) office to the one handling the case."""
        row = self.row
        _by, decided_on = self._decided(decision)
        reason, basis = self.grounds(decision)
        ctx: dict[str, Any] = {
            **self._harm(),
            "supervising_office": office_name(decision.decider_division),
            "supervised_office": office_name(row.handling_region),
            "reason": reason,
            "basis": basis,
            "decided_on": decided_on,
            "report_due": self._workdays_from_now(_REPORT_WORKDAYS),
            "issued_on": self.today,
        }
        if is_named_person(row.leader):
            ctx["leader_name"] = str(row.leader)
        if decision.document_no:
            ctx["document_no"] = decision.document_no
        return Draft(SUPERVISION_NOTICE, ctx)

    def escalation(self, decision: DecisionRecord, *, before: CaseRecord) -> Draft:
        """提级办理通知书: from the higher office now handling the case to the lower one."""
        row = self.row
        _by, decided_on = self._decided(decision)
        reason, basis = self.grounds(decision)
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(row.handling_region),
            "from_office_name": office_name(before.handling_region),
            "to_division_name": division_name(row.handling_region),
            "reason": reason,
            "basis": basis,
            "decided_on": decided_on,
            "handover_due": self._workdays_from_now(_HANDOVER_WORKDAYS),
            "issued_on": self.today,
        }
        if decision.document_no:
            ctx["document_no"] = decision.document_no
        return Draft(ESCALATION_NOTICE, ctx)

    def leader(self, decision: DecisionRecord) -> Draft:
        """领导包案通知: to the named leader, from the office whose head named them."""
        row = self.row
        approver, decided_on = self._decided(decision)
        reason, basis = self.grounds(decision)
        params = decision.params or {}
        title = str(row.leader_role or params.get("role") or "").strip()
        ctx: dict[str, Any] = {
            **self._harm(),
            "office_name": office_name(decision.decider_division),
            "reason": reason,
            "basis": basis,
            "decided_on": decided_on,
            "decided_by": approver,
            "issued_on": self.today,
        }
        if title:
            ctx["leader_title"] = title
        found = self.leader_facts(decision.decider_division, title)
        if found is None and is_named_person(str(params.get("leader") or "")):
            found = {"leader_name": str(params["leader"])}
        ctx.update(found or {})
        lookup = {"division": decision.decider_division, "title": title}
        return Draft(LEADER_NOTICE, ctx, missing=() if found else ("leader",), lookup=lookup)


def decision_template(act: str) -> TemplateId:
    """The draft a decider receives: the 移送审批表 for a referral, else the 提请决定审批表."""
    return REFERRAL_APPROVAL if act == "refer_police" else DECISION_REQUEST


# Templates with no builder here are warnings, reminders and advice (built per recipient).
RULE_BUILDERS: Final = frozenset({OVERDUE_WARNING, REMINDER, ADVANCE_ADVICE})


def recipient_office(recipient: Recipient) -> str:
    """The office a recipient belongs to (the 台账 a digest of theirs is made for)."""
    return office_name(recipient.division)
