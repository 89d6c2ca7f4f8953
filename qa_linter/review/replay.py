"""`qa-lint replay`: what a changed rule pack or configuration would have done to stored results.

The store's transcripts (pseudonymised, store/transcripts.py) are scanned again with the new rules, scored
with the scoring model, and compared with what the store recorded:
- findings added and removed, per rule, with examples — matched by finding id (qa_linter/fingerprint.py), so a
  finding counts as kept when the same rule flags the same words in the same message;
- conversations whose pass/fail verdict flips, and score changes per team and agent;
- the new pack's precision on findings reviewers judged, next to the stored pack's: a finding with a majority
  verdict keeps it whether it is kept, removed or found again by the new pack.

The stored results are the baseline, whatever pack produced them (the stored rule pack fingerprints are shown):
replaying with the unchanged configuration reports no difference when the store was filled with it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable

from ..masking import Masker
from ..model import Conversation, Finding
from ..store.base import StoredConversation
from .agreement import wilson
from ..fingerprint import finding_fingerprint, finding_ids
from .sample import HIT_CLOSE, HIT_OPEN, excerpt_parts
from .stats import CORRECT, WRONG, build_stats

EXAMPLES = 3


@dataclass
class Change:
    finding_id: str
    conversation_id: str
    message_index: int
    rule: str
    category: str
    parts: tuple[str, str, str]  # the excerpt: before, the hit, after (PII masked)

    @property
    def excerpt(self) -> str:
        before, hit, after = self.parts
        return before + (HIT_OPEN + hit + HIT_CLOSE if hit else "") + after


@dataclass
class ConversationReplay:
    stored: StoredConversation
    after_score: float | None
    after_passed: bool | None
    added: list[Change]
    removed: list[Change]

    @property
    def flipped(self) -> bool:
        return self.stored.passed != self.after_passed


@dataclass
class Replay:
    scope: str
    rule_pack: str
    scoring_model: str
    conversations: list[ConversationReplay] = field(default_factory=list)
    without_transcript: list[str] = field(default_factory=list)
    suppressed: int = 0
    before_rules: Counter = field(default_factory=Counter)
    after_rules: Counter = field(default_factory=Counter)
    categories: dict[str, str] = field(default_factory=dict)
    # precision on reviewed findings
    before_verdicts: Counter = field(default_factory=Counter)
    after_verdicts: Counter = field(default_factory=Counter)
    removed_verdicts: Counter = field(default_factory=Counter)
    added_reviewed: int = 0
    added_unreviewed: int = 0
    caught: set = field(default_factory=set)  # reported misses (conversation, message, category) the new pack finds
    source: str = ""

    # -- the figures ------------------------------------------------------------------------------------------
    def rules(self) -> list[dict]:
        added, removed = defaultdict(list), defaultdict(list)
        for c in self.conversations:
            for ch in c.added:
                added[ch.rule].append(ch)
            for ch in c.removed:
                removed[ch.rule].append(ch)
        rows = []
        for rule in set(self.before_rules) | set(self.after_rules) | set(added) | set(removed):
            rows.append({
                "rule": rule, "category": self.categories.get(rule, ""),
                "before": self.before_rules[rule], "after": self.after_rules[rule],
                "added": len(added[rule]), "removed": len(removed[rule]),
                "examples_added": [_example(ch) for ch in added[rule][:EXAMPLES]],
                "examples_removed": [_example(ch) for ch in removed[rule][:EXAMPLES]],
            })
        rows.sort(key=lambda r: (-(r["added"] + r["removed"]), -r["before"], r["rule"]))
        return rows

    def flips(self) -> list[dict]:
        return [_conversation_row(c) for c in self.conversations if c.flipped]

    def score_changes(self) -> list[dict]:
        changed = [c for c in self.conversations if c.stored.score != c.after_score]
        changed.sort(key=lambda c: (-abs((c.after_score or 0) - (c.stored.score or 0)), c.stored.id))
        return [_conversation_row(c) for c in changed]

    def groups(self, key: str) -> list[dict]:
        by: dict[str, list[ConversationReplay]] = defaultdict(list)
        for c in self.conversations:
            by[getattr(c.stored, key) or ""].append(c)
        rows = []
        for name in sorted(by):
            convs = by[name]
            before = [c.stored.score for c in convs if c.stored.score is not None]
            after = [c.after_score for c in convs if c.after_score is not None]
            judged_before = [c.stored.passed for c in convs if c.stored.passed is not None]
            judged_after = [c.after_passed for c in convs if c.after_passed is not None]
            avg_before = _mean(before)
            avg_after = _mean(after)
            rows.append({
                key: name, "conversations": len(convs),
                "average_score_before": _r(avg_before, 2), "average_score_after": _r(avg_after, 2),
                "score_change": _r(avg_after - avg_before, 2) if avg_before is not None and avg_after is not None else None,
                "pass_rate_before": _r(_share(judged_before), 4), "pass_rate_after": _r(_share(judged_after), 4),
                "flipped": sum(1 for c in convs if c.flipped),
            })
        rows.sort(key=lambda r: (r["score_change"] if r["score_change"] is not None else 0, r[key]))
        return rows

    def precision(self) -> dict:
        return {
            "before": _precision(self.before_verdicts),
            "after": _precision(self.after_verdicts),
            "removed_correct": self.removed_verdicts[CORRECT],
            "removed_wrong": self.removed_verdicts[WRONG],
            "added_reviewed": self.added_reviewed,
            "added_unreviewed": self.added_unreviewed,
            "misses_caught": len(self.caught),
        }

    def to_dict(self) -> dict:
        added = sum(len(c.added) for c in self.conversations)
        removed = sum(len(c.removed) for c in self.conversations)
        packs = Counter(c.stored.rule_pack for c in self.conversations)
        return {
            "report": "replay",
            "scope": self.scope,
            "source": self.source,
            "rule_pack": self.rule_pack,
            "scoring_model": self.scoring_model,
            "stored_rule_packs": [{"rule_pack": p, "conversations": n} for p, n in packs.most_common()],
            "conversations": len(self.conversations),
            "without_transcript": len(self.without_transcript),
            "suppressed": self.suppressed,
            "findings": {"before": sum(self.before_rules.values()), "after": sum(self.after_rules.values()),
                         "added": added, "removed": removed},
            "flipped": sum(1 for c in self.conversations if c.flipped),
            "rules": self.rules(),
            "flips": self.flips(),
            "score_changes": self.score_changes(),
            "teams": self.groups("team"),
            "agents": self.groups("agent"),
            "precision": self.precision(),
        }


def _example(ch: Change) -> dict:
    return {"conversation_id": ch.conversation_id, "message_index": ch.message_index, "excerpt": ch.excerpt,
            "parts": list(ch.parts), "finding_id": ch.finding_id}


def _conversation_row(c: ConversationReplay) -> dict:
    s = c.stored
    return {"id": s.id, "agent": s.agent or "", "team": s.team or "",
            "score_before": s.score, "passed_before": s.passed, "score_after": c.after_score, "passed_after": c.after_passed,
            "score_change": _r(c.after_score - s.score, 1) if c.after_score is not None and s.score is not None else None,
            "added": sorted(Counter(ch.rule for ch in c.added).items()),
            "removed": sorted(Counter(ch.rule for ch in c.removed).items())}


def _precision(counts: Counter) -> dict:
    n = counts[CORRECT] + counts[WRONG]
    low, high = wilson(counts[CORRECT], n) or (None, None)
    return {"n": n, "correct": counts[CORRECT], "wrong": counts[WRONG], "precision": _r(counts[CORRECT] / n if n else None, 4),
            "ci_low": _r(low, 4), "ci_high": _r(high, 4)}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(values: list[bool]) -> float | None:
    return sum(1 for v in values if v) / len(values) if values else None


def _r(value, digits: int):
    return None if value is None else round(value, digits)


# -- running it ---------------------------------------------------------------------------------------------------
def run_replay(store, convs: list[StoredConversation], linter, scoring, masker: Masker,
               suppress: Callable[[list[Finding]], list[Finding]] | None, scope: str) -> Replay:
    result = Replay(scope, linter.pack.fingerprint, scoring.fingerprint, source=getattr(store, "location", ""))
    result.categories = {r.id: r.category for r in linter.rules}
    reported = store.misses()
    stats = build_stats(store.verdicts(), reported)
    misses = {(m.conversation_id, m.message_index, m.category) for m in reported}
    transcripts = store.transcripts(c.id for c in convs)
    for stored in convs:
        transcript = transcripts.get(stored.id)
        if transcript is None:
            result.without_transcript.append(stored.id)
            continue
        findings = linter.scan(transcript)
        if suppress is not None and findings:
            kept = suppress(findings)
            result.suppressed += len(findings) - len(kept)
            findings = kept
        result.conversations.append(_compare(result, stored, transcript, findings, scoring, masker, stats.findings, misses))
    return result


def _compare(result: Replay, stored: StoredConversation, transcript: Conversation, findings: list[Finding], scoring,
             masker: Masker, verdicts: dict[str, str], misses: set) -> ConversationReplay:
    card = scoring.score(transcript, findings)
    new = dict(zip(finding_ids(finding_fingerprint(f) for f in findings), findings))
    old = {f.finding_id: f for f in stored.findings if f.finding_id is not None}
    for f in stored.findings:
        result.before_rules[f.rule] += 1
        result.categories.setdefault(f.rule, f.category)
        if f.finding_id in verdicts and verdicts[f.finding_id] in (CORRECT, WRONG):
            result.before_verdicts[verdicts[f.finding_id]] += 1
    for finding_id, f in new.items():
        result.after_rules[f.rule] += 1
        if verdicts.get(finding_id) in (CORRECT, WRONG):
            result.after_verdicts[verdicts[finding_id]] += 1
    added, removed = [], []
    for finding_id, f in new.items():
        if finding_id in old:
            continue
        text = transcript.messages[f.message_index].text if 0 <= f.message_index < len(transcript.messages) else ""
        added.append(Change(finding_id, stored.id, f.message_index, f.rule, f.category, excerpt_parts(masker, text, f.start, f.end)))
        if verdicts.get(finding_id) in (CORRECT, WRONG):
            result.added_reviewed += 1
        else:
            result.added_unreviewed += 1
        if (stored.id, f.message_index, f.category) in misses:
            result.caught.add((stored.id, f.message_index, f.category))
    for finding_id, f in old.items():
        if finding_id in new:
            continue
        text = transcript.messages[f.message_index].text if 0 <= f.message_index < len(transcript.messages) else ""
        removed.append(Change(finding_id, stored.id, f.message_index, f.rule, f.category, excerpt_parts(masker, text, f.start, f.end)))
        if verdicts.get(finding_id) in (CORRECT, WRONG):
            result.removed_verdicts[verdicts[finding_id]] += 1
    return ConversationReplay(stored, card.total, card.passed, added, removed)
