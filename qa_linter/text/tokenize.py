"""The one tokenizer wrapper: jieba word segmentation behind a small interface, built lazily, cached by text.

Word-aware matching asks one question: do a hit's start and end fall on word boundaries? Looking single
tokens up in a set cannot answer it (不知道 is cut 不/知道), so a hit may span several tokens; it only has to
start and end where tokens do. The segmentation behind that answer is jieba's, without its HMM guesser
(which invents words across phrase edges, 这不归/我管), with jieba's dictionary plus only those lexicon terms
that are *words jieba does not know* (回滚, 木有, 老铁: jieba would cut them into single characters, letting
滚 match inside 回滚). Listed *phrases* made of dictionary words (我不知道, 明天再说) are not added: glued
into one token they would swallow a shorter listed phrase (不知道 in 我不知道) or a neighbour (明天再说|明),
and a phrase never needs to be one token to match, only to start and end on boundaries.

Pure ASCII terms are never added (jieba would then cut 666 out of an order number). Text outside jieba's
blocks (punctuation, spaces, symbols) is one token per character, as jieba does it, so only the block that
contains a position is ever segmented.
"""
from __future__ import annotations

import bisect
import logging
import re
import threading
from functools import lru_cache
from typing import Iterable

# jieba's own block pattern (jieba.re_han_default): it segments each such run separately.
BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")
_ASCII_ONLY = re.compile(r"^[\x00-\x7f]+$")


_BASE_LOCK = threading.Lock()
_BASE = None


def _base_tokenizer():
    """jieba with its own dictionary, parsed once per process; segmenters copy it, never change it."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _BASE = tokenizer
        return _BASE


class Segmenter:
    """Word boundaries and words of normalised text. Thread-safe; the dictionary loads on first use."""

    def __init__(self, user_words: Iterable[str] = (), token_words: Iterable[str] = ()):
        # `token_words` are words that token patterns name: they are kept whole even if jieba knows parts.
        self._candidates = sorted(
            {w for w in user_words if len(w) > 1 and not _ASCII_ONLY.match(w) and BLOCK.fullmatch(w)}
        )
        self._forced = frozenset(w for w in token_words if len(w) > 1 and not _ASCII_ONLY.match(w))
        self._lock = threading.Lock()
        self._tokenizer = None
        self.block_boundaries = lru_cache(maxsize=100_000)(self._block_boundaries)

    # -- loading -------------------------------------------------------------------------------------------
    def _load(self):
        if self._tokenizer is not None:
            return self._tokenizer
        with self._lock:
            if self._tokenizer is None:
                import jieba

                tokenizer = jieba.Tokenizer()
                # A copy of the parsed dictionary (about 10 ms) instead of parsing it again (about 0.5 s).
                base = _base_tokenizer()
                tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
                new_words = [w for w in self._candidates if w in self._forced or _unknown_word(tokenizer, w)]
                new_words += [w for w in self._forced if w not in self._candidates]
                for word in new_words:
                    if tokenizer.FREQ.get(word, 0) == 0:
                        tokenizer.add_word(word, freq=max(10, tokenizer.suggest_freq(word, tune=False)))
                self._tokenizer = tokenizer
        return self._tokenizer

    def warm_up(self) -> None:
        self._load()

    # -- boundaries ------------------------------------------------------------------------------------------
    def _block_boundaries(self, block: str) -> frozenset[int]:
        found: set[int] = set()
        pos = 0
        for word in self._load().cut(block, HMM=False):
            pos += len(word)
            found.add(pos)
        return frozenset(found)

    def boundaries(self, text: str) -> "WordBoundaries":
        return WordBoundaries(self, text)

    def full_boundaries(self, text: str) -> "FullBoundaries":
        """The plain way: the whole text segmented at once, no cache (the reference the fast path must equal)."""
        ends: set[int] = set()
        pos = 0
        for word in self._load().cut(text, HMM=False):
            pos += len(word)
            ends.add(pos)
        return FullBoundaries(len(text), frozenset(ends))

    # -- words (for token patterns) --------------------------------------------------------------------------
    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Words of `text` with their offsets (the same segmentation as the boundaries); no whitespace."""
        out = []
        pos = 0
        for word in self._load().cut(text, HMM=False):
            if not word.isspace():
                out.append((word, pos, pos + len(word)))
            pos += len(word)
        return out


def _unknown_word(tokenizer, word: str) -> bool:
    """True when jieba's dictionary can only cut `word` into single characters: a word it does not know."""
    return all(len(piece) == 1 for piece in tokenizer.cut(word, HMM=False))


class WordBoundaries:
    """Answers "is this span made of whole words?" for one text, segmenting only the blocks asked about."""

    __slots__ = ("_seg", "_text", "_starts", "_ends")

    def __init__(self, segmenter: Segmenter, text: str):
        self._seg = segmenter
        self._text = text
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    def _blocks(self) -> None:
        self._starts = []
        for m in BLOCK.finditer(self._text):
            self._starts.append(m.start())
            self._ends.append(m.end())

    def is_boundary(self, pos: int) -> bool:
        if pos <= 0 or pos >= len(self._text):
            return True
        if self._starts is None:
            self._blocks()
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0 or pos >= self._ends[i] or pos == self._starts[i]:
            return True  # not strictly inside a block: every character there is its own token
        start = self._starts[i]
        return (pos - start) in self._seg.block_boundaries(self._text[start : self._ends[i]])

    def covers(self, start: int, end: int) -> bool:
        return self.is_boundary(start) and self.is_boundary(end)


class FullBoundaries:
    """Word boundaries of a text segmented whole (see Segmenter.full_boundaries); the WordBoundaries interface."""

    __slots__ = ("_length", "_ends")

    def __init__(self, length: int, ends: frozenset[int]):
        self._length = length
        self._ends = ends

    def is_boundary(self, pos: int) -> bool:
        return pos <= 0 or pos >= self._length or pos in self._ends

    def covers(self, start: int, end: int) -> bool:
        return self.is_boundary(start) and self.is_boundary(end)
