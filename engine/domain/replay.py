"""A case's clocks replayed from its history under another pack: pure.

What ``zhiqian rules dry-run`` asks of a candidate pack is "where would this case's clocks stand
had the candidate governed it from its receipt?". The stored event log answers it: every change
that moved clocks is an event, so the clocks are rebuilt by feeding the recorded events, in
order, through the candidate's clock rules (``engine.domain.clocks.evaluate_clocks``), exactly
as ``commands.change`` fed them to the governing pack when they happened:

* the change is the event's (event, from, to); its time is the event's, except ``received``,
  which counts from when the complaint was received (its payload), as intake does; the case's
  receipt goes with every change (a clock's start may admit only cases received in a window);
* the conditions see the case as it was after the event: its state then, its handling office
  then (``raise_level`` payloads name both offices), its flags then (``flag`` payloads), the
  clocks as they stood before the event — breached when past their deadline, warned when a
  warning was due (the sweep fires those on time) — and ``now`` the event's time. Facts the
  complaint states (workers, amounts, channel, employer, project) are read as they stand;
* the per-case inputs recorded on events are applied again: the period of a 责令支付 order
  (``order_payment``), an approved 延期 (``extend``: refused under the candidate's bound, the
  case says so), and an approved 提级 with ``clocks: restart`` (a new cycle of every clock whose
  limit is the pack's, as ``commands.decide`` starts them);
* ``pii_shown`` is not a change of the case (``commands.change.record_access`` moves no clock).

Replaying with the pack that governs the case gives back its stored clocks (a test holds the
demo campaign to it), so every difference the dry run shows comes from the candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from zhiqian.engine.domain.actions import ACCESS, RECEIVED, apply_action
from zhiqian.engine.domain.clocks import (
    CaseChange,
    ClockState,
    Extension,
    evaluate_clocks,
    extend_clock,
    restarted,
    warning_moments,
)
from zhiqian.engine.domain.governing import Governing
from zhiqian.errors import ZhiqianError
from zhiqian.rules.conditions import Condition
from zhiqian.rules.divisions import level_of
from zhiqian.rules.schema import ClockSpec, EscalationSpec
from zhiqian.store.records import CaseRecord, EventRecord

__all__ = ["Candidate", "Replayed", "replay_clocks", "restart_clocks"]

RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pack version as the dry run judges with it: its ``Governing``, its clocks by id, the
    clocks some condition of it reads (only those need their warnings counted), its rules."""

    governing: Governing
    specs: Mapping[str, ClockSpec]
    read: frozenset[str]
    # the escalation rules with their compiled conditions, read once (a pydantic private
    # attribute costs a lookup through __getattr__ on every access)
    rules: tuple[tuple[EscalationSpec, Condition], ...]

    @classmethod
    def of(cls, governing: Governing) -> Candidate:
        pack = governing.pack
        rules = tuple((e, e.condition) for e in pack.escalations)
        conditions: list[Condition] = [condition for _rule, condition in rules]
        for spec in pack.clocks:
            triggers = (spec.start, spec.stop, spec.pause, spec.resume, spec.cancel, spec.reset)
            conditions += [t.condition for t in triggers if t is not None and t.condition]
        read = frozenset(c for condition in conditions for c in condition.clocks)
        return cls(governing, {spec.id: spec for spec in pack.clocks}, read, rules)

    def seen_at(
        self, clocks: Mapping[str, ClockState], at: datetime, *, every: bool = False
    ) -> dict[str, ClockState]:
        """The clocks as conditions saw them at ``at``: a running clock counts the warnings due
        by then as fired (the sweep fires them on time). ``every``: all clocks, not only the
        ones a condition reads (for display)."""
        gov = self.governing
        out: dict[str, ClockState] = {}
        for clock_id, state in clocks.items():
            spec = self.specs.get(clock_id)
            if (
                spec is not None
                and spec.warn
                and (every or clock_id in self.read)
                and state.status == RUNNING
                and state.deadline_at is not None
            ):
                due = warning_moments(spec, state, pack=gov.pack, calendar=gov.calendar)
                warned = sum(1 for _index, moment in due if moment <= at)
                if warned > state.warned:
                    state = replace(state, warned=warned)
            out[clock_id] = state
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Replayed:
    """The clocks as the candidate would have them, and what could not be replayed as recorded."""

    clocks: dict[str, ClockState]
    notes: tuple[str, ...] = ()


def replay_clocks(
    candidate: Candidate, case: CaseRecord, events: Sequence[EventRecord]
) -> Replayed:
    """The case's clocks rebuilt from ``events`` (its log, in ``seq`` order) under ``candidate``."""
    gov = candidate.governing
    pack = gov.pack
    notes: list[str] = []
    # The case as conditions saw it; rebuilt only when an office or a flag changes (a record
    # has fifty fields: copying it on every event was a fifth of the replay's time).
    after = _as_received(case, events)
    clocks: dict[str, ClockState] = {}
    for ev in events:
        if ev.event == ACCESS:
            continue
        payload = ev.payload or {}
        if ev.event == "raise_level" and payload.get("to_region"):
            region = str(payload["to_region"])
            after = replace(after, handling_region=region, level=level_of(region))
        elif ev.event == "flag" and payload.get("flag"):
            name, flags = str(payload["flag"]), set(after.flags)
            flags = flags - {name} if _truthy(payload.get("remove")) else flags | {name}
            after = replace(after, flags=sorted(flags))
        change = CaseChange(
            ev.event, ev.from_state, ev.to_state, _change_time(ev), received_at=case.received_at
        )
        seen = candidate.seen_at(clocks, ev.at).values()
        ctx = gov.context(after, now=ev.at, clocks=seen, state=ev.to_state)
        overrides: Mapping[str, str] = {}
        if ev.event == "order_payment":
            overrides = _order_limits(
                candidate, replace(after, state=ev.to_state), ev, clocks, notes
            )
        changed = evaluate_clocks(
            pack, clocks, change, ctx, calendar=gov.calendar, limit_overrides=overrides
        )
        clocks.update(changed)
        if ev.event == "extend":
            _extend(candidate, case, ev, clocks, notes)
        if _restarts(ev):
            clocks.update(restart_clocks(candidate, clocks, ev.at))
    return Replayed(clocks=clocks, notes=tuple(notes))


def restart_clocks(
    candidate: Candidate, clocks: Mapping[str, ClockState], at: datetime
) -> dict[str, ClockState]:
    """提级 with ``clocks: restart`` replayed under the candidate (``clocks.restarted``)."""
    gov = candidate.governing
    return restarted(clocks, candidate.specs.get, at, pack=gov.pack, calendar=gov.calendar)


def _restarts(ev: EventRecord) -> bool:
    """A 提级 with ``clocks: restart`` that restarted the clocks after its event: one a named
    person approved (``commands.decide``; the payload names the decision), or — in logs written
    before 提级 became a decision — one a rule performed (``rule_id`` set). A ``raise_level``
    that is neither restarted nothing, whatever its params say."""
    payload = ev.payload or {}
    return (
        ev.event == "raise_level"
        and payload.get("clocks") == "restart"
        and (payload.get("decision") is not None or ev.rule_id is not None)
    )


def _change_time(ev: EventRecord) -> datetime:
    """Clocks count from when the complaint was received, not from when it was keyed in."""
    if ev.event == RECEIVED:
        received = (ev.payload or {}).get("received_at")
        if isinstance(received, str):
            try:
                return datetime.fromisoformat(received)
            except ValueError:
                pass
    return ev.at


def _as_received(case: CaseRecord, events: Sequence[EventRecord]) -> CaseRecord:
    """The case's office and flags as they were at receipt (the rest is read as it stands)."""
    region = _first_region(case, events)
    flags = sorted(_first_flags(case, events))
    if region == case.handling_region and flags == sorted(case.flags or ()):
        return case
    return replace(case, handling_region=region, level=level_of(region), flags=flags)


def _first_region(case: CaseRecord, events: Iterable[EventRecord]) -> str:
    """The handling office before the first 提级 (its payload names the office it left)."""
    for ev in events:
        if ev.event == "raise_level" and (ev.payload or {}).get("from_region"):
            return str(ev.payload["from_region"])
    return case.handling_region


def _first_flags(case: CaseRecord, events: Iterable[EventRecord]) -> frozenset[str]:
    """The flags at receipt: today's, with each flag a later ``flag`` event set or cleared
    taken back to what that first event found (set: it was not there; cleared: it was)."""
    flags = set(case.flags or ())
    seen: set[str] = set()
    for ev in events:
        name = (ev.payload or {}).get("flag") if ev.event == "flag" else None
        if not name or name in seen:
            continue
        seen.add(str(name))
        if _truthy(ev.payload.get("remove")):
            flags.add(str(name))
        else:
            flags.discard(str(name))
    return frozenset(flags)


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in {"1", "true", "yes"}


def _order_limits(
    candidate: Candidate,
    after: CaseRecord,
    ev: EventRecord,
    clocks: Mapping[str, ClockState],
    notes: list[str],
) -> Mapping[str, str]:
    """The period the 责令支付 order set (the action's own rule, on its recorded period: only
    ``due``/``within`` — its document facts would be checked against the case as it stands
    now, which holds this very order already)."""
    period = {k: v for k, v in (ev.payload or {}).items() if k in ("due", "within")}
    try:
        effect = apply_action(
            "order_payment",
            after,
            period,
            at=ev.at,
            actor=ev.actor,
            pack=candidate.governing.pack,
            clocks=clocks,
        )
    except ZhiqianError as exc:
        notes.append(f"event {ev.seq} order_payment: {exc}")
        return {}
    return effect.limit_overrides


def _extend(
    candidate: Candidate,
    case: CaseRecord,
    ev: EventRecord,
    clocks: dict[str, ClockState],
    notes: list[str],
) -> None:
    """An approved 延期 as recorded, judged by the candidate's bound for that clock."""
    payload = ev.payload or {}
    clock_id = str(payload.get("clock", ""))
    spec = candidate.specs.get(clock_id)
    if spec is None:
        notes.append(f"event {ev.seq} extend: the candidate pack has no clock {clock_id!r}")
        return
    try:
        extension = Extension.from_json(
            {k: str(payload[k]) for k in ("by", "approver", "reason", "at")}
        )
        gov = candidate.governing
        clocks[clock_id] = extend_clock(
            spec,
            clocks.get(clock_id),
            extension,
            case=case.id,
            pack=gov.pack,
            calendar=gov.calendar,
        )
    except (ZhiqianError, KeyError, ValueError) as exc:  # refused, or a malformed record
        notes.append(f"event {ev.seq} extend {clock_id}: {exc}")
