"""The long-running program (the daemon). Nothing in the library imports it.

- ``settings``: the one :class:`Settings` object, built from the environment;
- ``daemon``: the :class:`Daemon` (jobs on an APScheduler) and :func:`run`, the one entry that
  ``zhiqian daemon`` and ``python -m zhiqian.engine.service`` share;
- ``logging``: JSON lines for zhiqian's and APScheduler's loggers.
"""

from __future__ import annotations

from zhiqian.engine.service.daemon import Daemon as Daemon
from zhiqian.engine.service.daemon import run as run
from zhiqian.engine.service.daemon import run_daemon as run_daemon
from zhiqian.engine.service.settings import Settings as Settings
from zhiqian.engine.service.settings import SettingsError as SettingsError
from zhiqian.engine.service.settings import SmtpSettings as SmtpSettings

__all__ = ["Daemon", "Settings", "SettingsError", "SmtpSettings", "run", "run_daemon"]
