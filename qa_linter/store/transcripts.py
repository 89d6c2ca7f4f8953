"""What the store keeps of a transcript, so that `qa-lint replay` needs no original files.

The store never holds raw customer PII (docs/security.md), yet a replay must judge the PII rules as the scan
did. So each mobile number, resident ID, card number and e-mail address the masker finds is replaced by a
*surrogate of the same form*: the characters the masker shows stay (138, 5678, the first letter of an address),
the hidden ones become random characters of the same kind, chosen so the value still validates (a valid ID
check character and birth date, a Luhn-valid card, a mobile prefix). Every form the masker finds is covered: a
digit written as a Chinese numeral or in another script stays one (一三九八…, ١٣٩…), a 15-digit ID gets a real
birth date, an address written with (at) keeps it. Consequences, each tested:

- masking the surrogate shows exactly what masking the original shows (138****5678 stays 138****5678);
- the rules find the same findings at the same offsets (the same length, the same validity);
- the real digits are not in the store; one value keeps one surrogate within a conversation.

The hidden part of an e-mail name is made of vowels, so a surrogate does not spell a slang abbreviation (a
lexicon holding vowel-only terms could in principle still match one). A message whose surrogates would not
mask or validate like the original (never seen, but checked every time) is stored masked instead, and its PII findings would then be missing from a replay. Numbers in the `allowlist`
setting and role mailboxes are not PII and are kept. Names and addresses in free text are kept as they are
(the masker does not look for them).

A transcript is stored as compressed JSON (zlib); docs/review.md gives the space it costs.
"""
from __future__ import annotations

import json
import secrets
import string
import unicodedata
import zlib
from datetime import datetime
from typing import Any

import re

from ..masking import MASK, Masker
from ..model import Conversation, Message
from ..validators import DIGIT_WORDS, cn_mobile, cn_resident_id_any, luhn
from ..vocabulary import email_address

FORMAT = 1
_AT_SIGNS = ("@", "\uff20", "\ufe6b")  # @, full-width ＠, small ﹫: NFKC folds all of them to @
_MIN_DIGITS = 11  # the shortest PII the masker knows (a mobile number) has 11 digits
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_VALID = {"mobile": cn_mobile, "resident-id": cn_resident_id_any, "card": luhn,
          "email": lambda value: "@" in email_address(value)}
# Addresses written without an @ sign (li.ming (at) qq.com, zhangsan 艾特 163.com) and numbers written in numerals.
_AT_WORDS = re.compile(r"(?i)(?<![a-z])at(?![a-z])|艾特")
_TRIES = 200


def may_hold_pii(text: str) -> bool:
    """A cheap test before the masker runs: PII needs an @ (or an "at" written out), or at least 11 digits (Chinese
    numerals count: 一三九一二三四五六七八 is a mobile number)."""
    if any(sign in text for sign in _AT_SIGNS) or _AT_WORDS.search(text):
        return True
    # isdigit also counts ① and ¹, which fold to digits
    return sum(1 for ch in text if ch.isdigit() or ch in DIGIT_WORDS) >= _MIN_DIGITS


class Pseudonymiser:
    """Replaces the PII of one conversation's texts by surrogates (one surrogate per value)."""

    def __init__(self, masker: Masker, rng: secrets.SystemRandom | None = None):
        self.masker = masker
        self.rng = rng or secrets.SystemRandom()
        self.surrogates: dict[str, str] = {}
        self.fallbacks = 0  # messages stored masked because no surrogate fitted

    def text(self, text: str) -> str:
        if not text or not may_hold_pii(text):
            return text
        prepared = self.masker.prepare(text)
        if not prepared.spans:
            return text
        shown = prepared.same_length()
        for attempt in range(5):
            out = list(text)
            for span in prepared.spans:
                value = text[span.start:span.end]
                surrogate = self.surrogates.get(value) if attempt == 0 else None
                if surrogate is None:
                    hidden = [i for i in range(span.end - span.start) if shown[span.start + i] == MASK != value[i]]
                    surrogate = _surrogate(span.kind, value, hidden, self.rng)
                if surrogate is None:
                    break
                out[span.start:span.end] = surrogate
                self.surrogates[value] = surrogate
            else:
                candidate = "".join(out)
                again = self.masker.prepare(candidate)
                if again.same_length() == shown and [(s.start, s.end, s.kind) for s in again.spans] == \
                        [(s.start, s.end, s.kind) for s in prepared.spans]:
                    return candidate
            for span in prepared.spans:  # try fresh surrogates for every value of this message
                self.surrogates.pop(text[span.start:span.end], None)
        self.fallbacks += 1
        return shown

    def value(self, value: Any) -> Any:
        """Strings anywhere in a JSON-like value (the conversation's meta: an e-mail subject …)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


# -- surrogates -------------------------------------------------------------------------------------------------
def _surrogate(kind: str, value: str, hidden: list[int], rng) -> str | None:
    if not hidden:
        return value
    make = _MAKERS.get(kind, _random_fill)
    for _ in range(_TRIES):
        candidate = make(value, hidden, rng)
        # Validated as the rules see it: folded (full-width digits are digits to them).
        if candidate is not None and candidate != value and _VALID.get(kind, bool)(unicodedata.normalize("NFKC", candidate)):
            return candidate
    return None


_NUMERAL_OF = "〇一二三四五六七八九"


def _like(ch: str, digit: int | None, rng) -> str:
    """A random character of the kind of `ch` (digit, Chinese numeral, lower or upper letter), in its width."""
    wide = "\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff5a"
    if ch in DIGIT_WORDS:  # a digit written as a numeral (一三九…) stays a numeral
        return _NUMERAL_OF[rng.randrange(10) if digit is None else digit]
    if ch.isdigit() and not ch.isascii() and not wide and unicodedata.decimal(ch, None) is not None:
        # a digit of another script (١٣٩…) stays in its script
        return chr(ord(ch) - unicodedata.decimal(ch) + (rng.randrange(10) if digit is None else digit))
    if ch.isdigit():
        out = str(rng.randrange(10) if digit is None else digit)
    elif ch.isupper():
        out = rng.choice(string.ascii_uppercase)
    elif ch.isalpha():
        out = rng.choice(string.ascii_lowercase)
    else:
        return ch
    return chr(ord(out) + 0xFEE0) if wide else out


def _random_fill(value: str, hidden: list[int], rng) -> str:
    chars = list(value)
    for i in hidden:
        chars[i] = _like(value[i], None, rng)
    return "".join(chars)


def _digit_offsets(value: str) -> list[int]:
    return [i for i, ch in enumerate(value) if ch.isdigit() or ch in "xX\uff58\uff38"]


def _card(value: str, hidden: list[int], rng) -> str | None:
    """Random hidden digits, the last of them chosen so the Luhn check holds (one digit always fits)."""
    chars = list(value)
    digits = [i for i in hidden if value[i].isdigit()]
    for i in digits:
        chars[i] = _like(value[i], None, rng)
    if not digits:
        return None
    last = digits[-1]
    for d in range(10):
        chars[last] = _like(value[last], d, rng)
        if luhn("".join(chars)):
            return "".join(chars)
    return None


def _resident_id(value: str, hidden: list[int], rng) -> str | None:
    """A plausible region and birth date in the hidden digits, repeated until the kept check character fits."""
    offsets = _digit_offsets(value)
    if len(offsets) == 15:
        return _resident_id_15(value, offsets, hidden, rng)
    if len(offsets) != 18:
        return None
    digits = [value[i] for i in offsets]
    hidden_set = set(hidden)
    year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    fresh = f"{rng.randrange(10)}{rng.randrange(10)}" + f"{year:04d}{month:02d}{day:02d}"
    # digit positions 4..13 (region tail and birth date) are the ones the masker hides
    for n, ch in zip(range(4, 14), fresh):
        if offsets[n] in hidden_set:
            digits[n] = ch
    plain = "".join(str(int(d)) if d.isdigit() else d.upper() for d in digits)
    total = sum(int(c) * w for c, w in zip(plain[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != plain[17].upper().replace("\uff38", "X"):
        return None
    chars = list(value)
    for n, i in enumerate(offsets):
        if i in hidden_set:
            chars[i] = _like(value[i], int(plain[n]), rng)
    return "".join(chars)


def _resident_id_15(value: str, offsets: list[int], hidden: list[int], rng) -> str:
    """The 15-digit ID of before 1999 (no check character): a region tail and a real birth date (YYMMDD)."""
    year, month, day = rng.randint(50, 98), rng.randint(1, 12), rng.randint(1, 28)
    fresh = f"{rng.randrange(10)}{rng.randrange(10)}{year:02d}{month:02d}{day:02d}"
    hidden_set = set(hidden)
    chars = list(value)
    for n, ch in zip(range(4, 12), fresh):  # region tail and birth date: digits 4..11
        if offsets[n] in hidden_set:
            chars[offsets[n]] = _like(value[offsets[n]], int(ch), rng)
    for n in range(12, 15):
        if offsets[n] in hidden_set:
            chars[offsets[n]] = _like(value[offsets[n]], None, rng)
    return "".join(chars)


def _email(value: str, hidden: list[int], rng) -> str:
    """The hidden part of the name in vowels (and digits 0 1 4 7 9): random consonants spell slang
    abbreviations (lz, mm, nb, wx …) that the rules would then flag inside the address."""
    chars = list(value)
    for i in hidden:
        ch = value[i]
        if ch.isdigit():
            chars[i] = _in_width(ch, rng.choice("01479"))
        elif ch.isalpha() and ch.isascii() or "\uff21" <= ch <= "\uff5a":
            chars[i] = _in_width(ch, rng.choice("AEIO" if ch.isupper() else "aeio"))
    return "".join(chars)


def _in_width(original: str, ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "\uff10" <= original <= "\uff5a" else ch


_MAKERS = {"card": _card, "resident-id": _resident_id, "email": _email}


# -- storing and reading ------------------------------------------------------------------------------------------
def encode(conv: Conversation, masker: Masker) -> tuple[bytes, int]:
    """(compressed JSON of the pseudonymised conversation, messages that had to be stored masked)."""
    fake = Pseudonymiser(masker)
    data = {
        "format": FORMAT,
        "channel": conv.channel,
        "agent": conv.agent,
        "team": conv.team,
        "started_at": _iso(conv.started_at),
        "meta": fake.value(conv.meta or {}),
        "messages": [[m.role, fake.text(m.text), _iso(m.ts)] for m in conv.messages],
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return zlib.compress(body, 6), fake.fallbacks


def decode(conversation_id: str, body: bytes, source: str | None = None) -> Conversation:
    data = json.loads(zlib.decompress(body).decode("utf-8", "surrogatepass"))
    return Conversation(
        id=conversation_id,
        messages=[Message(i, role, text, _time(ts)) for i, (role, text, ts) in enumerate(data["messages"])],
        channel=data["channel"],
        agent=data["agent"],
        team=data["team"],
        started_at=_time(data["started_at"]),
        meta=data.get("meta") or {},
        source=source,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None
