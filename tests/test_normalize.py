"""The normaliser: what it folds, what it leaves alone, and that every folded span maps back to the original."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_linter.text.normalize import FOLDED_SEPARATORS, normalize, normalize_reference


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        ("親，這個問題我不知道", "亲,这个问题我不知道"),  # Traditional -> Simplified, full-width comma -> ","
        ("ＤＮＳ设置", "dns设置"),  # full-width Latin letters, then lower case
        ("电话１３７００００１１１１", "电话13700001111"),  # full-width digits
        ("不\u200b归我管", "不归我管"),  # zero-width space
        ("不\u200d归\ufeff我\u2060管", "不归我管"),  # joiner, BOM, word joiner
        ("我 不 知 道", "我不知道"),  # spaces between Chinese characters
        ("我\u3000不知道", "我不知道"),  # ideographic space
        ("我\t\n不知道", "我不知道"),  # any whitespace run between Chinese characters
        ("不.归.我.管", "不归我管"),
        ("不-归_我*管", "不归我管"),
        ("不/归\\我|管", "不归我管"),
        ("不·归•我~管", "不归我管"),
        ("您好 Mr. Wang", "您好mr. wang"),  # whitespace next to Chinese is dropped; between Latin words kept
        ("Hello   WORLD", "hello world"),  # a run of spaces between Latin words is one space
        ("  前后空格  ", "前后空格"),
        ("①号", "1号"),  # NFKC compatibility forms
        ("ﬁle", "file"),  # one original character may fold to several
    ],
)
def test_fold_table(original, folded):
    assert normalize(original).text == folded


@pytest.mark.parametrize(
    "text",
    [
        "请升级到v1.2版本",  # the dot inside a version number stays
        "请访问https://www.example.com/a-b/c_d?x=1",  # URLs keep every separator
        "好的。谢谢！还有问题吗？",  # sentence punctuation is never folded
        "好的，谢谢；再见",
        "a-b and a/b",  # separators between Latin characters stay
        "3.14",
        "订单号20261123666012",
    ],
)
def test_what_is_not_folded(text):
    """Nothing is removed: only NFKC (full-width ！ becomes !) and lower case apply."""
    assert normalize(text).text == unicodedata.normalize("NFKC", text).lower()


@pytest.mark.parametrize("separator", sorted(FOLDED_SEPARATORS))
def test_each_listed_separator_is_folded_only_between_chinese_characters(separator):
    assert normalize(f"不{separator}知道").text == "不知道"
    kept = normalize(f"a{separator}b").text
    assert kept in ("ab", f"a{separator}b", "a b")  # whitespace runs collapse to one space
    if not separator.isspace():
        assert kept == f"a{separator}b"


@pytest.mark.parametrize("mark", list("，。！？；：“”（）《》【】…"))
def test_sentence_punctuation_between_chinese_characters_is_kept(mark):
    assert normalize(f"好的{mark}谢谢").text == "好的" + unicodedata.normalize("NFKC", mark) + "谢谢"


def test_unchanged_text_takes_the_identity_path():
    n = normalize("您好，请问有什么可以帮您")
    assert n.starts is None
    assert n.to_original(2, 5) == (2, 5)


ROUND_TRIP_CASES = [
    # (original, folded term to look for, the original text it must map back to)
    ("亲，我不知道哦", "不知道", "不知道"),
    ("這個問題我不知道", "这个问题", "這個問題"),
    ("親，您好", "亲", "親"),
    ("请修改ＤＮＳ设置", "dns", "ＤＮＳ"),
    ("拨打１３７００００１１１１", "13700001111", "１３７００００１１１１"),
    ("这不\u200b归我管", "不归我管", "不\u200b归我管"),
    ("我 不 知 道", "不知道", "不 知 道"),
    ("我\u3000不\u3000知道", "我不知道", "我\u3000不\u3000知道"),
    ("请修改 DnS 设置", "dns", "DnS"),
    ("Hello   World", "hello world", "Hello   World"),
    ("不.归.我.管!", "不归我管", "不.归.我.管"),
    ("\u200b\u200b亲", "亲", "亲"),
    ("ﬁle里", "file", "ﬁle"),
]


@pytest.mark.parametrize(("original", "term", "expected"), ROUND_TRIP_CASES)
def test_a_folded_span_maps_back_to_exactly_what_was_typed(original, term, expected):
    n = normalize(original)
    at = n.text.index(term)
    start, end = n.to_original(at, at + len(term))
    assert original[start:end] == expected


def test_an_empty_span_maps_to_a_position():
    n = normalize("我 不知道")
    assert n.to_original(1, 1) == (2, 2)
    assert n.to_original(len(n.text), len(n.text)) == (len("我 不知道"), len("我 不知道"))


def test_normalize_is_a_pure_function():
    assert normalize("親 您好") == normalize("親 您好")
    assert normalize("").text == ""


# Characters that exercise every path of the normaliser; Traditional ones that convert one-to-one.
ALPHABET = list("我不知道亲您好这归管") + list("親這個問題歸說們") + list("ＡＢａｂ１２ABab12") + [
    " ", "\u3000", "\u200b", "\u200d", "\ufeff", "\t", "\n", ".", "-", "_", "*", "/", "、", "，", "。", "！", "ﬁ", "①",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=24).map("".join))
def test_offsets_are_ordered_and_inside_the_original(original):
    n = normalize(original)
    if n.starts is None:
        assert len(n.text) == len(original)
        return
    assert len(n.starts) == len(n.ends) == len(n.text)
    for i, (s, e) in enumerate(zip(n.starts, n.ends)):
        assert 0 <= s < e <= len(original)
        if i:
            assert s >= n.starts[i - 1]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=24).map("".join), st.data())
def test_a_span_between_chinese_characters_refolds_to_the_same_text(original, data):
    """The original slice behind a hit normalises to the hit itself: offsets never drift.

    (For the character folds, which depend on the neighbours only. The in-word disguises, such as letters
    between characters, are folded only where the run around them shows a disguise, so a slice of such a run
    alone may not be; their offsets are checked in test_a_disguised_word_maps_back_to_all_that_was_typed.)"""
    from qa_linter.text import normalize as module

    module.DISGUISE_FOLDING = False
    try:
        n = normalize(original)
        han = [i for i, ch in enumerate(n.text) if "\u4e00" <= ch <= "\u9fff"]
        if not han:
            return
        i = data.draw(st.sampled_from(han))
        j = data.draw(st.sampled_from([k for k in han if k >= i])) + 1
        start, end = n.to_original(i, j)
        assert normalize(original[start:end]).text == n.text[i:j]
    finally:
        module.DISGUISE_FOLDING = True


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(list("验证码不归我管")), min_size=3, max_size=6).map("".join),
    st.lists(st.sampled_from(list("axQ9８") + ["a.", " b", "·c·", "-7-"]), min_size=5, max_size=5),
    st.sampled_from(["", "您好，", "好的 "]),
    st.sampled_from(["", "。", "，谢谢"]),
)
def test_a_disguised_word_maps_back_to_all_that_was_typed(word, gaps, before, after):
    """A word with a filler between each character folds back to the word, and the word's span in the folded
    text maps to exactly the typed disguise, fillers included."""
    typed = "".join(ch + gap for ch, gap in zip(word[:-1], gaps)) + word[-1]
    text = before + typed + after
    n = normalize(text)
    assert word in n.text, (text, n.text)
    i = n.text.index(word)
    start, end = n.to_original(i, i + len(word))
    assert text[start:end] == typed


def test_a_face_between_chinese_characters_is_kept_for_the_emoji_rules():
    # A face typed between two sentences is what the agent wrote, not a separator dodging a filter.
    for text, face in [("太专业了^_^ 简单说", "^_^"), ("好的-_-稍等", "-_-"), ("收到 ^^ 马上处理", "^^")]:
        nt = normalize(text)
        assert face in nt.text
        start = nt.text.index(face)
        a, b = nt.to_original(start, start + len(face))
        assert text[a:b] == face
        assert normalize_reference(text) == nt
    # A single separator between characters is still dropped.
    assert normalize("不^归我管").text == "不归我管"


def test_every_separator_only_emoticon_of_the_lexicon_is_a_face():
    from qa_linter.resources import builtin_lexicons
    from qa_linter.text.normalize import FACES

    lexicon = builtin_lexicons() / "emoticons.txt"
    faces = set()
    for line in lexicon.read_text(encoding="utf-8").splitlines():
        term = line.split("\t")[0]
        if term and not line.startswith("#") and all(ch in FOLDED_SEPARATORS for ch in term):
            faces.add(term)
    assert faces, "the lexicon has separator-only faces such as ^_^"
    assert faces <= FACES, sorted(faces - FACES)
