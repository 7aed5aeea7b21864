"""Load rule packs: YAML → inheritance → schema → checks → ``RulePack``, every problem with file:line.

Reading. Packs are YAML read with ruamel.yaml's round-trip loader (``typ="rt"``), which keeps the
line of every node and reads ``on:``, ``no`` and ``010`` as written (PyYAML would not). Each node is
kept with the file and 1-based line it was written on, so a problem found after inheritance still
points at the file that wrote the offending value.

Inheritance (``extends: national``). The chain is merged from the root (``national``) to the leaf:

- lists of elements with ids — ``clocks``, ``escalations``, ``actions``, ``lifecycle.states``,
  ``lifecycle.events``, ``routing.roles``, ``routing.reports`` — merge **by id**: a child element
  with a known id overrides the keys it names (the others are inherited: write
  ``{id: investigation, limit: 45 workdays, basis: ...}`` to change only the limit); a new id is
  appended; ``{id: x, remove: true}`` removes the element;
- ``params`` merge by name (a child's entry replaces the whole entry); ``lifecycle``, ``routing``
  and ``calendar`` merge key by key; every other value (scalars, ``effective``, plain lists such
  as ``calendar.extra_holidays``) is replaced by the child's;
- ``pack``, ``version`` and ``extends`` belong to each file and are never inherited.

The merged pack remembers where each element came from (``RulePack.source_of``).

Clock conditions (ServiceNow's six, per clock). On each change of a case — an event, a state
change, an internal action (``file``, ``order_payment``…), or a change of the data a ``when``
reads — the engine evaluates, for each clock in pack order::

    cancel → stop → reset → pause → resume → start

``cancel`` ends the clock without a verdict (no breach is ever reported); ``stop`` ends it and
keeps the verdict (met or breached); ``reset`` starts a running or stopped clock over (a new
cycle: warnings and escalations may fire again); ``pause`` stops the time from counting and
``resume`` continues it (paused time is not counted); ``start`` starts a clock that is not running.
Only the first that applies to the clock's current status fires: a clock stopped and started by
the same change stays stopped. ``pause: {while_state: [s]}`` is sugar for ``pause: {on_enter:
[s]}`` plus ``resume: {on_leave: [s]}``. Within one trigger, ``on_event``, ``on_enter`` and
``on_leave`` are alternatives; a ``when`` beside them must also hold; a ``when`` alone fires when
it becomes true.

Load-time checks (each a ``RuleProblem(file, line, message)``): YAML syntax and duplicate keys;
unknown keys; missing or ill-typed values; bad limits; duplicate ids in one list; removing an id
the parent does not have; ``extends`` that cannot be found or that loops; an unknown ``initial``
state; events from or to unknown states; unreachable states (``to: $previous`` reaches every state
that has an event into the state it leaves); non-final states with no way out; clocks and
escalations naming unknown states, events, clocks, roles or templates; conditions that do not
compile or read unknown names; warnings not shorter than their limit; extensions in another unit
than the limit; ``effective.from`` after ``effective.to``; ``in_force.from`` after ``in_force.to``
(or a moment, or a number, for a day); a param marked ``local_default`` that is not L or CONV or
names no ``example``. A clock, escalation or param with status ``UNVERIFIED`` loads with a warning
(``RulePack.warnings``, also logged).

Dates in force. An escalation's condition is compiled knowing its rule's ``in_force`` and that of
every param it reads (any condition reading such a param — a clock trigger, a guard — is bound
by the param's): outside them it is false (``zhiqian.rules.conditions.Condition.out_of_force``).
The load-time run at the edges evaluates the bare expression, whatever its dates.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from zhiqian.errors import RuleError, RuleProblem, UnknownName
from zhiqian.rules.conditions import (
    Condition,
    ConditionContext,
    ParamValue,
    boundary_contexts,
    boundary_problem,
    compile_condition,
)
from zhiqian.rules.limits import Limit, LimitUnit
from zhiqian.rules.schema import (
    DECISION_DOCUMENTS,
    INTERNAL_EVENTS,
    PREVIOUS_STATE,
    RESERVED_ACTS,
    ActionEventSpec,
    ActionMode,
    ActionSpec,
    CalendarSpec,
    ClockSpec,
    EffectiveSpec,
    EscalationSpec,
    EventSpec,
    InForce,
    LifecycleSpec,
    PackSpec,
    ParamSpec,
    RoleSpec,
    RoutingSpec,
    StateSpec,
    Status,
    Trigger,
)

__all__ = ["PACKS_DIR", "RulePack", "check_pack", "load_pack"]

PACKS_DIR: Final = Path(__file__).resolve().parent / "packs"
log = logging.getLogger("zhiqian.rules")

Loc = tuple[str, int | None]

# lists merged by element id, keyed by their path in the pack
_BY_ID: Final[Mapping[tuple[str, ...], str]] = {
    ("clocks",): "clocks",
    ("escalations",): "escalations",
    ("actions",): "actions",
    ("lifecycle", "states"): "states",
    ("lifecycle", "events"): "events",
    ("routing", "roles"): "roles",
    ("routing", "reports"): "reports",
}
# mappings merged key by key (values replaced), keyed by path
_BY_KEY: Final = {
    (),
    ("lifecycle",),
    ("routing",),
    ("calendar",),
    ("params",),
    ("performance",),
    ("decisions",),
}
_OWN_KEYS: Final = ("pack", "version", "extends")
# The flags intake knows (zhiqian.engine.domain.intake.Flag; rules may not import the engine).
_KNOWN_FLAGS: Final = (
    "collective",
    "malicious",
    "absconded",
    "sensitive",
    "arrears_3_months",
    "extreme",
    "cannot_pay",
    "old_case",
    "serious_impact",
)
_KINDS: Final = (
    "clocks",
    "escalations",
    "states",
    "events",
    "actions",
    "roles",
    "reports",
    "params",
)


# --------------------------------------------------------------------------- located YAML nodes


@dataclass(slots=True)
class _Node:
    """A YAML value with where it was written (the line of its key, or of its list item)."""

    value: Any  # dict[str, _Node] | list[_Node] | scalar
    file: str
    line: int | None

    @property
    def loc(self) -> Loc:
        return (self.file, self.line)

    def get(self, key: str) -> _Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def scalar(self, key: str) -> Any:
        node = self.get(key)
        return None if node is None or isinstance(node.value, dict | list) else node.value


def _scalar(value: Any) -> Any:
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat())
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return value


def _located(obj: Any, file: str, line: int | None) -> _Node:
    if isinstance(obj, CommentedMap):
        return _Node(
            {str(k): _located(v, file, obj.lc.key(k)[0] + 1) for k, v in obj.items()}, file, line
        )
    if isinstance(obj, CommentedSeq):
        return _Node(
            [_located(v, file, obj.lc.item(i)[0] + 1) for i, v in enumerate(obj)], file, line
        )
    return _Node(_scalar(obj), file, line)


def _plain(node: _Node) -> Any:
    if isinstance(node.value, dict):
        return {k: _plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(v) for v in node.value]
    return node.value


def _read(path: Path, problems: list[RuleProblem]) -> _Node | None:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PACK_BYTES:
            problems.append(
                RuleProblem(
                    file,
                    None,
                    f"the file is {size:,} bytes; a rule pack has at most {MAX_PACK_BYTES:,} "
                    "(the shipped national pack is about 12,000)",
                )
            )
            return None
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(RuleProblem(file, None, "no such file"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(RuleProblem(file, None, f"cannot read: {exc}"))
        return None
    hostile = _hostile_yaml(text, file)
    if hostile:
        problems.extend(hostile)
        return None
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        problems.append(RuleProblem(file, line, f"YAML: {what or exc}"))
        return None
    except YAMLError as exc:
        problems.append(RuleProblem(file, None, f"YAML: {exc}"))
        return None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # a value ruamel cannot build that the checks above did not foresee
        problems.append(RuleProblem(file, None, f"YAML: cannot read a value: {exc}"))
        return None
    if not isinstance(data, CommentedMap):
        problems.append(RuleProblem(file, 1, "a rule pack is a YAML mapping (pack: …, clocks: …)"))
        return None
    return _located(data, file, 1)


# --------------------------------------------------------------------------- hostile YAML
# A pack is written by an office, but `rules check` is where a broken or hostile one must stop:
# the YAML parser itself is quadratic in nesting depth (2,000 levels: 8 s; 20,000: 7 min), an
# alias may expand a few lines into billions of nodes, merge keys and tags build values the
# loader does not expect. Each budget below is far above what a real pack uses.

MAX_PACK_BYTES: Final = 256 * 1024
MAX_YAML_DEPTH: Final = 32  # the shipped packs nest 6 levels
MAX_YAML_ALIASES: Final = 100
MAX_YAML_NODES: Final = 100_000  # after expanding aliases
_CORE_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_TIMESTAMP: Final = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[Tt ].*)?", re.ASCII)
_BLOCK_PREFIX: Final = re.compile(r"[ ]*(?:[-?:][ ]+)*")


def _hostile_yaml(text: str, file: str) -> list[RuleProblem]:
    """Problems that must be found before the text is parsed (nesting) or composed (aliases,
    merge keys, tags, impossible dates); empty for a pack that only has ordinary problems."""
    deep = _raw_depth_problem(text)
    if deep is not None:
        return [RuleProblem(file, deep[0], deep[1])]
    problems: list[RuleProblem] = []
    aliases = nodes = 0
    anchored: dict[str, int] = {}  # anchor → nodes it stands for
    defined: set[str] = set()
    # per open collection: [anchor, nodes inside, is a mapping, children seen]
    stack: list[list[Any]] = []
    try:
        for event in YAML(typ="rt").parse(text):
            kind = type(event).__name__
            if kind in {"MappingEndEvent", "SequenceEndEvent"}:
                anchor, size, _, _ = stack.pop()
                if anchor is not None:
                    anchored[anchor] = size
                if stack:
                    stack[-1][1] += size
                continue
            if kind not in {"ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"}:
                continue
            line = event.start_mark.line + 1
            is_key = bool(stack) and stack[-1][2] and stack[-1][3] % 2 == 0
            if stack:
                stack[-1][3] += 1
            tag = getattr(event, "tag", None)
            if tag is not None and str(tag) not in _CORE_TAGS:
                problems.append(
                    RuleProblem(file, line, f"YAML tag {str(tag)!r}: tags are not allowed in packs")
                )
            anchor = getattr(event, "anchor", None)
            anchor = None if anchor is None else str(anchor)
            if anchor is not None and kind != "AliasEvent":
                if anchor in defined:  # ruamel would warn and silently take the later one
                    problems.append(
                        RuleProblem(file, line, f"YAML anchor &{anchor} is defined twice")
                    )
                defined.add(anchor)
            if kind in {"MappingStartEvent", "SequenceStartEvent"}:
                stack.append([anchor, 1, kind == "MappingStartEvent", 0])
                nodes += 1
                continue
            if kind == "AliasEvent":
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    problems.append(
                        RuleProblem(
                            file, line, f"more than {MAX_YAML_ALIASES} YAML aliases (*name)"
                        )
                    )
                    break
                size = anchored.get(str(anchor), 1)
            else:
                size = 1
                value = str(event.value)
                plain = bool(event.implicit[0])
                if is_key and plain and value == "<<":
                    problems.append(
                        RuleProblem(
                            file,
                            line,
                            "YAML merge keys (<<) are not allowed: write the keys out "
                            "(a pack inherits with extends:)",
                        )
                    )
                elif plain and _TIMESTAMP.fullmatch(value) and not _a_date(value):
                    problems.append(
                        RuleProblem(file, line, f"{value!r} is not a valid date (YYYY-MM-DD)")
                    )
                if anchor is not None:
                    anchored[anchor] = 1
            nodes += size
            if stack:
                stack[-1][1] += size
            if nodes > MAX_YAML_NODES:
                problems.append(
                    RuleProblem(
                        file,
                        line,
                        f"the pack expands to more than {MAX_YAML_NODES:,} YAML nodes "
                        "(aliases of aliases?)",
                    )
                )
                break
    except YAMLError:
        return problems  # a syntax error: the load reports it with its line
    return problems


def _a_date(value: str) -> bool:
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _raw_depth_problem(text: str) -> tuple[int, str] | None:
    """The line where the text nests deeper than :data:`MAX_YAML_DEPTH`, by counting brackets
    outside quotes and the indentation of block lines: cheap, and before the parser runs."""
    flow = 0
    quote: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if quote is None and flow == 0:
            prefix = _BLOCK_PREFIX.match(line)
            width = prefix.end() if prefix else 0
            if width > 2 * MAX_YAML_DEPTH + 16:
                return number, (
                    f"indented {width} columns deep; a pack nests at most {MAX_YAML_DEPTH} levels"
                )
        previous = " "
        for ch in line:
            if quote is not None:
                if ch == quote:
                    quote = None
            elif ch in "'\"" and previous in " \t[{,:":
                quote = ch
            elif ch == "#" and previous in " \t":
                break
            elif ch in "[{":
                flow += 1
                if flow > MAX_YAML_DEPTH:
                    return number, (
                        f"brackets nested more than {MAX_YAML_DEPTH} deep; a pack nests at "
                        "most that many levels"
                    )
            elif ch in "]}":
                flow = max(flow - 1, 0)
            previous = ch
    return None


# --------------------------------------------------------------------------- inheritance


def _is_path(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name


def _resolve(name: str, search_path: Sequence[Path], base: Path | None) -> Path | None:
    if _is_path(name):
        path = Path(name)
        if not path.is_absolute() and base is not None:
            path = base / path
        return path if path.exists() else None
    for folder in (*search_path, PACKS_DIR):
        for suffix in (".yaml", ".yml"):
            candidate = Path(folder) / f"{name}{suffix}"
            if candidate.exists():
                return candidate
    return None


@dataclass(slots=True)
class _Merger:
    problems: list[RuleProblem]
    sources: dict[tuple[str, str], list[Loc]] = field(default_factory=dict)

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append(RuleProblem(loc[0], loc[1], message))

    def merge(self, parent: _Node | None, child: _Node, path: tuple[str, ...]) -> _Node:
        kind = _BY_ID.get(path)
        if kind is not None:
            return self._by_id(parent, child, kind, path)
        if path in _BY_KEY and isinstance(child.value, dict):
            base = parent.value if parent is not None and isinstance(parent.value, dict) else {}
            out = {k: v for k, v in base.items() if not (path == () and k in _OWN_KEYS)}
            for key, node in child.value.items():
                if path == ("params",):
                    self.sources.setdefault(("params", key), []).append(node.loc)
                    out[key] = node
                elif path == ("decisions",):
                    # a decision's clock made by the schema is written where the decision is
                    self.sources.setdefault(("decisions", key), []).append(node.loc)
                    out[key] = self.merge(out.get(key), node, (*path, key))
                else:
                    out[key] = self.merge(out.get(key), node, (*path, key))
            return _Node(out, child.file, child.line)
        return child

    def _by_id(self, parent: _Node | None, child: _Node, kind: str, path: tuple[str, ...]) -> _Node:
        where = ".".join(path)
        if not isinstance(child.value, list):
            self.problem(child.loc, f"{where} must be a list of elements with an id")
            return parent if parent is not None else _Node([], child.file, child.line)
        result: dict[str, _Node] = {}
        if parent is not None and isinstance(parent.value, list):
            result = {str(item.scalar("id")): item for item in parent.value}
        seen: dict[str, _Node] = {}
        for item in child.value:
            element_id = item.scalar("id")
            if not isinstance(item.value, dict) or not isinstance(element_id, str):
                self.problem(item.loc, f"every element of {where} needs an id")
                continue
            if element_id in seen:
                first = seen[element_id]
                self.problem(
                    item.loc,
                    f"duplicate id {element_id!r} in {where} (first at {first.file}:{first.line})",
                )
                continue
            seen[element_id] = item
            remove = item.get("remove")
            if remove is not None:
                if remove.value is not True:
                    self.problem(remove.loc, "remove takes only the value true")
                elif set(item.value) - {"id", "remove"}:
                    self.problem(
                        item.loc, f"{element_id!r}: an element with remove: true takes only its id"
                    )
                elif element_id not in result:
                    self.problem(
                        remove.loc,
                        f"cannot remove {where} {element_id!r}: no parent pack defines it",
                    )
                else:
                    del result[element_id]
                    self.sources.pop((kind, element_id), None)
                continue
            if element_id in result:
                merged = dict(result[element_id].value)
                merged.update(item.value)
                result[element_id] = _Node(merged, item.file, item.line)
            else:
                result[element_id] = item
            self.sources.setdefault((kind, element_id), []).append(item.loc)
        return _Node(list(result.values()), child.file, child.line)


# --------------------------------------------------------------------------- locating problems


def _walk_to(root: _Node, path: Sequence[Any]) -> tuple[_Node, str]:
    """Follow ``path`` (keys, list indices or element ids) as far as the data goes."""
    node, shown = root, ""
    for step in path:
        nxt: _Node | None = None
        label = ""
        if isinstance(node.value, dict) and str(step) in node.value:
            nxt, label = node.value[str(step)], f".{step}"
        elif isinstance(node.value, list):
            if isinstance(step, int) and 0 <= step < len(node.value):
                nxt = node.value[step]
            elif isinstance(step, str):
                nxt = next((i for i in node.value if i.scalar("id") == step), None)
            if nxt is not None:
                element_id = nxt.scalar("id")
                label = f"[{element_id}]" if isinstance(element_id, str) else f"[{step}]"
        if nxt is None:
            break
        node, shown = nxt, shown + label
    return node, shown.lstrip(".")


_ALL_KEYS: Final = sorted(
    {
        (info.alias or name)
        for model in (
            PackSpec,
            ClockSpec,
            EscalationSpec,
            ParamSpec,
            Trigger,
            RoutingSpec,
            CalendarSpec,
            EffectiveSpec,
            ActionEventSpec,
            LifecycleSpec,
        )
        for name, info in model.model_fields.items()
    }
    | {"while_state", "up_to", "needs", "approver_role", "before", "to", "template", "remove"}
    | {"from", "final", "guard", "source", "initial", "states", "events", "roles", "reports"}
)


def _pydantic_problems(
    root: _Node, exc: ValidationError
) -> Iterator[tuple[tuple[Any, ...], RuleProblem]]:
    for error in exc.errors():
        loc = error["loc"]
        node, shown = _walk_to(root, loc)
        kind = error["type"]
        message = str(error["msg"])
        if message.startswith(("Value error, ", "Assertion failed, ")):
            message = message.split(", ", 1)[1]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _ALL_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _, shown = _walk_to(root, loc[:-1])
            message = f"unknown key {key!r}{hint}"
        elif kind == "missing":
            message = f"missing {loc[-1]!r}"
        yield loc, RuleProblem(node.file, node.line, f"{shown}: {message}" if shown else message)


# --------------------------------------------------------------------------- the loaded pack


@dataclass(frozen=True, slots=True, eq=False)
class RulePack:
    """A loaded, merged and checked rule pack. Immutable; safe to share between threads."""

    name: str
    version: str
    chain: tuple[tuple[str, str], ...]  # (name, version) from the root pack to this one
    label: str
    timezone: ZoneInfo
    effective: EffectiveSpec | None
    params: Mapping[str, ParamSpec]
    calendar: CalendarSpec
    lifecycle: LifecycleSpec
    actions: tuple[ActionEventSpec, ...]
    clocks: tuple[ClockSpec, ...]
    escalations: tuple[EscalationSpec, ...]
    routing: RoutingSpec
    fingerprint: str  # sha256 of the merged canonical content
    files: tuple[str, ...]  # the files of the chain, root first
    warnings: tuple[RuleProblem, ...]
    spec: PackSpec
    guards: Mapping[str, Condition]  # event id → its guard compiled at load: the allow-list
    _sources: Mapping[tuple[str, str], tuple[Loc, ...]]

    def source_of(self, element_id: str, kind: str | None = None) -> Loc:
        """Where the element was last written: ``(file, line)``. ``kind`` (clocks, escalations,
        states, events, actions, roles, reports, params) disambiguates equal ids."""
        return self.sources_of(element_id, kind)[-1]

    def sources_of(self, element_id: str, kind: str | None = None) -> tuple[Loc, ...]:
        """Every place the element was written, root pack first (definition, then overrides).
        ``UnknownName`` when the pack has no such element."""
        for k in (kind,) if kind else _KINDS:
            found = self._sources.get((k, element_id))
            if found:
                return found
        if kind in (None, "clocks") and element_id.startswith("decide_"):
            found = self._sources.get(("decisions", element_id.removeprefix("decide_")))
            if found:
                return found
        known = sorted({i for k, i in self._sources if k == kind}) if kind else ()
        raise self._unknown(kind or "element", element_id, known)

    def clock(self, clock_id: str) -> ClockSpec:
        for clock in self.clocks:
            if clock.id == clock_id:
                return clock
        raise self._unknown("clock", clock_id, (c.id for c in self.clocks))

    def action_mode(self, action: ActionSpec, rule: EscalationSpec) -> ActionMode:
        """Acts or recommends, and on what basis: a reserved act names who decides it."""
        decision = self.spec.decisions.get(action.kind) if action.reserved else None
        if decision is None:
            return ActionMode(kind=action.kind, mode="acts", basis=rule.basis)
        return ActionMode(
            kind=action.kind,
            mode="recommends",
            basis=decision.basis,
            decided_by=decision.by,
            office=decision.office,
            within=str(decision.within),
        )

    def escalation(self, escalation_id: str) -> EscalationSpec:
        for escalation in self.escalations:
            if escalation.id == escalation_id:
                return escalation
        raise self._unknown("escalation", escalation_id, (e.id for e in self.escalations))

    def state(self, state_id: str) -> StateSpec:
        """The lifecycle state ``state_id``; ``UnknownName`` when the lifecycle has none."""
        found = self.lifecycle.state(state_id)
        if found is None:
            raise self._unknown("state", state_id, self.lifecycle.state_ids)
        return found

    def event(self, event_id: str) -> EventSpec:
        """The lifecycle event ``event_id``; ``UnknownName`` when the lifecycle has none (an
        action id is not an event: see ``action`` and ``event_ids``)."""
        found = self.lifecycle.event(event_id)
        if found is None:
            raise self._unknown("lifecycle event", event_id, (e.id for e in self.lifecycle.events))
        return found

    def action(self, action_id: str) -> ActionEventSpec:
        """The pack-declared action ``action_id`` (built-in actions are not declared here)."""
        for action in self.actions:
            if action.id == action_id:
                return action
        raise self._unknown("declared action", action_id, (a.id for a in self.actions))

    def role(self, role_id: str) -> RoleSpec:
        """The routing role ``role_id``; ``UnknownName`` when ``routing.roles`` has none."""
        found = self.routing.role(role_id)
        if found is None:
            raise self._unknown("role", role_id, (r.id for r in self.routing.roles))
        return found

    def guard(self, event_id: str) -> Condition | None:
        """The compiled guard of lifecycle event ``event_id`` (None when it has no guard).

        ``guards`` is the allow-list: every guard was compiled when the pack loaded, and only
        those can be evaluated — nothing is compiled or resolved by text at run time.
        """
        if event_id in self.guards:
            return self.guards[event_id]
        self.event(event_id)  # an unknown event is an UnknownName, a known one has no guard
        return None

    def guard_check(self, event: str, context: Mapping[str, Any] | ConditionContext) -> bool:
        """Evaluate the guard of lifecycle event ``event`` (``engine.domain.lifecycle.GuardCheck``).

        ``event`` is the event id — what the lifecycle passes. For callers written against the
        first version of this method, the guard's exact text (as in ``EventSpec.guard``) is
        accepted too; event ids are looked up first. Either way only the guards compiled at
        load (``guards``) can be evaluated; anything else is ``UnknownName``. ``context`` is a
        ``ConditionContext`` or a mapping of its field names.
        """
        cond = self.guards.get(event)
        if cond is None:
            cond = next((c for c in self.guards.values() if c.text == event), None)
        if cond is None:
            raise self._unknown("event guard", event, self.guards)
        ctx = (
            context
            if isinstance(context, ConditionContext)
            else ConditionContext.from_mapping(context)
        )
        return cond.evaluate(ctx)

    def _unknown(self, kind: str, name: str, known: Iterable[str]) -> UnknownName:
        return UnknownName(kind=kind, name=name, where=f"pack {self.name!r}", known=known)

    @property
    def param_values(self) -> Mapping[str, ParamValue]:
        return {name: p.value for name, p in self.params.items()}

    @property
    def event_ids(self) -> frozenset[str]:
        """Everything ``on_event`` may name: lifecycle events, built-in and declared actions."""
        return frozenset(
            {e.id for e in self.lifecycle.events} | INTERNAL_EVENTS | {a.id for a in self.actions}
        )

    def __repr__(self) -> str:
        return f"<RulePack {self.name} {self.version} {self.fingerprint[:12]}>"


# --------------------------------------------------------------------------- checks


@dataclass(slots=True)
class _Checker:
    spec: PackSpec
    root: _Node
    problems: list[RuleProblem]
    warnings: list[RuleProblem]
    broken: dict[str, set[str]]  # kind → ids whose element failed the schema (no echo problems)
    event_ids: set[str] = field(default_factory=set)
    states: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    clock_ids: set[str] = field(default_factory=set)
    _unknown_states: bool = False
    _edges: list[tuple[str, ConditionContext]] | None = None

    def at(self, path: Sequence[Any], message: str, *, warn: bool = False) -> None:
        node, shown = _walk_to(self.root, path)
        problem = RuleProblem(node.file, node.line, f"{shown}: {message}" if shown else message)
        (self.warnings if warn else self.problems).append(problem)

    def run(self) -> None:
        lc = self.spec.lifecycle
        states = set(lc.state_ids) | self.broken.get("states", set())
        events = {e.id for e in lc.events} | self.broken.get("events", set())
        actions = {a.id for a in self.spec.actions}
        self.event_ids = events | INTERNAL_EVENTS | actions | self.broken.get("actions", set())
        self.states = states
        self.roles = {r.id for r in self.spec.routing.roles} | self.broken.get("roles", set())
        self.clock_ids = {c.id for c in self.spec.clocks} | self.broken.get("clocks", set())
        self._lifecycle(states)
        for action in self.spec.actions:
            if action.id in INTERNAL_EVENTS or action.id in {e.id for e in lc.events}:
                self.at(("actions", action.id), f"action {action.id!r} clashes with an event id")
        for clock in self.spec.clocks:
            self._clock(clock)
        for esc in self.spec.escalations:
            self._escalation(esc)
        self._routing()
        self._performance()
        for name, param in self.spec.params.items():
            if param.status is Status.UNVERIFIED:
                self.at(
                    ("params", name),
                    "UNVERIFIED basis: a placeholder, confirm before relying on it",
                    warn=True,
                )

    # -- lifecycle
    def _lifecycle(self, states: set[str]) -> None:
        lc = self.spec.lifecycle
        path = ("lifecycle",)
        self._unknown_states = False
        if lc.initial not in states:
            self._unknown_states = True
            self.at(
                (*path, "initial"),
                f"unknown initial state {lc.initial!r}{_hint(lc.initial, states)}",
            )
        for event in lc.events:
            epath = (*path, "events", event.id)
            for src in event.source:
                if src not in states:
                    self._unknown_states = True
                    self.at((*epath, "from"), f"unknown state {src!r}{_hint(src, states)}")
            if event.to != PREVIOUS_STATE and event.to not in states:
                self._unknown_states = True
                self.at((*epath, "to"), f"unknown state {event.to!r}{_hint(event.to, states)}")
            if event.guard:
                cond = self._compile(event.guard, (*epath, "guard"))
                if cond is not None:
                    event._guard = cond
        # reachability from the initial state; ``$previous`` goes back to any state with an
        # event into the state being left
        into: dict[str, set[str]] = {}
        for event in lc.events:
            for src in event.source:
                into.setdefault(event.to, set()).add(src)
        edges: dict[str, set[str]] = {}
        for event in lc.events:
            for src in event.source:
                targets = into.get(src, set()) if event.to == PREVIOUS_STATE else {event.to}
                edges.setdefault(src, set()).update(targets)
        if self._unknown_states:
            return  # reachability over a lifecycle with unknown states would be noise
        seen, todo = {lc.initial}, [lc.initial]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for state in lc.states:
            spath = (*path, "states", state.id)
            if lc.initial in states and state.id not in seen:
                self.at(spath, f"state {state.id!r} cannot be reached from {lc.initial!r}")
            if not state.final and state.id not in edges:
                self.at(spath, f"state {state.id!r} is not final and no event leaves it")

    # -- clocks
    def _clock(self, clock: ClockSpec) -> None:
        path: tuple[Any, ...] = ("clocks", clock.id)
        for name in ("start", "stop", "pause", "resume", "cancel", "reset"):
            trigger = getattr(clock, name)
            if trigger is not None:
                self._trigger(trigger, (*path, name))
        if clock.pause is not None:
            for state in clock.pause.while_state:
                self._state(state, (*path, "pause", "while_state"))
        for i, warn in enumerate(clock.warn):
            wpath = (*path, "warn", i)
            self._roles(warn.to, (*wpath, "to"))
            if (
                warn.before.counted
                and warn.before.unit is clock.limit.unit
                and warn.before.n >= clock.limit.n
            ):
                self.at(
                    (*wpath, "before"),
                    f"a warning {warn.before} before the deadline is not shorter than the limit {clock.limit}",
                )
        if clock.extension is not None:
            up_to = clock.extension.up_to
            if not clock.limit.counted or up_to.unit is not clock.limit.unit:
                self.at(
                    (*path, "extension", "up_to"),
                    f"extension {up_to} must count in the limit's unit ({clock.limit})",
                )
        if clock.status is Status.UNVERIFIED:
            self.at(
                path,
                f"clock {clock.id!r} has an UNVERIFIED basis: a placeholder, confirm before relying on it",
                warn=True,
            )
        self._ended_before_pause(clock, path)
        if clock.same_day is not None and clock.same_day.event not in self.event_ids:
            ev = clock.same_day.event
            self.at(
                (*path, "same_day", "event"), f"unknown event {ev!r}{_hint(ev, self.event_ids)}"
            )

    def _ended_before_pause(self, clock: ClockSpec, path: tuple[Any, ...]) -> None:
        """A stop or cancel ``on_leave: [s]`` also fires on the event that leaves ``s`` for a
        state the clock pauses in, and it comes first (cancel → stop → … → pause): the clock
        ends where the pack says it pauses (回头看 suspended: stopped, not paused)."""
        if clock.pause is None:
            return
        pausing = set(clock.pause.on_enter) | set(clock.pause.while_state)
        for name in ("cancel", "stop"):
            trigger = getattr(clock, name)
            if trigger is None or not trigger.on_leave:
                continue
            for event in self.spec.lifecycle.events:
                left = [s for s in event.source if s in trigger.on_leave]
                if left and event.to in pausing:
                    self.at(
                        (*path, name, "on_leave"),
                        f"{name} on leaving {left[0]!r} also fires on {event.id!r} into "
                        f"{event.to!r}, where the clock pauses — it would end instead of "
                        f"pausing; {name} on the other ways out (on_enter / on_event)",
                    )
                    break

    def _trigger(self, trigger: Trigger, path: tuple[Any, ...]) -> None:
        for event in trigger.on_event:
            if event not in self.event_ids:
                self.at(
                    (*path, "on_event"), f"unknown event {event!r}{_hint(event, self.event_ids)}"
                )
        for key in ("on_enter", "on_leave"):
            for state in getattr(trigger, key):
                self._state(state, (*path, key))
        if trigger.when is not None:
            cond = self._compile(trigger.when, (*path, "when"))
            if cond is not None:
                trigger._condition = cond

    def _state(self, state: str, path: tuple[Any, ...]) -> None:
        if state not in self.states:
            self.at(path, f"unknown state {state!r}{_hint(state, self.states)}")

    def _roles(self, roles: Sequence[str], path: tuple[Any, ...]) -> None:
        for role in roles:
            if role not in self.roles:
                known = ", ".join(sorted(self.roles)) or "none"
                self.at(
                    path, f"unknown role {role!r}{_hint(role, self.roles)} (routing.roles: {known})"
                )

    # -- escalations
    def _escalation(self, esc: EscalationSpec) -> None:
        path: tuple[Any, ...] = ("escalations", esc.id)
        cond = self._compile(esc.when, (*path, "when"), in_force=esc.in_force)
        if cond is not None:
            esc._condition = cond
        lifecycle_events = {e.id for e in self.spec.lifecycle.events} | self.broken.get(
            "events", set()
        )
        for i, action in enumerate(esc.do):
            apath = (*path, "do", i, action.kind)
            if action.notify is not None:
                self._roles(action.notify.to, (*apath, "to"))
                if action.notify.template_id in DECISION_DOCUMENTS:
                    self.at(
                        (*apath, "template"),
                        f"{action.notify.template} is issued by a decision, not by a rule: "
                        "the rule proposes the act, and the document follows the decision",
                    )
            if action.reserved and action.kind not in self.spec.decisions:
                self.at(
                    apath,
                    f"{action.kind} ({RESERVED_ACTS[action.kind]}) is an act the law reserves to "
                    f"a person: declare decisions.{action.kind} (by, office, within, basis, "
                    "status) so the rule proposes it and a named person decides",
                )
            if action.recommend is not None and action.recommend.event not in lifecycle_events:
                ev = action.recommend.event
                self.at(
                    (*apath, "event"),
                    f"unknown lifecycle event {ev!r}{_hint(ev, lifecycle_events)}",
                )
        if esc.status is Status.UNVERIFIED:
            self.at(
                path,
                f"escalation {esc.id!r} has an UNVERIFIED basis: a placeholder, confirm before relying on it",
                warn=True,
            )

    def _routing(self) -> None:
        self._sizes_and_limits()
        routing = self.spec.routing
        if routing.digest is not None:
            self._roles(routing.digest.to, ("routing", "digest", "to"))
        for report in routing.reports:
            self._roles(report.to, ("routing", "reports", report.id, "to"))
            effective = self.spec.effective
            if report.after_end is not None and (effective is None or effective.to is None):
                self.at(
                    ("routing", "reports", report.id, "after_end"),
                    "after_end counts from the end of the campaign: the pack needs effective.to",
                )

    def _performance(self) -> None:
        perf = self.spec.performance
        for key, ids in (("clocks", perf.clocks), ("decisions", perf.decisions)):
            for clock_id in ids:
                if clock_id not in self.clock_ids:
                    self.at(("performance", key), f"unknown clock {clock_id!r}")
        if perf.found_unpaid_event is not None and perf.found_unpaid_event not in self.event_ids:
            self.at(
                ("performance", "found_unpaid_event"), f"unknown event {perf.found_unpaid_event!r}"
            )

    def _sizes_and_limits(self) -> None:
        """Ids that fit their columns (a pack name of 65 characters breaks every intake on
        PostgreSQL) and limits that a calendar can count (99,999,999 workdays overflows the
        date range at every 立案)."""
        for key, top in (("pack", 64), ("version", 32)):
            value = str(getattr(self.spec, key))
            if len(value) > top:
                self.at((key,), f"{key} is {len(value)} characters long; at most {top}")
        lc = self.spec.lifecycle
        sized: list[tuple[tuple[Any, ...], str, int]] = [
            *((("lifecycle", "states", s.id), s.id, 32) for s in lc.states),
            *((("lifecycle", "events", e.id), e.id, 32) for e in lc.events),
            *((("actions", a.id), a.id, 32) for a in self.spec.actions),
            *((("clocks", c.id), c.id, 64) for c in self.spec.clocks),
            *((("escalations", e.id), e.id, 64) for e in self.spec.escalations),
        ]
        for path, element_id, top in sized:
            if len(element_id) > top:
                self.at(
                    path, f"id {element_id[:20]!r}… is {len(element_id)} characters; at most {top}"
                )
        for path, limit in _limits(self.spec, ()):
            most = _MAX_LIMIT.get(limit.unit)
            if most is not None and limit.n > most:
                self.at(
                    path,
                    f"limit {limit} is beyond ten years (at most {most} {limit.unit.value}); "
                    "no legal time limit is that long",
                )

    def _compile(
        self, text: str, path: tuple[Any, ...], *, in_force: InForce | None = None
    ) -> Condition | None:
        """``text`` compiled and run at the edges; false outside the days the rule (``in_force``)
        and every param it reads are in force."""
        node, _ = _walk_to(self.root, path)
        try:
            condition = compile_condition(
                text,
                where=node.loc,
                params=self.spec_params,
                clocks=self.clock_ids,
                timezone=ZoneInfo(self.spec.timezone),
            )
        except RuleError as exc:
            self.problems.extend(exc.problems)
            return None
        checked = self._at_the_edges(condition, path)
        if checked is None:
            return None
        windows = [] if in_force is None else [("规则", in_force)]
        # a param in force only on some days makes every condition reading it false on the others
        windows += [
            (f"参数 {name}", window)
            for name in sorted(checked.params)
            if (window := self.spec.params[name].in_force) is not None
        ]
        return checked.within(windows)

    def _at_the_edges(self, condition: Condition, path: tuple[Any, ...]) -> Condition | None:
        """Run a compiled condition on boundary cases: one that fails there (``amount /
        migrant_workers`` with no migrant workers) is refused now, not at every such intake."""
        if self._edges is None:
            self._edges = boundary_contexts(
                now=datetime(2026, 1, 1, tzinfo=ZoneInfo(self.spec.timezone)),
                clocks=self.clock_ids,
                flags=_KNOWN_FLAGS,
            )
        problem = boundary_problem(condition, self._edges)
        if problem is None:
            return condition
        self.at(path, f"condition {condition.text!r} {problem}")
        return None

    @property
    def spec_params(self) -> dict[str, ParamValue]:
        return {name: p.value for name, p in self.spec.params.items()}


# Ten years in each counted unit: far beyond any legal limit, well inside the calendar's range.
_MAX_LIMIT: Final[Mapping[LimitUnit, int]] = {
    LimitUnit.WORKDAYS: 2_600,
    LimitUnit.DAYS: 3_660,
    LimitUnit.HOURS: 87_840,
}


def _limits(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Limit]]:
    """Every Limit inside a spec, with the path ``_walk_to`` understands (ids for elements)."""
    if isinstance(value, Limit):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _limits(getattr(value, name), (*path, name))
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            step = getattr(item, "id", None)
            yield from _limits(item, (*path, step if isinstance(step, str) else i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _limits(item, (*path, str(key)))


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- entry points


@dataclass(slots=True)
class _Loaded:
    pack: RulePack | None
    problems: list[RuleProblem]


def _chain(
    start: Path,
    requested_name: str | None,
    search_path: Sequence[Path],
    problems: list[RuleProblem],
) -> list[tuple[Path, _Node]]:
    """Read the leaf and its ancestors; return them root first."""
    chain: list[tuple[Path, _Node]] = []
    path: Path | None = start
    expected = requested_name
    via: _Node | None = None  # the ``extends`` node that led here
    while path is not None:
        resolved = path.resolve()
        if any(p.resolve() == resolved for p, _ in chain):
            names = [str(n.scalar("pack")) for _, n in chain]
            loop = " → ".join([*names, str(expected)])
            assert via is not None
            problems.append(RuleProblem(via.file, via.line, f"extends makes a cycle: {loop}"))
            break
        node = _read(path, problems)
        if node is None:
            break
        pack_id = node.scalar("pack")
        if expected is not None and isinstance(pack_id, str) and pack_id != expected:
            where = node.get("pack") or node
            problems.append(
                RuleProblem(
                    where.file,
                    where.line,
                    f"pack {pack_id!r} is loaded as {expected!r}: the id must match the file name",
                )
            )
        chain.append((path, node))
        parent = node.get("extends")
        if parent is None or parent.value is None:
            break
        if not isinstance(parent.value, str):
            problems.append(RuleProblem(parent.file, parent.line, "extends names one pack"))
            break
        next_path = _resolve(parent.value, search_path, path.parent)
        if next_path is None:
            folders = ", ".join(str(p) for p in (*search_path, PACKS_DIR))
            problems.append(
                RuleProblem(
                    parent.file,
                    parent.line,
                    f"extends {parent.value!r}: no such pack (looked in {folders})",
                )
            )
            break
        expected = None if _is_path(parent.value) else parent.value
        via, path = parent, next_path
    chain.reverse()
    return chain


def _load(name_or_path: str | Path, search_path: Sequence[Path]) -> _Loaded:
    problems: list[RuleProblem] = []
    warnings: list[RuleProblem] = []
    name = str(name_or_path)
    if isinstance(name_or_path, Path) or _is_path(name):
        found: Path | None = Path(name_or_path)
        requested = None
    else:
        found = _resolve(name, search_path, None)
        requested = name
    if found is None:
        folders = ", ".join(str(p) for p in (*search_path, PACKS_DIR))
        return _Loaded(
            None,
            [RuleProblem(name, None, f"no rule pack named {name!r} (looked in {folders})")],
        )
    chain = _chain(found, requested, search_path, problems)
    if not chain or problems:
        # a broken chain (unreadable file, unknown parent, cycle) would only echo as noise below
        return _Loaded(None, problems)

    merger = _Merger(problems)
    root: _Node | None = None
    for _, node in chain:
        root = merger.merge(root, node, ())
    assert root is not None
    leaf = chain[-1][1]
    for key in _OWN_KEYS:  # each file's own; never inherited
        own = leaf.get(key)
        if own is None:
            root.value.pop(key, None)
        else:
            root.value[key] = own

    data = _plain(root)
    broken: dict[str, set[str]] = {}
    spec: PackSpec | None = None
    # Validate; drop broken list elements and retry so that the other checks still run and
    # every problem is reported in one go.
    for _ in range(50):
        try:
            spec = PackSpec.model_validate(data)
            break
        except ValidationError as exc:
            removable: set[tuple[Any, ...]] = set()
            stuck = False
            for loc, problem in _pydantic_problems(root, exc):
                if problem not in problems:
                    problems.append(problem)
                element = _removable(loc)
                if element is None:
                    stuck = True
                else:
                    removable.add(element)
            if stuck or not removable:
                break
            _drop(data, root, removable, broken)
    if spec is None:
        return _Loaded(None, problems)

    checker = _Checker(spec, root, problems, warnings, broken)
    checker.run()
    if problems:
        return _Loaded(None, problems)
    return _Loaded(_build(spec, chain, merger.sources, warnings), problems)


def _removable(loc: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The list element or param a schema error sits in, if dropping it lets the rest validate."""
    for prefix in _BY_ID:
        n = len(prefix)
        if tuple(loc[:n]) == prefix and len(loc) > n and isinstance(loc[n], int):
            return (*prefix, loc[n])
    if loc[:1] == ("params",) and len(loc) > 1:
        return ("params", loc[1])
    return None


def _drop(
    data: dict[str, Any], root: _Node, removable: set[tuple[Any, ...]], broken: dict[str, set[str]]
) -> None:
    """Remove broken elements from the data and from the located tree (same shape, same indices)."""
    for key in sorted(removable, reverse=True):  # highest indices first: the lower stay valid
        container: Any = data
        located: _Node = root
        for step in key[:-1]:
            container = container[step]
            located = located.value[step]
        last = key[-1]
        kind = _BY_ID.get(tuple(key[:-1]), "params")
        item = container[last]
        element_id = item.get("id") if isinstance(item, dict) and kind != "params" else last
        broken.setdefault(kind, set()).add(str(element_id))
        del container[last]
        del located.value[last]


def _expand(clock: ClockSpec) -> ClockSpec:
    """``pause: {while_state: [s]}`` → pause on_enter s, resume on_leave s."""
    if clock.pause is None or not clock.pause.while_state:
        return clock
    states = clock.pause.while_state
    pause = clock.pause.model_copy(update={"on_enter": _union(clock.pause.on_enter, states)})
    pause._condition = clock.pause.condition
    if clock.resume is None:
        resume = Trigger(on_leave=states)
    else:
        resume = clock.resume.model_copy(update={"on_leave": _union(clock.resume.on_leave, states)})
        resume._condition = clock.resume.condition
    return clock.model_copy(update={"pause": pause, "resume": resume})


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def _fingerprint(spec: PackSpec) -> str:
    canonical = json.dumps(
        spec.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _build(
    spec: PackSpec,
    chain: list[tuple[Path, _Node]],
    sources: dict[tuple[str, str], list[Loc]],
    warnings: list[RuleProblem],
) -> RulePack:
    for warning in warnings:
        log.warning("%s", warning)
    return RulePack(
        name=spec.pack,
        version=spec.version,
        chain=tuple((str(n.scalar("pack")), str(n.scalar("version"))) for _, n in chain),
        label=spec.label,
        timezone=ZoneInfo(spec.timezone),
        effective=spec.effective,
        params=MappingProxyType(dict(spec.params)),
        calendar=spec.calendar,
        lifecycle=spec.lifecycle,
        actions=spec.actions,
        clocks=tuple(_expand(c) for c in spec.clocks),
        escalations=spec.escalations,
        routing=spec.routing,
        fingerprint=_fingerprint(spec),
        files=tuple(str(p) for p, _ in chain),
        warnings=tuple(warnings),
        spec=spec,
        guards=MappingProxyType(
            {
                e.id: e.guard_condition
                for e in spec.lifecycle.events
                if e.guard_condition is not None
            }
        ),
        _sources=MappingProxyType({k: tuple(v) for k, v in sources.items()}),
    )


def load_pack(name_or_path: str | Path, *, search_path: Sequence[Path] = ()) -> RulePack:
    """Load a pack by name (``national``: looked up in ``search_path``, then ``rules/packs/``) or by
    path. Raises ``RuleError`` listing every problem (``file:line: message``)."""
    loaded = _load(name_or_path, search_path)
    if loaded.pack is None:
        raise RuleError(loaded.problems or [RuleProblem(str(name_or_path), None, "cannot load")])
    return loaded.pack


def check_pack(path: str | Path, *, search_path: Sequence[Path] = ()) -> list[RuleProblem]:
    """Every problem of a pack (empty when it loads). Never raises for problems in the pack."""
    return list(_load(path, search_path).problems)
