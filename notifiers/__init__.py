"""Notice delivery: the ``Notifier`` protocol, the built-in channels, the registry and the
notice documents.

Pure of the database: the outbox and the delivery worker (retry with back-off, dead letters) live
in the store and the engine and drive these pieces::

    renderer = NoticeRenderer(override_folder)          # once per deployment
    notifier = load_notifier("smtp", host=..., port=25, sender="zq@rsj.example.gov.cn")
    result = notifier.send(notice, renderer.render(notice))
    if result.ok: mark sent  elif result.retryable: back off  else: dead-letter

Channel outcomes in short (details in each class):

==========  ======================================  ==========================================
channel     retryable failure                       permanent failure
==========  ======================================  ==========================================
log         —                                       —
file        OS errors other than below              permission, read-only, not a folder
smtp        SMTP 4xx, refused/dropped, timeout      SMTP 5xx, unusable address
webhook     408, 429, 5xx, refused/dropped, timeout other 4xx, 3xx, untrusted certificate
apprise     any failure without a 4xx status        logged 4xx status, unusable notice address
memory      as told by ``fail_next``                as told by ``fail_next``
==========  ======================================  ==========================================

Configuration errors (a secret's environment variable not set, credentials rejected, an
unparseable channel URL) raise ``zhiqian.errors.NotifierError`` with ``retryable=False``.
"""

from __future__ import annotations

from zhiqian.notifiers._apprise import AppriseNotifier as AppriseNotifier
from zhiqian.notifiers._file import FileNotifier as FileNotifier
from zhiqian.notifiers._lint import document_problems as document_problems
from zhiqian.notifiers._log import LogNotifier as LogNotifier
from zhiqian.notifiers._memory import MemoryNotifier as MemoryNotifier
from zhiqian.notifiers._memory import SentNotice as SentNotice
from zhiqian.notifiers._registry import BUILTIN_NOTIFIERS as BUILTIN_NOTIFIERS
from zhiqian.notifiers._registry import CHANNEL_KINDS as CHANNEL_KINDS
from zhiqian.notifiers._registry import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from zhiqian.notifiers._registry import build_channel as build_channel
from zhiqian.notifiers._registry import default_channels as default_channels
from zhiqian.notifiers._registry import load_notifier as load_notifier
from zhiqian.notifiers._registry import notifier_registry as notifier_registry
from zhiqian.notifiers._smtp import SmtpNotifier as SmtpNotifier
from zhiqian.notifiers._templates import OPTIONAL_CONTEXT as OPTIONAL_CONTEXT
from zhiqian.notifiers._templates import PERSONAL_DATA_TEMPLATES as PERSONAL_DATA_TEMPLATES
from zhiqian.notifiers._templates import PROVIDED_CONTEXT as PROVIDED_CONTEXT
from zhiqian.notifiers._templates import REFERRAL_ENCLOSURES as REFERRAL_ENCLOSURES
from zhiqian.notifiers._templates import REQUIRED_CONTEXT as REQUIRED_CONTEXT
from zhiqian.notifiers._templates import TEMPLATE_DIR as TEMPLATE_DIR
from zhiqian.notifiers._templates import TEMPLATE_FILES as TEMPLATE_FILES
from zhiqian.notifiers._templates import NoticeRenderer as NoticeRenderer
from zhiqian.notifiers._templates import mask_id_number as mask_id_number
from zhiqian.notifiers._templates import mask_name as mask_name
from zhiqian.notifiers._templates import mask_phone as mask_phone
from zhiqian.notifiers._templates import render_notice as render_notice
from zhiqian.notifiers._types import ADVANCE_ADVICE as ADVANCE_ADVICE
from zhiqian.notifiers._types import DAILY_DIGEST as DAILY_DIGEST
from zhiqian.notifiers._types import DECISION_REQUEST as DECISION_REQUEST
from zhiqian.notifiers._types import ESCALATION_NOTICE as ESCALATION_NOTICE
from zhiqian.notifiers._types import LEADER_NOTICE as LEADER_NOTICE
from zhiqian.notifiers._types import OVERDUE_WARNING as OVERDUE_WARNING
from zhiqian.notifiers._types import POLICE_REFERRAL as POLICE_REFERRAL
from zhiqian.notifiers._types import REFERRAL_APPROVAL as REFERRAL_APPROVAL
from zhiqian.notifiers._types import REMINDER as REMINDER
from zhiqian.notifiers._types import SUPERVISION_NOTICE as SUPERVISION_NOTICE
from zhiqian.notifiers._types import TEMPLATE_ALIASES as TEMPLATE_ALIASES
from zhiqian.notifiers._types import TEMPLATE_IDS as TEMPLATE_IDS
from zhiqian.notifiers._types import TEMPLATE_LABELS as TEMPLATE_LABELS
from zhiqian.notifiers._types import TEMPLATES as TEMPLATES
from zhiqian.notifiers._types import DeliveryResult as DeliveryResult
from zhiqian.notifiers._types import Notice as Notice
from zhiqian.notifiers._types import Notifier as Notifier
from zhiqian.notifiers._types import RenderedNotice as RenderedNotice
from zhiqian.notifiers._types import TemplateId as TemplateId
from zhiqian.notifiers._types import TemplateKey as TemplateKey
from zhiqian.notifiers._types import TemplateName as TemplateName
from zhiqian.notifiers._types import header_safe_key as header_safe_key
from zhiqian.notifiers._types import key_digest as key_digest
from zhiqian.notifiers._types import make_idempotency_key as make_idempotency_key
from zhiqian.notifiers._types import template_id as template_id
from zhiqian.notifiers._types import template_label as template_label
from zhiqian.notifiers._webhook import SIGNATURE_HEADER as SIGNATURE_HEADER
from zhiqian.notifiers._webhook import TIMESTAMP_HEADER as TIMESTAMP_HEADER
from zhiqian.notifiers._webhook import WebhookNotifier as WebhookNotifier
from zhiqian.notifiers._webhook import sign_webhook_body as sign_webhook_body
from zhiqian.notifiers._webhook import verify_webhook_signature as verify_webhook_signature

__all__ = [
    "ADVANCE_ADVICE",
    "BUILTIN_NOTIFIERS",
    "CHANNEL_KINDS",
    "DAILY_DIGEST",
    "DECISION_REQUEST",
    "ENTRY_POINT_GROUP",
    "ESCALATION_NOTICE",
    "LEADER_NOTICE",
    "OPTIONAL_CONTEXT",
    "OVERDUE_WARNING",
    "PERSONAL_DATA_TEMPLATES",
    "POLICE_REFERRAL",
    "PROVIDED_CONTEXT",
    "REFERRAL_APPROVAL",
    "REFERRAL_ENCLOSURES",
    "REMINDER",
    "REQUIRED_CONTEXT",
    "SIGNATURE_HEADER",
    "SUPERVISION_NOTICE",
    "TEMPLATES",
    "TEMPLATE_ALIASES",
    "TEMPLATE_DIR",
    "TEMPLATE_FILES",
    "TEMPLATE_IDS",
    "TEMPLATE_LABELS",
    "TIMESTAMP_HEADER",
    "AppriseNotifier",
    "DeliveryResult",
    "FileNotifier",
    "LogNotifier",
    "MemoryNotifier",
    "Notice",
    "NoticeRenderer",
    "Notifier",
    "RenderedNotice",
    "SentNotice",
    "SmtpNotifier",
    "TemplateId",
    "TemplateKey",
    "TemplateName",
    "WebhookNotifier",
    "build_channel",
    "default_channels",
    "document_problems",
    "header_safe_key",
    "key_digest",
    "load_notifier",
    "make_idempotency_key",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "notifier_registry",
    "render_notice",
    "sign_webhook_body",
    "template_id",
    "template_label",
    "verify_webhook_signature",
]
