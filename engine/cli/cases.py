"""``zhiqian case``: receive complaints, fire lifecycle events, show and list cases."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhiqian.engine.cli.common import (
    ActorOption,
    AtOption,
    FormatOption,
    LevelOption,
    RegionOption,
    ShowFormatOption,
    actor_name,
    check_region,
    command_state,
    find_case,
    now_utc,
    open_engine,
    pack_tz,
)
from zhiqian.engine.cli.output import (
    EXIT_REFUSED,
    Column,
    human_duration,
    local_time,
    make_console,
    print_json,
    print_listing,
    progress,
)

if TYPE_CHECKING:
    from zhiqian import CaseView

__all__ = ["group", "parse_params"]

RECEIVE_CHUNK = 200  # records per receive_many call: the progress bar moves between chunks

group = typer.Typer(help="Cases 案件: add, act, show, list.", no_args_is_help=True)

_ADD_COLUMNS = (
    Column("record", "记录", "right"),
    Column("ref", "外部编号"),
    Column("id", "案件ID", "right"),
    Column("status", "结果"),
    Column("detail", "说明"),
)


@group.command("add")
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
    state = command_state(ctx, fmt)
    text = _read_source(source)
    from zhiqian import DuplicateCase, FieldProblem, InvalidIntake, read_records

    with open_engine(state, at) as engine:
        records = read_records(text, keep_going=True)
        results: dict[int, Any] = {
            i: r for i, r in enumerate(records) if isinstance(r, InvalidIntake)
        }
        good = [(i, r) for i, r in enumerate(records) if not isinstance(r, InvalidIntake)]
        with progress("受理", len(good), enabled=fmt != "json") as advance:
            for start in range(0, len(good), RECEIVE_CHUNK):
                chunk = good[start : start + RECEIVE_CHUNK]
                received = engine.receive_many([r for _, r in chunk], actor=actor_name(actor))
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
    from zhiqian import FieldProblem, InvalidIntake

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


@group.command("act")
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
    state = command_state(ctx, fmt)
    params = parse_params(param or [])
    with open_engine(state, at) as engine:
        before = find_case(engine, case, history=False)
        engine.act(
            before.id,
            event,
            actor=actor_name(actor),
            reason=reason,
            params=params or None,
            expected_version=expected_version,
        )
        after = engine.get(before.id)
        if fmt == "json":
            from zhiqian.engine.cli.shapes import case_detail

            print_json(case_detail(after, now=now_utc(engine), tz=pack_tz(engine)))
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
    if mine is not None:  # done, but not as the law wants it (立案 after the day of 受理)
        lines += [f"  警示：{w}" for w in mine.payload.get("warnings", ())]
    after_mine = [e for e in new if mine is not None and e.seq > mine.seq and e.rule_id]
    lines += [f"  rule {e.rule_id}: {e.event} {e.label}" for e in after_mine]
    sys.stdout.write("".join(line + "\n" for line in lines))


def parse_params(items: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        params[key.strip()] = value
    return params


# --------------------------------------------------------------------------------- case show


@group.command("show")
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
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import case_detail

    with open_engine(state, at) as engine:
        view = find_case(engine, case)
        if show_pii:
            # written to the audit log before anything unmasked is shown
            engine.record_access(view.id, actor=actor_name(actor), what="complainant")
            view = engine.get(view.id)
        detail = case_detail(view, now=now_utc(engine), tz=pack_tz(engine), show_pii=show_pii)
        if fmt == "json":
            print_json(detail)
            return
        _print_case(detail, view, now_utc(engine), pack_tz(engine))


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


@group.command("list")
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
    state = command_state(ctx, fmt)
    check_region(region)
    from zhiqian.engine.cli.shapes import case_summary

    with open_engine(state) as engine:
        tz = pack_tz(engine)
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
