"""The JSON shapes of the CLI: a contract other offices script against (docs/cli.md).

Pure functions from the library's views to plain dicts; the table renderers read the same dicts,
so a table never shows something the JSON does not carry. Values stay Python objects here
(Decimal, datetime); :func:`zhiqian.engine.cli.output.to_jsonable` writes them.

Contract keys (never renamed; new keys may be added):

- ``case add``   → ``[{"id", "ref"}]``
- ``case show``  → ``{"id", "ref", "state", "level", "region", "leader", "flags",
  "clocks": [{"id", "label", "status", "deadline", "remaining", "basis"}],
  "escalations": [{"rule", "actions", "at"}],
  "events": [{"event", "from", "to", "at", "actor", "reason"}]}``
- ``overdue``    → ``[{"case", "clock", "deadline", "overdue_by", "level", "region"}]``
  (``overdue_by`` is negative for a clock still ahead of its deadline, with ``--within``)
- ``sweep``      → ``{"fired", "escalations", "notices"}``
- ``notices list`` → ``[{"id", "case", "template", "channel", "recipient", "status", "attempts"}]``

``remaining`` and ``overdue_by`` are whole seconds (``remaining`` is negative once the deadline has
passed); times are ISO 8601 with the pack's UTC offset; amounts are decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zhiqian import (
        CaseEvent,
        CaseSummary,
        CaseView,
        ClockView,
        DeadlineMove,
        DueItem,
        Explanation,
    )

__all__ = [
    "case_detail",
    "case_summary",
    "clock_shape",
    "deadline_move_shape",
    "escalation_shape",
    "event_shape",
    "explanation_shape",
    "notice_detail",
    "notice_shape",
    "overdue_shape",
    "sweep_shape",
]


def _local(value: datetime | None, tz: tzinfo) -> datetime | None:
    return None if value is None else value.astimezone(tz)


def case_summary(case: CaseSummary, tz: tzinfo) -> dict[str, Any]:
    """One row of ``case list``: no personal data at all."""
    return {
        "id": case.id,
        "ref": case.ref,
        "state": case.state,
        "state_label": case.state_label,
        "level": case.level,
        "region": case.handling_region,
        "employer": case.employer_name,
        "category": case.employer_category,
        "workers": case.workers,
        "migrant_workers": case.migrant_workers,
        "amount": case.amount,
        "received_at": _local(case.received_at, tz),
        "leader": case.leader,
        "flags": list(case.flags),
    }


def clock_shape(clock: ClockView, *, now: datetime, tz: tzinfo) -> dict[str, Any]:
    remaining: int | None = None
    if clock.deadline is not None and clock.status in _COUNTING:
        remaining = int((clock.deadline - now).total_seconds())
    return {
        "id": clock.id,
        "label": clock.label,
        "status": clock.status,
        "deadline": _local(clock.deadline, tz),
        "remaining": remaining,
        "basis": clock.basis,
        "started_at": _local(clock.started_at, tz),
        "assumed": clock.assumed,
        "trace": list(clock.trace),
        "light": clock.light,
    }


# Clock statuses whose deadline still lies ahead of the case (the others have ended, or have no
# deadline while paused); "warned" and "breached" are derived statuses of a running clock.
_COUNTING = frozenset({"running", "warned", "breached"})


def escalation_shape(item: Any, tz: tzinfo) -> dict[str, Any]:
    """An escalation the case went through (rule id, what it did, when)."""
    if isinstance(item, Mapping):
        rule, actions, at = item.get("rule"), item.get("actions", ()), item.get("at")
    else:
        rule = getattr(item, "rule", None) or getattr(item, "rule_id", None)
        actions, at = getattr(item, "actions", ()), getattr(item, "at", None)
    return {
        "rule": rule,
        "actions": [a if isinstance(a, str | Mapping) else str(a) for a in actions],
        "at": _local(at, tz) if isinstance(at, datetime) else at,
    }


def _escalations(case: CaseView, tz: tzinfo) -> list[dict[str, Any]]:
    """What escalated: the view's own list when it has one, else read from the event log,
    where each action an escalation rule took is an event carrying the rule's id."""
    own = getattr(case, "escalations", None)
    if own is not None:
        return [escalation_shape(e, tz) for e in own]
    grouped: list[dict[str, Any]] = []
    for event in case.events:
        if event.rule_id is None:
            continue
        last = grouped[-1] if grouped else None
        if last is not None and last["rule"] == event.rule_id and last["_at"] == event.at:
            last["actions"].append(event.event)
            continue
        grouped.append(
            {
                "rule": event.rule_id,
                "actions": [event.event],
                "at": _local(event.at, tz),
                "_at": event.at,
            }
        )
    return [{k: v for k, v in g.items() if k != "_at"} for g in grouped]


def event_shape(event: CaseEvent, tz: tzinfo) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "seq": event.seq,
        "event": event.event,
        "label": event.label,
        "from": event.from_state,
        "to": event.to_state,
        "at": _local(event.at, tz),
        "actor": event.actor,
        "reason": event.reason,
        "rule": event.rule_id,
    }
    warnings = event.payload.get("warnings")
    if warnings:  # only where the engine warned (立案 after the day of 受理)
        shape["warnings"] = list(warnings)
    return shape


def case_detail(
    case: CaseView, *, now: datetime, tz: tzinfo, show_pii: bool = False
) -> dict[str, Any]:
    """``case show``: the record, its clocks, escalations and timeline; personal data masked."""
    from zhiqian.masking import mask_id_number, mask_name, mask_phone

    complainant: dict[str, Any] = {
        "name": case.complainant_name,
        "phone": case.complainant_phone,
        "id_number": case.complainant_id_number,
    }
    if not show_pii:
        complainant = {
            "name": mask_name(case.complainant_name),
            "phone": mask_phone(case.complainant_phone),
            "id_number": (
                None
                if case.complainant_id_number is None
                else mask_id_number(case.complainant_id_number)
            ),
        }
    project = None
    if case.project_name is not None or case.project_kind is not None:
        project = {"name": case.project_name, "kind": case.project_kind}
    return {
        "id": case.id,
        "ref": case.ref,
        "state": case.state,
        "state_label": case.state_label,
        "version": case.version,
        "level": case.level,
        "region": case.handling_region,
        "origin_region": case.region,
        "leader": case.leader,
        "supervised_by": case.supervised_by,
        "police_referred_at": _local(case.police_referred_at, tz),
        "flags": list(case.flags),
        "channel": case.channel,
        "received_at": _local(case.received_at, tz),
        "closed_at": _local(case.closed_at, tz),
        "pack": {"name": case.pack_name, "version": case.pack_version},
        "employer": {
            "name": case.employer_name,
            "uscc": case.employer_uscc,
            "category": case.employer_category,
        },
        "project": project,
        "workers": case.workers,
        "migrant_workers": case.migrant_workers,
        "amount": case.amount,
        "migrant_amount": case.migrant_amount,
        "complainant": complainant,
        "pii_shown": show_pii,
        "summary": case.summary,
        "clocks": [clock_shape(c, now=now, tz=tz) for c in case.clocks],
        "light": case.light,
        "escalations": _escalations(case, tz),
        "events": [event_shape(e, tz) for e in case.events],
    }


def overdue_shape(item: DueItem, tz: tzinfo) -> dict[str, Any]:
    """One row of ``overdue``: a running clock past (or near) its deadline."""
    return {
        "case": item.case_id,
        "ref": item.ref,
        "clock": item.clock,
        "clock_label": item.label,
        "deadline": _local(item.deadline, tz),
        "overdue_by": int(item.overdue_by.total_seconds()),
        "workdays_left": item.workdays_left,
        "assumed": item.assumed,
        "level": item.level,
        "region": item.region,
        "state": item.state,
    }


def deadline_move_shape(move: DeadlineMove, tz: tzinfo) -> dict[str, Any]:
    """One row of ``rules recompute``: a stored deadline and what it becomes."""
    delta = move.delta
    return {
        "case": move.case_id,
        "ref": move.ref,
        "clock": move.clock,
        "old": _local(move.old, tz),
        "new": _local(move.new, tz),
        "delta": None if delta is None else int(delta.total_seconds()),
        "assumed_before": move.assumed_before,
        "assumed_after": move.assumed_after,
    }


def explanation_shape(explanation: Explanation, tz: tzinfo) -> dict[str, Any]:
    """``rules explain``: which clocks and escalations apply to the case, and why."""
    return {
        "case": explanation.case_id,
        "ref": explanation.ref,
        "pack": explanation.pack,
        "at": _local(explanation.at, tz),
        "calendar_coverage": explanation.calendar_coverage,
        "clocks": [
            {
                "id": c.id,
                "label": c.label,
                "applies": c.applies,
                "status": c.status,
                "deadline": _local(c.deadline, tz),
                "workdays_left": c.workdays_left,
                "assumed": c.assumed,
                "limit": c.limit,
                "basis": c.basis,
                "source": c.source,
                "starts_on": c.starts_on,
                "trace": list(c.trace),
                "extensions": [dict(e) for e in c.extensions],
            }
            for c in explanation.clocks
        ],
        "escalations": [
            {
                "id": e.id,
                "label": e.label,
                "when": e.when,
                "holds_now": e.holds_now,
                "fired": e.fired,
                "actions": list(e.actions),
                "basis": e.basis,
                "source": e.source,
                "in_force": e.in_force,
                "out_of_force": e.out_of_force,
            }
            for e in explanation.escalations
        ],
    }


def sweep_shape(result: Any) -> dict[str, Any]:
    return {
        "fired": int(result.fired),
        "escalations": int(result.escalations),
        "notices": int(result.notices),
    }


def notice_detail(notice: Any, tz: tzinfo) -> dict[str, Any]:
    """``notices show``: the list row plus where it stands and the rendered document."""
    return {
        **notice_shape(notice),
        "ref": notice.case_ref,
        "rule": notice.rule_id,
        "recipient_name": notice.recipient_name,
        "address": notice.address,
        "subject": notice.subject,
        "next_attempt_at": _local(notice.next_attempt_at, tz),
        "last_error": notice.last_error,
        "created_at": _local(notice.created_at, tz),
        "sent_at": _local(notice.sent_at, tz),
        "text": notice.text,
    }


def notice_shape(notice: Any) -> dict[str, Any]:
    return {
        "id": notice.id,
        "case": notice.case_id,
        "template": notice.template,
        "channel": notice.channel,
        "recipient": notice.recipient,
        "status": notice.status,
        "attempts": int(notice.attempts),
        # a document not issued yet: the fact it lacks and the command that supplies it
        "waiting_for": notice.last_error if notice.status == "waiting" else None,
    }
