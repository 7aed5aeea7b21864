"""What the forms count, each once: the payments recovered and the numbered documents issued.

附件2 sums what was done on a case — 追发工资及赔偿金 (columns 12–15) and 责令改正 / 行政处理决定 /
行政处罚决定 (columns 16–18). A clerk who records the same payment or the same document twice
would double a figure the office signs. So each act that counts keeps an entry in the case's
``extra`` JSON (``recoveries``, ``documents``), and the next act is checked against them:

- a payment is the same payment when it carries the same ``payment_ref`` (the 凭证号 of the
  transfer or the payroll sheet), or — without a ref — the same figures as one already recorded;
  the latter is refused unless the clerk says it is another payment (``confirm``), because
  identical instalments are real (a monthly 300 yuan each) but far rarer than a double click;
- a document is the same document when it has the same 文号 (brackets and spaces aside).

Why ``extra`` and not new columns: the entries are an index of the act events (each names its
event ``seq``), read by the pure handlers without a query; the figures the reports sum stay in
the case columns, except 赔偿金, whose totals are derived here from the entries.

The sums of these entries are also what keeps the amounts consistent: the wages recovered never
exceed the wages owed, the 赔偿金 never exceed what 《劳动保障监察条例》第二十六条 allows (at most
1 times the 应付金额), and workers are counted once however many payments reach them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from zhiqian.errors import Refused

__all__ = [
    "DOCUMENTS",
    "RECOVERIES",
    "Payment",
    "compensation_totals",
    "document_key",
    "recorded_documents",
    "recorded_payments",
    "same_payment",
    "with_document",
]

RECOVERIES: Final = "recoveries"
DOCUMENTS: Final = "documents"

# 文号 are typed with any of these brackets (〔2019〕 is the standard's, GB/T 9704).
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, kw_only=True, slots=True)
class Payment:
    """One recorded 追发: wages (工资) and compensation (赔偿金), of them the migrant workers'
    part, and the workers paid for the first time by it."""

    event: int
    on: str
    workers: int
    migrant_workers: int
    amount: Decimal
    migrant_amount: Decimal
    compensation: Decimal
    migrant_compensation: Decimal
    payment_ref: str | None
    revoked_by: int | None = None

    @property
    def figures(self) -> tuple[int, int, Decimal, Decimal, Decimal, Decimal]:
        return (
            self.workers,
            self.migrant_workers,
            self.amount,
            self.migrant_amount,
            self.compensation,
            self.migrant_compensation,
        )

    def describe(self) -> str:
        """The payment as a clerk finds it in the case's timeline."""
        money = f"wages {self.amount} yuan"
        if self.compensation:
            money += f" and 赔偿金 {self.compensation} yuan"
        ref = f", payment_ref {self.payment_ref}" if self.payment_ref else ""
        return f"event {self.event} on {self.on} ({money} to {self.workers} workers{ref})"

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "on": self.on,
            "workers": self.workers,
            "migrant_workers": self.migrant_workers,
            "amount": str(self.amount),
            "migrant_amount": str(self.migrant_amount),
            "compensation": str(self.compensation),
            "migrant_compensation": str(self.migrant_compensation),
            "payment_ref": self.payment_ref,
            "revoked_by": self.revoked_by,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payment:
        return cls(
            event=int(data["event"]),
            on=str(data.get("on", "")),
            workers=int(data.get("workers", 0)),
            migrant_workers=int(data.get("migrant_workers", 0)),
            amount=Decimal(str(data.get("amount", "0"))),
            migrant_amount=Decimal(str(data.get("migrant_amount", "0"))),
            compensation=Decimal(str(data.get("compensation", "0"))),
            migrant_compensation=Decimal(str(data.get("migrant_compensation", "0"))),
            payment_ref=data.get("payment_ref") or None,
            revoked_by=None if data.get("revoked_by") is None else int(data["revoked_by"]),
        )


def recorded_payments(extra: Mapping[str, Any] | None) -> list[Payment]:
    """The payments recorded on a case, revoked ones included (they say who revoked them)."""
    entries = (extra or {}).get(RECOVERIES) or ()
    return [Payment.from_json(e) for e in entries if isinstance(e, Mapping)]


def compensation_totals(extra: Mapping[str, Any] | None) -> tuple[Decimal, Decimal]:
    """赔偿金 recovered on a case and of it the migrant workers', over the payments in force.

    The case column ``recovered_amount`` holds the wages only (追发工资, what ``amount`` owes);
    附件2 columns 14 and 15 add these to it."""
    total = migrant = Decimal("0.00")
    for p in recorded_payments(extra):
        if p.revoked_by is None:
            total += p.compensation
            migrant += p.migrant_compensation
    return total, migrant


def same_payment(new: Payment, recorded: Sequence[Payment]) -> tuple[Payment | None, bool]:
    """The recorded payment ``new`` repeats, and whether the repeat is certain (the same
    ``payment_ref``) rather than likely (the same figures, no ref on the new one)."""
    for p in recorded:
        if p.revoked_by is not None:
            continue
        if new.payment_ref is not None:
            if p.payment_ref is not None and document_key(p.payment_ref) == document_key(
                new.payment_ref
            ):
                return p, True
        elif p.figures == new.figures:
            return p, False
    return None, False


def document_key(number: str) -> str:
    """What tells 文号 (or 凭证号) apart: brackets in one shape, no spaces, ASCII upper case."""
    return _SPACE.sub("", number.translate(_BRACKETS)).upper()


def recorded_documents(extra: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    entries = (extra or {}).get(DOCUMENTS) or ()
    return [e for e in entries if isinstance(e, Mapping)]


def with_document(
    extra: Mapping[str, Any] | None,
    *,
    action: str,
    doc_type: str,
    doc_no: str,
    event: int,
    on: str,
    labels: Mapping[str, str],
) -> dict[str, Any]:
    """``extra`` with the document added; ``Refused`` when its 文号 was recorded already."""
    key = document_key(doc_no)
    for entry in recorded_documents(extra):
        if entry.get("key") == key:
            earlier = labels.get(str(entry.get("act")), str(entry.get("act")))
            raise Refused(
                f"{action}: 文号 {doc_no} was recorded already on {entry.get('on')} "
                f"(event {entry.get('event')}, {earlier}, {entry.get('type')}); a document is "
                f"counted once in 附件2. If this is another document, give its own 文号"
            )
    documents = [
        *recorded_documents(extra),
        {"key": key, "no": doc_no, "type": doc_type, "act": action, "event": event, "on": on},
    ]
    return {**(extra or {}), DOCUMENTS: documents}
