"""``zhiqian daemon``: APScheduler 3 ticks the sweep and the outbox; the database decides.

Jobs (a ``BlockingScheduler`` in the pack's time zone):

- ``sweep``   every ``sweep_seconds``: fire due timers, escalate, queue notices;
- ``deliver`` every ``deliver_seconds``: send what is due in the outbox;
- ``digest``  daily at the pack's ``routing.digest.at``: fold held warnings into 每日台账摘要;
- ``monthly`` on each ``day_of_month`` of the pack's ``routing.reports`` (阳泉: the 28th): write
  the 案件台账 (case ledger, XLSX) of the office's region for the month into ``reports_dir``
  (``zhiqian.engine.jobs.monthly``) and log it.

Interval jobs run with ``coalesce=True`` and ``max_instances=1`` (a slow pass is never run twice
at once, missed runs collapse into one) and ``misfire_grace_time`` equal to their interval (a run
later than that is dropped: the next one is due soon and does the same work). The cron jobs get an
hour of grace. Per-case deadlines are rows in ``zq_timers``, never APScheduler jobs: a job store
is neither meant for a million jobs nor safe to share between schedulers, and our table is.

Several daemons may run on one PostgreSQL database (see ``zhiqian.engine.jobs.sweep``). SIGTERM or
SIGINT: the batch in hand is finished and committed, the scheduler shuts down, exit code 0. Logs
are one JSON object per line on stderr (``zhiqian.engine.service.logging``). ``once=True`` does
one sweep, the digest if its time has come, one delivery pass, and exits — for cron.

One code path: ``zhiqian daemon`` and ``python -m zhiqian.engine.service URL [--once]`` both
come to :func:`run` with the deployment's :class:`~zhiqian.engine.service.settings.Settings`.
The :class:`Daemon` itself reads no configuration and leaves the engine as it was opened: an
engine opened with ``escalate=False`` stays without escalation on its changes (the sweep still
evaluates the rules when a timer falls due, as ``Engine.sweep`` does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import zhiqian
from zhiqian import (
    Clock,
    DeliveryPolicy,
    FrozenClock,
    Router,
    RuleError,
    RuleProblem,
    SweepResult,
    default_worker,
)
from zhiqian.engine.service.logging import JsonFormatter, event, json_logging, start_failed
from zhiqian.engine.service.settings import Settings, SettingsError, address_variables
from zhiqian.notifiers import NoticeRenderer, Notifier, default_channels
from zhiqian.rules import RulePack, load_pack

if TYPE_CHECKING:
    from zhiqian import Engine

__all__ = [
    "Daemon",
    "JsonFormatter",
    "notifiers_from_env",
    "run",
    "run_daemon",
]

_log = logging.getLogger("zhiqian.daemon")
_info = event


# -- the daemon ----------------------------------------------------------------------------------


class Daemon:
    """The jobs, with what they share (engine, channels, router, policy) and the stop flag.

    Everything is passed in: ``notifiers`` default to ``zhiqian.notifiers.default_channels()``
    (log and ``./notices``), ``router`` to the engine's own (the sweep's escalator), the monthly
    ledger is written only with a ``reports_dir``."""

    def __init__(
        self,
        engine: Engine,
        *,
        notifiers: Mapping[str, Notifier] | None = None,
        router: Router | None = None,
        policy: DeliveryPolicy | None = None,
        renderer: NoticeRenderer | None = None,
        worker: str | None = None,
        batch: int = 500,
        deliver_batch: int = 100,
        rng: random.Random | None = None,
        on_monthly: Callable[[Engine, str, datetime], None] | None = None,
        reports_dir: str | os.PathLike[str] | None = None,
        region: str | None = None,
        unit: str | None = None,
    ) -> None:
        self.engine = engine
        self.reports_dir = Path(reports_dir) if reports_dir is not None else None
        self.region = region
        self.unit = unit
        self.router = router
        self.notifiers = dict(notifiers) if notifiers is not None else default_channels()
        self.policy = policy or DeliveryPolicy()
        self.renderer = renderer or NoticeRenderer()
        self.renderer.check()
        self.worker = (worker or default_worker())[:64]
        self.batch = batch
        self.deliver_batch = deliver_batch
        self.rng = rng or random.Random()
        self.on_monthly = on_monthly
        self.stop = threading.Event()

    def sweep_job(self) -> SweepResult:
        now = self.engine.clock.now()
        result = self.engine.sweep(
            at=now,
            batch=self.batch,
            worker=self.worker,
            router=self.router,
            stop=self.stop.is_set,
        )
        if result.cases or result.failed:
            _info(
                "sweep",
                worker=self.worker,
                fired=result.fired,
                escalations=result.escalations,
                notices=result.notices,
                cases=result.cases,
                failed=result.failed,
            )
        return result

    def deliver_job(self) -> None:
        report = self.engine.deliver_notices(
            self.notifiers,
            batch=self.deliver_batch,
            worker=self.worker,
            policy=self.policy,
            rng=self.rng,
            renderer=self.renderer,
            stop=self.stop.is_set,
        )
        if report.sent or report.retried or report.dead or report.deferred:
            _info(
                "deliver",
                worker=self.worker,
                sent=report.sent,
                retried=report.retried,
                dead=report.dead,
                deferred=report.deferred,
            )

    def digest_job(self) -> None:
        made = self.engine.make_digests()
        _info("digest", worker=self.worker, digests=made)

    def monthly_job(self, report_id: str) -> None:
        now = self.engine.clock.now()
        pack = self.engine.pack
        report = next((r for r in pack.routing.reports if r.id == report_id), None)
        if report is None:
            known = ", ".join(r.id for r in pack.routing.reports) or "none"
            raise RuleError(
                [
                    RuleProblem(
                        pack.name, None, f"no report {report_id!r} (routing.reports: {known})"
                    )
                ]
            )
        today = now.astimezone(pack.timezone).date()
        if not report.owed_on(today):  # a campaign's ledger is not owed after the campaign
            _info("monthly_report_not_owed", report=report.id, day=today.isoformat())
            return
        _info(
            "monthly_report_due",
            report=report.id,
            label=report.label,
            to=list(report.to),
            basis=report.basis,
        )
        if self.reports_dir is not None:
            path = self.engine.write_monthly_ledger(
                self.reports_dir,
                report_id=report.id,
                unit_name=self.unit or pack.label,
                region=self.region,
                at=now,
            )
            _info("monthly_report_written", report=report.id, path=str(path))
        if self.on_monthly is not None:
            self.on_monthly(self.engine, report.id, now)

    def _guarded(self, job: Callable[[], object], name: str) -> Callable[[], None]:
        def run_job() -> None:
            if self.stop.is_set():
                return
            try:
                job()
            except Exception:  # logged; the next tick tries again
                _log.exception("%s failed", name, extra={"zq": {"event": f"{name}_failed"}})

        return run_job

    def run_once(self) -> int:
        self._guarded(self.sweep_job, "sweep")()
        if self.engine.digest_due():
            self._guarded(self.digest_job, "digest")()
        self._guarded(self.deliver_job, "deliver")()
        return 0

    def run(
        self,
        *,
        sweep_seconds: float = 30.0,
        deliver_seconds: float = 15.0,
        handle_signals: bool = True,
    ) -> int:
        from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
        from apscheduler.schedulers import SchedulerNotRunningError
        from apscheduler.schedulers.blocking import BlockingScheduler

        pack = self.engine.pack
        scheduler = BlockingScheduler(
            timezone=pack.timezone, job_defaults={"coalesce": True, "max_instances": 1}
        )
        stopper: list[threading.Thread] = []

        def shut_down() -> None:
            with contextlib.suppress(SchedulerNotRunningError):  # both paths below got here
                scheduler.shutdown(wait=True)

        def request_shutdown() -> None:
            # Shut down from a thread: it waits for the job in hand, which checks the stop flag
            # between batches; the signal handler itself must not block on it. A scheduler not
            # running yet is shut down by the listener below as soon as it starts.
            if stopper or not scheduler.running:
                return
            thread = threading.Thread(target=shut_down, name="zhiqian-daemon-stop")
            stopper.append(thread)
            thread.start()

        def on_signal(signum: int, _frame: object) -> None:
            _info("stopping", signal=signal.Signals(signum).name, worker=self.worker)
            self.stop.set()
            request_shutdown()

        def on_started(_event: SchedulerEvent) -> None:
            # A signal that came after the last look at the stop flag but before the scheduler
            # counted as running found nothing to shut down: without this, start() blocks on.
            if self.stop.is_set():
                request_shutdown()

        scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)

        if handle_signals and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        _info(
            "start",
            worker=self.worker,
            pack=f"{pack.name} {pack.version}",
            version=zhiqian.__version__,
            database=self.engine.bind.url.render_as_string(hide_password=True),
            sweep_seconds=sweep_seconds,
            deliver_seconds=deliver_seconds,
            channels=sorted(self.notifiers),
            reports_dir=None if self.reports_dir is None else str(self.reports_dir),
        )
        # A first pass at once: the interval jobs then keep time from here.
        self.run_once()
        if self.stop.is_set():
            _info("stopped", worker=self.worker)
            return 0
        scheduler.add_job(
            self._guarded(self.sweep_job, "sweep"),
            "interval",
            seconds=sweep_seconds,
            id="sweep",
            misfire_grace_time=max(1, int(sweep_seconds)),
        )
        scheduler.add_job(
            self._guarded(self.deliver_job, "deliver"),
            "interval",
            seconds=deliver_seconds,
            id="deliver",
            misfire_grace_time=max(1, int(deliver_seconds)),
        )
        digest = pack.routing.digest
        if digest is not None:
            scheduler.add_job(
                self._guarded(self.digest_job, "digest"),
                "cron",
                hour=digest.at.hour,
                minute=digest.at.minute,
                id="digest",
                misfire_grace_time=3600,
            )
        for day in sorted({r.day_of_month for r in pack.routing.reports if r.day_of_month}):
            for report in (r for r in pack.routing.reports if r.day_of_month == day):
                scheduler.add_job(
                    self._guarded(functools.partial(self.monthly_job, report.id), "monthly"),
                    "cron",
                    day=day,
                    hour=9,
                    id=f"monthly:{report.id}",
                    misfire_grace_time=3600,
                )
        if not self.stop.is_set():
            scheduler.start()  # blocks until shutdown
        for thread in stopper:
            thread.join()
        _info("stopped", worker=self.worker)
        return 0


# -- entry points ----------------------------------------------------------------------------------


def run(
    settings: Settings,
    url: str | None = None,
    *,
    pack: str | Path | RulePack | None = None,
    once: bool = False,
    at: datetime | None = None,
    clock: Clock | None = None,
    create: bool = False,
    notifiers: Mapping[str, Notifier] | None = None,
    sweep_seconds: float = 30.0,
    deliver_seconds: float = 15.0,
    batch: int = 500,
    worker: str | None = None,
    policy: DeliveryPolicy | None = None,
    log_stream: IO[str] | None = None,
    log_level: int | str = logging.INFO,
) -> int:
    """THE daemon entry: open the database with ``settings`` and run until SIGTERM (or one pass
    with ``once``); returns the exit code. Logs are JSON lines on ``log_stream`` (stderr).

    ``url`` and ``pack`` default to the settings' (``ZHIQIAN_DB``, ``ZHIQIAN_RULES``, else
    ``national``); ``at`` runs as if it were that moment (a frozen clock; or pass ``clock``).
    The settings give the calendar, the router (addresses, leaders), the channels (unless
    ``notifiers`` are given), the reports folder and the reporting unit. A failure to start is
    logged as one JSON line (``start_failed``) and raised."""
    if at is not None:
        if clock is not None:
            raise TypeError("run: give at or clock, not both")
        clock = FrozenClock(at)
    from zhiqian import Engine  # the lazy facade: the engine's imports wait until here

    with json_logging(log_stream or sys.stderr, level=log_level):
        try:
            target = url or settings.database
            if target is None:
                raise SettingsError("ZHIQIAN_DB", "no database URL given", source="default")
            rule_pack = _pack(pack if pack is not None else settings.pack)
            router = settings.router()
            channels = dict(notifiers) if notifiers is not None else settings.channels([rule_pack])
            engine = Engine.open(
                target,
                pack=rule_pack,
                clock=clock,
                create=create,
                calendar=settings.calendar(),
                router=router,
            )
        except Exception as exc:
            start_failed(exc)
            raise
        with engine:
            daemon = Daemon(
                engine,
                notifiers=channels,
                router=router,
                batch=batch,
                worker=worker,
                policy=policy,
                reports_dir=settings.reports_dir,
                unit=settings.unit,
            )
            if once:
                return daemon.run_once()
            return daemon.run(sweep_seconds=sweep_seconds, deliver_seconds=deliver_seconds)


def run_daemon(
    url: str,
    *,
    pack: str | Path | RulePack = "national",
    notice_dir: str | os.PathLike[str] | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> int:
    """:func:`run` with the settings of the environment (what ``zhiqian daemon`` calls);
    ``notice_dir`` / ``reports_dir`` override the settings' folders."""
    rule_pack = _pack(pack)
    settings = Settings.from_env(address_env=address_variables(rule_pack))
    if notice_dir is not None:
        settings = dataclasses.replace(settings, notice_dir=Path(notice_dir))
    if reports_dir is not None:
        settings = dataclasses.replace(settings, reports_dir=Path(reports_dir))
    return run(settings, url, pack=rule_pack, **options)


def notifiers_from_env(
    environ: Mapping[str, str] | None = None, *, notice_dir: str | os.PathLike[str] | None = None
) -> dict[str, Notifier]:
    """The channels of the environment's settings (``Settings.from_env(environ).channels()``):
    log, file (into ``notice_dir`` / ``ZHIQIAN_NOTICE_DIR``), webhook, apprise, and email when
    ``ZHIQIAN_SMTP_HOST`` is set. Kept for ``zhiqian notices deliver``."""
    settings = Settings.from_env(environ)
    if notice_dir is not None:
        settings = dataclasses.replace(settings, notice_dir=Path(notice_dir))
    return settings.channels()


def _pack(pack: str | Path | RulePack | None) -> RulePack:
    if isinstance(pack, RulePack):
        return pack
    return load_pack(pack if pack is not None else "national")
