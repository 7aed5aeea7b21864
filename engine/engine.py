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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhiqian.clock import Clock, SystemClock
from zhiqian.engine.divisions import level_of
from zhiqian.engine.intake import Complaint, parse_complaint
from zhiqian.engine.lifecycle import Lifecycle
from zhiqian.engine.views import CaseEvent, CaseView, Page
from zhiqian.errors import (
    CaseNotFound,
    ConflictError,
    DuplicateCase,
    InvalidIntake,
    Refused,
    StoreError,
)
from zhiqian.rules.loader import RulePack, load_pack
from zhiqian.store.audit import GENESIS, chain_hash, verify_chain
from zhiqian.store.database import (
    READ_ONLY,
    create_engine,
    current_revision,
    head_revision,
    migrate,
)
from zhiqian.store.tables import CaseRow, EventRow

__all__ = ["DEFAULT_URL", "Engine"]

DEFAULT_URL = "sqlite:///zhiqian.db"
RECEIVED = "received"  # the pseudo-event intake writes as a case's first event

_cases = CaseRow.__table__
_events = EventRow.__table__
# Columns act() needs, read in one SELECT.
_HOT = (
    _cases.c.id,
    _cases.c.state,
    _cases.c.previous_state,
    _cases.c.version,
    _cases.c.head_hash,
    _cases.c.pack_name,
    _cases.c.pack_version,
)


@dataclass(frozen=True, slots=True)
class _Governing:
    """A loaded pack version and the machine built from it (one per pack version)."""

    pack: RulePack
    lifecycle: Lifecycle


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
        _governing: dict[tuple[str, str], _Governing] | None = None,
    ) -> None:
        if not packs:
            raise ValueError("an engine needs at least one rule pack")
        self._bind = bind
        self._owns_bind = owns_bind
        self._host = host
        self.clock: Clock = clock or SystemClock()
        self.pack: RulePack = packs[0]  # the pack new cases are governed by
        self._governing = _governing if _governing is not None else {}
        for pack in packs:
            key = (pack.name, pack.version)
            if key not in self._governing:
                self._governing[key] = _Governing(pack, _build_lifecycle(pack))

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        target: str | sa.Engine = DEFAULT_URL,
        *,
        pack: str | Path | RulePack = "national",
        older_packs: Iterable[str | Path | RulePack] = (),
        clock: Clock | None = None,
        create: bool = False,
    ) -> Engine:
        """Open the engine on a database URL or a host's SQLAlchemy engine.

        ``create=True`` brings zhiqian's tables to the current migration (Alembic); otherwise
        the schema must already be there (``zhiqian db upgrade``). ``older_packs`` are earlier
        pack versions still governing open cases: a case is never re-judged by a newer pack.
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
        return cls(bind=bind, packs=packs, clock=clock, owns_bind=owns)

    def within(self, host: Session | sa.Connection) -> Engine:
        """A view of this engine whose writes join ``host``'s transaction; the host commits."""
        return Engine(
            bind=self._bind,
            packs=[g.pack for g in self._governing.values()],
            clock=self.clock,
            host=host,
            _governing=self._governing,
        ).with_pack(self.pack)

    def with_pack(self, pack: RulePack) -> Engine:
        """The same engine governing new cases by ``pack`` (already loaded or new)."""
        key = (pack.name, pack.version)
        if key not in self._governing:
            self._governing[key] = _Governing(pack, _build_lifecycle(pack))
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
        try:
            return self._governing[(pack_name, pack_version)]
        except KeyError:
            loaded = ", ".join(f"{n} {v}" for n, v in self._governing) or "none"
            raise StoreError(
                f"rule pack {pack_name} {pack_version} governs this case but is not loaded "
                f"(loaded: {loaded}); open the engine with older_packs=[...]"
            ) from None

    # -- intake -------------------------------------------------------------------------------

    def receive(
        self,
        data: Mapping[str, Any] | Complaint,
        *,
        actor: str = "system",
        at: datetime | None = None,
    ) -> CaseView:
        """Validate a complaint and open its case. ``InvalidIntake`` or ``DuplicateCase``: no write."""
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
            conn.execute(sa.insert(_events).values(**event))
            conn.execute(
                sa.update(_cases).where(_cases.c.id == case_id).values(head_hash=event["hash"])
            )
        return int(case_id)

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
        expected_version: int | None = None,
    ) -> CaseView:
        """Fire lifecycle ``event`` on the case. Refused or lost races change nothing.

        ``expected_version`` is the version the caller last saw (a clerk's screen): if the case
        moved on since, ``ConflictError`` — the clerk must look again before acting.
        """
        if not actor or not actor.strip():
            raise Refused("an actor is required: every change records who made it")
        now = self._now(at)
        with self._write() as conn:
            row = conn.execute(sa.select(*_HOT).where(_cases.c.id == case_id)).first()
            if row is None:
                raise CaseNotFound(case_id)
            if expected_version is not None and row.version != expected_version:
                raise ConflictError(case=case_id, expected=expected_version)
            governing = self.governing(row.pack_name, row.pack_version)
            decision = governing.lifecycle.decide(
                row.state, event, case=case_id, previous_state=row.previous_state
            )
            seq = row.version + 1
            ev = self._event_row(
                case_id=case_id,
                seq=seq,
                at=now,
                actor=actor,
                event=event,
                from_state=decision.source,
                to_state=decision.dest,
                reason=reason,
                rule_id=None,
                pack=governing.pack,
                payload={},
                prev_hash=row.head_hash,
            )
            values: dict[str, Any] = {
                "state": decision.dest,
                "previous_state": decision.previous_state,
                "version": seq,
                "head_hash": ev["hash"],
                "updated_at": now,
            }
            if governing.lifecycle.is_final(decision.dest):
                values["closed_at"] = now
            elif governing.lifecycle.is_final(decision.source):
                values["closed_at"] = None
            updated = conn.execute(
                sa.update(_cases)
                .where(_cases.c.id == case_id, _cases.c.version == row.version)
                .values(**values)
            )
            if updated.rowcount != 1:
                raise ConflictError(case=case_id, expected=row.version)
            try:
                conn.execute(sa.insert(_events).values(**ev))
            except sa.exc.IntegrityError as exc:  # (case_id, seq) taken: another writer won
                raise ConflictError(case=case_id, expected=row.version) from exc
        return self.get(case_id, history=False)

    # -- reading ------------------------------------------------------------------------------

    def get(self, case_id: int, *, history: bool = True) -> CaseView:
        """The case with its history (``history=False`` skips the events)."""
        with self._read() as conn:
            row = conn.execute(sa.select(_cases).where(_cases.c.id == case_id)).first()
            if row is None:
                raise CaseNotFound(case_id)
            events: list[Any] = []
            if history:
                events = list(
                    conn.execute(
                        sa.select(_events)
                        .where(_events.c.case_id == case_id)
                        .order_by(_events.c.seq)
                    )
                )
        return self._view(row, events)

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

    def _view(self, row: Any, events: Sequence[Any]) -> CaseView:
        governing = self._governing.get((row.pack_name, row.pack_version))
        label: Callable[[str], str] = (
            governing.lifecycle.label if governing is not None else (lambda s: s)
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
            state_label=label(row.state),
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
                    label="受理登记" if e.event == RECEIVED else label(e.event),
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
        )

    # -- audit --------------------------------------------------------------------------------

    def verify_audit(self) -> list[str]:
        """Every break in the event log's hash chains; an empty list means it verifies."""
        with self._read() as conn:
            return list(verify_chain(conn))


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
