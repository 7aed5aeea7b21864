"""The rule-pack schema (pydantic). Unknown keys are errors everywhere (``extra="forbid"``).

The lifecycle part is what the engine builds its state machine from; the rest (clocks,
escalations, routing) is evaluated by the engine and the daemon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from zhiqian.rules.in_force import InForce
from zhiqian.rules.limits import Limit, LimitUnit, parse_limit
from zhiqian.rules.templates import (
    ESCALATION_NOTICE,
    POLICE_REFERRAL,
    SUPERVISION_NOTICE,
    TEMPLATE_ALIASES,
    TEMPLATE_IDS,
    TemplateId,
    TemplateName,
    template_id,
    template_label,
)
from zhiqian.rules.templates import TEMPLATES as _TEMPLATE_NAMES

if TYPE_CHECKING:  # rule-engine costs ~0.45 s to import: only the loader needs it
    from zhiqian.rules.conditions import Condition

__all__ = [
    "ACTIONS",
    "CHANNELS",
    "DECISION_DOCUMENTS",
    "INTAKE_CHANNELS",
    "INTERNAL_EVENTS",
    "PREVIOUS_STATE",
    "RECEIVED",
    "RESERVED_ACTS",
    "TEMPLATES",
    "ActionEventSpec",
    "ActionMode",
    "ActionSpec",
    "AssignLeaderAction",
    "BlacklistAction",
    "CalendarSpec",
    "ClockSpec",
    "DecisionSpec",
    "DigestSpec",
    "EffectiveSpec",
    "EscalationSpec",
    "EventSpec",
    "ExtensionSpec",
    "InForce",
    "LifecycleSpec",
    "LightsSpec",
    "LimitField",
    "NotifyAction",
    "PackSpec",
    "ParamSpec",
    "PauseTrigger",
    "PerformanceSpec",
    "QuietHours",
    "RaiseLevelAction",
    "RecommendAction",
    "ReferPoliceAction",
    "ReportSpec",
    "RequireReportAction",
    "RoleSpec",
    "RollOver",
    "RoutingSpec",
    "SameDaySpec",
    "StartTrigger",
    "StateSpec",
    "Status",
    "SuperviseAction",
    "Trigger",
    "WarnSpec",
]

# ``to: $previous`` — the state the case was in before it entered the source state
# (resume after suspend). The engine keeps that state on the case row.
PREVIOUS_STATE = "$previous"

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_ident(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case ASCII letters, digits and '_' "
            "(ids appear in conditions, the CLI and the database)"
        )
    return value


class StateSpec(_Strict):
    id: str
    label: str
    final: bool = False

    _id = field_validator("id")(_check_ident)


class EventSpec(_Strict):
    id: str
    label: str
    source: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    guard: str | None = None  # a condition expression; the event is refused when it is false
    _guard: Condition | None = PrivateAttr(default=None)

    _id = field_validator("id")(_check_ident)

    @property
    def guard_condition(self) -> Condition | None:
        """The compiled ``guard`` (set by the loader), or None when the event has no guard."""
        return self._guard

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v


class LifecycleSpec(_Strict):
    initial: str
    states: tuple[StateSpec, ...]
    events: tuple[EventSpec, ...]

    def state(self, state_id: str) -> StateSpec | None:
        return next((s for s in self.states if s.id == state_id), None)

    def event(self, event_id: str) -> EventSpec | None:
        return next((e for e in self.events if e.id == event_id), None)

    @property
    def state_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.id for s in self.states if s.final)


# ---------------------------------------------------------------------------------------------
# Everything below extends the lifecycle schema to a whole rule pack.
# ---------------------------------------------------------------------------------------------


class Status(StrEnum):
    """How sure we are of a rule's basis (LAW.md tiers)."""

    V = "V"  # read in a full official text
    S = "S"  # quoted on a government or news page: ship as law, flagged
    L = "L"  # a local rule (city / province notice)
    CONV = "CONV"  # a convention or practice: a configurable default
    UNVERIFIED = "UNVERIFIED"  # placeholder: loads with a warning


# pseudo-event: the complaint was received (intake); starts the intake clocks
RECEIVED = "received"
# things the engine does or records outside the lifecycle; usable in ``on_event`` like events
INTERNAL_EVENTS: Final = frozenset(
    {
        RECEIVED,
        "file",  # 立案
        "order_payment",  # 责令支付 (限期整改指令书 / 行政处理决定书 served or posted)
        "extend",  # a clock was extended (延长)
        "raise_level",  # 提级办理
        "assign_leader",  # 领导包案
        "refer_police",  # 移送公安 proposed (移送报告提交负责人)
        "supervise",  # 挂牌督办
        "require_report",  # a follow-up report was required
        "blacklist",  # 列入失信联合惩戒名单 (approved)
        "police_filed",  # 公安机关立案 (the police's decision, recorded by the office)
        # a decision on an act the law reserves to a person: proposed, then approved or rejected
        *(
            f"{step}_{act}"
            for act in ("refer_police", "supervise", "raise_level", "blacklist", "assign_leader")
            for step in ("propose", "approve", "reject")
        ),
    }
)
# Acts the law reserves to a person. A rule (or a clerk) proposes them; a named person decides
# (``decisions:`` in the pack says who, within what, on what basis); only an approval performs
# them. Everything else a rule does — a warning, a reminder, a required report, a recommendation
# — the system may do itself.
RESERVED_ACTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "refer_police": "移送公安机关",
        "supervise": "挂牌督办",
        "raise_level": "提级办理",
        "blacklist": "列入拖欠农民工工资失信联合惩戒对象名单",
        "assign_leader": "领导包案",
    }
)
# Documents only a decision issues (the act's formal document, the decider's form): a rule's
# ``notify`` may not name them — a screening is not a 移送, a recommendation not a 督办.
DECISION_DOCUMENTS: Final = frozenset({POLICE_REFERRAL, SUPERVISION_NOTICE, ESCALATION_NOTICE})
# Notice templates: ids in code, the Chinese names stored (zhiqian.rules.templates).
TEMPLATES: Final = _TEMPLATE_NAMES
CHANNELS: Final = ("log", "file", "email", "webhook", "apprise")
# How a case reached the office (反映渠道): the values of the intake's ``Channel`` (a test keeps
# the two equal). ``inspection`` is the office's own 主动检查, not a complaint (投诉).
INTAKE_CHANNELS: Final = (
    "platform",
    "hotline_12333",
    "hotline_12345",
    "visit",
    "letter",
    "transferred",
    "inspection",
)

_PACK_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _limit(value: object) -> Limit:
    if isinstance(value, Limit):
        return value
    if not isinstance(value, str | int):
        raise ValueError(f"a limit is text such as '60 workdays', got {value!r}")
    return parse_limit(str(value))


LimitField = Annotated[
    Limit,
    PlainValidator(_limit, json_schema_input_type=str),
    PlainSerializer(str, return_type=str),
]


def _template_alias(value: object) -> object:
    """``template: police_referral`` is the same as ``template: 涉嫌犯罪案件移送书`` (and the older
    name ``移送函``): the loaded pack holds the name (what is stored). Anything else is left for the ``Literal`` to refuse, listing the names."""
    if isinstance(value, str) and (value in TEMPLATE_IDS or value in TEMPLATE_ALIASES):
        return template_label(value)
    return value


# A notice template named by its id or its Chinese name; holds the name once loaded.
TemplateField = Annotated[TemplateName, BeforeValidator(_template_alias)]


def _ids(value: object) -> object:
    """``on_enter: suspended`` is the same as ``on_enter: [suspended]``."""
    return (value,) if isinstance(value, str) else value


Ids = Annotated[tuple[str, ...], BeforeValidator(_ids)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Trigger(_Strict):
    """When a clock condition fires.

    ``on_event`` / ``on_enter`` / ``on_leave`` are alternatives: any one of them fires the trigger.
    ``when`` (a condition) alone fires when it becomes true on a case change; together with the
    others it is an extra requirement (the event happened *and* the condition holds).
    """

    on_event: Ids = ()
    on_enter: Ids = ()
    on_leave: Ids = ()
    when: str | None = None
    _condition: Condition | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if not (self.on_event or self.on_enter or self.on_leave or self.when):
            raise ValueError("a trigger needs on_event, on_enter, on_leave or when")
        return self

    @property
    def condition(self) -> Condition | None:
        """The compiled ``when`` (set by the loader)."""
        return self._condition


def _intake_channels(values: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in values if v not in INTAKE_CHANNELS]
    if unknown:
        raise ValueError(
            f"unknown channel {', '.join(map(repr, unknown))}: use {', '.join(INTAKE_CHANNELS)}"
        )
    return values


class StartTrigger(Trigger):
    """When a clock starts, and for which cases.

    ``channel`` / ``unless_channel``: only for cases that came by (or not by) one of these
    channels — e.g. the 5-working-day acceptance limit (若干规定 第十八条) is for complaints, not
    for the office's own inspections (``unless_channel: [inspection]``). ``received_between``:
    only for cases whose complaint was received in that window (e.g. "所有年内发生的案件":
    received in 2019), whatever the day the case was keyed in. A ``reset`` starts a new cycle
    only for the cases the start is for.
    """

    channel: Ids = ()
    unless_channel: Ids = ()
    received_between: InForce | None = None

    _channels = field_validator("channel", "unless_channel")(_intake_channels)

    @model_validator(mode="after")
    def _one_filter(self) -> StartTrigger:
        if self.channel and self.unless_channel:
            raise ValueError("give channel or unless_channel, not both")
        return self

    def admits(self, channel: str, received_on: date) -> bool:
        """Whether a case that came by ``channel``, received on ``received_on`` (local day),
        is one this start is for."""
        if self.channel and channel not in self.channel:
            return False
        if channel in self.unless_channel:
            return False
        return self.received_between is None or self.received_between.covers(received_on)


class PauseTrigger(Trigger):
    """``while_state: [suspended]`` is sugar for ``pause: {on_enter: [suspended]}`` plus
    ``resume: {on_leave: [suspended]}``; the loader expands it (and keeps it here for display)."""

    while_state: Ids = ()

    @model_validator(mode="after")
    def _something(self) -> PauseTrigger:
        if not (self.on_event or self.on_enter or self.on_leave or self.when or self.while_state):
            raise ValueError("a pause needs while_state, on_event, on_enter, on_leave or when")
        return self


class ExtensionSpec(_Strict):
    """How far a clock may be extended, and on whose approval (e.g. 条例 Art. 17: +30 WD)."""

    up_to: LimitField
    needs: Literal["approval", "nothing"] = "approval"
    approver_role: str | None = None  # a title such as 负责人 (recorded with the approval)
    basis: str | None = None


class WarnSpec(_Strict):
    """A warning (超期预警) ``before`` the deadline; ``to`` are routing roles (default: the
    handler's office as routed by the engine)."""

    before: LimitField
    to: Ids = ()
    template: TemplateField = "超期预警"

    @property
    def template_id(self) -> TemplateId:
        return template_id(self.template)


class SameDaySpec(_Strict):
    """An act the law wants on the day the clock is met: 若干规定 第十八条 — a complaint accepted
    is "于受理之日立案查处". Done on a later day the act is still done (refusing a late 立案
    would leave the case unfiled); its event records ``warning`` with both days."""

    event: str
    warning: NonEmpty


class ClockSpec(_Strict):
    """An SLA clock. See the module docstring of ``zhiqian.rules.loader`` for the evaluation order.

    ``in_force``: the days the clock's rule is in force (a campaign's window). A case gets the
    clock only when the moment it would start lies in it — for a clock started by receipt, the
    day the complaint was received; a reset outside it starts no new cycle.
    """

    id: str
    label: NonEmpty
    in_force: InForce | None = None
    start: StartTrigger
    stop: Trigger | None = None
    pause: PauseTrigger | None = None
    resume: Trigger | None = None
    cancel: Trigger | None = None
    reset: Trigger | None = None
    limit: LimitField
    # the engine accepts a per-case limit (e.g. the period written in a 责令支付 order)
    per_case_limit: bool = False
    count_start_day: bool = False  # 民法典 Art. 201: the start day is not counted
    roll_over: RollOver | None = None  # None: the pack calendar's roll_over (民法典 Art. 203)
    extension: ExtensionSpec | None = None
    warn: tuple[WarnSpec, ...] = ()
    same_day: SameDaySpec | None = None
    basis: NonEmpty
    status: Status
    note: str | None = None

    _id = field_validator("id")(_check_ident)


class NotifyAction(_Strict):
    to: Annotated[tuple[str, ...], BeforeValidator(_ids), Field(min_length=1)]
    template: TemplateField

    @property
    def template_id(self) -> TemplateId:
        return template_id(self.template)


class RaiseLevelAction(_Strict):
    clocks: Literal["continue", "restart"] = "continue"


class AssignLeaderAction(_Strict):
    role: NonEmpty  # a title: 分管领导, 包案领导 …


class ReferPoliceAction(_Strict):
    """The engine checks the legal preconditions (刑法 276之一: a 责令支付 order not complied with)."""


class SuperviseAction(_Strict):
    by: Literal["province", "city"]


class RequireReportAction(_Strict):
    within: LimitField
    label: NonEmpty


class BlacklistAction(_Strict):
    """Propose listing the employer (列入失信联合惩戒名单); the office decides (45号令 Art. 5).
    ``blacklist_candidate`` is the old spelling of this action."""


class RecommendAction(_Strict):
    """Recommend that a clerk fire a lifecycle event (e.g. ``advance``: 先行垫付)."""

    event: str
    label: NonEmpty


ACTIONS: Final = (
    "notify",
    "raise_level",
    "assign_leader",
    "refer_police",
    "supervise",
    "require_report",
    "blacklist",
    "recommend",
)
_ACTION_ALIASES: Final = {"blacklist_candidate": "blacklist"}


class DecisionSpec(_Strict):
    """Who decides an act the law reserves to a person, within what, and on what basis.

    ``office``: ``same`` — the office handling the case (its 负责人); ``upper`` — the office above
    it (挂牌督办 by the supervising office, 提级办理 by the higher office). ``clock`` names the
    decision's legal clock; absent, the loader makes one (``decide_<act>``) that starts on
    ``propose_<act>`` and stops on its approval or rejection. An undecided decision warns and
    breaches like any clock, so rules can escalate it."""

    by: NonEmpty
    office: Literal["same", "upper"] = "same"
    within: LimitField
    clock: str | None = None
    warn: tuple[WarnSpec, ...] = ()
    basis: NonEmpty
    status: Status
    note: str | None = None

    def clock_id(self, act: str) -> str:
        return self.clock or f"decide_{act}"


class ActionSpec(_Strict):
    """One action: a bare name (``raise_level``) or a one-key mapping (``notify: {...}``)."""

    notify: NotifyAction | None = None
    raise_level: RaiseLevelAction | None = None
    assign_leader: AssignLeaderAction | None = None
    refer_police: ReferPoliceAction | None = None
    supervise: SuperviseAction | None = None
    require_report: RequireReportAction | None = None
    blacklist: BlacklistAction | None = None
    recommend: RecommendAction | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, value: object) -> object:
        if isinstance(value, str):
            value = _ACTION_ALIASES.get(value, value)
            if value not in ACTIONS:
                raise ValueError(f"unknown action {value!r}: use one of {', '.join(ACTIONS)}")
            return {value: {}}
        if isinstance(value, dict):
            if len(value) != 1:
                raise ValueError(
                    f"an action is one name or a one-key mapping, got keys {', '.join(map(str, value))}"
                )
            return {_ACTION_ALIASES.get(k, k): ({} if v is None else v) for k, v in value.items()}
        return value

    @property
    def kind(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)

    @property
    def reserved(self) -> bool:
        """The act is the law's to a person: the rule proposes it, a named person decides."""
        return self.kind in RESERVED_ACTS

    @property
    def params(self) -> BaseModel:
        value: BaseModel = getattr(self, self.kind)
        return value


class ActionMode(_Strict):
    """Whether a rule's action acts (the system may do it itself: a warning, a reminder, a
    required report, a recommendation) or recommends (an act the law reserves to a person: it
    waits for ``decided_by`` of the ``office`` within ``within``), with the basis of that."""

    kind: str
    mode: Literal["acts", "recommends"]
    basis: str
    decided_by: str | None = None
    office: Literal["same", "upper"] | None = None
    within: str | None = None

    def text(self) -> str:
        if self.mode == "acts":
            return f"{self.kind}: acts 直接执行"
        where = "本机关" if self.office == "same" else "上级机关"
        return (
            f"{self.kind}: recommends 提请决定 — {where}{self.decided_by}于{self.within}内决定"
            f"（{self.basis}）"
        )


class EscalationSpec(_Strict):
    id: str
    label: NonEmpty
    when: NonEmpty
    do: tuple[ActionSpec, ...]
    basis: NonEmpty
    status: Status
    once: bool = True  # fire once per case (per clock cycle of the clocks it reads)
    note: str | None = None
    # the days the rule's basis is in force; outside them its condition is false (None: always)
    in_force: InForce | None = None
    _condition: Condition | None = PrivateAttr(default=None)

    _id = field_validator("id")(_check_ident)

    @field_validator("do")
    @classmethod
    def _some(cls, v: tuple[ActionSpec, ...]) -> tuple[ActionSpec, ...]:
        if not v:
            raise ValueError("an escalation needs at least one action in do")
        return v

    @property
    def condition(self) -> Condition:
        """The compiled ``when`` (set by the loader)."""
        if self._condition is None:
            raise RuntimeError(f"escalation {self.id!r} was not loaded through the loader")
        return self._condition


class ParamSpec(_Strict):
    """A named value visible to conditions as ``params.NAME``; every value names its basis.

    ``local_default: true`` marks a figure no national text fixes — taken from a province's
    rule or from practice — that a province or city pack should set for itself (override the
    param by name). Such a param has status L or CONV and names in ``example`` the document its
    figure was taken from; its ``basis`` stays the law that leaves the figure to the office.
    ``in_force``: the days the value applies; a condition reading the param is false outside
    them (the figure did not exist yet, or no longer does).
    """

    value: Decimal | bool | str
    label: str | None = None
    basis: NonEmpty
    status: Status
    note: str | None = None
    local_default: bool = False
    example: NonEmpty | None = None
    in_force: InForce | None = None

    @model_validator(mode="after")
    def _local(self) -> ParamSpec:
        if self.local_default and self.status not in (Status.L, Status.CONV):
            raise ValueError(
                f"a local default has status L or CONV (a figure from a province or from "
                f"practice), not {self.status.value}: a figure the law fixes is not a default"
            )
        if self.local_default and self.example is None:
            raise ValueError(
                "a local default names in example the document its figure was taken from "
                "(e.g. 黑龙江《重大劳动保障违法案件挂牌督办制度》（2013）)"
            )
        if self.example is not None and not self.local_default:
            raise ValueError("example belongs to a local default: add local_default: true")
        return self

    @field_validator("value", mode="before")
    @classmethod
    def _exact(cls, v: object) -> object:
        if isinstance(v, bool | str | Decimal):
            return v
        if isinstance(v, int):
            return Decimal(v)
        if isinstance(v, float):
            return Decimal(repr(v))  # 0.1 stays 0.1
        raise ValueError(f"a param is a number, text or true/false, got {v!r}")


class EffectiveSpec(_Strict):
    """The campaign window: the pack applies to cases received in it. ``to`` is a date or a
    symbol resolved with the calendar: ``spring_festival`` (the first off-day of the Spring
    Festival break after ``from``) or ``new_year`` (1 January after ``from``)."""

    from_: date = Field(alias="from")
    to: date | Literal["spring_festival", "new_year"] | None = None
    basis: str | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, v: object) -> object:
        if v is None or isinstance(v, date) or v in ("spring_festival", "new_year"):
            return v
        if isinstance(v, str):
            try:
                return date.fromisoformat(v)
            except ValueError:
                pass
        raise ValueError(f"use a date (2022-01-31), spring_festival or new_year, got {v!r}")

    @model_validator(mode="after")
    def _order(self) -> EffectiveSpec:
        if isinstance(self.to, date) and self.to < self.from_:
            raise ValueError(f"effective.from {self.from_} is after effective.to {self.to}")
        return self


RollOver = Literal["holiday", "non_workday", "none"]  # as zhiqian.rules.deadlines.RollOver


def _days(value: object) -> object:
    """``[2019-12-31]`` or ``{2019-12-31: 地方假日}``: a list gets a generic reason."""
    if isinstance(value, list | tuple):
        return {d: "规则包地方调整" for d in value}
    return value


class CalendarSpec(_Strict):
    """Local changes to the working-day calendar (the national data comes from the calendar).

    ``extra_holidays`` / ``extra_workdays``: dates (a list, or a mapping date → reason).
    ``roll_over``: what a calendar-day deadline does when its last day is not a working day —
    ``non_workday`` (moves to the next working day; 民法典 Art. 203 read with 法定休假日 including
    weekends), ``holiday`` (only a named holiday moves it) or ``none``.
    """

    extra_holidays: Annotated[dict[date, str], BeforeValidator(_days)] = Field(default_factory=dict)
    extra_workdays: Annotated[dict[date, str], BeforeValidator(_days)] = Field(default_factory=dict)
    roll_over: RollOver = "non_workday"
    basis: str | None = None


class RoleSpec(_Strict):
    id: str
    label: NonEmpty
    level: Literal["county", "city", "province", "same", "parent"] = "same"
    # Any channel name (built-in or a ``zhiqian.notifiers`` entry point): checked against the
    # notifier registry where the channels are built, which this pure module cannot see.
    channels: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")], ...] = ("log",)
    address_env: str | None = None  # the env var holding the address: no addresses in packs

    _id = field_validator("id")(_check_ident)

    @field_validator("address_env")
    @classmethod
    def _env(cls, v: str | None) -> str | None:
        if v is not None and not _ENV.match(v):
            raise ValueError(f"{v!r} is not an environment variable name (A-Z, 0-9, _)")
        return v


class QuietHours(_Strict):
    """No notices between ``from`` and ``to`` (local time); they wait for the end (or the digest)."""

    from_: time = Field(alias="from")
    to: time


class DigestSpec(_Strict):
    at: time
    to: Ids = ()
    template: Annotated[Literal["每日台账摘要"], BeforeValidator(_template_alias)] = "每日台账摘要"

    @property
    def template_id(self) -> TemplateId:
        return template_id(self.template)


class ReportSpec(_Strict):
    """A report the office owes upward: monthly (``day_of_month``), once on a day (``due``), or
    once within a period after the campaign ends (``after_end: 5 workdays`` — "行动结束后5个工作日
    内", counted from the close of the pack's ``effective.to``; ``zhiqian.rules.duties``).

    ``in_force``: the days the duty stands — a monthly ledger owed during a campaign is not owed
    after it (the daemon writes none outside the window)."""

    id: str
    label: NonEmpty
    day_of_month: Annotated[int, Field(ge=1, le=31)] | None = None
    due: date | None = None
    after_end: LimitField | None = None
    in_force: InForce | None = None
    to: Ids = ()
    basis: NonEmpty
    status: Status
    note: str | None = None

    _id = field_validator("id")(_check_ident)

    @model_validator(mode="after")
    def _when(self) -> ReportSpec:
        given = [self.day_of_month is not None, self.due is not None, self.after_end is not None]
        if sum(given) != 1:
            raise ValueError("a report needs exactly one of day_of_month, due or after_end")
        if self.after_end is not None and self.after_end.unit not in (
            LimitUnit.WORKDAYS,
            LimitUnit.DAYS,
        ):
            raise ValueError(
                f"after_end counts working or natural days (e.g. '5 workdays'), got {self.after_end}"
            )
        return self

    def owed_on(self, day: date) -> bool:
        """Whether the duty stands on local ``day`` (its ``in_force`` covers it, or it has none)."""
        return self.in_force is None or self.in_force.covers(day)


class RoutingSpec(_Strict):
    roles: tuple[RoleSpec, ...] = ()
    quiet_hours: QuietHours | None = None
    digest: DigestSpec | None = None
    reports: tuple[ReportSpec, ...] = ()

    def role(self, role_id: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.id == role_id), None)


class ActionEventSpec(_Strict):
    """A pack-declared action the engine records outside the lifecycle (usable in ``on_event``),
    e.g. ``police_received`` (公安接收移送). The built-in ones are ``INTERNAL_EVENTS``."""

    id: str
    label: NonEmpty

    _id = field_validator("id")(_check_ident)


class LightsSpec(_Strict):
    """The traffic light of a clock (红黄绿灯): red breached, yellow a warning fired or the
    deadline within ``yellow_within``, grey paused, green running. Defaults keep old packs loading."""

    yellow_within: LimitField = Field(default_factory=lambda: parse_limit("3 workdays"))
    basis: str = "惯例：红黄绿灯预警（临近期限黄灯、超期红灯），见 docs/performance.md"
    status: Status = Status.CONV


class PerformanceSpec(_Strict):
    """How offices are measured and ranked (按期办结率, 红黑榜). See docs/performance.md.

    ``clocks``: the clock ids the on-time rate counts (empty: every clock of the pack);
    ``decisions``: clocks that time a decision someone owes (pending past them is its own measure);
    ``found_unpaid_event``: the event by which 回头看 finds wages still unpaid;
    ``red_list``/``black_list``: an office with at least ``min_ended`` ended clocks whose rate is
    at or above ``red_list`` goes on the 红榜, strictly below ``black_list`` on the 黑榜."""

    lights: LightsSpec = LightsSpec()
    clocks: Ids = ()
    decisions: Ids = ()
    found_unpaid_event: str | None = None
    red_list: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.95")
    black_list: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.80")
    min_ended: Annotated[int, Field(ge=0)] = 5
    basis: str = "惯例：12345平台按期办结率月度排名、红黑榜（见 docs/performance.md）"
    status: Status = Status.CONV

    @model_validator(mode="after")
    def _order(self) -> PerformanceSpec:
        if self.black_list > self.red_list:
            raise ValueError(
                f"black_list {self.black_list} is above red_list {self.red_list}: "
                "an office cannot be on both lists"
            )
        return self


class PackSpec(_Strict):
    """A whole pack after inheritance (what ``RulePack`` is built from)."""

    pack: str
    version: str
    extends: str | None = None
    label: NonEmpty
    timezone: str = "Asia/Shanghai"
    effective: EffectiveSpec | None = None
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    calendar: CalendarSpec = CalendarSpec()
    lifecycle: LifecycleSpec
    actions: tuple[ActionEventSpec, ...] = ()
    clocks: tuple[ClockSpec, ...] = ()
    escalations: tuple[EscalationSpec, ...] = ()
    decisions: dict[str, DecisionSpec] = Field(default_factory=dict)
    routing: RoutingSpec = RoutingSpec()
    performance: PerformanceSpec = PerformanceSpec()

    @field_validator("decisions")
    @classmethod
    def _reserved_only(cls, v: dict[str, DecisionSpec]) -> dict[str, DecisionSpec]:
        for act in v:
            if act not in RESERVED_ACTS:
                raise ValueError(
                    f"decisions.{act}: only acts the law reserves to a person are decided "
                    f"({', '.join(RESERVED_ACTS)}); everything else a rule may do itself"
                )
        return v

    @model_validator(mode="after")
    def _decision_clocks(self) -> PackSpec:
        """Each decision's legal clock, made here when the pack does not declare it."""
        have = {c.id for c in self.clocks}
        finals = tuple(s.id for s in self.lifecycle.states if s.final)
        made: list[ClockSpec] = []
        for act, spec in self.decisions.items():
            clock_id = spec.clock_id(act)
            if clock_id in have:
                continue
            proposed = (f"propose_{act}",)
            made.append(
                ClockSpec(
                    id=clock_id,
                    label=f"{spec.by}作出是否{RESERVED_ACTS[act]}的决定",
                    start=StartTrigger(on_event=proposed),
                    reset=Trigger(on_event=proposed),
                    stop=Trigger(on_event=(f"approve_{act}", f"reject_{act}")),
                    cancel=Trigger(on_enter=finals) if finals else None,
                    limit=spec.within,
                    warn=spec.warn,
                    basis=spec.basis,
                    status=spec.status,
                    note=spec.note,
                )
            )
        if not made:
            return self
        return self.model_copy(update={"clocks": (*self.clocks, *made)})

    @field_validator("pack")
    @classmethod
    def _pack_id(cls, v: str) -> str:
        if not _PACK_ID.match(v):
            raise ValueError(f"{v!r} is not a pack id: lower-case ASCII letters, digits, '-', '_'")
        return v

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: object) -> object:
        # ``version: 1.0`` in YAML is a float; a version is text
        return str(v) if isinstance(v, int | float | Decimal) and not isinstance(v, bool) else v

    @field_validator("params")
    @classmethod
    def _param_names(cls, v: dict[str, ParamSpec]) -> dict[str, ParamSpec]:
        for name in v:
            _check_ident(name)
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Shanghai)") from None
        return v
