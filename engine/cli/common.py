"""What the command groups share: the option types, ``--at``, opening the engine, finding a case.

Only typer and the standard library at module level: the group modules import this one while
``zhiqian --help`` is being built, so the engine and the rules load inside the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from zhiqian.engine.cli.output import Format, OutputState

if TYPE_CHECKING:
    from zhiqian import CaseView, Engine

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_RULES",
    "ActorOption",
    "AtOption",
    "FormatOption",
    "LevelOption",
    "NoticeDirOption",
    "RegionOption",
    "ShowFormat",
    "ShowFormatOption",
    "actor_name",
    "check_region",
    "command_state",
    "find_case",
    "in_zone",
    "now_utc",
    "open_engine",
    "pack_tz",
    "parse_at",
]

# The same file as zhiqian.engine.engine.DEFAULT_URL (a test keeps them equal): importing the
# engine only to read this constant would cost --help a third of a second.
DEFAULT_DB = "sqlite:///zhiqian.db"
DEFAULT_RULES = "national"

ShowFormat = Literal["table", "json"]
LevelName = Literal["county", "city", "province"]

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="ISO",
        help=(
            "The simulated now for everything this command decides, ISO 8601 "
            "(2019-11-15T09:00+08:00; a date means its midnight; no offset: the pack's zone)."
        ),
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output: table, json or csv.")]
ShowFormatOption = Annotated[
    ShowFormat, typer.Option("--format", "-f", help="Output: table or json.")
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        envvar="ZHIQIAN_ACTOR",
        help="Who does this, recorded in the event log (default: your login name).",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region", metavar="CODE", help="6-digit 行政区划代码: the code and its subdivisions."
    ),
]
LevelOption = Annotated[LevelName | None, typer.Option("--level", help="Level handling the case.")]
NoticeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--notice-dir",
        envvar="ZHIQIAN_NOTICE_DIR",
        help="Folder of the file channel (default ./notices).",
    ),
]


def command_state(ctx: typer.Context, fmt: str = "table") -> OutputState:
    """The invocation's state, told whether errors are to be written as JSON."""
    state = ctx.ensure_object(OutputState)
    state.json_mode = fmt == "json"
    return state


def parse_at(text: str) -> datetime:
    """``--at`` as a datetime: naive when it carries no offset (see :func:`in_zone`)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day)
        return datetime.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2019-11-15T09:00+08:00)",
            param_hint="--at",
        ) from None


def parse_day(text: str, option: str) -> date:
    """A ``--from`` / ``--to`` day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


def in_zone(when: datetime, tz: tzinfo) -> datetime:
    """A time without an offset read in the pack's zone; one with an offset as it is."""
    return when.replace(tzinfo=tz) if when.utcoffset() is None else when


def check_region(region: str | None) -> str | None:
    if region is not None and (len(region) != 6 or not region.isdigit()):
        raise typer.BadParameter(
            f"{region!r} is not a 6-digit 行政区划代码 (e.g. 140300)", param_hint="--region"
        )
    return region


def actor_name(actor: str | None) -> str:
    """``--actor``, or the login name: every change records who made it."""
    if actor and actor.strip():
        return actor.strip()
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say it came from here
        return "cli"


@contextmanager
def open_engine(state: OutputState, at: str | None = None) -> Iterator[Engine]:
    """The engine on ``--db`` with the ``--rules`` pack and, with ``--at``, a frozen clock."""
    when = parse_at(at) if at is not None else None  # a bad --at is bad usage: check first
    from zhiqian import Engine, FrozenClock, SystemClock
    from zhiqian.rules.loader import load_pack

    # Loaded here, not by Engine.open, because a naive --at is read in the pack's zone.
    pack = load_pack(state.rules)
    clock = FrozenClock(in_zone(when, pack.timezone)) if when is not None else SystemClock()
    # The library reads no environment: the deployment's addresses and leaders come from the
    # one settings object, as the daemon's do (a rule firing on a clerk's change routes alike).
    from zhiqian.engine.service.settings import Settings, address_variables

    router = Settings.from_env(address_env=address_variables(pack)).router()
    with Engine.open(state.db, pack=pack, clock=clock, router=router) as engine:
        yield engine


def now_utc(engine: Engine) -> datetime:
    return engine.clock.now().astimezone(UTC)


def pack_tz(engine: Engine) -> tzinfo:
    return engine.pack.timezone


def find_case(engine: Engine, key: str, *, history: bool = True) -> CaseView:
    """A case by our id (digits) or by its external ref (anything else, or ``ref:…``)."""
    if key.startswith("ref:"):
        return engine.get_by_ref(key[4:], history=history)
    if key.isdigit():
        return engine.get(int(key), history=history)
    return engine.get_by_ref(key, history=history)
