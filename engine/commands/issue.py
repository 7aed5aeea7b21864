"""Issuing notices and documents: which document goes to whom, written to the outbox in the
caller's transaction (so a document exists exactly when its cause does).

What a rule may issue by itself decides nothing (``RULE_TEMPLATES``): the 超期预警, the
催办提醒 and the 垫付建议. Everything an act reserved to a person needs is issued by the
decision model through this class (``DECISION_TEMPLATES``): when the act is proposed, the draft
for the decider (:meth:`NoticeIssuer.decision_request`: the 移送审批表 for a referral, the
提请决定审批表 otherwise); once a named person approved it, the act's formal document
(:meth:`NoticeIssuer.act_documents`). A rule that names one of those in its ``notify`` is
refused, and the refusal is returned with the (empty) ids.

Every document, whoever issues it:

- is addressed to the right office: the 挂牌督办通知书 from the supervising office to the
  supervised one, the 提级办理通知书 from the higher office to the lower, the drafts to the
  decider — and **never by an office to itself** (refused, with the reason);
- goes once to each recipient and channel (two roles that resolve to the same address in one
  issue get one copy);
- is complete: a document that lacks a fact it needs is queued ``waiting`` with the reason (the
  fact and the command that supplies it); :meth:`NoticeIssuer.recheck_waiting` (each delivery
  pass) and :meth:`NoticeIssuer.recheck` (``notices retry``) look again and release it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.engine.commands.documents import (
    WAITING_KEY,
    Draft,
    NoticeContexts,
    decision_template,
)
from zhiqian.engine.commands.notices import context_missing, queue_notice
from zhiqian.engine.domain.clocks import ClockState, derived_status
from zhiqian.engine.domain.documents import (
    ACT_LABELS,
    FACTS,
    division_name,
    office_name,
)
from zhiqian.engine.domain.governing import Governing, Packs
from zhiqian.engine.routing import LEADER_ROLE, Recipient, Router
from zhiqian.rules.divisions import level_of
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import EscalationSpec
from zhiqian.rules.templates import (
    ADVANCE_ADVICE,
    OVERDUE_WARNING,
    REFERRAL_APPROVAL,
    REMINDER,
    template_id,
    template_label,
)
from zhiqian.store import clocks as clock_store
from zhiqian.store import decisions as decision_store
from zhiqian.store.cases import get_case
from zhiqian.store.outbox import NoticeRecord, release_waiting, still_waiting, waiting_notices
from zhiqian.store.records import CaseRecord, DecisionRecord

__all__ = ["HANDLER_ROLE", "POLICE_ROLE", "Issued", "NoticeIssuer"]

_log = logging.getLogger("zhiqian.notices")

HANDLER_ROLE: Final = "handler"  # the pack role of the case's handler (a copy of 领导包案通知)
POLICE_ROLE: Final = "police"  # a pack role for the police office, where a pack routes one
_FACT_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "order": frozenset(
        {"order_no", "order_doc_type", "order_served_on", "order_due_date", "amount_unpaid"}
    ),
    "leader": frozenset({"leader_name"}),
    "document_no": frozenset({"document_no"}),
}


class Issued(list[int]):
    """The ids of the notices queued (a list, as before), and ``refused``: each document not
    queued, and why (an office addressing itself, a document a rule may not issue)."""

    refused: list[str]

    def __init__(self, ids: Iterable[int] = (), refused: Iterable[str] = ()) -> None:
        super().__init__(ids)
        self.refused = list(refused)

    def refuse(self, why: str) -> Issued:
        self.refused.append(why)
        _log.info("notice not issued: %s", why)
        return self


class NoticeIssuer:
    """Queues the documents of rules, decisions, acts and clock warnings for the recipients
    the router names."""

    def __init__(self, packs: Packs, router: Router) -> None:
        self.packs = packs
        self.router = router

    # -- what rules and clocks issue (decides nothing) ---------------------------------------------

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
    ) -> Issued:
        """The notices a rule's ``notify`` issues: a 超期预警, 催办提醒 or 垫付建议 to each
        role. A document of the decision model is refused (see the module docstring)."""
        tid = template_id(template)
        issued = Issued()
        if tid not in (OVERDUE_WARNING, REMINDER, ADVANCE_ADVICE):
            return issued.refuse(
                f"rule {spec.id}: {template_label(tid)} is issued only by the decision model "
                "(with the proposal, or after a named person approved the act), not by a rule"
            )
        pack = governing.pack
        builder = NoticeContexts(conn, governing, row, clocks, now, self.router)
        recipients = [r for role in roles for r in self.router.recipients(pack, row, role)]
        cycle = str(facts.get("cycle_key", "-"))
        if tid == REMINDER:
            # a clock the rule reads that is an undecided decision's: remind its decider
            urgent = [
                c
                for c in builder.urgent_clocks(spec)
                if derived_status(c, now) in ("breached", "warned")
            ]
            pending = [d for c in urgent if (d := self._pending_decision(conn, row, c))]
            for decision in pending:
                deciders, decider_name = self._decider(pack, row, decision)
                draft = Draft(REMINDER, builder.decision_reminder(decision, decider_name))
                self._queue(
                    conn,
                    pack,
                    row,
                    draft,
                    [*deciders, *recipients],
                    rule_id=spec.id,
                    cycle=f"{cycle}:decision:{decision.id}",
                    now=now,
                    issued=issued,
                )
            if pending:
                return issued
        if tid == OVERDUE_WARNING:
            context = builder.rule_warning(spec)
        elif tid == REMINDER:
            context = builder.rule_reminder(spec)
        else:
            context = builder.advice(spec)
        return self._queue(
            conn,
            pack,
            row,
            Draft(tid, context),
            recipients,
            rule_id=spec.id,
            cycle=cycle,
            now=now,
            issued=issued,
        )

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
        decision: DecisionRecord | None = None,
    ) -> Issued:
        """Notices for a clock warning or a follow-up (the sweep's timers).

        A follow-up report (``clock`` None, ``label`` and ``due`` given) is a 催办提醒. A clock
        that is the legal clock of an undecided decision (``decision``, or found by the
        case's pending decisions) gives the decider a 催办提醒 "请于…前作出决定"
        (and the roles the same). Any other clock gives the roles a 超期预警."""
        governing = self.packs.of(case)
        pack = governing.pack
        builder = NoticeContexts(conn, governing, case, clocks, now, self.router)
        tid = template_id(template)
        if clock is not None and decision is None:
            decision = self._pending_decision(conn, case, clock)
        recipients = [r for role in roles for r in self.router.recipients(pack, case, role)]
        if decision is not None:
            deciders, decider_name = self._decider(pack, case, decision)
            context = builder.decision_reminder(decision, decider_name)
            draft = Draft(REMINDER, context)
            recipients = [*deciders, *recipients]
        elif clock is None and label is not None and due is not None:
            draft = Draft(REMINDER, builder.report_reminder(label, due))
        elif tid in (OVERDUE_WARNING, REMINDER):
            draft = Draft(OVERDUE_WARNING, builder.warning(clock, rule_id=rule_id, label=label))
        else:
            return Issued().refuse(
                f"{rule_id}: a clock warning issues a 超期预警 or a 催办提醒, "
                f"not {template_label(tid)}"
            )
        return self._queue(
            conn, pack, case, draft, recipients, rule_id=rule_id, cycle=cycle, now=now
        )

    def decision_reminder(
        self,
        conn: sa.Connection,
        governing: Governing,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        decision: DecisionRecord,
        *,
        cycle: str,
    ) -> Issued:
        """A 催办提醒 to the decider of a pending decision: "请于…前作出决定" (decides nothing)."""
        pack = governing.pack
        builder = NoticeContexts(conn, governing, case, clocks, now, self.router)
        deciders, decider_name = self._decider(pack, case, decision)
        draft = Draft(REMINDER, builder.decision_reminder(decision, decider_name))
        return self._queue(
            conn,
            pack,
            case,
            draft,
            deciders,
            rule_id=decision.rule_id or "decision",
            cycle=f"decision:{decision.id}:remind:{cycle}",
            now=now,
        )

    # -- the decision model's documents -----------------------------------------------------------

    def decision_request(
        self,
        conn: sa.Connection,
        governing: Governing,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        decision: DecisionRecord,
    ) -> Issued:
        """When an act reserved to a person is proposed: the 移送审批表 (``refer_police``) or the
        提请决定审批表 to the decider (``decision.decider_division``, ``decider_role``): the
        pack role whose level is that division's level, or, for the head of the office handling
        the case, the leader role; named from the directory when it knows the person."""
        pack = governing.pack
        builder = NoticeContexts(conn, governing, case, clocks, now, self.router)
        deciders, decider_name = self._decider(pack, case, decision)
        if decision_template(decision.act) == REFERRAL_APPROVAL:
            police = self.router.police_office(decision.decider_division)
            draft = Draft(
                REFERRAL_APPROVAL, builder.referral_approval(decision, police_office=police)
            )
        else:
            draft = Draft(
                decision_template(decision.act),
                builder.decision_request(decision, decider_name=decider_name),
            )
        return self._queue(
            conn,
            pack,
            case,
            draft,
            deciders,
            rule_id=decision.rule_id or "decision",
            cycle=f"decision:{decision.id}:request",
            now=now,
        )

    def act_documents(
        self,
        conn: sa.Connection,
        governing: Governing,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        decision: DecisionRecord,
        *,
        before: CaseRecord,
    ) -> Issued:
        """After approval: the act's formal document. ``case``/``clocks`` are the case after the
        act, ``before`` the case before it (the office a 提级 takes the case from), ``decision``
        as approved (``decided_by``, ``decided_at``; for ``refer_police`` its ``document_no``).

        refer_police → 涉嫌犯罪案件移送书 (to the pack's ``police`` role, else to the office that
        refers, which transmits it); supervise → 挂牌督办通知书 to the office handling the case;
        raise_level → 提级办理通知书 to the office the case came from; assign_leader →
        领导包案通知 to the leader and the handler; blacklist → none yet."""
        pack = governing.pack
        builder = NoticeContexts(conn, governing, case, clocks, now, self.router)
        issued = Issued()
        cycle = f"decision:{decision.id}:act"
        rule_id = decision.rule_id or "decision"
        act = decision.act
        if act == "refer_police":
            division = decision.decider_division
            police = self.router.police_office(division)
            draft = builder.police_referral(decision, police_office=police)
            if pack.routing.role(POLICE_ROLE) is not None:
                recipients = self.router.recipients(
                    pack, case, POLICE_ROLE, division=division, name=police
                )
                note = None
            else:
                recipients = self._office(pack, case, division)
                note = (
                    f"规则包未设公安机关角色（{POLICE_ROLE}）：移送书送移送机关，由其移送{police}"
                )
            return self._queue(
                conn,
                pack,
                case,
                draft,
                recipients,
                rule_id=rule_id,
                cycle=cycle,
                now=now,
                issued=issued,
                note=note,
            )
        if act == "supervise":
            if decision.decider_division == case.handling_region:
                return issued.refuse(
                    f"decision {decision.id}: 挂牌督办通知书 not issued — the supervising office "
                    f"({office_name(decision.decider_division)}) is the office handling the case"
                )
            draft = builder.supervision(decision)
            recipients = self._office(pack, case, case.handling_region)
        elif act == "raise_level":
            if before.handling_region == case.handling_region:
                return issued.refuse(
                    f"decision {decision.id}: 提级办理通知书 not issued — the case is still handled "
                    f"by {office_name(case.handling_region)}, no office to hand it over"
                )
            draft = builder.escalation(decision, before=before)
            recipients = self._office(pack, before, before.handling_region)
        elif act == "assign_leader":
            draft = builder.leader(decision)
            name = draft.context.get("leader_name")
            title = str(draft.context.get("leader_title") or "包案领导")
            leader_name = str(name) if name else f"{office_name(decision.decider_division)}{title}"
            recipients = self.router.recipients(
                pack,
                case,
                LEADER_ROLE,
                division=decision.decider_division,
                name=leader_name,
                person=self.router.directory.find_by_name(str(name)) if name else None,
            )
            if pack.routing.role(HANDLER_ROLE) is not None:
                recipients += self.router.recipients(pack, case, HANDLER_ROLE)
        else:
            return issued.refuse(
                f"decision {decision.id}: no document for {ACT_LABELS.get(act, act)} yet"
            )
        return self._queue(
            conn,
            pack,
            case,
            draft,
            recipients,
            rule_id=rule_id,
            cycle=cycle,
            now=now,
            issued=issued,
        )

    # -- waiting documents --------------------------------------------------------------------------

    def recheck_waiting(self, conn: sa.Connection, now: datetime, *, limit: int = 500) -> int:
        """Look again at the waiting documents (oldest first, at most ``limit``) in the caller's
        write transaction: each whose facts exist now is completed and made ``pending``.
        Returns how many were released."""
        released = 0
        for record in waiting_notices(conn, limit=limit):
            released += self.recheck(conn, record, now).status != "waiting"
        return released

    def recheck(self, conn: sa.Connection, record: NoticeRecord, now: datetime) -> NoticeRecord:
        """One waiting document: released (``pending``, with its facts and today's date) when
        they exist now, else still waiting with the reason brought up to date."""
        case = get_case(conn, record.case_id) if record.case_id is not None else None
        if case is None:
            return (
                still_waiting(
                    conn, record.id, context=record.context, reason="案件不存在：无法补全文书"
                )
                or record
            )
        governing = self.packs.of(case)
        clocks = clock_store.load_clocks(conn, case.id)
        builder = NoticeContexts(conn, governing, case, clocks, now, self.router)
        context, missing = builder.complete(record.context)
        if not missing:
            context["issued_on"] = builder.today  # issued when it goes out, not when queued
            lacking = context_missing(record.template, context)
            if lacking:
                reason = f"文书缺少 {', '.join(lacking)}：无法补全，请检查"
                return still_waiting(conn, record.id, context=context, reason=reason) or record
            return release_waiting(conn, record.id, context=context, now=now) or record
        reason = "；".join(FACTS[m].reason(case.ref) for m in missing)
        return still_waiting(conn, record.id, context=context, reason=reason) or record

    # -- routing ------------------------------------------------------------------------------------

    def _role_at_level(self, pack: RulePack, division: str) -> str | None:
        level = level_of(division)
        return next((r.id for r in pack.routing.roles if r.level == level), None)

    def _fallback(self, division: str, name: str, why: str) -> list[Recipient]:
        level = level_of(division)
        return [
            Recipient(
                role=f"{level}_office",
                division=division,
                key=f"{level}_office@{division}",
                name=name,
                channel="log",
                address="",
                note=why,
            )
        ]

    def _office(self, pack: RulePack, case: CaseRecord, division: str) -> list[Recipient]:
        """The office of ``division``, as the pack routes its level (or the log)."""
        name = office_name(division)
        role = self._role_at_level(pack, division)
        if role is None:
            return self._fallback(
                division, name, f"规则包未设{level_of(division)}级角色：改由日志通道记录"
            )
        return self.router.recipients(pack, case, role, division=division, name=name)

    def _decider(
        self, pack: RulePack, case: CaseRecord, decision: DecisionRecord
    ) -> tuple[list[Recipient], str]:
        """Who decides: the recipients and the name a document addresses."""
        division = decision.decider_division
        title = (decision.decider_role or "负责人").strip()
        person = self.router.named_leader(division, title)
        if division == case.handling_region:
            # the head of the office handling the case: a person of that office
            name = person.name if person is not None else f"{office_name(division)}{title}"
            role = (
                LEADER_ROLE
                if pack.routing.role(LEADER_ROLE) is not None
                else self._role_at_level(pack, division)
            )
        else:
            name = person.name if person is not None else office_name(division)
            role = self._role_at_level(pack, division)
        if role is None:
            why = f"规则包未设{division_name(division)}决定人的角色：改由日志通道记录"
            return self._fallback(division, name, why), name
        found = self.router.recipients(
            pack, case, role, division=division, name=name, person=person
        )
        return found, name

    def _pending_decision(
        self, conn: sa.Connection, case: CaseRecord, clock: ClockState
    ) -> DecisionRecord | None:
        """The undecided decision whose legal clock ``clock`` is (the latest proposed, where a
        clock of that id served several), or None."""
        pending = [
            d
            for d in decision_store.of_case(conn, case.id)
            if d.status == decision_store.PENDING and d.clock_id == clock.clock_id
        ]
        started = [
            d for d in pending if abs(d.proposed_at - clock.started_at) <= timedelta(seconds=1)
        ]
        chosen = started or pending
        return max(chosen, key=lambda d: d.proposed_seq) if chosen else None

    # -- queueing -------------------------------------------------------------------------------------

    def _queue(
        self,
        conn: sa.Connection,
        pack: RulePack,
        case: CaseRecord,
        draft: Draft,
        recipients: Sequence[Recipient],
        *,
        rule_id: str,
        cycle: str,
        now: datetime,
        issued: Issued | None = None,
        note: str | None = None,
    ) -> Issued:
        """One copy of ``draft`` per (recipient, channel): held for the digest (a 超期预警 to a
        digest role), waiting (a fact missing) or pending."""
        issued = issued if issued is not None else Issued()
        digest = pack.routing.digest
        context = dict(draft.context)
        reason: str | None = None
        exempt: frozenset[str] = frozenset()
        if draft.missing:
            reason = "；".join(FACTS[m].reason(case.ref) for m in draft.missing)
            context[WAITING_KEY] = {**draft.lookup, "facts": list(draft.missing)}
            exempt = frozenset().union(*(_FACT_KEYS[m] for m in draft.missing))
        # One copy per recipient and channel: two roles (or two channels that both fell back
        # to the log) reaching the same address are one notice, whose note keeps every reason.
        copies: dict[tuple[str, str], tuple[Recipient, list[str]]] = {}
        for recipient in recipients:
            same = (
                recipient.channel,
                recipient.address or f"{recipient.division}|{recipient.name}",
            )
            kept = copies.setdefault(same, (recipient, []))
            if recipient.note and recipient.note not in kept[1]:
                kept[1].append(recipient.note)
        for recipient, reasons in copies.values():
            hold = (
                draft.template == OVERDUE_WARNING
                and reason is None
                and digest is not None
                and recipient.role in digest.to
                and recipient.channel != "log"
            )
            copy = dict(context)
            if draft.template == OVERDUE_WARNING:
                copy["recipient_office"] = office_name(recipient.division)
            notes = "；".join([*reasons, *([note] if note else [])]) or None
            notice_id = queue_notice(
                conn,
                case_id=case.id,
                case_ref=case.ref,
                rule_id=rule_id,
                cycle_key=cycle,
                template=draft.template,
                recipient=recipient.key,
                recipient_name=recipient.name,
                channel=recipient.channel,
                address=recipient.address,
                context=copy,
                subject=draft.subject,
                now=now,
                hold=hold,
                note=notes,
                waiting=reason,
                waiting_for=exempt,
            )
            if notice_id is not None:
                issued.append(notice_id)
        return issued
