"""The HTTP service's errors: our tree, one JSON shape, a status chosen by class.

Every error response is the object the CLI prints with ``--format json`` (docs/cli.md)::

    {"error": {"type": "TransitionRefused", "message": "…", "problems": [], "case": 1, …}}

so one document describes both. The status follows the class, never the message:

====================================  ======  =============================================
class                                 status  why
====================================  ======  =============================================
BadRequest (malformed JSON, header)     400   the request cannot be read at all
Unauthorized                            401   no token, an unknown one or a revoked one
Forbidden                               403   the token's role may not do this (an auditor
                                              writing, a clerk asking for personal data)
CaseNotFound, NoticeNotFound            404   also for a case of another division: ids of
                                              other counties do not leak
Refused, TransitionRefused,             409   the case's state does not allow it now
ExtensionRefused
ConflictError, DuplicateCase            409   someone else changed the case first (lost
                                              race); the ref is taken
PreconditionFailed                      412   ``If-Match`` names a version the case has
                                              left already (a stale screen)
InvalidIntake, RequestInvalid,          422   the body is readable but wrong
IdempotencyKeyReused
RuleError                               422   a rule pack refused what was asked
StoreError                              503   the database is unusable: try again later
anything else                           500   a bug: logged with its traceback on the
                                              server, never sent
====================================  ======  =============================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zhiqian import errors
from zhiqian.engine.cli.output import error_payload, to_jsonable

__all__ = [
    "BadRequest",
    "Forbidden",
    "HttpError",
    "IdempotencyKeyReused",
    "NoticeNotFound",
    "PreconditionFailed",
    "RequestInvalid",
    "Unauthorized",
    "error_body",
    "internal_error_body",
    "status_for",
]


class HttpError(errors.ZhiqianError):
    """Root of the errors only the HTTP service raises (still a ``ZhiqianError``)."""

    status = 400


class BadRequest(HttpError):
    """The request cannot be read (malformed JSON, a header in the wrong form)."""

    status = 400


class Unauthorized(HttpError):
    """No ``Authorization: Bearer`` token, or one that is unknown or revoked."""

    status = 401


class Forbidden(HttpError):
    """The token's role may not do this; ``role`` and ``needs`` say which."""

    status = 403

    def __init__(self, message: str, *, role: str, needs: Sequence[str]) -> None:
        self.role = role
        self.needs = tuple(needs)
        super().__init__(message)


class NoticeNotFound(HttpError, LookupError):
    """No notice with this id that the token may see."""

    status = 404

    def __init__(self, notice: int) -> None:
        self.notice = notice
        super().__init__(f"no notice {notice!r}")


class PreconditionFailed(HttpError):
    """``If-Match`` names version ``expected``; the case is at ``current``: reload it."""

    status = 412

    def __init__(self, *, case: int, expected: str, current: int) -> None:
        self.case = case
        self.expected = expected
        self.current = current
        super().__init__(
            f"case {case} is at version {current}, the request was made against {expected}: "
            "reload the case and try again"
        )


class RequestInvalid(HttpError):
    """Parameters or body fields of the wrong type or out of range; ``problems`` names each."""

    status = 422

    def __init__(self, problems: Sequence[errors.FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid request")


class IdempotencyKeyReused(HttpError):
    """The ``Idempotency-Key`` was used before with a different request."""

    status = 422

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"Idempotency-Key {key!r} was used for a different request: "
            "use a new key for a new request"
        )


_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (errors.CaseNotFound, 404),
    (errors.InvalidIntake, 422),
    (errors.Refused, 409),
    (errors.ConflictError, 409),
    (errors.DuplicateCase, 409),
    (errors.RuleError, 422),
    (errors.StoreError, 503),
    (errors.AuditError, 409),
    (errors.NotifierError, 502),
)


def status_for(exc: BaseException) -> int:
    if isinstance(exc, HttpError):
        return exc.status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(exc: BaseException) -> dict[str, Any]:
    """``{"error": {"type", "message", "problems", …}}`` as the CLI writes it, plus our keys."""
    body = error_payload(exc)
    inner: dict[str, Any] = body["error"]
    if isinstance(exc, RequestInvalid):
        inner["problems"] = [
            {"field": p.field, "value": _plain(p.value), "problem": p.problem} for p in exc.problems
        ]
    elif isinstance(exc, PreconditionFailed):
        inner.update(case=exc.case, expected=exc.expected, current=exc.current)
    elif isinstance(exc, Forbidden):
        inner.update(role=exc.role, needs=list(exc.needs))
    elif isinstance(exc, NoticeNotFound):
        inner.update(notice=exc.notice)
    elif isinstance(exc, IdempotencyKeyReused):
        inner.update(key=exc.key)
    return body


def internal_error_body() -> dict[str, Any]:
    return {
        "error": {
            "type": "InternalError",
            "message": "the server failed on this request; the failure is logged for the operators",
            "problems": [],
        }
    }


def _plain(value: object) -> object:
    """A value a JSON document can carry (anything else becomes its repr, shortened)."""
    if value is None or isinstance(value, str | int | float | bool | Mapping | list | tuple):
        return to_jsonable(value)
    return repr(value)[:200]
