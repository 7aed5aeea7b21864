"""One error shape, a status by class, never a traceback; the scope rule of division codes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.http.conftest import Service, serve
from zhiqian import errors
from zhiqian.engine.http import create_app
from zhiqian.engine.http.auth import covers, narrowest
from zhiqian.engine.http.errors import (
    BadRequest,
    Forbidden,
    IdempotencyKeyReused,
    NoticeNotFound,
    PreconditionFailed,
    RequestInvalid,
    Unauthorized,
    error_body,
    status_for,
)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (BadRequest("x"), 400),
        (Unauthorized("x"), 401),
        (Forbidden("x", role="auditor", needs=["clerk"]), 403),
        (errors.CaseNotFound(1), 404),
        (NoticeNotFound(1), 404),
        (errors.TransitionRefused(case=1, event="close", state="accepted"), 409),
        (errors.ExtensionRefused(case=1, clock="c", why="no"), 409),
        (errors.Refused("x"), 409),
        (errors.ConflictError(case=1, expected=2), 409),
        (errors.DuplicateCase("r", 1), 409),
        (PreconditionFailed(case=1, expected='"2"', current=3), 412),
        (errors.InvalidIntake([errors.FieldProblem("workers", -1, "at least 1")]), 422),
        (RequestInvalid([errors.FieldProblem("limit", 0, "≥ 1")]), 422),
        (IdempotencyKeyReused("k"), 422),
        (errors.StoreError("down"), 503),
        (RuntimeError("a bug"), 500),
    ],
)
def test_each_class_has_its_status_and_every_body_has_the_shape(
    exc: BaseException, status: int
) -> None:
    assert status_for(exc) == status
    if isinstance(exc, errors.ZhiqianError):
        body = error_body(exc)
        assert set(body) == {"error"}
        assert {"type", "message", "problems"} <= set(body["error"])
        assert body["error"]["type"] == type(exc).__name__


def test_division_scope() -> None:
    assert covers("140302", "140302")
    assert not covers("140302", "140303")
    assert covers("140300", "140303")
    assert not covers("140300", "140402")
    assert covers("140000", "140402")
    assert not covers("140000", "150102")
    assert narrowest("140300", None) == "140300"
    assert narrowest("140300", "140302") == "140302"
    assert narrowest("140302", "140300") == "140302"
    assert narrowest("140302", "140303") is None


class _Broken:
    """The real engine, except that listing cases hits a bug."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def query(self, **_: Any) -> Any:
        raise RuntimeError("secret internals /srv/zhiqian/engine.py line 42")


def test_a_bug_is_a_500_in_our_shape_without_a_traceback(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    running = serve(create_app(_Broken(service.engine)))  # type: ignore[arg-type]
    base = next(running)
    try:
        got = httpx.get(
            f"{base}/v1/cases", headers={"Authorization": f"Bearer {service.tokens['a']}"}
        )
    finally:
        running.close()
    assert got.status_code == 500
    assert got.json()["error"]["type"] == "InternalError"
    assert "secret internals" not in got.text
    assert "Traceback" not in got.text
    assert any("secret internals" in r.getMessage() or r.exc_info for r in caplog.records)
