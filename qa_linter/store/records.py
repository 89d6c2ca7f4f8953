"""What a store keeps of one scanned conversation, computed once for every kind of store.

The SQLite store (`scan --store`) and the results table of a Spark scan (`results/`, read back by
`report weekly --results`) both record a conversation through these functions, so the weekly report sees
the same `StoredConversation` whichever engine scanned it: the same masked excerpts, the same finding ids,
the same auto-fail reasons and section breakdown.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterator

from ..fingerprint import finding_fingerprint, finding_ids
from ..masking import Masker, MaskedFinding, MaskedText, mask_finding
from .base import ScanResult, StoredConversation, StoredFinding


def utc_key(moment: datetime) -> str:
    """A fixed-width UTC text that sorts like the time it stands for (an aware datetime)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def start_keys(result: ScanResult) -> tuple[str | None, str | None, bool]:
    """(started_at as given, its UTC sort key, naive?) — a naive time is keyed as if it were UTC."""
    start = result.conversation.start_time
    if start is None:
        return None, None, False
    naive = start.tzinfo is None
    return start.isoformat(), utc_key(start.replace(tzinfo=timezone.utc) if naive else start), naive


def auto_fail_reasons(card: dict) -> list[str]:
    return sorted({a["reason"] for a in card.get("auto_fail", [])})


def masked_findings(result: ScanResult, masker: Masker) -> Iterator[tuple[object, MaskedFinding, str, str]]:
    """(finding, its masked excerpt and message, fingerprint, finding id) for every finding, in order."""
    conv = result.conversation
    prepared: dict[int, MaskedText] = {}
    fingerprints = [finding_fingerprint(f) for f in result.findings]
    for f, fp, finding_id in zip(result.findings, fingerprints, finding_ids(fingerprints)):
        text = conv.messages[f.message_index].text if 0 <= f.message_index < len(conv.messages) else ""
        if f.message_index not in prepared:
            prepared[f.message_index] = masker.prepare(text)
        yield f, mask_finding(masker, f, text, prepared[f.message_index]), fp, finding_id


def stored_conversation(result: ScanResult, masker: Masker) -> StoredConversation:
    """The conversation as a report reads it back from any store."""
    conv, card = result.conversation, result.scorecard
    passed = card.get("passed")
    findings = tuple(
        StoredFinding(f.rule, f.category, str(f.severity), f.message_index,
                      f.start if shown.located else None, f.end if shown.located else None,
                      shown.excerpt, shown.message, finding_id)
        for f, shown, _, finding_id in masked_findings(result, masker)
    )
    # Through JSON, as the SQLite store keeps them: the same dicts come back from every store.
    sections = tuple(json.loads(json.dumps(card.get("sections", []), ensure_ascii=False)))
    return StoredConversation(
        id=conv.id, channel=conv.channel, agent=conv.agent, team=conv.team, started_at=conv.start_time,
        messages=len(conv.messages), agent_messages=sum(1 for m in conv.messages if m.role == "agent"),
        score=card.get("score"), passed=None if passed is None else bool(passed),
        auto_fail=tuple(auto_fail_reasons(card)), sections=sections,
        rule_pack=result.rule_pack, scoring_model=result.scoring_model, scanned_at=result.scanned_at,
        findings=findings,
    )
