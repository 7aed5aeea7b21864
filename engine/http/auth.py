"""Who is calling: the bearer token, its division and what its role may do.

Scope (the issue's rule, item 3): a token of office ``140302`` sees cases whose handling
division or whose own division (where the arrears arose) is ``140302``; a city token ``140300``
sees ``1403xx``; a province ``140000`` sees ``14xxxx``. A case outside the scope is answered
404 exactly like a case that does not exist, so ids of other counties do not leak.

Roles:

=========  ====================  ===============  =========================
role       reads (its division)  writes           personal data unmasked
=========  ====================  ===============  =========================
clerk      yes                   intake, act,     no (masked, as the CLI)
                                 notice retry
leader     yes                   as clerk         yes, recorded in the log
auditor    yes                   none             yes, recorded in the log
admin      yes                   as clerk         yes, recorded in the log
=========  ====================  ===============  =========================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import sqlalchemy as sa

from zhiqian.engine.http.errors import Forbidden, Unauthorized
from zhiqian.store.tokens import TOKEN_PREFIX, TokenRecord, find_token

__all__ = ["ROLES", "Principal", "Role", "authenticate", "covers"]

Role = Literal["clerk", "leader", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
WRITERS: tuple[str, ...] = ("clerk", "leader", "admin")
PII_READERS: tuple[str, ...] = ("leader", "auditor", "admin")


def covers(office: str, code: str | None) -> bool:
    """Whether division ``code`` is ``office`` or one of its subdivisions (by the code's
    levels: ``140000`` a province, ``140300`` a city, any other a county)."""
    if code is None or len(code) != 6:
        return False
    if office.endswith("0000"):
        return code[:2] == office[:2]
    if office.endswith("00"):
        return code[:4] == office[:4]
    return code == office


def narrowest(office: str, asked: str | None) -> str | None:
    """The region filter for a listing: the asked region within the office, the office when
    nothing (or something wider) is asked, None when the two do not overlap."""
    if asked is None or covers(asked, office):
        return office
    if covers(office, asked):
        return asked
    return None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: its token, the office it is scoped to, its role."""

    token: TokenRecord

    @property
    def actor(self) -> str:
        """Who every change made with this token is recorded as."""
        return self.token.holder

    @property
    def office(self) -> str:
        return self.token.office

    @property
    def role(self) -> str:
        return self.token.role

    def sees(self, *codes: str | None) -> bool:
        return any(covers(self.office, c) for c in codes)

    def require_writer(self, what: str) -> None:
        if self.role not in WRITERS:
            raise Forbidden(
                f"a {self.role} token may not {what}: it reads only", role=self.role, needs=WRITERS
            )

    def require_pii(self) -> None:
        if self.role not in PII_READERS:
            raise Forbidden(
                f"a {self.role} token may not see personal data unmasked",
                role=self.role,
                needs=PII_READERS,
            )


def authenticate(bind: sa.Engine, authorization: str | None) -> Principal:
    """The principal of an ``Authorization: Bearer zq_…`` header, or ``Unauthorized``."""
    if not authorization:
        raise Unauthorized("no token: send Authorization: Bearer <token> (zhiqian token create)")
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise Unauthorized("the Authorization header must be: Bearer <token>")
    token = find_token(bind, secret)
    if token is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(token)
