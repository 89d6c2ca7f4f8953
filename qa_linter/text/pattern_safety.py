"""Compiling a rule's regular expression without letting it take the machine down.

The `regex` module lays repetitions out when it compiles: `a{1000}` becomes a thousand copies of `a`, and a
repetition of a group copies the group, so nested bounds multiply — `(a{10000}){10000}` asks for a hundred
million copies and grew one run to 24 GB before it was killed. No timeout applies while compiling, so a
pattern is judged before it is compiled:

1. a single bound over MAX_REPEAT is refused outright (`a{1000000000}`);
2. the *layout* of the pattern is estimated from its source: every atom counts 1, a repetition multiplies
   what it repeats by its minimum count (the copies regex lays out; one more when the maximum is higher),
   and alternatives add up. Up to MAX_LAYOUT (about 25 MB compiled) it is compiled here as usual;
3. above that, the estimate is only an upper bound (regex shares alternatives of plain words, for one), so the
   pattern is compiled first in a child process with an address-space cap and a time limit; only if that
   child succeeds, within MAX_COMPILED_MB, is it compiled here.

A pattern refused by any step raises UnsafePattern with a reason for the rule's author; the loader then
leaves that rule out and loads the others (see loader.py).
"""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import regex

# Compiling a{1000000000} takes the regex module minutes and gigabytes; no wording rule needs a bound near this.
MAX_REPEAT = 10_000
# Estimated layout units compiled in this process without a trial (about 250 bytes each: 25 MB).
MAX_LAYOUT = 100_000
# A trial compile in a child may use this much memory over its start (the pattern's compiled size) ...
MAX_COMPILED_MB = 64
# ... within an address-space cap of this much (the child is a small Python: interpreter plus `regex`) ...
CHILD_ADDRESS_SPACE_MB = 256
# ... and this many seconds.
CHILD_SECONDS = 10.0

_REPEAT_BOUND = regex.compile(r"(?<!\\)(?:\\\\)*\{(\d+)(?:,(\d*))?\}")
_QUANTIFIER = regex.compile(r"\{(\d*)(?:(,)(\d*))?\}")
# What opens a group after "(" and is not part of its pattern.
_GROUP_PREFIX = regex.compile(r"\?(?:P?<(?![=!])[^>]*>|'[^']*'|<[=!]|[:=!>|])")
_HUGE = 10**15  # estimates are capped here: past it, only "too big" matters


class UnsafePattern(ValueError):
    """A pattern that compiling would make too big or too slow; the message says why and what to do."""


def repetition_problem(source: str) -> str | None:
    """Why a pattern must not be compiled (a repetition bound over MAX_REPEAT), else None."""
    for m in _REPEAT_BOUND.finditer(source):
        bound = max(int(m.group(1)), int(m.group(2) or 0))
        if bound > MAX_REPEAT:
            return f"repetition {m.group(0).lstrip(chr(92))} is larger than {MAX_REPEAT:,}; use a smaller bound"
    return None


def layout_estimate(source: str) -> int:
    """How many units the regex module lays out for `source` (an upper bound; capped at a huge value).

    A small parser of the pattern's structure: escapes, classes and groups are atoms, quantifiers multiply the
    atom before them. Anything it does not understand counts as a plain character, which only makes the
    estimate larger.
    """
    stack: list[list[int]] = [[0, 0]]  # per open group: [cost of the items before the last one, the last item]
    i, n = 0, len(source)

    def add(cost: int) -> None:
        frame = stack[-1]
        frame[0] = min(frame[0] + frame[1], _HUGE)
        frame[1] = cost

    while i < n:
        ch = source[i]
        if ch == "\\":
            i = _skip_escape(source, i)
            add(1)
            continue
        if ch == "[":
            i = _skip_class(source, i)
            add(1)
            continue
        if ch == "(":
            if source.startswith("(?#", i):
                close = source.find(")", i)
                i = n if close < 0 else close + 1
                continue
            stack.append([0, 0])
            prefix = _GROUP_PREFIX.match(source, i + 1)  # (?:  (?P<name>  (?=  (?<!  (?>  (?|
            i = prefix.end() if prefix else i + 1  # flags and references count as characters: a little more
            continue
        if ch == ")":
            if len(stack) > 1:
                frame = stack.pop()
                add(max(1, min(frame[0] + frame[1], _HUGE)))
            else:
                add(1)
            i += 1
            continue
        if ch == "|":
            frame = stack[-1]
            frame[0], frame[1] = min(frame[0] + frame[1], _HUGE), 0  # alternatives are all laid out: they add up
            i += 1
            continue
        if ch in "*+?{":
            bounds = _quantifier(source, i)
            if bounds is not None:
                low, high, i = bounds
                frame = stack[-1]
                copies = max(1, low + (1 if high is None or high > low else 0))
                frame[1] = min(frame[1] * copies, _HUGE)
                if i < n and source[i] in "?+":  # lazy or possessive: a modifier, not another repetition
                    i += 1
                continue
        add(1)
        i += 1
    while len(stack) > 1:  # an unclosed group: compiling will say so; estimate what is there
        frame = stack.pop()
        add(frame[0] + frame[1])
    return min(stack[0][0] + stack[0][1], _HUGE)


def _skip_escape(source: str, i: int) -> int:
    """The index after the escape starting at source[i] (a backslash)."""
    if i + 1 >= len(source):
        return i + 1
    kind = source[i + 1]
    if kind in "pPNx" and i + 2 < len(source) and source[i + 2] == "{":
        close = source.find("}", i + 2)
        return len(source) if close < 0 else close + 1
    if kind in "Lgk" and i + 2 < len(source) and source[i + 2] == "<":
        close = source.find(">", i + 2)
        return len(source) if close < 0 else close + 1
    return i + 2


def _skip_class(source: str, i: int) -> int:
    """The index after the character class starting at source[i] ("[")."""
    j = i + 1
    if j < len(source) and source[j] == "^":
        j += 1
    if j < len(source) and source[j] == "]":  # a ] first in the class is a literal
        j += 1
    while j < len(source):
        if source[j] == "\\":
            j = _skip_escape(source, j)
            continue
        if source.startswith("[:", j):
            close = source.find(":]", j + 2)
            if close >= 0:
                j = close + 2
                continue
        if source[j] == "]":
            return j + 1
        j += 1
    return j


def _quantifier(source: str, i: int) -> tuple[int, int | None, int] | None:
    """(minimum, maximum or None, index after) for a quantifier at source[i], or None when it is a literal."""
    ch = source[i]
    if ch == "*":
        return 0, None, i + 1
    if ch == "+":
        return 1, None, i + 1
    if ch == "?":
        return 0, 1, i + 1
    m = _QUANTIFIER.match(source, i)
    if m is None or not (m.group(1) or m.group(3)):  # {} and {,} are literal text
        return None
    low = int(m.group(1) or 0)
    if m.group(2) is None:
        return low, low, m.end()
    return low, int(m.group(3)) if m.group(3) else None, m.end()


def safe_compile(source: str, flags: int, **named_lists) -> "regex.Pattern":
    """`regex.compile(source, flags, **named_lists)`, refusing a pattern whose compiling is unsafe.

    Raises UnsafePattern (too big) or regex.error (not a valid pattern).
    """
    too_big = repetition_problem(source)
    if too_big:
        raise UnsafePattern(too_big)
    cache = _compile_cache()
    key = _compile_key(source, flags, named_lists)
    known = cache.entries.get(key)
    if type(known) is list and len(known) == 3 and type(known[0]) is int:
        # Its layout was estimated when it was first compiled, and was within MAX_LAYOUT: a larger one is never
        # kept (below), and the cache's name holds MAX_LAYOUT. Estimating it again was 25 ms of every start.
        return LazyPattern(source, flags, named_lists, known[0], (known[1], known[2]))
    layout = layout_estimate(source)
    if layout > MAX_LAYOUT:
        _trial_compile(source, flags, named_lists, layout)
        return regex.compile(source, flags, **named_lists)
    pattern = regex.compile(source, flags, **named_lists)
    # Its code too, where it can be kept exactly (else, with another `regex`, the source is compiled when used).
    cache.entries[key] = [pattern.flags, *(compiled_code(pattern) or (None, None))]
    cache.dirty = True
    return pattern


class LazyPattern:
    """A pattern an earlier process compiled without error (the same source, flags and lists, the same Python and
    `regex`, which compile deterministically), compiled here when first used: most of a pack's patterns never run
    in a pre-send check or a short scan, and compiling them all was a third of loading the built-in pack.

    What the loader reads of a pattern (`pattern`, the compiled `flags`, `named_lists`: its gates, see prefilter.py)
    is known without compiling; anything else compiles it once and is then kept as a plain attribute, so a
    `finditer` after the first is the compiled pattern's own bound method."""

    def __init__(self, source: str, given_flags: int, named_lists: dict, flags: int,
                 code: "tuple[str, str] | None" = None):
        self.pattern = source
        self.flags = flags
        self.named_lists = {name: frozenset(values) for name, values in named_lists.items()}
        self._arguments = (source, given_flags, named_lists)
        self._code = code

    def __getattr__(self, name: str):
        arguments = self.__dict__.get("_arguments")
        if arguments is None or name.startswith("__"):  # copy and pickle ask before __init__ has run
            raise AttributeError(name)
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            source, flags, named_lists = arguments
            compiled = from_code(self.__dict__.get("_code"), source)
            if compiled is None:
                compiled = regex.compile(source, flags, **named_lists)
            self.__dict__["_compiled"] = compiled
        value = self.__dict__[name] = getattr(compiled, name)
        return value

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


# What `regex` compiles a pattern to, kept with it: the arguments of the constructor `regex` itself unpickles a
# compiled pattern with (`Pattern._pickled_data`: the source, flags, the code as bytes, the groups, the named
# lists, the required characters). `regex` parses a pattern in Python, which for the pack's 822 patterns took
# 0.30 s in every scanning process (each `--jobs` worker again); from the kept code they are made in 8 ms. The
# code is kept only when it reads back exactly (values and types), with its SHA-1, and is used only when the
# SHA-1 still holds and the pattern it makes is the one asked for; anything else compiles the source as before.
try:
    from regex import _regex as _regex_engine
except ImportError:  # pragma: no cover - every `regex` release has it; without it the source is compiled
    _regex_engine = None

_CODE_FIELDS = (str, int, bytes, dict, dict, dict, list, int, tuple, int, int)


def compiled_code(pattern) -> "tuple[str, str] | None":
    """(SHA-1, JSON text) of what `pattern` was compiled to, or None when it cannot be kept exactly."""
    data = getattr(pattern, "_pickled_data", None)
    if _regex_engine is None or not isinstance(data, tuple) or tuple(map(type, data)) != _CODE_FIELDS:
        return None
    source, flags, code, group_index, index_group, named_lists, list_indexes, offset, chars, char_flags, groups = data
    try:
        text = json.dumps([source, flags, base64.b64encode(code).decode("ascii"), group_index,
                           sorted([number, name] for number, name in index_group.items()),
                           {name: sorted(values) for name, values in named_lists.items()},
                           [sorted(values) for values in list_indexes], offset, list(chars), char_flags, groups],
                          ensure_ascii=False, sort_keys=True)
        back = _from_text(text)
    except (TypeError, ValueError):
        return None
    if back != data or [type(x) for x in back] != [type(x) for x in data] or any(
            type(values) is not frozenset for values in [*data[5].values(), *data[6]]):
        return None
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), text


def _from_text(text: str) -> tuple:
    source, flags, code, group_index, index_group, named_lists, list_indexes, offset, chars, char_flags, groups = \
        json.loads(text)
    return (source, flags, base64.b64decode(code, validate=True), group_index,
            {number: name for number, name in index_group},
            {name: frozenset(values) for name, values in named_lists.items()},
            [frozenset(values) for values in list_indexes], offset, tuple(chars), char_flags, groups)


def from_code(code: "tuple[str, str] | None", source: str):
    """The compiled pattern made from kept code (see compiled_code), or None to compile the source."""
    if code is None or _regex_engine is None:
        return None
    digest, text = code
    if text is None:  # known to compile, but its code could not be kept
        return None
    if type(text) is not str or hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest() != digest:
        return None
    try:
        data = _from_text(text)
        if data[0] != source:
            return None
        return _regex_engine.compile(*data)
    except (TypeError, ValueError, KeyError, IndexError, RuntimeError, regex.error):
        return None


# Which patterns compiled without error, their compiled flags and code, kept in the cache folder between processes.
# Compiling depends only on the arguments and the versions of Python and `regex`, which name the file.
COMPILE_CACHE_LIMIT = 4_000  # patterns kept in the file (packs come and go; about 0.5 KB each); more starts again


class _CompileCache:
    def __init__(self, name: str, version: str, entries: dict):
        self.name, self.version, self.entries, self.dirty = name, version, entries, False


_COMPILE_CACHE: _CompileCache | None = None


def _compile_cache() -> _CompileCache:
    global _COMPILE_CACHE
    if _COMPILE_CACHE is None:
        from .tokenize import read_cache_entries

        version = hashlib.sha1(b"\0".join([sys.version.encode(), str(getattr(regex, "__version__", "")).encode(),
                                            str(MAX_LAYOUT).encode()]))
        version = version.hexdigest()
        name = f"compiled-patterns-{version[:16]}.json"
        _COMPILE_CACHE = _CompileCache(name, version, read_cache_entries(name, version, "compiled"))
    return _COMPILE_CACHE


def save_compile_cache() -> None:
    """Write the patterns compiled by this process for the first time (nothing when there are none)."""
    cache = _COMPILE_CACHE
    if cache is None or not cache.dirty:
        return
    from .tokenize import write_cache_file

    entries = cache.entries if len(cache.entries) <= COMPILE_CACHE_LIMIT else {}
    if write_cache_file(cache.name, json.dumps({"version": cache.version, "compiled": entries})):
        cache.dirty = False


def _compile_key(source: str, flags: int, named_lists: dict) -> str:
    lists = {name: list(values) for name, values in named_lists.items()}
    text = json.dumps([source, int(flags), lists], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


# The child: cap its address space, compile, say how much memory compiling took (or why it failed). Memory is
# the resident size read from /proc, not ru_maxrss: Linux carries the high-water mark over from the parent that
# forked the child, which would hide the compile's growth under the parent's size.
_CHILD = r"""
import json, sys
job = json.loads(sys.stdin.buffer.read())
try:
    import resource
    cap = job["cap"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
except (ImportError, ValueError, OSError):
    pass
def rss():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096
    except (OSError, ValueError, IndexError):
        return 0
import regex
before = rss()
try:
    pattern = regex.compile(job["source"], job["flags"], **job["lists"])
except MemoryError:
    print(json.dumps({"outcome": "memory"}))
except Exception as exc:
    print(json.dumps({"outcome": "error", "reason": str(exc)}))
else:
    print(json.dumps({"outcome": "ok", "bytes": max(0, rss() - before)}))
"""


def _trial_compile(source: str, flags: int, named_lists: dict, layout: int) -> None:
    """Compile `source` in a child process first; raise UnsafePattern if that runs out of memory or time."""
    estimate = f"nested repetitions lay out about {layout:,} copies"
    job = json.dumps({"source": source, "flags": int(flags), "cap": CHILD_ADDRESS_SPACE_MB,
                      "lists": {k: list(v) for k, v in named_lists.items()}})
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=job.encode("utf-8"), capture_output=True,
                              timeout=CHILD_SECONDS)
    except subprocess.TimeoutExpired:
        raise UnsafePattern(f"{estimate}; compiling it took longer than {CHILD_SECONDS:g} s; "
                            "use smaller repetition counts, or + and * instead of large {n}") from None
    except OSError as exc:
        raise UnsafePattern(f"{estimate}, and it could not be tried safely ({exc.strerror or exc}); "
                            "use smaller repetition counts") from None
    try:
        result = json.loads(proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"outcome": "memory"}  # killed by the cap before it could answer
    if result["outcome"] == "error":
        raise regex.error(result["reason"])
    size_mb = result.get("bytes", 0) / 1024 / 1024
    if result["outcome"] == "memory" or size_mb > MAX_COMPILED_MB:
        raise UnsafePattern(f"{estimate}; compiled, it needs more than {MAX_COMPILED_MB} MB of memory; "
                            "use smaller repetition counts, or + and * instead of large {n}")
