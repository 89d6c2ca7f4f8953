"""Validators for `regex` rules: a match counts only when its value is valid (check digits, ranges)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
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


# Chinese numerals as people write a number out to dodge a filter (一三九…, 幺 for 1 when read aloud, the
# financial forms 壹贰叁…); Traditional forms arrive Simplified from the normaliser.
DIGIT_WORDS = {
    "〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "叁": "3", "肆": "4", "伍": "5", "陆": "6", "柒": "7",
    "捌": "8", "玖": "9", "兩": "2", "貳": "2", "參": "3", "陸": "6",  # Traditional forms, as typed
}
_NUMBER_SEPARATORS = " .-\u3000\u00a0"


def phone_digit_positions(text: str) -> list[int]:
    """Where the digits of a phone number written in `text` are. A number written only with digits, Chinese
    numerals and separators (139 1234 5678, 一三九一二三四五六七八) counts every digit and numeral; a number read
    out in groups between words (前三位177，中间4520，尾号0049) counts only the digits, since the words around them
    (前三位) hold numerals that are not part of the number."""
    spelled = all(ch.isdigit() or ch in DIGIT_WORDS or ch in _NUMBER_SEPARATORS or ch == "+" for ch in text)
    return [i for i, ch in enumerate(text) if ch.isdigit() or (spelled and ch in DIGIT_WORDS)]


def phone_digits(text: str) -> str:
    """The digits of the phone number written in `text` (see phone_digit_positions), as 0-9: numerals, full-width
    and other scripts' digits (١٣٩) included."""
    return "".join(DIGIT_WORDS.get(text[i]) or str(unicodedata.digit(text[i], text[i])) for i in phone_digit_positions(text))


def national_mobile(text: str) -> str:
    """The 11-digit national number of a mobile number written in `text`, without +86, 86 or 0086."""
    digits = phone_digits(text)
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            return digits[len(prefix):]
    return digits


def cn_mobile(text: str) -> bool:
    """Mainland mobile number: 11 digits starting 13-19 (an optional +86, 86 or 0086 prefix is allowed), written
    with digits or Chinese numerals, in groups, or read out in groups between words."""
    return bool(re.fullmatch(r"1[3-9]\d{9}", national_mobile(text)))


# Province-level area codes, the first two digits of a resident ID (GB/T 2260).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def cn_resident_id_15(text: str) -> bool:
    """The 15-digit resident ID issued before 1999 (no check character): a province code and a real birth date
    (19YYMMDD, written YYMMDD), so that order, tracking and phone-like numbers of 15 digits do not pass."""
    value = "".join(ch for ch in text if ch.isdigit())
    if len(value) != 15 or value[:2] not in _PROVINCES:
        return False
    try:
        date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return False
    return True


def cn_resident_id_any(text: str) -> bool:
    """An 18-character resident ID with a valid check character, or a 15-digit one of before 1999."""
    return cn_resident_id(text) or cn_resident_id_15(text)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": luhn,
    "cn_resident_id": cn_resident_id,
    "cn_resident_id_15": cn_resident_id_15,
    "cn_mobile": cn_mobile,
}
