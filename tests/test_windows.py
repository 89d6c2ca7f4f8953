"""A pattern searched stretch by stretch (text/windows.py) finds exactly what the plain pattern finds.

Exactness rests on two analyses of prefilter.py: the required literals (every match holds one) and the barrier
characters (no match holds one, and the pattern reads nothing outside its match). These tests hold
`WindowedPattern.finditer` to the plain pattern's `finditer`, span for span and group for group, on random
patterns of the kind that is windowed and on jargon's menu path with adversarial texts.
"""
from __future__ import annotations

import pickle

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qa_linter import Linter
from qa_linter.text import windows
from qa_linter.text.matching import PATTERN_FLAGS
from qa_linter.text.prefilter import barrier_characters, required_literal_sets
from qa_linter.text.windows import WindowedPattern, windowed

# jargon's introduced_inside menu path (rules/jargon.yaml) as it was when windows were written: the pattern whose
# search they were made for (about 150 µs on a long message with an arrow, 10 µs windowed).
MENU_PATH = r"(?:[^\s>＞→。，,！？!?]{1,12}\s*(?:->|>|＞|→)\s*)+[^\s>＞→。，,！？!?；;]{1,12}"


def _spans(found) -> list:
    return [(m.span(), m.groups()) for m in found]


def _compile(source: str):
    return regex.compile(source, PATTERN_FLAGS)


def test_the_menu_path_is_windowed_around_its_arrows_between_clause_punctuation():
    pattern = windowed(_compile(MENU_PATH))
    assert isinstance(pattern, WindowedPattern)
    assert pattern.literals == {">", "＞", "→"}
    assert set(pattern.barriers) == set("。，,！？!?")  # not ；; (the last part excludes them, the first does not)
    text = "您好，" * 50 + "请打开 设置 > 网络 -> APN，然后重启。" + "谢谢！" * 50
    assert pattern.windows(text) == [(150, 168)]
    assert [m.group() for m in pattern.finditer(text, timeout=1.0)] == ["设置 > 网络 -> APN"]


_MENU_TEXT = st.lists(st.sampled_from(list("设置网络ab1 \t\n>＞→-。，,！？!?；;　")), max_size=60).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_MENU_TEXT)
def test_the_menu_path_windowed_finds_what_it_finds_in_the_whole_text(text):
    plain = _compile(MENU_PATH)
    assert _spans(windowed(plain).finditer(text, timeout=5.0)) == _spans(plain.finditer(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), _MENU_TEXT), max_size=8))
def test_the_menu_path_on_long_texts_of_repeated_runs(parts):
    # Runs of up to 40 copies: long stretches without a barrier, arrows far apart, twelve-character limits crossed.
    text = "".join(piece * times for times, piece in parts)
    plain = _compile(MENU_PATH)
    assert _spans(windowed(plain).finditer(text, timeout=5.0)) == _spans(plain.finditer(text))


# Random patterns of the windowed kind: a repeated broad class first, then anything, with literals and barriers.
_BROAD = st.sampled_from([r"[^。，!]", r"[^\s>。]", r"\s", r"\w", r"\p{Han}", r"[^a]", r"\S", r"[^\d，]"])
_ATOMS = st.sampled_from(["a", "B", "你", "好", ">", "->", "→", "[ab]", "[^，。]", r"\d", r"\s", "[你好]", r"\p{Han}",
                          "[^!?]", "，", "！", r"\w", r"[^\s]", "(?:a|你好)", "."])


def _sequences(children):
    return st.one_of(
        st.tuples(children, children).map("".join),
        st.tuples(children, children).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        st.tuples(children, st.sampled_from(["?", "*", "+", "{2}", "{1,3}", "{0,2}", "*?", "++", "{1,12}"])).map(
            lambda p: f"(?:{p[0]}){p[1]}"),
        children.map(lambda p: f"({p})"),
        children.map(lambda p: f"(?>{p})"),
    )


_PATTERNS = st.tuples(
    _BROAD, st.sampled_from(["*", "+", "{1,12}", "{0,4}", "*?", "{2,5}?", "++"]),
    st.recursive(_ATOMS, _sequences, max_leaves=6), st.sampled_from([">", "→", "你好", "a", "(?:->|>)", "[>→]"]),
    st.recursive(_ATOMS, _sequences, max_leaves=4),
).map(lambda p: f"(?:{p[0]}){p[1]}{p[2]}{p[3]}{p[4]}")
_TEXTS = st.lists(st.sampled_from(list("aAbB你好 \n>→-，。!！?？1٣")), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_PATTERNS, st.lists(_TEXTS, min_size=1, max_size=5))
def test_random_windowed_patterns_find_what_the_plain_pattern_finds(source, texts):
    plain = _compile(source)
    pattern = windowed(plain)
    assume(isinstance(pattern, WindowedPattern))
    for text in texts:
        assert _spans(pattern.finditer(text, timeout=5.0)) == _spans(plain.finditer(text)), (source, text)
        first, expected = pattern.search(text, timeout=5.0), plain.search(text)
        assert (first and first.span()) == (expected and expected.span()), (source, text)


def test_patterns_of_the_generators_kind_are_windowed():
    # The property test above only checks patterns that are windowed: these, built as its generator builds them,
    # must be (the test would check nothing if the analysis refused them all).
    samples = [r"(?:[^。，!]){1,12}a>", r"(?:\s)*你好(?:[^，。]){0,2}", r"(?:\p{Han})+→(?:\d)?", r"(?:[^\d，]){2,5}?[ab]a",
               r"(?:\w)++(?:a|你好)->", r"(?:[^a，]){0,4}(?:你|好)你好"]
    assert all(isinstance(windowed(_compile(source)), WindowedPattern) for source in samples)


@pytest.mark.parametrize("source, reason", [
    (r"(?<=a)[^，]{1,5}>", "lookbehind reads before the match"),
    (r"[^，]{1,5}>(?=b)", "lookahead reads after it"),
    (r"[^，]{1,5}>$", "an anchor"),
    (r"\b[^，]{1,5}>", "a word boundary"),
    (r"([^，]{1,5})>\1", "a back-reference"),
    (r"[^，]{1,5}.>", "any character"),
    (r"[^，]{0,5}>?", "an empty match"),
    (r"(?i:[^，]{1,5})>", "scoped flags"),
    (r"[^，]{1,5}>[[:alpha:]]", "POSIX classes"),
    (r"(?:a>){1,5}[^，]", "a literal first: the regex module jumps to it"),
    (r"[，a]+>", "a small class first"),
    (r"\d{1,5}>", "digits first"),
])
def test_patterns_that_are_not_windowed(source, reason):
    assert barrier_characters(_compile(source)) == "", reason
    assert not isinstance(windowed(_compile(source)), WindowedPattern), reason


def test_barriers_are_asked_of_the_regex_module_itself():
    # \p{Han} holds no punctuation; \s holds the newline; a cased letter is never a barrier (IGNORECASE).
    assert barrier_characters(_compile(r"\p{Han}+>")) == "".join(sorted("。，,！？!?；;：:、\n"))
    assert "\n" not in barrier_characters(_compile(r"[^，]{1,5}\s*>"))
    assert barrier_characters(_compile(r"[^xX，]{1,5}>")) == "，"
    # The candidate set grows by what the negated classes name (、 here is named, ＃ is not a default candidate).
    assert "＃" in barrier_characters(_compile(r"[^＃\s]{1,5}>"))
    # A \L<list> is read as its alternation: its values' characters are consumed.
    listed = regex.compile(r"[^，。]{1,5}\L<arrows>", PATTERN_FLAGS, arrows=["->", "。>"])
    assert "。" not in barrier_characters(listed) and "，" in barrier_characters(listed)


def test_a_literal_holding_a_barrier_is_not_windowed():
    # Consistent analyses never give one (a required literal is consumed), but windows must not rely on it.
    pattern = _compile(r"[^，]{1,5}>")
    original = windows.pattern_gates
    try:
        windows.pattern_gates = lambda p: ([frozenset({"，>"})], 0, 0)
        assert not isinstance(windowed(pattern), WindowedPattern)
    finally:
        windows.pattern_gates = original


def test_the_timeout_is_for_the_whole_search(monkeypatch):
    pattern = windowed(_compile(r"[^，]{1,5}>"))
    clock = iter([0.0, 0.5, 1.5, 2.5])
    monkeypatch.setattr(windows, "_clock", lambda: next(clock))
    found = pattern.finditer("a>，b>，c>", timeout=2.0)
    assert next(found).group() == "a>" and next(found).group() == "b>"
    with pytest.raises(TimeoutError):
        next(found)


def test_other_arguments_and_attributes_are_the_plain_patterns():
    plain = _compile(MENU_PATH)
    pattern = windowed(plain)
    assert pattern.pattern == plain.pattern and pattern.flags == plain.flags
    text = "a>b，c>d"
    assert [m.span() for m in pattern.finditer(text, 2)] == [m.span() for m in plain.finditer(text, 2)] == [(4, 7)]
    assert pattern.match(text).span() == (0, 3)
    copied = pickle.loads(pickle.dumps(pattern))
    assert isinstance(copied, WindowedPattern) and [m.span() for m in copied.finditer(text)] == [(0, 3), (4, 7)]


def test_the_built_in_packs_windowed_patterns_on_the_sample_corpus(corpus_conversations):
    from qa_linter.text.normalize import normalize

    linter = Linter.from_config()
    found = []
    for rule in linter.pack.rules:
        for value in vars(rule).values():
            for item in value if isinstance(value, list) else [value]:
                pattern = item[0] if isinstance(item, tuple) and item else item
                if isinstance(pattern, WindowedPattern):
                    found.append(pattern)
    assert found, "the built-in pack has a windowed pattern (jargon's menu path)"
    texts = [normalize(m["text"]).text for c in corpus_conversations for m in c["messages"]]
    texts += ["设置 > 网络 > APN，" * 30, "设置>" * 200, ">" * 500, "a" * 30 + "→" + "b" * 30]
    for pattern in found:
        for text in texts:
            assert _spans(pattern.finditer(text, timeout=5.0)) == _spans(pattern.plain.finditer(text)), text


def test_required_literals_of_the_menu_path():
    assert required_literal_sets(_compile(MENU_PATH))[0] == {">", "＞", "→"}
