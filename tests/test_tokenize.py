"""The segmenter: word boundaries from jieba plus the lexicon words it does not know, and words for patterns."""
from __future__ import annotations

import json
from functools import lru_cache
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_linter.text.normalize import normalize
from qa_linter.text.tokenize import Segmenter

DEVSET = Path(__file__).resolve().parent / "data" / "devset"

# Texts reach the segmenter normalised (Simplified, lower case), and so do these words (see Toolkit.add_words).
LISTED = ["我不知道", "实例id", "自己看说明书", "木有", "666", "yyds", "你自己看"]
PATTERN_WORDS = ["你自己看"]


@pytest.fixture(scope="module")
def segmenter():
    seg = Segmenter(LISTED, PATTERN_WORDS)
    seg.warm_up()
    return seg


def boundaries(seg, text):
    b = seg.boundaries(text)
    return [i for i in range(len(text) + 1) if b.is_boundary(i)]


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("我亲自处理", (1, 2)),  # 亲 is part of 亲自
        ("为父母亲代办", (3, 4)),  # 亲 is part of 父母亲
        ("请拖动滚动条", (3, 4)),  # 滚 is part of 滚动条
        ("打开菜单", (2, 3)),  # 菜 is part of 菜单
        ("积木有三块", (1, 3)),  # 木有 straddles 积木 / 有
    ],
)
def test_ordinary_words_are_never_cut(segmenter, text, inside):
    assert not segmenter.boundaries(text).covers(*inside)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("我不知道", (1, 4)),  # 不知道 although the listed 我不知道 is one word in the augmented dictionary
        ("实例id是多少", (0, 2)),  # 实例 inside the listed 实例id
        ("你自己看说明书", (0, 4)),  # 你自己看 although 自己看说明书 competes for 自己看
        ("木有问题", (0, 2)),
        ("太666了", (1, 4)),
        ("亲，您好", (0, 1)),
    ],
)
def test_a_span_of_whole_words_in_either_segmentation_is_covered(segmenter, text, span):
    assert segmenter.boundaries(text).covers(*span)


def test_ascii_terms_never_enter_the_dictionary(segmenter):
    # Added to jieba, 666 would be cut out of an order number and match there.
    assert "666" not in segmenter._candidates and "yyds" not in segmenter._candidates
    assert not segmenter.boundaries("订单号20261123666012").covers(11, 14)


def test_positions_outside_text_blocks_are_boundaries(segmenter):
    text = "您好，请问！ 谢谢"
    for pos in (0, 2, 3, 5, 6, 7, len(text)):
        assert segmenter.boundaries(text).is_boundary(pos)


def test_only_the_block_asked_about_is_segmented(segmenter):
    text = "第一段文字，第二段文字，第三段文字"
    misses = segmenter.block_boundaries.cache_info().misses
    segmenter.boundaries(text).is_boundary(2)
    assert segmenter.block_boundaries.cache_info().misses == misses + 1
    segmenter.boundaries(text).is_boundary(8)
    segmenter.boundaries(text).is_boundary(3)
    assert segmenter.block_boundaries.cache_info().misses == misses + 2


def test_boundaries_are_cached_by_block_text(segmenter):
    before = segmenter.block_boundaries.cache_info()
    segmenter.boundaries("又一段测试文字").is_boundary(2)
    segmenter.boundaries("又一段测试文字").is_boundary(3)
    after = segmenter.block_boundaries.cache_info()
    assert after.misses == before.misses + 1 and after.hits == before.hits + 1


def test_words_carry_offsets_and_skip_whitespace(segmenter):
    text = "请 重启光猫"
    words = segmenter.words(text)
    assert all(text[s:e] == w for w, s, e in words)
    assert " " not in [w for w, _, _ in words]


def test_listed_phrases_do_not_hide_their_words_from_token_patterns(segmenter):
    # 我不知道 and 自己看说明书 are listed phrases; token patterns must still see the words inside them.
    assert [w for w, _, _ in segmenter.words("我不知道")] == ["我", "不", "知道"]
    assert [w for w, _, _ in segmenter.words("自己看说明书")] == ["自己", "看", "说明书"]
    # 你自己看 is a pattern's literal word: it is one token.
    assert [w for w, _, _ in segmenter.words("你自己看吧")] == ["你自己看", "吧"]


def test_a_space_the_writer_typed_between_chinese_characters_is_a_word_boundary():
    from qa_linter.analysis import Toolkit, MessageView
    from qa_linter.model import Message

    # Normalised, 亲 人在吗 reads 亲人在吗, which jieba cuts 亲人/在/吗; the dropped space still ends 亲.
    seg = Segmenter()
    assert not seg.boundaries("亲人在吗").is_boundary(1)
    assert seg.boundaries("亲人在吗", frozenset({1})).is_boundary(1)
    assert seg.full_boundaries("亲人在吗", frozenset({1})).is_boundary(1)
    toolkit = Toolkit()
    for reference in (False, True):
        toolkit.reference = reference
        view = MessageView(Message(0, "agent", "亲 人在吗"), toolkit)
        assert view.norm.text == "亲人在吗" and view.boundaries().is_boundary(1)
    # Without a space nothing changes.
    view = MessageView(Message(0, "agent", "亲人在吗"), toolkit)
    assert not view.boundaries().is_boundary(1)


def test_pairs_that_start_no_word_are_forgotten_past_a_bound_and_looked_up_again(monkeypatch, corpus_conversations):
    """A long scan of varied text meets ever more pairs of characters; those that start no dictionary entry are
    kept only up to ABSENT_PAIRS_KEPT, then looked up again when met; the words stay jieba's."""
    from qa_linter.text import tokenize
    from qa_linter.text.normalize import normalize

    texts = [normalize(m["text"]).text for conv in corpus_conversations for m in conv["messages"]]
    blocks = sorted({b for text in texts for b in tokenize.BLOCK.findall(text)})
    unbounded = Segmenter()
    expected = [unbounded._block_boundaries(block) for block in blocks]
    monkeypatch.setattr(tokenize, "ABSENT_PAIRS_KEPT", 50)
    bounded = Segmenter()
    most = 0
    for block, ends in zip(blocks, expected):
        assert bounded._block_boundaries(block) == ends, block
        most = max(most, len(bounded._loaded) - len(bounded._present))
    absent = len(unbounded._loaded) - len(unbounded._present)
    assert absent > 1000 and len(bounded._loaded) - len(bounded._present) < absent  # dropped, again and again
    assert most <= 50 + max(len(b) for b in blocks)  # never more than one block's pairs over the bound


_WORD_ALPHABET = "我们研究中华人民共和国的边界问题路由器光猫重启好的吗？。，！ \t\r\n\u3000abcXYZ019+#&._%-😀（）/:@"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_WORD_ALPHABET, max_size=40))
def test_words_are_jiebas_words_for_any_text(text):
    seg = _pack_segmenter()
    assert seg.words(text) == seg.reference_words(text)


def test_words_are_jiebas_words_on_real_transcripts(corpus_conversations):
    seg = _pack_segmenter()
    texts = [normalize(m["text"]).text for conv in corpus_conversations for m in conv["messages"]]
    texts += [normalize(t).text for t in _devset_texts(400)]
    assert len(texts) > 3_000
    assert [t for t in texts if seg.words(t) != seg.reference_words(t)] == []


@lru_cache(maxsize=1)
def _pack_segmenter() -> Segmenter:
    """The built-in pack's segmenter (its lexicon words added to jieba), warmed up as a scan's is."""
    from qa_linter import Linter

    seg = Segmenter(Linter.from_config().pack.toolkit._user_words)
    seg.warm_up()
    return seg


def _devset_texts(limit: int):
    with open(DEVSET / "tune" / "transcripts.jsonl", encoding="utf-8") as lines:
        for line in islice(lines, limit):
            yield from (m["text"] for m in json.loads(line)["messages"])
