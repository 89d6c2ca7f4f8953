"""Rule patterns search short texts without the `regex` timeout when their structure bounds the search
(prefilter.untimed_limit, matching.guarded_finditer): the same matches, and the timeout kept wherever a search
could run long."""
import regex
import pytest

from qa_linter.engine import Linter
from qa_linter.text import matching
from qa_linter.text.matching import PatternMatcher, untimed_of
from qa_linter.text.prefilter import UNTIMED_TEXT, untimed_limit
from qa_linter.analysis import Toolkit
from qa_linter.vocabulary import PATTERN_FLAGS
from test_matching import _view


def limit(source: str, flags: int = PATTERN_FLAGS) -> int:
    return untimed_limit(regex.compile(source, flags))


@pytest.mark.parametrize("source", [r"(a|aa)+$", r"(a+)+b", r"(x+x+)+y", r"(\d|\d\d)*#", r"(a|ab)+c", r"(.*a){8}"])
def test_patterns_that_can_backtrack_without_end_keep_the_timeout_past_a_few_characters(source):
    assert limit(source) < 30


@pytest.mark.parametrize("source", [
    r"(?:abc){e<=1}",  # fuzzy matching: sre would read the braces as text
    r"(a)?(?(1)b|c)",  # a conditional
    r"(a?)*b",  # a repetition without a bound whose rounds may read nothing
    r"[[:alpha:]]+",
])
def test_what_the_analysis_does_not_read_keeps_the_timeout(source):
    assert limit(source) == 0


def test_flags_the_analysis_does_not_read_keep_the_timeout():
    assert limit(r"abc", regex.V1) == 0 and limit(r"abc", regex.BESTMATCH) == 0
    assert limit(r"abc") == UNTIMED_TEXT


def test_the_limit_shrinks_as_the_ways_to_match_grow():
    one = limit(r"[\d一二三]+(次|回)")
    two = limit(r"[\d一二三]+[\d一二三]+(次|回)")
    assert 512 <= one and two < one
    # Alternatives that start with different characters: only one gets past its first, so a repetition of them
    # grows by the text's length, not by powers of the alternatives' number.
    assert limit(r"我(这边|先|再|来|去|帮您)*(看看|看一下)") >= 256
    assert limit(r"我(这边|这边|先)*(看看|看一下)") < 64


def test_the_built_in_pack_searches_most_chat_messages_untimed():
    linter = Linter.from_config()
    patterns = [p for rule in linter.pack.rules for m in rule.matchers() for p in getattr(m.patterns, "compiled", ())]
    limits = [untimed_of(p) for p in patterns]
    assert len(limits) > 300
    assert sum(x >= 512 for x in limits) > 0.7 * len(limits)


def test_a_short_text_is_searched_without_the_timeout_and_a_long_one_with_it(monkeypatch):
    asked = []
    real = matching.regex_timeout
    monkeypatch.setattr(matching, "regex_timeout", lambda text: asked.append(len(text)) or real(text))
    source = r"(看看|确认一下)[^。]{0,12}(是否|能不能)"
    matcher = PatternMatcher([source])
    short = "请您确认一下网络是否正常"
    assert [h.text for h in matcher.find(_view(Toolkit(), short))] == ["确认一下网络是否"]
    assert asked == []
    long = "好" * limit(source) + short
    assert [h.text for h in matcher.find(_view(Toolkit(), long))] == ["确认一下网络是否"]
    assert asked == [len(long)]


def test_a_catastrophic_pattern_on_a_message_is_still_stopped():
    matcher = PatternMatcher([r"(a|aa)+$"])
    with pytest.raises(matching.RegexTimeout):
        matcher.find(_view(Toolkit(), "a" * 60 + "!"))


def test_the_bound_counts_every_step_a_search_can_take():
    """(?:一二|三四|五六){0,400}七 from one place: each of 400 rounds tries three first characters and reads the two of
    the one that matches (5 steps), each of the 401 counts is a decision to stop, and 七 is tried after each: 2,802
    steps; 2,000,000 steps over the text's places allow 713 characters."""
    assert limit(r"(?:一二|三四|五六){0,400}七") == 2_000_000 // 2_802 == 713
    # Ignoring case, a and A both start "ab" and "Ab": letters do not make alternatives distinct.
    assert limit(r"(?:ab|cd|ef){0,400}x") < 20
