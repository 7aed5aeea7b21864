"""Notice documents: jinja2 templates in a sandbox, with strict undefined.

Each notice template is up to three files in ``notifiers/templates/`` (or a deployment's override
folder, which wins file by file); the ids, their stored Chinese names and who gets which document
are in ``zhiqian.rules.templates``:

======================  ==================  ==================================================
id (file stem)          name (stored)       what it is
======================  ==================  ==================================================
``overdue_warning``     超期预警             a clock is near or past its deadline
``reminder``            催办提醒             something is due (a report, a decision): decides nothing
``supervision_notice``  挂牌督办通知书        an approved 挂牌督办, from the office above
``escalation_notice``   提级办理通知书        an approved 提级办理, from the higher to the lower office
``leader_notice``       领导包案通知          an approved 领导包案, to the named leader
``advance_advice``      垫付建议             a recommendation to advance wages: decides nothing
``referral_approval``   移送审批表           the draft on which the head decides a referral
``decision_request``    提请决定审批表        the draft on which the decider decides another act
``police_referral``     涉嫌犯罪案件移送书     an approved, numbered referral to the police
``daily_digest``        每日台账摘要          one recipient's daily list of running cases
======================  ==================  ==================================================

The tables below (``TEMPLATE_FILES``, ``REQUIRED_CONTEXT``, ``OPTIONAL_CONTEXT``) are keyed by
template id and also answer to the Chinese name and to the older names (``REQUIRED_CONTEXT["移送函"]``),
which is what a stored notice carries.

``<stem>.txt.j2`` is the text (required), ``<stem>.subject.j2`` the subject line (one line;
``Notice.subject`` wins when set), ``<stem>.html.j2`` an optional HTML twin. Only ``.html.j2``
files are autoescaped. Templates run in jinja2's immutable sandbox: no attribute starting with
``_``, no mutation of the context, no access to Python internals.

Context values are JSON-safe: dates as ISO strings (``date_cn`` formats them), amounts as decimal
strings (``yuan``), counts as ints. ``REQUIRED_CONTEXT`` lists what each template needs — an
issued document never prints a placeholder, so the engine does not queue a document whose facts
are missing (it waits in the outbox instead) — and ``OPTIONAL_CONTEXT`` what it uses when present
(the line or clause is left out when absent). ``PROVIDED_CONTEXT`` (``case_ref``, ``notice``)
comes from the ``Notice`` itself. Personal data of the complainant appear in full only in the
涉嫌犯罪案件移送书 (the police need them); other templates print them, if at all, through the
``mask_*`` filters.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from zhiqian.errors import NotifierError, UnknownName
from zhiqian.masking import mask_id_number, mask_name, mask_phone
from zhiqian.notifiers._types import (
    ADVANCE_ADVICE,
    DAILY_DIGEST,
    DECISION_REQUEST,
    ESCALATION_NOTICE,
    LEADER_NOTICE,
    OVERDUE_WARNING,
    POLICE_REFERRAL,
    REFERRAL_APPROVAL,
    REMINDER,
    SUPERVISION_NOTICE,
    TEMPLATE_IDS,
    Notice,
    RenderedNotice,
    TemplateId,
    TemplateKey,
    TemplateName,
    template_id,
    template_label,
)

__all__ = [
    "OPTIONAL_CONTEXT",
    "PERSONAL_DATA_TEMPLATES",
    "PROVIDED_CONTEXT",
    "REFERRAL_ENCLOSURES",
    "REQUIRED_CONTEXT",
    "TEMPLATE_DIR",
    "TEMPLATE_FILES",
    "NoticeRenderer",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "render_notice",
]

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"

_V = TypeVar("_V")


class _ByTemplate(Mapping[TemplateKey, _V], Generic[_V]):
    """A read-only table keyed by template id that also answers to the Chinese name.

    Iterates the ids. A key that is neither is a ``KeyError`` as in any mapping — the
    ``UnknownName`` that says which templates exist.
    """

    __slots__ = ("_by_id",)

    def __init__(self, by_id: Mapping[TemplateId, _V]) -> None:
        assert set(by_id) == set(TEMPLATE_IDS), "every template, and only those"
        self._by_id: Mapping[TemplateId, _V] = dict(by_id)

    def __getitem__(self, key: TemplateKey) -> _V:
        return self._by_id[template_id(key)]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            template_id(key)
        except UnknownName:
            return False
        return True

    def __iter__(self) -> Iterator[TemplateKey]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._by_id!r})"


# The id is the stem of the template's files.
TEMPLATE_FILES: Final[Mapping[TemplateKey, str]] = _ByTemplate({i: i for i in TEMPLATE_IDS})

# What the engine must put into Notice.context for each template. A missing or null one is an
# error naming the template and the variables, raised before anything is rendered.
REQUIRED_CONTEXT: Final[Mapping[TemplateKey, frozenset[str]]] = _ByTemplate(
    {
        OVERDUE_WARNING: frozenset(
            {
                "office_name",  # 承办机关: the office whose clock it is
                "employer_name",
                "clock_label",  # e.g. 调查处理时限
                "deadline",  # ISO date (or datetime) the clock runs out
                "days_left",  # int: >0 remaining, 0 due today, <0 overdue by -days_left
                "basis",  # legal basis of the limit, e.g. 《劳动保障监察条例》第十七条
                "issued_on",  # ISO date of the notice
            }
        ),
        REMINDER: frozenset(
            {
                "office_name",  # 承办机关
                "employer_name",
                "kind",  # "report": something to do or report; "decision": a decision to take
                "matter",  # 催办事项, e.g. 次日报告案件处理解决进展 / 是否批准移送公安机关
                "due",  # ISO date (or datetime) it is due
                "issued_on",
            }
        ),
        SUPERVISION_NOTICE: frozenset(
            {
                "supervising_office",  # 督办机关: the issuer, the office that decided (above)
                "supervised_office",  # 承办单位: the addressee, the office handling the case
                "employer_name",
                "workers_involved",  # int
                "amount_owed",  # decimal string, yuan
                "reason",  # 督办事由
                "basis",
                "decided_on",  # ISO date the supervision was decided
                "report_due",  # ISO date: progress report due
                "issued_on",
            }
        ),
        ESCALATION_NOTICE: frozenset(
            {
                "office_name",  # issuer: the higher office that takes the case (and decided)
                "from_office_name",  # addressee: the lower office that handled it
                "employer_name",
                "to_division_name",  # e.g. 太原市
                "workers_involved",
                "amount_owed",
                "reason",  # 提级事由
                "basis",
                "decided_on",  # ISO date the raise was decided
                "issued_on",
            }
        ),
        LEADER_NOTICE: frozenset(
            {
                "office_name",  # issuer: the office whose head named the leader
                "leader_name",  # a named person, never a title
                "employer_name",
                "workers_involved",
                "amount_owed",
                "reason",  # 包案事由
                "basis",
                "decided_on",
                "issued_on",
            }
        ),
        ADVANCE_ADVICE: frozenset(
            {
                "office_name",  # 承办机关: the addressee of the advice
                "employer_name",
                "workers_involved",
                "amount_owed",
                "advice",  # 建议事项 (the rule's recommendation)
                "reason",  # 建议理由 (the rule's label)
                "basis",
                "issued_on",
            }
        ),
        REFERRAL_APPROVAL: frozenset(
            {
                "office_name",  # 承办机关 (the office whose head decides)
                "employer_name",
                "workers_involved",
                "migrant_workers",
                "amount_owed",
                "screening",  # 筛查情况: the rule that proposed the referral
                "basis",
                "police_office",  # the police the referral would go to
                "proposed_on",  # ISO date of the 书面报告 (the proposal)
                "issued_on",
            }
        ),
        DECISION_REQUEST: frozenset(
            {
                "office_name",  # 提请机关 (the office handling the case)
                "decider_name",  # 决定机关 / 决定人
                "act_label",  # 挂牌督办 / 提级办理 / 列入失信联合惩戒对象名单 / 领导包案
                "proposal",  # 提请事项, one sentence without the final 。
                "employer_name",
                "workers_involved",
                "amount_owed",
                "reason",  # 提请理由
                "basis",
                "proposed_on",
                "issued_on",
            }
        ),
        POLICE_REFERRAL: frozenset(
            {
                "office_name",  # 移送机关
                "document_no",  # 文号, from the office's sequence
                "police_office",  # 接收的公安机关
                "employer_name",
                "workers_involved",
                "migrant_workers",
                "amount_owed",
                "order_doc_type",  # 限期整改指令书 / 行政处理决定书
                "order_no",
                "order_served_on",  # ISO date the 责令支付 order was served (or posted)
                "order_due_date",  # ISO date payment was due under the order
                "amount_unpaid",  # decimal string: still unpaid after the due date
                "approver",  # the head who approved (310号令 Art. 5)
                "approved_on",  # ISO date of that approval (the decision, never the screening)
                "complainant_name",
                "complainant_phone",
                "issued_on",
            }
        ),
        DAILY_DIGEST: frozenset(
            {
                "office_name",  # the office whose 台账 it is
                "recipient_name",
                "digest_date",  # ISO date
                "cases",  # list of {case_ref, employer_name, clock_label, deadline, days_left,
                #            day_unit?, handler_name?}
            }
        ),
    }
)

# Used when present (with a sensible default or the line left out when absent).
OPTIONAL_CONTEXT: Final[Mapping[TemplateKey, frozenset[str]]] = _ByTemplate(
    {
        OVERDUE_WARNING: frozenset(
            {"day_unit", "handler_name", "division_name", "deadline_assumed", "recipient_name"}
        ),
        REMINDER: frozenset({"basis", "recipient_name", "proposed_on", "decider"}),
        SUPERVISION_NOTICE: frozenset(
            {
                "document_no",
                "project_name",
                "leader_name",  # 包案领导
                "complainant_name",  # printed masked
                "complainant_phone",  # printed masked
            }
        ),
        ESCALATION_NOTICE: frozenset({"document_no", "project_name", "handover_due"}),
        LEADER_NOTICE: frozenset({"leader_title", "decided_by", "handler_name", "project_name"}),
        ADVANCE_ADVICE: frozenset({"migrant_workers", "project_name"}),
        REFERRAL_APPROVAL: frozenset(
            {
                "proposed_by",  # a person; absent when a rule screened (a signature line then)
                "decision_due",  # ISO date (or datetime) the head must decide by (Art. 5: 3 日)
                "employer_uscc",
                "project_name",
                "handler_name",
                "summary",  # 投诉摘要
                "order_doc_type",
                "order_no",
                "order_served_on",
                "order_due_date",
                "amount_unpaid",
                "largest_owed",  # the most owed to one worker (法释〔2013〕3号 第三条第一项)
                "largest_owed_months",
            }
        ),
        DECISION_REQUEST: frozenset(
            {"proposed_by", "decision_due", "project_name", "handler_name", "procedure_note"}
        ),
        POLICE_REFERRAL: frozenset(
            {
                "employer_uscc",  # 统一社会信用代码 (an unregistered employer has none)
                "legal_rep_name",  # 法定代表人
                "employer_address",
                "project_name",
                "arrears_period",  # e.g. 2025年3月至2025年12月
                "order_service_method",  # 直接送达 / 留置送达 / 张贴送达 …, when recorded
                "facts",  # 案情简述 (free text)
                "complainant_id_number",
                "enclosures",  # list of strings; default REFERRAL_ENCLOSURES
                "contact_name",
                "contact_phone",
            }
        ),
        DAILY_DIGEST: frozenset(),
    }
)

# Variables whose type the templates rely on (numbers compared, lists iterated).
_CONTEXT_TYPES: Final[Mapping[str, type]] = {
    "days_left": int,
    "workers_involved": int,
    "migrant_workers": int,
    "largest_owed_months": int,
    "cases": list,
    "enclosures": list,
}

# Filled from the Notice itself; a context value of the same name is overwritten.
PROVIDED_CONTEXT: Final[frozenset[str]] = frozenset({"case_ref", "notice"})

# By stored name, as a notice carries it (``notice.template in PERSONAL_DATA_TEMPLATES``).
PERSONAL_DATA_TEMPLATES: Final[frozenset[TemplateName]] = frozenset(
    {template_label(POLICE_REFERRAL)}
)

# 国务院令第310号 Art. 6 (二)–(五) — the 移送书 itself is (一) — plus the 责令支付 order and the
# proof that it was served or posted, which 法释〔2013〕3号 Art. 4 makes part of the offence.
REFERRAL_ENCLOSURES: Final[tuple[str, ...]] = (
    "涉嫌犯罪案件情况的调查报告",
    "涉案物品清单",
    "有关检验报告或者鉴定结论",
    "责令支付劳动报酬的限期整改指令书或者行政处理决定书（复印件）",
    "上述文书的送达回证，或者张贴送达的照片、录像等证明材料",
    "劳动者名单及被拖欠劳动报酬的计算依据、证据材料",
    "其他有关涉嫌犯罪的材料",
)


# --- masking and formatting ------------------------------------------------------------------


# The same rules as zhiqian.engine.domain.intake's masking (this room may not import the engine), so a
# masked value reads the same in a notice as on the CLI and in reports.


def _date_cn(value: object) -> str:
    """An ISO date or datetime (string or object) as ``2026年3月2日``."""
    if isinstance(value, datetime):
        day: date = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = (
                datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
            )
        except ValueError:
            raise ValueError(f"date_cn: {value!r} is not an ISO date") from None
    else:
        raise ValueError(f"date_cn: {value!r} is not an ISO date")
    return f"{day.year}年{day.month}月{day.day}日"


def _yuan(value: object) -> str:
    """A decimal amount (string or int; never float) as ``12,345.00``."""
    if isinstance(value, float | bool):
        raise ValueError(f"yuan: amounts must be decimal strings or ints, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"yuan: {value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"yuan: {value!r} is not a finite amount")
    return f"{amount.quantize(Decimal('0.01')):,}"


_UNITS: Final = {"工作日": "个工作日", "日": "日", "自然日": "日", "小时": "小时"}


def _span(value: object, unit: str = "工作日") -> str:
    """``3, '工作日'`` → ``3个工作日``; ``3, '日'`` → ``3日``."""
    if unit not in _UNITS:
        raise ValueError(f"span: unknown unit {unit!r}; known: {', '.join(_UNITS)}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"span: {value!r} is not a whole number")
    return f"{value}{_UNITS[unit]}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(value: object, width: int) -> str:
    """Pad (or cut, with …) to a display width, counting CJK characters as two columns."""
    text = str(value)
    if _width(text) > width:
        out = ""
        for ch in text:
            if _width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _width(text))


# --- the environment ---------------------------------------------------------------------------


def _build_environment(override_folder: Path | None) -> ImmutableSandboxedEnvironment:
    loaders: list[jinja2.BaseLoader] = []
    if override_folder is not None:
        loaders.append(jinja2.FileSystemLoader(str(override_folder), encoding="utf-8"))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATE_DIR), encoding="utf-8"))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",),
            disabled_extensions=(),
            default_for_string=False,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        {
            "mask_phone": mask_phone,
            "mask_id": mask_id_number,
            "mask_name": mask_name,
            "date_cn": _date_cn,
            "yuan": _yuan,
            "span": _span,
            "pad": _pad,
        }
    )
    env.globals["default_enclosures"] = list(REFERRAL_ENCLOSURES)
    return env


class NoticeRenderer:
    """Renders notices from the shipped templates, or from ``override_folder`` where it has a file.

    Build one per deployment and share it: templates are compiled once and cached; rendering is
    thread-safe.
    """

    def __init__(self, override_folder: str | os.PathLike[str] | None = None) -> None:
        folder = Path(override_folder) if override_folder is not None else None
        if folder is not None and not folder.is_dir():
            raise NotifierError(
                f"notice template override folder {str(folder)!r} does not exist or is not a folder",
                retryable=False,
            )
        self.override_folder = folder
        self._env = _build_environment(folder)

    def check(self) -> None:
        """Compile every template now (shipped and overridden); raise one error listing all problems.

        Call it at start-up so that a broken override fails the deployment, not the first notice.
        """
        problems: list[str] = []
        for template_key, stem in TEMPLATE_FILES.items():
            template = template_label(template_key)  # clerks read the Chinese name
            for kind in ("txt", "subject", "html"):
                name = f"{stem}.{kind}.j2"
                try:
                    self._env.get_template(name)
                except jinja2.TemplateNotFound:
                    if kind != "html":
                        problems.append(f"{template} ({name}): file not found")
                except jinja2.TemplateSyntaxError as exc:
                    problems.append(
                        f"{template} ({exc.filename or name}:{exc.lineno}): {exc.message}"
                    )
        if problems:
            raise NotifierError(
                "notice templates are broken: " + "; ".join(problems), retryable=False
            )

    def render(self, notice: Notice) -> RenderedNotice:
        """The notice's document. Raises ``NotifierError(retryable=False)`` naming the template and
        the variable when the context lacks what the template needs or a template misbehaves."""
        key = notice.template_id
        template = template_label(key)  # named in messages as clerks know it
        stem = TEMPLATE_FILES[key]
        context = dict(notice.context)
        missing = sorted(name for name in REQUIRED_CONTEXT[key] if context.get(name) is None)
        if missing:
            raise NotifierError(
                f"notice template {template!r} ({stem}.txt.j2): context lacks required "
                f"variable(s) {', '.join(missing)} (notice {notice.idempotency_key})",
                retryable=False,
            )
        used = REQUIRED_CONTEXT[key] | OPTIONAL_CONTEXT[key]
        wrong = [
            f"{name} must be {kind.__name__}, got {context[name]!r}"
            for name, kind in _CONTEXT_TYPES.items()
            if name in used
            and name in context
            and (not isinstance(context[name], kind) or isinstance(context[name], bool))
        ]
        if not wrong and key == DAILY_DIGEST:
            for index, row in enumerate(context["cases"]):
                days = row.get("days_left") if isinstance(row, dict) else None
                if not isinstance(days, int) or isinstance(days, bool):
                    wrong.append(f"cases[{index}].days_left must be int, got {days!r}")
        if wrong:
            raise NotifierError(
                f"notice template {template!r} ({stem}.txt.j2): " + "; ".join(wrong),
                retryable=False,
            )
        # The notice's own identity is always available to templates (PROVIDED_CONTEXT).
        context["case_ref"] = notice.case_ref
        context["notice"] = {
            "id": notice.id,
            "case_ref": notice.case_ref,
            "template": notice.template,
            "recipient": notice.recipient,
            "created_at": notice.created_at.isoformat(),
        }
        text = self._render_file(template, f"{stem}.txt.j2", context, required=True)
        assert text is not None
        if notice.subject.strip():
            subject = notice.subject
        else:
            subject = (
                self._render_file(template, f"{stem}.subject.j2", context, required=True) or ""
            )
        subject = " ".join(subject.split())
        html = self._render_file(template, f"{stem}.html.j2", context, required=False)
        return RenderedNotice(subject=subject, text=text, html=html)

    def _render_file(
        self, template: TemplateName, name: str, context: dict[str, Any], *, required: bool
    ) -> str | None:
        where = f"notice template {template!r} ({name})"
        try:
            compiled = self._env.get_template(name)
        except jinja2.TemplateNotFound:
            if required:
                raise NotifierError(f"{where}: file not found", retryable=False) from None
            return None
        except jinja2.TemplateSyntaxError as exc:
            raise NotifierError(
                f"{where}: syntax error at line {exc.lineno}: {exc.message}", retryable=False
            ) from exc
        try:
            return compiled.render(context)
        except SecurityError as exc:
            raise NotifierError(
                f"{where}: unsafe operation refused: {exc}", retryable=False
            ) from exc
        except jinja2.UndefinedError as exc:
            raise NotifierError(
                f"{where}: {exc.message} — the notice context must supply it", retryable=False
            ) from exc
        except jinja2.TemplateError as exc:
            raise NotifierError(f"{where}: {exc}", retryable=False) from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            # A filter refused a value (a bad date, a float amount): name it with the template.
            raise NotifierError(f"{where}: {exc}", retryable=False) from exc


_renderers: dict[Path | None, NoticeRenderer] = {}
_renderers_lock = threading.Lock()


def render_notice(
    notice: Notice, *, override_folder: str | os.PathLike[str] | None = None
) -> RenderedNotice:
    """Render ``notice`` with a shared renderer for ``override_folder`` (or the shipped templates)."""
    key = Path(override_folder).resolve() if override_folder is not None else None
    with _renderers_lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = _renderers[key] = NoticeRenderer(key)
    return renderer.render(notice)


assert set(TEMPLATE_FILES) == set(TEMPLATE_IDS) == set(REQUIRED_CONTEXT) == set(OPTIONAL_CONTEXT)
assert all(stem == i for i, stem in TEMPLATE_FILES.items()), "the id is the file stem"
