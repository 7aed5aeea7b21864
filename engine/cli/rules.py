"""``zhiqian rules``: rule packs — check, show, graph, explain a case, recompute deadlines, and
dry-run a candidate pack over the open cases."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhiqian.engine.cli.common import (
    AtOption,
    FormatOption,
    RegionOption,
    ShowFormatOption,
    check_region,
    command_state,
    find_case,
    open_engine,
    pack_tz,
)
from zhiqian.engine.cli.output import (
    EXIT_REFUSED,
    Column,
    human_duration,
    local_time,
    print_error,
    print_json,
    print_listing,
    progress,
)

if TYPE_CHECKING:
    from zhiqian import CaseDryRun, DryRun

__all__ = ["group"]

group = typer.Typer(
    help="Rule packs 规则包: check, show, explain, graph, dry-run.", no_args_is_help=True
)


@group.command("check")
def rules_check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Rule pack files.")],
    fmt: ShowFormatOption = "table",
) -> None:
    """Validate rule packs; every problem as file:line: message. Exit 1 if any pack is invalid."""
    command_state(ctx, fmt)
    from zhiqian import RuleError
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


@group.command("show")
def rules_show(ctx: typer.Context, fmt: FormatOption = "table") -> None:
    """The --rules pack after inheritance: clocks and escalations with their legal basis."""
    state = command_state(ctx, fmt)
    from zhiqian.rules.calendar import LegalCalendar, calendar_dir_from_env
    from zhiqian.rules.duties import report_dues
    from zhiqian.rules.loader import load_pack

    pack = load_pack(state.rules)
    directory = calendar_dir_from_env()
    calendar = LegalCalendar.default(*([directory] if directory else [])).with_extras(
        extra_holidays=pack.calendar.extra_holidays, extra_workdays=pack.calendar.extra_workdays
    )
    clocks = [
        {
            "kind": "clock",
            "id": c.id,
            "label": c.label,
            "rule": _clock_rule(c),
            "basis": c.basis,
            "status": str(c.status),
        }
        for c in pack.clocks
    ]
    dues = report_dues(
        pack.routing.reports, effective=pack.effective, calendar=calendar, tz=pack.timezone
    )
    reports = [
        {
            "kind": "report",
            "id": d.id,
            "label": d.label,
            "rule": d.how,
            "basis": d.basis,
            "status": str(r.status),
        }
        for d, r in zip(dues, pack.routing.reports, strict=True)
    ]
    escalations = [
        {
            "kind": "escalation",
            "id": e.id,
            "label": e.label,
            "rule": e.when,
            "basis": e.basis,
            "status": str(e.status),
            "actions": [pack.action_mode(a, e).model_dump() for a in e.do],
            "in_force": _window(e.in_force),
        }
        for e in pack.escalations
    ]
    # The figures the conditions compare with; a local default says where it was taken from.
    params = [
        {
            "kind": "param",
            "id": name,
            "label": p.label or name,
            "rule": _param_rule(p),
            "basis": p.basis if p.example is None else f"{p.basis}；示例：{p.example}",
            "status": str(p.status),
        }
        for name, p in pack.params.items()
    ]
    # What each rule's actions do: acts (the system does it) or recommends (a person decides).
    acts = [
        {
            "kind": "action",
            "id": f"{e.id}.{a.kind}",
            "label": "recommends 提请决定" if m.mode == "recommends" else "acts 直接执行",
            "rule": "" if m.decided_by is None else f"{m.decided_by}，{m.within}",
            "basis": m.basis,
            "status": "",
        }
        for e in pack.escalations
        for a in e.do
        for m in (pack.action_mode(a, e),)
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
                    {k: v for k, v in c.items() if k not in ("kind", "rule")}
                    | {"limit": str(spec.limit)}
                    | _clock_scope(spec)
                    for c, spec in zip(clocks, pack.clocks, strict=True)
                ],
                "reports": [
                    {
                        "id": d.id,
                        "label": d.label,
                        "due": d.due,
                        "day_of_month": d.day_of_month,
                        "in_force": _window(d.in_force),
                        "how": d.how,
                        "to": list(d.to),
                        "basis": d.basis,
                    }
                    for d in dues
                ],
                "escalations": [
                    {k: v for k, v in e.items() if k != "kind"} | {"when": e["rule"]}
                    for e in escalations
                ],
                "params": {
                    name: {
                        "value": p.value,
                        "label": p.label,
                        "basis": p.basis,
                        "status": str(p.status),
                        "local_default": p.local_default,
                        "example": p.example,
                        "in_force": _window(p.in_force),
                    }
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
        [
            {k: v for k, v in row.items() if k not in ("actions", "in_force")}
            for row in clocks + _dated(escalations, pack.escalations) + reports + acts + params
        ],
        title=f"{pack.name} {pack.version} {pack.label}",
        caption=f"继承 {chain}；时区 {pack.timezone}",
    )


def _window(window: Any) -> dict[str, Any] | None:
    if window is None:
        return None
    return {"from": window.from_, "to": window.to}


def _dated(rows: list[dict[str, Any]], specs: Any) -> list[dict[str, Any]]:
    """Rules as the table shows them: the condition, then the days it is in force."""
    return [
        row if spec.in_force is None else {**row, "rule": f"{row['rule']}；施行 {spec.in_force}"}
        for row, spec in zip(rows, specs, strict=True)
    ]


def _param_rule(param: Any) -> str:
    parts = [str(param.value)]
    if param.local_default:
        parts.append("本地默认值，由省、市规则包确定")
    if param.in_force is not None:
        parts.append(f"施行 {param.in_force}")
    return "；".join(parts)


def _clock_scope(spec: Any) -> dict[str, Any]:
    """Which cases the clock is for: its window in force and its start's filters."""
    start = spec.start
    return {
        "in_force": _window(spec.in_force),
        "channel": list(start.channel),
        "unless_channel": list(start.unless_channel),
        "received_between": _window(start.received_between),
    }


def _clock_rule(spec: Any) -> str:
    """The limit, then who the clock is for, in a clerk's words."""
    parts = [str(spec.limit)]
    if spec.in_force is not None:
        parts.append(f"施行 {spec.in_force.text_zh()}")
    start = spec.start
    if start.channel:
        parts.append(f"仅 {'、'.join(start.channel)}")
    if start.unless_channel:
        parts.append(f"不含 {'、'.join(start.unless_channel)}")
    if start.received_between is not None:
        parts.append(f"受理日 {start.received_between.text_zh()}")
    return "；".join(parts)


@group.command("graph")
def rules_graph(ctx: typer.Context) -> None:
    """The --rules pack's lifecycle as a Mermaid state diagram (paste into any Markdown viewer)."""
    state = command_state(ctx)
    from zhiqian import Lifecycle
    from zhiqian.rules.loader import load_pack

    pack = load_pack(state.rules)
    # The lifecycle the engine decides with says where each event leads ($previous included);
    # the diagram only draws it, in the pack's order (returns sorted, for a stable diagram).
    machine = Lifecycle(pack.lifecycle, guard_check=pack.guard_check)
    life = pack.lifecycle
    lines = ["stateDiagram-v2"]
    lines += [f"    {s.id}: {s.label} {s.id}" for s in life.states]
    lines.append(f"    [*] --> {life.initial}")
    for ev in life.events:
        for source in ev.source:
            for target in sorted(machine.destinations(source, ev.id)):
                lines.append(f"    {source} --> {target}: {ev.id} {ev.label}")
    lines += [f"    {s.id} --> [*]" for s in life.states if s.final]
    sys.stdout.write("\n".join(lines) + "\n")


@group.command("explain")
def rules_explain(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="ID", help="Case id, or its external ref.")],
    at: AtOption = None,
    fmt: ShowFormatOption = "table",
) -> None:
    """Which clocks and escalations apply to a case, and why (each with its legal basis)."""
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import explanation_shape

    with open_engine(state, at) as engine:
        view = find_case(engine, case, history=False)
        explanation = engine.explain(view.id)
        shape = explanation_shape(explanation, pack_tz(engine))
    if fmt == "json":
        print_json(shape)
    else:
        sys.stdout.write("\n".join(explanation.lines()) + "\n")


@group.command("recompute")
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
    state = command_state(ctx, fmt)
    from zhiqian.engine.cli.shapes import deadline_move_shape

    with open_engine(state, at) as engine:
        tz = pack_tz(engine)
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


_CHANGE_LABELS = {"moves": "期限变动", "starts": "开始计时", "stops": "停止计时"}
_KIND_LABELS = {**_CHANGE_LABELS, "fires": "规则触发", "note": "说明"}
_MODE_LABELS = {"acts": "直接执行", "recommends": "提请决定"}
DRY_RUN_TABLE = (
    Column("case", "案件", "right"),
    Column("ref", "外部编号"),
    Column("state", "状态"),
    Column("kind", "变化"),
    Column("id", "时限/规则"),
    Column("label", "名称"),
    Column("old", "原截止/原状态"),
    Column("new", "新截止/新状态"),
    Column("workdays", "工作日", "right"),
    Column("detail", "动作/说明"),
)
# CSV: one fact per column, for a spreadsheet (the table folds them for a reader).
DRY_RUN_CSV = (
    Column("case", "案件"),
    Column("ref", "外部编号"),
    Column("state", "状态"),
    Column("kind", "变化"),
    Column("id", "时限/规则"),
    Column("label", "名称"),
    Column("old_status", "原状态"),
    Column("old_deadline", "原截止"),
    Column("new_status", "新状态"),
    Column("new_deadline", "新截止"),
    Column("workdays", "工作日"),
    Column("assumed", "推定"),
    Column("actions", "动作"),
    Column("modes", "执行方式"),
    Column("note", "说明"),
)


@group.command("dry-run")
def rules_dry_run(
    ctx: typer.Context,
    pack: Annotated[
        str, typer.Argument(metavar="PACK", help="The candidate: a pack file or a shipped name.")
    ],
    every_pack: Annotated[
        bool,
        typer.Option(
            "--all-packs",
            help="Every open case (default: the cases of PACK's name and the packs it extends).",
        ),
    ] = False,
    region: RegionOption = None,
    at: AtOption = None,
    fmt: FormatOption = "table",
) -> None:
    """What adopting PACK would change on the open cases, writing nothing.

    Per case: the clocks whose deadline moves (old → new, in the pack's timezone, with the shift in working days), the clocks that would start or stop, and the escalation rules that would fire now. Totals at the end. Each case's clocks are replayed from its event log under PACK.
    """
    state = command_state(ctx, fmt)
    check_region(region)
    from zhiqian.rules.loader import load_pack

    candidate = load_pack(pack)  # a broken file: RuleError, every problem at file:line
    tz = candidate.timezone
    with (
        open_engine(state, at) as engine,
        progress("试运行", None, enabled=fmt != "json") as advance,
    ):
        result = engine.dry_run(candidate, every_pack=every_pack, region=region, progress=advance)
    if fmt == "json":
        print_json(_dry_run_shape(result, tz))
        return
    rows = [row for case in result.cases for row in _dry_run_rows(case, tz)]
    totals = _totals_text(result)
    if fmt == "csv":
        print_listing(fmt, DRY_RUN_CSV, rows)
        sys.stderr.write(f"zhiqian: {totals}\n")
        return
    scope = "、".join(result.scope) if result.scope is not None else "全部规则包"
    where = f"，{result.region} 及其下辖" if result.region else ""
    print_listing(
        fmt,
        DRY_RUN_TABLE,
        [_table_row(row, tz) for row in rows],
        title=f"试运行 {result.pack} {result.version}（未写入任何数据）",
        caption=f"截至 {local_time(result.at, tz)}；案件范围：{scope}{where}\n{totals}",
    )


def _dry_run_rows(case: CaseDryRun, tz: tzinfo) -> list[dict[str, Any]]:
    """The rows of one case: its clock changes, its rule firings, its notes (times local)."""
    head = {"case": case.case_id, "ref": case.ref, "state": case.state}
    rows: list[dict[str, Any]] = []
    for c in case.clocks:
        rows.append(
            head
            | {
                "kind": c.change,
                "id": c.clock,
                "label": c.label,
                "old_status": c.old_status,
                "old_deadline": c.old_deadline.astimezone(tz) if c.old_deadline else None,
                "new_status": c.new_status,
                "new_deadline": c.new_deadline.astimezone(tz) if c.new_deadline else None,
                "workdays": c.workdays,
                "assumed": c.assumed,
            }
        )
    for r in case.rules:
        rows.append(
            head
            | {
                "kind": "fires",
                "id": r.rule,
                "label": r.label,
                "actions": list(r.actions),
                "modes": list(r.modes),
            }
        )
    rows += [head | {"kind": "note", "note": note} for note in case.notes]
    return rows


def _table_row(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A row as the table shows it: a deadline where there is one, else the status."""
    kind = row["kind"]
    out = dict(row, kind=_KIND_LABELS[kind])
    if kind in _CHANGE_LABELS:
        old, new = row["old_deadline"], row["new_deadline"]
        out["old"] = local_time(old, tz) if old else row["old_status"]
        out["new"] = local_time(new, tz) if new else row["new_status"]
        if row["workdays"] is not None:
            out["workdays"] = f"{row['workdays']:+d}"
        details = []
        if old and new and row["old_status"] != row["new_status"]:
            details.append(f"{row['old_status']} → {row['new_status']}")
        if row["assumed"]:
            details.append("推定：超出日历数据")
        out["detail"] = "；".join(details)
    elif kind == "fires":
        out["detail"] = "、".join(
            f"{action}（{_MODE_LABELS.get(mode, mode)}）"
            for action, mode in zip(row["actions"], row["modes"], strict=True)
        )
    else:
        out["detail"] = row.get("note")
    return out


def _totals_text(result: DryRun) -> str:
    t = result.totals
    rules = "，".join(f"{rule} {n}" for rule, n in t.by_rule.items()) or "无"
    return (
        f"合计：未结案件 {t.cases} 件，其中有变化 {t.changed} 件；期限变动 {t.moved} 项"
        f"（提前 {t.earlier}，推后 {t.later}），开始计时 {t.started} 项，停止计时 {t.stopped} 项；"
        f"规则触发 {t.firings} 次（{rules}）；说明 {t.notes} 条"
    )


def _dry_run_shape(result: DryRun, tz: tzinfo) -> dict[str, Any]:
    """``rules dry-run --format json``: the run, each case with something to show, the totals."""

    def local(value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(tz)

    t = result.totals
    return {
        "pack": result.pack,
        "version": result.version,
        "fingerprint": result.fingerprint,
        "timezone": result.timezone,
        "at": local(result.at),
        "scope": list(result.scope) if result.scope is not None else None,
        "region": result.region,
        "written": False,
        "cases": [
            {
                "case": c.case_id,
                "ref": c.ref,
                "state": c.state,
                "pack": c.pack,
                "clocks": [
                    {
                        "clock": k.clock,
                        "label": k.label,
                        "change": k.change,
                        "old_status": k.old_status,
                        "new_status": k.new_status,
                        "old_deadline": local(k.old_deadline),
                        "new_deadline": local(k.new_deadline),
                        "workdays": k.workdays,
                        "assumed": k.assumed,
                        "basis": k.basis,
                    }
                    for k in c.clocks
                ],
                "rules": [
                    {
                        "rule": r.rule,
                        "label": r.label,
                        "cycle_key": r.cycle_key,
                        "actions": list(r.actions),
                        "modes": list(r.modes),
                        "basis": r.basis,
                    }
                    for r in c.rules
                ],
                "notes": list(c.notes),
            }
            for c in result.cases
        ],
        "totals": {
            "cases": t.cases,
            "changed": t.changed,
            "moved": t.moved,
            "earlier": t.earlier,
            "later": t.later,
            "started": t.started,
            "stopped": t.stopped,
            "firings": t.firings,
            "by_rule": dict(t.by_rule),
            "notes": t.notes,
        },
    }
