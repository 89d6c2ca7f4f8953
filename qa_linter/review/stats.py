"""`qa-lint review stats`: what the stored verdicts say about the rules and about the reviewers.

Definitions (docs/review.md):
- A finding's verdict is its reviewers' majority (each reviewer's latest verdict counts once); a tie is
  *disputed* and left out of precision (and counted).
- Precision of a rule or category = confirmed / (confirmed + rejected) over its findings with a verdict, with a
  95 % Wilson interval and the count n it rests on.
- Misses: distinct (conversation, message, category) that any reviewer reported as missed.
- Machine against each reviewer: that reviewer's confirmed a, rejected b and missed c, their precision a/(a+b)
  and positive agreement 2a/(2a+b+c); the same over the team's majority verdicts.
- Reviewer against reviewer: Cohen's kappa for every pair on the findings both judged; Fleiss' kappa over the
  findings judged by the most reviewers (when that is three or more).
"""
from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ..labels import category_label
from ..store.review_tables import StoredMiss, StoredVerdict
from ..vocabulary import plural
from .agreement import Kappa, cohen_kappa, fleiss_kappa, positive_agreement, wilson

CORRECT, WRONG, DISPUTED = "correct", "wrong", "disputed"


def consensus(labels: Iterable[str]) -> str:
    counts = Counter(labels)
    if counts[CORRECT] > counts[WRONG]:
        return CORRECT
    if counts[WRONG] > counts[CORRECT]:
        return WRONG
    return DISPUTED


@dataclass
class Precision:
    key: str
    correct: int = 0
    wrong: int = 0
    disputed: int = 0
    missed: int = 0  # per category: problems of this category reviewers found the machine missed

    @property
    def n(self) -> int:
        return self.correct + self.wrong

    @property
    def precision(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.correct, self.n)

    def add(self, verdict: str) -> None:
        setattr(self, verdict, getattr(self, verdict) + 1)

    def to_dict(self, key_name: str) -> dict:
        low, high = self.interval or (None, None)
        out = {key_name: self.key, "n": self.n, "correct": self.correct, "wrong": self.wrong,
               "disputed": self.disputed, "precision": _r(self.precision), "ci_low": _r(low), "ci_high": _r(high)}
        if key_name == "category":
            out["label"] = category_label(self.key)
        if key_name != "rule":
            out["missed"] = self.missed
        return out


@dataclass
class ReviewerFigures:
    reviewer: str
    correct: int = 0
    wrong: int = 0
    missed: int = 0

    def to_dict(self) -> dict:
        n = self.correct + self.wrong
        return {"reviewer": self.reviewer, "judged": n, "correct": self.correct, "wrong": self.wrong,
                "missed": self.missed, "precision": _r(self.correct / n if n else None),
                "positive_agreement": _r(positive_agreement(self.correct, self.wrong, self.missed))}


@dataclass
class ReviewStats:
    scope: str
    verdicts: list[StoredVerdict]
    misses: list[StoredMiss]
    rules: dict[str, Precision] = field(default_factory=dict)
    categories: dict[str, Precision] = field(default_factory=dict)
    findings: dict[str, str] = field(default_factory=dict)  # finding id -> majority verdict
    reviewers: dict[str, ReviewerFigures] = field(default_factory=dict)
    pairs: list[tuple[str, str, Kappa]] = field(default_factory=list)
    fleiss: Kappa | None = None
    fleiss_raters: int = 0
    missed_keys: set = field(default_factory=set)

    @property
    def overall(self) -> Precision:
        total = Precision("all")
        for p in self.rules.values():
            total.correct += p.correct
            total.wrong += p.wrong
            total.disputed += p.disputed
        total.missed = len(self.missed_keys)
        return total

    @property
    def conversations(self) -> int:
        return len({v.conversation_id for v in self.verdicts} | {m.conversation_id for m in self.misses})

    def to_dict(self) -> dict:
        overall = self.overall
        return {
            "report": "review-stats",
            "scope": self.scope,
            "conversations": self.conversations,
            "findings_judged": len(self.findings),
            "verdicts": len(self.verdicts),
            "reviewers": sorted(self.reviewers),
            "overall": {**overall.to_dict("scope"),
                        "positive_agreement": _r(positive_agreement(overall.correct, overall.wrong, overall.missed))},
            "rules": [p.to_dict("rule") for p in _ordered(self.rules)],
            "categories": [p.to_dict("category") for p in _ordered(self.categories)],
            "machine_vs_reviewer": [self.reviewers[r].to_dict() for r in sorted(self.reviewers)],
            "reviewer_pairs": [{"reviewers": [a, b], **k.to_dict()} for a, b, k in self.pairs],
            "fleiss": None if self.fleiss is None else {"raters_per_finding": self.fleiss_raters, **self.fleiss.to_dict()},
        }


def _ordered(table: dict[str, Precision]) -> list[Precision]:
    return sorted(table.values(), key=lambda p: (-(p.n + p.disputed + p.missed), p.key))


def build_stats(verdicts: list[StoredVerdict], misses: list[StoredMiss], scope: str = "all") -> ReviewStats:
    stats = ReviewStats(scope, verdicts, misses)
    by_finding: dict[str, dict[str, str]] = defaultdict(dict)  # finding -> reviewer -> verdict
    about: dict[str, StoredVerdict] = {}
    for v in verdicts:
        by_finding[v.finding_id][v.reviewer] = v.verdict
        about.setdefault(v.finding_id, v)
        figures = stats.reviewers.setdefault(v.reviewer, ReviewerFigures(v.reviewer))
        setattr(figures, v.verdict, getattr(figures, v.verdict) + 1)
    for finding_id, judged in by_finding.items():
        verdict = consensus(judged.values())
        stats.findings[finding_id] = verdict
        v = about[finding_id]
        stats.rules.setdefault(v.rule, Precision(v.rule)).add(verdict)
        stats.categories.setdefault(v.category, Precision(v.category)).add(verdict)
    for m in misses:
        stats.reviewers.setdefault(m.reviewer, ReviewerFigures(m.reviewer)).missed += 1
        key = (m.conversation_id, m.message_index, m.category)
        if key not in stats.missed_keys:
            stats.missed_keys.add(key)
            stats.categories.setdefault(m.category, Precision(m.category)).missed += 1
    reviewers = sorted({v.reviewer for v in verdicts})
    for a, b in itertools.combinations(reviewers, 2):
        pairs = [(judged[a], judged[b]) for judged in by_finding.values() if a in judged and b in judged]
        if pairs:
            stats.pairs.append((a, b, cohen_kappa(pairs)))
    most = max((len(judged) for judged in by_finding.values()), default=0)
    if most >= 3:
        stats.fleiss_raters = most
        stats.fleiss = fleiss_kappa([list(judged.values()) for judged in by_finding.values() if len(judged) == most])
    return stats


# -- gold labels for calibrate ------------------------------------------------------------------------------------
@dataclass
class LabelExport:
    lines: list[dict]
    left_out: dict[str, str]  # conversation id -> why it was not exported


def export_labels(stats: ReviewStats, stored_findings: dict[str, list[str | None]]) -> LabelExport:
    """Gold labels in calibrate's format, one line per fully reviewed conversation.

    `stored_findings`: conversation id -> the ids of its findings in the store now. calibrate counts every
    finding of a labelled conversation that is not in its labels as a false positive, so only conversations
    whose every finding has a majority verdict are exported; their labels are the confirmed findings plus the
    misses reviewers reported, one per (message, category) as calibrate keys them.
    """
    by_conv: dict[str, dict[tuple[int, str], list[str]]] = defaultdict(dict)
    notes: dict[str, list[str]] = defaultdict(list)
    reviewed = {v.conversation_id for v in stats.verdicts} | {m.conversation_id for m in stats.misses}
    for v in stats.verdicts:
        if stats.findings.get(v.finding_id) == CORRECT:
            by_conv[v.conversation_id].setdefault((v.message_index, v.category), [])
            if v.note:
                by_conv[v.conversation_id][(v.message_index, v.category)].append(f"{v.reviewer}: {v.note}")
    for m in stats.misses:
        entry = by_conv[m.conversation_id].setdefault((m.message_index, m.category), [])
        entry.append(f"{m.reviewer}: {m.note}" if m.note else f"{m.reviewer}: missed")
    lines, left_out = [], {}
    for conv_id in sorted(reviewed):
        ids = stored_findings.get(conv_id)
        if ids is None:
            left_out[conv_id] = "not in the store any more"
            continue
        if any(i is None for i in ids):
            left_out[conv_id] = "recorded before finding ids; scan it again"
            continue
        open_ = [i for i in ids if stats.findings.get(i) not in (CORRECT, WRONG)]
        if open_:
            disputed = sum(1 for i in open_ if stats.findings.get(i) == DISPUTED)
            left_out[conv_id] = f"{plural(len(open_), 'finding')} without a verdict" + (f" ({disputed} disputed)" if disputed else "")
            continue
        labels = by_conv.get(conv_id, {})
        lines.append({"id": conv_id, "findings": [
            {"message_index": index, "category": category, "note": "; ".join(dict.fromkeys(n for n in labels[(index, category)]))}
            for index, category in sorted(labels)
        ]})
    return LabelExport(lines, left_out)


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
