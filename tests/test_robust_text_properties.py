"""Property-based tests of the whole text pipeline on hostile Unicode.

For any surrogate-free string (random code points, CJK of every block, combining marks, emoji ZWJ sequences,
bidi controls, NUL, very long lines): normalising, segmenting, matching and scanning with the built-in pack
never raise and never record a rule problem; the normalised offsets map monotonically into the original;
and every finding's start/end slice the original message to exactly its `text`.

Example counts stay modest so the suite stays fast; a failure prints the minimal string that breaks it.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_linter.text.normalize import normalize

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that exercise every branch of the normaliser and the segmenter, plus words the built-in pack flags
# (so scans really produce findings whose offsets can be checked).
HOSTILE_PIECES = [
    # CJK: common, Traditional (folded), Extension A and B, compatibility ideographs
    "我", "不", "知", "道", "您", "好", "親", "這", "問", "題", "㐀", "\U00020000", "\U0002a6d6", "豈",
    # Latin that folds in surprising ways: full width, dotted capital I, sharp s, title-case digraph, ligatures
    "Ａ", "ｂ", "１", "A", "z", "İ", "ß", "ẞ", "ǅ", "ﬁ", "ﷺ", "①", "㍿",
    # combining marks, on their own and after a letter or a CJK character
    "\u0301", "\u0308", "e\u0301", "不\u0301", "\u20dd",
    # emoji: modifiers, ZWJ families, flags, keycaps, variation selectors, tags
    "👍🏽", "👨\u200d👩\u200d👧", "🇨🇳", "1\ufe0f\u20e3", "\ufe0f", "🏴\U000e0067\U000e0062\U000e007f", "\U000e0100",
    # invisible and bidi controls, NUL and other C0/C1 controls, odd line breaks
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202e", "\u2066", "\u2069", "\u00ad",
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\r", "\n", "\t",
    # spaces and the separators the normaliser folds between CJK characters
    " ", "\u3000", "\u00a0", ".", "·", "•", "*", "_", "~", "-", "|", "/", "\\", "'", '"', "`", "^", "+", "=", "、",
    # sentence punctuation (never folded)
    "，", "。", "！", "？", "：", "（", "）", "【", "】",
    # words and phrases the built-in pack reacts to
    "我不知道", "不归我管", "亲", "亲爱的", "yyds", "密码", "验证码发给我", "13800138000", "110101199003074578",
    "远程", "向日葵", "DNS", "您好", "再见", "抱歉",
]

hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), max_size=40).map("".join)
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
# A very long line: one drawn piece of text repeated, optionally wrapped in triggers, up to ~20,000 characters.
long_line = st.builds(
    lambda piece, times, head, tail: head + piece * times + tail,
    st.one_of(hostile_text, any_text).filter(bool),
    st.integers(1, 500),
    st.sampled_from(["", "亲，", "我 不 知 道", "\u202e"]),
    st.sampled_from(["", "密码发给我", "再见"]),
)
texts = st.one_of(hostile_text, any_text, long_line)


def assert_offsets_map_back(original: str) -> None:
    n = normalize(original)
    assert n.original == original
    if n.starts is None:  # identity: nothing moved
        assert len(n.text) == len(original)
        return
    assert len(n.starts) == len(n.ends) == len(n.text)
    previous_start = previous_end = 0
    for start, end in zip(n.starts, n.ends):
        assert 0 <= start < end <= len(original)
        assert start >= previous_start and end >= previous_end  # monotonic: later folded text, later original
        previous_start, previous_end = start, end


@PROPERTY_SETTINGS
@given(texts)
def test_normalised_offsets_are_inside_the_original_and_monotonic(original):
    assert_offsets_map_back(original)


@PROPERTY_SETTINGS
@given(texts, st.data())
def test_any_folded_span_maps_to_an_ordered_span_of_the_original(original, data):
    n = normalize(original)
    i = data.draw(st.integers(0, len(n.text)))
    j = data.draw(st.integers(i, len(n.text)))
    start, end = n.to_original(i, j)
    assert 0 <= start <= end <= len(original)


@PROPERTY_SETTINGS
@given(hostile_text)
def test_normalising_is_idempotent_on_its_own_output(original):
    """Folding folded text changes nothing: a term list written in folded form matches what messages fold to.

    (Not over arbitrary code points: NFKC turns spacing accents such as U+00B8 into a space plus a combining
    mark, and that space is then dropped on a second pass. No Chinese text or listed term contains them.)
    """
    once = normalize(original).text
    assert normalize(once).text == once


@pytest.fixture(scope="module")
def segmenter(builtin_linter):
    seg = builtin_linter.pack.toolkit.segmenter
    seg.warm_up()
    return seg


@PROPERTY_SETTINGS
@given(texts, st.data())
def test_segmenting_never_raises_and_words_are_slices(segmenter, original, data):
    folded = normalize(original).text
    bounds = segmenter.boundaries(folded)
    i = data.draw(st.integers(0, len(folded)))
    j = data.draw(st.integers(i, len(folded)))
    assert bounds.covers(0, len(folded))
    bounds.covers(i, j)  # any answer is fine; it must not raise
    previous_end = 0
    for word, start, end in segmenter.words(folded):
        assert folded[start:end] == word and not word.isspace()
        assert start >= previous_end
        previous_end = end


def _conversation(agent_text: str, customer_text: str) -> dict:
    return {
        "id": "hypothesis",
        "messages": [
            {"role": "customer", "text": customer_text},
            {"role": "agent", "text": agent_text},
            {"role": "system", "text": agent_text},
            {"role": "agent", "text": customer_text + agent_text},
        ],
    }


@PROPERTY_SETTINGS
@given(texts, texts)
def test_scanning_never_fails_and_every_finding_slices_its_message(builtin_linter, agent_text, customer_text):
    conversation = _conversation(agent_text, customer_text)
    findings = builtin_linter.scan(conversation)
    assert builtin_linter.rule_problems == {}, builtin_linter.rule_problems
    messages = conversation["messages"]
    for finding in findings:
        assert 0 <= finding.message_index < len(messages)
        if finding.start is None:
            continue
        text = messages[finding.message_index]["text"]
        assert 0 <= finding.start <= finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.text
    assert findings == sorted(findings, key=lambda f: f.sort_key())


@PROPERTY_SETTINGS
@given(texts, texts)
def test_the_presend_check_never_fails_and_slices_the_draft(builtin_linter, draft, context_text):
    result = builtin_linter.check_reply(draft, [{"role": "customer", "text": context_text}])
    assert builtin_linter.rule_problems == {}, builtin_linter.rule_problems
    for finding in result.findings:
        if finding.start is not None:
            assert draft[finding.start : finding.end] == finding.text


def test_known_words_inside_hostile_text_are_still_found(builtin_linter):
    """Sanity check that the strategies above do reach findings: the properties are not vacuous."""
    text = "\u202e亲\u200b，我 不 知 道\x00，验证码发给我👨\u200d👩\u200d👧"
    findings = builtin_linter.scan(_conversation(text, "您好"))
    rules = {f.rule for f in findings if f.message_index == 1}
    assert {"banned-phrase-taboo", "slang-internet", "credential-request"} <= rules
    for finding in findings:
        if finding.start is not None:
            message = _conversation(text, "您好")["messages"][finding.message_index]["text"]
            assert message[finding.start : finding.end] == finding.text


@pytest.mark.parametrize("unit", ["1", "1.", "a-", "1-", "a.", "我 "])
def test_a_long_run_of_one_kind_of_character_makes_no_pattern_time_out(builtin_linter, unit):
    """A pasted log or number (1.1.1.…, 0000…) must not make a search restart at every character and rescan the
    rest of the run: such a pattern ran for seconds and its rule was skipped (benchmarks/pattern_worst_case.py)."""
    # The words before the run give the patterns their gates: slang digits (666), a jargon term, a host name.
    text = "666 请把DNS改成 example.cn 的，日志如下 " + unit * (12_000 // len(unit))
    builtin_linter.scan({"id": "run", "messages": [{"role": "customer", "text": text}, {"role": "agent", "text": text}]})
    assert builtin_linter.rule_problems == {}, builtin_linter.rule_problems
