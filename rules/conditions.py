"""Conditions in rule packs: a small, typed expression language compiled once, when a pack loads.

The language is `rule-engine <https://zerosteiner.github.io/rule-engine/>`_ (5.x). It was chosen
over cel-python and simpleeval by measurement (``benchmarks/conditions_compare.py``): it is the only
one of the three that rejects a misspelt name or a type error when the condition is *compiled* —
the others happily return ``True`` for ``workers >= 30 or amout >= 5`` and only fail, if ever,
on the one case that reaches the misspelt branch.

What a condition can see (and nothing else — no Python attributes, no built-ins such as ``$now``,
which would read the wall clock)::

    level            "county" | "city" | "province"   the level now handling the case
    region           "140302"                          6-digit 行政区划代码 (a string)
    state            "handling"                        the lifecycle state id
    channel          "platform" | "12333" | "hotline" | "visit" | "letter" | "transferred"
    employer_category  "construction" | "manufacturing" | "training" | "other"
    project_kind     "government" | "ppp" | "soe" | "none"     (also ``project.kind``)
    workers, migrant_workers, amount, migrant_amount   numbers (exact decimals: money is never float)
    largest_owed     number or null: the most owed to one worker (yuan); null = not recorded
                     (with one worker, the amount owed). Discharge the null: ``(largest_owed ?? 0)``
    largest_owed_months  number or null: the months of pay owed to that worker
    flags            list of strings, e.g. ``"malicious" in flags``
    now              datetime in the pack's time zone (``now.year == 2019``, ``now.month == 12``)
    campaign_start, campaign_end   datetime or null: the pack's effective window;
                                   discharge the null with ``??`` (``now < (campaign_end ?? now)``)
    params.NAME      the pack's ``params`` (unknown names are compile errors)
    breached("clock"), warned("clock"), running("clock"), paused("clock")   clock helpers

Clock helpers read ``ConditionContext.clocks`` (clock id → status). ``running`` is true while the
clock counts (status ``running`` or ``warned``); the others test one status. Their argument must be
a quoted clock id; when the compiler is told the pack's clocks, an unknown id is a compile error.

Operators: ``and or not``, ``== != < <= > >=``, ``in``, ``+ - * /``, ``??`` (null coalescing),
string regex match ``=~``, literals ``"text"``, ``30``, ``[1, 2]``, ``null``, ``true``.
Identifiers are ASCII (a rule-engine limit): Chinese belongs in labels, not in conditions.

Dates in force. A condition knows the windows it is in force (``Condition.in_force``: its
rule's ``in_force`` and that of every param it reads, set by the loader). On a day outside any
of them it is false — whatever the case — because the document behind it did not apply then;
``Condition.out_of_force(moment)`` says why. The day is the local day of ``now`` in the
context, which the engine sets to the moment of the event or timer being judged.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as _dt
import difflib
import functools
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import rule_engine
from rule_engine import DataType
from rule_engine import errors as re_errors

from zhiqian.errors import InvalidArgument, RuleError, RuleProblem
from zhiqian.rules.in_force import InForce

__all__ = [
    "CLOCK_HELPERS",
    "CLOCK_STATUSES",
    "VISIBLE_NAMES",
    "Condition",
    "ConditionContext",
    "ParamValue",
    "boundary_contexts",
    "boundary_problem",
    "compile_condition",
    "regex_problem",
]

ParamValue = Decimal | int | str | bool

CLOCK_STATUSES: Final = frozenset(
    {"running", "paused", "stopped", "breached", "warned", "cancelled"}
)
# helper → the statuses for which it is true
CLOCK_HELPERS: Final[Mapping[str, frozenset[str]]] = {
    "breached": frozenset({"breached"}),
    "warned": frozenset({"warned"}),
    "running": frozenset({"running", "warned"}),
    "paused": frozenset({"paused"}),
}

_T = DataType
_PROJECT = _T.OBJECT("project", attributes={"kind": _T.STRING}, accessor=lambda m, k: m[k])
_CASE_TYPES: Final[Mapping[str, Any]] = {
    "level": _T.STRING,
    "region": _T.STRING,
    "state": _T.STRING,
    "channel": _T.STRING,
    "employer_category": _T.STRING,
    "project_kind": _T.STRING,
    "project": _PROJECT,
    "workers": _T.FLOAT,
    "migrant_workers": _T.FLOAT,
    "amount": _T.FLOAT,
    "migrant_amount": _T.FLOAT,
    "largest_owed": _T.NULLABLE(_T.FLOAT),
    "largest_owed_months": _T.NULLABLE(_T.FLOAT),
    "flags": _T.ARRAY(_T.STRING),
    "now": _T.DATETIME,
    "campaign_start": _T.NULLABLE(_T.DATETIME),
    "campaign_end": _T.NULLABLE(_T.DATETIME),
}
VISIBLE_NAMES: Final = (*_CASE_TYPES, "params", *CLOCK_HELPERS)
_NULLABLE_NAMES: Final = "campaign_start, campaign_end, largest_owed, largest_owed_months"
_DEFAULT_TZ: Final = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionContext:
    """What the engine knows about a case when it evaluates a condition (plain values only).

    ``params`` is normally left empty: a condition already holds its pack's params from compile
    time; entries given here override them (tests, ``rules explain --param``).
    """

    level: str
    region: str
    state: str
    workers: int | Decimal
    migrant_workers: int | Decimal
    amount: int | Decimal
    migrant_amount: int | Decimal
    # 法释〔2013〕3号 第三条（一） reads what ONE worker is owed and for how many months of pay:
    # None = not recorded (never a guessed 0), see ``zhiqian.engine.domain.context``
    largest_owed: int | Decimal | None = None
    largest_owed_months: int | None = None
    flags: Collection[str] = ()
    project_kind: str | None = None
    employer_category: str = "other"
    channel: str = "platform"
    now: _dt.datetime
    campaign_start: _dt.datetime | None = None
    campaign_end: _dt.datetime | None = None
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    clocks: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ConditionContext:
        """Build from a mapping of field names; unknown or missing fields are
        ``InvalidArgument`` (a ValueError)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InvalidArgument(
                name="context",
                value=unknown,
                why=f"ConditionContext has no field {', '.join(unknown)}",
            )
        try:
            return cls(**values)
        except TypeError as exc:
            raise InvalidArgument(name="context", value=dict(values), why=str(exc)) from None


def _as_rule_value(value: ParamValue) -> Any:
    if isinstance(value, bool | str):
        return value
    return Decimal(value)


class _Context(rule_engine.Context):  # type: ignore[misc]
    """Refuses rule-engine's built-ins (``$now``, ``$today``, ``$random``…): they read the wall
    clock or are not reproducible; conditions get ``now`` from the engine's injected clock."""

    def resolve_type(self, name: str, scope: str | None = None) -> Any:
        if scope is not None:
            raise _BuiltinRefused(name)
        return super().resolve_type(name, scope)


class _BuiltinRefused(Exception):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def _children(node: Any) -> Iterator[Any]:
    names: set[str] = set()
    for klass in type(node).__mro__:
        names.update(getattr(klass, "__slots__", ()))
    names.update(getattr(node, "__dict__", {}))
    names.discard("context")
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, rule_engine.ast.ExpressionBase):
            yield value
        elif isinstance(value, tuple | list):
            yield from (v for v in value if isinstance(v, rule_engine.ast.ExpressionBase))


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _walk(child)


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    """A compiled condition. ``evaluate`` never raises for a well-formed context."""

    text: str
    where: tuple[str, int | None]
    names: frozenset[str]  # the visible names it reads
    clocks: frozenset[str]  # the clock ids it passes to helpers
    _rule: rule_engine.Rule
    _params: Mapping[str, Any]
    _tz: _dt.tzinfo
    params: frozenset[str] = frozenset()  # the params it reads (``params.NAME``)
    # (what, window): the rule's own and each param's; all must cover the day judged
    in_force: tuple[tuple[str, InForce], ...] = ()

    def evaluate(self, ctx: ConditionContext) -> bool:
        """The condition on ``ctx``: false on a day outside its windows in force."""
        if self.in_force and self.out_of_force(ctx.now) is not None:
            return False
        return self.holds(ctx)

    def holds(self, ctx: ConditionContext) -> bool:
        """The expression alone, whatever the day (``rules explain``, the load-time checks)."""
        return bool(self._rule.evaluate(self._thing(ctx)))

    def out_of_force(self, moment: _dt.datetime) -> str | None:
        """None when every window covers the local day of ``moment``; otherwise why not, e.g.
        ``规则 未施行（2022-01-01 起）``."""
        day = moment.astimezone(self._tz).date()
        for what, window in self.in_force:
            if window.from_ is not None and day < window.from_:
                return f"{what} 未施行（{window.text_zh()}）"
            if window.to is not None and day > window.to:
                return f"{what} 已失效（{window.text_zh()}）"
        return None

    def within(self, windows: Collection[tuple[str, InForce]]) -> Condition:
        """This condition, false outside ``windows`` too (the loader adds the rule's and the
        params' ``in_force``)."""
        if not windows:
            return self
        return dataclasses.replace(self, in_force=(*self.in_force, *windows))

    def _thing(self, ctx: ConditionContext) -> dict[str, Any]:
        clocks = ctx.clocks
        params = dict(self._params)
        params.update((k, _as_rule_value(v)) for k, v in ctx.params.items())
        kind = ctx.project_kind or "none"
        return {
            "level": ctx.level,
            "region": ctx.region,
            "state": ctx.state,
            "channel": ctx.channel,
            "employer_category": ctx.employer_category,
            "project_kind": kind,
            "project": {"kind": kind},
            "workers": Decimal(ctx.workers),
            "migrant_workers": Decimal(ctx.migrant_workers),
            "amount": Decimal(ctx.amount),
            "migrant_amount": Decimal(ctx.migrant_amount),
            "largest_owed": None if ctx.largest_owed is None else Decimal(ctx.largest_owed),
            "largest_owed_months": (
                None if ctx.largest_owed_months is None else Decimal(ctx.largest_owed_months)
            ),
            "flags": tuple(ctx.flags),
            "now": self._local(ctx.now),
            "campaign_start": self._local(ctx.campaign_start),
            "campaign_end": self._local(ctx.campaign_end),
            "params": params,
            **{
                name: (lambda clock, ok=statuses: clocks.get(clock) in ok)
                for name, statuses in CLOCK_HELPERS.items()
            },
        }

    def _local(self, moment: _dt.datetime | None) -> _dt.datetime | None:
        if moment is None:
            return None
        if moment.tzinfo is None:
            raise ValueError(
                f"condition {self.text!r}: naive datetime {moment!r} (use aware times)"
            )
        return moment.astimezone(self._tz)

    def __str__(self) -> str:
        return self.text


def compile_condition(
    text: str,
    *,
    where: tuple[str, int | None],
    params: Mapping[str, ParamValue] | None = None,
    clocks: Collection[str] | None = None,
    timezone: _dt.tzinfo = _DEFAULT_TZ,
) -> Condition:
    """Compile ``text``; raise ``RuleError`` with one ``RuleProblem`` at ``where`` if it is wrong.

    ``params`` are the pack's params (``params.NAME`` is checked against them); ``clocks``, when
    given, are the pack's clock ids (``breached("x")`` with an unknown ``x`` is an error).
    ``timezone`` is the pack's: ``now`` and the campaign datetimes are converted to it.
    """
    params = dict(params or {})
    file, line = where

    def fail(message: str) -> RuleError:
        return RuleError([RuleProblem(file, line, f"condition {text!r}: {message}")])

    if not isinstance(text, str) or not text.strip():
        raise fail("empty condition")
    outside = _outside_quotes(text)
    if not outside.isascii():
        bad = next(ch for ch in outside if not ch.isascii())
        raise fail(
            f"non-ASCII character {bad!r} outside a quoted string: names in conditions are "
            "ASCII (Chinese belongs in labels and quoted values)"
        )
    costly = regex_problem(text, params)
    if costly is not None:  # before rule-engine, which runs constant regexes while compiling
        raise fail(costly)
    context = _context_for(tuple(sorted((k, _type_key(v)) for k, v in params.items())))
    try:
        rule = rule_engine.Rule(text, context=context)
    except _BuiltinRefused as exc:
        raise fail(
            f"built-in ${exc.name} is not available: conditions read only the case "
            "(use now, campaign_start, campaign_end)"
        ) from None
    except re_errors.SymbolResolutionError as exc:
        raise fail(_unknown_name(exc.symbol_name)) from None
    except re_errors.ObjectAttributeError as exc:
        obj = getattr(exc.object, "name", "?")
        if obj == "params":
            known = ", ".join(sorted(params)) or "none"
            hint = _suggest(exc.attribute_name, params)
            raise fail(
                f"unknown param {exc.attribute_name!r}{hint} (this pack's params: {known})"
            ) from None
        raise fail(f"{obj} has no attribute {exc.attribute_name!r}") from None
    except re_errors.AttributeResolutionError as exc:
        raise fail(f"unknown attribute {exc.attribute_name!r}") from None
    except re_errors.FunctionCallError as exc:
        raise fail(f"{exc.message} in a helper call: helpers take one quoted clock id") from None
    except re_errors.RuleSyntaxError as exc:
        raise fail(_syntax_message(text, exc)) from None
    except re_errors.EngineError as exc:
        raise fail(_type_message(exc.message)) from None

    names: set[str] = set()
    used_clocks: set[str] = set()
    used_params: set[str] = set()
    for node in _walk(rule.statement.expression):
        if isinstance(node, rule_engine.ast.SymbolExpression):
            names.add(node.name)
        if (
            isinstance(node, rule_engine.ast.GetAttributeExpression)
            and isinstance(node.object, rule_engine.ast.SymbolExpression)
            and node.object.name == "params"
        ):
            used_params.add(node.name)
        if isinstance(node, rule_engine.ast.ComparisonExpression) and node.type in ("eq", "ne"):
            left, right = node.left.result_type, node.right.result_type
            scalars = (_T.STRING, _T.FLOAT, _T.BOOLEAN, _T.DATETIME)
            if left in scalars and right in scalars and left != right:
                raise fail(
                    f"type error: {_describe(node.left)} ({_type_name(left)}) is compared with "
                    f"{_describe(node.right)} ({_type_name(right)}); they can never be equal"
                )
        if isinstance(node, rule_engine.ast.FunctionCallExpression):
            fn = node.function
            fname = fn.name if isinstance(fn, rule_engine.ast.SymbolExpression) else "?"
            args = node.arguments
            if len(args) != 1 or not isinstance(args[0], rule_engine.ast.StringExpression):
                raise fail(f'{fname}() takes one quoted clock id, e.g. {fname}("investigation")')
            clock = args[0].value
            if clocks is not None and clock not in clocks:
                hint = _suggest(clock, clocks)
                known = ", ".join(sorted(clocks)) or "none"
                raise fail(f"unknown clock {clock!r}{hint} in {fname}() (clocks: {known})")
            used_clocks.add(clock)
    result = rule.statement.expression.result_type
    if result not in (_T.BOOLEAN, _T.UNDEFINED):
        raise fail(f"a condition must be true or false, this one gives a {_type_name(result)}")
    return Condition(
        text=text,
        where=where,
        names=frozenset(names),
        clocks=frozenset(used_clocks),
        params=frozenset(used_params),
        _rule=rule,
        _params={k: _as_rule_value(v) for k, v in params.items()},
        _tz=timezone,
    )


def _type_key(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | Decimal) else "text"


@functools.lru_cache(maxsize=64)
def _context_for(param_types: tuple[tuple[str, str], ...]) -> _Context:
    """One typed context per params signature: building one costs ~0.3 ms (rule-engine makes its
    built-ins table each time), and a pack compiles dozens of conditions with the same params.
    A context is only read while compiling and evaluating, so sharing it is safe."""
    kinds = {"bool": _T.BOOLEAN, "number": _T.FLOAT, "text": _T.STRING}
    types: dict[str, Any] = dict(_CASE_TYPES)
    types["params"] = _T.OBJECT(
        "params",
        attributes={name: kinds[kind] for name, kind in param_types},
        accessor=lambda m, k: m[k],
    )
    for helper in CLOCK_HELPERS:
        types[helper] = _T.FUNCTION(helper, return_type=_T.BOOLEAN, argument_types=(_T.STRING,))
    return _Context(type_resolver=types, mapping_attribute_lookup=False, default_timezone="utc")


def _describe(node: Any) -> str:
    if isinstance(node, rule_engine.ast.SymbolExpression):
        return str(node.name)
    if isinstance(node, rule_engine.ast.StringExpression):
        return repr(node.value)
    if isinstance(node, rule_engine.ast.LiteralExpressionBase):
        return str(node.value)
    return "an expression"


def _type_name(data_type: Any) -> str:
    names = {"FLOAT": "number", "STRING": "text", "BOOLEAN": "true/false", "DATETIME": "datetime"}
    name = str(getattr(data_type, "name", data_type))
    return names.get(name, name.lower())


def _outside_quotes(text: str) -> str:
    return re.sub(r'"[^"]*"|\'[^\']*\'', "", text)


def _suggest(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_name(name: str) -> str:
    return (
        f"unknown name {name!r}{_suggest(name, VISIBLE_NAMES)}; conditions can read: "
        + ", ".join(VISIBLE_NAMES)
    )


def _syntax_message(text: str, exc: re_errors.RuleSyntaxError) -> str:
    token = exc.token
    if token is None:
        return "syntax error: the expression ends too early"
    pos = getattr(token, "lexpos", None)
    value = getattr(token, "value", "?")
    if pos is None:
        return f"syntax error near {value!r}"
    return f"syntax error at column {pos + 1} near {value!r}"


def _type_message(message: str) -> str:
    if message.startswith("data type mismatch") and "nullable" in message:
        side = "left" if "left" in message else "right"
        return (
            f"type error: the {side} operand may be null ({_NULLABLE_NAMES}); discharge it "
            "with ??, e.g. (largest_owed ?? 0) >= params.crime_threshold_single (an unknown "
            "figure then meets nothing) or now < (campaign_end ?? now)"
        )
    if message.startswith("data type mismatch"):
        detail = message[len("data type mismatch") :].strip(" ()")
        base = "type error: the operands do not fit (text compared or combined with a number?)"
        return f"{base}: {detail}" if detail else base
    return message


# --------------------------------------------------------------------------- hostile conditions
# rule-engine compiles a quoted regex when the rule is built and folds a constant comparison
# (``"aaaa…!" =~ "(a+)+$"``) right there: a pack that only loads can take minutes. So the regex
# texts of a condition are judged before rule-engine sees it, and a loaded condition is run once
# against boundary cases so that what would fail at every intake fails at load instead.

MAX_REGEX_LENGTH: Final = 100
MAX_REGEX_REPEATS: Final = 2  # unbounded repetitions (* + {n,}) in one pattern
_REGEX_OPERATORS: Final = frozenset({"EQ_FZM", "EQ_FZS", "NE_FZM", "NE_FZS"})


def _lexer_template() -> Any:
    # The parser every Rule shares (built when rule-engine is imported; a new one costs 1.4 s).
    return rule_engine.Rule.parser._lexer


def _tokens(text: str) -> list[tuple[str, str]]:
    lexer = _lexer_template().clone()  # a clone: the lexer keeps its input as state
    lexer.input(text)
    try:
        return [(token.type, str(token.value)) for token in lexer]
    except Exception:  # a lexing error: rule-engine reports it with a better message
        return []


def _literal(token: str) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError):
        return token[1:-1]
    return value if isinstance(value, str) else token[1:-1]


def regex_problem(text: str, params: Mapping[str, ParamValue] | None = None) -> str | None:
    """Why the regular expressions of condition ``text`` could take too long, or None.

    In a condition that matches a regex (``=~``, ``=~~``, ``!~``, ``!~~``) every quoted text and
    every param it names must be a valid pattern of at most :data:`MAX_REGEX_LENGTH` characters
    with no repetition inside a repetition (``(a+)+``, ``(a|aa)*``: exponential backtracking) and
    at most :data:`MAX_REGEX_REPEATS` unbounded repetitions (``.*.*.*``: polynomial). Quoted texts
    that are not patterns are judged too: telling a pattern from a subject would take the parse
    this check must come before, and a condition needs neither a long nor a nested one.
    """
    tokens = _tokens(text)
    if not any(kind in _REGEX_OPERATORS for kind, _ in tokens):
        return None
    candidates: list[str] = [_literal(value) for kind, value in tokens if kind == "STRING"]
    for i, (kind, value) in enumerate(tokens):
        if kind == "SYMBOL" and value == "params" and i + 2 < len(tokens):
            name = tokens[i + 2][1]
            param = (params or {}).get(name)
            if isinstance(param, str):
                candidates.append(param)
    for pattern in candidates:
        problem = _pattern_problem(pattern)
        if problem is not None:
            return problem
    return None


def _pattern_problem(pattern: str) -> str | None:
    import re._parser as sre_parse  # type: ignore[import-not-found]  # the stdlib's own parser

    if len(pattern) > MAX_REGEX_LENGTH:
        return (
            f"a text in a regex condition is {len(pattern)} characters long; at most "
            f"{MAX_REGEX_LENGTH} (a long pattern or subject makes matching slow)"
        )
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"{pattern!r} is not a regular expression: {exc}"
    repeats = 0
    # (subpattern, inside a repetition, inside an unbounded repetition)
    stack: list[tuple[Any, bool, bool]] = [(parsed, False, False)]
    while stack:
        sub, inside, unbounded_outside = stack.pop()
        for op, arg in sub:
            name = str(op)
            if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
                _low, high, body = arg
                unbounded = high == sre_parse.MAXREPEAT
                if inside and (unbounded or high > 1):
                    return (
                        f"{pattern!r} repeats inside a repetition: matching can take "
                        "exponential time; write the pattern without nested repeats"
                    )
                repeats += unbounded
                stack.append(
                    (body, inside or unbounded or high > 1, unbounded_outside or unbounded)
                )
            elif name == "SUBPATTERN":
                stack.append((arg[-1], inside, unbounded_outside))
            elif name == "BRANCH":
                if unbounded_outside:  # (a|aa)+: two ways to match the same text, at every turn
                    return (
                        f"{pattern!r} repeats a choice of alternatives: matching can take "
                        "exponential time; list the alternatives outside the repetition"
                    )
                stack.extend((branch, inside, unbounded_outside) for branch in arg[1])
            elif name in {"ASSERT", "ASSERT_NOT"}:
                stack.append((arg[1], inside, unbounded_outside))
            elif name == "GROUPREF_EXISTS":
                stack.extend((b, inside, unbounded_outside) for b in arg[1:] if b is not None)
    if repeats > MAX_REGEX_REPEATS:
        return (
            f"{pattern!r} has {repeats} unbounded repetitions; at most {MAX_REGEX_REPEATS} "
            "(each one multiplies the work of a failing match)"
        )
    return None


# The largest values intake accepts (zhiqian.engine.domain.intake MAX_AMOUNT / MAX_WORKERS; rules
# may not import the engine, so they are repeated here).
_MAX_AMOUNT: Final = Decimal("999999999999.99")
_MAX_WORKERS: Final = 1_000_000
_MAX_MONTHS: Final = 600


def boundary_contexts(
    *, now: _dt.datetime, clocks: Collection[str] = (), flags: Collection[str] = ()
) -> list[tuple[str, ConditionContext]]:
    """Cases at the edges of what intake accepts, each with a short description: nothing owed,
    no migrant workers, everything at its maximum, no flags and every flag, each level and clock
    status, no project. A condition that cannot be evaluated for one of them would fail on a real
    case."""
    base = ConditionContext(
        level="county",
        region="140302",
        state="received",
        workers=1,
        migrant_workers=0,
        amount=Decimal(0),
        migrant_amount=Decimal(0),
        now=now,
    )
    out: list[tuple[str, ConditionContext]] = [
        ("nothing owed and no migrant workers", base),
        (
            "the largest amounts and counts",
            _replace(
                base,
                workers=_MAX_WORKERS,
                migrant_workers=_MAX_WORKERS,
                amount=_MAX_AMOUNT,
                migrant_amount=_MAX_AMOUNT,
                largest_owed=_MAX_AMOUNT,
                largest_owed_months=_MAX_MONTHS,
            ),
        ),
        (
            "what one worker is owed recorded",
            _replace(
                base,
                amount=Decimal("8000.00"),
                largest_owed=Decimal("8000.00"),
                largest_owed_months=1,
            ),
        ),
        (
            "an amount owed but no migrant workers",
            _replace(base, workers=3, amount=Decimal("10000.00")),
        ),
        (
            "migrant workers owed nothing",
            _replace(base, workers=3, migrant_workers=3, amount=Decimal("0.01")),
        ),
        ("every flag", _replace(base, flags=tuple(flags))),
        ("a project", _replace(base, project_kind="government", employer_category="construction")),
        (
            "a campaign window",
            _replace(base, campaign_start=now - _dt.timedelta(days=1), campaign_end=now),
        ),
    ]
    for level in ("city", "province"):
        out.append((f"a case at {level} level", _replace(base, level=level)))
    for status in sorted(CLOCK_STATUSES):
        out.append((f"every clock {status}", _replace(base, clocks=dict.fromkeys(clocks, status))))
    return out


def _replace(ctx: ConditionContext, **changes: Any) -> ConditionContext:
    return dataclasses.replace(ctx, **changes)


def boundary_problem(
    condition: Condition, cases: Collection[tuple[str, ConditionContext]]
) -> str | None:
    """How ``condition`` fails on one of ``cases`` (see :func:`boundary_contexts`), or None."""
    for what, ctx in cases:
        try:
            condition.holds(ctx)  # whatever its dates in force: the expression must run
        except Exception as exc:  # any failure here would be a failure at every such intake
            detail = getattr(exc, "message", None) or type(exc).__name__
            return (
                f"fails when evaluated for a case with {what} ({detail}); guard it, e.g. "
                "migrant_workers > 0 and migrant_amount / migrant_workers > 1000"
            )
    return None
