"""The stable identity of a finding: rule + conversation + message index + normalised matched words.

It survives re-scans (offsets and positions in the findings list may move when other rules change; the words a
rule matched do not), and it is the same whether computed from the original transcript at scan time or from
the store's pseudonymised copy at replay time: the matched words enter it as a reviewer sees them, with customer
PII masked (138****5678), and the store's surrogates mask to exactly that (store/transcripts.py). A
finding about something missing (no matched words) is identified by rule, conversation and message.

A finding id is the fingerprint, plus `-2`, `-3` … for the second and third finding of one conversation with the
same fingerprint (the same word flagged twice in one message), so every row of a review sheet has its own id.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Iterable

from .masking import Masker
from .text.normalize import normalize

LENGTH = 16  # hex digits: 64 bits, no collision in any store a team will keep


@lru_cache(maxsize=1)
def _masker() -> Masker:
    # No allowlist: an allow-listed number is stored as it is, and masks the same way on both sides.
    return Masker()


def shown_words(text: str | None) -> str:
    """The matched words as they enter the fingerprint and the suppressions file: PII masked, then folded."""
    if not text:
        return ""
    return normalize(_masker().mask(text)).text


def fingerprint(rule: str, conversation_id: str, message_index: int, text: str | None) -> str:
    """The fingerprint of a finding from its parts (`text`: the matched words, original or already masked)."""
    return fingerprint_of_shown(rule, conversation_id, message_index, shown_words(text))


def fingerprint_of_shown(rule: str, conversation_id: str, message_index: int, shown: str) -> str:
    key = "\x1f".join((rule, conversation_id, str(int(message_index)), shown))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:LENGTH]


def finding_fingerprint(finding) -> str:
    return fingerprint(finding.rule, finding.conversation_id, finding.message_index, finding.text)


def finding_ids(fingerprints: Iterable[str]) -> list[str]:
    """One id per finding of a conversation, in order: the fingerprint, with -N for its N-th repeat."""
    seen: dict[str, int] = {}
    out = []
    for fp in fingerprints:
        seen[fp] = seen.get(fp, 0) + 1
        out.append(fp if seen[fp] == 1 else f"{fp}-{seen[fp]}")
    return out


def base_fingerprint(finding_id: str) -> str:
    return finding_id.split("-", 1)[0]
