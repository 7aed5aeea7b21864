"""``python -m zhiqian.engine.service URL [--once] [--at ISO]``: the daemon without the CLI.

The same options as ``zhiqian daemon`` (the URL and ``--pack`` are the CLI's global ``--db`` and
``--rules``); both end in :func:`zhiqian.engine.service.run` with ``Settings.from_env()``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from zhiqian import ZhiqianError
from zhiqian.engine.service import daemon
from zhiqian.engine.service.logging import json_logging, start_failed
from zhiqian.engine.service.settings import Settings, address_variables
from zhiqian.rules import load_pack

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zhiqian.engine.service")
    p.add_argument("url", nargs="?", default=None, help="database URL (default: ZHIQIAN_DB)")
    p.add_argument("--pack", default=None, help="rule pack name or file (default: ZHIQIAN_RULES)")
    p.add_argument("--once", action="store_true", help="one sweep and delivery, then exit")
    p.add_argument("--notice-dir", default=None, help="folder of the file channel")
    p.add_argument("--sweep-seconds", type=float, default=30.0)
    p.add_argument("--deliver-seconds", type=float, default=15.0)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--worker", default=None)
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    p.add_argument(
        "--at", default=None, help="run as if it were this moment (ISO 8601 with offset)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    level = args.log_level.upper()
    with json_logging(sys.stderr, level=level):
        try:  # what fails before run() is logged the same way as what fails in it
            at = datetime.fromisoformat(args.at) if args.at else None
            pack = load_pack(args.pack or Settings.from_env().pack or "national")
            settings = Settings.from_env(address_env=address_variables(pack))
        except (ZhiqianError, ValueError) as exc:
            start_failed(exc)
            return 1
    if args.notice_dir is not None:
        settings = dataclasses.replace(settings, notice_dir=Path(args.notice_dir))
    try:
        return daemon.run(  # looked up at call time: the one entry, also for a test's stand-in
            settings,
            args.url,
            pack=pack,
            once=args.once,
            at=at,
            sweep_seconds=args.sweep_seconds,
            deliver_seconds=args.deliver_seconds,
            batch=args.batch,
            worker=args.worker,
            log_level=level,
        )
    except ZhiqianError:
        return 1  # run() logged it as a JSON line


if __name__ == "__main__":
    raise SystemExit(main())
