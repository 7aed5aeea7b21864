"""The public ``Engine``: receive complaints, act on cases, read them back, verify the log.

Every change is one short transaction: read the case, let the lifecycle decide (pure), then write
with an optimistic version guard (``UPDATE … WHERE version = :read``) and append one hash-chained
event. A lost race raises ``ConflictError`` and writes nothing. The hot path uses SQLAlchemy Core,
not the ORM: a transition is two statements and a commit.

A host system can hand in its own engine, or bind a view of the engine to its own ``Session`` or
``Connection`` with ``within()``: our writes then join the host's transaction (inside a
SAVEPOINT, so a refused operation of ours never spoils the host's work) and the host commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhiqian.clock import Clock, SystemClock
from zhiqian.engine.clock_store import load_clocks, load_clocks_many, save_clocks
from zhiqian.engine.domain.actions import ACTION_LABELS, ActionEffect, apply_action
from zhiqian.engine.domain.clocks import (
    CaseChange,
    ClockState,
    condition_clocks,
    days_left,
    derived_status,
    evaluate_clocks,
    extend_clock,
)
from zhiqian.engine.domain.clocks import (
    recompute as recompute_clock,
)
from zhiqian.engine.domain.context import campaign_window, case_context
from zhiqian.engine.domain.intake import Complaint, clean_act, clean_actor, parse_complaint
from zhiqian.engine.domain.lifecycle import Lifecycle
from zhiqian.engine.views import (
    CaseEvent,
    CaseView,
    ClockExplanation,
    ClockView,
    DeadlineMove,
    DueItem,
    EscalationExplanation,
    EscalationRecord,
    Explanation,
    Page,
)
from zhiqian.rules.divisions import level_of

if TYPE_CHECKING:
    from zhiqian.engine.jobs.sweep import SweepResult
    from zhiqian.engine.outbox import DeliveryReport, NoticeView
    from zhiqian.engine.reports import ReportCase
    from zhiqian.notifiers import Notifier

from zhiqian.errors import (
    CaseNotFound,
    ConflictError,
    DuplicateCase,
    InvalidIntake,
    Refused,
    RuleError,
    StoreError,
    TransitionRefused,
)
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.conditions import ConditionContext
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import Limit, parse_limit
from zhiqian.rules.loader import RulePack, load_pack
from zhiqian.store.audit import GENESIS, chain_hash, verify_chain
from zhiqian.store.database import (
    READ_ONLY,
    create_engine,
    current_revision,
    head_revision,
    migrate,
)
from zhiqian.store.tables import CaseRow, ClockRow, EscalationRow, EventRow, TimerRow, table_of

__all__ = ["DEFAULT_URL", "Engine"]

DEFAULT_URL = "sqlite:///zhiqian.db"
RECEIVED = "received"  # the pseudo-event intake writes as a case's first event
ACCESS = "pii_shown"  # personal data shown unmasked (recorded, never a change of the case)

_cases = table_of(CaseRow)
_events = table_of(EventRow)
_timers = table_of(TimerRow)
_escalations = table_of(EscalationRow)

# Statements of the hot path, built once: SQLAlchemy then reuses their cache keys and compiled
# forms instead of rebuilding them on every change (parameters are passed at execution).
_SELECT_CASE = sa.select(_cases).where(_cases.c.id == sa.bindparam("w_id"))
_UPDATE_CASE_AT_VERSION = sa.update(_cases).where(
    _cases.c.id == sa.bindparam("w_id"), _cases.c.version == sa.bindparam("w_version")
)
_INSERT_EVENT = sa.insert(_events)


class ChangeHook(Protocol):
    """Called inside the transaction after every change, with the case as it is now."""

    def __call__(
        self,
        engine: Engine,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        row: Any,
        clocks: dict[str, ClockState],
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class _Governing:
    """A loaded pack version, the machine built from it (one per pack version), its calendar
    (the national data with the pack's local days) and its campaign window."""

    pack: RulePack
    lifecycle: Lifecycle
    calendar: LegalCalendar
    campaign: tuple[datetime | None, datetime | None]

    def context(
        self,
        row: Any,
        *,
        now: datetime,
        clocks: Iterable[ClockState],
        state: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> ConditionContext:
        source = _Overlay(row, values) if values else row
        return case_context(
            source,
            now=now,
            pack=self.pack,
            clocks=condition_clocks(list(clocks), now),
            state=state,
            campaign=self.campaign,
        )


class _Overlay:
    """A row seen with pending changes applied (for conditions evaluated after an action)."""

    def __init__(self, row: Any, values: Mapping[str, Any]) -> None:
        self._row = row
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        return getattr(self._row, name)


class Engine:
    """The case engine. Open it with :meth:`open`; it is safe to share between threads."""

    def __init__(
        self,
        *,
        bind: sa.Engine,
        packs: Sequence[RulePack],
        clock: Clock | None = None,
        owns_bind: bool = False,
        host: Session | sa.Connection | None = None,
        calendar: LegalCalendar | None = None,
        _governing: dict[tuple[str, str], _Governing] | None = None,
    ) -> None:
        if not packs:
            raise ValueError("an engine needs at least one rule pack")
        self.calendar = calendar or LegalCalendar.default()
        self._bind = bind
        self._owns_bind = owns_bind
        self._host = host
        self.clock: Clock = clock or SystemClock()
        # Called inside the transaction after every change (intake included): the escalation
        # evaluator hangs here so that rules triggered by case data fire on the change itself.
        self.after_change: list[ChangeHook] = []
        self.pack: RulePack = packs[0]  # the pack new cases are governed by
        self._governing = _governing if _governing is not None else {}
        for pack in packs:
            key = (pack.name, pack.version)
            if key not in self._governing:
                self._governing[key] = self._govern(pack)

    def _govern(self, pack: RulePack) -> _Governing:
        calendar = self.calendar.with_extras(
            extra_holidays=pack.calendar.extra_holidays,
            extra_workdays=pack.calendar.extra_workdays,
        )
        return _Governing(pack, _build_lifecycle(pack), calendar, campaign_window(pack, calendar))

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        target: str | sa.Engine = DEFAULT_URL,
        *,
        pack: str | Path | RulePack = "national",
        older_packs: Iterable[str | Path | RulePack] = (),
        clock: Clock | None = None,
        calendar: LegalCalendar | None = None,
        create: bool = False,
        escalate: bool = True,
    ) -> Engine:
        """Open the engine on a database URL or a host's SQLAlchemy engine.

        ``create=True`` brings zhiqian's tables to the current migration (Alembic); otherwise
        the schema must already be there (``zhiqian db upgrade``). ``older_packs`` are earlier
        pack versions still governing open cases: a case is never re-judged by a newer pack.
        ``calendar`` defaults to the national data plus the shipped holiday files; pass
        ``LegalCalendar.default(folder)`` to add an office's own State Council notice files.
        ``escalate`` (default on) evaluates the packs' escalation rules inside every change, so
        that a rule triggered by case data (a major case on receipt) fires on the change itself;
        the sweep evaluates them again when a timer falls due.
        """
        owns = isinstance(target, str)
        bind = create_engine(target) if isinstance(target, str) else target
        try:
            if create:
                migrate(bind)
            else:
                _require_schema(bind)
            packs = [_as_pack(p) for p in (pack, *older_packs)]
        except BaseException:
            if owns:
                bind.dispose()
            raise
        engine = cls(bind=bind, packs=packs, clock=clock, owns_bind=owns, calendar=calendar)
        if escalate:
            from zhiqian.engine.escalation import install

            install(engine)
        return engine

    def within(self, host: Session | sa.Connection) -> Engine:
        """A view of this engine whose writes join ``host``'s transaction; the host commits."""
        view = Engine(
            bind=self._bind,
            packs=[g.pack for g in self._governing.values()],
            clock=self.clock,
            host=host,
            calendar=self.calendar,
            _governing=self._governing,
        ).with_pack(self.pack)
        view.after_change = list(self.after_change)
        return view

    def with_pack(self, pack: RulePack) -> Engine:
        """The same engine governing new cases by ``pack`` (already loaded or new)."""
        key = (pack.name, pack.version)
        if key not in self._governing:
            self._governing[key] = self._govern(pack)
        self.pack = pack
        return self

    def close(self) -> None:
        if self._owns_bind and self._host is None:
            self._bind.dispose()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def bind(self) -> sa.Engine:
        return self._bind

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        if self._host is None:
            with self._bind.begin() as conn:
                yield conn
            return
        conn = self._host.connection() if isinstance(self._host, Session) else self._host
        with conn.begin_nested():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        if self._host is not None:
            yield self._host.connection() if isinstance(self._host, Session) else self._host
            return
        with self._bind.connect().execution_options(**{READ_ONLY: True}) as conn:
            yield conn

    def _now(self, at: datetime | None) -> datetime:
        now = self.clock.now()
        if at is None:
            return now.astimezone(UTC)
        if at.tzinfo is None or at.utcoffset() is None:
            raise Refused(f"time {at.isoformat()} has no timezone: give an offset, e.g. +08:00")
        if at > now:
            raise Refused(f"time {at.isoformat()} is in the future (now is {now.isoformat()})")
        return at.astimezone(UTC)

    def governing(self, pack_name: str, pack_version: str) -> _Governing:
        """The pack version that governs a case, loading a shipped pack of that exact version
        on first use (a case is never re-judged by another version)."""
        key = (pack_name, pack_version)
        found = self._governing.get(key)
        if found is not None:
            return found
        with contextlib.suppress(RuleError):  # not shipped, or broken: the error below says so
            pack = load_pack(pack_name)
            if pack.version == pack_version:
                found = self._governing.setdefault(key, self._govern(pack))
                return found
        loaded = ", ".join(f"{n} {v}" for n, v in self._governing) or "none"
        raise StoreError(
            f"rule pack {pack_name} {pack_version} governs this case but is not loaded "
            f"(loaded: {loaded}); open the engine with older_packs=[...]"
        )

    # -- intake -------------------------------------------------------------------------------

    def receive(
        self,
        data: Mapping[str, Any] | Complaint,
        *,
        actor: str = "system",
        at: datetime | None = None,
    ) -> CaseView:
        """Validate a complaint and open its case. ``InvalidIntake`` or ``DuplicateCase``: no write."""
        actor = clean_actor(actor)
        now = self._now(at)
        complaint = data if isinstance(data, Complaint) else parse_complaint(data, now=now)
        case_id = self._insert_case(complaint, actor=actor, now=now)
        return self.get(case_id)

    def receive_many(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        actor: str = "system",
        at: datetime | None = None,
    ) -> list[CaseView | InvalidIntake | DuplicateCase]:
        """Receive each record on its own: one bad record does not stop or undo the others."""
        actor = clean_actor(actor)
        now = self._now(at)
        results: list[CaseView | InvalidIntake | DuplicateCase] = []
        for index, record in enumerate(records):
            try:
                complaint = parse_complaint(record, now=now)
            except InvalidIntake as exc:
                results.append(InvalidIntake(exc.problems, record=index))
                continue
            try:
                results.append(self.get(self._insert_case(complaint, actor=actor, now=now)))
            except DuplicateCase as exc:
                results.append(exc)
        return results

    def _insert_case(self, complaint: Complaint, *, actor: str, now: datetime) -> int:
        governing = self.governing(self.pack.name, self.pack.version)
        initial = governing.lifecycle.initial
        with self._write() as conn:
            existing = conn.execute(
                sa.select(_cases.c.id).where(_cases.c.ref == complaint.ref)
            ).scalar_one_or_none()
            if existing is not None:
                raise DuplicateCase(complaint.ref, existing)
            project = complaint.project
            try:
                case_id = conn.execute(
                    sa.insert(_cases)
                    .values(
                        ref=complaint.ref,
                        channel=str(complaint.channel),
                        received_at=complaint.received_at,
                        region=complaint.region,
                        handling_region=complaint.region,
                        level=level_of(complaint.region),
                        state=initial,
                        previous_state=None,
                        version=1,
                        head_hash=GENESIS,
                        pack_name=self.pack.name,
                        pack_version=self.pack.version,
                        employer_name=complaint.employer.name,
                        employer_uscc=complaint.employer.uscc,
                        employer_category=str(complaint.employer.category),
                        project_name=project.name if project else None,
                        project_kind=str(project.kind) if project else None,
                        workers=complaint.workers,
                        migrant_workers=complaint.migrant_workers,
                        amount=complaint.amount,
                        migrant_amount=complaint.migrant_amount,
                        complainant_name=complaint.complainant.name,
                        complainant_phone=complaint.complainant.phone,
                        complainant_id_number=complaint.complainant.id_number,
                        flags=sorted(str(f) for f in complaint.flags),
                        summary=complaint.summary,
                        extra={},
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(_cases.c.id)
                ).scalar_one()
            except sa.exc.IntegrityError as exc:  # a concurrent intake of the same ref won
                raise DuplicateCase(complaint.ref) from exc
            event = self._event_row(
                case_id=case_id,
                seq=1,
                at=now,
                actor=actor,
                event=RECEIVED,
                from_state=None,
                to_state=initial,
                reason=None,
                rule_id=None,
                pack=self.pack,
                payload={"received_at": complaint.received_at.isoformat()},
                prev_hash=GENESIS,
            )
            conn.execute(_INSERT_EVENT, event)
            conn.execute(
                sa.update(_cases).where(_cases.c.id == case_id).values(head_hash=event["hash"])
            )
            # Clocks count from when the complaint was received, not from when it was keyed in.
            row = conn.execute(_SELECT_CASE, {"w_id": case_id}).one()
            change = CaseChange(RECEIVED, None, initial, complaint.received_at)
            changed = self._move_clocks(conn, governing, row, change, {}, now=now, state=initial)
            self._after(conn, int(case_id), now, row=row, clocks=changed)
        return int(case_id)

    def _move_clocks(
        self,
        conn: sa.Connection,
        governing: _Governing,
        row: Any,
        change: CaseChange,
        clocks: Mapping[str, ClockState],
        *,
        now: datetime,
        state: str,
        values: Mapping[str, Any] | None = None,
        effect: ActionEffect | None = None,
    ) -> dict[str, ClockState]:
        """Evaluate and store the clocks after ``change``; returns the changed ones."""
        ctx = governing.context(row, now=now, clocks=clocks.values(), state=state, values=values)
        changed = evaluate_clocks(
            governing.pack,
            clocks,
            change,
            ctx,
            calendar=governing.calendar,
            limit_overrides=effect.limit_overrides if effect else None,
        )
        if effect is not None and effect.extension is not None:
            clock_id, extension = effect.extension
            try:
                spec = governing.pack.clock(clock_id)
            except KeyError:
                known = ", ".join(c.id for c in governing.pack.clocks)
                raise Refused(f"extend: no clock {clock_id!r} (clocks: {known})") from None
            current = changed.get(clock_id, clocks.get(clock_id))
            changed[clock_id] = extend_clock(
                spec,
                current,
                extension,
                case=row.id,
                pack=governing.pack,
                calendar=governing.calendar,
            )
        if changed:
            save_clocks(
                conn,
                row.id,
                changed,
                clocks,
                pack=governing.pack,
                calendar=governing.calendar,
                now=now,
            )
        if effect is not None:
            for seq, (within, label) in enumerate(effect.reports):
                due = compute_deadline(
                    parse_limit(within),
                    change.at,
                    calendar=governing.calendar,
                    tz=governing.pack.timezone,
                ).at
                if due is not None:
                    conn.execute(
                        sa.insert(_timers).values(
                            case_id=row.id,
                            clock_id=f"report:{label}"[:64],
                            cycle=row.version + 1,
                            kind="followup",
                            seq=seq,
                            due_at=due,
                            attempts=0,
                        )
                    )
        return changed

    @staticmethod
    def _event_row(
        *,
        case_id: int,
        seq: int,
        at: datetime,
        actor: str,
        event: str,
        from_state: str | None,
        to_state: str,
        reason: str | None,
        rule_id: str | None,
        pack: RulePack,
        payload: Mapping[str, Any],
        prev_hash: str,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "case_id": case_id,
            "seq": seq,
            "at": at,
            "actor": actor,
            "event": event,
            "from_state": from_state,
            "to_state": to_state,
            "reason": reason,
            "rule_id": rule_id,
            "pack_name": pack.name,
            "pack_version": pack.version,
            "payload": dict(payload),
            "prev_hash": prev_hash,
        }
        row["hash"] = chain_hash(row)
        return row

    # -- acting -------------------------------------------------------------------------------

    def act(
        self,
        case_id: int,
        event: str,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime | None = None,
        params: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        rule_id: str | None = None,
    ) -> CaseView:
        """Fire a lifecycle event, or record an action, on the case. Refusals change nothing.

        ``event`` is a lifecycle event (verify, handle, …) or an action inside handling (file,
        order_payment, extend, raise_level, …; see ``zhiqian.engine.domain.actions``) with its
        ``params``. ``expected_version`` is the version the caller last saw (a clerk's screen):
        if the case moved on since, ``ConflictError`` — look again before acting.
        """
        if not isinstance(actor, str) or not actor.strip():
            raise Refused("an actor is required: every change records who made it")
        actor, reason, params = clean_act(actor, reason, params)
        now = self._now(at)
        with self._write() as conn:
            after, clocks = self.change_in(
                conn,
                case_id,
                event,
                actor=actor,
                reason=reason,
                now=now,
                params=params,
                expected_version=expected_version,
                rule_id=rule_id,
            )
            self._after(conn, case_id, now, row=after, clocks=clocks)
            # Read back inside the transaction (rules may have acted too): no second connection.
            row = conn.execute(_SELECT_CASE, {"w_id": case_id}).one()
        return self._view(row, [])

    def _after(
        self,
        conn: sa.Connection,
        case_id: int,
        now: datetime,
        *,
        row: Any,
        clocks: Mapping[str, ClockState],
    ) -> None:
        for hook in self.after_change:
            hook(self, conn, case_id, now, row=row, clocks=dict(clocks))

    def change_in(
        self,
        conn: sa.Connection,
        case_id: int,
        event: str,
        *,
        actor: str,
        now: datetime,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        rule_id: str | None = None,
    ) -> tuple[Any, dict[str, ClockState]]:
        """One change of a case inside the caller's transaction (``act`` and the sweep use it).
        Returns the case row and clocks as they are after the change (for the hooks, which
        would otherwise read them again).

        Internal API for the engine's own components; hosts call :meth:`act`.
        """
        params = dict(params or {})
        row = conn.execute(_SELECT_CASE, {"w_id": case_id}).first()
        if row is None:
            raise CaseNotFound(case_id)
        if expected_version is not None and row.version != expected_version:
            raise ConflictError(case=case_id, expected=expected_version)
        governing = self.governing(row.pack_name, row.pack_version)
        lifecycle = governing.lifecycle
        if now < row.updated_at:  # updated_at is the time of the last change
            raise Refused(
                f"time {now.isoformat()} is before the case's last change "
                f"({row.updated_at.isoformat()})"
            )
        clocks = load_clocks(conn, case_id)
        effect: ActionEffect | None = None
        values: dict[str, Any] = {}
        if lifecycle.spec.event(event) is not None:
            ctx = governing.context(row, now=now, clocks=clocks.values())
            decision = lifecycle.decide(
                row.state, event, case=case_id, previous_state=row.previous_state, context=ctx
            )
            source, dest = decision.source, decision.dest
            values["previous_state"] = decision.previous_state
            if lifecycle.is_final(dest):
                values["closed_at"] = now
            elif lifecycle.is_final(source):
                values["closed_at"] = None
        elif event in governing.pack.event_ids or event in ACTION_LABELS:
            if lifecycle.is_final(row.state):
                raise TransitionRefused(
                    case=case_id, event=event, state=row.state, why="the case is closed"
                )
            effect = apply_action(
                event, row, params, at=now, actor=actor, pack=governing.pack, clocks=clocks
            )
            values.update(effect.values)
            source = dest = row.state
        else:
            known = ", ".join([e.id for e in lifecycle.spec.events] + sorted(ACTION_LABELS))
            raise TransitionRefused(
                case=case_id, event=event, state=row.state, why=f"unknown event; known: {known}"
            )
        seq = row.version + 1
        payload = dict(effect.payload) if effect is not None else {}
        ev = self._event_row(
            case_id=case_id,
            seq=seq,
            at=now,
            actor=actor,
            event=event,
            from_state=source,
            to_state=dest,
            reason=reason,
            rule_id=rule_id,
            pack=governing.pack,
            payload=payload,
            prev_hash=row.head_hash,
        )
        values.update(state=dest, version=seq, head_hash=ev["hash"], updated_at=now)
        updated = conn.execute(
            _UPDATE_CASE_AT_VERSION, {**values, "w_id": case_id, "w_version": row.version}
        )
        if updated.rowcount != 1:
            raise ConflictError(case=case_id, expected=row.version)
        # The guarded UPDATE above holds the case's row lock: from here on this transaction
        # alone writes the case's clocks, timers and next event.
        try:
            conn.execute(_INSERT_EVENT, ev)
        except sa.exc.IntegrityError as exc:  # (case_id, seq) taken: another writer won
            raise ConflictError(case=case_id, expected=row.version) from exc
        change = CaseChange(event, source, dest, now)
        changed = self._move_clocks(
            conn,
            governing,
            row,
            change,
            clocks,
            now=now,
            state=dest,
            values=values,
            effect=effect,
        )
        return _Overlay(row, values), {**clocks, **changed}

    def record_access(
        self, case_id: int, *, actor: str, what: str, at: datetime | None = None
    ) -> None:
        """Record in the case's hash-chained log that ``actor`` was shown ``what`` (personal
        data unmasked, e.g. ``complainant``). Allowed in every state, closed cases included."""
        if not actor or not actor.strip():
            raise Refused("an actor is required: every access to personal data is recorded")
        now = self._now(at)
        with self._write() as conn:
            row = conn.execute(_SELECT_CASE, {"w_id": case_id}).first()
            if row is None:
                raise CaseNotFound(case_id)
            governing = self.governing(row.pack_name, row.pack_version)
            ev = self._event_row(
                case_id=case_id,
                seq=row.version + 1,
                at=now,
                actor=actor,
                event=ACCESS,
                from_state=row.state,
                to_state=row.state,
                reason=None,
                rule_id=None,
                pack=governing.pack,
                payload={"what": what},
                prev_hash=row.head_hash,
            )
            updated = conn.execute(
                _UPDATE_CASE_AT_VERSION,
                {
                    "version": row.version + 1,
                    "head_hash": ev["hash"],
                    "w_id": case_id,
                    "w_version": row.version,
                },
            )
            if updated.rowcount != 1:
                raise ConflictError(case=case_id, expected=row.version)
            conn.execute(_INSERT_EVENT, ev)

    def allowed(self, case_id: int) -> list[tuple[str, str]]:
        """(event, label) the lifecycle allows now (guards not evaluated), then the actions."""
        case = self.get(case_id, history=False)
        lifecycle = self.governing(case.pack_name, case.pack_version).lifecycle
        events = [(e, lifecycle.label(e)) for e in lifecycle.events_from(case.state)]
        if not lifecycle.is_final(case.state):
            events += sorted(ACTION_LABELS.items())
        return events

    # -- reading ------------------------------------------------------------------------------

    def get(self, case_id: int, *, history: bool = True) -> CaseView:
        """The case with its history (``history=False`` skips the events)."""
        with self._read() as conn:
            row = conn.execute(_SELECT_CASE, {"w_id": case_id}).first()
            if row is None:
                raise CaseNotFound(case_id)
            events: list[Any] = []
            clocks: list[ClockState] = []
            escalations: list[Any] = []
            if history:
                events = list(
                    conn.execute(
                        sa.select(_events)
                        .where(_events.c.case_id == case_id)
                        .order_by(_events.c.seq)
                    )
                )
                clocks = list(load_clocks(conn, case_id).values())
                escalations = list(
                    conn.execute(
                        sa.select(_escalations)
                        .where(_escalations.c.case_id == case_id)
                        .order_by(_escalations.c.id)
                    )
                )
        return self._view(row, events, clocks, escalations if history else ())

    def get_by_ref(self, ref: str, *, history: bool = True) -> CaseView:
        with self._read() as conn:
            case_id = conn.execute(
                sa.select(_cases.c.id).where(_cases.c.ref == ref)
            ).scalar_one_or_none()
        if case_id is None:
            raise CaseNotFound(ref)
        return self.get(int(case_id), history=history)

    def query(
        self,
        *,
        state: str | None = None,
        region: str | None = None,
        level: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[CaseView]:
        """Cases by state, handling region (a code matches itself and its subdivisions), level."""
        if not 1 <= limit <= 1000:
            raise ValueError(f"limit must be 1..1000, got {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        where: list[sa.ColumnElement[bool]] = []
        if state is not None:
            where.append(_cases.c.state == state)
        if level is not None:
            where.append(_cases.c.level == level)
        if region is not None:
            where.append(_region_filter(_cases.c.handling_region, region))
        with self._read() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(_cases).where(*where)
            ).scalar_one()
            rows = conn.execute(
                sa.select(_cases).where(*where).order_by(_cases.c.id).limit(limit).offset(offset)
            ).all()
        return Page(
            items=tuple(self._view(r, []) for r in rows), total=total, offset=offset, limit=limit
        )

    def _view(
        self,
        row: Any,
        events: Sequence[Any],
        clocks: Sequence[ClockState] = (),
        escalations: Sequence[Any] = (),
    ) -> CaseView:
        governing = self._governing.get((row.pack_name, row.pack_version))
        lifecycle_label: Callable[[str], str] = (
            governing.lifecycle.label if governing is not None else (lambda s: s)
        )

        def label(event: str) -> str:
            if event == RECEIVED:
                return "受理登记"
            if event == ACCESS:
                return "查看个人信息"
            return ACTION_LABELS.get(event) or lifecycle_label(event)

        now = self.clock.now()
        clock_views = []
        for state in clocks:
            spec = None
            if governing is not None:
                try:
                    spec = governing.pack.clock(state.clock_id)
                except KeyError:
                    spec = None
            clock_views.append(
                ClockView(
                    id=state.clock_id,
                    label=spec.label if spec else state.clock_id,
                    status=derived_status(state, now),
                    started_at=state.started_at,
                    deadline=state.deadline_at,
                    assumed=state.assumed,
                    basis=spec.basis if spec else "",
                    trace=tuple(state.trace.get("lines", ())),
                )
            )
        return CaseView(
            id=row.id,
            ref=row.ref,
            channel=row.channel,
            received_at=row.received_at,
            region=row.region,
            handling_region=row.handling_region,
            level=row.level,
            state=row.state,
            state_label=lifecycle_label(row.state),
            version=row.version,
            pack_name=row.pack_name,
            pack_version=row.pack_version,
            employer_name=row.employer_name,
            employer_uscc=row.employer_uscc,
            employer_category=row.employer_category,
            project_name=row.project_name,
            project_kind=row.project_kind,
            workers=row.workers,
            migrant_workers=row.migrant_workers,
            amount=row.amount,
            migrant_amount=row.migrant_amount,
            complainant_name=row.complainant_name,
            complainant_phone=row.complainant_phone,
            complainant_id_number=row.complainant_id_number,
            flags=tuple(row.flags or ()),
            summary=row.summary,
            leader=row.leader,
            supervised_by=row.supervised_by,
            police_referred_at=row.police_referred_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            events=tuple(
                CaseEvent(
                    seq=e.seq,
                    at=e.at,
                    actor=e.actor,
                    event=e.event,
                    label=label(e.event),
                    from_state=e.from_state,
                    to_state=e.to_state,
                    reason=e.reason,
                    rule_id=e.rule_id,
                    pack_name=e.pack_name,
                    pack_version=e.pack_version,
                    payload=e.payload or {},
                )
                for e in events
            ),
            clocks=tuple(clock_views),
            escalations=tuple(
                EscalationRecord(
                    rule=e.rule_id,
                    label=_escalation_label(governing, e.rule_id),
                    at=e.fired_at,
                    cycle_key=e.cycle_key,
                    trigger=e.trigger,
                    actions=tuple(e.actions or ()),
                    pack_version=e.pack_version,
                )
                for e in escalations
            ),
        )

    # -- audit --------------------------------------------------------------------------------

    def verify_audit(self) -> list[str]:
        """Every break in the event log's hash chains; an empty list means it verifies."""
        with self._read() as conn:
            return list(verify_chain(conn))

    # -- deadlines: overdue, explain, recompute -------------------------------------------------

    def overdue(
        self,
        *,
        at: datetime | None = None,
        within: timedelta | Limit | None = None,
        region: str | None = None,
        level: str | None = None,
        limit: int = 100,
    ) -> list[DueItem]:
        """Running clocks past their deadline at ``at`` (or due within ``within``), most overdue
        first. An indexed range scan on the stored deadlines: no case is recomputed on read."""
        now = self._now(at)
        if isinstance(within, Limit):
            # "due within 3 workdays": up to the close of the 3rd working day after today.
            governing = self.governing(self.pack.name, self.pack.version)
            end = compute_deadline(
                within, now, calendar=governing.calendar, tz=self.pack.timezone
            ).at
            horizon = end if end is not None else now
        else:
            horizon = now + (within or timedelta(0))
        clocks = table_of(ClockRow)
        where: list[sa.ColumnElement[bool]] = [
            # A literal, not a parameter: SQLite uses the partial index ix_zq_clocks_running_
            # deadline only when the query's WHERE visibly implies the index's.
            clocks.c.status == sa.literal_column("'running'"),
            clocks.c.deadline_at.is_not(None),
            # overdue: strictly past now; "due within": up to and including the horizon
            clocks.c.deadline_at <= horizon if within else clocks.c.deadline_at < now,
        ]
        if level is not None:
            where.append(_cases.c.level == level)
        if region is not None:
            where.append(_region_filter(_cases.c.handling_region, region))
        query = (
            sa.select(
                clocks.c.case_id,
                clocks.c.clock_id,
                clocks.c.deadline_at,
                clocks.c.assumed,
                _cases.c.ref,
                _cases.c.level,
                _cases.c.handling_region,
                _cases.c.state,
                _cases.c.pack_name,
                _cases.c.pack_version,
            )
            .join(_cases, _cases.c.id == clocks.c.case_id)
            .where(*where)
            .order_by(clocks.c.deadline_at, clocks.c.case_id)
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        items = []
        for r in rows:
            gov = self._governing.get((r.pack_name, r.pack_version))
            label = r.clock_id
            calendar = self.calendar
            tz = self.pack.timezone
            if gov is not None:
                calendar, tz = gov.calendar, gov.pack.timezone
                with contextlib.suppress(KeyError):
                    label = gov.pack.clock(r.clock_id).label
            items.append(
                DueItem(
                    case_id=r.case_id,
                    ref=r.ref,
                    clock=r.clock_id,
                    label=label,
                    deadline=r.deadline_at,
                    overdue_by=now - r.deadline_at,
                    workdays_left=days_left(r.deadline_at, now, tz=tz, calendar=calendar),
                    assumed=r.assumed,
                    level=r.level,
                    region=r.handling_region,
                    state=r.state,
                )
            )
        return items

    def explain(self, case_id: int, *, at: datetime | None = None) -> Explanation:
        """Which clocks and escalations of the case's pack apply, with deadlines and traces."""
        now = self._now(at)
        with self._read() as conn:
            row = conn.execute(_SELECT_CASE, {"w_id": case_id}).first()
            if row is None:
                raise CaseNotFound(case_id)
            clocks = load_clocks(conn, case_id)
            fired = {
                r.rule_id
                for r in conn.execute(
                    sa.select(_events.c.rule_id).where(
                        _events.c.case_id == case_id, _events.c.rule_id.is_not(None)
                    )
                )
            }
        governing = self.governing(row.pack_name, row.pack_version)
        pack = governing.pack
        ctx = governing.context(row, now=now, clocks=clocks.values())
        clock_lines = []
        for spec in pack.clocks:
            state = clocks.get(spec.id)
            file, line = pack.source_of(spec.id, "clocks")
            clock_lines.append(
                ClockExplanation(
                    id=spec.id,
                    label=spec.label,
                    applies=state is not None,
                    status=derived_status(state, now) if state else "not started",
                    deadline=state.deadline_at if state else None,
                    workdays_left=(
                        days_left(
                            state.deadline_at, now, tz=pack.timezone, calendar=governing.calendar
                        )
                        if state and state.status == "running" and state.deadline_at
                        else None
                    ),
                    assumed=state.assumed if state else False,
                    limit=state.limit_override or str(spec.limit) if state else str(spec.limit),
                    basis=spec.basis,
                    source=f"{file}:{line}",
                    starts_on=_trigger_text(spec.start),
                    trace=tuple(state.trace.get("lines", ())) if state else (),
                    extensions=tuple(e.to_json() for e in state.extensions) if state else (),
                )
            )
        escalation_lines = []
        for esc in pack.escalations:
            file, line = pack.source_of(esc.id, "escalations")
            condition = esc.condition
            escalation_lines.append(
                EscalationExplanation(
                    id=esc.id,
                    label=esc.label,
                    when=esc.when,
                    holds_now=bool(condition is not None and condition.evaluate(ctx)),
                    fired=esc.id in fired,
                    actions=tuple(_action_text(a) for a in esc.do),
                    basis=esc.basis,
                    source=f"{file}:{line}",
                )
            )
        return Explanation(
            case_id=row.id,
            ref=row.ref,
            pack=f"{pack.name} {pack.version}",
            at=now,
            calendar_coverage=governing.calendar.coverage_text(),
            clocks=tuple(clock_lines),
            escalations=tuple(escalation_lines),
        )

    def recompute(self, *, apply: bool = False, batch: int = 1000) -> list[DeadlineMove]:
        """Recompute every open deadline with today's calendar data and the cases' packs.

        First call it with ``apply=False``: it shows which deadlines would move and by how much
        (a new State Council notice, a pack's local day). ``apply=True`` writes the moves and
        re-arms their timers, each batch in its own transaction.
        """
        clocks_t = table_of(ClockRow)
        moves: list[DeadlineMove] = []
        now = self._now(None)
        last = 0
        while True:
            with self._write() if apply else self._read() as conn:
                rows = conn.execute(
                    sa.select(clocks_t.c.id, clocks_t.c.case_id)
                    .where(clocks_t.c.status == "running", clocks_t.c.id > last)
                    .order_by(clocks_t.c.id)
                    .limit(batch)
                ).all()
                if not rows:
                    break
                last = rows[-1].id
                case_ids = sorted({r.case_id for r in rows})
                cases = {
                    c.id: c
                    for c in conn.execute(sa.select(_cases).where(_cases.c.id.in_(case_ids)))
                }
                states = load_clocks_many(conn, case_ids)
                for case_id in case_ids:
                    case = cases[case_id]
                    governing = self.governing(case.pack_name, case.pack_version)
                    current = {s.clock_id: s for s in states[case_id]}
                    changed: dict[str, ClockState] = {}
                    for state in current.values():
                        if state.status != "running":
                            continue
                        try:
                            spec = governing.pack.clock(state.clock_id)
                        except KeyError:
                            continue
                        fresh = recompute_clock(
                            spec, state, pack=governing.pack, calendar=governing.calendar
                        )
                        if (fresh.deadline_at, fresh.assumed) != (
                            state.deadline_at,
                            state.assumed,
                        ):
                            changed[state.clock_id] = fresh
                            moves.append(
                                DeadlineMove(
                                    case_id=case_id,
                                    ref=case.ref,
                                    clock=state.clock_id,
                                    old=state.deadline_at,
                                    new=fresh.deadline_at,
                                    assumed_before=state.assumed,
                                    assumed_after=fresh.assumed,
                                )
                            )
                    if apply and changed:
                        save_clocks(
                            conn,
                            case_id,
                            changed,
                            current,
                            pack=governing.pack,
                            calendar=governing.calendar,
                            now=now,
                        )
        return moves

    # -- the daemon's work, one call each (the daemon runs the same functions on a schedule) ---

    def sweep(self, *, at: datetime | None = None, batch: int = 500) -> SweepResult:
        """Fire every timer due at ``at`` (default now): warnings, breaches, follow-ups, and the
        escalations they trigger. Safe to run in several processes at once, and to repeat."""
        from zhiqian.engine.jobs.sweep import sweep

        return sweep(self, now=self._now(at), batch=batch)

    def deliver_notices(
        self, notifiers: Mapping[str, Notifier] | None = None, *, at: datetime | None = None
    ) -> DeliveryReport:
        """Send what is due in the outbox (channels from the environment unless given)."""
        from zhiqian.engine.outbox import deliver
        from zhiqian.engine.service.daemon import notifiers_from_env

        return deliver(self, notifiers or notifiers_from_env(), now=self._now(at))

    def notices(
        self, *, status: str | None = None, case_id: int | None = None, limit: int = 100
    ) -> list[NoticeView]:
        """Notices in the outbox, newest first; ``status`` pending|sending|sent|dead|held|…"""
        from zhiqian.engine.outbox import list_notices

        return list_notices(self, status=status, case_id=case_id, limit=limit)

    def notice(self, notice_id: int) -> NoticeView:
        """One notice with its rendered document (``.text``)."""
        from zhiqian.engine.outbox import show_notice

        return show_notice(self, notice_id)

    def retry_notice(self, notice_id: int) -> NoticeView:
        """Put a dead-lettered notice back in the queue."""
        from zhiqian.engine.outbox import retry_notice

        return retry_notice(self, notice_id, now=self.clock.now())

    # -- reports ------------------------------------------------------------------------------

    def report_cases(
        self,
        *,
        region: str | None = None,
        received_to: datetime | None = None,
        batch: int = 2000,
    ) -> Iterator[ReportCase]:
        """The stored cases as the official reports count them (附件2, 案件台账), streamed.

        ``region`` matches the case's own division (where the arrears arose) and its children;
        ``received_to`` leaves out cases received after it. Period selection is the report's.
        """
        from zhiqian.engine.reports import ReportCase
        from zhiqian.rules.divisions import name_path

        now = self.clock.now()
        last = 0
        clocks_t = table_of(ClockRow)
        while True:
            where = [_cases.c.id > last]
            if region is not None:
                where.append(_region_filter(_cases.c.region, region))
            if received_to is not None:
                where.append(_cases.c.received_at <= received_to)
            with self._read() as conn:
                rows = conn.execute(
                    sa.select(_cases).where(*where).order_by(_cases.c.id).limit(batch)
                ).all()
                if not rows:
                    return
                last = rows[-1].id
                overdue: dict[int, list[str]] = {}
                for c in conn.execute(
                    sa.select(clocks_t.c.case_id, clocks_t.c.clock_id).where(
                        clocks_t.c.case_id.in_([r.id for r in rows]),
                        sa.or_(
                            clocks_t.c.breached_at.is_not(None),
                            sa.and_(clocks_t.c.status == "running", clocks_t.c.deadline_at < now),
                        ),
                    )
                ):
                    overdue.setdefault(c.case_id, []).append(c.clock_id)
            for r in rows:
                governing = self._governing.get((r.pack_name, r.pack_version))
                labels = []
                for clock_id in overdue.get(r.id, ()):
                    label = clock_id
                    if governing is not None:
                        with contextlib.suppress(KeyError):
                            label = governing.pack.clock(clock_id).label
                    labels.append(label)
                yield ReportCase(
                    id=r.id,
                    ref=r.ref,
                    received_at=r.received_at,
                    region=r.region,
                    region_name=name_path(r.region),
                    level=r.level,
                    state=r.state,
                    state_label=governing.lifecycle.label(r.state) if governing else r.state,
                    employer_name=r.employer_name,
                    employer_uscc=r.employer_uscc,
                    employer_category=r.employer_category,
                    project_kind=r.project_kind if r.project_name else None,
                    project_name=r.project_name,
                    workers=r.workers,
                    migrant_workers=r.migrant_workers,
                    amount=r.amount,
                    migrant_amount=r.migrant_amount,
                    migrant_contracts=(r.extra or {}).get("migrant_contracts"),
                    arrears_verified=r.arrears_verified,
                    filed=r.filed_at is not None,
                    resolved_without_filing=r.resolved_without_filing and r.filed_at is None,
                    recovered_workers=min(r.recovered_workers, r.workers),
                    recovered_migrant_workers=min(r.recovered_migrant_workers, r.migrant_workers),
                    recovered_amount=r.recovered_amount,
                    recovered_migrant_amount=min(r.recovered_migrant_amount, r.recovered_amount),
                    orders_to_correct=r.orders_to_correct,
                    handling_decisions=r.handling_decisions,
                    penalty_decisions=r.penalty_decisions,
                    police_referred=r.police_referred_at is not None,
                    police_filed=r.police_filed_at is not None,
                    publicised=r.publicised,
                    blacklisted=r.blacklisted,
                    leader=r.leader,
                    closed_at=r.closed_at,
                    overdue_clocks=tuple(labels),
                )


def _escalation_label(governing: _Governing | None, rule_id: str) -> str:
    if governing is not None:
        with contextlib.suppress(KeyError):
            return governing.pack.escalation(rule_id).label
    return rule_id


def _trigger_text(trigger: Any) -> str:
    parts = []
    for name in ("on_event", "on_enter", "on_leave"):
        values = getattr(trigger, name, ())
        if values:
            parts.append(f"{name}: {', '.join(values)}")
    if getattr(trigger, "when", None):
        parts.append(f"when: {trigger.when}")
    return "; ".join(parts)


def _action_text(action: Any) -> str:
    for name, value in action.model_dump(exclude_none=True).items():
        return name if not value else f"{name} {value}"
    return "?"


def _region_filter(column: sa.ColumnElement[str], code: str) -> sa.ColumnElement[bool]:
    """``140000`` matches ``14xxxx``; ``140300`` matches ``1403xx``; a county matches itself."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"region must be a 6-digit division code, got {code!r}")
    if code.endswith("0000"):
        return column.like(code[:2] + "%")
    if code.endswith("00"):
        return column.like(code[:4] + "%")
    return column == code


def _as_pack(pack: str | Path | RulePack) -> RulePack:
    return pack if isinstance(pack, RulePack) else load_pack(pack)


def _build_lifecycle(pack: RulePack) -> Lifecycle:
    return Lifecycle(pack.lifecycle, guard_check=pack.guard_check)


def _require_schema(bind: sa.Engine) -> None:
    current = current_revision(bind)
    head = head_revision()
    if current is None:
        raise StoreError(
            "zhiqian's tables are not in this database: run `zhiqian db upgrade` "
            "or open with create=True"
        )
    if current != head:
        raise StoreError(
            f"the database schema is at revision {current}, this zhiqian needs {head}: "
            "run `zhiqian db upgrade`"
        )
