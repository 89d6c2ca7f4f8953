"""The one tokenizer wrapper: jieba word segmentation behind a small interface, built lazily, cached by text.

Word-aware matching asks one question: do a hit's start and end fall on word boundaries? Looking single
tokens up in a set cannot answer it (不知道 is cut 不/知道), and adding listed phrases to the dictionary alone
creates new traps (a longer listed phrase swallows a shorter one, 积木有 turns into 积/木有). So a position is a
boundary when it is one in *either* of two segmentations of the same text, both without jieba's HMM guesser
(which invents words across phrase edges, 这不归/我管):

* jieba's own dictionary, which keeps ordinary words such as 亲自, 滚动条, 菜单, 积木 whole;
* the same dictionary plus the Chinese terms of the loaded lexicons, so a listed phrase is never cut apart.

Text outside jieba's blocks (punctuation, spaces, symbols) is one token per character, as jieba does it, so
only the block that contains a position is ever segmented.
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


class Segmenter:
    """Word boundaries and words of normalised text. Thread-safe; the dictionaries load on first use."""

    def __init__(self, user_words: Iterable[str] = (), token_words: Iterable[str] = ()):
        # Pure ASCII terms are never added: jieba would then cut 666 out of an order number.
        self._user_words = sorted(
            {w for w in user_words if len(w) > 1 and not _ASCII_ONLY.match(w) and BLOCK.fullmatch(w)}
        )
        # Listed phrases that `words()` cuts again: only the words token patterns name stay whole there.
        self._resplit = frozenset(self._user_words) - frozenset(token_words)
        self._lock = threading.Lock()
        self._plain = None
        self._augmented = None
        self.block_boundaries = lru_cache(maxsize=100_000)(self._block_boundaries)

    # -- loading -------------------------------------------------------------------------------------------
    def _load(self) -> None:
        with self._lock:
            if self._augmented is not None:
                return
            import jieba

            jieba.setLogLevel(logging.WARNING)
            plain = jieba.Tokenizer()
            plain.initialize()
            augmented = jieba.Tokenizer()
            # Share the parsed dictionary instead of loading it twice, then add the lexicon terms.
            augmented.FREQ = dict(plain.FREQ)
            augmented.total = plain.total
            augmented.initialized = True
            for word in self._user_words:
                if augmented.FREQ.get(word, 0) == 0:
                    augmented.add_word(word, freq=max(10, augmented.suggest_freq(word, tune=False)))
            self._plain, self._augmented = plain, augmented

    def warm_up(self) -> None:
        self._load()

    # -- boundaries ------------------------------------------------------------------------------------------
    def _block_boundaries(self, block: str) -> frozenset[int]:
        self._load()
        found: set[int] = set()
        for tokenizer in (self._plain, self._augmented):
            pos = 0
            for word in tokenizer.cut(block, HMM=False):
                pos += len(word)
                found.add(pos)
        return frozenset(found)

    def boundaries(self, text: str) -> "WordBoundaries":
        return WordBoundaries(self, text)

    # -- words (for token patterns) --------------------------------------------------------------------------
    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Words of `text` with their offsets, from the lexicon-aware segmentation; whitespace is skipped."""
        self._load()
        out = []
        pos = 0
        for word in self._augmented.cut(text, HMM=False):
            # A phrase from some rule's lexicon is glued into one word so that boundaries never cut it,
            # but as a token it would hide the words inside it from token patterns (你自己看 glued whole
            # hides 自己), so it is cut again with the plain dictionary unless a pattern names it.
            pieces = self._plain.cut(word, HMM=False) if word in self._resplit else (word,)
            for piece in pieces:
                if not piece.isspace():
                    out.append((piece, pos, pos + len(piece)))
                pos += len(piece)
        return out


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
