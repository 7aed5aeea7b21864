"""``zhiqian daemon``: APScheduler 3 ticks the sweep and the outbox; the database decides.

Jobs (a ``BlockingScheduler`` in the pack's time zone):

- ``sweep``   every ``sweep_seconds``: fire due timers, escalate, queue notices;
- ``deliver`` every ``deliver_seconds``: send what is due in the outbox;
- ``digest``  daily at the pack's ``routing.digest.at``: fold held warnings into 每日台账摘要;
- ``monthly`` on each ``day_of_month`` of the pack's ``routing.reports`` (阳泉: the 28th): write
  the 案件台账 (case ledger, XLSX) of the office's region for the month into ``reports_dir`` and
  log it (a second daemon writes the same file name: the file is replaced, not duplicated).

Interval jobs run with ``coalesce=True`` and ``max_instances=1`` (a slow pass is never run twice
at once, missed runs collapse into one) and ``misfire_grace_time`` equal to their interval (a run
later than that is dropped: the next one is due soon and does the same work). The cron jobs get an
hour of grace. Per-case deadlines are rows in ``zq_timers``, never APScheduler jobs: a job store
is neither meant for a million jobs nor safe to share between schedulers, and our table is.

Several daemons may run on one PostgreSQL database (see ``zhiqian.engine.jobs.sweep``). SIGTERM or
SIGINT: the batch in hand is finished and committed, the scheduler shuts down, exit code 0. Logs
are one JSON object per line on stderr. ``once=True`` does one sweep, the digest if its time has
come, one delivery pass, and exits — for cron.

Run it as ``zhiqian daemon`` or ``python -m zhiqian.engine.service.daemon URL [--once]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from zhiqian.clock import Clock, FrozenClock
from zhiqian.engine.domain.notices import digest_due
from zhiqian.engine.escalation import install
from zhiqian.engine.jobs.delivery import DeliveryPolicy
from zhiqian.engine.jobs.sweep import SweepResult, sweep
from zhiqian.engine.jobs.worker import default_worker
from zhiqian.engine.routing import Router
from zhiqian.notifiers import (
    AppriseNotifier,
    FileNotifier,
    LogNotifier,
    NoticeRenderer,
    Notifier,
    SmtpNotifier,
    WebhookNotifier,
)

if TYPE_CHECKING:
    from zhiqian.engine.engine import Engine

__all__ = [
    "Daemon",
    "JsonFormatter",
    "main",
    "notifiers_from_env",
    "run",
    "run_daemon",
]

_log = logging.getLogger("zhiqian.daemon")


# -- configuration -------------------------------------------------------------------------------


def notifiers_from_env(
    environ: Mapping[str, str] | None = None, *, notice_dir: str | os.PathLike[str] | None = None
) -> dict[str, Notifier]:
    """The channels a deployment configured in its environment (channel → notifier).

    Always: ``log``, and ``file`` into ``notice_dir`` / ``ZHIQIAN_NOTICE_DIR`` (default
    ``./notices``). ``email`` when ``ZHIQIAN_SMTP_HOST`` is set (``ZHIQIAN_SMTP_PORT``,
    ``ZHIQIAN_SMTP_SENDER``, ``ZHIQIAN_SMTP_STARTTLS=1``; credentials in ``ZHIQIAN_SMTP_USER`` /
    ``ZHIQIAN_SMTP_PASSWORD``). ``webhook`` always (its URL is the notice's address; the HMAC
    secret in ``ZHIQIAN_WEBHOOK_SECRET`` when set). ``apprise`` always (URLs are addresses).
    """
    env = os.environ if environ is None else environ
    folder = notice_dir or env.get("ZHIQIAN_NOTICE_DIR") or "notices"
    out: dict[str, Notifier] = {"log": LogNotifier(), "file": FileNotifier(folder)}
    host = env.get("ZHIQIAN_SMTP_HOST")
    if host:
        out["email"] = SmtpNotifier(
            host,
            int(env.get("ZHIQIAN_SMTP_PORT", "25")),
            env.get("ZHIQIAN_SMTP_SENDER", "zhiqian@localhost"),
            starttls=env.get("ZHIQIAN_SMTP_STARTTLS") == "1",
            username_env="ZHIQIAN_SMTP_USER" if env.get("ZHIQIAN_SMTP_USER") else None,
            password_env="ZHIQIAN_SMTP_PASSWORD" if env.get("ZHIQIAN_SMTP_PASSWORD") else None,
            name="email",
        )
    secret = "ZHIQIAN_WEBHOOK_SECRET" if env.get("ZHIQIAN_WEBHOOK_SECRET") else None
    out["webhook"] = WebhookNotifier(None, secret_env=secret)
    out["apprise"] = AppriseNotifier()
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``zq`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "zq", None)
        if isinstance(fields, Mapping):
            data.update(fields)
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _json_logging(stream: IO[str]) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("zhiqian")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    return handler


def _info(event: str, **fields: Any) -> None:
    _log.info(event, extra={"zq": {"event": event, **fields}})


# -- the daemon ----------------------------------------------------------------------------------


class Daemon:
    """The jobs, with what they share (engine, channels, policy) and the stop flag."""

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
    ) -> None:
        self.engine = engine
        self.reports_dir = Path(reports_dir) if reports_dir is not None else None
        self.region = region
        self.router = router
        install(engine, router=router)
        self.notifiers = dict(notifiers) if notifiers is not None else notifiers_from_env()
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
        result = sweep(
            self.engine, now=now, batch=self.batch, worker=self.worker, stop=self.stop.is_set
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
        report = next(r for r in self.engine.pack.routing.reports if r.id == report_id)
        _info(
            "monthly_report_due",
            report=report.id,
            label=report.label,
            to=list(report.to),
            basis=report.basis,
        )
        if self.reports_dir is not None:
            path = write_monthly_ledger(
                self.engine, self.reports_dir, report_id=report.id, now=now, region=self.region
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
        if digest_due(self.engine.pack, self.engine.clock.now()):
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
        _info("start", worker=self.worker, pack=f"{pack.name} {pack.version}")
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


def write_monthly_ledger(
    engine: Engine,
    folder: Path,
    *,
    report_id: str,
    now: datetime,
    region: str | None = None,
) -> Path:
    """The 案件台账 from the 1st of ``now``'s month to ``now`` (local), written as XLSX."""
    from zhiqian.engine.reports import ledger, write_ledger_xlsx

    tz = engine.pack.timezone
    today = now.astimezone(tz).date()
    book = ledger(
        engine.report_cases(region=region),
        region=region,
        period_from=today.replace(day=1),
        period_to=today,
        made_at=now,
        unit_name=engine.pack.label,
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report_id}-{region or 'all'}-{today:%Y-%m}.xlsx"
    write_ledger_xlsx(book, path)
    return path


def run(engine: Engine, *, once: bool = False, **options: Any) -> int:
    """Run the daemon on an open engine (the CLI's ``zhiqian daemon``); returns the exit code."""
    intervals = {k: options.pop(k) for k in ("sweep_seconds", "deliver_seconds") if k in options}
    daemon = Daemon(engine, **options)
    return daemon.run_once() if once else daemon.run(**intervals)


def run_daemon(
    url: str,
    *,
    pack: str | Path = "national",
    once: bool = False,
    clock: Clock | None = None,
    create: bool = False,
    notifiers: Mapping[str, Notifier] | None = None,
    notice_dir: str | os.PathLike[str] | None = None,
    sweep_seconds: float = 30.0,
    deliver_seconds: float = 15.0,
    batch: int = 500,
    worker: str | None = None,
    policy: DeliveryPolicy | None = None,
    log_stream: IO[str] | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Open the database and run the daemon until SIGTERM (or one pass with ``once``).

    ``reports_dir`` (default: the ``ZHIQIAN_REPORTS_DIR`` environment variable) receives the
    monthly 案件台账; without it the monthly job only logs that the report is due."""
    reports_dir = reports_dir or os.environ.get("ZHIQIAN_REPORTS_DIR") or None
    from zhiqian.engine.engine import Engine

    handler = _json_logging(log_stream or sys.stderr)
    try:
        with Engine.open(url, pack=pack, clock=clock, create=create) as engine:
            channels = (
                notifiers if notifiers is not None else notifiers_from_env(notice_dir=notice_dir)
            )
            daemon = Daemon(
                engine,
                notifiers=channels,
                batch=batch,
                worker=worker,
                policy=policy,
                reports_dir=reports_dir,
            )
            if once:
                return daemon.run_once()
            return daemon.run(sweep_seconds=sweep_seconds, deliver_seconds=deliver_seconds)
    finally:
        logging.getLogger("zhiqian").removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zhiqian.engine.service.daemon")
    parser.add_argument("url", help="database URL (sqlite:///FILE or postgresql://…)")
    parser.add_argument("--pack", default="national", help="rule pack name or file")
    parser.add_argument("--once", action="store_true", help="one sweep and delivery, then exit")
    parser.add_argument("--notice-dir", default=None, help="folder of the file channel")
    parser.add_argument("--sweep-seconds", type=float, default=30.0)
    parser.add_argument("--deliver-seconds", type=float, default=15.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--worker", default=None)
    parser.add_argument(
        "--at", default=None, help="run as if it were this moment (ISO 8601 with offset)"
    )
    args = parser.parse_args(argv)
    clock: Clock | None = None
    if args.at:
        clock = FrozenClock(datetime.fromisoformat(args.at))
    return run_daemon(
        args.url,
        pack=args.pack,
        once=args.once,
        clock=clock,
        notice_dir=args.notice_dir,
        sweep_seconds=args.sweep_seconds,
        deliver_seconds=args.deliver_seconds,
        batch=args.batch,
        worker=args.worker,
    )


if __name__ == "__main__":
    raise SystemExit(main())
