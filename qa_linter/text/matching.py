"""Finding listed terms and patterns in a message, word-aware, with offsets in the original text.

All term lists of all rules share one Aho-Corasick automaton (`TermIndex`), run once per message; each
list then keeps the candidate hits that cover whole words. Regular expressions run on the normalised text
with a per-match timeout, so one bad pattern cannot hang a scan.
"""
from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import ahocorasick
import regex

from .lexicon import Term
from .normalize import normalize
from .prefilter import required_literals

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import MessageView

REGEX_TIMEOUT = 0.25  # seconds per search; a pattern that needs more is reported and skipped
# The normalised text is lower case, so a pattern written with capitals (SSL, TeamViewer) must still match it.
PATTERN_FLAGS = regex.V0 | regex.IGNORECASE


@dataclass(frozen=True)
class Hit:
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
        self._automaton = None
        self._lock = threading.Lock()

    def register(self, keys: Sequence[str]) -> int:
        with self._lock:
            self._lists.append(list(keys))
            self._automaton = None
            return len(self._lists) - 1

    def _build(self):
        with self._lock:
            if self._automaton is not None:
                return self._automaton
            automaton = ahocorasick.Automaton()
            table: dict[str, list[tuple[int, int]]] = {}
            for list_id, keys in enumerate(self._lists):
                for term_idx, key in enumerate(keys):
                    if key:
                        table.setdefault(key, []).append((list_id, term_idx))
            for key, owners in table.items():
                automaton.add_word(key, (len(key), tuple(owners)))
            if len(automaton):
                automaton.make_automaton()
            self._automaton = automaton
            return automaton

    def scan(self, text: str) -> dict[int, list[tuple[int, int, int]]]:
        """Candidate hits per term list: list id -> [(nstart, nend, term index)]."""
        automaton = self._automaton or self._build()
        found: dict[int, list[tuple[int, int, int]]] = {}
        if not len(automaton) or not text:
            return found
        for end_idx, (length, owners) in automaton.iter(text):
            start = end_idx + 1 - length
            for list_id, term_idx in owners:
                found.setdefault(list_id, []).append((start, end_idx + 1, term_idx))
        return found


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
        self._list_id = index.register(keys)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def find(self, view: "MessageView") -> list[Hit]:
        candidates = view.term_candidates().get(self._list_id)
        if not candidates:
            return []
        hits = []
        for nstart, nend, term_idx in candidates:
            if self.boundary == "word" and not view.boundaries().covers(nstart, nend):
                continue
            hits.append(view.hit(nstart, nend, self.terms[term_idx]))
        return hits


class PatternMatcher:
    """Regular expressions (the `regex` module) over the normalised text.

    Given the shared TermIndex, each pattern that has required literals (see prefilter.py) registers them
    there as its gate: the pattern runs on a message only when the index found one of them in it.
    """

    def __init__(self, patterns: Iterable["str | regex.Pattern"], index: TermIndex | None = None):
        self.compiled = [p if isinstance(p, regex.Pattern) else regex.compile(p, PATTERN_FLAGS) for p in patterns]
        self.sources = [p.pattern for p in self.compiled]
        self._gates: list[int | None] = [None] * len(self.compiled)
        if index is not None:
            for i, pattern in enumerate(self.compiled):
                literals = required_literals(pattern)
                if literals:
                    self._gates[i] = index.register(sorted(literals))
        self._gated = any(gate is not None for gate in self._gates)

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def find(self, view: "MessageView") -> list[Hit]:
        text = view.norm.text
        hits = []
        present = view.term_candidates() if self._gated and not view.toolkit.reference else None
        for pattern, gate in zip(self.compiled, self._gates):
            if gate is not None and present is not None and gate not in present:
                continue  # none of the literals every match needs is in the text
            try:
                for m in pattern.finditer(text, timeout=REGEX_TIMEOUT):
                    if m.end() > m.start():
                        hits.append(view.hit(m.start(), m.end()))
            except TimeoutError:
                raise RegexTimeout(pattern.pattern) from None
        return hits


class TextMatcher:
    """Terms and/or patterns, minus exceptions: the matching part of every rule type."""

    def __init__(
        self,
        terms: TermMatcher | None = None,
        patterns: PatternMatcher | None = None,
        exceptions: "TextMatcher | None" = None,
    ):
        self.terms = terms if terms else None
        self.patterns = patterns if patterns else None
        self.exceptions = exceptions

    def __bool__(self) -> bool:
        return bool(self.terms or self.patterns)

    def find(self, view: "MessageView") -> list[Hit]:
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
                hits = drop_overlapping(hits, cancel)
        return keep_longest(hits)

    def search(self, view: "MessageView") -> bool:
        return bool(self.find(view))


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
