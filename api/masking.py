"""Masking of personal data for every output (CLI, notices, reports, errors).

One implementation for the whole package, so that a masked phone or ID number reads the same
wherever it appears. Values are shown unmasked only where a document needs them (the 移送函 to
the police) or on explicit request (``zhiqian case show --show-pii``, which is itself recorded).
"""

from __future__ import annotations

__all__ = ["mask_id_number", "mask_name", "mask_phone"]


def mask_name(value: object) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: the first character stays."""
    name = str(value)
    return name[:1] + "*" * (len(name) - 1) if name else name


def mask_phone(value: object) -> str:
    """``13812345678`` → ``138****5678``; ``0351-1234567`` → ``0351-***4567`` (area code and
    extension stay)."""
    phone = str(value)
    if "-" in phone:
        area, number, *extension = phone.split("-")
        masked = "*" * max(len(number) - 4, 0) + number[-4:]
        return "-".join([area, masked, *extension])
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * len(phone)


def mask_id_number(value: object) -> str:
    """``110101199003071234`` → ``110101********1234``: the address code and the last four stay."""
    id_number = str(value)
    if len(id_number) >= 12:
        return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
    return "*" * len(id_number)
