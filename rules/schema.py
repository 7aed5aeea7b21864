"""The rule-pack schema (pydantic). Unknown keys are errors everywhere (``extra="forbid"``).

The lifecycle part is what the engine builds its state machine from; the rest (clocks,
escalations, routing) is evaluated by the engine and the daemon.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "PREVIOUS_STATE",
    "EventSpec",
    "LifecycleSpec",
    "StateSpec",
]

# ``to: $previous`` — the state the case was in before it entered the source state
# (resume after suspend). The engine keeps that state on the case row.
PREVIOUS_STATE = "$previous"

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_ident(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case ASCII letters, digits and '_' "
            "(ids appear in conditions, the CLI and the database)"
        )
    return value


class StateSpec(_Strict):
    id: str
    label: str
    final: bool = False

    _id = field_validator("id")(_check_ident)


class EventSpec(_Strict):
    id: str
    label: str
    source: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    guard: str | None = None  # a condition expression; the event is refused when it is false

    _id = field_validator("id")(_check_ident)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v


class LifecycleSpec(_Strict):
    initial: str
    states: tuple[StateSpec, ...]
    events: tuple[EventSpec, ...]

    def state(self, state_id: str) -> StateSpec | None:
        return next((s for s in self.states if s.id == state_id), None)

    def event(self, event_id: str) -> EventSpec | None:
        return next((e for e in self.events if e.id == event_id), None)

    @property
    def state_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.id for s in self.states if s.final)
