"""Fuzz suites (issue 11, item 8): the figures of every surface at the end of the run, and the
counters (``_fuzz_tally``) importable by the tests next to this file.

The normal suite runs a fixed sample of each surface (``ZHIQIAN_FUZZ_EXAMPLES``, 150). The slow
run takes 10,000 generated cases per surface (``ZHIQIAN_FUZZ_SLOW_EXAMPLES``) and prints the
figures (tried / refused / accepted / crashed / partial writes)::

    ZHIQIAN_FUZZ_SLOW=1 .venv/bin/python -m pytest -p no:cacheprovider -m slow tests/fuzz

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
