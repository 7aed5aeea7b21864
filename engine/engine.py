"""The public ``Engine``: a thin facade over the commands, queries and jobs of ``zhiqian.engine``.

It opens the store (``store.tx.Tx``), holds the pack-version registry (``commands.packs``), the
clock and the escalator, and hands each call to the one function that does the job: a change is
``commands.change`` (one load, one decide, one write: see its statement budget), intake is
``commands.intake``, escalation ``commands.escalate``, reads are ``queries.*``, time-driven work
``jobs.*``. Every change is one short transaction; a lost race raises ``ConflictError`` and
writes nothing.

A host system can hand in its own engine, or bind a view of the engine to its own ``Session`` or
``Connection`` with ``within()``: our writes then join the host's transaction (inside a
SAVEPOINT, so a refused operation of ours never spoils the host's work) and the host commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhiqian.clock import Clock, SystemClock
from zhiqian.engine.commands import change as change_cmd
from zhiqian.engine.commands import decide as decide_cmd
from zhiqian.engine.commands.escalate import Escalator
from zhiqian.engine.commands.intake import open_case
from zhiqian.engine.commands.packs import PackRegistry
from zhiqian.engine.domain.dry_run import (
    CaseDryRun,
    ClockChange,
    DryRun,
    DryRunTotals,
    RuleFiring,
)
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.domain.intake import Complaint, clean_act, clean_actor, parse_complaint

# The result types of the facade's methods live with the use cases that make them; ``zhiqian``
# reaches them through this module alone (the import contract: only the facade sees commands,
# queries and jobs), so they are imported here at run time, not only for the type checker.
from zhiqian.engine.jobs.delivery import DeliveryPolicy, DeliveryReport
from zhiqian.engine.jobs.sweep import SweepResult
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.engine.queries import cases as case_queries
from zhiqian.engine.queries import deadlines as deadline_queries
from zhiqian.engine.queries import decisions as decision_queries
from zhiqian.engine.queries.audit import verify_audit
from zhiqian.engine.queries.notices import STATUSES as NOTICE_STATUSES
from zhiqian.engine.queries.notices import NoticeView
from zhiqian.engine.views import (
    CaseSummary,
    CaseView,
    DeadlineMove,
    DecisionView,
    DueItem,
    Explanation,
    Page,
    SchemaUpgrade,
)
from zhiqian.errors import DuplicateCase, InvalidArgument, InvalidIntake, Refused, StoreError
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import Limit
from zhiqian.rules.loader import RulePack, load_pack
from zhiqian.store.database import create_engine, current_revision, head_revision, migrate
from zhiqian.store.decisions import STATUSES as DECISION_STATUSES
from zhiqian.store.tokens import TokenRecord
from zhiqian.store.tx import Tx

if TYPE_CHECKING:
    from zhiqian.engine.commands.issue import NoticeIssuer
    from zhiqian.engine.performance_views import Performance
    from zhiqian.engine.reports import ReportCase
    from zhiqian.engine.routing import Router
    from zhiqian.notifiers import NoticeRenderer, Notifier
    from zhiqian.rules.schema import QuietHours

__all__ = [
    "DEFAULT_URL",
    "NOTICE_STATUSES",
    "CaseDryRun",
    "ClockChange",
    "DeliveryPolicy",
    "DeliveryReport",
    "DryRun",
    "DryRunTotals",
    "Engine",
    "NoticeView",
    "RuleFiring",
    "SweepResult",
    "TokenRecord",
    "default_worker",
]

DEFAULT_URL = "sqlite:///zhiqian.db"


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
        _registry: PackRegistry | None = None,
    ) -> None:
        if not packs:
            raise InvalidArgument(
                name="packs", value=packs, why="an engine needs at least one rule pack"
            )
        self.calendar = calendar or LegalCalendar.default()
        self._tx = Tx(bind, host)
        self._owns_bind = owns_bind
        self.clock: Clock = clock or SystemClock()
        self._packs = _registry if _registry is not None else PackRegistry(self.calendar)
        for pack in packs:
            self._packs.add(pack)
        self.pack: RulePack = packs[0]  # the pack new cases are governed by
        # Evaluates the packs' escalation rules inside every change (None: the host's business;
        # the sweep then evaluates them with a default escalator when a timer falls due).
        self._escalator: Escalator | None = None

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
        router: Router | None = None,
    ) -> Engine:
        """Open the engine on a database URL or a host's SQLAlchemy engine.

        ``create=True`` brings zhiqian's tables to the current migration (Alembic); otherwise
        the schema must already be there (``zhiqian db upgrade``). ``older_packs`` are earlier
        pack versions still governing open cases: a case is never re-judged by a newer pack.
        ``calendar`` defaults to the national data plus the shipped holiday files; pass
        ``LegalCalendar.default(folder)`` to add an office's own State Council notice files.
        ``escalate`` (default on) evaluates the packs' escalation rules inside every change, so
        that a rule triggered by case data (a major case on receipt) fires on the change itself;
        the sweep evaluates them again when a timer falls due. ``router`` says who hears the
        escalations' notices (addresses, the leader directory); default: nobody configured.
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
            engine._install_escalator(router)
        return engine

    def within(self, host: Session | sa.Connection) -> Engine:
        """A view of this engine whose writes join ``host``'s transaction; the host commits."""
        view = Engine(
            bind=self._tx.bind,
            packs=[self.pack],
            clock=self.clock,
            host=host,
            calendar=self.calendar,
            _registry=self._packs,
        )
        view._escalator = self._escalator
        return view

    def with_pack(self, pack: RulePack) -> Engine:
        """The same engine governing new cases by ``pack`` (already loaded or new)."""
        self._packs.add(pack)
        self.pack = pack
        return self

    def close(self) -> None:
        if self._owns_bind and self._tx.host is None:
            self._tx.bind.dispose()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def bind(self) -> sa.Engine:
        return self._tx.bind

    @property
    def tx(self) -> Tx:
        """The store's transactions (``write()``/``read()``) as this engine opens them."""
        return self._tx

    @property
    def packs(self) -> PackRegistry:
        """The pack versions this engine knows (a case's is loaded on first use if shipped)."""
        return self._packs

    @property
    def escalator(self) -> Escalator | None:
        """The escalator evaluated inside every change (None: opened with ``escalate=False``)."""
        return self._escalator

    def _issuer(self) -> NoticeIssuer:
        """Who issues documents: the escalator's (its router), else one with no directory."""
        from zhiqian.engine.commands.issue import NoticeIssuer
        from zhiqian.engine.routing import Router

        if self._escalator is not None:
            return self._escalator.issuer
        return NoticeIssuer(self._packs, Router())

    def _install_escalator(self, router: Router | None = None) -> Escalator:
        """Evaluate escalation rules inside every change (once; a router given replaces the
        escalator's)."""
        if self._escalator is None:
            self._escalator = Escalator(self._packs, router)
        elif router is not None:
            self._escalator.router = router
        return self._escalator

    def _now(self, at: datetime | None) -> datetime:
        now = self.clock.now()
        if at is None:
            return now.astimezone(UTC)
        if at.tzinfo is None or at.utcoffset() is None:
            raise Refused(f"time {at.isoformat()} has no timezone: give an offset, e.g. +08:00")
        if at > now:
            raise Refused(f"time {at.isoformat()} is in the future (now is {now.isoformat()})")
        return at.astimezone(UTC)

    def governing(self, pack_name: str, pack_version: str) -> Governing:
        """The pack version that governs a case, loading a shipped pack of that exact version
        on first use (a case is never re-judged by another version)."""
        return self._packs.governing(pack_name, pack_version)

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
        return self.get(self._open_case(complaint, actor=actor, now=now))

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
                results.append(self.get(self._open_case(complaint, actor=actor, now=now)))
            except DuplicateCase as exc:
                results.append(exc)
        return results

    def _open_case(self, complaint: Complaint, *, actor: str, now: datetime) -> int:
        governing = self._packs.governing(self.pack.name, self.pack.version)
        with self._tx.write() as conn:
            opened = open_case(conn, governing, complaint, actor=actor, now=now)
            if self._escalator is not None:
                self._escalator.evaluate(conn, opened.case, opened.clocks, now)
        return opened.case.id

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
        if the case moved on since, ``ConflictError`` — look again before acting. Returns the
        case as the change (and the rules it triggered) wrote it, with its clocks; the history
        is not loaded (``get()`` it).
        """
        if not isinstance(actor, str) or not actor.strip():
            raise Refused("an actor is required: every change records who made it")
        actor, reason, params = clean_act(actor, reason, params)
        now = self._now(at)
        with self._tx.write() as conn:
            changed = change_cmd.change_case(
                conn,
                self._packs,
                case_id,
                event,
                actor=actor,
                reason=reason,
                now=now,
                params=params,
                expected_version=expected_version,
                rule_id=rule_id,
            )
            case, clocks = changed.case, changed.clocks
            if self._escalator is not None:
                escalated = self._escalator.evaluate(conn, case, clocks, now)
                case, clocks = escalated.case, escalated.clocks
        governing = self._packs.get(case.pack_name, case.pack_version)
        return case_queries.case_view(case, governing, now=self.clock.now(), clocks=clocks.values())

    # -- decisions: acts the law reserves to a person --------------------------------------------

    def propose(
        self,
        case_id: int,
        act: str,
        *,
        actor: str,
        reason: str,
        at: datetime | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> DecisionView:
        """Propose an act the law reserves to a person (``refer_police`` 移送公安, ``supervise``
        挂牌督办, ``raise_level`` 提级办理, ``blacklist`` 列入失信名单, ``assign_leader`` 领导包案). It
        waits, on its own clock, for the person the pack's ``decisions:`` names; nothing is done
        until that person approves it (``decide``). Rules propose the same way."""
        actor, cleaned_reason, params = clean_act(actor, reason, params)
        if not cleaned_reason:
            raise Refused("a proposal records its grounds: give a reason (提请理由)")
        now = self._now(at)
        with self._tx.write() as conn:
            case = change_cmd.load_case(conn, case_id)
            clocks = change_cmd.load_clocks(conn, case_id)
            proposed = decide_cmd.propose(
                conn,
                self._packs,
                case,
                clocks,
                act,
                actor=actor,
                now=now,
                grounds=cleaned_reason,
                params=params,
            )
            self._issue_decision_request(conn, proposed.changed, proposed.decision, now)
            if self._escalator is not None:
                self._escalator.evaluate(conn, proposed.changed.case, proposed.changed.clocks, now)
        return decision_queries.decision_view(proposed.decision)

    def decide(
        self,
        case_id: int,
        decision_id: int,
        verdict: str,
        *,
        actor: str,
        reason: str,
        at: datetime | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> DecisionView:
        """The named person's decision on a proposed act: ``approve`` performs it — its event,
        its formal document (the numbered 移送书, the 挂牌督办通知书 …) — and only then it counts;
        ``reject`` records the refusal and its reason. Both are in the case's hash chain under
        ``actor``, and both stop the decision's clock."""
        actor, cleaned_reason, params = clean_act(actor, reason, params)
        now = self._now(at)
        with self._tx.write() as conn:
            decided = decide_cmd.decide(
                conn,
                self._packs,
                case_id,
                decision_id,
                verdict,  # type: ignore[arg-type]  # checked inside: approve | reject
                actor=actor,
                reason=cleaned_reason or "",
                now=now,
                params=params,
            )
            self._issue_act_documents(conn, decided, now)
            if self._escalator is not None:
                self._escalator.evaluate(conn, decided.changed.case, decided.changed.clocks, now)
        return decision_queries.decision_view(decided.decision)

    def decisions(
        self,
        case_id: int | None = None,
        *,
        status: str | None = None,
        office: str | None = None,
        limit: int = 1000,
    ) -> list[DecisionView]:
        """Decisions of one case (all of them, oldest first), or across cases by ``status``
        (``pending`` — what waits for a decider) and deciding ``office`` (a division code: that
        office and the offices under it)."""
        if status is not None and status not in DECISION_STATUSES:
            raise InvalidArgument(
                name="status", value=status, why=f"use one of {', '.join(DECISION_STATUSES)}"
            )
        with self._tx.read() as conn:
            return decision_queries.decisions(
                conn, case_id=case_id, status=status, office=office, limit=limit
            )

    def _issue_decision_request(
        self, conn: sa.Connection, changed: change_cmd.Changed, decision: Any, now: datetime
    ) -> None:
        """The decider's form (移送审批表, 提请决定审批表): issued with the proposal."""
        case = changed.case
        self._issuer().decision_request(
            conn, self._packs.of(case), case, changed.clocks, now, decision
        )

    def _issue_act_documents(
        self, conn: sa.Connection, decided: decide_cmd.Decided, now: datetime
    ) -> None:
        """The act's formal document (移送书, 挂牌督办通知书 …): issued with the approval."""
        if decided.decision.status != "approved":
            return
        case = decided.changed.case
        self._issuer().act_documents(
            conn,
            self._packs.of(case),
            case,
            decided.changed.clocks,
            now,
            decided.decision,
            before=decided.before,
        )

    def record_access(
        self, case_id: int, *, actor: str, what: str, at: datetime | None = None
    ) -> None:
        """Record in the case's hash-chained log that ``actor`` was shown ``what`` (personal
        data unmasked, e.g. ``complainant``). Allowed in every state, closed cases included."""
        if not actor or not actor.strip():
            raise Refused("an actor is required: every access to personal data is recorded")
        now = self._now(at)
        with self._tx.write() as conn:
            change_cmd.record_access(conn, self._packs, case_id, actor=actor, what=what, now=now)

    def allowed(self, case_id: int) -> list[tuple[str, str]]:
        """(event, label) the lifecycle allows now (guards not evaluated), then the actions."""
        case = self.get(case_id, history=False)
        return case_queries.allowed(self.governing(case.pack_name, case.pack_version), case.state)

    # -- reading ------------------------------------------------------------------------------

    def get(self, case_id: int, *, history: bool = True) -> CaseView:
        """The case with its clocks, history and escalations (``history=False``: the case)."""
        with self._tx.read() as conn:
            return case_queries.get_case_view(
                conn, self._packs, case_id, history=history, now=self.clock.now()
            )

    def get_by_ref(self, ref: str, *, history: bool = True) -> CaseView:
        with self._tx.read() as conn:
            case_id = case_queries.case_id_of_ref(conn, ref)
        return self.get(case_id, history=history)

    def query(
        self,
        *,
        state: str | None = None,
        region: str | None = None,
        level: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[CaseSummary]:
        """Cases by state, handling region (a code matches itself and its subdivisions), level:
        summaries (no clocks, no history; ``get()`` one case for those)."""
        with self._tx.read() as conn:
            return case_queries.query_cases(
                conn,
                self._packs,
                state=state,
                region=region,
                level=level,
                limit=limit,
                offset=offset,
            )

    # -- audit --------------------------------------------------------------------------------

    def verify_audit(self) -> list[str]:
        """Every break in the event log's hash chains; an empty list means it verifies."""
        with self._tx.read() as conn:
            return verify_audit(conn)

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
        horizon: datetime | None = None
        if isinstance(within, Limit):
            # "due within 3 workdays": up to the close of the 3rd working day after today.
            governing = self.governing(self.pack.name, self.pack.version)
            end = compute_deadline(
                within, now, calendar=governing.calendar, tz=self.pack.timezone
            ).at
            horizon = end if end is not None else now
        elif within:
            horizon = now + within
        with self._tx.read() as conn:
            return deadline_queries.overdue(
                conn,
                self._packs,
                now=now,
                horizon=horizon,
                region=region,
                level=level,
                limit=limit,
                calendar=self.calendar,
                tz=self.pack.timezone,
            )

    def explain(self, case_id: int, *, at: datetime | None = None) -> Explanation:
        """Which clocks and escalations of the case's pack apply, with deadlines and traces."""
        now = self._now(at)
        with self._tx.read() as conn:
            return deadline_queries.explain(conn, self._packs, case_id, now=now)

    def recompute(self, *, apply: bool = False, batch: int = 1000) -> list[DeadlineMove]:
        """Recompute every open deadline with today's calendar data and the cases' packs.

        First call it with ``apply=False``: it shows which deadlines would move and by how much
        (a new State Council notice, a pack's local day). ``apply=True`` writes the moves and
        re-arms their timers, each batch in its own transaction.
        """
        from zhiqian.engine.jobs.recompute import recompute

        transaction = self._tx.write if apply else self._tx.read
        return recompute(transaction, self._packs, now=self._now(None), apply=apply, batch=batch)

    def dry_run(
        self,
        pack: str | Path | RulePack,
        *,
        at: datetime | None = None,
        every_pack: bool = False,
        region: str | None = None,
        batch: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> DryRun:
        """What adopting ``pack`` (a file, a shipped pack's name, or a loaded pack) would change
        on the open cases at ``at`` (default now), writing nothing: per case the clocks whose
        deadline moves, that would start or stop, and the escalation rules that would fire.

        Each case's clocks are replayed from its event log under the candidate
        (``zhiqian.engine.domain.replay``) and compared with the stored ones. The cases looked
        at are those governed by the candidate's pack or a pack it extends (``every_pack``: all
        open cases), of ``region`` and its subdivisions when given (where the arrears arose).
        A broken pack file is ``RuleError`` with every problem at ``file:line``; nothing is
        read. Batches of ``batch`` cases, each in its own read transaction; ``progress(n)``
        hears each batch's size.
        """
        from zhiqian.engine.queries.dry_run import dry_run

        candidate = _as_pack(pack)
        now = self._now(at)
        governing = PackRegistry(self.calendar).add(candidate)  # not the engine's registry
        scope = None if every_pack else tuple(dict.fromkeys(name for name, _ in candidate.chain))
        return dry_run(
            self._tx.read,
            governing,
            now=now,
            pack_names=scope,
            region=region,
            batch=batch,
            progress=progress,
        )

    # -- the daemon's work, one call each (the daemon runs the same functions on a schedule) ---

    def sweep(
        self,
        *,
        at: datetime | None = None,
        batch: int = 500,
        worker: str | None = None,
        router: Router | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> SweepResult:
        """Fire every timer due at ``at`` (default now): warnings, breaches, follow-ups, and the
        escalations they trigger. Safe to run in several processes at once, and to repeat.
        ``worker`` names the claimer (default host:pid), ``router`` replaces the escalator's for
        this sweep, ``stop()`` is asked between batches (the batch in hand is finished)."""
        from zhiqian.engine.jobs.sweep import sweep

        return sweep(self, now=self._now(at), batch=batch, worker=worker, router=router, stop=stop)

    def digest_due(self, *, at: datetime | None = None) -> bool:
        """Whether the pack's daily digest (每日台账摘要) is due at ``at`` (default now)."""
        from zhiqian.engine.domain.notices import digest_due

        return digest_due(self.pack, self._now(at))

    def write_monthly_ledger(
        self,
        folder: Path,
        *,
        report_id: str,
        unit_name: str,
        region: str | None = None,
        at: datetime | None = None,
    ) -> Path:
        """Write the month's 案件台账 (XLSX) for the pack's report ``report_id`` into ``folder``
        (the daemon's monthly job); returns the file's path."""
        from zhiqian.engine.jobs.monthly import write_monthly_ledger

        return write_monthly_ledger(
            self.report_cases(region=region),
            folder,
            report_id=report_id,
            now=self._now(at),
            tz=self.pack.timezone,
            unit_name=unit_name,
            region=region,
        )

    @staticmethod
    def upgrade(target: str | sa.Engine) -> SchemaUpgrade:
        """Bring zhiqian's tables in ``target`` to this version (Alembic; only ``zq_*`` tables)."""
        bind = create_engine(target) if isinstance(target, str) else target
        try:
            before = current_revision(bind)
            migrate(bind)
            return SchemaUpgrade(before=before, after=current_revision(bind), head=head_revision())
        finally:
            if isinstance(target, str):
                bind.dispose()

    # -- API tokens of the HTTP service (zhiqian serve) ------------------------------------------

    def create_token(self, *, office: str, role: str, holder: str) -> tuple[TokenRecord, str]:
        """A new API token scoped to ``office``; returns it and its secret (shown once)."""
        from zhiqian.store.tokens import create_token

        return create_token(self.bind, office=office, role=role, holder=holder, now=self._now(None))

    def tokens(self) -> list[TokenRecord]:
        """Every API token (without secrets), oldest first."""
        from zhiqian.store.tokens import list_tokens

        return list_tokens(self.bind)

    def revoke_token(self, token_id: int) -> TokenRecord | None:
        """Revoke a token (idempotent); None when there is no such token."""
        from zhiqian.store.tokens import revoke_token

        return revoke_token(self.bind, token_id, now=self._now(None))

    def deliver_notices(
        self,
        notifiers: Mapping[str, Notifier] | None = None,
        *,
        at: datetime | None = None,
        batch: int = 100,
        worker: str | None = None,
        policy: DeliveryPolicy | None = None,
        rng: random.Random | None = None,
        renderer: NoticeRenderer | None = None,
        quiet: QuietHours | bool | None = True,
        stop: Callable[[], bool] | None = None,
    ) -> DeliveryReport:
        """Send what is due in the outbox through ``notifiers`` (channel → notifier); without
        them, through the channels that need no configuration (log, and files in ./notices)."""
        from zhiqian.engine.jobs.delivery import deliver
        from zhiqian.notifiers import default_channels

        return deliver(
            self._tx,
            notifiers if notifiers is not None else default_channels(),
            pack=self.pack,
            now=self._now(at),
            batch=batch,
            worker=worker,
            policy=policy,
            rng=rng,
            renderer=renderer,
            quiet=quiet,
            stop=stop,
            recheck=self._issuer().recheck_waiting,
        )

    def make_digests(self, *, at: datetime | None = None) -> int:
        """Fold the held 超期预警 into one 每日台账摘要 per recipient for today (idempotent)."""
        from zhiqian.engine.jobs.delivery import make_digests

        return make_digests(
            self._tx,
            now=self._now(at),
            tz=self.pack.timezone,
            calendar=self.governing(self.pack.name, self.pack.version).calendar,
        )

    def notices(
        self, *, status: str | None = None, case_id: int | None = None, limit: int = 100
    ) -> list[NoticeView]:
        """Notices in the outbox, newest first; ``status`` pending|sending|sent|dead|held|…"""
        from zhiqian.engine.queries.notices import list_notices

        return list_notices(self._tx, status=status, case_id=case_id, limit=limit)

    def notice(self, notice_id: int) -> NoticeView:
        """One notice with its rendered document (``.text``)."""
        from zhiqian.engine.queries.notices import show_notice

        return show_notice(self._tx, notice_id)

    def retry_notice(self, notice_id: int) -> NoticeView:
        """Put a dead-lettered notice back in the queue; a waiting document is checked again
        and released when its facts exist now (``Refused`` naming them while they do not)."""
        from zhiqian.engine.commands.notices import retry_notice
        from zhiqian.engine.queries.notices import view_of

        with self._tx.write() as conn:
            now = self.clock.now().astimezone(UTC)
            return view_of(retry_notice(conn, notice_id, now=now, recheck=self._issuer().recheck))

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
        from zhiqian.engine.queries.report_source import report_cases

        return report_cases(
            self._tx.read,
            self._packs,
            now=self.clock.now(),
            region=region,
            received_to=received_to,
            batch=batch,
        )

    # -- performance (docs/performance.md) ------------------------------------------------------

    def performance(
        self, *, period_from: date, period_to: date, at: datetime | None = None, top: int = 10
    ) -> Performance:
        """On-time performance per office, handler, clock kind and employer category over the
        local days ``period_from`` … ``period_to`` (inclusive), as of ``at`` (default now), with
        the lights and the ``top`` most overdue clocks now. Counted in SQL: docs/performance.md."""
        from zhiqian.engine.domain.lights import pack_horizon
        from zhiqian.engine.queries.performance import measure

        now = self._now(at)
        gov = self.governing(self.pack.name, self.pack.version)
        with self._tx.read() as conn:
            return measure(
                conn,
                pack=gov.pack,
                calendar=gov.calendar,
                period_from=period_from,
                period_to=period_to,
                now=now,
                horizon=pack_horizon(gov.pack, now, calendar=gov.calendar),
                top=top,
            )


def _as_pack(pack: str | Path | RulePack) -> RulePack:
    return pack if isinstance(pack, RulePack) else load_pack(pack)


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
