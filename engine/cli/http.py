"""``zhiqian serve`` and ``zhiqian token create|list|revoke``: the HTTP service's commands.

Only typer is imported at module level (``zhiqian --help`` stays cheap); FastAPI and uvicorn are
imported when ``serve`` runs, and their absence is a usage error naming the extra to install.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Annotated, Any, Literal

import typer

from zhiqian.engine.cli.output import Column, OutputState, print_json, print_listing

__all__ = ["register"]

RoleName = Literal["clerk", "leader", "auditor", "admin"]
token_app = typer.Typer(
    help="API tokens of the HTTP service 令牌: create, list, revoke.", no_args_is_help=True
)
_TOKEN_COLUMNS = (
    Column("id", "ID", "right"),
    Column("prefix", "前缀"),
    Column("office", "辖区"),
    Column("role", "角色"),
    Column("holder", "持有人"),
    Column("created_at", "创建"),
    Column("revoked_at", "吊销"),
)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``token`` group to the root command."""
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def _state(ctx: typer.Context, fmt: str = "table") -> OutputState:
    state = ctx.ensure_object(OutputState)
    state.json_mode = fmt == "json"
    return state


def _bind(state: OutputState) -> Any:
    """The database, refused (StoreError, exit 1) unless its schema is current."""
    from zhiqian import Engine

    return Engine.open(state.db, pack=state.rules)


def _token_row(token: Any) -> dict[str, Any]:
    return {
        "id": token.id,
        "prefix": token.prefix,
        "office": token.office,
        "role": token.role,
        "holder": token.holder,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
    }


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Worker processes (share the DB).")
    ] = 1,
    log_level: Annotated[
        Literal["critical", "error", "warning", "info", "debug"],
        typer.Option("--log-level", help="uvicorn's log level."),
    ] = "info",
) -> None:
    """Run the HTTP service (OpenAPI at /openapi.json, docs at /docs) over --db and --rules.

    Needs the http extra: pip install 'zhiqian[http]'. Tokens: zhiqian token create.
    """
    state = _state(ctx)
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise typer.BadParameter(  # exit 2: this install cannot serve
            f"zhiqian serve needs {' and '.join(missing)}: pip install 'zhiqian[http]'"
        )
    _bind(state).close()  # a database without the current schema is refused before listening
    import uvicorn

    # Each worker builds its own engine from the environment (uvicorn starts them by name).
    os.environ["ZHIQIAN_DB"] = state.db
    os.environ["ZHIQIAN_RULES"] = state.rules
    sys.stderr.write(f"zhiqian serve: http://{host}:{port} ({workers} worker(s))\n")
    uvicorn.run(
        "zhiqian.engine.http.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    office: Annotated[
        str, typer.Option("--office", metavar="CODE", help="6-digit 行政区划代码 the token sees.")
    ],
    role: Annotated[RoleName, typer.Option("--role", help="clerk, leader, auditor or admin.")],
    holder: Annotated[
        str | None,
        typer.Option(
            "--holder", help="Who holds it: the actor of its writes (default role@office)."
        ),
    ] = None,
    fmt: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output: table or json.")
    ] = "table",
) -> None:
    """Create a token scoped to OFFICE and its subdivisions. The token is shown ONCE."""
    state = _state(ctx, fmt)
    if len(office) != 6 or not office.isdigit():
        raise typer.BadParameter(
            f"{office!r} is not a 6-digit 行政区划代码 (e.g. 140302)", param_hint="--office"
        )
    name = (holder or "").strip() or f"{role}@{office}"
    engine = _bind(state)
    try:
        token, secret = engine.create_token(office=office, role=role, holder=name)
    finally:
        engine.close()
    if fmt == "json":
        print_json({**_token_row(token), "token": secret})
        return
    sys.stdout.write(secret + "\n")
    sys.stderr.write(
        f"token {token.id} for {name} ({role}, {office}): shown once, only its hash is stored\n"
    )


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    fmt: Annotated[
        Literal["table", "json", "csv"], typer.Option("--format", "-f", help="table, json or csv.")
    ] = "table",
) -> None:
    """Every token (never its secret): id, prefix, office, role, holder, revoked."""
    state = _state(ctx, fmt)
    engine = _bind(state)
    try:
        rows = [_token_row(t) for t in engine.tokens()]
    finally:
        engine.close()
    print_listing(fmt, _TOKEN_COLUMNS, rows)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (token list).")],
    fmt: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output: table or json.")
    ] = "table",
) -> None:
    """Revoke a token: its next request is refused (401). Revoking twice is harmless."""
    state = _state(ctx, fmt)
    from zhiqian import Refused

    engine = _bind(state)
    try:
        token = engine.revoke_token(token_id)
    finally:
        engine.close()
    if token is None:
        raise Refused(f"no token {token_id}")
    if fmt == "json":
        print_json(_token_row(token))
        return
    sys.stdout.write(f"token {token.id} ({token.holder}) revoked\n")
