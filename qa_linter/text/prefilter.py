"""Required literals of a regular expression: an exact, cheap test for "this pattern cannot match here".

Rule patterns run on the normalised text of every message in their scope, yet most messages cannot match
most patterns: a mobile number needs one of 13…19, an e-mail address needs "@", a credential request needs
one of 密码/验证码/…, a remote-assistance trigger needs 远程 or a tool's name. `required_literals()` works out
such a set of strings for a pattern: every match contains at least one of them. PatternMatcher puts the set
into the shared Aho-Corasick automaton, so the one pass over a message that finds candidate terms also
tells each pattern whether it can match at all; a pattern whose literals are absent is not run.

The answer is exact or absent, never a guess. The pattern is read with Python's own regular-expression
parser after the `regex`-only parts are replaced by what they mean for this purpose (`\\L<name>` by the
alternation of its list, `\\p{…}` by a class the analysis treats as "any character"). Anything the
analysis does not understand (a negated class, a back-reference, scoped flags, fuzzy matching, POSIX
classes, version-1 or full-case-folding patterns) contributes no requirement, and a pattern with no
requirement left simply always runs.

Case: rule patterns are compiled with IGNORECASE and run on the normalised text, which is lower case and
NFKC-folded. A literal ASCII letter therefore stands for its lower-case form only (every other character
that matches a letter case-insensitively, such as the Kelvin sign or the long s, is folded to the plain
letter by the normaliser; tests check that), and a cased non-ASCII letter is treated as unknown.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from itertools import product
from pathlib import Path
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import regex

from ..validators import DIGIT_WORDS

MAX_EXACT = 64  # strings in the set of every text a sub-pattern can match
MAX_REQUIRED = 512  # strings in one set of required literals
_REFUSED_FLAGS = regex.V1 | regex.FULLCASE | regex.REVERSE | regex.BESTMATCH | regex.ENHANCEMATCH | regex.POSIX | regex.WORD
# regex-only syntax Python's parser would read with another meaning: POSIX classes, fuzzy constraints.
# Chinese numerals as number patterns read them (the personal-data patterns, validators.phone_digits).
NUMERALS = "".join(sorted(DIGIT_WORDS))
_REFUSED_SYNTAX = re.compile(r"\[:\^?[A-Za-z]+:\]|(?<!\\N)\{\s*[A-Za-z]|\(\?[a-zA-Z]*[rfbewpV]")
# \\L<name>, \\p{…}/\\P{…}/\\pL; an escaped backslash is matched first so that \\\\p stays literal.
_REGEX_ONLY = re.compile(r"\\\\|\\L<(\w+)>|\\[pP](?:\{[^}]*\}|[A-Za-z])")


def required_literals(pattern: "regex.Pattern") -> frozenset[str] | None:
    """Strings one of which every non-empty match of `pattern` contains, or None when that cannot be told."""
    sets = required_literal_sets(pattern, 1)
    return sets[0] if sets else None


def required_literal_sets(pattern: "regex.Pattern", limit: int = 3) -> list[frozenset[str]]:
    """Up to `limit` such sets, each required on its own, most selective first (empty: nothing is known).

    `(提供|告诉)…(密码|验证码)` needs one of 提供/告诉 *and* one of 密码/验证码: gating on both runs it only
    where both occur, which is far rarer than either.
    """
    if pattern.flags & _REFUSED_FLAGS:
        return []
    source = _python_syntax(pattern.pattern, getattr(pattern, "named_lists", {}) or {})
    if source is None or _REFUSED_SYNTAX.search(source):
        return []
    flags = (re.IGNORECASE if pattern.flags & regex.IGNORECASE else 0) | (re.VERBOSE if pattern.flags & regex.VERBOSE else 0)
    try:
        parsed = sre_parse.parse(source, flags)
    except (re.error, RecursionError, OverflowError):
        return []
    ignore_case = bool(pattern.flags & regex.IGNORECASE)
    _whole, candidates = _Analysis(ignore_case).candidates(list(parsed))
    ranked = sorted({_reduced(c) for c in candidates if c and "" not in c}, key=_rank, reverse=True)
    chosen: list[frozenset[str]] = []
    for literals in ranked:
        if chosen and min(map(len, literals)) < 2:
            continue  # one more single character (吗, 请, a-z) is a weak test that costs a hit in every message
        # A set implied by a chosen one (every string of the chosen set contains one of it: 爱 by 亲爱的) adds nothing.
        if not any(all(any(short in long for short in literals) for long in kept) for kept in chosen):
            chosen.append(literals)
    return chosen[:limit]


def min_decimal_digits(pattern: "regex.Pattern") -> int:
    """How many decimal digits (`\\d`) every match of `pattern` contains at least; 0 when that cannot be told.

    A mobile number needs 11, a resident ID 17, a card number 12 (4-4-4 with separators): such a pattern
    need not run on a message with an order number or a time in it, which the literal test lets through.
    """
    return _min_count(pattern, "")


def min_number_characters(pattern: "regex.Pattern") -> int:
    """How many number characters (a decimal digit or a Chinese numeral, NUMERALS) every match of `pattern`
    contains at least; 0 when that cannot be told.

    A pattern that also reads numbers written in numerals (一三九一二三四五六七八 for a mobile number) has no
    digit gate, since a match may hold no digit at all; it still needs 11 number characters, which most
    messages do not hold (一 alone is common, eleven of them and digits together are not)."""
    return _min_count(pattern, NUMERALS)


def _min_count(pattern: "regex.Pattern", extra: str) -> int:
    if pattern.flags & _REFUSED_FLAGS:
        return 0
    source = _python_syntax(pattern.pattern, getattr(pattern, "named_lists", {}) or {})
    if source is None or _REFUSED_SYNTAX.search(source):
        return 0
    flags = re.VERBOSE if pattern.flags & regex.VERBOSE else 0
    try:
        return _digits_in(list(sre_parse.parse(source, flags)), "0123456789" + extra)
    except (re.error, RecursionError, OverflowError):
        return 0


# -- characters no match can hold (windows.py) ----------------------------------------------------------------
# Characters tried as barriers besides those a pattern's own negated classes name: clause punctuation, the
# separators a long message is split by.
BARRIER_CANDIDATES = "。，,！？!?；;：:、\n"
_CATEGORY_SOURCE = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
                    C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
_PROPERTY = re.compile(r"\\\\|\\[pP](?:\{[^}]*\}|[A-Za-z])")
_PLACEHOLDER_BASE = 0xF0000  # a \p{…} escape stands in the parsed pattern as a private-use character from here


def barrier_characters(pattern: "regex.Pattern") -> str:
    """Characters no match of `pattern` can contain, for a pattern whose matches read nothing outside themselves
    and whose search is costly at every position of a text (it starts with a repetition of a broad class:
    `[^。，]{1,12}`, `\\s*`, `\\p{Han}+`); "" when that cannot be told or the pattern is not of that kind.

    Such characters split a text into stretches and every match lies inside one of them; with no lookaround,
    anchor, word boundary or back-reference, and no empty match, a match found in the whole text is the match
    found in its stretch alone, and the matches of finditer over the text are those of its stretches one after
    another (windows.py runs a costly pattern only in the stretches that hold its required literals).

    Each atom of the pattern that consumes a character (a literal, a class, a category) is asked about each
    candidate by the `regex` module itself, compiled with the pattern's flags, so case-insensitivity and what
    `\\s` or `\\p{Han}` hold are the module's own answers; the candidates are characters without case (clause
    punctuation and whatever the pattern's negated classes name)."""
    if pattern.flags & _REFUSED_FLAGS:
        return ""
    source = _python_syntax(pattern.pattern, getattr(pattern, "named_lists", {}) or {}, keep_properties=True)
    if source is None or any(ord(ch) >= _PLACEHOLDER_BASE for ch in pattern.pattern):
        return ""
    properties: list[str] = []

    def placeholder(m: re.Match) -> str:
        if m.group(0) == "\\\\":
            return m.group(0)
        properties.append(m.group(0))
        return chr(_PLACEHOLDER_BASE + len(properties) - 1)

    source = _PROPERTY.sub(placeholder, source)
    if _REFUSED_SYNTAX.search(source):
        return ""
    try:
        parsed = sre_parse.parse(source, re.VERBOSE if pattern.flags & regex.VERBOSE else 0)
        if not _broad_start(list(parsed), False):
            return ""  # the `regex` module finds where such a pattern can start quickly itself (windows.py)
        if parsed.getwidth()[0] < 1:
            return ""  # an empty match reads its position's neighbours (finditer's rules after an empty match)
        atoms: list[str] = []
        candidates: set[str] = set(BARRIER_CANDIDATES)
        if not _consuming_atoms(list(parsed), properties, atoms, candidates):
            return ""
    except (re.error, RecursionError, OverflowError, _Refused):
        return ""
    flags = pattern.flags & (regex.IGNORECASE | regex.ASCII | regex.UNICODE | regex.LOCALE)
    try:
        compiled = [regex.compile(atom, flags) for atom in dict.fromkeys(atoms)]
    except regex.error:
        return ""
    barriers = [c for c in sorted(candidates)
                if caseless(c) and not any(a.fullmatch(c) for a in compiled)]
    return "".join(barriers)


_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_ONE_STEP = (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY, C.AT)  # one character (or place) tried: untimed_limit


def _broad_start(items: list, repeated: bool) -> bool:
    """Whether a match of the parsed `items` may begin with a repetition (up to 2 or more) of a broad atom: a
    negated class, `\\s`/`\\w`/`\\S`/`\\W`, a Unicode property or a wide range. A search of such a pattern tries and
    backtracks at nearly every position; one that begins with a literal or a small class is jumped to its
    possible starts by the `regex` module itself, and windows would only add their own cost."""
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if _broad_start(list(body), repeated or high >= 2):
                return True
            if low > 0:
                return False
            continue  # optional: the next item may begin the match
        if op is C.SUBPATTERN:
            return _broad_start(list(av[3]), repeated)
        if op is C.ATOMIC_GROUP:
            return _broad_start(list(av), repeated)
        if op is C.BRANCH:
            return any(_broad_start(list(alternative), repeated) for alternative in av[1])
        if op is C.NOT_LITERAL:
            return repeated
        if op is C.LITERAL:
            return repeated and av >= _PLACEHOLDER_BASE
        if op is C.IN:
            return repeated and any(m_op is C.NEGATE or (m_op is C.CATEGORY and m_av is not C.CATEGORY_DIGIT)
                                    or (m_op is C.LITERAL and m_av >= _PLACEHOLDER_BASE)
                                    or (m_op is C.RANGE and m_av[1] - m_av[0] > 255) for m_op, m_av in av)
        return False
    return False


class _Refused(Exception):
    """Something in the pattern the barrier analysis does not read."""


def _consuming_atoms(items: list, properties: list[str], atoms: list[str], candidates: set[str]) -> bool:
    """Add to `atoms` the source of every character-consuming atom of the parsed `items` (False: refused), and to
    `candidates` the characters its negated classes name."""
    for op, av in items:
        if op is C.LITERAL:
            atoms.append(_member_source(op, av, properties))
        elif op is C.NOT_LITERAL:
            atoms.append("[^" + _member_source(C.LITERAL, av, properties) + "]")
            candidates.add(chr(av))
        elif op is C.IN:
            members = list(av)
            negated = bool(members) and members[0][0] is C.NEGATE
            if negated:
                members = members[1:]
                candidates.update(chr(m_av) for m_op, m_av in members if m_op is C.LITERAL and m_av < _PLACEHOLDER_BASE)
            atoms.append("[" + ("^" if negated else "") + "".join(_member_source(m_op, m_av, properties)
                                                                   for m_op, m_av in members) + "]")
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags or not _consuming_atoms(list(body), properties, atoms, candidates):
                return False
        elif op is C.ATOMIC_GROUP:
            if not _consuming_atoms(list(av), properties, atoms, candidates):
                return False
        elif op is C.BRANCH:
            if not all(_consuming_atoms(list(alternative), properties, atoms, candidates) for alternative in av[1]):
                return False
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if not _consuming_atoms(list(av[2]), properties, atoms, candidates):
                return False
        else:
            return False  # ANY (every character), anchors, lookarounds, back-references, conditionals
    return True


def _member_source(op, av, properties: list[str]) -> str:
    """One member of a class (or a literal) written back as `regex` source."""
    if op is C.LITERAL:
        if av >= _PLACEHOLDER_BASE:
            return properties[av - _PLACEHOLDER_BASE]
        return "\\U%08x" % av
    if op is C.RANGE:
        if av[1] >= _PLACEHOLDER_BASE:
            raise _Refused
        return "\\U%08x-\\U%08x" % av
    if op is C.CATEGORY and av in _CATEGORY_SOURCE:
        return _CATEGORY_SOURCE[av]
    raise _Refused


# -- the analysis of a pattern, kept between processes --------------------------------------------------------
# Analysing every pattern of the built-in pack (about 210, their \\L<lexicon> lists expanded) takes about 0.14 s: a
# fifth of a scan's start-up and of a cold `qa-lint check`. What it finds depends only on the pattern (source,
# flags, lists), this module and Python's parser, so it is kept in the cache folder (tokenize.cache_dir) in one
# JSON file whose name carries a digest of this module's source and the Python and `regex` versions: any change
# to either reads a new file, and a pattern not in it is analysed (and added) as before.
GATE_CACHE_LIMIT = 20_000  # patterns kept in the file (packs come and go); a larger file starts again


def pattern_gates(pattern: "regex.Pattern") -> tuple[list[frozenset[str]], int, int]:
    """(required_literal_sets(pattern), min_decimal_digits(pattern), min_number_characters(pattern)), from the
    cache folder where an earlier process analysed the same pattern. `save_gate_cache()` keeps what is new."""
    sets, digits, numbers, _barriers = _entry(pattern)
    return [frozenset(literals) for literals in sets], digits, numbers


def pattern_barriers(pattern: "regex.Pattern") -> str:
    """barrier_characters(pattern), kept in the cache folder with the pattern's gates."""
    return _entry(pattern)[3]


def _entry(pattern: "regex.Pattern") -> list:
    """The analyses of `pattern` as the cache file keeps them: [literal sets as sorted lists, digits, numbers,
    barriers]. A pattern is asked about twice while a pack loads (windows.windowed, then its matcher): a
    LazyPattern keeps its entry, so the key (a digest of the source and its \\L lists) is made once."""
    own = getattr(pattern, "__dict__", None)
    if own is not None and "_gate_entry" in own:
        return own["_gate_entry"]
    cache = _gate_cache()
    key = _pattern_key(pattern)
    found = cache.entries.get(key)
    if not _well_formed(found):  # missing, or not what this module writes: analysed (again)
        sets = required_literal_sets(pattern)
        found = [[sorted(literals) for literals in sets], min_decimal_digits(pattern), min_number_characters(pattern),
                 barrier_characters(pattern)]
        cache.entries[key] = found
        cache.dirty = True
    if own is not None:
        own["_gate_entry"] = found
    return found


def _well_formed(entry) -> bool:
    # The shape this module writes (a broken or foreign file is analysed again); the strings are not each looked at.
    return (type(entry) is list and len(entry) == 4 and type(entry[0]) is list and all(type(x) is list for x in entry[0])
            and type(entry[1]) is int and type(entry[2]) is int and type(entry[3]) is str)


def save_gate_cache() -> None:
    """Write the analyses made by this process since the cache file was read (nothing when there are none)."""
    cache = _GATE_CACHE
    if cache is None or not cache.dirty or cache.name is None:
        return
    from .tokenize import write_cache_file

    entries = cache.entries if len(cache.entries) <= GATE_CACHE_LIMIT else {}
    if write_cache_file(cache.name, json.dumps({"version": cache.version, "gates": entries}, ensure_ascii=False)):
        cache.dirty = False


class _GateCache:
    def __init__(self, name: str | None, version: str, entries: dict):
        self.name, self.version, self.entries, self.dirty = name, version, entries, False


_GATE_CACHE: _GateCache | None = None


def _gate_cache() -> _GateCache:
    global _GATE_CACHE
    if _GATE_CACHE is None:
        from .tokenize import read_cache_entries

        try:
            source = Path(__file__).read_bytes()
        except OSError:  # no source beside the module (a bytecode-only install): analysed in every process
            _GATE_CACHE = _GateCache(None, "", {})
            return _GATE_CACHE
        version = hashlib.sha1(b"\0".join([source, sys.version.encode(), str(getattr(regex, "__version__", "")).encode(),
                                            NUMERALS.encode()])).hexdigest()
        name = f"prefilter-gates-{version[:16]}.json"
        _GATE_CACHE = _GateCache(name, version, read_cache_entries(name, version, "gates"))
    return _GATE_CACHE


def _pattern_key(pattern: "regex.Pattern") -> str:
    named = getattr(pattern, "named_lists", {}) or {}
    lists = {name: sorted(values) for name, values in named.items()}
    text = json.dumps([pattern.pattern, pattern.flags, lists], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _digits_in(items: list, counted: str) -> int:
    """The least number of characters of `counted` (or \\d) a match of the parsed `items` holds."""
    total = 0
    for op, av in items:
        if op is C.LITERAL:
            total += chr(av) in counted
        elif op is C.IN:
            total += _only_digits(av, counted)
        elif op is C.SUBPATTERN:
            total += _digits_in(list(av[3]), counted)
        elif op is C.ATOMIC_GROUP:
            total += _digits_in(list(av), counted)
        elif op is C.BRANCH:
            total += min(_digits_in(list(alternative), counted) for alternative in av[1])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            total += av[0] * _digits_in(list(av[2]), counted)
        # Anything else (lookarounds, anchors, back-references, ., negated literals) counts as none.
    return total


def _only_digits(members, counted: str) -> bool:
    """Can a character class match nothing but decimal digits and characters of `counted`? (\\d, 0-9 and its
    parts, single characters of `counted`)"""
    for op, av in members:
        if op is C.CATEGORY and av is C.CATEGORY_DIGIT:
            continue
        if op is C.LITERAL and chr(av) in counted:
            continue
        if op is C.RANGE and ord("0") <= av[0] <= av[1] <= ord("9"):
            continue
        return False  # NEGATE, another category, a letter, a wider range
    return bool(members)


def _python_syntax(source: str, named_lists: dict, keep_properties: bool = False) -> str | None:
    missing = False

    def replace(m: re.Match) -> str:
        nonlocal missing
        text = m.group(0)
        if text == "\\\\" or (keep_properties and m.group(1) is None):
            return text
        if m.group(1) is not None:
            values = named_lists.get(m.group(1))
            if values is None:
                missing = True
                return text
            return "(?:" + "|".join(re.escape(v) for v in sorted(values)) + ")" if values else "(?!)"
        return r"\s"  # a Unicode property: to the analysis, a class of unknown characters

    out = _REGEX_ONLY.sub(replace, source)
    return None if missing else out


# -- patterns that need no case-insensitive matching ------------------------------------------------------------
# Unicode properties whose members' case variants are members too (each checked over every code point that has a
# case variant, tests/test_case_free.py): asking them with or without IGNORECASE gives the same answer for any
# character. \p{L}, \p{M} and scripts are not among them (U+0345, a combining mark, upper-cases to the letter Ι).
CASE_CLOSED_PROPERTIES = frozenset({"han", "script=han", "sc=han", "p", "s", "n", "nd", "cf", "z", "zs",
                                    "emoji_presentation"})
_LARGEST_RANGE = 0x20000  # a class range wider than this is not walked character by character: not case-free


def case_free(source: str, named_lists: "dict | None" = None) -> bool:
    """True when `source` matches exactly the same compiled with IGNORECASE as without it, on any text.

    The built-in pack's patterns are Chinese text, digits, punctuation and classes of them, yet every rule pattern
    is compiled case-insensitively (the normalised text is lower case, and an author may write SSL or TeamViewer).
    Case-insensitive matching asks the `regex` module for every case of each character of the text a class is
    tested on, about 20% of a search of a Chinese message (a mobile number, a clause of [^。，]{0,12}). A pattern
    whose every literal, class member and property is without case (a character with no other case, \\d, \\s,
    \\w, the properties above), with no back-reference (which compares captured text, cased or not) and no
    inline flag, matches the same characters either way, so it is compiled without IGNORECASE. Anything else,
    or anything the analysis does not read, keeps IGNORECASE: "False" is always safe. Kept in the gate cache."""
    named_lists = named_lists or {}
    return _kept("case-free", [source], named_lists, bool, lambda: _case_free(source, named_lists))


def _kept(kind: str, parts: list, named_lists: dict, kept_type: type, work):
    """work()'s answer about a pattern, kept in the gate cache under `kind` and a digest of `parts` (its source
    and whatever else decides the answer) and its named lists; worked out when the cache has none of that type."""
    cache = _gate_cache()
    lists = {name: sorted(values) for name, values in named_lists.items()}
    key = f"{kind} " + hashlib.sha1(json.dumps([*parts, lists], ensure_ascii=False, sort_keys=True)
                                    .encode("utf-8", "surrogatepass")).hexdigest()
    known = cache.entries.get(key)
    if type(known) is kept_type:
        return known
    answer = cache.entries[key] = work()
    cache.dirty = True
    return answer


def _case_free(source: str, named_lists: dict) -> bool:
    for m in _PROPERTY.finditer(source):
        escape = m.group(0)
        if escape == "\\\\":
            continue
        name = escape[3:-1] if escape[2] == "{" else escape[2:]
        if name.replace(" ", "").replace("_", "").lower() not in _CLOSED_NAMES:
            return False
    python = _python_syntax(source, named_lists)  # properties (checked above) read as \s, lists as alternations
    if python is None or _REFUSED_SYNTAX.search(python):
        return False
    try:
        parsed = sre_parse.parse(python, 0)
    except (re.error, RecursionError, OverflowError):
        return False
    if parsed.state.flags & ~C.SRE_FLAG_UNICODE:
        return False  # a global inline flag: (?i), (?x), (?a) …
    return _items_case_free(list(parsed))


_CLOSED_NAMES = frozenset(name.replace("_", "") for name in CASE_CLOSED_PROPERTIES)


def _items_case_free(items: list) -> bool:
    for op, av in items:
        if op is C.LITERAL or op is C.NOT_LITERAL:
            if not _caseless(av):
                return False
        elif op is C.IN:
            for m_op, m_av in av:
                if m_op is C.LITERAL or m_op is C.NOT_LITERAL:
                    if not _caseless(m_av):
                        return False
                elif m_op is C.RANGE:
                    low, high = m_av
                    if high - low > _LARGEST_RANGE or not all(_caseless(code) for code in range(low, high + 1)):
                        return False
                elif m_op is not C.NEGATE and m_op is not C.CATEGORY:
                    return False
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags or not _items_case_free(list(body)):
                return False
        elif op is C.ATOMIC_GROUP:
            if not _items_case_free(list(av)):
                return False
        elif op is C.BRANCH:
            if not all(_items_case_free(list(alternative)) for alternative in av[1]):
                return False
        elif op in _REPEATS:
            if not _items_case_free(list(av[2])):
                return False
        elif op is C.ASSERT or op is C.ASSERT_NOT:
            if not _items_case_free(list(av[1])):
                return False
        elif op is not C.ANY and op is not C.AT and op is not C.CATEGORY:
            return False  # back-references, conditionals, anything not read here
    return True


# -- patterns that need no timeout on short texts -------------------------------------------------------------------
# Every search of a rule pattern runs with the `regex` module's timeout (matching.regex_timeout), which guards a
# scan against a pattern that backtracks without end. The guard itself costs about 1.8 µs a search (the search of
# a chat message takes 0.4-0.7 µs; the dev set makes 279,000 of them). A backtracking search over a text of n
# characters starts from each of its n places and, from each, can take only so many steps: `untimed_limit` bounds
# that number from the pattern's structure (a repetition without a bound repeats at most n times when each round
# reads a character) and finds the longest text on which the whole search stays under UNTIMED_WORK steps, a small
# part of what the timeout lets a search take before it fires. Such texts are searched without the timeout;
# longer ones keep it, and so does every pattern the analysis does not read.
UNTIMED_WORK = 2_000_000  # steps (one item tried at one place) a search may take without a timeout
UNTIMED_TEXT = 4_096  # the longest text the analysis considers: longer ones keep the timeout
_FUZZY = re.compile(r"\{[^}]*[<>=]")  # regex's fuzzy constraints ({e<=1}): sre would read them as literal text
_HUGE_WORK = UNTIMED_WORK + 1  # past the budget only "too much" matters


class _Unbounded(Exception):
    """Work that no bound is known for: a construct not read here."""


def untimed_limit(pattern) -> int:
    """The longest text (in characters) `pattern` (a compiled or lazy `regex` pattern) may search without a
    timeout: at most UNTIMED_WORK steps on any text that long; 0 when nothing is known. Kept in the gate cache."""
    source, flags = pattern.pattern, pattern.flags
    named_lists = getattr(pattern, "named_lists", {}) or {}
    return _kept("untimed", [source, flags], named_lists, int, lambda: _untimed_limit(source, flags, named_lists))


def _untimed_limit(source: str, flags: int, named_lists: dict) -> int:
    if flags & _REFUSED_FLAGS:
        return 0
    python = _python_syntax(source, named_lists)  # properties as one character, lists as alternations
    if python is None or _REFUSED_SYNTAX.search(python) or _FUZZY.search(python):
        return 0
    try:
        items = list(sre_parse.parse(python, re.VERBOSE if flags & regex.VERBOSE else 0))
        cased = bool(flags & regex.IGNORECASE)
        low, high = 0, UNTIMED_TEXT  # the work grows with the text's length: the longest within budget
        while low < high:
            n = (low + high + 1) // 2
            if n * _work(items, {}, n, cased)[1] <= UNTIMED_WORK:
                low = n
            else:
                high = n - 1
        return low
    except (re.error, RecursionError, OverflowError, _Unbounded):
        return 0


def _work(items: list, groups: dict, n: int, cased: bool) -> tuple[int, int]:
    """(ways, steps) of a sequence from one place of a text of n characters: the ways it can match there (each a
    place the rest of the pattern is tried from when a search backtracks) and the most steps trying them all takes.
    Each item is tried once per way of what comes before it. Look-arounds count their ways too: an over-estimate,
    as the bound only has to hold."""
    ways, steps = 1, 0
    for op, av in items:
        w, k = _item_work(op, av, groups, n, cased)
        steps = min(steps + ways * k, _HUGE_WORK)
        ways = min(ways * w, _HUGE_WORK)
    return ways, steps


def _item_work(op, av, groups: dict, n: int, cased: bool) -> tuple[int, int]:
    if op in _ONE_STEP:
        return 1, 1
    if op is C.SUBPATTERN:
        group, _add, _del, body = av
        found = _work(list(body), groups, n, cased)
        if group is not None:
            groups[group] = body.getwidth()[1]
        return found
    if op is C.ATOMIC_GROUP:
        return _work(list(av), groups, n, cased)
    if op is C.BRANCH:
        alternatives = av[1]
        found = [_work(list(alternative), groups, n, cased) for alternative in alternatives]
        if _distinct_starts(alternatives, cased):
            # At most one alternative gets past its first character: the others cost a step each.
            return max(w for w, _ in found), min(len(found) + max(k for _, k in found), _HUGE_WORK)
        return min(sum(w for w, _ in found), _HUGE_WORK), min(sum(k for _, k in found), _HUGE_WORK)
    if op in _REPEATS:
        low, high, body = av
        w, k = _work(list(body), groups, n, cased)
        # No more rounds than the text has characters when each reads one at least; a repetition that may read
        # none keeps its bound as written, and without one is not bounded here.
        if high is C.MAXREPEAT or high > n:
            if body.getwidth()[0] == 0:
                if high is C.MAXREPEAT:
                    raise _Unbounded
            else:
                high = max(low, n)
        # Round j is tried once per way of the rounds before it (w ** j); the ways out are those of each count
        # from `low` to `high`, and each is one more step (a decision to stop).
        ways, steps, power = 0, 0, 1
        for j in range(high + 1):
            if j >= low:
                ways = min(ways + power, _HUGE_WORK)
                steps = min(steps + power, _HUGE_WORK)
            if j < high:
                steps = min(steps + power * k, _HUGE_WORK)
            power = min(power * w, _HUGE_WORK)
            if steps >= _HUGE_WORK:
                break
        return ways, steps
    if op is C.ASSERT or op is C.ASSERT_NOT:
        return _work(list(av[1]), groups, n, cased)
    if op is C.GROUPREF:
        if av not in groups:
            raise _Unbounded
        return 1, groups[av] + 1
    raise _Unbounded  # conditionals, anything else


def _distinct_starts(alternatives, cased: bool) -> bool:
    """Whether no two alternatives can match from the same place: each starts with a different literal character
    (without case, when the pattern ignores case) and none can match nothing."""
    seen: set[int] = set()
    for alternative in alternatives:
        if alternative.getwidth()[0] == 0:
            return False
        first = _first_literal(list(alternative))
        if first is None or first in seen or (cased and not _caseless(first)):
            return False
        seen.add(first)
    return True


def _first_literal(items: list) -> "int | None":
    while items:
        op, av = items[0]
        if op is C.LITERAL:
            return av
        if op is C.SUBPATTERN:
            items = list(av[3])
            continue
        return None
    return None


def caseless(text: str) -> bool:
    """No character of `text` is matched case-insensitively by any other (Chinese, digits, punctuation)."""
    return text.lower() == text == text.upper() and text.casefold() == text


def _caseless(code: int) -> bool:
    return caseless(chr(code))


class _Analysis:
    """Each node gives (exact, required): every string it can match (if few), and a required-literal set."""

    def __init__(self, ignore_case: bool):
        self.ignore_case = ignore_case

    def char(self, code: int) -> str | None:
        ch = chr(code)
        if not self.ignore_case:
            return ch
        if ch.isascii():
            return ch.lower()
        if ch.lower() != ch or ch.upper() != ch:
            return None  # a cased letter beyond ASCII: other characters may match it
        return ch

    def sequence(self, items: list) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        whole, candidates = self.candidates(items)
        return whole, _best(candidates)

    def candidates(self, items: list) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
        """(every string the sequence can match, if few; the literal sets it requires, each on its own)."""
        candidates: list[frozenset[str]] = []
        run: frozenset[str] | None = frozenset({""})  # concatenation of the exact items since the last break
        whole: frozenset[str] | None = frozenset({""})
        for item in items:
            exact, required = self.node(item)
            if required:
                candidates.append(required)
            if exact is None:
                _keep(candidates, run)
                run = frozenset({""})
                whole = None
                continue
            joined = _concat(run, exact)
            if joined is None:
                _keep(candidates, run)
                joined = exact
            run = joined
            whole = _concat(whole, exact) if whole is not None else None
        _keep(candidates, run)
        return whole, candidates

    def node(self, item) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        op, av = item
        if op is C.LITERAL:
            ch = self.char(av)
            return (frozenset({ch}), frozenset({ch})) if ch is not None else (None, None)
        if op is C.IN:
            chars = self.char_set(av)
            return (chars, chars) if chars is not None else (None, None)
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags:
                return None, None
            return self.sequence(list(body))
        if op is C.ATOMIC_GROUP:
            return self.sequence(list(av))
        if op is C.BRANCH:
            return self.branch(av[1])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            return self.repeat(*av)
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            return frozenset({""}), None  # zero width: consumes nothing, requires nothing of the match
        return None, None  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, GROUPREF_EXISTS, …

    def char_set(self, members) -> frozenset[str] | None:
        chars: set[str] = set()
        for op, av in members:
            if op is C.LITERAL:
                codes = [av]
            elif op is C.RANGE and av[1] - av[0] < MAX_EXACT:
                codes = range(av[0], av[1] + 1)
            else:
                return None  # NEGATE, CATEGORY, a wide range
            for code in codes:
                ch = self.char(code)
                if ch is None:
                    return None
                chars.add(ch)
        return frozenset(chars) if 0 < len(chars) <= MAX_EXACT else None

    def branch(self, alternatives) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        exact: set[str] | None = set()
        required: set[str] | None = set()
        for alternative in alternatives:
            e, r = self.sequence(list(alternative))
            if exact is not None:
                exact = exact | e if e is not None and len(exact) + len(e) <= MAX_EXACT else None
            own = r if r is not None else (e if e is not None and "" not in e else None)
            if required is not None:
                required = required | own if own is not None and len(required) + len(own) <= MAX_REQUIRED else None
        return (frozenset(exact) if exact is not None else None), (_reduced(required) if required else None)

    def repeat(self, low: int, high, body) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        exact, required = self.sequence(list(body))
        if low == 0:
            if high == 1 and exact is not None:
                return exact | {""}, None
            return None, None
        if exact is not None and "" not in exact:
            # At least `low` copies follow each other: their concatenations are required (a few of them).
            copies: frozenset[str] | None = exact
            for _ in range(min(low, 3) - 1):
                longer = _concat(copies, exact)
                if longer is None:
                    break
                copies = longer
            required = _best([c for c in (required, copies) if c])
            if low == high and low <= 4:
                whole: frozenset[str] | None = exact
                for _ in range(low - 1):
                    whole = _concat(whole, exact) if whole is not None else None
                return whole, required
        return None, required


def _concat(left: frozenset[str] | None, right: frozenset[str]) -> frozenset[str] | None:
    if left is None or len(left) * len(right) > MAX_EXACT:
        return None
    return frozenset(a + b for a, b in product(left, right))


def _keep(candidates: list, run: frozenset[str] | None) -> None:
    if run and "" not in run:
        candidates.append(run)


def _reduced(strings) -> frozenset[str]:
    """Drop every string that contains a shorter one of the set: any text holding it holds the shorter too."""
    kept: list[str] = []
    for s in sorted(set(strings), key=len):
        if not any(k in s for k in kept):
            kept.append(s)
    return frozenset(kept)


def _best(candidates) -> frozenset[str] | None:
    """The most selective set: longest shortest string, then fewest strings."""
    usable = [_reduced(c) for c in candidates if c and "" not in c]
    if not usable:
        return None
    return max(usable, key=_rank)


def _rank(literals: frozenset[str]) -> tuple:
    """Longer shortest string, then fewer strings; the strings themselves break ties, for the same choice in every run."""
    return min(map(len, literals)), -len(literals), sorted(literals)
