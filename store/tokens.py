"""SQL for the HTTP service's API tokens (``zq_api_tokens``); decisions live in engine/http.

A token is ``zq_`` followed by 32 random bytes (URL-safe base64). Only its SHA-256 is stored:
with 256 bits of entropy no dictionary or brute-force attack is feasible, which is the threat a
slow password hash (bcrypt, argon2) exists to slow down — and a slow hash would cost tens of
milliseconds on every request and rule out finding the token by an indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from zhiqian.store.tables import ApiTokenRow, table_of

__all__ = [
    "TOKEN_PREFIX",
    "TokenRecord",
    "create_token",
    "find_token",
    "list_tokens",
    "revoke_token",
    "secret_hash",
]

TOKEN_PREFIX = "zq_"
_tokens = table_of(ApiTokenRow)
_FIND = sa.select(_tokens).where(
    _tokens.c.secret_hash == sa.bindparam("w_hash"), _tokens.c.revoked_at.is_(None)
)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRecord:
    """A stored token, without its secret (which is shown once, at creation, and never kept)."""

    id: int
    prefix: str
    office: str
    role: str
    holder: str
    created_at: datetime
    revoked_at: datetime | None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _record(row: sa.Row[tuple[object, ...]]) -> TokenRecord:
    m = row._mapping
    return TokenRecord(
        id=int(m["id"]),
        prefix=str(m["prefix"]),
        office=str(m["office"]),
        role=str(m["role"]),
        holder=str(m["holder"]),
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def create_token(
    bind: sa.Engine, *, office: str, role: str, holder: str, now: datetime
) -> tuple[TokenRecord, str]:
    """Store a new token; returns it and its secret (the only time the secret is known)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with bind.begin() as conn:
        row = conn.execute(
            sa.insert(_tokens)
            .values(
                secret_hash=secret_hash(secret),
                prefix=secret[:10],
                office=office,
                role=role,
                holder=holder,
                created_at=now,
            )
            .returning(*_tokens.c)
        ).one()
    return _record(row), secret


def find_token(bind: sa.Engine, secret: str) -> TokenRecord | None:
    """The live (not revoked) token with this secret, or None."""
    with bind.connect() as conn:
        row = conn.execute(_FIND, {"w_hash": secret_hash(secret)}).first()
    return None if row is None else _record(row)


def list_tokens(bind: sa.Engine) -> list[TokenRecord]:
    with bind.connect() as conn:
        rows = conn.execute(sa.select(_tokens).order_by(_tokens.c.id)).all()
    return [_record(r) for r in rows]


def revoke_token(bind: sa.Engine, token_id: int, *, now: datetime) -> TokenRecord | None:
    """Revoke a token (idempotent: a revoked token keeps its first revocation time)."""
    with bind.begin() as conn:
        conn.execute(
            sa.update(_tokens)
            .where(_tokens.c.id == token_id, _tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = conn.execute(sa.select(_tokens).where(_tokens.c.id == token_id)).first()
    return None if row is None else _record(row)
