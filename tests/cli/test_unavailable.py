"""Commands whose library call is not in this build yet: registered, documented, exit 2.

Each test skips itself once the library provides the call; the command then works through the
same code path (see docs/cli.md for the calls each one makes)."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from zhiqian import Engine

# command line → the Engine attribute (or module) it needs
NEEDS = [
    (["sweep", "--at", "2026-12-01"], "sweep"),
    (["notices", "list", "--status", "dead"], "notices"),
    (["notices", "show", "1"], "notice"),
    (["notices", "retry", "1"], "retry_notice"),
    (["notices", "deliver"], "deliver_notices"),
    (["daemon", "--once"], "module:zhiqian.engine.daemon"),
    (["demo"], "module:zhiqian.engine.demo"),
]


def _provided(need: str) -> bool:
    if need.startswith("module:"):
        return importlib.util.find_spec(need.removeprefix("module:")) is not None
    return hasattr(Engine, need)


@pytest.mark.parametrize(("args", "need"), NEEDS, ids=[" ".join(a[:2]) for a, _ in NEEDS])
def test_not_available_yet_exits_2(cli: Any, args: list[str], need: str) -> None:
    if _provided(need):
        pytest.skip(f"{need} exists now")
    done = cli(*args, "--format", "json") if args[0] not in ("daemon", "demo") else cli(*args)
    assert done.code == 2
    assert done.stdout == ""
    if args[0] in ("daemon", "demo"):
        assert "not available in this build yet" in done.stderr
    else:
        error = done.error()
        assert error["type"] == "NotAvailable"
        assert "not available in this build yet" in error["message"]
