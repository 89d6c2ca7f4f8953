"""Finding listed terms and patterns in a message, word-aware, with offsets in the original text.

All term lists of all rules share one Aho-Corasick automaton (`TermIndex`), run once per message; each
list then keeps the candidate hits that cover whole words. Regular expressions run on the normalised text
with a per-match timeout, so one bad pattern cannot hang a scan.
"""
from __future__ import annotations

import bisect
import itertools
import pickle
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Protocol, Sequence

import ahocorasick
import regex

from ..vocabulary import PATTERN_FLAGS
from .clauses import with_pauses
from .lexicon import Term
from .normalize import NormalizedText, normalize
from .prefilter import pattern_gates, untimed_limit
from .windows import WindowedPattern, plain

if TYPE_CHECKING:  # pragma: no cover
    from .tokenize import WordBoundaries


class MessageView(Protocol):
    """What a matcher asks of a message: its folded text, the one automaton pass over it, its word boundaries,
    its digit count, and hits mapped back to the original (analysis.MessageView, which computes each once)."""

    norm: NormalizedText
    toolkit: Any  # `.reference`: every shortcut off (see analysis.Toolkit)

    def term_candidates(self) -> dict[int, list[tuple[int, int, int]]]: ...

    def boundaries(self) -> "WordBoundaries": ...

    def decimal_digits(self) -> int: ...
    def number_characters(self) -> int: ...

    def hit(self, nstart: int, nend: int, term: Term | None = None) -> "Hit": ...

REGEX_TIMEOUT = 0.25  # seconds a pattern may take over an ordinary message; one that needs more is reported, skipped
# ... plus this much per character. A well-behaved pattern is linear (the slowest built-in one needs about 3 µs a
# character; the margin covers a loaded machine), so a 2 MB e-mail must not time out merely for being long (a flat
# 0.25 s skipped most regex rules on it); a runaway pattern is still stopped, after a time in proportion to the text.
REGEX_SECONDS_PER_CHAR = 20e-6
# A matcher remembers what it found in this many texts of at most this many characters, then starts again: at most
# about a megabyte each (the pack's 46 matchers: 60 MB if every text were new and this long; 4 MB more RSS on the
# 20 MB corpus), and the texts worth remembering, replies sent again and again, are short. 4,096 saved 0.4% more.
MEMO_TEXTS = 2048
MEMO_CHARACTERS = 200
_MAX_GATE_COMBINATIONS = 4096  # per matcher; more is a pathological pack, where the table is started again


# Which patterns may be compiled at all (nested repetitions, oversized bounds): see pattern_safety.py.
from .pattern_safety import MAX_REPEAT, LazyPattern, repetition_problem  # noqa: E402,F401  (re-exported)


def remembered(memo: dict, view: "MessageView", compute):
    """compute(view), kept in `memo` by the message's text when the text is short (what is remembered must depend
    on the text alone); the memo starts again when it holds MEMO_TEXTS texts."""
    text = view.text
    if len(text) > MEMO_CHARACTERS:
        return compute(view)
    found = memo.get(text)
    if found is None:
        if len(memo) >= MEMO_TEXTS:
            memo.clear()
        found = memo[text] = compute(view)
    return found


def regex_timeout(text: str) -> float:
    """Seconds one pattern may search `text` for (all its matches together)."""
    return REGEX_TIMEOUT + len(text) * REGEX_SECONDS_PER_CHAR


def guarded_finditer(pattern, text: str):
    """pattern.finditer(text) under the timeout (regex_timeout), unless the text is no longer than the pattern's
    untimed_limit (prefilter.py): too short for the search to take long enough for a timeout to matter. The
    timeout costs about 1.8 µs a search, more than a search of a chat message."""
    if len(text) <= untimed_of(pattern):
        return pattern.finditer(text)
    return pattern.finditer(text, timeout=regex_timeout(text))


_UNTIMED_BY_ID: "dict[int, tuple[object, int]]" = {}  # a compiled pattern (no attributes of its own) -> its limit


def untimed_of(pattern) -> int:
    """prefilter.untimed_limit(pattern), worked out once per pattern object: a lazy pattern keeps it (and a pack
    snapshot with it), a compiled one is remembered by identity (and kept alive with it). A windowed pattern has
    its plain pattern's: its windows are stretches of the text, each searched for no more than the whole."""
    pattern = plain(pattern)
    own = getattr(pattern, "__dict__", None)
    limit = own.get("_untimed") if own is not None else _UNTIMED_BY_ID.get(id(pattern), (None, None))[1]
    if limit is None:
        limit = _remember_untimed(pattern, untimed_limit(pattern))
    return limit


def _remember_untimed(pattern, limit: int) -> int:
    """Keep `limit` with `pattern` (see untimed_of); a limit it has already stays."""
    pattern = plain(pattern)
    own = getattr(pattern, "__dict__", None)
    if own is not None:
        return own.setdefault("_untimed", limit)
    return _UNTIMED_BY_ID.setdefault(id(pattern), (pattern, limit))[1]


class Hit(NamedTuple):
    """A match in one message. (A named tuple: a scan of varied text makes a hundred thousand, and a frozen
    dataclass set each field through object.__setattr__, 2% of the scan.)"""

    start: int  # original text offsets
    end: int
    text: str
    nstart: int  # normalised text offsets
    nend: int
    term: Term | None = None

    @property
    def suggestion(self) -> str | None:
        return self.term.suggestion if self.term else None


class RegexTimeout(Exception):
    def __init__(self, pattern: str):
        self.pattern = pattern
        super().__init__(pattern)


class TermIndex:
    """One automaton over the normalised forms of every registered term list."""

    def __init__(self) -> None:
        self._lists: list[list[str]] = []
        self._ids: dict[tuple[str, ...], int] = {}
        self._automaton = None
        self._values: list[tuple[int, tuple]] = []  # by the automaton's value: (key length, (list id, term index)…)
        self._lock = threading.Lock()

    def register(self, keys: Sequence[str]) -> int:
        """The id of the list `keys`; the same keys in the same order share one id (and one set of hits)."""
        with self._lock:
            known = self._ids.get(tuple(keys))
            if known is not None:
                return known
            self._lists.append(list(keys))
            self._ids[tuple(keys)] = len(self._lists) - 1
            self._automaton = None
            self.__dict__.pop("_kept", None)
            return len(self._lists) - 1

    def __getstate__(self) -> dict:
        # Kept in a pack snapshot (pack_snapshot.py) without its lock. A built automaton is kept pickled on its own
        # and unpickled only where it is used (a check of one reply: 14 ms against 48 ms to build; a block scan
        # never asks for it).
        state = dict(self.__dict__)
        del state["_lock"]
        state.pop("_block_automaton", None)  # the block engine's (blocks/candidates.py): built again where needed
        automaton = state.pop("_automaton")
        state["_values"] = []
        state["_kept"] = pickle.dumps((automaton, self._values), protocol=pickle.HIGHEST_PROTOCOL) \
            if automaton is not None else None
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():  # one by one: kept inline (pack_snapshot._Pickler)
            setattr(self, name, value)
        self._automaton = None
        self._lock = threading.Lock()

    def lists(self) -> list[list[str]]:
        """The registered key lists, by list id (do not modify)."""
        return self._lists

    def _build(self):
        with self._lock:
            if self._automaton is not None:
                return self._automaton
            kept = self.__dict__.pop("_kept", None)
            if kept is not None:
                self._automaton, self._values = pickle.loads(kept)
                return self._automaton
            # Each key's value is its number in `_values` (an automaton of ints): with the (length, owners) tuples
            # themselves as values, adding the built-in pack's 13,000 keys took 45 ms of every start, 11 ms so.
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            table: dict[str, list[tuple[int, int]]] = {}
            for list_id, keys in enumerate(self._lists):
                for term_idx, key in enumerate(keys):
                    if key:
                        table.setdefault(key, []).append((list_id, term_idx))
            values = []
            for key, owners in table.items():
                automaton.add_word(key, len(values))
                values.append((len(key), tuple(owners)))
            if len(automaton):
                automaton.make_automaton()
            self._values = values
            self._automaton = automaton
            return automaton

    def scan(self, text: str) -> dict[int, list[tuple[int, int, int]]]:
        """Candidate hits per term list: list id -> [(nstart, nend, term index)]."""
        automaton = self._automaton or self._build()
        found: dict[int, list[tuple[int, int, int]]] = {}
        if not len(automaton) or not text:
            return found
        values = self._values
        for end_idx, number in automaton.iter(text):
            length, owners = values[number]
            start = end_idx + 1 - length
            for list_id, term_idx in owners:
                found.setdefault(list_id, []).append((start, end_idx + 1, term_idx))
        return found


class Requirement:
    """What must have candidates in a message (or conversation) for a matcher or rule to find anything there:
    one of `alternatives`, each a set of term-index lists that must all have candidates. Tested against the
    lists with candidates (TermIndex.scan's keys), so one automaton pass decides for every matcher."""

    __slots__ = ("alternatives", "_single", "_groups", "_single_mask", "_group_masks")

    def __init__(self, alternatives: Iterable[Iterable[int]]):
        self.alternatives = frozenset(frozenset(a) for a in alternatives)
        self._single = frozenset(next(iter(a)) for a in self.alternatives if len(a) == 1)
        # An alternative that holds a single list is met whenever that list is present: only the others count.
        self._groups = tuple(a for a in self.alternatives if len(a) > 1 and a.isdisjoint(self._single))
        # The same as bit masks (bit l: list l), for presence given as one (the block engine's views).
        self._single_mask = sum(1 << list_id for list_id in self._single)
        self._group_masks = tuple(sum(1 << list_id for list_id in group) for group in self._groups)

    def met_by(self, present) -> bool:
        """`present`: a set or dict of list ids with candidates, or an object whose `mask` has bit l set for
        each list l with candidates."""
        mask = getattr(present, "mask", None)
        if mask is not None:
            # A loop rather than any(generator): asked hundreds of thousands of times per block, mostly to say no.
            if mask & self._single_mask:
                return True
            for group in self._group_masks:
                if mask & group == group:
                    return True
            return False
        if not self._single.isdisjoint(present):
            return True
        return any(all(list_id in present for list_id in group) for group in self._groups)

    @staticmethod
    def any_of(requirements: "Iterable[Requirement | None]") -> "Requirement | None":
        """Met when any of `requirements` is; None (no requirement) if one of them is None."""
        alternatives: set[frozenset[int]] = set()
        for requirement in requirements:
            if requirement is None:
                return None
            alternatives |= requirement.alternatives
        return Requirement(alternatives)


class TermMatcher:
    """A list of terms; a hit must cover whole words unless `boundary` is "none"."""

    def __init__(self, index: TermIndex, terms: Iterable[Term], boundary: str = "word"):
        self.terms: list[Term] = []
        keys: list[str] = []
        for term in terms:
            key = normalize(term.text).text
            if key:
                self.terms.append(term)
                keys.append(key)
        self.keys = keys
        self.boundary = boundary
        # Per term: whether its edges must fall on word boundaries (see _needs_boundary).
        self._checked = [_needs_boundary(key) for key in keys]
        self._list_id = index.register(keys)

    @property
    def list_id(self) -> int:
        return self._list_id

    def __bool__(self) -> bool:
        return bool(self.terms)

    def find(self, view: "MessageView") -> list[Hit]:
        candidates = view.term_candidates().get(self._list_id)
        if not candidates:
            return []
        terms = self.terms
        if self.boundary != "word":
            return [view.hit(nstart, nend, terms[term_idx]) for nstart, nend, term_idx in candidates]
        checked = self._checked
        if not any(checked[term_idx] for _, _, term_idx in candidates):
            return [view.hit(nstart, nend, terms[term_idx]) for nstart, nend, term_idx in candidates]  # no segmenting
        covers = view.boundaries().covers
        return [view.hit(nstart, nend, terms[term_idx]) for nstart, nend, term_idx in candidates
                if not checked[term_idx] or covers(nstart, nend)]

    def spans(self, view: "MessageView") -> list[tuple[int, int]]:
        """The (nstart, nend) of what `find` returns, without building hits."""
        candidates = view.term_candidates().get(self._list_id)
        if not candidates:
            return []
        if self.boundary != "word":
            return [(nstart, nend) for nstart, nend, _ in candidates]
        checked = self._checked
        if not any(checked[term_idx] for _, _, term_idx in candidates):
            return [(nstart, nend) for nstart, nend, _ in candidates]
        covers = view.boundaries().covers
        return [(nstart, nend) for nstart, nend, term_idx in candidates if not checked[term_idx] or covers(nstart, nend)]

    def spans_within(self, view: "MessageView", lo: int, hi: int) -> Iterator[tuple[int, int]]:
        """The spans of `spans(view)` that lie in [lo, hi], in order; word boundaries are asked only of the
        candidates there, so the blocks of the message outside that stretch need not be segmented."""
        candidates = view.term_candidates().get(self._list_id)
        if not candidates:
            return
        if len(candidates) > _BISECT_FROM:
            # A long message asks for many regions: only the candidates ending in [lo, hi] can lie in it.
            ends = _candidate_ends(view, self._list_id, candidates)
            if ends is not None:
                candidates = candidates[bisect.bisect_left(ends, lo):bisect.bisect_right(ends, hi)]
        word = self.boundary == "word"
        checked = self._checked
        covers = None
        for nstart, nend, term_idx in candidates:
            if lo <= nstart and nend <= hi:
                if word and checked[term_idx]:
                    if covers is None:
                        covers = view.boundaries().covers
                    if not covers(nstart, nend):
                        continue
                yield nstart, nend

    def any(self, view: "MessageView") -> bool:
        """bool(find(view)), without building the hits."""
        candidates = view.term_candidates().get(self._list_id)
        if not candidates:
            return False
        if self.boundary != "word":
            return True
        checked = self._checked
        if not all(checked[term_idx] for _, _, term_idx in candidates):
            return True  # a long phrase needs no segmenting
        covers = view.boundaries().covers
        return any(covers(nstart, nend) for nstart, nend, _ in candidates)


# A message with more candidates of one list than this is searched by region with bisection (TermMatcher.spans_within):
# asking every candidate of a 200,000-character message for each of its 13,000 regions took 12 s.
_BISECT_FROM = 32


def _candidate_ends(view: "MessageView", list_id: int, candidates: list) -> "list[int] | None":
    """The ends of a list's candidates in the message, when they come in order of their ends (the automaton reports
    a match where it ends), kept with the view; None when they do not (then every candidate is asked)."""
    known = view.__dict__.setdefault("_candidate_ends", {})
    if list_id not in known:
        ends = [nend for _, nend, _ in candidates]
        known[list_id] = ends if all(a <= b for a, b in zip(ends, ends[1:])) else None
    return known[list_id]


_LONG_HAN_PHRASE = regex.compile(r"\p{Han}{3,}")


def _needs_boundary(key: str) -> bool:
    """Whether a term's hits must cover whole words.

    Short terms collide with longer words (亲 in 亲自, 木有 in 积木有), so their edges must be word boundaries.
    A phrase of three or more Chinese characters hardly ever occurs by accident inside other words, while
    jieba readily glues a function word to its edge (这太差了 -> 这太/差/了, 每次都说会 -> 每次/都说会): checked,
    such phrases would miss exactly the sentences they were listed for.
    """
    return _LONG_HAN_PHRASE.fullmatch(key) is None


class PatternMatcher:
    """Regular expressions (the `regex` module) over the normalised text.

    Given the shared TermIndex, each pattern that has required literals (see prefilter.py) registers them
    there as its gate: the pattern runs on a message only when the index found them in it (one of each set,
    when a pattern needs several: a verb and a credential term).
    """

    def __init__(self, patterns: Iterable["str | regex.Pattern"], index: TermIndex | None = None,
                 read_pauses: bool = False):
        # With read_pauses the patterns read the message with the writer's space at each pause (MessageView.pauses:
        # between two clauses, where folding drops it), so `\s` in a lookaround sees it there as it would have.
        self.read_pauses = read_pauses
        self.compiled = [p if isinstance(p, (regex.Pattern, LazyPattern, WindowedPattern)) else regex.compile(p, PATTERN_FLAGS)
                         for p in patterns]
        # The plain path runs every pattern over the whole text, windowed or not (windows.py): the fast path is
        # held to it.
        self._plain = [plain(p) for p in self.compiled]
        self.sources = [p.pattern for p in self.compiled]
        # Per pattern: None (always runs), a list id, or a tuple of list ids that must all have candidates; the
        # decimal digits every match holds (a second gate, on the message's digit count); and, for patterns that
        # also read Chinese numerals, the number characters (digits and numerals) every match holds, kept only
        # where it says more than the digit count. The analyses come from prefilter (kept between processes).
        self._gates: list[int | tuple[int, ...] | None] = [None] * len(self.compiled)
        self._digits: list[int] = []
        self._numbers: list[int] = []
        for i, pattern in enumerate(self.compiled):
            sets, digits, numbers = pattern_gates(pattern)
            if index is not None:
                ids = tuple(index.register(sorted(literals)) for literals in sets)
                if ids:
                    self._gates[i] = ids[0] if len(ids) == 1 else ids
            self._digits.append(digits)
            self._numbers.append(numbers if numbers > digits else 0)
        self._gated = any(gate is not None for gate in self._gates)
        # Per pattern, its gate as a bit mask of list ids (bit l: list l) for presence given as one (the block
        # engine's views): one integer test instead of a membership call per list.
        gate_masks = [0 if gate is None else sum(1 << list_id for list_id in ((gate,) if isinstance(gate, int) else gate))
                      for gate in self._gates]
        self._table = list(zip(self.compiled, self._gates, gate_masks, self._digits, self._numbers))
        self._gate_bits = 0
        for gate_mask in gate_masks:
            self._gate_bits |= gate_mask
        self._passing: dict[int, tuple] = {}  # bits of the gate lists present -> what _passing_for gives
        # The patterns by the lowest list of their gate (the ungated ones apart): a combination of lists present
        # then reads only the patterns under those lists, not the whole table. On varied text most combinations
        # are new (30,000 on the dev set's 20 MB), and reading every pattern of a table of 200 for each was 3% of
        # the scan.
        self._ungated = [i for i, gate_mask in enumerate(gate_masks) if not gate_mask]
        self._entries = [(pattern, digits, numbers) for pattern, _, _, digits, numbers in self._table]
        # Worked out now, so that a pack snapshot keeps them (untimed_of): a compiled pattern's is given back to it
        # where the matcher is unpickled (__setstate__), as it has no attributes of its own to keep it in.
        self._untimed = [untimed_of(pattern) for pattern in self.compiled]
        self._by_lowest: dict[int, list[tuple[int, int]]] = {}
        for i, gate_mask in enumerate(gate_masks):
            if gate_mask:
                lowest = gate_mask & -gate_mask
                self._by_lowest.setdefault(lowest, []).append((i, gate_mask))

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for pattern, limit in zip(self.compiled, state.get("_untimed", ())):
            _remember_untimed(pattern, limit)

    def requirement(self) -> "Requirement | None":
        alternatives = []
        for gate in self._gates:
            if gate is None:
                return None
            alternatives.append((gate,) if isinstance(gate, int) else gate)
        return Requirement(alternatives)

    def block_open(self, index) -> "object":
        """The messages of a block (blocks.index.BlockIndex) where some pattern runs: its literals present and
        enough digits and number characters (what `_runnable` lets through); a numpy mask over the block's
        messages. Asked for twice per block (where the rule runs, then which of its messages it reads): made once."""
        key = ("patterns", id(self))
        mask = index._cache.get(key)
        if mask is None:
            mask = index._cache[key] = self._block_open(index)
        return mask

    def _block_open(self, index) -> "object":
        # A pattern gated by one list and nothing else runs where that list has a candidate: all of those at once.
        plain = {gate for gate, digits, numbers in zip(self._gates, self._digits, self._numbers)
                 if isinstance(gate, int) and not digits and not numbers}
        mask = index.any_of(plain)
        for gate, digits, numbers in dict.fromkeys(zip(self._gates, self._digits, self._numbers)):
            if gate in plain and not digits and not numbers:
                continue
            if gate is None:
                runs = index.every()
            else:
                runs = index.has_all((gate,) if isinstance(gate, int) else gate)
            if digits:
                runs = runs & index.digits_at_least(digits)
            if numbers:
                runs = runs & index.numbers_at_least(numbers)
            mask |= runs
        return mask

    def _runnable(self, view: "MessageView") -> "list[regex.Pattern]":
        """The patterns that can match in this message: their literals present, enough digits in it."""
        if view.toolkit.reference:
            return self._plain
        present = view.term_candidates() if self._gated else None
        mask = getattr(present, "mask", 0 if present is None else None)  # an int of list bits, else a dict
        if mask is None:
            return self._runnable_in(view, present)
        # The gates a message passes depend only on its bits of the gate lists: worked out once per combination
        # (messages repeat a few of them), then only the digit and number counts are asked, when a pattern needs them.
        passing = self._passing.get(mask & self._gate_bits)
        if passing is None:
            passing = self._passing_for(mask & self._gate_bits)
        patterns, counted = passing
        if counted is None:
            return patterns
        return _enough(view, counted)

    def _passing_for(self, bits: int) -> "tuple[list[regex.Pattern], list | None]":
        passing = self._ungated[:]
        by_lowest = self._by_lowest
        rest = bits
        while rest:
            lowest = rest & -rest
            rest ^= lowest
            for i, gate_mask in by_lowest.get(lowest, ()):
                if bits & gate_mask == gate_mask:
                    passing.append(i)
        passing.sort()  # the patterns' own order: hits are reported in it
        entries = [self._entries[i] for i in passing]
        counted = entries if any(digits or numbers for _, digits, numbers in entries) else None
        if len(self._passing) >= _MAX_GATE_COMBINATIONS:
            self._passing.clear()
        found = self._passing[bits] = ([pattern for pattern, _, _ in entries], counted)
        return found

    def _runnable_in(self, view: "MessageView", present) -> "list[regex.Pattern]":
        # Gates the literals every match needs are not all in the text for are left out; then the counts decide.
        return _enough(view, [(pattern, digits, numbers) for pattern, gate, _, digits, numbers in self._table
                              if gate is None or _open(gate, present)])

    def may_run_in(self, conv) -> bool:
        """False when no pattern can run in any message of the conversation (see TextMatcher.may_match_in)."""
        needs = self.__dict__.get("_needs", False)
        if needs is False:
            needs = self.__dict__["_needs"] = self.requirement()
        return needs is None or conv.toolkit.reference or needs.met_by(conv.candidate_lists())

    def may_run(self, view: "MessageView") -> bool:
        """False when no pattern can match in this message (its gates: literals, digits, number characters)."""
        return bool(self._runnable(view))

    def runnable_sources(self, view: "MessageView") -> "frozenset[str]":
        """The sources of the patterns that can match in this message (see may_run)."""
        return frozenset(p.pattern for p in self._runnable(view))

    def find(self, view: "MessageView") -> list[Hit]:
        runnable = self._runnable(view)
        if not runnable:
            return []  # the block view folds its text only when a pattern runs
        hits = []
        for spans in self._spans_each(view, runnable):
            hits.extend(view.hit(start, end) for start, end in spans)
        return hits

    def spans(self, view: "MessageView") -> list[tuple[int, int]]:
        """The (nstart, nend) of what `find` returns, without building hits."""
        found = []
        for spans in self.spans_each(view):
            found.extend(spans)
        return found

    def spans_each(self, view: "MessageView") -> Iterator[list[tuple[int, int]]]:
        """`spans`, one list per pattern that can run here, each pattern run only when the next list is asked for."""
        runnable = self._runnable(view)
        if not runnable:
            return  # the block view folds its text only when a pattern runs
        yield from self._spans_each(view, runnable)

    def _spans_each(self, view: "MessageView", runnable: list) -> Iterator[list[tuple[int, int]]]:
        text, shift = self._reading(view)
        for pattern in runnable:
            try:
                spans = [m.span() for m in guarded_finditer(pattern, text)]
            except TimeoutError:
                raise RegexTimeout(pattern.pattern) from None
            if shift is not None:
                spans = [(shift[start], shift[end]) for start, end in spans]
            yield [(start, end) for start, end in spans if end > start]

    def _reading(self, view: "MessageView") -> "tuple[str, list[int] | None]":
        """The text the patterns search, and the positions of the message's text for its positions (None: the
        same)."""
        text = view.norm.text
        if self.read_pauses:
            pauses = view.pauses
            if pauses:
                return with_pauses(text, pauses, " ")
        return text, None

    def any(self, view: "MessageView") -> bool:
        """bool(find(view)), stopping at the first match."""
        runnable = self._runnable(view)
        if not runnable:
            return False  # the block view folds its text only when a pattern runs
        if self.read_pauses and view.pauses:
            return any(spans for spans in self._spans_each(view, runnable))
        text = view.norm.text
        for pattern in runnable:
            try:
                for m in guarded_finditer(pattern, text):
                    if m.end() > m.start():
                        return True
            except TimeoutError:
                raise RegexTimeout(pattern.pattern) from None
        return False


def _enough(view: "MessageView", entries: list) -> "list[regex.Pattern]":
    """The patterns of `entries` ((pattern, digits, numbers), gates passed) whose digit and number counts the message
    reaches; each count read at most once, and only when a pattern asks."""
    runnable = []
    digit_count = number_count = None
    for pattern, digits, numbers in entries:
        if digits:
            if digit_count is None:
                digit_count = view.decimal_digits()
            if digit_count < digits:
                continue
        if numbers:
            if number_count is None:
                number_count = view.number_characters()
            if number_count < numbers:
                continue
        runnable.append(pattern)
    return runnable


def _open(gate: "int | tuple[int, ...]", present) -> bool:
    if isinstance(gate, int):
        return gate in present
    return all(list_id in present for list_id in gate)


class TextMatcher:
    """Terms and/or patterns, minus exceptions: the matching part of every rule type."""

    def __init__(
        self,
        terms: TermMatcher | None = None,
        patterns: PatternMatcher | None = None,
        exceptions: "TextMatcher | None" = None,
        conditions=None,
        owner: str | None = None,
    ):
        self.owner = owner  # the rule id, for traces
        self.terms = terms if terms else None
        self.patterns = patterns if patterns else None
        self.exceptions = exceptions
        self.conditions = conditions if conditions else None  # checks.conditions.Conditions
        self._needs = self.requirement()
        self._memo: dict[str, tuple[Hit, ...]] = {}  # text -> what find gives (see find)
        self._any_memo: dict[str, bool] = {}  # text -> what search gives
        self._first_memo: dict[str, tuple[Hit, ...]] = {}  # text -> what first gives, as () or (hit,)

    def __bool__(self) -> bool:
        return bool(self.terms or self.patterns)

    def requirement(self) -> Requirement | None:
        """What a message must have candidates for `find` to return anything: the term list, or the literals
        of one of the patterns; None when a pattern has no required literals."""
        parts: list[Requirement | None] = []
        if self.terms:
            parts.append(Requirement([(self.terms.list_id,)]))
        if self.patterns:
            parts.append(self.patterns.requirement())
        return Requirement.any_of(parts)

    def block_open(self, index):
        """The messages of a block where `find` (and so `search`) may return a hit: a candidate of the terms, or a
        pattern that runs there. Exceptions and conditions only take hits away. A numpy mask."""
        mask = index.none()
        if self.terms:
            mask |= index.has(self.terms.list_id)
        if self.patterns:
            mask |= self.patterns.block_open(index)
        return mask

    def block_sure(self, index):
        """The messages of a block where `search` is certainly true without running anything: a candidate of terms
        matched as substrings (`boundary: none`), no conditions, and no exception that could cancel it."""
        if not self.terms or self.terms.boundary != "none" or self.conditions is not None:
            return index.none()
        mask = index.has(self.terms.list_id)
        if self.exceptions is not None:
            mask = mask & ~self.exceptions.block_open(index)
        return mask

    def find(self, view: "MessageView") -> list[Hit]:
        needs = self._needs
        toolkit = view.toolkit
        if needs is not None and not toolkit.reference and not needs.met_by(view.term_candidates()):
            return []  # none of its terms or pattern literals is in this message
        if toolkit.reference or toolkit.trace is not None:
            return self._find(view)  # the reference path computes everything; a trace notes every cancelled hit
        if self.conditions is not None and not self.conditions.may_admit_in(view):
            # A `when` item's classes are not in the message: every hit would be cancelled, so none is looked for
            # (a whole-word term's hits would segment the message for nothing).
            return []
        # What `find` returns depends on the message's text alone (its folding, candidates, words, clauses: no other
        # message, no time), and contact centres send the same replies again and again: a short text is judged once.
        return list(remembered(self._memo, view, self._found))

    def _found(self, view: "MessageView") -> tuple[Hit, ...]:
        return tuple(self._find(view))

    def first(self, view: "MessageView") -> "Hit | None":
        """find(view)[0], or None when it finds nothing: with conditions, they are weighed for the hits in order
        only until one passes (a sequence rule's trigger needs one; on the dev set a third of the conditions
        weighed for its triggers were for hits after the first that passes)."""
        toolkit = view.toolkit
        if self.conditions is None or toolkit.reference or toolkit.trace is not None:
            hits = self.find(view)
            return hits[0] if hits else None
        needs = self._needs
        if needs is not None and not needs.met_by(view.term_candidates()):
            return None
        if not self.conditions.may_admit_in(view):
            return None
        found = remembered(self._first_memo, view, self._first)
        return found[0] if found else None

    def _first(self, view: "MessageView") -> "tuple[Hit, ...]":
        admits = self.conditions.admits
        return next(((hit,) for hit in self._candidates(view) if admits(view, hit)), ())

    def _find(self, view: "MessageView") -> list[Hit]:
        hits = self._candidates(view)
        if self.conditions is not None:
            hits = [hit for hit in hits if self.conditions.admits(view, hit)]
        return hits

    def _candidates(self, view: "MessageView") -> list[Hit]:
        """The hits before the conditions: terms and patterns, less those the exceptions cancel, the longest of
        overlapping ones."""
        hits: list[Hit] = []
        if self.terms:
            hits.extend(self.terms.find(view))
        if self.patterns:
            hits.extend(self.patterns.find(view))
        if not hits:
            return hits
        if self.exceptions:
            cancel = self.exceptions.find(view)
            if cancel:
                kept = drop_overlapping(hits, cancel)
                if view.toolkit.trace is not None:
                    for hit in hits:
                        if hit not in kept:
                            view.toolkit.note_cancelled(self.owner, view, hit, "exception")
                hits = kept
        return keep_longest(hits)

    def may_match_in(self, conv) -> bool:
        """False when `find` certainly returns nothing in any message of the conversation: the lists with candidates
        in its messages, all together, do not meet the requirement (a message that meets it would)."""
        needs = self._needs
        return needs is None or conv.toolkit.reference or needs.met_by(conv.candidate_lists())

    def may_match(self, view: "MessageView") -> bool:
        """False when `find` certainly returns nothing here: none of its terms or pattern literals is in the
        message (an exception that cannot match cancels nothing, so the cheap test of `search` suffices)."""
        needs = self._needs
        return needs is None or needs.met_by(view.term_candidates())

    def hits_before_cancelling(self, view: "MessageView") -> bool:
        """Does a term or pattern hit here before exceptions and conditions take hits away? (A sequence rule's
        learned trigger leaves alone a turn whose words the rule's author has ruled on.)"""
        if not self.may_match(view):
            return False
        return bool((self.terms and self.terms.any(view)) or (self.patterns and self.patterns.any(view)))

    def search(self, view: "MessageView") -> bool:
        """bool(find(view)): without exceptions the first term or match answers it; with them, spans are
        weighed against the exceptions without building a hit for either side."""
        if view.toolkit.reference:
            return bool(self.find(view))
        if self.conditions is not None:
            # The conditions are weighed for the hits in order only until one passes (find weighs them all).
            return self.first(view) is not None
        needs = self._needs
        if needs is not None and not needs.met_by(view.term_candidates()):
            return False
        return remembered(self._any_memo, view, self._search)  # the answer depends on the text alone, as find's does

    def _search(self, view: "MessageView") -> bool:
        if self.exceptions is None or not self.exceptions.may_match(view):
            return bool((self.terms and self.terms.any(view)) or (self.patterns and self.patterns.any(view)))
        # The terms' spans, then each pattern's in turn, until one span overlaps no exception: any one answers, so
        # the patterns after it are not run (a resolution check: 19 patterns, the first that matches mostly does);
        # the exceptions are found once, when there is a first span to weigh.
        uncancelled = None
        spans = self.terms.spans(view) if self.terms else []
        each_pattern = self.patterns.spans_each(view) if self.patterns else iter(())
        while True:
            if spans:
                if uncancelled is None:
                    uncancelled = _uncancelled_test([(c.nstart, c.nend) for c in self.exceptions.find(view)])
                if uncancelled(spans):
                    return True
            spans = next(each_pattern, None)
            if spans is None:
                return False


def _any_uncancelled(spans: list[tuple[int, int]], cancel: list[tuple[int, int]]) -> bool:
    """Does some span overlap none of `cancel`? (drop_overlapping's test, on plain spans.)"""
    return _uncancelled_test(cancel)(spans)


def _uncancelled_test(cancel: list[tuple[int, int]]):
    """_any_uncancelled(spans, cancel) as a function of `spans`, with `cancel` sorted once."""
    if not cancel:
        return bool
    cancel = sorted(cancel)
    starts = [start for start, _ in cancel]
    reach = list(itertools.accumulate((end for _, end in cancel), max))

    def test(spans: list[tuple[int, int]]) -> bool:
        for start, end in spans:
            before = bisect.bisect_left(starts, end)  # cancel spans that start before this one ends
            if not (before and reach[before - 1] > start):
                return True
        return False

    return test


def drop_overlapping(hits: list[Hit], cancel: list[Hit]) -> list[Hit]:
    """The hits that overlap no cancelling hit (an exception), compared in normalised offsets.

    Sorted cancel spans with a running maximum of their ends answer "does any span that starts before this
    hit ends reach past its start?" with one bisection, so thousands of hits against thousands of
    exceptions in one huge message stay n log n instead of n times m.
    """
    if not cancel:
        return hits
    spans = sorted((c.nstart, c.nend) for c in cancel)
    starts = [start for start, _ in spans]
    reach = list(itertools.accumulate((end for _, end in spans), max))
    kept = []
    for hit in hits:
        before = bisect.bisect_left(starts, hit.nend)  # spans that start before the hit ends
        if before and reach[before - 1] > hit.nstart:
            continue
        kept.append(hit)
    return kept


def drop_inside(hits: list[Hit], spans: list[tuple[int, int]]) -> list[Hit]:
    """The hits that lie inside none of `spans` (normalised offsets); n log n like drop_overlapping."""
    if not spans:
        return hits
    spans = sorted(spans)
    starts = [start for start, _ in spans]
    reach = list(itertools.accumulate((end for _, end in spans), max))
    kept = []
    for hit in hits:
        before = bisect.bisect_right(starts, hit.nstart)  # spans that start at or before the hit
        if before and reach[before - 1] >= hit.nend:
            continue
        kept.append(hit)
    return kept


def keep_longest(hits: list[Hit]) -> list[Hit]:
    """Drop hits that lie inside a longer hit (不知道 inside 我不知道) and exact duplicates; sort by position."""
    hits = sorted(hits, key=lambda h: (h.nstart, -(h.nend - h.nstart)))
    kept: list[Hit] = []
    # In this order every kept hit starts at or before the current one, so the current hit lies inside a
    # kept hit exactly when it ends no later than the furthest end kept so far: one comparison per hit,
    # which keeps a huge message with thousands of hits linear (comparing with every kept hit was quadratic).
    furthest_end = -1
    for hit in hits:
        if hit.nend <= furthest_end:
            continue
        kept.append(hit)
        furthest_end = hit.nend
    return kept
