"""The hit filters stay exact and linear: keep_longest, drop_overlapping and drop_inside against their definitions.

A 50 MB message can carry hundreds of thousands of hits and as many exceptions. The filters used to compare
every hit with every kept hit or every exception (quadratic: 39 s for one 200,000-character message); they now
sort once and bisect. These properties pin them to the plain definitions they replaced.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_linter.text.matching import Hit, drop_inside, drop_overlapping, keep_longest


def _hit(span: tuple[int, int]) -> Hit:
    start, end = span
    return Hit(start, end, "x" * (end - start), start, end)


spans = st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1]))
hit_lists = st.lists(spans.map(_hit), max_size=40)


def _keep_longest_by_definition(hits: list[Hit]) -> list[Hit]:
    ordered = sorted(hits, key=lambda h: (h.nstart, -(h.nend - h.nstart)))
    kept: list[Hit] = []
    for hit in ordered:
        if any(hit.nstart >= k.nstart and hit.nend <= k.nend for k in kept):
            continue
        kept.append(hit)
    return kept


@settings(max_examples=300, deadline=None)
@given(hit_lists)
def test_keep_longest_equals_its_definition(hits):
    assert keep_longest(hits) == _keep_longest_by_definition(hits)


@settings(max_examples=300, deadline=None)
@given(hit_lists, hit_lists)
def test_drop_overlapping_equals_its_definition(hits, cancel):
    expected = [h for h in hits if not any(c.nstart < h.nend and h.nstart < c.nend for c in cancel)]
    assert drop_overlapping(hits, cancel) == expected


@settings(max_examples=300, deadline=None)
@given(hit_lists, st.lists(spans, max_size=20))
def test_drop_inside_equals_its_definition(hits, inside):
    expected = [h for h in hits if not any(s <= h.nstart and h.nend <= e for s, e in inside)]
    assert drop_inside(hits, inside) == expected


def test_a_message_with_thousands_of_hits_keeps_every_separate_one(builtin_linter):
    """Many hits and many exceptions in one message: every separate hit is still reported, the exceptions still cancel."""
    unit = "亲，我不知道。如果您不知道订单号也没关系。"
    text = unit * 3000
    findings = builtin_linter.scan({"id": "many", "messages": [{"role": "agent", "text": text}]})
    taboo = [f for f in findings if f.rule == "banned-phrase-taboo"]
    slang = [f for f in findings if f.rule == "slang-internet"]
    assert len(taboo) == 3000  # 我不知道 once per unit; the polite 如果您不知道 is an exception each time
    assert len(slang) == 3000
    assert all(text[f.start:f.end] == f.text for f in taboo + slang)
    assert {f.text for f in taboo} == {"我不知道"}
