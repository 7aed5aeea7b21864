"""What a candidate pack would change on an open case, pure: the dry run's judgement and its
result types (``zhiqian rules dry-run PACK``, ``Engine.dry_run``).

For one case the dry run compares the clocks as stored with the clocks replayed from the case's
history under the candidate (``engine.domain.replay``):

* a clock running (or paused) in both **moves** when its deadline, status or assumption differs;
* a clock the candidate would have running that is not running now **starts**;
* a clock running now that the candidate would have ended (stopped, cancelled, never started,
  or not in the pack at all) **stops**;

and it lists the escalation rules of the candidate that would fire now — each action with
whether it *acts* or *recommends* (a pending decision), as the candidate declares it: each rule
whose condition holds on the case as it stands, with the replayed clocks, and that has not fired
for the same cycle key (``engine.domain.escalation.cycle_key`` over the replayed cycles; the keys
already fired come from ``zq_escalations``). One round, no cascade: since the reserved acts
(移送公安, 挂牌督办, 提级办理, 失信名单, 领导包案) are decided by a person, no rule's action
changes what another rule's condition reads. A closed case, and a case whose state is final in
the candidate, fires nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from zhiqian.engine.domain.clocks import ClockState, days_left, derived_status
from zhiqian.engine.domain.escalation import cycle_key
from zhiqian.engine.domain.replay import Candidate, replay_clocks
from zhiqian.store.records import CaseRecord, EventRecord

__all__ = [
    "CaseDryRun",
    "ClockChange",
    "DryRun",
    "DryRunTally",
    "DryRunTotals",
    "RuleFiring",
    "judge_case",
]

ChangeKind = Literal["moves", "starts", "stops"]
NOT_STARTED = "not started"
NOT_IN_PACK = "not in pack"


@dataclass(frozen=True, kw_only=True, slots=True)
class ClockChange:
    """One clock of a case that the candidate pack would set differently from how it stands.

    ``old_status`` / ``new_status``: running | warned | breached | paused | stopped | cancelled,
    or ``not started`` (the pack has the clock, the case never started it) and ``not in pack``.
    ``workdays``: how many working days the deadline moves on the candidate's calendar (later
    positive, earlier negative; 0 when it moves within the day), when both deadlines are known.
    """

    clock: str
    label: str
    change: ChangeKind
    old_status: str
    new_status: str
    old_deadline: datetime | None
    new_deadline: datetime | None
    workdays: int | None
    assumed: bool  # the new deadline lies past the calendar's published data (推定)
    basis: str  # the candidate's legal basis of the clock ("" when the pack has none)


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleFiring:
    """An escalation rule of the candidate that would fire on the case now."""

    rule: str
    label: str
    cycle_key: str
    actions: tuple[str, ...]  # the kinds of its actions, in order (notify, refer_police, …)
    # per action: ``acts`` (the system does it: a warning, a reminder, a recommendation) or
    # ``recommends`` (an act the law reserves to a person: it becomes a pending decision)
    modes: tuple[str, ...]
    basis: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseDryRun:
    """What the candidate would change on one open case (only cases with something to show)."""

    case_id: int
    ref: str
    state: str
    pack: str  # the pack version that governs the case now ("national 2026.1")
    clocks: tuple[ClockChange, ...] = ()
    rules: tuple[RuleFiring, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be judged as recorded (an unknown state, …)


@dataclass(frozen=True, kw_only=True, slots=True)
class DryRunTotals:
    """The dry run's counts over every open case it looked at."""

    cases: int  # open cases looked at
    changed: int  # of them, cases with a clock change, a rule firing or a note
    moved: int  # clocks active in both whose deadline or status differs
    earlier: int  # of them, deadlines that come sooner
    later: int  # … and later
    started: int
    stopped: int
    firings: int  # rules that would fire, over all cases
    by_rule: Mapping[str, int] = field(default_factory=dict)  # rule id → cases it would fire on
    notes: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class DryRun:
    """``Engine.dry_run``: a candidate pack judged over the open cases; nothing was written."""

    pack: str
    version: str
    fingerprint: str
    timezone: str
    at: datetime
    scope: tuple[str, ...] | None  # the pack names whose cases were looked at; None: all
    region: str | None
    cases: tuple[CaseDryRun, ...]
    totals: DryRunTotals


def judge_case(
    candidate: Candidate,
    case: CaseRecord,
    stored: Mapping[str, ClockState],
    events: Sequence[EventRecord],
    fired: set[tuple[str, str]],
    *,
    now: datetime,
) -> CaseDryRun | None:
    """The candidate's changes on ``case`` at ``now`` (``stored``: its clocks as they are;
    ``events``: its log in order; ``fired``: its (rule, cycle key) already fired); None when
    the candidate changes nothing on it."""
    replayed = replay_clocks(candidate, case, events)
    notes = list(replayed.notes)
    clocks = candidate.seen_at(replayed.clocks, now, every=True)
    changes = _clock_changes(candidate, stored, clocks, now)
    lifecycle = candidate.governing.lifecycle
    rules: list[RuleFiring] = []
    if candidate.governing.pack.lifecycle.state(case.state) is None:
        notes.append(f"state {case.state!r} is not in the candidate's lifecycle")
    elif not lifecycle.is_final(case.state):
        rules = _firings(candidate, case, clocks, fired, now)
    if not (changes or rules or notes):
        return None
    return CaseDryRun(
        case_id=case.id,
        ref=case.ref,
        state=case.state,
        pack=f"{case.pack_name} {case.pack_version}",
        clocks=tuple(changes),
        rules=tuple(rules),
        notes=tuple(notes),
    )


def _status(state: ClockState | None, now: datetime, *, in_pack: bool) -> str:
    if state is None:
        return NOT_STARTED if in_pack else NOT_IN_PACK
    return derived_status(state, now)


def _standing(state: ClockState) -> tuple[str, datetime | None, bool]:
    """What a clerk sees of an active clock: its status, its deadline, whether it is assumed."""
    return state.status, state.deadline_at, state.assumed


def _clock_changes(
    candidate: Candidate,
    stored: Mapping[str, ClockState],
    replayed: Mapping[str, ClockState],
    now: datetime,
) -> list[ClockChange]:
    gov = candidate.governing
    tz = gov.pack.timezone
    ids = [*candidate.specs, *sorted(set(stored) - set(candidate.specs))]
    out: list[ClockChange] = []
    for clock_id in ids:
        old, new = stored.get(clock_id), replayed.get(clock_id)
        running_old = old if old is not None and old.active else None
        running_new = new if new is not None and new.active else None
        change: ChangeKind
        if running_old is not None and running_new is not None:
            if _standing(running_old) == _standing(running_new):
                continue
            change = "moves"
        elif running_new is not None:
            change = "starts"
        elif running_old is not None:
            change = "stops"
        else:
            continue
        spec = candidate.specs.get(clock_id)
        old_deadline = running_old.deadline_at if running_old is not None else None
        new_deadline = running_new.deadline_at if running_new is not None else None
        workdays = None
        if old_deadline is not None and new_deadline is not None:
            workdays = days_left(new_deadline, old_deadline, tz=tz, calendar=gov.calendar)
        out.append(
            ClockChange(
                clock=clock_id,
                label=spec.label if spec is not None else clock_id,
                change=change,
                old_status=_status(old, now, in_pack=True),
                new_status=_status(new, now, in_pack=spec is not None),
                old_deadline=old_deadline,
                new_deadline=new_deadline,
                workdays=workdays,
                assumed=running_new is not None and running_new.assumed,
                basis=spec.basis if spec is not None else "",
            )
        )
    return out


def _firings(
    candidate: Candidate,
    case: CaseRecord,
    clocks: Mapping[str, ClockState],
    fired: set[tuple[str, str]],
    now: datetime,
) -> list[RuleFiring]:
    pack = candidate.governing.pack
    if not pack.escalations:
        return []
    ctx = candidate.governing.context(case, now=now, clocks=clocks.values())
    out: list[RuleFiring] = []
    for spec, condition in candidate.rules:
        key = cycle_key(spec, clocks, now=now, tz=pack.timezone)
        if (spec.id, key) in fired or not condition.evaluate(ctx):
            continue
        out.append(
            RuleFiring(
                rule=spec.id,
                label=spec.label,
                cycle_key=key,
                actions=tuple(a.kind for a in spec.do),
                modes=tuple(pack.action_mode(a, spec).mode for a in spec.do),
                basis=spec.basis,
            )
        )
    return out


class DryRunTally:
    """The totals, counted case by case as the batches stream past (pure; one per run)."""

    def __init__(self) -> None:
        self.cases = 0
        self.kinds: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.changed = 0
        self.notes = 0

    def count(self, judged: CaseDryRun | None) -> None:
        self.cases += 1
        if judged is None:
            return
        self.changed += 1
        self.notes += len(judged.notes)
        for c in judged.clocks:
            self.kinds[c.change] += 1
            if c.change == "moves" and c.old_deadline and c.new_deadline:
                if c.new_deadline < c.old_deadline:
                    self.kinds["earlier"] += 1
                elif c.new_deadline > c.old_deadline:
                    self.kinds["later"] += 1
        self.by_rule.update(r.rule for r in judged.rules)

    def totals(self) -> DryRunTotals:
        return DryRunTotals(
            cases=self.cases,
            changed=self.changed,
            moved=self.kinds["moves"],
            earlier=self.kinds["earlier"],
            later=self.kinds["later"],
            started=self.kinds["starts"],
            stopped=self.kinds["stops"],
            firings=sum(self.by_rule.values()),
            by_rule=dict(sorted(self.by_rule.items())),
            notes=self.notes,
        )
