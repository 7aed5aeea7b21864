"""The case lifecycle: one ``transitions`` Machine per (lifecycle, pack version), never per case.

STYLE.md (measured on transitions 0.9.3): a Machine per case costs 29–82 KiB and up to 0.6 ms to
build, and ``add_model`` holds strong references forever. So the machine is built once with
``model=None`` and ``auto_transitions=False`` (no ``to_closed()`` back door), and each decision
fires the event on a throw-away token whose ``state`` is the case's stored state. Nothing is
bound to case objects and nothing accumulates.

Validate first, mutate last: ``decide`` only computes the next state; the caller writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from zhiqian.errors import InvalidArgument, TransitionRefused
from zhiqian.rules.schema import PREVIOUS_STATE, LifecycleSpec

__all__ = ["Decision", "Lifecycle"]

GuardCheck = Callable[[str, Any], bool]
"""``(event_id, context) -> allowed``: evaluates the guard of lifecycle event ``event_id``.

Guards are referenced by event id, never by their text: ``RulePack.guard_check`` is the one the
engine passes, and it evaluates only the guards the pack compiled when it loaded
(``RulePack.guards``, the allow-list); an id without a compiled guard is ``UnknownName``.
"""


@dataclass(frozen=True, slots=True)
class Decision:
    event: str
    source: str
    dest: str
    previous_state: str | None  # what the case row keeps for a later ``$previous``


class _Token:
    """The machine's model for one decision: identity equality, nothing bound to it."""

    __slots__ = ("context", "previous", "state")

    def __init__(self, state: str, previous: str | None, context: object) -> None:
        self.state = state
        self.previous = previous
        self.context = context


class Lifecycle:
    """A validated lifecycle and the one machine that decides its transitions."""

    def __init__(self, spec: LifecycleSpec, *, guard_check: GuardCheck | None = None) -> None:
        if guard_check is None and any(ev.guard for ev in spec.events):
            # A guard that nobody evaluates would silently allow everything.
            raise InvalidArgument(
                name="guard_check",
                value=None,
                why="this lifecycle has guards: pass guard_check to evaluate them",
            )
        self.spec = spec
        self._guard_check = guard_check
        self._labels = {s.id: s.label for s in spec.states} | {e.id: e.label for e in spec.events}
        # (state, event) -> possible destinations; "$previous" expands to one per source state.
        self._allowed: dict[str, dict[str, tuple[str, ...]]] = {s.id: {} for s in spec.states}
        machine = Machine(
            model=None,
            states=[s.id for s in spec.states],
            initial=spec.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        returns_to = self._states_entering_by(spec)
        for ev in spec.events:
            conditions: list[Any] = []
            if ev.guard is not None:
                conditions.append(self._guard(ev.id))
            for source in ev.source:
                if ev.to == PREVIOUS_STATE:
                    targets = returns_to.get(source, ())
                    for target in targets:
                        machine.add_transition(
                            ev.id, source, target, conditions=[*conditions, _came_from(target)]
                        )
                else:
                    targets = (ev.to,)
                    machine.add_transition(ev.id, source, ev.to, conditions=conditions)
                self._allowed[source][ev.id] = targets
        self._machine = machine
        self._returns = {ev.id: ev.to == PREVIOUS_STATE for ev in spec.events}
        self._remembering = frozenset(
            source for ev in spec.events if ev.to == PREVIOUS_STATE for source in ev.source
        )

    @staticmethod
    def _states_entering_by(spec: LifecycleSpec) -> dict[str, tuple[str, ...]]:
        """For each state, the states a ``$previous`` event out of it may return to."""
        into: dict[str, list[str]] = {}
        for ev in spec.events:
            if ev.to == PREVIOUS_STATE:
                continue
            for source in ev.source:
                into.setdefault(ev.to, [])
                if source not in into[ev.to]:
                    into[ev.to].append(source)
        return {state: tuple(sources) for state, sources in into.items()}

    def _guard(self, event_id: str) -> Callable[[EventData], bool]:
        check = self._guard_check

        def guard(event_data: EventData) -> bool:
            assert check is not None  # ensured in __init__
            token = cast(_Token, event_data.model)
            return check(event_id, token.context)

        return guard

    # -- queries ------------------------------------------------------------------------------

    @property
    def initial(self) -> str:
        return self.spec.initial

    def label(self, state_or_event: str) -> str:
        return self._labels.get(state_or_event, state_or_event)

    def is_final(self, state: str) -> bool:
        return state in self.spec.final_states

    def events_from(self, state: str) -> tuple[str, ...]:
        """Events allowed by the definition from ``state`` (guards not evaluated)."""
        return tuple(self._allowed.get(state, {}))

    def destinations(self, state: str, event: str) -> tuple[str, ...]:
        """Where ``event`` may take a case in ``state`` by the definition (guards not
        evaluated): one state, or for a ``$previous`` event each state that enters ``state``."""
        return self._allowed.get(state, {}).get(event, ())

    # -- the decision ---------------------------------------------------------------------------

    def decide(
        self,
        state: str,
        event: str,
        *,
        case: object = None,
        previous_state: str | None = None,
        context: object = None,
    ) -> Decision:
        """The transition ``event`` makes from ``state``; ``TransitionRefused`` if none. Pure."""
        if state not in self._allowed:
            raise TransitionRefused(
                case=case, event=event, state=state, why="the stored state is not in the lifecycle"
            )
        if self.spec.event(event) is None:
            known = ", ".join(e.id for e in self.spec.events)
            raise TransitionRefused(
                case=case, event=event, state=state, why=f"unknown event; known: {known}"
            )
        targets = self._allowed[state].get(event)
        if targets is None:
            allowed = ", ".join(self.events_from(state)) or "none"
            raise TransitionRefused(
                case=case,
                event=event,
                state=state,
                why=f"{self.label(event)} is not allowed from {self.label(state)}; allowed: {allowed}",
            )
        if self._returns[event] and previous_state not in targets:
            raise TransitionRefused(
                case=case,
                event=event,
                state=state,
                why=f"no state to return to (recorded: {previous_state!r})",
            )
        token = _Token(state, previous_state, context)
        try:
            fired = self._machine.events[event].trigger(token)
        except MachineError as exc:  # defensive: the pre-check above should make this unreachable
            raise TransitionRefused(case=case, event=event, state=state, why=str(exc)) from exc
        if not fired:
            spec = self.spec.event(event)
            why = f"guard is false: {spec.guard}" if spec and spec.guard else "refused"
            raise TransitionRefused(case=case, event=event, state=state, why=why)
        dest = token.state
        # Entering a state that is left by ``$previous`` (suspended): remember where we came from.
        keeps = state if dest in self._remembering else None
        return Decision(event=event, source=state, dest=dest, previous_state=keeps)


def _came_from(target: str) -> Callable[[EventData], bool]:
    def came_from(event_data: EventData) -> bool:
        token = cast(_Token, event_data.model)
        return token.previous == target

    return came_from
