"""``zhiqian``: the administrators' command line, a thin layer over the public library.

No domain logic lives here: every decision (validation, transitions, clocks, escalations, report
figures) is the library's; this module parses options, opens the engine, calls one library
function and prints what it returns. Errors map to exit codes in one place
(:class:`_ZhiqianGroup`): 0 success, 1 refused (any ``ZhiqianError``), 2 bad usage.

Imports of the engine, the rules, SQLAlchemy, rich and openpyxl happen inside the commands, so
``zhiqian --help`` costs little more than starting Python (measured in tests/cli/test_speed.py).
The command surface and the JSON shapes are documented in docs/cli.md.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer
from typer.core import TyperGroup

from zhiqian.engine.cli.output import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Column,
    Format,
    OutputState,
    human_duration,
    local_time,
    make_console,
    print_error,
    print_json,
    print_listing,
    progress,
)

if TYPE_CHECKING:
    from zhiqian.engine.engine import Engine
    from zhiqian.engine.reports import ReportCase
    from zhiqian.engine.views import CaseView

__all__ = ["DEFAULT_DB", "DEFAULT_RULES", "NotAvailable", "app", "main"]

# The same file as zhiqian.engine.engine.DEFAULT_URL (a test keeps them equal): importing the
# engine only to read this constant would cost --help a third of a second.
DEFAULT_DB = "sqlite:///zhiqian.db"
DEFAULT_RULES = "national"
RECEIVE_CHUNK = 200  # records per receive_many call: the progress bar moves between chunks

ShowFormat = Literal["table", "json"]
FileFormat = Literal["xlsx", "csv", "html"]
LevelName = Literal["county", "city", "province"]


class NotAvailable(Exception):
    """A command or option this build does not provide yet (exit 2: the usage cannot succeed)."""


# --------------------------------------------------------------------------------- the group


def _argv_wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asked for JSON, read before (or without) a successful parse."""
    for i, arg in enumerate(args):
        if arg in ("--format=json", "-fjson"):
            return True
        if arg in ("--format", "-f") and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


class _ZhiqianGroup(TyperGroup):
    """The root command: runs the CLI and turns every error into its message and exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        state = OutputState()
        code = self._run(argv, prog_name or "zhiqian", complete_var, state, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        argv: list[str],
        prog_name: str,
        complete_var: str | None,
        state: OutputState,
        extra: dict[str, Any],
    ) -> int:
        from zhiqian.errors import ZhiqianError

        try:
            result = super().main(
                argv,
                prog_name,
                complete_var,
                standalone_mode=False,
                obj=state,
                **extra,
            )
        except typer.TyperException as exc:  # click's usage and parameter errors
            code = int(getattr(exc, "exit_code", EXIT_USAGE))
            if state.json_mode or _argv_wants_json(argv):
                print_error(exc, json_mode=True, message=exc.format_message())
            else:
                _show_click_error(exc)
            return code
        except typer.Abort:
            sys.stderr.write("zhiqian: aborted\n")
            return EXIT_REFUSED
        except NotAvailable as exc:
            print_error(exc, json_mode=state.json_mode or _argv_wants_json(argv))
            return EXIT_USAGE
        except ZhiqianError as exc:
            print_error(exc, json_mode=state.json_mode)
            return EXIT_REFUSED
        except KeyboardInterrupt:
            sys.stderr.write("zhiqian: interrupted\n")
            return 130
        except OSError as exc:  # a file that cannot be read or written: the user's to fix
            print_error(exc, json_mode=state.json_mode, message=_os_message(exc))
            return EXIT_REFUSED
        except Exception as exc:
            store_error = _database_error(exc)
            if store_error is None:
                raise  # a bug: the traceback is what a maintainer needs
            print_error(store_error, json_mode=state.json_mode)
            return EXIT_REFUSED
        return result if isinstance(result, int) else EXIT_OK


def _show_click_error(exc: typer.TyperException) -> None:
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
    except ImportError:  # pragma: no cover - typer always ships rich support here
        sys.stderr.write(f"Error: {exc.format_message()}\n")


def _os_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _database_error(exc: Exception) -> Exception | None:
    """A database that cannot be reached or used is the operator's problem, not a crash."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return None
    from zhiqian.errors import StoreError

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return StoreError(f"the database cannot be used: {detail}")


app = typer.Typer(
    name="zhiqian",
    cls=_ZhiqianGroup,
    help=(
        "治欠 zhiqian — wage-arrears complaint cases with legal time limits.\n\n"
        "Exit codes: 0 success, 1 refused (invalid input, illegal transition, failed check, "
        "tampered audit log), 2 bad usage. Personal data is masked unless --show-pii."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
case_app = typer.Typer(help="Cases 案件: add, act, show, list.", no_args_is_help=True)
db_app = typer.Typer(help="The database: schema migrations.", no_args_is_help=True)
rules_app = typer.Typer(
    help="Rule packs 规则包: check, show, explain, graph.", no_args_is_help=True
)
notices_app = typer.Typer(
    help="The notice outbox 通知: list, show, retry, deliver.", no_args_is_help=True
)
report_app = typer.Typer(
    help="Official reports: 附件2 campaign form, 案件台账 ledger.", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained event log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(case_app, name="case")
app.add_typer(rules_app, name="rules")
app.add_typer(notices_app, name="notices")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")


def _version(value: bool) -> None:
    if value:
        from zhiqian import __version__

        sys.stdout.write(f"zhiqian {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option(
            "--db",
            envvar="ZHIQIAN_DB",
            metavar="URL",
            help="Database URL: sqlite:///FILE or postgresql://USER@HOST/DB.",
        ),
    ] = DEFAULT_DB,
    rules: Annotated[
        str,
        typer.Option(
            "--rules",
            envvar="ZHIQIAN_RULES",
            metavar="PACK|PATH",
            help="Rule pack governing new cases: a shipped pack name or a YAML file.",
        ),
    ] = DEFAULT_RULES,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state = ctx.ensure_object(OutputState)
    state.db = db
    state.rules = rules


# --------------------------------------------------------------------------------- shared options

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


def _state(ctx: typer.Context, fmt: str = "table") -> OutputState:
    state = ctx.ensure_object(OutputState)
    state.json_mode = fmt == "json"
    return state


def _parse_at(text: str) -> datetime:
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


def _check_region(region: str | None) -> str | None:
    if region is not None and (len(region) != 6 or not region.isdigit()):
        raise typer.BadParameter(
            f"{region!r} is not a 6-digit 行政区划代码 (e.g. 140300)", param_hint="--region"
        )
    return region


def _actor(actor: str | None) -> str:
    if actor and actor.strip():
        return actor.strip()
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say it came from here
        return "cli"


def _unavailable(what: str, needs: str) -> NoReturn:
    raise NotAvailable(f"{what} is not available in this build yet (needs {needs})")


@contextmanager
def _open(state: OutputState, at: str | None = None) -> Iterator[Engine]:
    """The engine on ``--db`` with the ``--rules`` pack and, with ``--at``, a frozen clock."""
    when = _parse_at(at) if at is not None else None  # a bad --at is bad usage: check first
    from zhiqian import Engine, FrozenClock, SystemClock
    from zhiqian.rules.loader import load_pack

    pack = load_pack(state.rules)
    if when is not None and when.utcoffset() is None:
        when = when.replace(tzinfo=pack.timezone)
    clock = FrozenClock(when) if when is not None else SystemClock()
    with Engine.open(state.db, pack=pack, clock=clock) as engine:
        yield engine


def _now(engine: Engine) -> datetime:
    return engine.clock.now().astimezone(UTC)


def _tz(engine: Engine) -> tzinfo:
    return engine.pack.timezone


def _find(engine: Engine, key: str, *, history: bool = True) -> CaseView:
    """A case by our id (digits) or by its external ref (anything else, or ``ref:…``)."""
    if key.startswith("ref:"):
        return engine.get_by_ref(key[4:], history=history)
    if key.isdigit():
        return engine.get(int(key), history=history)
    return engine.get_by_ref(key, history=history)


# --------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, fmt: ShowFormatOption = "table") -> None:
    """Create zhiqian's tables or bring them to this version (Alembic; only zq_* tables)."""
    state = _state(ctx, fmt)
    from zhiqian.store.database import create_engine, current_revision, head_revision, migrate

    bind = create_engine(state.db)
    try:
        before = current_revision(bind)
        migrate(bind)
        after = current_revision(bind)
    finally:
        bind.dispose()
    if fmt == "json":
        print_json({"from": before, "to": after, "head": head_revision()})
        return
    if before == after:
        sys.stdout.write(f"database is up to date (revision {after})\n")
    else:
        sys.stdout.write(f"database upgraded: {before or 'empty'} → {after}\n")


# --------------------------------------------------------------------------------- case add


_ADD_COLUMNS = (
    Column("record", "记录", "right"),
    Column("ref", "外部编号"),
    Column("id", "案件ID", "right"),
    Column("status", "结果"),
    Column("detail", "说明"),
)


@case_app.command("add")
def case_add(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="JSON object, array or JSON Lines; - is stdin.")
    ],
    at: AtOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Receive complaints (受理登记) and print the new case ids.

    Each record is validated and written on its own. When some records are rejected, the good ones are STILL WRITTEN; the command lists each rejected record with every problem found and exits 1. A broken JSON Lines line rejects only that line; a whole file that is not JSON rejects everything (nothing is written).
    """
    state = _state(ctx, fmt)
    text = _read_source(source)
    from zhiqian.engine.domain.intake import read_records
    from zhiqian.errors import DuplicateCase, FieldProblem, InvalidIntake

    with _open(state, at) as engine:
        records = read_records(text, keep_going=True)
        results: dict[int, Any] = {
            i: r for i, r in enumerate(records) if isinstance(r, InvalidIntake)
        }
        good = [(i, r) for i, r in enumerate(records) if not isinstance(r, InvalidIntake)]
        with progress("受理", len(good), enabled=fmt != "json") as advance:
            for start in range(0, len(good), RECEIVE_CHUNK):
                chunk = good[start : start + RECEIVE_CHUNK]
                received = engine.receive_many([r for _, r in chunk], actor=_actor(actor))
                for (index, _), result in zip(chunk, received, strict=True):
                    if isinstance(result, InvalidIntake):
                        result = InvalidIntake(result.problems, record=index)
                    results[index] = result
                advance(len(chunk))

    rows: list[dict[str, Any]] = []
    accepted: list[dict[str, Any]] = []
    problems: list[FieldProblem] = []
    rejected_records: list[dict[str, Any]] = []
    for index in range(len(records)):
        result = results[index]
        record = records[index]
        ref = record.get("ref") if isinstance(record, dict) else None
        if isinstance(result, InvalidIntake):
            rows.append(
                {
                    "record": index,
                    "ref": ref,
                    "id": None,
                    "status": "rejected",
                    "detail": "; ".join(str(p) for p in result.problems),
                }
            )
            problems.extend(result.problems)
            rejected_records.append(
                {
                    "record": index,
                    "ref": ref,
                    "type": "InvalidIntake",
                    "problems": [
                        {"field": p.field, "value": p.value, "problem": p.problem}
                        for p in result.problems
                    ],
                }
            )
        elif isinstance(result, DuplicateCase):
            rows.append(
                {
                    "record": index,
                    "ref": ref,
                    "id": None,
                    "status": "duplicate",
                    "detail": str(result),
                }
            )
            rejected_records.append(
                {
                    "record": index,
                    "ref": ref,
                    "type": "DuplicateCase",
                    "existing": result.existing,
                    "problems": [{"field": "ref", "value": result.ref, "problem": str(result)}],
                }
            )
        else:
            accepted.append({"id": result.id, "ref": result.ref})
            rows.append(
                {
                    "record": index,
                    "ref": result.ref,
                    "id": result.id,
                    "status": "accepted",
                    "detail": f"{result.state_label} ({result.state})",
                }
            )

    print_listing(
        fmt,
        _ADD_COLUMNS,
        rows,
        json_rows=accepted,
        caption=f"写入 {len(accepted)} 件，拒绝 {len(rejected_records)} 件",
    )
    if rejected_records:
        message = (
            f"{len(rejected_records)} of {len(records)} records rejected; "
            f"the other {len(accepted)} were written"
        )
        if fmt == "json":
            from zhiqian.engine.cli.output import to_jsonable

            print_json(
                {
                    "error": to_jsonable(
                        {
                            "type": "RecordsRejected",
                            "message": message,
                            "problems": rejected_records,
                        }
                    )
                },
                stderr=True,
            )
        else:
            sys.stderr.write(f"zhiqian: {message}\n")
        raise typer.Exit(EXIT_REFUSED)


def _read_source(source: str) -> str:
    from zhiqian.errors import FieldProblem, InvalidIntake

    try:
        if source == "-":
            return sys.stdin.read()
        return Path(source).read_text("utf-8")
    except FileNotFoundError:
        raise typer.BadParameter(f"no such file: {source}", param_hint="FILE") from None
    except IsADirectoryError:
        raise typer.BadParameter(f"{source} is a directory", param_hint="FILE") from None
    except UnicodeDecodeError as exc:
        raise InvalidIntake(
            [FieldProblem("<file>", source, f"is not UTF-8 text (byte {exc.start})")]
        ) from None


# --------------------------------------------------------------------------------- case act


@case_app.command("act")
def case_act(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    event: Annotated[str, typer.Argument(metavar="EVENT", help="Lifecycle event, e.g. verify.")],
    actor: ActorOption = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    at: AtOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="K=V", help="Event parameter; repeat for several."),
    ] = None,
    expected_version: Annotated[
        int | None,
        typer.Option(
            "--expected-version",
            help="Refuse (ConflictError) if the case changed since you saw this version.",
        ),
    ] = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Fire a lifecycle EVENT on a case (核实 verify, 处理 handle, 结案 close …).

    An event the case's state does not allow is refused (exit 1) and nothing changes.
    """
    state = _state(ctx, fmt)
    params = _parse_params(param or [])
    with _open(state, at) as engine:
        before = _find(engine, case, history=False)
        engine.act(
            before.id,
            event,
            actor=_actor(actor),
            reason=reason,
            params=params or None,
            expected_version=expected_version,
        )
        after = engine.get(before.id)
        if fmt == "json":
            from zhiqian.engine.cli.shapes import case_detail

            print_json(case_detail(after, now=_now(engine), tz=_tz(engine)))
            return
    # The escalation rules run inside the change and may append their own events after the
    # clerk's (a recommendation, a supervision): name the clerk's event, then what rules did.
    new = [e for e in after.events if e.seq > before.version]
    mine = next((e for e in reversed(new) if e.event == event and e.rule_id is None), None)
    done = mine.label if mine is not None else event
    if after.state != before.state:
        moved = f"{before.state_label} {before.state} → {after.state_label} {after.state}"
    else:
        moved = f"recorded; state {after.state_label} {after.state}"
    lines = [f"case {after.id} ({after.ref}): {event} {done}: {moved} (version {after.version})"]
    after_mine = [e for e in new if mine is not None and e.seq > mine.seq and e.rule_id]
    lines += [f"  rule {e.rule_id}: {e.event} {e.label}" for e in after_mine]
    sys.stdout.write("".join(line + "\n" for line in lines))


def _parse_params(items: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        params[key.strip()] = value
    return params


# --------------------------------------------------------------------------------- case show


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    at: AtOption = None,
    show_pii: Annotated[
        bool,
        typer.Option(
            "--show-pii",
            help="Show the complainant's name, phone and ID number; recorded in the audit log.",
        ),
    ] = False,
    actor: ActorOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """One case: the record, its clocks (deadline, remaining, status, trace), escalations and timeline. Personal data is masked unless --show-pii."""
    state = _state(ctx, fmt)
    from zhiqian.engine.cli.shapes import case_detail

    with _open(state, at) as engine:
        view = _find(engine, case)
        if show_pii:
            record_access = getattr(engine, "record_access", None)
            if record_access is None:
                _unavailable(
                    "--show-pii",
                    "engine.record_access(case_id, actor=, what=) to write the access to the "
                    "audit log",
                )
            record_access(view.id, actor=_actor(actor), what="complainant")
            view = engine.get(view.id)
        detail = case_detail(view, now=_now(engine), tz=_tz(engine), show_pii=show_pii)
        if fmt == "json":
            print_json(detail)
            return
        _print_case(detail, view, _now(engine), _tz(engine))


def _print_case(detail: dict[str, Any], view: CaseView, now: datetime, tz: tzinfo) -> None:
    from rich.table import Table
    from rich.text import Text

    from zhiqian.text import terminal_text

    console = make_console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    complainant = detail["complainant"]
    project = detail["project"]
    lines = [
        ("案件", f"{view.id}  {view.ref}"),
        ("状态", f"{view.state_label} ({view.state})  版本 {view.version}"),
        ("受理", f"{local_time(view.received_at, tz)}  {view.channel}"),
        ("属地/层级", f"{view.handling_region} ({view.level})  原属地 {view.region}"),
        (
            "用人单位",
            f"{view.employer_name}  {view.employer_uscc or '—'}  {view.employer_category}",
        ),
        ("项目", f"{project['name']} ({project['kind']})" if project else "—"),
        ("人数", f"{view.workers}，其中农民工 {view.migrant_workers}"),
        ("金额(元)", f"{view.amount}，其中农民工 {view.migrant_amount}"),
        (
            "投诉人",
            f"{complainant['name']}  {complainant['phone']}  {complainant['id_number'] or '—'}",
        ),
        ("标记", "、".join(view.flags) or "—"),
        ("包案领导", view.leader or "—"),
        ("督办", view.supervised_by or "—"),
        ("规则包", f"{view.pack_name} {view.pack_version}"),
        ("摘要", view.summary or "—"),
    ]
    for key, value in lines:
        grid.add_row(Text(key), Text(terminal_text(value)))
    console.print(grid)

    from zhiqian.engine.cli.output import render_table

    clocks = [
        {
            **c,
            "deadline": local_time(c["deadline"], tz) if c["deadline"] else None,
            "remaining": human_duration(c["remaining"]),
        }
        for c in detail["clocks"]
    ]
    console.print(
        render_table(
            (
                Column("id", "时限"),
                Column("label", "名称"),
                Column("status", "状态"),
                Column("deadline", "截止"),
                Column("remaining", "剩余"),
                Column("basis", "依据"),
            ),
            clocks,
            title="时限 Clocks",
        )
    )
    for clock in detail["clocks"]:
        if clock["trace"]:
            console.print(Text(f"{clock['id']}: " + " → ".join(str(t) for t in clock["trace"])))
    escalations = [
        {**e, "at": local_time(e["at"], tz) if isinstance(e["at"], datetime) else e["at"]}
        for e in detail["escalations"]
    ]
    if escalations:
        console.print(
            render_table(
                (Column("rule", "规则"), Column("actions", "措施"), Column("at", "时间")),
                escalations,
                title="升级 Escalations",
            )
        )
    else:
        console.print(Text("升级 Escalations: 无 none"))
    events = [{**e, "at": local_time(e["at"], tz)} for e in detail["events"]]
    console.print(
        render_table(
            (
                Column("seq", "#", "right"),
                Column("at", "时间"),
                Column("label", "事件"),
                Column("from", "从"),
                Column("to", "到"),
                Column("actor", "经办人"),
                Column("reason", "原因"),
            ),
            events,
            title="经过 Timeline",
        )
    )


# --------------------------------------------------------------------------------- case list

_LIST_COLUMNS = (
    Column("id", "ID", "right"),
    Column("ref", "外部编号"),
    Column("state_label", "状态"),
    Column("level", "层级"),
    Column("region", "属地"),
    Column("employer", "用人单位"),
    Column("workers", "人数", "right"),
    Column("amount", "金额(元)", "right"),
    Column("received_at", "受理时间"),
    Column("leader", "包案领导"),
)
_CSV_LIST_COLUMNS = (
    Column("id", ""),
    Column("ref", ""),
    Column("state", ""),
    Column("state_label", ""),
    Column("level", ""),
    Column("region", ""),
    Column("employer", ""),
    Column("category", ""),
    Column("workers", ""),
    Column("migrant_workers", ""),
    Column("amount", ""),
    Column("received_at", ""),
    Column("leader", ""),
    Column("flags", ""),
)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    state_: Annotated[str | None, typer.Option("--state", help="Lifecycle state id.")] = None,
    region: RegionOption = None,
    level: LevelOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Page size.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    all_: Annotated[bool, typer.Option("--all", help="Every matching case, page by page.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Cases by state, region and level, oldest first (no personal data)."""
    state = _state(ctx, fmt)
    _check_region(region)
    from zhiqian.engine.cli.shapes import case_summary

    with _open(state) as engine:
        tz = _tz(engine)
        page = engine.query(state=state_, region=region, level=level, limit=limit, offset=offset)
        items = list(page.items)
        if all_:
            with progress("读取", page.total - offset, enabled=fmt != "json") as advance:
                advance(len(items))
                while page.has_more:
                    page = engine.query(
                        state=state_,
                        region=region,
                        level=level,
                        limit=limit,
                        offset=page.offset + len(page.items),
                    )
                    items.extend(page.items)
                    advance(len(page.items))
        rows = [case_summary(c, tz) for c in items]
    table_rows = [{**r, "received_at": local_time(r["received_at"], tz)} for r in rows]
    shown = f"{offset + 1}–{offset + len(rows)}" if rows else "0"
    print_listing(
        fmt,
        _CSV_LIST_COLUMNS if fmt == "csv" else _LIST_COLUMNS,
        table_rows if fmt == "table" else rows,
        caption=f"共 {page.total} 件，显示 {shown}",
    )


# --------------------------------------------------------------------------------- overdue, sweep


def _parse_within(text: str | None) -> timedelta | None:
    if text is None:
        return None
    from zhiqian.rules.limits import LimitUnit, parse_limit

    try:
        limit = parse_limit(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--within") from None
    if limit.unit == LimitUnit.DAYS:
        return timedelta(days=limit.n)
    if limit.unit == LimitUnit.HOURS:
        return timedelta(hours=limit.n)
    raise typer.BadParameter(
        f"{text!r}: give natural days or hours ('2 days', '12 hours')", param_hint="--within"
    )


_OVERDUE_COLUMNS = (
    Column("case", "案件", "right"),
    Column("ref", "外部编号"),
    Column("clock_label", "时限"),
    Column("deadline", "截止"),
    Column("overdue_by", "超期/剩余", "right"),
    Column("workdays_left", "剩余工作日", "right"),
    Column("level", "层级"),
    Column("region", "属地"),
    Column("state", "状态"),
)


@app.command("overdue")
def overdue(
    ctx: typer.Context,
    at: AtOption = None,
    region: RegionOption = None,
    level: LevelOption = None,
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            metavar="DURATION",
            help="Also clocks due within this span: '2 days', '12 hours'.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    fmt: FormatOption = "table",
) -> None:
    """Overdue (and, with --within, soon-due) clocks, most overdue first."""
    state = _state(ctx, fmt)
    _check_region(region)
    span = _parse_within(within)
    from zhiqian.engine.cli.shapes import overdue_shape

    with _open(state, at) as engine:
        now, tz = _now(engine), _tz(engine)
        rows = [
            overdue_shape(item, tz)
            for item in engine.overdue(within=span, region=region, level=level, limit=limit)
        ]
    table_rows = [
        {
            **r,
            "clock_label": f"{r['clock_label']} ({r['clock']})",
            "deadline": local_time(r["deadline"], tz) + ("（推定）" if r["assumed"] else ""),
            "overdue_by": human_duration(-r["overdue_by"]),
        }
        for r in rows
    ]
    print_listing(
        fmt,
        _OVERDUE_COLUMNS,
        table_rows if fmt == "table" else rows,
        json_rows=rows,
        caption=f"截至 {local_time(now, tz)}：{len(rows)} 项",
    )


def _library(what: str, module: str, name: str) -> Any:
    """``module.name`` of the library, or exit 2 while this build does not have it."""
    if importlib.util.find_spec(module) is None:
        _unavailable(what, f"{module}.{name}")
    from importlib import import_module

    found = getattr(import_module(module), name, None)
    if found is None:
        _unavailable(what, f"{module}.{name}")
    return found


@app.command("sweep")
def sweep(ctx: typer.Context, at: AtOption = None, fmt: ShowFormatOption = "table") -> None:
    """One scheduler pass, as the daemon runs it: fire due timers, escalate, queue notices.

    Safe to repeat: a timer that has fired does not fire again.
    """
    state = _state(ctx, fmt)
    run = _library("sweep", "zhiqian.engine.jobs.sweep", "sweep")
    from zhiqian.engine.cli.shapes import sweep_shape

    with _open(state, at) as engine:
        result = run(engine)
    shape = sweep_shape(result)
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(
            f"fired {shape['fired']} timers: {shape['escalations']} escalations, "
            f"{shape['notices']} notices queued\n"
        )


# --------------------------------------------------------------------------------- notices

_NOTICE_COLUMNS = (
    Column("id", "ID", "right"),
    Column("case", "案件", "right"),
    Column("template", "文书"),
    Column("channel", "渠道"),
    Column("recipient", "接收方"),
    Column("status", "状态"),
    Column("attempts", "尝试", "right"),
)


def _outbox(what: str, name: str) -> Any:
    return _library(what, "zhiqian.engine.outbox", name)


@notices_app.command("list")
def notices_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="held, digested, pending, sending, sent or dead (dead = gave up)."
        ),
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", metavar="ID", help="Only this case (id or ref).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    fmt: FormatOption = "table",
) -> None:
    """Notices in the outbox, newest first."""
    state = _state(ctx, fmt)
    list_notices = _outbox("notices list", "list_notices")
    statuses = getattr(sys.modules["zhiqian.engine.outbox"], "STATUSES", ())
    if status is not None and statuses and status not in statuses:
        raise typer.BadParameter(
            f"{status!r} is not one of {', '.join(statuses)}", param_hint="--status"
        )
    from zhiqian.engine.cli.shapes import notice_shape

    with _open(state) as engine:
        case_id = _find(engine, case, history=False).id if case is not None else None
        rows = [
            notice_shape(n)
            for n in list_notices(engine, status=status, case_id=case_id, limit=limit)
        ]
    print_listing(fmt, _NOTICE_COLUMNS, rows)


@notices_app.command("show")
def notices_show(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: ShowFormatOption = "table",
) -> None:
    """One notice: where it goes, its attempts, and the rendered document."""
    state = _state(ctx, fmt)
    show_notice = _outbox("notices show", "show_notice")
    from zhiqian.engine.cli.shapes import notice_detail

    with _open(state) as engine:
        shape = notice_detail(show_notice(engine, notice_id), _tz(engine))
    if fmt == "json":
        print_json(shape)
        return
    print_listing("table", _NOTICE_COLUMNS, [shape])
    if shape["last_error"]:
        sys.stdout.write(f"last error: {shape['last_error']}\n")
    if shape["text"]:
        sys.stdout.write(str(shape["text"]).rstrip("\n") + "\n")


@notices_app.command("retry")
def notices_retry(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="ID")],
    at: AtOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Put a dead-lettered (or pending) notice back in the queue, due now, attempts reset."""
    state = _state(ctx, fmt)
    retry_notice = _outbox("notices retry", "retry_notice")
    from zhiqian.engine.cli.shapes import notice_shape

    with _open(state, at) as engine:
        shape = notice_shape(retry_notice(engine, notice_id))
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(f"notice {shape['id']} queued again ({shape['status']})\n")


NoticeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--notice-dir",
        envvar="ZHIQIAN_NOTICE_DIR",
        help="Folder of the file channel (default ./notices).",
    ),
]


@notices_app.command("deliver")
def notices_deliver(
    ctx: typer.Context,
    at: AtOption = None,
    notice_dir: NoticeDirOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Send what is due in the outbox once, through the channels configured in the environment.

    Channels: log and file always; email with ZHIQIAN_SMTP_HOST; webhook and apprise to the notice's address. Failures are retried later with back-off; after the last attempt a notice is dead (notices list --status dead, notices retry ID).
    """
    state = _state(ctx, fmt)
    deliver = _outbox("notices deliver", "deliver")
    channels = _library("notices deliver", "zhiqian.engine.service.daemon", "notifiers_from_env")
    with _open(state, at) as engine:
        report = deliver(engine, channels(notice_dir=notice_dir))
    shape = {
        "sent": int(report.sent),
        "retried": int(report.retried),
        "dead": int(report.dead),
        "deferred": int(report.deferred),
    }
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write(
            f"sent {shape['sent']}, to retry {shape['retried']}, dead-lettered {shape['dead']}, "
            f"held for quiet hours {shape['deferred']}\n"
        )


# --------------------------------------------------------------------------------- rules


@rules_app.command("check")
def rules_check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Rule pack files.")],
    fmt: ShowFormatOption = "table",
) -> None:
    """Validate rule packs; every problem as file:line: message. Exit 1 if any pack is invalid."""
    _state(ctx, fmt)
    from zhiqian.errors import RuleError
    from zhiqian.rules.loader import check_pack, load_pack

    results: list[dict[str, Any]] = []
    all_problems = []
    for path in paths:
        problems = check_pack(path)
        warnings: list[str] = []
        if not problems:
            warnings = [str(w) for w in load_pack(path).warnings]
        all_problems.extend(problems)
        results.append(
            {
                "path": str(path),
                "ok": not problems,
                "problems": [
                    {"file": p.file, "line": p.line, "message": p.message} for p in problems
                ],
                "warnings": warnings,
            }
        )
    if fmt == "json":
        print_json(results)
    else:
        for result in results:
            verdict = "ok" if result["ok"] else f"{len(result['problems'])} problem(s)"
            sys.stdout.write(f"{result['path']}: {verdict}\n")
            for problem in result["problems"]:
                where = problem["file"] + (f":{problem['line']}" if problem["line"] else "")
                sys.stdout.write(f"  {where}: {problem['message']}\n")
            for warning in result["warnings"]:
                sys.stdout.write(f"  warning: {warning}\n")
    if all_problems:
        bad = sum(1 for r in results if not r["ok"])
        message = f"{len(all_problems)} problem(s) in {bad} of {len(results)} pack(s)"
        if fmt == "json":
            print_error(RuleError(all_problems), json_mode=True, message=message)
        else:
            sys.stderr.write(f"zhiqian: RuleError: {message}\n")
        raise typer.Exit(EXIT_REFUSED)


@rules_app.command("show")
def rules_show(ctx: typer.Context, fmt: FormatOption = "table") -> None:
    """The --rules pack after inheritance: clocks and escalations with their legal basis."""
    state = _state(ctx, fmt)
    from zhiqian.rules.loader import load_pack

    pack = load_pack(state.rules)
    clocks = [
        {
            "kind": "clock",
            "id": c.id,
            "label": c.label,
            "rule": str(c.limit),
            "basis": c.basis,
            "status": str(c.status),
        }
        for c in pack.clocks
    ]
    escalations = [
        {
            "kind": "escalation",
            "id": e.id,
            "label": e.label,
            "rule": e.when,
            "basis": e.basis,
            "status": str(e.status),
        }
        for e in pack.escalations
    ]
    if fmt == "json":
        print_json(
            {
                "pack": pack.name,
                "version": pack.version,
                "label": pack.label,
                "chain": [{"pack": n, "version": v} for n, v in pack.chain],
                "timezone": str(pack.timezone),
                "fingerprint": pack.fingerprint,
                "files": list(pack.files),
                "states": [
                    {"id": s.id, "label": s.label, "final": s.final} for s in pack.lifecycle.states
                ],
                "events": [
                    {"id": e.id, "label": e.label, "from": list(e.source), "to": e.to}
                    for e in pack.lifecycle.events
                ],
                "clocks": [
                    {k: v for k, v in c.items() if k != "kind"} | {"limit": c["rule"]}
                    for c in clocks
                ],
                "escalations": [
                    {k: v for k, v in e.items() if k != "kind"} | {"when": e["rule"]}
                    for e in escalations
                ],
                "params": {
                    name: {"value": p.value, "label": p.label, "basis": p.basis}
                    for name, p in pack.params.items()
                },
                "warnings": [str(w) for w in pack.warnings],
            }
        )
        return
    columns = (
        Column("kind", "类别"),
        Column("id", "ID"),
        Column("label", "名称"),
        Column("rule", "时限/条件"),
        Column("basis", "依据"),
        Column("status", "效力"),
    )
    chain = " → ".join(f"{n} {v}" for n, v in pack.chain)
    print_listing(
        fmt,
        columns,
        clocks + escalations,
        title=f"{pack.name} {pack.version} {pack.label}",
        caption=f"继承 {chain}；时区 {pack.timezone}",
    )


@rules_app.command("graph")
def rules_graph(ctx: typer.Context) -> None:
    """The --rules pack's lifecycle as a Mermaid state diagram (paste into any Markdown viewer)."""
    state = _state(ctx)
    from zhiqian.rules.loader import load_pack
    from zhiqian.rules.schema import PREVIOUS_STATE

    life = load_pack(state.rules).lifecycle
    lines = ["stateDiagram-v2"]
    lines += [f"    {s.id}: {s.label} {s.id}" for s in life.states]
    lines.append(f"    [*] --> {life.initial}")
    for ev in life.events:
        for source in ev.source:
            if ev.to == PREVIOUS_STATE:
                # back to where the case came from: every state with an event into ``source``
                targets = [e.source for e in life.events if e.to == source]
                for target in sorted({t for group in targets for t in group}):
                    lines.append(f"    {source} --> {target}: {ev.id} {ev.label}")
            else:
                lines.append(f"    {source} --> {ev.to}: {ev.id} {ev.label}")
    lines += [f"    {s.id} --> [*]" for s in life.states if s.final]
    sys.stdout.write("\n".join(lines) + "\n")


@rules_app.command("explain")
def rules_explain(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    at: AtOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Which clocks and escalations apply to a case, and why (each with its legal basis)."""
    state = _state(ctx, fmt)
    from zhiqian.engine.cli.shapes import explanation_shape

    with _open(state, at) as engine:
        view = _find(engine, case, history=False)
        explanation = engine.explain(view.id)
        shape = explanation_shape(explanation, _tz(engine))
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write("\n".join(explanation.lines()) + "\n")


@rules_app.command("recompute")
def rules_recompute(
    ctx: typer.Context,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the new deadlines (default: only show them).")
    ] = False,
    at: AtOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Recompute open deadlines with today's calendar data and the cases' packs.

    Without --apply nothing is written: the listing shows which deadlines would move and by how much. Run it after a new State Council holiday notice or a pack's local-day change, then again with --apply.
    """
    state = _state(ctx, fmt)
    from zhiqian.engine.cli.shapes import deadline_move_shape

    with _open(state, at) as engine:
        tz = _tz(engine)
        rows = [deadline_move_shape(m, tz) for m in engine.recompute(apply=apply)]
    table_rows = [
        {
            **r,
            "old": local_time(r["old"], tz),
            "new": local_time(r["new"], tz),
            "delta": human_duration(r["delta"]).replace("超期 ", "-"),
        }
        for r in rows
    ]
    print_listing(
        fmt,
        (
            Column("case", "案件", "right"),
            Column("ref", "外部编号"),
            Column("clock", "时限"),
            Column("old", "原截止"),
            Column("new", "新截止"),
            Column("delta", "变化", "right"),
        ),
        table_rows if fmt == "table" else rows,
        json_rows=rows,
        caption=("已写入" if apply else "未写入（加 --apply 写入）") + f"：{len(rows)} 项",
    )


# --------------------------------------------------------------------------------- reports


def _report_cases(
    engine: Engine, region: str | None, period_to: date, *, show_progress: bool
) -> list[ReportCase]:
    """The stored cases as the reports count them (the library maps them), received by the
    end of the period; the report itself selects its period."""
    end = datetime.combine(period_to + timedelta(days=1), datetime.min.time(), _tz(engine))
    cases: list[ReportCase] = []
    with progress("读取案件", None, enabled=show_progress) as advance:
        for case in engine.report_cases(region=region, received_to=end):
            cases.append(case)
            advance(1)
    return cases


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


OutOption = Annotated[
    Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write the report.")
]
FileFormatOption = Annotated[
    FileFormat,
    typer.Option("--format", "-f", help="xlsx (laid out like the paper form), csv, html."),
]
UnitOption = Annotated[
    str | None,
    typer.Option(
        "--unit", envvar="ZHIQIAN_UNIT", help="制表单位 / 填报单位 (default: the region's name)."
    ),
]


def _unit(unit: str | None, region: str | None) -> str:
    if unit and unit.strip():
        return unit.strip()
    if region is not None:
        from zhiqian.rules.divisions import name_path

        try:
            return name_path(region).replace(" ", "")
        except LookupError:
            pass
    raise typer.BadParameter(
        "name the reporting unit (制表单位), e.g. --unit 阳泉市人力资源和社会保障局; "
        "it defaults to the name of --region",
        param_hint="--unit",
    )


def _write(kind: str, fmt: str, report: Any, out: Path) -> Path:
    from zhiqian.engine import reports

    out.parent.mkdir(parents=True, exist_ok=True)
    writer: Callable[[Any, Path], Path] = getattr(reports, _WRITERS[kind][fmt])
    return writer(report, out)


_WRITERS: dict[str, dict[str, str]] = {
    "campaign": {"xlsx": "write_xlsx", "csv": "write_csv", "html": "write_html"},
    "ledger": {"xlsx": "write_ledger_xlsx", "csv": "write_ledger_csv", "html": "write_ledger_html"},
}


@report_app.command("campaign")
def report_campaign(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day, inclusive.")],
    fmt: FileFormatOption,
    out: OutOption,
    region: RegionOption = None,
    unit: UnitOption = None,
    at: AtOption = None,
) -> None:
    """附件2 根治欠薪冬季专项行动情况 over the cases received from --from to --to."""
    state = _state(ctx)
    _check_region(region)
    period_from, period_to = _day(from_, "--from"), _day(to, "--to")
    unit_name = _unit(unit, region)
    with _open(state, at) as engine:
        from zhiqian.engine.reports import campaign_report

        cases = _report_cases(engine, region, period_to, show_progress=True)
        report = campaign_report(
            cases,
            period_from=period_from,
            period_to=period_to,
            unit_name=unit_name,
            made_at=_now(engine),
            tz=_tz(engine),
        )
    path = _write("campaign", fmt, report, out)
    sys.stdout.write(f"{path}\n")
    sys.stderr.write(
        f"附件2: {report.cases_counted} cases counted, {period_from} – {period_to}"
        + (
            f", {report.contracts_unknown} without a 签订劳动合同 figure"
            if report.contracts_unknown
            else ""
        )
        + "\n"
    )


@report_app.command("ledger")
def report_ledger(
    ctx: typer.Context,
    fmt: FileFormatOption,
    out: OutOption,
    region: RegionOption = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="First day (default: 1st of --to's month)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Last day (default: today / --at).")
    ] = None,
    unit: UnitOption = None,
    at: AtOption = None,
) -> None:
    """案件台账: cases open at some time in the period (received by its end, not closed before its start), per region."""
    state = _state(ctx)
    _check_region(region)
    unit_name = _unit(unit, region)
    with _open(state, at) as engine:
        from zhiqian.engine.reports import ledger

        now = _now(engine)
        period_to = _day(to, "--to") if to else now.astimezone(_tz(engine)).date()
        period_from = _day(from_, "--from") if from_ else period_to.replace(day=1)
        cases = _report_cases(engine, region, period_to, show_progress=True)
        book = ledger(
            cases,
            region=region,
            period_from=period_from,
            period_to=period_to,
            made_at=now,
            tz=_tz(engine),
            unit_name=unit_name,
        )
    path = _write("ledger", fmt, book, out)
    sys.stdout.write(f"{path}\n")
    sys.stderr.write(f"台账: {book.totals.cases} cases, {period_from} – {period_to}\n")


# --------------------------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, fmt: ShowFormatOption = "table") -> None:
    """Check the hash chain of every case's event log; exit 1 with each finding if it breaks."""
    state = _state(ctx, fmt)
    from zhiqian.errors import AuditError

    with _open(state) as engine:
        findings = engine.verify_audit()
    if findings:
        raise AuditError(findings)
    if fmt == "json":
        print_json({"ok": True, "findings": []})
    else:
        sys.stdout.write("audit log verifies: no edited, deleted or reordered events\n")


# --------------------------------------------------------------------------------- daemon, demo


@app.command("daemon")
def daemon(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One sweep, the digest if due, one delivery; exit.")
    ] = False,
    at: AtOption = None,
    notice_dir: NoticeDirOption = None,
    sweep_seconds: Annotated[
        float, typer.Option("--sweep-seconds", min=0.1, help="Sweep interval.")
    ] = 30.0,
    deliver_seconds: Annotated[
        float, typer.Option("--deliver-seconds", min=0.1, help="Outbox interval.")
    ] = 15.0,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Cases per sweep batch.")] = 500,
    worker: Annotated[
        str | None, typer.Option("--worker", help="Name in the logs and claims.")
    ] = None,
) -> None:
    """Run the scheduler: sweep due timers and deliver notices until SIGTERM (logs: JSON lines on stderr).

    Several daemons may share one PostgreSQL database: each due action happens once. SIGTERM finishes the batch in hand and exits 0.
    """
    state = _state(ctx)
    run_daemon = _library("daemon", "zhiqian.engine.service.daemon", "run_daemon")
    when = _parse_at(at) if at is not None else None
    clock = None
    if when is not None:
        from zhiqian import FrozenClock
        from zhiqian.rules.loader import load_pack

        if when.utcoffset() is None:
            when = when.replace(tzinfo=load_pack(state.rules).timezone)
        clock = FrozenClock(when)
    code = run_daemon(
        state.db,
        pack=state.rules,
        once=once,
        clock=clock,
        notice_dir=notice_dir,
        sweep_seconds=sweep_seconds,
        deliver_seconds=deliver_seconds,
        batch=batch,
        worker=worker,
    )
    raise typer.Exit(int(code or 0))


@app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo database and its files.")
    ] = Path("zhiqian-demo"),
    notices_shown: Annotated[
        int, typer.Option("--notices", min=0, help="How many notice documents to print.")
    ] = 3,
) -> None:
    """The winter campaign of 2019 replayed: 阳泉市, the yangquan-2019 pack, a few hundred cases.

    A fresh SQLite database in --out; a simulated clock walks from 2019-11-15 to the Spring Festival of 2020 with the sweep running. Prints what escalated and why, some notice documents, the overdue table and the files written (附件2, 台账, notices).
    """
    run_demo = _library("demo", "zhiqian.engine.cli.demo", "run_demo")
    console = make_console()
    with progress("demo", None, enabled=True) as advance:
        seen = 0

        def step(_phase: str, done: int, _total: int) -> None:
            nonlocal seen
            advance(done - seen)
            seen = done

        result = run_demo(out, progress=step)
    from collections import Counter

    from rich.text import Text

    console.print(
        Text(
            f"{result.cases} cases, {result.events} events, {result.sweeps} sweeps; "
            f"database {result.database}"
        )
    )
    by_rule = Counter(rule for _ref, rule, _event, _at in result.escalations)
    from zhiqian.rules.loader import load_pack

    pack = load_pack(str(getattr(result, "pack", "yangquan-2019")))
    known = {e.id: e for e in pack.escalations}
    print_listing(
        "table",
        (
            Column("rule", "规则 rule"),
            Column("label", "升级 what"),
            Column("count", "次数", "right"),
            Column("basis", "依据 why"),
        ),
        [
            {
                "rule": rule,
                "label": known[rule].label if rule in known else "",
                "count": n,
                "basis": known[rule].basis if rule in known else "",
            }
            for rule, n in by_rule.most_common()
        ],
        title="升级 What escalated, and why",
    )
    shown: set[str] = set()
    for path in result.notices:
        template = path.stem.rsplit("-", 2)[-2] if path.stem.count("-") >= 2 else path.stem
        if path.suffix != ".txt" or template in shown or len(shown) >= notices_shown:
            continue
        shown.add(template)
        console.print(Text(f"── {path}", style="bold"))
        console.print(Text(path.read_text("utf-8").rstrip("\n")))
    tz = _demo_tz()
    from zhiqian.engine.cli.shapes import overdue_shape

    rows = [overdue_shape(item, tz) for item in result.overdue]
    print_listing(
        "table",
        _OVERDUE_COLUMNS,
        [
            {
                **r,
                "clock_label": f"{r['clock_label']} ({r['clock']})",
                "deadline": local_time(r["deadline"], tz),
                "overdue_by": human_duration(-r["overdue_by"]),
            }
            for r in rows
        ],
        title="超期 Overdue at the end",
    )
    for path in [*result.reports, result.folder / "notices"]:
        sys.stdout.write(f"{path}\n")


def _demo_tz() -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


# --------------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``zhiqian``."""
    command = typer.main.get_command(app)
    command.main(list(argv) if argv is not None else None, prog_name="zhiqian")


if __name__ == "__main__":
    main()
