"""Masking customer PII for anything meant to be shared: scorecard pages, weekly reports, stored excerpts.

The one place that decides how personal data in a transcript is hidden. What is personal data (mainland
mobile numbers, 18-digit resident IDs with a valid check character, card numbers of 16-19 digits that pass
the Luhn check, e-mail addresses other than role mailboxes) is defined in vocabulary.py, where the rule
pack's PII rules (`pii:` in a regex rule) take the same patterns. Detection runs on the normalised text
(full-width digits, zero-width characters), with spans mapped back to the original, and errs on the side of
hiding: any Luhn-valid 16-19-digit number is masked, also one that is really a tracking number.

Masking is defined per character of the original text (`MaskedText`), so a page can first cut a message
at finding offsets and then mask each piece: the cut points stay those of the original text, and a number
cut in two by a highlight is still masked on both sides of the cut.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .text.normalize import normalize
from .validators import national_mobile, phone_digit_positions
from .vocabulary import MASKED_KINDS, PII_PATTERNS, ROLE_MAILBOX, email_address

MASK = "*"


@dataclass(frozen=True)
class PiiSpan:
    start: int  # offsets in the original text
    end: int
    kind: str  # mobile | resident-id | card | email


class Masker:
    """Finds and hides PII. `enabled=False` (the --no-mask option) leaves every text as it is.

    `allowlist` holds numbers and addresses that are never PII (company hotlines, support mailboxes):
    exact values, compared on their digits for numbers, or `@domain` for every address of a domain.
    """

    def __init__(self, allowlist: Iterable[str] = (), enabled: bool = True):
        self.enabled = enabled
        entries = [str(item).strip().lower() for item in allowlist or () if str(item).strip()]
        self._domains = tuple(e for e in entries if e.startswith("@"))
        self._exact = frozenset(e for e in entries if not e.startswith("@"))
        self._digits = frozenset(d for d in (_only_digits(e) for e in self._exact) if d)

    @classmethod
    def from_config(cls, config, enabled: bool = True) -> "Masker":
        allowlist = config.get("allowlist") if config is not None else None
        if isinstance(allowlist, str):
            allowlist = [allowlist]
        return cls(allowlist or (), enabled)

    def spans(self, text: str) -> list[PiiSpan]:
        """PII in `text`, in order, not overlapping (an ID number is not also reported as a card)."""
        if not text:
            return []
        folded = normalize(text)
        found: list[PiiSpan] = []
        taken: list[tuple[int, int]] = []
        for kind in MASKED_KINDS:
            pii = PII_PATTERNS[kind]
            for m in pii.pattern.finditer(folded.text):
                value = m.group(0)
                if not pii.valid(value) or self._allowed(kind, value):
                    continue
                start, end = folded.to_original(m.start(), m.end())
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                found.append(PiiSpan(start, end, kind))
        found.sort(key=lambda s: s.start)
        return found

    def prepare(self, text: str) -> "MaskedText":
        return MaskedText(text, self.spans(text) if self.enabled else [])

    def mask(self, text: str | None) -> str | None:
        """The whole text with its PII hidden."""
        if text is None or not self.enabled:
            return text
        return self.prepare(text).text

    def excerpt(self, text: str, start: int | None, end: int | None, width: int = 24) -> str:
        """A one-line masked excerpt around [start, end) (the whole start of the text when no offsets)."""
        masked = self.prepare(text)
        if start is None or end is None:
            body = masked.slice(0, len(text))
            flat = _flat(body)
            return flat if len(flat) <= width * 2 else flat[: width * 2] + "…"
        lo, hi = max(0, start - width), min(len(text), end + width)
        before, match, after = masked.slice(lo, start), masked.slice(start, end), masked.slice(end, hi)
        return ("…" if lo > 0 else "") + _flat(before + match + after) + ("…" if hi < len(text) else "")

    def _allowed(self, kind: str, value: str) -> bool:
        if kind == "email":
            value = email_address(value)  # li.ming (at) qq.com is li.ming@qq.com
            in_domain = any(value.endswith(domain) for domain in self._domains)
            return value in self._exact or in_domain or bool(ROLE_MAILBOX.fullmatch(value))
        digits = national_mobile(value) if kind == "mobile" else _only_digits(value)
        return digits in self._digits or _only_digits(value) in self._digits


class MaskedText:
    """A text and, per original character, what is shown instead (itself, a mask character, or nothing)."""

    def __init__(self, original: str, spans: list[PiiSpan]):
        self.original = original
        self.spans = spans
        self._shown: list[str] | None = None
        if spans:
            shown = list(original)
            for span in spans:
                for offset, replacement in _MASKERS[span.kind](original[span.start : span.end]).items():
                    shown[span.start + offset] = replacement
            self._shown = shown

    @property
    def text(self) -> str:
        return self.slice(0, len(self.original))

    def slice(self, start: int, end: int) -> str:
        """What is shown for original[start:end]."""
        if self._shown is None:
            return self.original[start:end]
        return "".join(self._shown[start:end])

    def same_length(self) -> str:
        """The text with each hidden character replaced by one mask character, so that offsets into the original
        stay valid (outputs that carry offsets: JSON, the terminal); li.ming@example.com shows as l******@example.com."""
        if self._shown is None:
            return self.original
        return "".join(ch if shown == ch else MASK for ch, shown in zip(self.original, self._shown))

    def touches_pii(self, start: int, end: int) -> bool:
        return any(s.start < end and start < s.end for s in self.spans)


@dataclass(frozen=True)
class MaskedFinding:
    """How one finding is shown in anything shared: its words, its message and an excerpt, all masked."""

    located: bool  # the finding's offsets are valid for its message
    highlight: str  # the flagged words ("" for a finding about the whole message)
    message: str
    suggestion: str | None
    excerpt: str  # one line around the words (or the start of the message)


def mask_finding(masker: Masker, finding, message_text: str, masked: "MaskedText | None" = None) -> MaskedFinding:
    """Mask a finding against its message; `masked` (masker.prepare(message_text)) can be passed to reuse it.

    The rule's message often names the matched words ({match}); they are replaced by the same masked words
    the highlight shows, then the message is masked as a whole for anything else it quotes.
    """
    masked = masked or masker.prepare(message_text)
    start, end = finding.start, finding.end
    located = start is not None and end is not None and 0 <= start < end <= len(message_text)
    highlight = masked.slice(start, end) if located else ""
    message = finding.message
    if finding.text and highlight and finding.text in message:
        message = message.replace(finding.text, highlight)
    return MaskedFinding(
        located=located,
        highlight=highlight,
        message=masker.mask(message),
        suggestion=masker.mask(finding.suggestion),
        excerpt=masker.excerpt(message_text, start if located else None, end if located else None),
    )


# -- how each kind is masked: original offset inside the match -> replacement -----------------------------
def _digit_positions(value: str) -> list[int]:
    return [i for i, ch in enumerate(value) if _is_digit(ch)]


def _is_digit(ch: str) -> bool:
    return ch.isdigit() or ch in "xXｘＸ"


def _keep_ends(value: str, keep_first: int, keep_last: int) -> dict[int, str]:
    """Mask every digit but the first `keep_first` and the last `keep_last`; separators stay."""
    positions = _digit_positions(value)
    hidden = positions[keep_first : len(positions) - keep_last]
    return {i: MASK for i in hidden}


def _mask_mobile(value: str) -> dict[int, str]:
    # 138****5678: the four digits after the operator prefix, counted on the national number (+86 kept); digits
    # written as numerals count (一三九****五六七八), the numerals of the words around a number read out in parts
    # do not (前三位177，中间****，尾号0049).
    positions = phone_digit_positions(value)
    national = positions[-11:]
    return {i: MASK for i in national[3:7]}


def _mask_resident_id(value: str) -> dict[int, str]:
    return _keep_ends(value, 4, 4)  # 1101**********002X


def _mask_card(value: str) -> dict[int, str]:
    return _keep_ends(value, 4, 4)  # 6222 **** **** 0128


def _mask_email(value: str) -> dict[int, str]:
    # li.ming@example.com -> l***@example.com: the first character stays, the rest of the name is one "***"
    # (also for li.ming (at) example.com and li.ming at qq.com).
    at = len(_EMAIL_NAME.match(value).group(0))
    if at <= 1:
        return {0: MASK * 3} if at == 1 else {}
    out = {1: MASK * 3}
    out.update({i: "" for i in range(2, at)})
    return out


_EMAIL_NAME = re.compile(r"[^@＠\s(\[{<【艾]*")

_MASKERS = {"mobile": _mask_mobile, "resident-id": _mask_resident_id, "card": _mask_card, "email": _mask_email}


def _only_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _flat(text: str) -> str:
    return " ".join(text.split())

