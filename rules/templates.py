"""The notice templates a pack may name: English ids in code, Chinese names on paper and on disk.

==================  ==============  =================================================
id (in code)        name (stored)   what it is
==================  ==============  =================================================
overdue_warning     超期预警         a clock is near or past its deadline
supervision_notice  督办通知         挂牌督办: the case is supervised from above
escalation_notice   提级办理通知书    the case moves up a level (county → city)
police_referral     移送函           referral to 公安 under 国务院令第310号
daily_digest        每日台账摘要      one recipient's daily list of running cases
==================  ==============  =================================================

Code compares ids through the constants (``template_id(x) == POLICE_REFERRAL``); the id is also
the stem of the template's files (``police_referral.txt.j2``). The Chinese name is the label and
the value that is *stored*: the outbox column, ``Notice.template``, the CLI's JSON, the webhook
payload and the file channel's names keep it, because those are contracts (docs/cli.md) and
rows already written. Packs may write either (``template: 移送函`` or ``police_referral``); the
loaded pack holds the name. ``template_id`` and ``template_label`` map any accepted spelling.

Pure and import-light (this module is imported by ``zhiqian.notifiers`` too): no pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

from zhiqian.errors import UnknownName

__all__ = [
    "DAILY_DIGEST",
    "ESCALATION_NOTICE",
    "OVERDUE_WARNING",
    "POLICE_REFERRAL",
    "SUPERVISION_NOTICE",
    "TEMPLATES",
    "TEMPLATE_IDS",
    "TEMPLATE_LABELS",
    "TemplateId",
    "TemplateKey",
    "TemplateName",
    "template_id",
    "template_label",
]

TemplateId = Literal[
    "overdue_warning", "supervision_notice", "escalation_notice", "police_referral", "daily_digest"
]
"""A template's identity in code (and the stem of its files)."""

TemplateName = Literal["超期预警", "督办通知", "提级办理通知书", "移送函", "每日台账摘要"]
"""A template's Chinese name: its label, and the value stored and shown."""

TemplateKey = TemplateId | TemplateName
"""Either spelling, where both are accepted."""

OVERDUE_WARNING: Final[TemplateId] = "overdue_warning"
SUPERVISION_NOTICE: Final[TemplateId] = "supervision_notice"
ESCALATION_NOTICE: Final[TemplateId] = "escalation_notice"
POLICE_REFERRAL: Final[TemplateId] = "police_referral"
DAILY_DIGEST: Final[TemplateId] = "daily_digest"

TEMPLATE_IDS: Final[tuple[TemplateId, ...]] = get_args(TemplateId)
TEMPLATES: Final[tuple[TemplateName, ...]] = get_args(TemplateName)
"""The stored names, in the order of ``TEMPLATE_IDS``."""

TEMPLATE_LABELS: Final[Mapping[TemplateId, TemplateName]] = MappingProxyType(
    dict(zip(TEMPLATE_IDS, TEMPLATES, strict=True))
)
_IDS: Final[Mapping[str, TemplateId]] = MappingProxyType(
    {**{i: i for i in TEMPLATE_IDS}, **{name: i for i, name in TEMPLATE_LABELS.items()}}
)


def template_id(template: str) -> TemplateId:
    """The id of ``template`` given by id or by Chinese name; ``UnknownName`` for anything else."""
    found = _IDS.get(template)
    if found is None:
        raise UnknownName(
            kind="notice template",
            name=template,
            known=(f"{i} ({TEMPLATE_LABELS[i]})" for i in TEMPLATE_IDS),
        )
    return found


def template_label(template: str) -> TemplateName:
    """The Chinese name (the stored value) of ``template`` given by id or by name."""
    return TEMPLATE_LABELS[template_id(template)]
