"""Running a costly pattern only in the stretches of a text where it can match.

A pattern such as jargon's menu path, `(?:[^\\s>→。，…]{1,12}\\s*(?:->|>|→)\\s*)+[^\\s>→。，…]{1,12}`, tries up to
twelve characters and backtracks at every position of a message: on a 500-character message that holds an
arrow somewhere it took about 150 µs, while its one match lies in the clause around the arrow. Two facts from
prefilter.py make the search of that clause alone exact:

- every match contains one of the pattern's required literals (`>`, `→`: `required_literal_sets`), and
- no match contains one of its barrier characters (`。，,！？!?`: `barrier_characters`, which also makes sure the
  pattern reads nothing outside its match: no lookaround, anchor, word boundary or back-reference, and no empty
  match).

The barriers split a text into stretches and every match lies inside one; a match attempt inside a stretch
fails on the barrier that ends it exactly as it fails at the end of a text, so the pattern's matches in the
whole text are its matches in each stretch, one stretch after another, and a stretch without a required literal
has none. `WindowedPattern.finditer` finds the stretches that hold a literal and runs the pattern on each with
`pos`/`endpos` (offsets stay those of the whole text), giving the same match objects' spans and groups in the
same order. Nothing is declared by a rule's author: every rule pattern (`checks.base.compile_pattern`) for which
the analysis proves this, and which is of the costly kind (see `windowed`), is searched this way; the plain path
(`Toolkit.reference`) searches the whole text, so the fast-path tests hold the one to the other. `tests/test_windows.py` holds it to the plain
pattern on random patterns and texts, and jargon's menu path on adversarial texts.
"""
from __future__ import annotations

import re
import time

import regex

from .prefilter import caseless, pattern_barriers, pattern_gates

# The clock of a windowed search's timeout (its own name, so a test can stop it without stopping time).
_clock = time.monotonic


def windowed(pattern):
    """`pattern` itself, or a WindowedPattern giving the same matches: where prefilter proves it exact and the
    pattern is of the kind whose search costs at every position (it starts with a repetition of a broad class;
    one that starts with a literal or a small class the `regex` module jumps to by itself)."""
    if isinstance(pattern, WindowedPattern):
        return pattern
    barriers = pattern_barriers(pattern)
    if not barriers:
        return pattern
    sets = pattern_gates(pattern)[0]
    if not sets or any(ch in literal for literal in sets[0] for ch in barriers):
        return pattern
    return WindowedPattern(pattern, sets[0], barriers)


def plain(pattern):
    """The pattern a WindowedPattern searches with (anything else is returned as it is; a LazyPattern is not
    compiled by asking)."""
    return pattern.plain if isinstance(pattern, WindowedPattern) else pattern


class WindowedPattern:
    """A compiled pattern searched stretch by stretch (see the module). `finditer` and `search` with a text and
    a timeout are windowed; everything else (`pattern`, `flags`, `match`, other arguments) is the pattern's own."""

    def __init__(self, pattern, literals, barriers: str):
        self.plain = pattern
        self.literals = frozenset(literals)
        self.barriers = barriers
        ordered = sorted(self.literals, key=lambda lit: (-len(lit), lit))
        if all(caseless(lit) for lit in ordered):  # the standard library's search is faster for plain strings
            self._literal = re.compile("|".join(map(re.escape, ordered))).search
        else:  # case-insensitive as the pattern is: the same letters match
            flags = pattern.flags & (regex.IGNORECASE | regex.ASCII | regex.UNICODE)
            self._literal = regex.compile("|".join(map(regex.escape, ordered)), flags).search
        klass = "[" + "".join(map(re.escape, barriers)) + "]"  # barriers have no case (prefilter)
        self._next_barrier = re.compile(klass).search
        self._last_barrier = regex.compile("(?r)" + klass).search

    def __getattr__(self, name: str):
        plain = self.__dict__.get("plain")
        if plain is None or name.startswith("__"):  # copy and pickle ask before __init__ has run
            raise AttributeError(name)
        return getattr(plain, name)

    def __reduce__(self):
        return WindowedPattern, (self.plain, self.literals, self.barriers)

    def __repr__(self) -> str:
        return f"WindowedPattern({self.plain.pattern!r})"

    def windows(self, text: str) -> list[tuple[int, int]]:
        """The stretches of `text` (start, end) that hold a required literal, in order."""
        found = []
        literal, next_barrier, last_barrier = self._literal, self._next_barrier, self._last_barrier
        i, n = 0, len(text)
        while i <= n:
            m = literal(text, i)
            if m is None:
                break
            at = m.start()
            before = last_barrier(text, i, at)
            after = next_barrier(text, at)
            end = n if after is None else after.start()
            found.append((i if before is None else before.end(), end))
            i = end + 1
        return found

    def finditer(self, string, *args, timeout=None, **kwargs):
        if args or kwargs or not isinstance(string, str):
            return self.plain.finditer(string, *args, timeout=timeout, **kwargs)
        return self._finditer(string, timeout)

    def _finditer(self, text: str, timeout):
        finditer = self.plain.finditer
        if timeout is None:
            for start, end in self.windows(text):
                yield from finditer(text, start, end)
            return
        # The timeout is for the whole search, as for the plain pattern's finditer: what is left of it per stretch.
        deadline = _clock() + timeout
        for start, end in self.windows(text):
            left = deadline - _clock()
            if left <= 0:
                raise TimeoutError("regex timed out")
            yield from finditer(text, start, end, timeout=left)

    def search(self, string, *args, timeout=None, **kwargs):
        if args or kwargs or not isinstance(string, str):
            return self.plain.search(string, *args, timeout=timeout, **kwargs)
        return next(self._finditer(string, timeout), None)

