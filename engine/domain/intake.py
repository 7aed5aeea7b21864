"""The typed intake model of a complaint (欠薪投诉/线索) and its validation.

Other systems post complaints as JSON with these field names::

    {
      "ref": "GZQX-2026-000123",                 # their reference (e.g. a 线索编号), ≤ 64 chars
      "received_at": "2026-11-20T09:30:00+08:00",  # ISO 8601 WITH an offset, not after now
      "channel": "platform",                      # see Channel
      "region": "140302",                         # 6-digit 行政区划代码 of the jurisdiction
      "employer": {"name": "…", "uscc": "91140302MA0…", "category": "construction"},
      "project": {"name": "…", "kind": "government"},  # or null: not a project
      "workers": 12, "migrant_workers": 10,
      "contracted_migrant_workers": 6,            # of them with a written labour contract; omit
                                                  # or null when not known (附件2 column 4)
      "amount": "186000.00", "migrant_amount": "150000",  # yuan, decimal strings (ints accepted)
      "largest_owed": "16000.00", "largest_owed_months": 4,  # optional: the most owed to ONE
                                                  # worker and that worker's months of pay owed
      "complainant": {"name": "张三", "phone": "13812345678", "id_number": "…"},
      "flags": ["collective"],                    # collective, malicious, absconded, sensitive
      "summary": "…"
    }

:func:`parse_complaint` checks every field at once and raises
:class:`~zhiqian.errors.InvalidIntake` listing each problem with a dotted path (``employer.uscc``,
``flags[1]``); pydantic's own error type never leaves this module. Decisions worth knowing:

- amounts are strings (or JSON integers); a JSON number with a fraction is refused, because a
  binary float cannot hold every amount in cents exactly; at most 2 decimal places;
- ``employer.uscc`` may be null (a 包工头 or an unregistered workshop has none; complainants
  often do not know it) and ``complainant.id_number`` may be null (hotline callers rarely give
  it); when given, both must pass their check digits;
- ``largest_owed`` / ``largest_owed_months`` are optional (null or left out = not known yet;
  ``record_arrears`` records them during verification): the one-worker branch of
  法释〔2013〕3号 第三条 reads them. The most owed to one worker lies between the average and the
  total (with one worker, it is the total); the months are those of that worker, so without
  ``largest_owed`` they are refused unless the case has one worker;
- identifiers are trimmed and upper-cased, phone numbers put in one shape (``13812345678``,
  ``0351-1234567``), flags de-duplicated; nothing else is changed;
- values of ``complainant.*`` are masked in the problems too: an error message is an output.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal, overload
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_serializer,
)
from pydantic_core import PydanticCustomError

from zhiqian.errors import FieldProblem, InvalidIntake
from zhiqian.masking import mask_id_number, mask_name, mask_phone
from zhiqian.rules import codes, divisions
from zhiqian.text import describe_char, nfc, printable_value, unsafe_char

__all__ = [
    "SHANGHAI",
    "Channel",
    "Complainant",
    "Complaint",
    "Employer",
    "EmployerCategory",
    "Flag",
    "Project",
    "ProjectKind",
    "largest_owed_problem",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "months_problem",
    "parse_batch",
    "parse_complaint",
    "read_records",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The largest amount accepted: 10^12 yuan fits NUMERIC(14, 2) and is far above any real case.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_WORKERS = 1_000_000
# Months of pay owed to one worker: 50 years is far above any real case and catches typing errors
# (a 2019 → 201,900 slip) before a rule compares it.
MAX_MONTHS = 600
# Dates outside these years are typing errors (the People's Republic's labour law has no earlier
# cases; 2100 is past any deadline we compute) and some overflow time-zone arithmetic.
MIN_YEAR, MAX_YEAR = 1949, 2100
# A record is an object of objects (employer, project, complainant) and one list (flags): three
# levels; anything far deeper is not a complaint and would only cost stack.
MAX_DEPTH = 6
# No amount or count needs more digits; Python refuses to parse past 4,300 anyway, with a
# ValueError that is not a syntax error.
MAX_NUMBER_DIGITS = 30


class _Labelled(StrEnum):
    """A StrEnum whose members carry the Chinese label used on forms and notices."""

    @property
    def label(self) -> str:
        return _LABELS[type(self)][self.value]


class Channel(_Labelled):
    """How the complaint reached the office (反映渠道)."""

    PLATFORM = "platform"
    HOTLINE_12333 = "hotline_12333"
    HOTLINE_12345 = "hotline_12345"
    VISIT = "visit"
    LETTER = "letter"
    TRANSFERRED = "transferred"
    INSPECTION = "inspection"


class EmployerCategory(_Labelled):
    """The employer rows of the campaign form (附件2)."""

    CONSTRUCTION = "construction"
    MANUFACTURING = "manufacturing"
    TRAINING = "training"
    OTHER = "other"


class ProjectKind(_Labelled):
    """The project kinds the form counts separately."""

    GOVERNMENT = "government"
    PPP = "ppp"
    SOE = "soe"


class Flag(_Labelled):
    """Facts that rules read (``"x" in flags``). The last five are usually learnt while the case
    is verified and set with the ``flag`` action, but a referring system may already know them.

    ``collective`` is a collective complaint (集体投诉/群体性欠薪); ``serious_impact`` is the fact
    人社部令第45号 第五条（二） needs beside a 群体性 or 极端 incident: that it caused serious bad
    social impact — a judgement a clerk records, never inferred from the headcount."""

    COLLECTIVE = "collective"
    MALICIOUS = "malicious"
    ABSCONDED = "absconded"
    SENSITIVE = "sensitive"
    # Kept for the systems that send it; no shipped rule reads it any more: the one-worker branch
    # of 法释〔2013〕3号 第三条 needs the months of ONE worker (``largest_owed_months``).
    ARREARS_3_MONTHS = "arrears_3_months"
    EXTREME = "extreme"
    CANNOT_PAY = "cannot_pay"
    OLD_CASE = "old_case"
    SERIOUS_IMPACT = "serious_impact"


_LABELS: dict[type[_Labelled], dict[str, str]] = {
    Channel: {
        Channel.PLATFORM.value: "全国根治欠薪线索反映平台",
        Channel.HOTLINE_12333.value: "12333 热线",
        Channel.HOTLINE_12345.value: "12345 热线",
        Channel.VISIT.value: "来访",
        Channel.LETTER.value: "来信",
        Channel.TRANSFERRED.value: "上级转办",
        Channel.INSPECTION.value: "排查",
    },
    EmployerCategory: {
        EmployerCategory.CONSTRUCTION.value: "建筑企业",
        EmployerCategory.MANUFACTURING.value: "加工制造企业",
        EmployerCategory.TRAINING.value: "校外培训机构",
        EmployerCategory.OTHER.value: "其他用人单位",
    },
    ProjectKind: {
        ProjectKind.GOVERNMENT.value: "政府投资项目",
        ProjectKind.PPP.value: "政府与社会资本合作（PPP）项目",
        ProjectKind.SOE.value: "国有企业项目",
    },
    Flag: {
        Flag.COLLECTIVE.value: "群体性",
        Flag.MALICIOUS.value: "涉嫌恶意欠薪",
        Flag.ABSCONDED.value: "用人单位负责人逃匿",
        Flag.SENSITIVE.value: "敏感",
        Flag.ARREARS_3_MONTHS.value: "拖欠三个月以上劳动报酬",
        Flag.EXTREME.value: "极端事件",
        Flag.CANNOT_PAY.value: "用人单位一时难以支付",
        Flag.OLD_CASE.value: "久拖未决的陈案",
        Flag.SERIOUS_IMPACT.value: "造成严重不良社会影响",
    },
}


# ---------------------------------------------------------------------------------------------
# Masking: personal data on every output unless the caller asks for it.


# ---------------------------------------------------------------------------------------------
# Field validators. Each raises _bad(...) with a sentence meant for a clerk.


def _bad(problem: str) -> PydanticCustomError:
    return PydanticCustomError("zhiqian", "{problem}", {"problem": problem})


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text(what: str, max_len: int, *, multiline: bool = False) -> BeforeValidator:
    def check(value: object) -> str:
        return clean_text(value, what, max_len, multiline=multiline)

    return BeforeValidator(check)


def clean_text(value: object, what: str, max_len: int, *, multiline: bool = False) -> str:
    """``value`` as stored text: NFC, trimmed, not empty, at most ``max_len`` characters (the
    column size) and without characters that have no place in it (see ``zhiqian.text``).

    Raises the pydantic-custom error of this module; the message never contains the value.
    """
    if not isinstance(value, str):
        raise _bad(f"{what} must be text (a JSON string), not {_type_name(value)}")
    # Surrogates first: normalising or measuring them would only hide where the text was cut.
    found = unsafe_char(value, multiline=multiline)
    if found is not None and found[1].startswith("lone surrogate"):
        raise _bad(f"{what} contains a {found[1]} at position {found[0] + 1}; send it as UTF-8")
    text = nfc(value).strip()
    if not text:
        raise _bad(f"{what} must not be empty")
    if len(text) > max_len:
        raise _bad(f"{what} is {len(text)} characters long; at most {max_len} are allowed")
    found = unsafe_char(text, multiline=multiline)
    if found is not None:
        index, word = found
        raise _bad(
            f"{what} contains the {word} {describe_char(text[index])} at position {index + 1}; "
            "remove it (it is invisible or steers how text is shown)"
        )
    return text


def _choice(enum: type[_Labelled], what: str) -> BeforeValidator:
    def check(value: object) -> _Labelled:
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
        choices = ", ".join(f"{m.value} ({m.label})" for m in enum)
        shown = repr(printable_value(value)) if isinstance(value, str) else _type_name(value)
        raise _bad(f"unknown {what} {shown}; one of: {choices}")

    return BeforeValidator(check)


def _received_at(value: object, info: ValidationInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _bad(
                f"{printable_value(value)!r} is not an ISO 8601 date and time "
                "(e.g. 2026-11-20T09:30:00+08:00)"
            ) from None
    else:
        raise _bad(
            "must be an ISO 8601 date and time with offset as a string "
            f"(e.g. 2026-11-20T09:30:00+08:00), not {_type_name(value)}"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _bad(
            f"{moment.isoformat()} has no UTC offset; add one (e.g. {moment.isoformat()}+08:00)"
        )
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _bad(f"the year {moment.year} is outside {MIN_YEAR}–{MAX_YEAR}; check the date")
    now = _context(info).get("now")
    if isinstance(now, datetime) and moment > now:
        raise _bad(f"{moment.isoformat()} is in the future (now is {now.isoformat()})")
    return moment


def _region(value: object, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _bad(f"a division code is a string of 6 digits, not {_type_name(value)}")
    code = value.strip()
    received = info.data.get("received_at")
    on = received.astimezone(_tz(info)).date() if isinstance(received, datetime) else None
    problem = divisions.problem(code, on=on)
    if problem is not None:
        raise _bad(problem)
    return code


def _uscc(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"a 统一社会信用代码 is a string of 18 characters, not {_type_name(value)}")
    code = value.strip().upper()
    problem = codes.uscc_problem(code)
    if problem is not None:
        raise _bad(problem)
    return code


def _id_number(value: object, info: ValidationInfo) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"an ID number is a string of 18 characters, not {_type_name(value)}")
    code = value.strip().upper()
    today = _context(info).get("today")
    problem = codes.id_number_problem(code, today=today if isinstance(today, date) else date.max)
    if problem is not None:
        raise _bad(problem)
    return code


# ASCII: \d would also take Arabic-Indic or full-width digits, which no dialler understands.
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"(0\d{2,3})-?(\d{7,8})(?:-(\d{1,6}))?", re.ASCII)


def _phone(value: object) -> str:
    if not isinstance(value, str):
        raise _bad(f"a phone number is a string, not {_type_name(value)}")
    if len(value) > 40:
        raise _bad("a phone number has at most 40 characters")
    compact = re.sub(r"[\s()（）]", "", value)
    digits = compact.replace("-", "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if _MOBILE.fullmatch(digits):
        return digits
    match = _LANDLINE.fullmatch(compact)
    if match:
        joined = match[1] + match[2]
        # 010 and 02x have 3-digit area codes and 8-digit numbers; every other area code has 4
        # digits, so a number typed without its hyphen still splits one way only.
        area_len = 3 if joined[1] in "12" else 4
        area, number = joined[:area_len], joined[area_len:]
        if (area_len == 3 and len(number) == 8) or (area_len == 4 and len(number) in (7, 8)):
            return f"{area}-{number}" + (f"-{match[3]}" if match[3] else "")
    raise _bad(
        "not a mainland mobile number (11 digits from 13…19) or landline number "
        "(area code from 0, e.g. 0351-1234567)"
    )


_AMOUNT = re.compile(r"([+-]?)(\d+)(?:\.(\d*))?", re.ASCII)


def _amount(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _bad('an amount is a decimal string in yuan such as "12500.50", not a boolean')
    if isinstance(value, float):
        raise _bad(
            'an amount must be a string such as "12500.50" or a JSON integer, not a '
            "JSON number with a fraction: binary floating point loses cents"
        )
    if isinstance(value, int):
        if value.bit_length() > 64:  # str() of a huge int is slow, and refused past 4,300 digits
            raise _bad(f"the amount is above the largest amount accepted ({MAX_AMOUNT})")
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _bad(f"{value} is not an amount")
        amount = value
    elif isinstance(value, str):
        # 200 characters: enough for any amount written out (refused below if too large), too
        # few for Decimal() on thousands of digits to cost anything.
        match = _AMOUNT.fullmatch(value.strip()) if len(value) <= 200 else None
        if match is None:
            raise _bad(
                "not an amount in yuan: digits with at most 2 decimals "
                '(e.g. "12500.50"), no separators or units'
            )
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise _bad(f"{value!r} is not an amount") from None
    else:
        raise _bad(
            f'an amount is a decimal string in yuan such as "12500.50", not {_type_name(value)}'
        )
    if amount < 0:
        raise _bad("the amount is negative; an amount owed is 0 or more")
    if amount > MAX_AMOUNT:  # before quantize(), which fails past the context's 28 digits
        raise _bad(f"the amount is above the largest amount accepted ({MAX_AMOUNT})")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise _bad("the amount has more than 2 decimal places; 分 (0.01 yuan) is the smallest unit")
    if amount == 0:
        return Decimal("0.00")  # not -0.00
    return amount.quantize(Decimal("0.01"))


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{what} must be a whole number (a JSON integer), not {_type_name(value)}")
    if value > MAX_WORKERS:
        raise _bad(f"{what} is more than the largest number accepted ({MAX_WORKERS})")
    return value


def _optional_amount(value: object) -> Decimal | None:
    return None if value is None else _amount(value)


def _count(what: str) -> BeforeValidator:
    return BeforeValidator(lambda value: _whole(value, what))


def _optional_count(what: str) -> BeforeValidator:
    return BeforeValidator(lambda value: None if value is None else _whole(value, what))


def _workers(value: int) -> int:
    if value < 1:
        raise _bad("at least 1 worker must be involved")
    return value


def _migrant_workers(value: int, info: ValidationInfo) -> int:
    if value < 0:
        raise _bad("the number of migrant workers cannot be negative")
    workers = info.data.get("workers")
    if isinstance(workers, int) and value > workers:
        raise _bad(f"{value} migrant workers is more than the {workers} workers in total")
    return value


def _contracted(value: int | None, info: ValidationInfo) -> int | None:
    # None is "not known", never 0: 附件2 leaves column 4 blank for it rather than count nobody.
    if value is None:
        return None
    if value < 0:
        raise _bad("the number of migrant workers with a labour contract cannot be negative")
    migrants = info.data.get("migrant_workers")
    if isinstance(migrants, int) and value > migrants:
        raise _bad(
            f"{value} migrant workers with a labour contract is more than the {migrants} "
            "migrant workers involved"
        )
    return value


def _migrant_amount(value: Decimal, info: ValidationInfo) -> Decimal:
    amount = info.data.get("amount")
    if isinstance(amount, Decimal) and value > amount:
        raise _bad(f"the migrant workers' {value} yuan is more than the {amount} yuan in total")
    return value


def largest_owed_problem(owed: Decimal, *, amount: Decimal, workers: int) -> str | None:
    """Why ``owed`` cannot be the most owed to one worker of a case owing ``amount`` to
    ``workers`` workers, or None: more than 0, at most the total, at least the average (a
    maximum is never below the mean), and the total itself when there is one worker. Shared by
    intake and the ``record_arrears`` action, so both refuse the same figures."""
    if owed <= 0:
        return "the most owed to one worker must be more than 0; leave it out if unknown"
    if owed > amount:
        return f"{owed} yuan owed to one worker is more than the {amount} yuan owed in all"
    if workers == 1 and owed != amount:
        return f"the case has one worker, owed {amount} yuan: what that worker is owed is {amount}"
    average = (amount / workers).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if owed < average:
        return (
            f"{owed} yuan is less than the average owed ({amount} yuan / {workers} workers = "
            f"{average}): the most owed to one worker cannot be below the average"
        )
    return None


def months_problem(months: int) -> str | None:
    """Why ``months`` cannot be the months of pay owed to a worker, or None."""
    if months < 1:
        return f"{months} months: the months of pay owed are at least 1"
    if months > MAX_MONTHS:
        return f"{months} months is more than {MAX_MONTHS} (50 years); check the figure"
    return None


def _largest_owed(value: Decimal | None, info: ValidationInfo) -> Decimal | None:
    if value is None:
        return None
    amount, workers = info.data.get("amount"), info.data.get("workers")
    if not isinstance(amount, Decimal) or not isinstance(workers, int) or workers < 1:
        if value <= 0:
            raise _bad("the most owed to one worker must be more than 0; leave it out if unknown")
        return value  # the total or the count is wrong itself: reported on its own field
    problem = largest_owed_problem(value, amount=amount, workers=workers)
    if problem is not None:
        raise _bad(problem)
    return value


def _months(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(
            "largest_owed_months must be a whole number of months (a JSON integer), "
            f"not {_type_name(value)}"
        )
    problem = months_problem(value)
    if problem is not None:
        raise _bad(problem)
    return value


def _months_of_whom(value: int | None, info: ValidationInfo) -> int | None:
    if value is None or "largest_owed" not in info.data:
        return value  # largest_owed was refused: its own problem says why
    if info.data["largest_owed"] is None and info.data.get("workers") != 1:
        raise _bad(
            "largest_owed_months are the months of the worker owed the most: give largest_owed "
            "too (with one worker, the amount is that worker's)"
        )
    return value


def _flags(value: object) -> object:
    if not isinstance(value, list | tuple):
        raise _bad(f"flags must be a list, not {_type_name(value)}")
    return value


def _unique_flags(value: tuple[Flag, ...]) -> tuple[Flag, ...]:
    return tuple(f for f in Flag if f in value)


def _context(info: ValidationInfo) -> dict[str, object]:
    return info.context if isinstance(info.context, dict) else {}


def _tz(info: ValidationInfo) -> ZoneInfo:
    tz = _context(info).get("tz")
    return tz if isinstance(tz, ZoneInfo) else SHANGHAI


# ---------------------------------------------------------------------------------------------
# The models.

Ref = Annotated[str, _text("ref", 64)]
OrgName = Annotated[str, _text("name", 200)]
PersonName = Annotated[str, _text("name", 50)]
Summary = Annotated[str, _text("summary", 5000, multiline=True)]
Money = Annotated[Decimal, BeforeValidator(_amount)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Employer(_Model):
    name: OrgName
    uscc: Annotated[str | None, BeforeValidator(_uscc)] = None
    category: Annotated[EmployerCategory, _choice(EmployerCategory, "employer category")]


class Project(_Model):
    name: OrgName
    kind: Annotated[ProjectKind, _choice(ProjectKind, "project kind")]


class Complainant(_Model):
    name: PersonName
    phone: Annotated[str, BeforeValidator(_phone)]
    id_number: Annotated[str | None, BeforeValidator(_id_number)] = None

    def masked(self) -> dict[str, str | None]:
        return {
            "name": mask_name(self.name),
            "phone": mask_phone(self.phone),
            "id_number": mask_id_number(self.id_number) if self.id_number else None,
        }


class Complaint(_Model):
    """One complaint as received. Frozen: a case's later facts live on the case, not here.

    Build it with :func:`parse_complaint` (or :meth:`from_json_dict` to reload a stored one);
    constructing it directly raises pydantic's error and skips the checks against ``now``.
    """

    ref: Ref
    received_at: Annotated[datetime, BeforeValidator(_received_at)]
    channel: Annotated[Channel, _choice(Channel, "channel")]
    region: Annotated[str, BeforeValidator(_region)]
    employer: Employer
    project: Project | None = None
    workers: Annotated[StrictInt, _count("workers"), AfterValidator(_workers)]
    migrant_workers: Annotated[
        StrictInt, _count("migrant workers"), AfterValidator(_migrant_workers)
    ]
    contracted_migrant_workers: Annotated[
        StrictInt | None,
        _optional_count("the number of migrant workers with a labour contract"),
        AfterValidator(_contracted),
    ] = None
    amount: Money
    migrant_amount: Annotated[Decimal, BeforeValidator(_amount), AfterValidator(_migrant_amount)]
    largest_owed: Annotated[
        Decimal | None, BeforeValidator(_optional_amount), AfterValidator(_largest_owed)
    ] = None
    largest_owed_months: Annotated[
        int | None, BeforeValidator(_months), AfterValidator(_months_of_whom)
    ] = None
    complainant: Complainant
    flags: Annotated[
        tuple[Annotated[Flag, _choice(Flag, "flag")], ...],
        BeforeValidator(_flags),
        AfterValidator(_unique_flags),
    ] = ()
    summary: Summary

    @field_serializer("received_at")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()

    @field_serializer("amount", "migrant_amount")
    def _yuan(self, value: Decimal) -> str:
        return f"{value:.2f}"

    @field_serializer("largest_owed")
    def _yuan_or_null(self, value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-safe dict in the intake shape (amounts as strings, times ISO 8601), with the
        complainant's personal data in clear: for storage, not for display."""
        return self.model_dump(mode="json")

    def masked(self) -> dict[str, Any]:
        """:meth:`to_json_dict` with the complainant's name, phone and ID number masked."""
        data = self.to_json_dict()
        data["complainant"] = self.complainant.masked()
        return data

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any], *, tz: ZoneInfo = SHANGHAI) -> Complaint:
        """Rebuild a stored complaint. Checks every field except those against ``now``."""
        return _validate(data, {"tz": tz})


# ---------------------------------------------------------------------------------------------
# Parsing.

_FIELDS: dict[str, tuple[str, ...]] = {
    "": tuple(Complaint.model_fields),
    "employer": tuple(Employer.model_fields),
    "project": tuple(Project.model_fields),
    "complainant": tuple(Complainant.model_fields),
}
_PERSONAL = {
    "complainant.name": mask_name,
    "complainant.phone": mask_phone,
    "complainant.id_number": mask_id_number,
}


def parse_complaint(
    data: Mapping[str, Any], *, now: datetime, today_tz: ZoneInfo = SHANGHAI
) -> Complaint:
    """Validate one complaint record received at or before ``now``.

    Raises InvalidIntake naming every problem at once (``field`` a dotted path). ``today_tz``
    decides which calendar day "today" is for birth dates and division-code validity.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return _validate(data, {"now": now, "today": now.astimezone(today_tz).date(), "tz": today_tz})


def _validate(data: object, context: dict[str, object]) -> Complaint:
    if not isinstance(data, Mapping):
        raise InvalidIntake(
            [FieldProblem("<record>", _type_name(data), "a complaint must be a JSON object")]
        )
    if _too_deep(data, MAX_DEPTH):
        raise InvalidIntake(
            [
                FieldProblem(
                    "<record>",
                    None,
                    f"nested more than {MAX_DEPTH} levels deep; a complaint is an object of "
                    "objects (employer, project, complainant) and one list (flags)",
                )
            ]
        )
    try:
        return Complaint.model_validate(dict(data), context=context)
    except ValidationError as exc:
        raise InvalidIntake([_translate(e) for e in exc.errors()]) from None


def _too_deep(data: object, limit: int) -> bool:
    """Whether ``data`` nests containers more than ``limit`` levels (iterative: no recursion to
    exhaust on exactly the input this refuses)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[object] = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        part = part if isinstance(part, int) else printable_value(str(part), 64)
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


# Free text may hold anything a complainant said: an error never repeats it.
_UNSHOWN = {"summary"}


def _shown(value: object) -> object:
    """What an error may repeat of a value that is not personal: short scalars as they are,
    text cut and escaped, containers by their kind."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else "a very large integer"
    if isinstance(value, float | Decimal):
        return value if len(str(value)) <= 40 else _type_name(value)
    if isinstance(value, str):
        return printable_value(value)
    return _type_name(value)


def _translate(error: Any) -> FieldProblem:
    loc: tuple[int | str, ...] = tuple(error["loc"])
    field = _path(loc)
    value = error.get("input")
    kind = error["type"]
    parent = ".".join(str(p) for p in loc[:-1] if isinstance(p, str))
    if kind == "zhiqian":
        problem = str(error["ctx"]["problem"])
    elif kind == "missing":
        problem = "is required"
        value = None
    elif kind == "extra_forbidden":
        allowed = ", ".join(_FIELDS.get(parent, ()))
        problem = f"unknown field {loc[-1]!r}" + (f"; the fields are: {allowed}" if allowed else "")
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        fields = ", ".join(_FIELDS.get(field, ()))
        null = " or null" if field == "project" else ""
        problem = f"must be an object with {fields}{null}, not {_type_name(value)}"
    elif kind.startswith("int"):
        problem = f"must be a whole number (a JSON integer), not {_type_name(value)}"
    else:  # a pydantic check we did not word ourselves; its message is still a sentence
        problem = str(error["msg"])
    if field in _PERSONAL and isinstance(value, str):
        value = _PERSONAL[field](printable_value(value, 64))
    elif field in _PERSONAL and value is not None:
        value = _type_name(value)
    elif field in _UNSHOWN and isinstance(value, str):
        value = f"{len(value)} characters"
    else:
        value = _shown(value)
    return FieldProblem(field or "<record>", value, problem)


@overload
def read_records(text: str, *, keep_going: Literal[False] = ...) -> list[dict[str, Any]]: ...
@overload
def read_records(
    text: str, *, keep_going: Literal[True]
) -> list[dict[str, Any] | InvalidIntake]: ...
def read_records(
    text: str, *, keep_going: bool = False
) -> list[dict[str, Any]] | list[dict[str, Any] | InvalidIntake]:
    """The records in ``text``: one JSON object, a JSON array of objects, or JSON Lines.

    A syntax error is reported as InvalidIntake on field ``<json>`` with ``line L, column C``.
    With ``keep_going`` (JSON Lines only makes that possible), a broken line becomes an
    InvalidIntake in its place and the others are still read: :func:`parse_batch` passes it
    through, so one bad line does not hold up a whole batch.
    """
    text = text.removeprefix("\ufeff")  # a BOM from Windows tools is not a syntax error
    if not text.strip():
        raise InvalidIntake([FieldProblem("<json>", "", "no records: the text is empty")])
    try:
        whole = _loads(text)
    except json.JSONDecodeError as exc:
        if not _looks_like_json_lines(text, exc):
            raise InvalidIntake([_syntax_problem(exc, text)]) from None
        return _read_json_lines(text, keep_going=keep_going)
    except _Unreadable as exc:
        raise InvalidIntake([FieldProblem("<json>", None, exc.problem)]) from None
    items = whole if isinstance(whole, list) else [whole]
    problems = [
        FieldProblem(
            f"[{i}]" if isinstance(whole, list) else "<json>",
            _type_name(item),
            "a record must be a JSON object",
        )
        for i, item in enumerate(items)
        if not isinstance(item, dict)
    ]
    if problems:
        raise InvalidIntake(problems)
    return list(items)


def _looks_like_json_lines(text: str, exc: json.JSONDecodeError) -> bool:
    if exc.msg == "Extra data":
        return True
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return len(lines) > 1 and lines[0].startswith("{") and lines[0].endswith("}")


def _read_json_lines(
    text: str, *, keep_going: bool
) -> list[dict[str, Any]] | list[dict[str, Any] | InvalidIntake]:
    records: list[dict[str, Any] | InvalidIntake] = []
    problems: list[FieldProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        index = len(records)
        try:
            item = _loads(line)
        except json.JSONDecodeError as exc:
            problem = FieldProblem(
                "<json>",
                None,
                f"line {number}, column {exc.colno}: {exc.msg} (JSON Lines record {index})",
            )
        except _Unreadable as exc:
            problem = FieldProblem(
                "<json>", None, f"line {number}: {exc.problem} (JSON Lines record {index})"
            )
        else:
            if isinstance(item, dict):
                records.append(item)
                continue
            problem = FieldProblem(
                "<json>", _type_name(item), f"line {number}: a record must be a JSON object"
            )
        problems.append(problem)
        records.append(InvalidIntake([problem], record=index))
    if keep_going:
        return records
    if problems:
        raise InvalidIntake(problems)
    return [r for r in records if isinstance(r, dict)]


def _syntax_problem(exc: json.JSONDecodeError, text: str) -> FieldProblem:
    # No excerpt of the line: it is a complainant's record (name, phone, ID number), and an
    # error message is an output. Line and column are enough to find it in the file.
    return FieldProblem("<json>", None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}")


class _Unreadable(Exception):
    """JSON that parses but is no record: NaN/Infinity, numbers of hundreds of digits, nesting
    deep enough to exhaust the parser's stack."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _Unreadable(
            f"a number has more than {MAX_NUMBER_DIGITS} digits; no amount or count is that long"
        )
    return int(digits)


def _parse_float(digits: str) -> object:
    if len(digits) > MAX_NUMBER_DIGITS + 10:
        raise _Unreadable(f"a number is more than {MAX_NUMBER_DIGITS + 10} characters long")
    number = float(digits)
    if number != number or number in (float("inf"), float("-inf")):  # 1e999
        raise _Unreadable("a number is too large to be an amount or a count")
    return number


def _parse_constant(name: str) -> object:
    raise _Unreadable(f"{name} is not a JSON number (and no amount or count)")


def _loads(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise _Unreadable(
            "nested too deeply to be a complaint record (arrays or objects inside each other "
            "thousands of levels down)"
        ) from None


def _ref_key(ref: object) -> str | None:
    """A ref as compared: the same normalisation as the stored one (NFC, trimmed)."""
    if not isinstance(ref, str) or unsafe_char(ref) is not None:
        return None
    return nfc(ref).strip() or None


def parse_batch(
    records: Iterable[Mapping[str, Any] | InvalidIntake],
    *,
    now: datetime,
    today_tz: ZoneInfo = SHANGHAI,
) -> list[Complaint | InvalidIntake]:
    """Validate each record on its own: a Complaint, or the InvalidIntake for it with
    ``record`` set to its index. A ``ref`` repeated within the batch is a problem of the later
    record. InvalidIntake items (broken JSON lines) pass through with their index."""
    results: list[Complaint | InvalidIntake] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if isinstance(record, InvalidIntake):
            results.append(InvalidIntake(record.problems, record=index))
            continue
        problems: list[FieldProblem] = []
        complaint: Complaint | None = None
        try:
            complaint = parse_complaint(record, now=now, today_tz=today_tz)
        except InvalidIntake as exc:
            problems.extend(exc.problems)
        ref = record.get("ref") if isinstance(record, Mapping) else None
        key = complaint.ref if complaint is not None else _ref_key(ref)
        if key:
            first = seen.setdefault(key, index)
            if first != index:
                problems.insert(
                    0,
                    FieldProblem(
                        "ref", printable_value(key), f"the same ref as record {first} of this batch"
                    ),
                )
        if problems:
            results.append(InvalidIntake(problems, record=index))
        else:
            assert complaint is not None
            results.append(complaint)
    return results


# ---------------------------------------------------------------------------------------------
# The door for the other writes: who acts, why, and an action's params. Sizes are the columns'
# (store/tables.py): a value PostgreSQL would refuse is refused here, so both databases accept
# the same data.

MAX_ACTOR = 100  # zq_events.actor
MAX_REASON = 5000  # free text, as a summary
MAX_PARAM_TEXT = 500
# params stored in a sized column of zq_cases
_PARAM_LIMITS: Mapping[str, int] = {"leader": 100, "role": 64, "by": 16}


def clean_actor(actor: object) -> str:
    """The actor as stored (NFC, trimmed), or InvalidIntake on field ``actor``: every change
    records who made it, so an empty or invisible name is refused."""
    return _clean_one("actor", actor, lambda v: clean_text(v, "actor", MAX_ACTOR))


def clean_act(
    actor: object, reason: object, params: object
) -> tuple[str, str | None, dict[str, Any] | None]:
    """``actor``, ``reason`` and ``params`` of an act, checked at once (every problem named).

    Param values stay the types they were given (int, Decimal, date, bool…); text values are
    normalised and bounded; containers are refused (an action reads scalars only).
    """
    problems: list[FieldProblem] = []
    cleaned_actor = _collect(problems, "actor", actor, lambda v: clean_text(v, "actor", MAX_ACTOR))
    cleaned_reason: str | None = None
    if reason is not None:
        cleaned_reason = _collect(
            problems,
            "reason",
            reason,
            lambda v: clean_text(v, "reason", MAX_REASON, multiline=True),
            unshown=True,
        )
    cleaned_params: dict[str, Any] | None = None
    if params is not None:
        if not isinstance(params, Mapping):
            problems.append(FieldProblem("params", _type_name(params), "params must be a mapping"))
        else:
            cleaned_params = {}
            for key, value in params.items():
                if not isinstance(key, str) or unsafe_char(key) is not None or len(key) > 64:
                    problems.append(
                        FieldProblem("params", _shown(key), "a param name is short plain text")
                    )
                    continue
                cleaned_params[key] = _collect(problems, f"params.{key}", value, _param_value(key))
    if problems:
        raise InvalidIntake(problems)
    return cleaned_actor, cleaned_reason, cleaned_params


def _param_value(key: str) -> Any:
    limit = _PARAM_LIMITS.get(key, MAX_PARAM_TEXT)

    def check(value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return ""  # an empty param means "not given" to the actions that read it
            return clean_text(value, key, limit, multiline=key not in _PARAM_LIMITS)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, date):
            # as text, the way every action reads it (str(v)): `file` and pack actions store
            # params in the event's JSON payload, which holds no date (found by the act fuzz)
            return value.isoformat()
        if isinstance(value, int):
            if value.bit_length() > 64:
                raise _bad(f"{key} is a number too large for any param")
            return value
        if isinstance(value, Decimal | float):
            # Decimal's own test: math.isfinite raises on a signalling NaN (found by the fuzz)
            finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
            if not finite:
                raise _bad(f"{key} is not a finite number")
            if abs(Decimal(value)) > MAX_AMOUNT:
                raise _bad(f"{key} is above the largest amount accepted ({MAX_AMOUNT})")
            # a Decimal as its exact text, for the same JSON payload
            return str(value) if isinstance(value, Decimal) else value
        raise _bad(f"{key} must be text, a number, a date or true/false, not {_type_name(value)}")

    return check


def _collect(
    problems: list[FieldProblem],
    field: str,
    value: object,
    check: Any,
    *,
    unshown: bool = False,
) -> Any:
    try:
        return check(value)
    except PydanticCustomError as exc:
        shown = f"{len(value)} characters" if unshown and isinstance(value, str) else _shown(value)
        problems.append(
            FieldProblem(field, shown, str(exc.context["problem"] if exc.context else exc))
        )
        return None


def _clean_one(field: str, value: object, check: Any) -> str:
    problems: list[FieldProblem] = []
    cleaned = _collect(problems, field, value, check)
    if problems:
        raise InvalidIntake(problems)
    return str(cleaned)
