"""What the documents say: template contexts built from a case, its clocks and its events.

JSON-safe values only; personal data only where the document needs them (the 移送函). Reads the
events it cites (the 责令支付 order, the last 提级) through the store, in the caller's
transaction; the case and its clocks are handed in as the caller holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.domain.clocks import ClockState, days_left, derived_status
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.routing import Recipient, division_name, office_name
from zhiqian.rules.limits import LimitUnit
from zhiqian.rules.schema import ClockSpec, EscalationSpec
from zhiqian.rules.templates import (
    DAILY_DIGEST,
    ESCALATION_NOTICE,
    OVERDUE_WARNING,
    POLICE_REFERRAL,
    SUPERVISION_NOTICE,
    template_id,
)
from zhiqian.store import events as event_store
from zhiqian.store.records import CaseRecord, EventRecord

__all__ = ["NoticeContexts"]


class NoticeContexts:
    """Builds template contexts from the case record, its clocks and events (JSON-safe values;
    personal data only where the document needs them: the 移送函)."""

    def __init__(
        self,
        conn: sa.Connection,
        governing: Governing,
        row: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
    ) -> None:
        self.conn = conn
        self.row = row
        self.clocks = clocks
        self.now = now
        self.governing = governing
        self.pack = governing.pack
        self.tz = self.pack.timezone
        self.today = now.astimezone(self.tz).date().isoformat()

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
        if template_id(template) == OVERDUE_WARNING:
            clocks = self.clocks
            read = [clocks[c] for c in sorted(spec.condition.clocks) if c in clocks]
            clock = next(
                (c for c in read if derived_status(c, self.now) in ("breached", "warned")),
                read[0] if read else None,
            )
            return self.warning(clock, rule_id=spec.id), ""
        if template_id(template) == POLICE_REFERRAL:
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
        if template_id(template) == SUPERVISION_NOTICE:
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
        if template_id(template) == ESCALATION_NOTICE:
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
        if template_id(template) == DAILY_DIGEST:
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
        if template_id(template) == OVERDUE_WARNING:
            return self.warning(None, rule_id=rule_id, label=reason, basis=basis)
        raise ValueError(f"no context builder for template {template!r}")

    def referral(self, spec: EscalationSpec) -> dict[str, Any]:
        """移送函 (国务院令第310号 Art. 6): the facts the police need, from the case and the
        责令支付 order's event. The letter is a draft for the head's approval (Art. 5)."""
        row = self.row
        clocks = self.clocks
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

    def _last_event(self, event: str) -> EventRecord | None:
        return event_store.last_event(self.conn, self.row.id, event)

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
