"""The lifecycle machine alone (no database): decisions, refusals, $previous, guards."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiqian.engine.domain.lifecycle import Lifecycle
from zhiqian.errors import TransitionRefused
from zhiqian.rules.schema import LifecycleSpec

STATES = [
    ("accepted", "受理", False),
    ("verifying", "核实", False),
    ("handling", "处理", False),
    ("advancing", "垫付", False),
    ("reviewing", "回头看", False),
    ("closed", "结案", True),
    ("dismissed", "不予受理", True),
    ("suspended", "中止", False),
]
EVENTS: list[dict[str, Any]] = [
    {"id": "verify", "label": "核实", "from": "accepted", "to": "verifying"},
    {"id": "dismiss", "label": "不予受理", "from": ["accepted", "verifying"], "to": "dismissed"},
    {"id": "handle", "label": "处理", "from": "verifying", "to": "handling"},
    {"id": "advance", "label": "垫付", "from": ["verifying", "handling"], "to": "advancing"},
    {"id": "paid", "label": "已支付", "from": ["handling", "advancing"], "to": "reviewing"},
    {"id": "reopen", "label": "重新处理", "from": "reviewing", "to": "handling"},
    {"id": "close", "label": "结案", "from": "reviewing", "to": "closed"},
    {
        "id": "suspend",
        "label": "中止",
        "from": ["accepted", "verifying", "handling", "advancing", "reviewing"],
        "to": "suspended",
    },
    {"id": "resume", "label": "恢复", "from": "suspended", "to": "$previous"},
]
SPEC = LifecycleSpec.model_validate(
    {
        "initial": "accepted",
        "states": [{"id": s, "label": lab, "final": fin} for s, lab, fin in STATES],
        "events": EVENTS,
    }
)
# The transitions the definition allows, written out by hand (not derived from the code).
ALLOWED = {
    ("accepted", "verify"): "verifying",
    ("accepted", "dismiss"): "dismissed",
    ("verifying", "dismiss"): "dismissed",
    ("verifying", "handle"): "handling",
    ("verifying", "advance"): "advancing",
    ("handling", "advance"): "advancing",
    ("handling", "paid"): "reviewing",
    ("advancing", "paid"): "reviewing",
    ("reviewing", "reopen"): "handling",
    ("reviewing", "close"): "closed",
}
SUSPENDABLE = {"accepted", "verifying", "handling", "advancing", "reviewing"}


@pytest.fixture(scope="module")
def lifecycle() -> Lifecycle:
    return Lifecycle(SPEC)


def test_the_happy_path_walks_to_closed(lifecycle: Lifecycle) -> None:
    state = lifecycle.initial
    for event in ["verify", "handle", "paid", "close"]:
        state = lifecycle.decide(state, event).dest
    assert state == "closed"
    assert lifecycle.is_final(state)
    assert lifecycle.label(state) == "结案"


def test_a_refused_event_names_event_and_state(lifecycle: Lifecycle) -> None:
    with pytest.raises(TransitionRefused) as info:
        lifecycle.decide("accepted", "close", case=42)
    err = info.value
    assert (err.case, err.event, err.state) == (42, "close", "accepted")
    assert "'close'" in str(err)
    assert "'accepted'" in str(err)
    assert "结案" in str(err)


def test_unknown_event_and_unknown_state_are_refused_not_crashes(lifecycle: Lifecycle) -> None:
    with pytest.raises(TransitionRefused, match="unknown event"):
        lifecycle.decide("accepted", "to_closed")  # no auto transitions back door
    with pytest.raises(TransitionRefused, match="not in the lifecycle"):
        lifecycle.decide("archived", "verify")


def test_suspend_remembers_and_resume_returns(lifecycle: Lifecycle) -> None:
    for state in sorted(SUSPENDABLE):
        down = lifecycle.decide(state, "suspend")
        assert down.dest == "suspended"
        assert down.previous_state == state
        back = lifecycle.decide("suspended", "resume", previous_state=down.previous_state)
        assert back.dest == state
        assert back.previous_state is None


def test_resume_without_a_recorded_state_is_refused(lifecycle: Lifecycle) -> None:
    with pytest.raises(TransitionRefused, match="no state to return to"):
        lifecycle.decide("suspended", "resume", previous_state=None)
    with pytest.raises(TransitionRefused):
        lifecycle.decide("suspended", "resume", previous_state="closed")


def test_guards_are_evaluated_and_a_false_guard_refuses() -> None:
    events = [dict(e) for e in EVENTS]
    events[6] = {**events[6], "guard": "recovered"}
    spec = SPEC.model_copy(
        update={
            "events": tuple(
                LifecycleSpec.model_validate(
                    {"initial": "accepted", "states": SPEC.states, "events": events}
                ).events
            )
        }
    )
    seen: list[tuple[str, Any]] = []

    def check(event_id: str, context: Any) -> bool:
        seen.append((event_id, dict(context)))
        return bool(context.get("ok"))

    lc = Lifecycle(spec, guard_check=check)
    assert lc.decide("reviewing", "close", context={"ok": True}).dest == "closed"
    with pytest.raises(TransitionRefused, match="guard is false: recovered"):
        lc.decide("reviewing", "close", context={"ok": False})
    assert seen == [("close", {"ok": True}), ("close", {"ok": False})]


def test_guards_without_a_checker_are_rejected_at_build() -> None:
    events = [dict(e) for e in EVENTS]
    events[0] = {**events[0], "guard": "workers > 0"}
    spec = LifecycleSpec.model_validate(
        {"initial": "accepted", "states": SPEC.states, "events": events}
    )
    with pytest.raises(ValueError, match="guard_check"):
        Lifecycle(spec)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([e["id"] for e in EVENTS]), max_size=40))
def test_random_event_sequences_only_take_allowed_transitions(events: list[str]) -> None:
    lc = Lifecycle(SPEC)
    state, previous = lc.initial, None
    for event in events:
        try:
            decision = lc.decide(state, event, previous_state=previous)
        except TransitionRefused:
            allowed = (
                (state, event) in ALLOWED
                or (event == "suspend" and state in SUSPENDABLE)
                or (event == "resume" and state == "suspended" and previous is not None)
            )
            assert not allowed, f"{event} from {state} was refused but the definition allows it"
            continue
        if event == "suspend":
            assert state in SUSPENDABLE
            assert decision.dest == "suspended"
        elif event == "resume":
            assert state == "suspended"
            assert decision.dest == previous
        else:
            assert ALLOWED[(state, event)] == decision.dest
        state, previous = decision.dest, decision.previous_state
        assert state in SPEC.state_ids
