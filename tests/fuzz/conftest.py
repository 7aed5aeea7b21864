"""Fuzz suites (issue 11, item 8): the figures of every surface at the end of the run, and the
counters (``_fuzz_tally``) importable by the tests next to this file.

Every suite runs a fixed sample of each surface (``ZHIQIAN_FUZZ_EXAMPLES``, 150) and the
slow-marked random run (``ZHIQIAN_FUZZ_SLOW_EXAMPLES``, 1,000 per surface; CI runs it too). The
issue's full figure is 10,000 generated cases per surface, printed as tried / refused / accepted /
crashed / partial writes::

    ZHIQIAN_FUZZ_SLOW_EXAMPLES=10000 .venv/bin/python -m pytest -p no:cacheprovider -m slow tests/fuzz

(one process: the figures are counted in-process, so without ``-n``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzz_tally import TALLIES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not any(t.tried for t in TALLIES):
        return
    terminalreporter.section("fuzz figures")
    for found in TALLIES:
        if found.tried:
            terminalreporter.write_line(found.line())
