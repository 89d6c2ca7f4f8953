"""Validators for `regex` rules: a match counts only when its value is valid (check digits, ranges)."""
from __future__ import annotations

import re
from typing import Callable

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "xX")


def luhn(text: str) -> bool:
    """Bank card numbers: the Luhn (mod 10) check digit."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def cn_resident_id(text: str) -> bool:
    """Mainland 18-digit resident ID: plausible birth date and the ISO 7064 MOD 11-2 check character."""
    value = digits_of(text).upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == value[17]


def cn_mobile(text: str) -> bool:
    """Mainland mobile number: 11 digits starting 13-19 (an optional +86/86 prefix is allowed)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return bool(re.fullmatch(r"1[3-9]\d{9}", digits))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": luhn,
    "cn_resident_id": cn_resident_id,
    "cn_mobile": cn_mobile,
}
