"""The escalation hook API as it was before the move, for the daemon and tests still using it.

New code opens the engine with ``Engine.open(..., router=...)`` (the escalator is built in) and
reads a case's escalations from ``Engine.get(case_id).escalations``. The rules themselves live in
``zhiqian.engine.domain.escalation`` (pure) and ``zhiqian.engine.commands.escalate`` (writes).
Nothing here imports the facade: the engine is reached through the small protocol below.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from zhiqian.engine.domain.clocks import ClockState
from zhiqian.engine.domain.escalation import MAX_ROUNDS, WARNING, EvalResult, cycle_key
from zhiqian.engine.routing import Router
from zhiqian.errors import CaseNotFound
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store import escalations as escalation_store
from zhiqian.store.records import CaseRecord

__all__ = [
    "MAX_ROUNDS",
    "WARNING",
    "EvalResult",
    "InstalledEscalator",
    "cycle_key",
    "escalator_of",
    "install",
    "list_escalations",
]


class _Evaluated(Protocol):
    @property
    def result(self) -> EvalResult: ...


class _Escalator(Protocol):
    router: Router

    def evaluate(
        self,
        conn: sa.Connection,
        case: CaseRecord,
        clocks: Mapping[str, ClockState],
        now: datetime,
        *,
        trigger: str = "change",
    ) -> _Evaluated: ...


class _Tx(Protocol):
    def read(self) -> AbstractContextManager[sa.Connection]: ...


class _Engine(Protocol):
    @property
    def escalator(self) -> _Escalator | None: ...

    def _install_escalator(self, router: Router | None = None) -> _Escalator: ...

    @property
    def tx(self) -> _Tx: ...


class InstalledEscalator:
    """The engine's escalator seen through the old calls (``evaluate(engine, conn, id, now)``)."""

    def __init__(self, escalator: _Escalator) -> None:
        self._escalator = escalator

    @property
    def router(self) -> Router:
        return self._escalator.router

    @router.setter
    def router(self, router: Router) -> None:
        self._escalator.router = router

    def evaluate(
        self,
        engine: object,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        trigger: str = "change",
    ) -> EvalResult:
        """Evaluate the case's rules in ``conn``'s transaction, reading the case first."""
        case = case_store.get_case(conn, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        clocks = clock_store.load_clocks(conn, case_id)
        return self._escalator.evaluate(conn, case, clocks, now, trigger=trigger).result


def install(engine: _Engine, *, router: Router | None = None) -> InstalledEscalator:
    """Evaluate escalation rules inside every change of ``engine`` (once; a second call returns
    the first, with ``router`` if given). Same as ``Engine.open(..., router=router)``."""
    return InstalledEscalator(engine._install_escalator(router))


def escalator_of(engine: _Engine) -> InstalledEscalator | None:
    found = engine.escalator
    return None if found is None else InstalledEscalator(found)


def list_escalations(engine: _Engine, case_id: int) -> list[dict[str, Any]]:
    """The escalations a case went through (rule, cycle key, when, what each action did)."""
    with engine.tx.read() as conn:
        return [
            {
                "rule": r.rule_id,
                "cycle_key": r.cycle_key,
                "at": r.fired_at,
                "trigger": r.trigger,
                "actions": r.actions,
                "pack_version": r.pack_version,
            }
            for r in escalation_store.escalations_of(conn, case_id)
        ]
