"""jieba-next's compiled route segments every block as jieba's own Python does (text/tokenize.py).

The segmenter switches to jieba-next's `_get_DAG_and_calc` after COMPILED_AFTER blocks (or at warm_up). Word
boundaries are what every word-aware rule stands on, so these tests hold the compiled boundaries to jieba's
cut(HMM=False) on the blocks of real transcripts (the sample, the generated corpus, the multi-domain dev set),
on the lexicon terms, and on random blocks built to make ties and runs of ASCII letters; and they check the one
place the two may differ (more than DAG_ENDS_LIMIT words starting at one position) is left to jieba.
"""
from __future__ import annotations

import json
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_linter import Linter
from qa_linter.text import tokenize
from qa_linter.text.normalize import normalize
from qa_linter.text.tokenize import BLOCK, COMPILED_AFTER, DAG_ENDS_LIMIT, Segmenter

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "data" / "devset"

pytestmark = pytest.mark.skipif(tokenize._compiled_route() is None, reason="jieba-next is not installed")


def _jieba_boundaries(segmenter: Segmenter, block: str) -> frozenset[int]:
    """What jieba's own cut gives: the ends of its words."""
    ends, pos = set(), 0
    for word in segmenter._ready(block).cut(block, HMM=False):
        pos += len(word)
        ends.add(pos)
    return frozenset(ends)


@pytest.fixture(scope="module")
def pack_segmenter():
    """The built-in pack's segmenter (its lexicon words added to jieba), switched to the compiled route."""
    segmenter = Segmenter(Linter.from_config().pack.toolkit._user_words)
    segmenter.warm_up()
    assert segmenter._route, "warm_up switches to the compiled route"
    return segmenter


def _blocks_of(texts) -> list[str]:
    return sorted({block for text in texts for block in BLOCK.findall(normalize(text).text)})


def _devset_texts(limit: int):
    for part in ("tune", "holdout"):
        with open(DEVSET / part / "transcripts.jsonl", encoding="utf-8") as lines:
            for line in islice(lines, limit):
                yield from (m["text"] for m in json.loads(line)["messages"])


def test_the_compiled_route_cuts_real_transcripts_as_jieba_does(pack_segmenter, corpus_conversations):
    texts = [m["text"] for conv in corpus_conversations for m in conv["messages"]]
    texts += list(_devset_texts(1500))  # varied trades, e-mail and phone, long clauses
    blocks = _blocks_of(texts) + sorted(pack_segmenter._candidates)  # and the lexicon terms themselves
    assert len(blocks) > 20_000
    different = [b for b in blocks if pack_segmenter._block_boundaries(b) != _jieba_boundaries(pack_segmenter, b)]
    assert different == []
    assert pack_segmenter._words_along <= DAG_ENDS_LIMIT  # the compiled route was used, not the fallback


# Characters that make many dictionary words in short strings (so ties and long routes), block punctuation jieba
# keeps inside a block, and ASCII letters and digits (jieba's buffer of single English characters).
_HAN = "中国人民大学生活动力不知道这个能用没办法处理一下我们你们的了是在有和就"
_ASCII = "abcXYZ019"
_INSIDE = "+#&._%-"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_HAN + _ASCII + _INSIDE, min_size=1, max_size=40))
def test_random_blocks_are_cut_as_jieba_cuts_them(pack_segmenter, block):
    assert pack_segmenter._block_boundaries(block) == _jieba_boundaries(pack_segmenter, block)


def test_route_boundaries_merge_single_ascii_characters_as_jieba_does():
    # route[x]: the last character of the word starting at x; here every character is its own word.
    assert tokenize._route_boundaries("ab中c", [0, 1, 2, 3, 4]) == frozenset({2, 3, 4})
    assert tokenize._route_boundaries("a1", [0, 1, 2]) == frozenset({2})  # one word "a1"
    assert tokenize._route_boundaries("中国a", [1, 1, 2, 3]) == frozenset({2, 3})


def _nested_words(length: int) -> list[str]:
    """Words that are all prefixes of one string of rare characters jieba does not know."""
    rare = "龘靐齉爩麤龖籱鱻驫灪厵纞龗齾龤"[:length]
    assert len(rare) == length and BLOCK.fullmatch(rare)
    return [rare[:end] for end in range(2, length + 1)]


def test_more_words_at_one_position_than_the_compiled_route_collects_are_left_to_jieba():
    words = _nested_words(DAG_ENDS_LIMIT + 3)  # 14 nested words of 2-15 characters
    segmenter = Segmenter(words)
    segmenter.warm_up()
    block = words[-1] + words[-1]
    route = []
    segmenter._ready(block)
    tokenize._compiled_route()(segmenter._tokenizer.FREQ, block, route, float(segmenter._tokenizer.total))
    capped = tokenize._route_boundaries(block, route)
    assert segmenter._words_along > DAG_ENDS_LIMIT
    assert capped != _jieba_boundaries(segmenter, block)  # the compiled route alone would cut it differently
    assert segmenter._block_boundaries(block) == _jieba_boundaries(segmenter, block)


def test_without_jieba_next_the_segmenter_uses_jieba_alone(monkeypatch, corpus_conversations):
    monkeypatch.setattr(tokenize, "_compiled_route", lambda: None)
    segmenter = Segmenter()
    segmenter.warm_up()
    assert segmenter._route is False
    for block in _blocks_of(m["text"] for conv in corpus_conversations[:50] for m in conv["messages"]):
        assert segmenter._block_boundaries(block) == _jieba_boundaries(segmenter, block)


@pytest.mark.parametrize("broken", [
    lambda freq, text, route, total: route.extend([0] * (len(text) + 1)),  # a route of its own making
    lambda freq, text, route: None,  # a changed signature
])
def test_a_compiled_route_that_does_not_cut_as_jieba_does_is_never_used(monkeypatch, broken):
    monkeypatch.setattr(tokenize, "_compiled_route", lambda: broken)
    segmenter = Segmenter()
    segmenter.warm_up()
    assert segmenter._route is False
    assert segmenter.block_boundaries("我们研究边界问题") == _jieba_boundaries(segmenter, "我们研究边界问题")


def test_a_block_the_compiled_route_fails_on_is_cut_by_jieba(monkeypatch):
    def failing(freq, text, route, total):
        raise RuntimeError("a bug in the extension")

    segmenter = Segmenter()
    segmenter.warm_up()
    monkeypatch.setattr(segmenter, "_route", failing)
    assert segmenter._block_boundaries("我们研究边界问题") == _jieba_boundaries(segmenter, "我们研究边界问题")


def test_the_switch_comes_after_enough_blocks():
    segmenter = Segmenter()
    for k in range(COMPILED_AFTER - 1):
        segmenter.block_boundaries(f"第{k}次测试")
    assert segmenter._route is None
    segmenter.block_boundaries("再测一次")
    assert segmenter._route


def test_a_single_check_never_imports_jieba_next(tmp_path):
    code = (
        "import sys; from qa_linter import Linter; "
        "Linter.from_config().check_reply('亲，这个我不知道，您自己看一下说明书吧'); "
        "print('jieba_next' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_compiled_route_is_loaded_without_the_jieba_next_package(tmp_path):
    # Its package's front end (importlib.metadata and all) was 38 ms of every scan's start-up.
    code = (
        "import sys; from qa_linter.text.tokenize import Segmenter; s = Segmenter(); s.warm_up(); "
        "print(callable(s._route), 'jieba_next' in sys.modules, 'jieba_next.jieba_next_rust' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "True"]
