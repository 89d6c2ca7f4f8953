"""The lookups a long message asks thousands of times give what their plain definitions give.

A 200,000-character message with a finding every few characters asked each of these once per finding or per
condition region, and each looked through the whole message: 25 s for one message, time growing with its square.
They now bisect; these tests hold them to the definitions they replaced (benchmarks/large_inputs.py --dense shows
the scan staying linear)."""
from __future__ import annotations

import random

import pytest

from qa_linter import Linter
from qa_linter.engine import _one_per_words
from qa_linter.model import Conversation, Finding, Message, Severity
from qa_linter.text.clauses import ClauseIndex, split


def _naive_one_per_words(findings, order):
    spans = [f for f in findings if f.start is not None and f.end is not None]
    if len(spans) < 2:
        return findings
    dropped = set()
    groups = {}
    for f in spans:
        groups.setdefault((f.message_index, f.category), []).append(f)
    for group in groups.values():
        ranked = sorted(group, key=lambda f: (-int(Severity.parse(f.severity)), -(f.end - f.start),
                                              order.get(f.rule, len(order)), f.start, f.rule))
        kept = []
        for f in ranked:
            if any(f.start < k.end and k.start < f.end for k in kept):
                dropped.add(id(f))
            else:
                kept.append(f)
    return [f for f in findings if id(f) not in dropped]


@pytest.mark.parametrize("seed", range(20))
def test_one_finding_per_words_keeps_what_the_plain_definition_keeps(seed):
    rng = random.Random(seed)
    rules = ["a", "b", "c", "d"]
    findings = []
    for _ in range(rng.randint(0, 300)):
        start = rng.randint(0, 400)
        findings.append(Finding("c", rng.randint(0, 2), "agent", rng.choice(rules), rng.choice(["slang", "emoji"]),
                                rng.choice([Severity.ERROR, Severity.WARNING, Severity.INFO]), "m",
                                start, start + rng.randint(0, 12), "x"))  # empty spans too
    findings.append(Finding("c", 0, "agent", "a", "slang", Severity.INFO, "whole conversation"))  # no span
    order = {rule: i for i, rule in enumerate(rules)}
    assert _one_per_words(findings, order) == _naive_one_per_words(findings, order)


@pytest.mark.parametrize("seed", range(20))
def test_sentences_and_overlapping_clauses_are_what_a_walk_over_every_clause_finds(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice(["我", "不知道", "，", "。", "？", "但是", "好的", "a", " ", "！"]) for _ in range(rng.randint(0, 200)))
    clauses = split(text)
    index = ClauseIndex(clauses)
    for clause in clauses:
        members = [c for c in clauses if c.sentence == clause.sentence]
        assert index.sentence_span(clause) == (members[0].start, members[-1].end)
    for _ in range(50):
        lo = rng.randint(0, len(text) + 1)
        hi = rng.randint(lo, len(text) + 2)
        assert index.overlapping(lo, hi) == [c for c in clauses if c.start < hi and c.end > lo]


def test_a_long_message_full_of_findings_is_judged_as_its_parts_are():
    """Conditions asked by region (a clause, a sentence) over thousands of hits in one message: each part of the
    message, scanned alone, gets the findings the long message gets there."""
    linter = Linter.from_config()
    unit = "亲，这个我不知道，您自己看一下说明书吧。如果您不知道订单号也没关系。请拨打 137 0000 1111。"
    whole = linter.scan(Conversation("long", [Message(0, "customer", "太慢了！！！"), Message(1, "agent", unit * 2000)]))
    alone = linter.scan(Conversation("one", [Message(0, "customer", "太慢了！！！"), Message(1, "agent", unit)]))
    per_unit = sorted((f.rule, f.start, f.end) for f in alone if f.message_index == 1 and f.start is not None)
    assert len(per_unit) >= 4
    found = sorted((f.rule, f.start % len(unit), f.end - f.start + f.start % len(unit))
                   for f in whole if f.message_index == 1 and f.start is not None)
    assert found == sorted(per_unit * 2000)
    assert not linter.rule_problems


def test_candidates_out_of_order_are_asked_one_by_one():
    from types import SimpleNamespace

    from qa_linter.text.matching import _candidate_ends

    view = SimpleNamespace()
    assert _candidate_ends(view, 0, [(0, 2, 0), (1, 3, 1), (5, 7, 0)]) == [2, 3, 7]
    assert _candidate_ends(view, 1, [(5, 7, 0), (0, 2, 1)]) is None  # not in order of their ends: no bisection
    assert view._candidate_ends == {0: [2, 3, 7], 1: None}  # kept with the view


def test_a_lists_spans_within_a_region_are_those_of_the_whole_message_there():
    from qa_linter.analysis import ConversationView

    linter = Linter.from_config()
    matcher = next(r for r in linter.pack.rules if r.id == "jargon-unexplained").terms.terms
    text = "请检查DNS和路由器的网关设置，光猫重启后看IP地址。智能网关也一样。" * 300
    view = ConversationView(Conversation("terms", [Message(0, "agent", text)]), linter.pack.toolkit).messages[0]
    everywhere = matcher.spans(view)
    assert len(view.term_candidates().get(matcher.list_id)) > 32  # long enough to be searched by bisection
    rng = random.Random(7)
    length = len(view.norm.text)
    for _ in range(300):
        lo = rng.randint(0, length)
        hi = rng.randint(lo, min(length, lo + rng.choice([5, 30, 200])))
        assert list(matcher.spans_within(view, lo, hi)) == [(s, e) for s, e in everywhere if lo <= s and e <= hi]
