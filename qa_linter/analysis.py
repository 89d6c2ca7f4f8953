"""Per-message analysis shared by all rules: computed lazily, at most once per message per scan.

A rule never normalises, segments or builds a spaCy document itself; it asks the message's view, so a
message is folded once, its candidate terms are found in one automaton pass, and only the blocks of text
around a candidate are ever segmented.
"""
from __future__ import annotations

import threading

import regex

from .model import Conversation, Message
from .text.matching import Hit, TermIndex
from .text.clauses import ClauseIndex, removed_whitespace, split as split_clauses, whitespace_gaps
from .text.lexicon import Term
from .text.normalize import NormalizedText, normalize, normalize_many, normalize_reference
from .text.prefilter import NUMERALS
from .text.tokenize import Segmenter, WordBoundaries

_DECIMAL_DIGIT = regex.compile(r"\d")  # the `regex` module's \d, as rule patterns have it


class Toolkit:
    """What compiled rules share: the term index, the segmenter, and (only if a rule needs it) spaCy."""

    def __init__(self) -> None:
        # Reference mode: every shortcut off (the normaliser's fast paths, pattern gates, the emoji pre-check,
        # segmenting only blocks with a candidate). Slow; tests compare its findings with the normal mode's.
        self.reference = False
        self.term_index = TermIndex()
        self._user_words: set[str] = set()
        self._token_words: set[str] = set()  # words token patterns name: kept whole in MessageView.doc()
        self._segmenter: Segmenter | None = None
        self._nlp = None
        self._lock = threading.Lock()
        # When a list, hits cancelled by an exception or a condition are noted here (calibrate --show-errors).
        self.trace: list[tuple] | None = None

    def __getstate__(self) -> dict:
        # Kept in a pack snapshot (pack_snapshot.py) as built: without its lock, and without the segmenter or spaCy
        # pipeline, which are made on first use from the words.
        state = dict(self.__dict__)
        del state["_lock"]
        state["_segmenter"] = state["_nlp"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():  # one by one: kept inline (pack_snapshot._Pickler)
            setattr(self, name, value)
        self._lock = threading.Lock()

    def note_cancelled(self, owner, view, hit, reason: str) -> None:
        if self.trace is not None:
            self.trace.append((owner, view.index, hit.text, reason))

    @property
    def user_words(self) -> frozenset[str]:
        return frozenset(self._user_words)

    @property
    def token_words(self) -> frozenset[str]:
        return frozenset(self._token_words)

    def add_words(self, words, pattern_tokens: bool = False) -> None:
        # The segmenter cuts the normalised text, so the words it must keep whole are normalised too
        # (a term written 愛用不用 or 实例ＩＤ must guard the same boundaries as 爱用不用 / 实例id).
        words = {normalize(w).text for w in words}
        self._user_words.update(words)
        if pattern_tokens:
            self._token_words.update(words)
        self._segmenter = None

    @property
    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            with self._lock:
                if self._segmenter is None:
                    self._segmenter = Segmenter(self._user_words, self._token_words)
        return self._segmenter

    @property
    def nlp(self):
        """A blank Chinese spaCy pipeline; its tokens come from our segmenter, not spaCy's own."""
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    import spacy

                    self._nlp = spacy.blank("zh")
        return self._nlp


class _computed_once:
    """Like functools.cached_property, without its lock (Python 3.11 takes one on every first access): a value
    computed twice by two threads at once is the same value, so the race is harmless and the lock pure cost."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


class MessageView:
    __slots__ = ("message", "toolkit", "__dict__")

    def __init__(self, message: Message, toolkit: Toolkit):
        self.message = message
        self.toolkit = toolkit

    @property
    def index(self) -> int:
        return self.message.index

    @property
    def role(self) -> str:
        return self.message.role

    @property
    def text(self) -> str:
        return self.message.text

    @_computed_once
    def norm(self) -> NormalizedText:
        if self.toolkit.reference:
            return normalize_reference(self.message.text)
        return normalize(self.message.text)

    @_computed_once
    def whitespace_gaps(self) -> list[int]:
        """Where the normaliser dropped a space the writer typed between Chinese characters (word boundaries and
        clause breaks both read them)."""
        norm = self.norm
        return whitespace_gaps(norm.original, norm.starts, norm.ends)

    @_computed_once
    def pauses(self) -> list[int]:
        """The whitespace gaps that stand for a pause, a break between clauses (not the spaces of letter-spaced
        or word-spaced text: text/clauses.py removed_whitespace)."""
        norm = self.norm
        return removed_whitespace(norm.original, norm.starts, norm.ends, self.whitespace_gaps)

    def boundaries(self) -> WordBoundaries:
        b = self.__dict__.get("_boundaries")
        if b is None:
            segmenter = self.toolkit.segmenter
            text = self.norm.text
            breaks = frozenset(self.whitespace_gaps)
            if self.toolkit.reference:
                b = segmenter.full_boundaries(text, breaks)
            else:
                b = segmenter.boundaries(text, breaks)
            self.__dict__["_boundaries"] = b
        return b

    def term_candidates(self) -> dict[int, list[tuple[int, int, int]]]:
        c = self.__dict__.get("_candidates")
        if c is None:
            c = self.__dict__["_candidates"] = self.toolkit.term_index.scan(self.norm.text)
        return c

    def decimal_digits(self) -> int:
        """How many decimal digits the normalised text holds (what `\\d` matches), counted once."""
        n = self.__dict__.get("_digits")
        if n is None:
            n = self.__dict__["_digits"] = len(_DECIMAL_DIGIT.findall(self.norm.text))
        return n

    def number_characters(self) -> int:
        """Decimal digits and Chinese numerals in the normalised text (prefilter.min_number_characters), counted
        once."""
        n = self.__dict__.get("_numbers")
        if n is None:
            text = self.norm.text
            n = self.__dict__["_numbers"] = self.decimal_digits() + sum(map(text.count, NUMERALS))
        return n

    def hit(self, nstart: int, nend: int, term: Term | None = None) -> Hit:
        start, end = self.norm.to_original(nstart, nend)
        return Hit(start, end, self.message.text[start:end], nstart, nend, term)

    def block_position(self) -> "tuple[object, int] | None":
        """(block, row) for a message the block engine reads from a block; None here."""
        return None

    def may_hold_latin(self) -> bool:
        """False only when the folded text certainly holds no Latin letter a-z (the block engine counts them for
        every message at once); here it is not known, so a rule reads the text."""
        return True

    def clauses(self) -> ClauseIndex:
        """The message's clauses (text/clauses.py), found once, only for messages a condition looks at."""
        c = self.__dict__.get("_clauses")
        if c is None:
            clauses = split_clauses(self.norm.text, self.pauses, self.boundaries().is_boundary)
            c = self.__dict__["_clauses"] = ClauseIndex(clauses)
        return c

    def doc(self):
        """A spaCy Doc of the normalised text, tokenised by our segmenter; cached."""
        d = self.__dict__.get("_doc")
        if d is None:
            from spacy.tokens import Doc

            words = self.toolkit.segmenter.words(self.norm.text)
            d = Doc(self.toolkit.nlp.vocab, words=[w for w, _, _ in words], spaces=[False] * len(words))
            self.__dict__["_doc"] = d
            self.__dict__["_doc_offsets"] = [(s, e) for _, s, e in words]
        return d

    def token_span(self, start_token: int, end_token: int) -> tuple[int, int]:
        offsets = self.__dict__["_doc_offsets"]
        return offsets[start_token][0], offsets[end_token - 1][1]


class ConversationView:
    """A conversation as the rules see it: its record plus one view per message."""

    # The messages the rule being run may find something in, a bit per message index (Rule.open_only): set by
    # Linter.scan_view from the block engine's masks for the duration of one rule's check; None: all of them.
    open_mask: int | None = None

    def __init__(self, conversation: Conversation, toolkit: Toolkit):
        self.conversation = conversation
        self.toolkit = toolkit
        self.messages = [MessageView(m, toolkit) for m in conversation.messages]

    @property
    def messages(self) -> list[MessageView]:
        return self._messages

    @messages.setter
    def messages(self, views: list[MessageView]) -> None:
        # The pre-send check puts the draft after the context's views; the role lists follow.
        self._messages = views
        self._by_role: dict[str, list[MessageView]] = {}
        self._lists: set[int] | None = None
        # What a rule worked out about these messages and asks for again, by (rule, question): started anew with them.
        self.memos: dict = {}

    @property
    def id(self) -> str:
        return self.conversation.id

    @property
    def channel(self) -> str:
        return self.conversation.channel

    @property
    def partial(self) -> object:
        """meta.partial as written, None when absent (the block view reads it without building the record)."""
        return self.conversation.partial

    def team_and_meta(self) -> tuple:
        """The record's team and meta (the block view reads them without building the record)."""
        record = self.conversation
        return record.team, record.meta

    def candidate_lists(self) -> set[int]:
        """Every term-index list with a candidate in some message: what rules may find here at all."""
        found = self._lists
        if found is None:
            self._normalize_messages()
            found = set()
            for view in self._messages:
                found.update(view.term_candidates())
            self._lists = found
        return found

    def _normalize_messages(self) -> None:
        """Fold every message not folded yet, the tests they all need done once for the conversation."""
        pending = [v for v in self._messages if "norm" not in v.__dict__]
        if len(pending) < 2 or self.toolkit.reference:
            return  # each view folds itself on demand
        for view, norm in zip(pending, normalize_many([v.message.text for v in pending])):
            view.__dict__["norm"] = norm

    def by_role(self, role: str | None) -> list[MessageView]:
        """The views of one role ("any": all but system), computed once per conversation; do not modify it."""
        key = "any" if role is None else role
        found = self._by_role.get(key)
        if found is None:
            if key == "any":
                found = [m for m in self._messages if m.message.role != "system"]
            else:
                found = [m for m in self._messages if m.message.role == key]
            self._by_role[key] = found
        return found
