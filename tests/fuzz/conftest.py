"""Fuzz suites (issue 11, item 8): the figures of every surface at the end of the run, and the
counters (``_fuzz_tally``) importable by the tests next to this file."""

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
