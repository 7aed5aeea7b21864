"""``Idempotency-Key`` on every POST: a retried request gets the first answer, never a second case.

The key is taken, the change made and its response stored in ONE transaction (the engine's
writes join it through ``Engine.within``): a crash in between leaves neither, so a retry after
a timeout either finds the first answer or makes the change for the first time. Responses
below 500 are stored, refusals included (a retry of a refused request is refused the same way
without running again); a 5xx rolls everything back, so the retry runs afresh. Keys are per
token: two platforms may use the same key for different things.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zhiqian.engine.cli.output import to_jsonable
from zhiqian.engine.http.errors import IdempotencyKeyReused, RequestInvalid, error_body, status_for
from zhiqian.errors import FieldProblem, ZhiqianError
from zhiqian.store.idempotency import claim, complete

if TYPE_CHECKING:
    from zhiqian import Engine
    from zhiqian.engine.http.auth import Principal

__all__ = ["MAX_KEY", "Reply", "fingerprint", "run_post"]

MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Reply:
    """A response before it is sent: status, a JSON-ready body, extra headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, body: bytes, *extra: str | None) -> str:
    """What makes two requests "the same": method, path, the body's JSON value (so spacing and
    key order do not count) and the headers that change the meaning (If-Match)."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper(), path, *(e or "" for e in extra)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY or not key.isprintable():
        raise RequestInvalid(
            [
                FieldProblem(
                    "Idempotency-Key", key[:40], f"must be 1..{MAX_KEY} printable characters"
                )
            ]
        )
    return key


def run_post(
    engine: Engine,
    principal: Principal,
    key: str | None,
    print_: str,
    work: Callable[[Engine], Reply],
    headers_of: Callable[[Any], Mapping[str, str]] = lambda body: {},
) -> Reply:
    """Run ``work`` once per (token, key); without a key, just run it."""
    if key is None:
        return work(engine)
    with engine.bind.begin() as conn:
        row_id, stored = claim(
            conn,
            token_id=principal.token.id,
            key=key,
            fingerprint=print_,
            now=engine.clock.now(),
        )
        if stored is not None:
            if stored.fingerprint != print_:
                raise IdempotencyKeyReused(key)
            body = json.loads(stored.body)
            return Reply(stored.status, body, {**headers_of(body), "Idempotent-Replayed": "true"})
        assert row_id is not None
        try:
            reply = work(engine.within(conn))
        except ZhiqianError as exc:
            status = status_for(exc)
            if status >= 500:
                raise
            reply = Reply(status, error_body(exc))
        body = to_jsonable(reply.body)
        complete(conn, row_id, status=reply.status, body=json.dumps(body, ensure_ascii=False))
        return Reply(reply.status, body, reply.headers)
