"""Word-aware term matching: the traps of issue 2, offsets in the original text, exceptions, regex timeouts."""
from __future__ import annotations

import pytest

from packs import agent_says, pack, texts
from qa_linter.analysis import MessageView, Toolkit
from qa_linter.model import Message
from qa_linter.text.lexicon import Term
from qa_linter.text import matching
from qa_linter.text.matching import Hit, PatternMatcher, RegexTimeout, TermIndex, TermMatcher, TextMatcher, keep_longest


@pytest.fixture(scope="module")
def phrases():
    """tests/data/rules/phrases.yaml: 不知道/实例/你自己看 (p-short) listed beside 我不知道/实例ID/自己看说明书 (p-long)."""
    return pack("phrases.yaml")


# -- the traps of issue 2 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "short", "long"),
    [
        ("我不知道", "不知道", "我不知道"),  # a longer listed term must not swallow a shorter one
        ("请提供实例ID", "实例", "实例ID"),
        ("你自己看说明书", "你自己看", "自己看说明书"),  # overlapping listed terms both match
    ],
)
def test_short_and_long_listed_terms_both_match(phrases, text, short, long):
    assert texts(agent_says(phrases, text, "p-short")) == [short]
    assert texts(agent_says(phrases, text, "p-long")) == [long]


@pytest.mark.parametrize(
    "text",
    ["我亲自处理", "为父母亲代办", "请拖动滚动条", "打开菜单", "订单号20261123666012", "积木有三块"],
)
def test_a_term_inside_an_ordinary_word_does_not_match(phrases, text):
    assert agent_says(phrases, text, "p-slang") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [("亲，您好", "亲"), ("你给我滚", "滚"), ("这操作太菜了", "菜"), ("太666了", "666"), ("木有问题", "木有")],
)
def test_the_same_terms_match_as_words(phrases, text, found):
    assert texts(agent_says(phrases, text, "p-slang")) == [found]


def test_boundary_none_matches_substrings(phrases):
    assert texts(agent_says(phrases, "我亲自处理", "p-substring")) == ["亲"]
    assert texts(agent_says(phrases, "为父母亲代办", "p-substring")) == ["亲"]


def test_unclear_screenshot_is_a_real_word_match_that_an_exception_cancels(phrases):
    # 截图/不清楚 are whole words, so a plain list flags 不清楚 here: word boundaries cannot tell the
    # meaning. The rule that cares lists 截图不清楚 as an exception, which cancels any hit it overlaps.
    assert texts(agent_says(phrases, "您发来的截图不清楚", "p-short")) == ["不清楚"]
    assert agent_says(phrases, "您发来的截图不清楚", "p-unclear") == []
    assert texts(agent_says(phrases, "这个我也不清楚", "p-unclear")) == ["不清楚"]


def test_one_rule_reports_the_longest_of_overlapping_hits(tmp_path):
    from packs import linter_from_yaml

    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - {id: both, type: phrases, category: banned-phrase, message: x, terms: [不知道, 我不知道]}
        """,
    )
    assert texts(agent_says(linter, "我不知道")) == ["我不知道"]
    assert texts(agent_says(linter, "他不知道")) == ["不知道"]


def test_a_term_written_in_traditional_guards_the_same_boundaries(tmp_path):
    """Lexicon words enter the segmenter normalised, so 腫麼 keeps 肿么 whole in 脸太肿么办 as 肿么 does."""
    from packs import linter_from_yaml

    simplified = linter_from_yaml(tmp_path, _one_term_rule("肿么"), "s.yaml")
    traditional = linter_from_yaml(tmp_path, _one_term_rule("腫麼"), "t.yaml")
    for text in ("脸太肿么办", "肿么办呀", "那要么么哒"):
        assert texts(agent_says(traditional, text)) == texts(agent_says(simplified, text))
    assert texts(agent_says(traditional, "脸太肿么办")) == ["肿么"]


def test_a_phrase_of_three_or_more_chinese_characters_matches_where_jieba_glues_its_edge(tmp_path):
    """jieba glues function words to a phrase's edge (这太/差/了, 每次/都说会): a long phrase is not cut by that."""
    from packs import linter_from_yaml

    linter = linter_from_yaml(tmp_path, _one_term_rule("太差了, 每次都说, 亲, '666'"))
    assert texts(agent_says(linter, "这太差了")) == ["太差了"]
    assert texts(agent_says(linter, "你们每次都说会处理")) == ["每次都说"]
    # Short terms and Latin or digit terms still need whole words.
    assert agent_says(linter, "我亲自处理，订单号20261123666012") == []


def _one_term_rule(term: str) -> str:
    return f"rules:\n  - {{id: r, type: phrases, category: slang, message: x, terms: [{term}]}}\n"


# -- offsets: every hit's original slice is exactly Finding.text -------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("這個問題我不知道", "不知道"),
        ("親，您好", "親"),
        ("我 不 知 道", "不 知 道"),
        ("我\u3000不知道", "不知道"),
        ("这不\u200b知\u200b道", "不\u200b知\u200b道"),
        ("木\u200b有问题", "木\u200b有"),
        ("太６６６了", "６６６"),
        ("请提供实例ＩＤ", "实例ＩＤ"),
        ("请提供實例Id", "實例Id"),
    ],
)
def test_offsets_slice_the_original_text(phrases, text, expected):
    findings = [f for rule in phrases.rules if rule.id != "p-substring" for f in agent_says(phrases, text, rule.id)]
    assert findings, text
    assert expected in [f.text for f in findings]
    for f in findings:
        assert text[f.start : f.end] == f.text


def test_offsets_round_trip_over_the_corpus(phrases, corpus_conversations):
    seen = 0
    for conv in corpus_conversations:
        for f in phrases.scan(conv):
            original = conv["messages"][f.message_index]["text"]
            assert original[f.start : f.end] == f.text
            seen += 1
    assert seen > 5


# -- the building blocks --------------------------------------------------------------------------------------
def _view(toolkit: Toolkit, text: str) -> MessageView:
    return MessageView(Message(0, "agent", text), toolkit)


def test_one_automaton_serves_every_term_list():
    toolkit = Toolkit()
    first = TermMatcher(toolkit.term_index, [Term("不知道")], "none")
    second = TermMatcher(toolkit.term_index, [Term("知道"), Term("不知道", "我帮您查")], "none")
    view = _view(toolkit, "我不知道")
    assert [(h.start, h.end) for h in first.find(view)] == [(1, 4)]
    hits = second.find(view)
    assert sorted((h.text, h.suggestion) for h in hits) == [("不知道", "我帮您查"), ("知道", None)]


def test_terms_are_matched_in_their_normalised_form():
    index = TermIndex()
    matcher = TermMatcher(index, [Term("ＤＮＳ"), Term("親"), Term("  ")], "none")
    assert matcher.keys == ["dns", "亲"]  # an empty key is dropped, not matched everywhere


def test_keep_longest_drops_contained_hits_and_duplicates():
    def hit(s, e):
        return Hit(s, e, "x" * (e - s), s, e)

    kept = keep_longest([hit(1, 4), hit(0, 4), hit(0, 4), hit(5, 7), hit(6, 9)])
    assert [(h.nstart, h.nend) for h in kept] == [(0, 4), (5, 7), (6, 9)]


def test_a_catastrophic_regex_is_stopped_by_the_timeout():
    matcher = PatternMatcher([r"(a|aa)+$"])
    view = _view(Toolkit(), "a" * 60 + "!")
    with pytest.raises(RegexTimeout) as info:
        matcher.find(view)
    assert info.value.pattern == r"(a|aa)+$"


def test_patterns_are_case_insensitive_on_the_lower_cased_text():
    assert [h.text for h in PatternMatcher([r"SSL证书"]).find(_view(Toolkit(), "请安装ＳＳＬ证书"))] == ["ＳＳＬ证书"]


def test_selecting_rules_does_not_change_the_words_the_others_see():
    """Lexicon words of rules left out still enter the segmenter: 回滚 (a jargon term) keeps 滚 (a taboo word) out."""
    from qa_linter.engine import Linter

    text = "好的。回滚后麻烦您再观察几分钟"
    everything = Linter.from_config(None)
    banned_only = Linter.from_config(None, select=["banned-phrase"])
    assert [f.text for f in agent_says(banned_only, text)] == []
    assert [f for f in agent_says(everything, text) if f.category == "banned-phrase"] == []


def test_search_weighs_each_pattern_against_the_exceptions_and_stops_at_the_first_that_survives(monkeypatch):
    """TextMatcher.search equals bool(find) with exceptions, and runs no pattern after the first whose match no
    exception cancels (a resolution check has 19 patterns; the first that matches mostly answers)."""
    toolkit = Toolkit()
    index = toolkit.term_index
    exceptions = TextMatcher(TermMatcher(index, [Term("还有别的问题")], "none"), PatternMatcher([r"我来?看看"], index))
    patterns = PatternMatcher([r"看看", r"可以了吗", r"是否解决"], index)
    matcher = TextMatcher(TermMatcher(index, [Term("请确认")], "none"), patterns, exceptions)
    texts = ["现在可以了吗", "我来看看", "我来看看，现在可以了吗", "还有别的问题吗", "请确认", "请您看看是否解决",
             "还有别的问题请确认吗", "我看看还有别的问题吗", "您好", "看看", "我看看是否解决", "我看看吧，请您看看是否解决",
             "我来看看吧", "我看看可以了吗"]
    for text in texts:
        assert matcher.search(_view(toolkit, text)) == bool(matcher.find(_view(toolkit, text))), text
    ran = []
    real = patterns.spans_each

    def counted(view):
        for spans in real(view):
            ran.append(spans)
            yield spans

    monkeypatch.setattr(patterns, "spans_each", counted)
    monkeypatch.setattr(matching, "MEMO_CHARACTERS", -1)  # the search itself, not the answer remembered above
    assert matcher.search(_view(toolkit, "我看看吧，请您看看是否解决"))  # the second 看看 is no exception: the first pattern answers
    assert len(ran) == 1
    ran.clear()
    assert matcher.search(_view(toolkit, "我看看是否解决"))  # 看看 cancelled by 我看看: 是否解决 answers
    assert ran == [[(1, 3)], [(3, 7)]]  # (可以了吗 cannot run: its literal is not in the text)
