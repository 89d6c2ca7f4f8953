"""`qa-lint review sample`: which conversations a review sheet holds, and its rows.

The sample: every auto-fail conversation (with --all-auto-fail) plus N random conversations per agent, drawn
from that agent's other conversations. Each agent's draw has its own random generator seeded with
(seed, agent), so the same seed over the same store gives the same sheet, and an agent added to the store
does not change the other agents' samples.

The rows: one per finding of a sampled conversation (its stable id, where it is, the excerpt with the hit
marked 【like this】, PII masked) and, after them, one row for the conversation for what the machine
missed: the reviewer sets verdict = missed and fills in category and message_index (copying the row for a
second miss).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable

from ..masking import Masker
from ..model import Conversation
from ..store.base import StoredConversation, StoredFinding

SHEET_COLUMNS = ("finding_id", "conversation_id", "agent", "message_index", "rule", "category", "severity",
                 "excerpt", "message", "verdict", "reviewer", "note")
VERDICTS = ("correct", "wrong", "missed")
HIT_OPEN, HIT_CLOSE = "【", "】"
CONTEXT = 30  # characters shown on each side of the hit
MISSED_HINT = "（漏检行：如发现机器漏掉的问题，verdict 填 missed，并填写 category 和 message_index；多个漏检请复制本行）"
REASON_AUTO_FAIL, REASON_RANDOM = "auto-fail", "random"


@dataclass(frozen=True)
class Sampled:
    conversation: StoredConversation
    reason: str  # auto-fail | random


def choose(conversations: Iterable[StoredConversation], per_agent: int, all_auto_fail: bool, seed: int) -> list[Sampled]:
    convs = sorted(conversations, key=lambda c: c.id)
    chosen: dict[str, Sampled] = {}
    if all_auto_fail:
        for c in convs:
            if c.auto_fail:
                chosen[c.id] = Sampled(c, REASON_AUTO_FAIL)
    by_agent: dict[str, list[StoredConversation]] = {}
    for c in convs:
        if c.id not in chosen:
            by_agent.setdefault(c.agent or "", []).append(c)
    for agent in sorted(by_agent):
        pool = by_agent[agent]
        rng = random.Random(f"{seed}/{agent}")
        for c in rng.sample(pool, min(per_agent, len(pool))):
            chosen[c.id] = Sampled(c, REASON_RANDOM)
    return sorted(chosen.values(), key=lambda s: (s.conversation.agent or "", s.conversation.id))


def marked_excerpt(masker: Masker, text: str, start: int | None, end: int | None, width: int = CONTEXT) -> str:
    """One line around the hit, the hit in 【】, PII masked (the cut points are those of the original text)."""
    before, hit, after = excerpt_parts(masker, text, start, end, width)
    return before + (HIT_OPEN + hit + HIT_CLOSE if hit else "") + after


def excerpt_parts(masker: Masker, text: str, start: int | None, end: int | None, width: int = CONTEXT) -> tuple[str, str, str]:
    """(before, hit, after) on one line, PII masked; a finding without a place gives the message's start."""
    masked = masker.prepare(text)
    if start is None or end is None or not (0 <= start < end <= len(text)):
        flat = _flat(masked.text)
        return (flat if len(flat) <= 2 * width else flat[:2 * width] + "…"), "", ""
    lo, hi = max(0, start - width), min(len(text), end + width)
    return (("…" if lo else "") + _flat(masked.slice(lo, start)), _flat(masked.slice(start, end)),
            _flat(masked.slice(end, hi)) + ("…" if hi < len(text) else ""))


def _flat(text: str) -> str:
    return " ".join(text.split())


def finding_row(conv: StoredConversation, f: StoredFinding, transcript: Conversation | None, masker: Masker) -> dict:
    if transcript is not None and 0 <= f.message_index < len(transcript.messages):
        excerpt = marked_excerpt(masker, transcript.messages[f.message_index].text, f.start, f.end)
    else:
        excerpt = f.excerpt  # recorded before transcripts were kept: masked, without the mark
    return {"finding_id": f.finding_id, "conversation_id": conv.id, "agent": conv.agent or "",
            "message_index": f.message_index, "rule": f.rule, "category": f.category, "severity": f.severity,
            "excerpt": excerpt, "message": f.message, "verdict": "", "reviewer": "", "note": ""}


def missed_row(conv: StoredConversation) -> dict:
    return {"finding_id": "", "conversation_id": conv.id, "agent": conv.agent or "", "message_index": "",
            "rule": "", "category": "", "severity": "", "excerpt": MISSED_HINT, "message": "", "verdict": "",
            "reviewer": "", "note": ""}


@dataclass
class Sheet:
    rows: list[dict]
    sampled: list[Sampled]
    transcripts: dict[str, Conversation]
    without_ids: int  # findings that cannot be reviewed (recorded before finding ids)

    @property
    def findings(self) -> int:
        return sum(1 for r in self.rows if r["finding_id"])


def build_sheet(sampled: list[Sampled], transcripts: dict[str, Conversation], masker: Masker) -> Sheet:
    rows: list[dict] = []
    without_ids = 0
    for s in sampled:
        conv = s.conversation
        for f in conv.findings:
            if f.finding_id is None:
                without_ids += 1
                continue
            rows.append(finding_row(conv, f, transcripts.get(conv.id), masker))
        rows.append(missed_row(conv))  # right after the conversation's findings: reviewed in one go
    return Sheet(rows, sampled, transcripts, without_ids)
