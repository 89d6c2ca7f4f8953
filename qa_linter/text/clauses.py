"""Clauses of a normalised message: where rule conditions look for their context.

A clause ends at sentence or clause punctuation, a line break, or whitespace that the normaliser removed
between Chinese characters (speech-to-text and shop chats often separate clauses with a space and nothing
else). Real chat often has no punctuation at all, so a clause also ends before a conjunction that opens a new
clause (但是, 所以, 如果 …) when that conjunction is a whole word: 如果 in 如果您 starts a clause, 果 in 水果
does not; and after the 的话 that closes a condition (不送的话|这边也没办法了), when it is a whole word.

Sentences are the coarser unit: they end only at sentence punctuation and line breaks. Offsets here are
normalised offsets (NormalizedText.text), like every hit's nstart/nend.
"""
from __future__ import annotations

import bisect
import re

import regex
from typing import Callable, NamedTuple, Sequence

# After folding, full-width ？！，；： are ASCII; 。、 stay as they are.
# A semicolon separates the items of one list (请提供：1. 账户名；2. 登录密码), so it ends a clause, not a sentence.
SENTENCE_END = frozenset("。!?！？\n…")
CLAUSE_END = SENTENCE_END | frozenset(",，、:：;；~～")

# Conjunctions that open a clause. Kept short on purpose: each must be a word in its own right wherever it
# stands at the start of a clause, and jieba must cut it as one word (checked against word boundaries).
OPENERS = (
    "但是", "不过", "可是", "然而", "所以", "因此", "因为", "由于", "然后", "而且", "另外", "同时", "其实",
    "如果", "假如", "要是", "万一", "倘若", "假设", "一旦", "只要", "除非", "否则", "不然", "虽然", "即使",
    "就算", "哪怕", "既然", "等到", "如有", "若有",
)
MIN_RUN_ON = 6  # characters of a clause before a conjunction that opens the next one
# What closes a clause in run-on chat: the clause-final 的话 of a condition (不送的话|这边也没办法了).
CLOSERS = ("的话",)
_OPENER = re.compile("|".join(sorted(OPENERS, key=len, reverse=True)))
_CLOSER = re.compile("|".join(CLOSERS))
_CLAUSE_END = re.compile("[" + "".join(re.escape(ch) for ch in sorted(CLAUSE_END)) + "]")


class Clause(NamedTuple):  # a named tuple: a frozen dataclass set each field through object.__setattr__
    start: int
    end: int
    sentence: int  # index of the sentence the clause belongs to


def split(text: str, gaps: Sequence[int] = (), is_boundary: Callable[[int], bool] | None = None) -> list[Clause]:
    """The clauses of `text`. `gaps`: positions where removed whitespace stood; `is_boundary(pos)`: whether a
    word boundary lies at pos (conjunction splits are made only there)."""
    cuts: dict[int, bool] = {}  # position -> ends a sentence too
    for m in _CLAUSE_END.finditer(text):  # a search, not a loop over every character
        pos, ch = m.start(), m.group()
        if ch in ",:" and 0 < pos < len(text) - 1 and text[pos - 1].isdigit() and text[pos + 1].isdigit():
            continue  # 16:00, 1,000: a time or a number, not a clause break
        cuts[pos + 1] = cuts.get(pos + 1, False) or ch in SENTENCE_END
    for pos in gaps:
        cuts.setdefault(pos, False)
    last_cut = 0
    for m in _OPENER.finditer(text):
        pos = m.start()
        if pos == 0 or pos in cuts:
            continue
        # A short topic before the conjunction belongs to its clause (密码如果忘了…): split run-on text only.
        last_cut = max([c for c in cuts if c <= pos] + [0])
        if pos - last_cut < MIN_RUN_ON:
            continue
        if is_boundary is None or (is_boundary(pos) and is_boundary(m.end())):
            cuts[pos] = False
    for m in _CLOSER.finditer(text):
        pos = m.end()
        if pos in cuts or pos >= len(text) or text[pos] in CLAUSE_END or text[pos].isspace() \
                or not text[pos:].strip(" \t\n" + "".join(CLAUSE_END)):
            continue  # punctuation ends the clause there already, or nothing follows
        if is_boundary is None or (is_boundary(m.start()) and is_boundary(pos)):
            cuts[pos] = False
    clauses: list[Clause] = []
    start, sentence = 0, 0
    for pos in sorted(cuts):
        if pos <= start:
            continue
        if text[start:pos].strip(" \t\n" + "".join(CLAUSE_END)):
            clauses.append(Clause(start, pos, sentence))
        if cuts[pos]:
            sentence += 1
        start = pos
    if start < len(text) and text[start:].strip():
        clauses.append(Clause(start, len(text), sentence))
    if not clauses:
        clauses.append(Clause(0, len(text), 0))
    return clauses


class ClauseIndex:
    """Which clause holds a position; the clauses of one message, found by bisection."""

    __slots__ = ("clauses", "_starts", "_sentences")

    def __init__(self, clauses: list[Clause]):
        self.clauses = clauses
        self._starts = [c.start for c in clauses]
        self._sentences: "dict | None" = None  # sentence -> (start of its first clause, end of its last)

    def at(self, pos: int) -> Clause:
        i = bisect.bisect_right(self._starts, pos) - 1
        return self.clauses[max(i, 0)]

    def sentence_span(self, clause: Clause) -> tuple[int, int]:
        spans = self._sentences
        if spans is None:
            # Worked out once for all sentences: looking through every clause for each question was quadratic in
            # a long message (13,000 questions over 40,000 clauses of one 200,000-character message: 29 s).
            spans = self._sentences = {}
            for c in self.clauses:
                first = spans.get(c.sentence)
                spans[c.sentence] = (c.start if first is None else first[0], c.end)
        return spans[clause.sentence]

    def overlapping(self, lo: int, hi: int) -> list[Clause]:
        """The clauses with start < hi and end > lo, in order (clauses follow each other: found by bisection)."""
        first = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        last = bisect.bisect_left(self._starts, hi)
        return [c for c in self.clauses[first:last] if c.start < hi and c.end > lo]


def whitespace_gaps(original: str, starts, ends) -> list[int]:
    """Normalised positions where the normaliser dropped whitespace between two Chinese characters: the
    writer's own word breaks (亲 人脸核验 is 亲 + 人脸核验, not 亲人), whatever they separate."""
    if starts is None:
        return []
    # From each whitespace character of the original to the folded character after it, not through every
    # folded character (most messages have no whitespace; those that do, a few runs).
    gaps = []
    count = len(starts)
    for m in _WHITESPACE.finditer(original):
        i = bisect.bisect_right(starts, m.start())  # the first folded character after the run's start
        if i == 0 or i == count or (gaps and gaps[-1] == i):
            continue
        prev_end, start = ends[i - 1], starts[i]
        # The run stands in what was dropped between characters i - 1 and i, if any of it lies there.
        if prev_end < m.end() and start > prev_end:
            if _HAN.match(original[prev_end - 1]) and _HAN.match(original[start]):
                gaps.append(i)
    return gaps


def removed_whitespace(original: str, starts, ends, gaps: "list[int] | None" = None) -> list[int]:
    """The whitespace gaps (whitespace_gaps, or `gaps` when already found) that break clauses (spaces around a
    Latin word, 索要 App 的密码, are word spacing, not a clause break)."""
    if gaps is None:
        gaps = whitespace_gaps(original, starts, ends)
    if not gaps:
        return []
    # Letter-spaced text (我 不 知 道) is one word spelled out, not clauses: a gap counts only between runs of two
    # characters or more, or beside a filler said on its own (播放 呃 后面有问题…: 呃 is no letter of a word).
    bounds = [0, *gaps, len(starts)]

    def filler(lo: int, hi: int) -> bool:
        return hi - lo == 1 and original[starts[lo]] in _FILLERS

    def whole(lo: int, hi: int) -> bool:
        return hi - lo >= 2 or filler(lo, hi)

    if len(gaps) >= _WORD_SPACED_GAPS and len(starts) / (len(gaps) + 1) <= _WORD_SPACED_RUN:
        # Word-spaced text (speech-to-text that puts a space between words: 按斤 卖 的 不知道 您 这边) marks words,
        # not clauses: only a filler said on its own (嗯 我 查一下) stands for a pause there, and a question ends
        # where its particle does (明天 十点 可以吗 拿回 报告 后 …).
        return [g for k, g in enumerate(gaps, 1)
                if filler(bounds[k - 1], g) or filler(g, bounds[k + 1]) or original[ends[g - 1] - 1] in _ENDS_QUESTION]
    return [g for k, g in enumerate(gaps, 1) if whole(bounds[k - 1], g) and whole(g, bounds[k + 1])]


# A message with at least this many spaces between Chinese characters, and on average at most this many characters
# between them, is spaced word by word.
_WORD_SPACED_GAPS = 5
_WORD_SPACED_RUN = 2.6


# Sounds a speaker makes between clauses; said alone between spaces they stand for a pause, not a spelled letter.
_FILLERS = frozenset("呃嗯啊哦额唉诶哎")
# Particles that end a question (可以吗 / 对吧 / 好不好呢): in word-spaced speech the space after one ends a clause.
_ENDS_QUESTION = frozenset("吗吧呢嘛")


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WHITESPACE = re.compile(r"\s+")


def with_pauses(text: str, pauses: Sequence[int], mark: str) -> "tuple[str, list[int]]":
    """`text` with `mark` at each pause (a position of text: MessageView.pauses), and for each position of the
    result, the position of `text` it stands for (a pause stands for the character after it)."""
    parts, shift, last = [], [], 0
    for at in sorted(set(pauses)):
        parts.append(text[last:at])
        shift.extend(range(last, at))
        parts.append(mark)
        shift.append(at)
        last = at
    parts.append(text[last:])
    shift.extend(range(last, len(text) + 1))  # and the end of the text
    return "".join(parts), shift


class PausedMatch:
    """A match found in the text with its pauses marked (with_pauses), read in the positions of the text."""

    def __init__(self, match, shift: list):
        self._match, self._shift = match, shift

    def group(self, *names):
        return self._match.group(*names)

    def groupdict(self):
        return self._match.groupdict()

    def span(self, name=0):
        start, end = self._match.span(name)
        return (self._shift[start], self._shift[end]) if start >= 0 else (-1, -1)

    def start(self, name=0):
        return self.span(name)[0]

    def end(self, name=0):
        return self.span(name)[1]


# A question, by its form: a question mark, a clause-final 吗/么/没有 (also before a comma), A-not-A (能不能, 是不是, 提示不提示 …), 是否/能否. Not a final
# 呢 or 嘛: in chat 好的呢 / 可以的嘛 are statements.
_QUESTION = regex.compile(
    r"[?？]|(吗|么|没有?)[。!！~～,，;；\s]*$|(\p{Han}{1,2})不\2|是否|能否|可否"
)


def looks_like_question(clause_text: str) -> bool:
    return _QUESTION.search(clause_text) is not None
