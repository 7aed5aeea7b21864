"""Issuing notices and documents: who receives what an escalation rule, an act or a clock
warning issues, the context each document is rendered from, and the outbox rows that carry
them (written in the caller's transaction, so a notice exists exactly when its cause does)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhiqian.engine.commands.documents import NoticeContexts
from zhiqian.engine.commands.notices import queue_notice
from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.engine.routing import Recipient, Router, office_name
from zhiqian.rules.divisions import level_of
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import EscalationSpec
from zhiqian.rules.templates import OVERDUE_WARNING, POLICE_REFERRAL, template_id
from zhiqian.store.records import CaseRecord

__all__ = ["NoticeIssuer"]


class NoticeIssuer:
    """Queues the notices of rules, acts and clock warnings for the recipients the router names."""

    def __init__(self, packs: Packs, router: Router) -> None:
        self.packs = packs
        self.router = router

    def rule_notices(
        self,
        conn: sa.Connection,
        governing: Governing,
        row: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        *,
        spec: EscalationSpec,
        facts: Mapping[str, Any],
        roles: tuple[str, ...],
        template: str,
    ) -> list[int]:
        """The notices an escalation rule's ``notify`` (or an act it performed) issues."""
        pack = governing.pack
        if template_id(template) == POLICE_REFERRAL and facts.get("referred") is False:
            return []  # no referral was made: a 移送函 would be false
        builder = NoticeContexts(conn, governing, row, clocks, now)
        digest = pack.routing.digest
        ids: list[int] = []
        for role in roles:
            recipients = (
                self.upper_office(pack, row)
                if role == "$upper"
                else self.router.recipients(pack, row, role)
            )
            for recipient in recipients:
                context, subject = builder.for_rule(template, spec, recipient, facts)
                hold = (
                    template_id(template) == OVERDUE_WARNING
                    and digest is not None
                    and recipient.role in digest.to
                    and recipient.channel not in ("log",)
                )
                notice_id = queue_notice(
                    conn,
                    case_id=row.id,
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

    def upper_office(self, pack: RulePack, row: CaseRecord) -> list[Recipient]:
        """The office now handling the case (after 提级): the pack role of that level, or log."""
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
        conn: sa.Connection,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
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
        governing = self.packs.of(case)
        pack = governing.pack
        builder = NoticeContexts(conn, governing, case, clocks, now)
        digest = pack.routing.digest
        ids: list[int] = []
        for role in roles:
            for recipient in self.router.recipients(pack, case, role):
                context = builder.warning(clock, rule_id=rule_id, label=label, due=due)
                if template_id(template) != OVERDUE_WARNING:
                    context = builder.generic(template, rule_id, label or "", "", recipient)
                hold = (
                    template_id(template) == OVERDUE_WARNING
                    and digest is not None
                    and recipient.role in digest.to
                    and recipient.channel != "log"
                )
                notice_id = queue_notice(
                    conn,
                    case_id=case.id,
                    case_ref=case.ref,
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
