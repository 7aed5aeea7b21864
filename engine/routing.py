"""Who a notice goes to: routing roles resolved to a division, a name, a channel and an address.

The pack says which roles exist, at which level they sit and over which channels they hear
(``routing.roles``); it never holds an address. Addresses are handed to the ``Router`` as a
mapping of variable name → value (the deployment's settings read them from the environment;
nothing here reads it):

- ``address_env`` names a variable, e.g. ``ZQ_COUNTY_OFFICE``. A division-specific variable
  ``ZQ_COUNTY_OFFICE_140302`` wins over it (looked up from the division upwards, so
  ``ZQ_COUNTY_OFFICE_140300`` covers every county of 阳泉市).
- The value is one address for every channel (``jc@rsj.example.gov.cn``), or per channel:
  ``email=jc@rsj.example.gov.cn;webhook=https://oa.example/hook;file=/srv/notices``.

A channel that needs an address and has none is replaced by ``log`` with a note saying so: the
notice is never lost, and the operator sees what to configure.

The leader directory (领导包案) maps a division and a role title to a named person, from a JSON
file (the settings' ``ZHIQIAN_LEADERS`` names it; ``LeaderDirectory.from_file`` reads it)::

    {"140302": {"分管领导": {"name": "王建华", "email": "wjh@rsj.example.gov.cn"}},
     "140300": {"包案领导": {"name": "李卫东"}}}

A title not found for the division is looked up in its parents. When no one is named,
``named_leader`` says so (None) and a document that must name the leader waits for the name in
the outbox; ``leader_name`` (kept for older callers) still returns the title of that office
(``阳泉市城区人社局分管领导（待指定）``), which no issued document prints.

The same directory may name a division's police office under the title ``公安机关``
(``{"140302": {"公安机关": {"name": "阳泉市公安局城区分局"}}}``); without it the name follows
the national pattern (``zhiqian.engine.domain.documents.police_office_name``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from zhiqian.engine.domain.documents import (
    PENDING_NAME,
    division_name,
    is_named_person,
    office_name,
    police_office_name,
)
from zhiqian.rules.divisions import level_of, parent
from zhiqian.rules.loader import RulePack
from zhiqian.rules.schema import RoleSpec

__all__ = [
    "ADDRESSLESS_CHANNELS",
    "LEADER_ROLE",
    "POLICE_TITLE",
    "LeaderDirectory",
    "Person",
    "Recipient",
    "Router",
    "division_for_level",
    "division_name",
    "office_name",
]

LEADER_ROLE: Final = "leader"  # the role whose recipient is the case's named leader
POLICE_TITLE: Final = "公安机关"  # the directory title naming a division's police office
# Channels that work without an address (the file channel has its own folder by default).
ADDRESSLESS_CHANNELS: Final = frozenset({"log", "file", "memory"})
_CHANNEL_PART = re.compile(r"^([a-z][a-z0-9_]*)=(.*)$", re.DOTALL)


def division_for_level(row: Any, level: str) -> str:
    """The division a role of ``level`` sits in for this case.

    ``same``: the office handling the case now; ``parent``: the one above it; ``county``/
    ``city``/``province``: that level on the chain from the division where the arrears arose
    (a 直辖市 district has no city: its ``city`` is the municipality)."""
    handling: str = row.handling_region
    if level == "same":
        return handling
    if level == "parent":
        return parent(handling) or handling
    rank = {"county": 0, "city": 1, "province": 2}
    at: str | None = row.region
    while at is not None:
        if rank.get(level_of(at), 0) >= rank[level]:
            return at
        at = parent(at)
    return handling


@dataclass(frozen=True, slots=True)
class Person:
    """A named person of the directory and the addresses they hear on (channel → address)."""

    name: str
    addresses: Mapping[str, str] = field(default_factory=dict)


class LeaderDirectory:
    """Division code → role title → person; lookups climb from a division to its parents."""

    def __init__(self, entries: Mapping[str, Mapping[str, Person]] | None = None) -> None:
        self._entries = {code: dict(roles) for code, roles in (entries or {}).items()}

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> LeaderDirectory:
        """Read the JSON directory; a malformed file is a ``ValueError`` naming the file."""
        where = str(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"leader directory {where}: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"leader directory {where}: the top level must be an object")
        entries: dict[str, dict[str, Person]] = {}
        for code, roles in data.items():
            if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
                raise ValueError(f"leader directory {where}: {code!r} is not a division code")
            if not isinstance(roles, dict):
                raise ValueError(f"leader directory {where}: {code} must map titles to people")
            for title, person in roles.items():
                if not isinstance(person, dict) or not str(person.get("name", "")).strip():
                    raise ValueError(f"leader directory {where}: {code}/{title} needs a name")
                addresses = {k: str(v) for k, v in person.items() if k != "name"}
                entries.setdefault(code, {})[title] = Person(str(person["name"]), addresses)
        return cls(entries)

    def find(self, division: str, title: str) -> Person | None:
        at: str | None = division
        while at is not None:
            person = self._entries.get(at, {}).get(title)
            if person is not None:
                return person
            at = parent(at) if len(at) == 6 and at.isdigit() else None
        return None

    def find_by_name(self, name: str) -> Person | None:
        for roles in self._entries.values():
            for person in roles.values():
                if person.name == name:
                    return person
        return None


@dataclass(frozen=True, slots=True)
class Recipient:
    """One resolved destination of a notice."""

    role: str
    division: str
    key: str  # ``role@division``: the idempotency key's recipient and the digest's grouping
    name: str  # what the document addresses: a person, or an office
    channel: str
    address: str
    note: str | None = None


class Router:
    """Resolves routing roles for a case over the ``addresses`` (variable name → value, as
    ``address_env`` names them) and the leader ``directory`` it is given. ``Router()`` knows no
    address and no leader: every outward channel falls back to ``log`` with a note.

    ``environ`` is the older name of ``addresses`` (same meaning; give one of them)."""

    def __init__(
        self,
        addresses: Mapping[str, str] | None = None,
        *,
        directory: LeaderDirectory | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if addresses is not None and environ is not None:
            raise TypeError("Router: give addresses or environ, not both")
        chosen = addresses if addresses is not None else environ
        # A copy: what routes a notice must not change under the router's feet.
        self.addresses: Mapping[str, str] = dict(chosen or {})
        self.directory = directory if directory is not None else LeaderDirectory()

    def role(self, pack: RulePack, role_id: str) -> RoleSpec:
        spec = pack.routing.role(role_id)
        if spec is None:  # a role named in a rule but not routed: heard in the log
            return RoleSpec(id=role_id, label=role_id, level="same", channels=("log",))
        return spec

    def named_leader(self, division: str, title: str) -> Person | None:
        """The person the directory names as ``title`` for ``division`` (or a parent), or None."""
        return self.directory.find(division, title)

    def leader_name(self, division: str, title: str) -> str:
        """The named leader, or the office's title marked ``（待指定）`` (see the module doc)."""
        person = self.named_leader(division, title)
        if person is not None:
            return person.name
        return f"{office_name(division).replace('人力资源和社会保障', '人社')}{title}{PENDING_NAME}"

    def police_office(self, division: str) -> str:
        """The police office at the level of ``division``: the directory's, else the pattern."""
        person = self.directory.find(division, POLICE_TITLE)
        return person.name if person is not None else police_office_name(division)

    def recipients(
        self,
        pack: RulePack,
        row: Any,
        role_id: str,
        *,
        division: str | None = None,
        name: str | None = None,
        person: Person | None = None,
    ) -> list[Recipient]:
        """Every (channel, address) the role hears on for this case, in the role's order.

        ``division`` places the role at that office instead of where its level puts it for the
        case (a document addressed to a given office); ``name`` is what the document addresses
        and ``person`` whose own addresses win (a decider found in the directory)."""
        spec = self.role(pack, role_id)
        if division is None:
            division = division_for_level(row, spec.level)
        if name is None and role_id == LEADER_ROLE and is_named_person(row.leader):
            name = str(row.leader)
            person = person or self.directory.find_by_name(name)
        elif name is None:
            name = f"{spec.label}（{division_name(division)}）"
        out: list[Recipient] = []
        for channel in spec.channels:
            address = self._address(spec, division, channel, person)
            note = None
            used = channel
            if not address and channel not in ADDRESSLESS_CHANNELS:
                where = (
                    f"set {spec.address_env} or {spec.address_env}_{division}"
                    if spec.address_env
                    else "the pack gives this role no address_env"
                )
                note = f"角色 {spec.id}（{spec.label}）没有 {channel} 地址（{where}）：改由日志通道记录"
                used = "log"
            out.append(
                Recipient(
                    role=spec.id,
                    division=division,
                    key=f"{spec.id}@{division}" + ("" if used == channel else f"/{channel}"),
                    name=name,
                    channel=used,
                    address=address,
                    note=note,
                )
            )
        return out

    def _address(self, spec: RoleSpec, division: str, channel: str, person: Person | None) -> str:
        if channel == "log":
            return ""
        if person is not None and person.addresses.get(channel):
            return person.addresses[channel]
        if spec.address_env is None:
            return ""
        env = self.addresses
        at: str | None = division
        while at is not None:
            value = env.get(f"{spec.address_env}_{at}")
            if value:
                return _pick(value, channel)
            at = parent(at)
        value = env.get(spec.address_env)
        return _pick(value, channel) if value else ""


def _pick(value: str, channel: str) -> str:
    """The address for ``channel`` in an env value: ``a@b`` or ``email=a@b;webhook=https://…``."""
    default = ""
    for part in value.split(";"):
        part = part.strip()
        match = _CHANNEL_PART.match(part)
        if match and "/" not in match.group(1):
            if match.group(1) == channel:
                return match.group(2).strip()
        elif part:
            default = default or part
    return default
