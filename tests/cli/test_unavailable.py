"""A library call this build lacks: NotAvailable, which the CLI reports as bad usage (exit 2)."""

from __future__ import annotations

import pytest

from zhiqian.engine.cli.app import NotAvailable, _library


def test_a_missing_module_or_function_is_not_available() -> None:
    with pytest.raises(NotAvailable, match=r"needs zhiqian\.engine\.nothing\.run"):
        _library("nothing", "zhiqian.engine.nothing", "run")
    with pytest.raises(NotAvailable, match=r"needs zhiqian\.engine\.domain\.intake\.no_such"):
        _library("intake", "zhiqian.engine.domain.intake", "no_such")
