"""The notice templates: English ids in code, Chinese names on paper and on disk.

One template per kind of document, each with its own legal wording:

==================  ==============  ==============================================================
id (in code)        name (stored)   what it is, who gets it
==================  ==============  ==============================================================
overdue_warning     超期预警         a clock is near or past its deadline: to the handler / office
                                    whose clock it is
reminder            催办提醒         something is due (a follow-up report, a decision not yet
                                    taken): a reminder that decides nothing
supervision_notice  挂牌督办通知书    an *approved* 挂牌督办: from the supervising office (the one
                                    above) to the supervised office
escalation_notice   提级办理通知书    an *approved* 提级办理: from the higher office to the lower
                                    office that handled the case
leader_notice       领导包案通知      an *approved* 领导包案: to the named leader (and the handler)
advance_advice      垫付建议         a recommendation to use the emergency fund / wage deposit:
                                    decides nothing
referral_approval   移送审批表       the draft for the head (国务院令第310号 第五条), issued when a
                                    referral to the police is proposed
decision_request    提请决定审批表    the same for the other acts reserved to a person (挂牌督办,
                                    提级办理, 列入失信联合惩戒名单, 领导包案), to the deciding office
police_referral     涉嫌犯罪案件移送书  an *approved* referral, numbered: to the police
daily_digest        每日台账摘要      one recipient's daily list of running cases
==================  ==============  ==============================================================

Code compares ids through the constants (``template_id(x) == POLICE_REFERRAL``); the id is also
the stem of the template's files (``police_referral.txt.j2``). The Chinese name is the label and
the value that is *stored*: the outbox column, ``Notice.template``, the CLI's JSON, the webhook
payload and the file channel's names keep it, because those are contracts (docs/cli.md).

Older names stay accepted as aliases (``TEMPLATE_ALIASES``): rows written before the documents
were split (``督办通知``, ``移送函``) and packs that still name them load and map to the document
that replaced them. ``template_id`` and ``template_label`` map any accepted spelling.

Which documents a pack rule may issue by itself (``RULE_TEMPLATES``: warnings, reminders and
recommendations, which decide nothing) and which only the decision model issues
(``DECISION_TEMPLATES``: the draft for the decider, and the act's formal document after an
approval) is declared here, for the loader and the issuer alike.

Pure and import-light (this module is imported by ``zhiqian.notifiers`` too): no pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

from zhiqian.errors import UnknownName

__all__ = [
    "ADVANCE_ADVICE",
    "DAILY_DIGEST",
    "DECISION_REQUEST",
    "DECISION_TEMPLATES",
    "ESCALATION_NOTICE",
    "LEADER_NOTICE",
    "OVERDUE_WARNING",
    "POLICE_REFERRAL",
    "REFERRAL_APPROVAL",
    "REMINDER",
    "RULE_TEMPLATES",
    "SUPERVISION_NOTICE",
    "TEMPLATES",
    "TEMPLATE_ALIASES",
    "TEMPLATE_IDS",
    "TEMPLATE_LABELS",
    "TemplateAlias",
    "TemplateId",
    "TemplateKey",
    "TemplateName",
    "template_id",
    "template_label",
]

TemplateId = Literal[
    "overdue_warning",
    "reminder",
    "supervision_notice",
    "escalation_notice",
    "leader_notice",
    "advance_advice",
    "referral_approval",
    "decision_request",
    "police_referral",
    "daily_digest",
]
"""A template's identity in code (and the stem of its files)."""

TemplateName = Literal[
    "超期预警",
    "催办提醒",
    "挂牌督办通知书",
    "提级办理通知书",
    "领导包案通知",
    "垫付建议",
    "移送审批表",
    "提请决定审批表",
    "涉嫌犯罪案件移送书",
    "每日台账摘要",
]
"""A template's Chinese name: its label, and the value stored and shown."""

TemplateAlias = Literal["督办通知", "移送函"]
"""Names stored before the documents were split, still accepted."""

TemplateKey = TemplateId | TemplateName | TemplateAlias
"""Any spelling, where all are accepted."""

OVERDUE_WARNING: Final[TemplateId] = "overdue_warning"
REMINDER: Final[TemplateId] = "reminder"
SUPERVISION_NOTICE: Final[TemplateId] = "supervision_notice"
ESCALATION_NOTICE: Final[TemplateId] = "escalation_notice"
LEADER_NOTICE: Final[TemplateId] = "leader_notice"
ADVANCE_ADVICE: Final[TemplateId] = "advance_advice"
REFERRAL_APPROVAL: Final[TemplateId] = "referral_approval"
DECISION_REQUEST: Final[TemplateId] = "decision_request"
POLICE_REFERRAL: Final[TemplateId] = "police_referral"
DAILY_DIGEST: Final[TemplateId] = "daily_digest"

TEMPLATE_IDS: Final[tuple[TemplateId, ...]] = get_args(TemplateId)
TEMPLATES: Final[tuple[TemplateName, ...]] = get_args(TemplateName)
"""The stored names, in the order of ``TEMPLATE_IDS``."""

TEMPLATE_LABELS: Final[Mapping[TemplateId, TemplateName]] = MappingProxyType(
    dict(zip(TEMPLATE_IDS, TEMPLATES, strict=True))
)
TEMPLATE_ALIASES: Final[Mapping[TemplateAlias, TemplateId]] = MappingProxyType(
    {"督办通知": SUPERVISION_NOTICE, "移送函": POLICE_REFERRAL}
)
assert set(TEMPLATE_ALIASES) == set(get_args(TemplateAlias))

RULE_TEMPLATES: Final[frozenset[TemplateId]] = frozenset(
    {OVERDUE_WARNING, REMINDER, ADVANCE_ADVICE}
)
"""What a pack rule's ``notify`` (or a clock's ``warn``) may issue: it decides nothing."""

DECISION_TEMPLATES: Final[frozenset[TemplateId]] = frozenset(
    {
        REFERRAL_APPROVAL,
        DECISION_REQUEST,
        SUPERVISION_NOTICE,
        ESCALATION_NOTICE,
        LEADER_NOTICE,
        POLICE_REFERRAL,
    }
)
"""Issued only by the decision model: the draft for the decider when an act reserved to a
person is proposed, and the act's formal document once a named person approved it."""

_IDS: Final[Mapping[str, TemplateId]] = MappingProxyType(
    {
        **{i: i for i in TEMPLATE_IDS},
        **{name: i for i, name in TEMPLATE_LABELS.items()},
        **{str(alias): i for alias, i in TEMPLATE_ALIASES.items()},
    }
)


def template_id(template: str) -> TemplateId:
    """The id of ``template`` given by id, name or alias; ``UnknownName`` for anything else."""
    found = _IDS.get(template)
    if found is None:
        raise UnknownName(
            kind="notice template",
            name=template,
            known=(f"{i} ({TEMPLATE_LABELS[i]})" for i in TEMPLATE_IDS),
        )
    return found


def template_label(template: str) -> TemplateName:
    """The Chinese name (the stored value) of ``template`` given by id, name or alias."""
    return TEMPLATE_LABELS[template_id(template)]
