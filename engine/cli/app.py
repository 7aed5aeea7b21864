"""``zhiqian``: the administrators' command line, a thin layer over the public library.

No domain logic lives here: every decision (validation, transitions, clocks, escalations, report
figures) is the library's; each command parses its options, opens the engine, calls one library
method and prints what it returns. This module is the root: the global options, the command
groups (one module each: cases, deadlines, notices, rules, reports, audit, db, daemon, demo), and
the one place where errors map to exit codes (:class:`_ZhiqianGroup`): 0 success, 1 refused
(any ``ZhiqianError``), 2 bad usage.

Imports of the engine, the rules, SQLAlchemy, rich and openpyxl happen inside the commands, so
``zhiqian --help`` costs little more than starting Python (measured in tests/cli/test_output.py).
The command surface and the JSON shapes are documented in docs/cli.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from zhiqian import StoreError, ZhiqianError
from zhiqian.engine.cli import (
    audit,
    cases,
    daemon,
    db,
    deadlines,
    decisions,
    demo,
    notices,
    performance,
    reports,
    rules,
)
from zhiqian.engine.cli.common import DEFAULT_DB, DEFAULT_RULES
from zhiqian.engine.cli.http import register as _register_http
from zhiqian.engine.cli.output import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    OutputState,
    print_error,
)

__all__ = ["DEFAULT_DB", "DEFAULT_RULES", "app", "main"]


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
# The groups and the root's own commands, in the order --help lists them.
app.add_typer(db.group, name="db")
app.add_typer(cases.group, name="case")
cases.group.command("propose")(decisions.case_propose)
cases.group.command("decide")(decisions.case_decide)
cases.group.command("decisions")(decisions.case_decisions)
app.add_typer(rules.group, name="rules")
app.add_typer(notices.group, name="notices")
app.add_typer(reports.group, name="report")
app.add_typer(audit.group, name="audit")
app.command("overdue")(deadlines.overdue)
app.command("sweep")(deadlines.sweep)
app.command("daemon")(daemon.daemon)
app.command("demo")(demo.demo)
reports.group.command("performance")(performance.report_performance)
app.command("stats")(performance.stats)
_register_http(app)


def _version(value: bool) -> None:
    if value:
        from zhiqian import __version__

        sys.stdout.write(f"zhiqian {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    ctx: typer.Context,
    db_url: Annotated[
        str,
        typer.Option(
            "--db",
            envvar="ZHIQIAN_DB",
            metavar="URL",
            help="Database URL: sqlite:///FILE or postgresql://USER@HOST/DB.",
        ),
    ] = DEFAULT_DB,
    rules_pack: Annotated[
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
    state.db = db_url
    state.rules = rules_pack


# --------------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``zhiqian``."""
    command = typer.main.get_command(app)
    command.main(list(argv) if argv is not None else None, prog_name="zhiqian")


if __name__ == "__main__":
    main()
