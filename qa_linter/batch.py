"""Scanning a stream of inputs: conversations in, (conversation, findings) out, with a running summary."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .engine import Linter
from .model import Conversation, Finding, InputProblem, Severity


@dataclass
class ScanSummary:
    conversations: int = 0
    messages: int = 0
    findings: int = 0
    by_category: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)
    skipped: list[InputProblem] = field(default_factory=list)
    skipped_count: int = 0
    rule_problems: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0
    max_severity: Severity | None = None

    MAX_LISTED = 200  # problems listed one by one; the rest are only counted

    def add(self, conv: Conversation, findings: list[Finding]) -> None:
        self.conversations += 1
        self.messages += len(conv.messages)
        self.findings += len(findings)
        for f in findings:
            self.by_category[f.category] += 1
            self.by_rule[f.rule] += 1
            self.by_severity[str(f.severity)] += 1
            if self.max_severity is None or f.severity > self.max_severity:
                self.max_severity = f.severity

    def skip(self, problem: InputProblem) -> None:
        self.skipped_count += 1
        if len(self.skipped) < self.MAX_LISTED:
            self.skipped.append(problem)

    def finish(self, linter: Linter) -> None:
        self.elapsed = time.perf_counter() - self.started
        self.rule_problems = dict(linter.rule_problems)

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "findings": self.findings,
            "by_category": dict(sorted(self.by_category.items())),
            "by_rule": dict(sorted(self.by_rule.items())),
            "by_severity": dict(sorted(self.by_severity.items())),
            "skipped": self.skipped_count,
            "skipped_inputs": [p.to_dict() for p in self.skipped],
            "rule_problems": self.rule_problems,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def scan_items(
    linter: Linter, items: Iterable["Conversation | InputProblem"], summary: ScanSummary
) -> Iterator[tuple[Conversation, list[Finding]]]:
    for item in items:
        if isinstance(item, InputProblem):
            summary.skip(item)
            continue
        findings = linter.scan(item)
        summary.add(item, findings)
        yield item, findings
