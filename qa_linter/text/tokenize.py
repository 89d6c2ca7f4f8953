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
import contextlib
import hashlib
import json
import logging
import marshal
import os
import re
import sys
import tempfile
import threading
import time
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import regex

# jieba's own block pattern (jieba.re_han_default): it segments each such run separately.
BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")
_IN_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]")  # one character of a block
# The block characters that end at a position, matched backwards (the `regex` module's REVERSE flag).
_BLOCK_BEFORE = regex.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]*", regex.REVERSE)
_BLOCK_END = re.compile(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]|\Z")
_ASCII_ONLY = re.compile(r"^[\x00-\x7f]+$")


_BASE_LOCK = threading.Lock()
_BASE = None
_IMPORT_LOCK = threading.Lock()


def _import_jieba():
    """`import jieba`, without the pkg_resources import (about 80 ms) it makes only to locate its own files.

    With pkg_resources unavailable jieba opens its files by path, which is all it needs; a pkg_resources
    already imported by someone else is simply used. The hiding lasts only for this import.
    """
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    with _IMPORT_LOCK:
        hidden = "pkg_resources" not in sys.modules
        if hidden:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
        try:
            import jieba
        finally:
            if hidden and sys.modules.get("pkg_resources", 0) is None:
                del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _base_tokenizer():
    """jieba with its whole dictionary (about 0.5 s to load); only needed to build the prefix cache."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            tokenizer = _import_jieba().Tokenizer()
            tokenizer.initialize()
            _BASE = tokenizer
        return _BASE


# -- jieba's prefix dictionary, read two first characters at a time -------------------------------------------
# jieba keeps its dictionary as one dict of 500,000 words and word prefixes (word -> frequency, prefix -> 0)
# and loads it whole, which is most of a fresh process's start-up and 60 MB of memory. Segmenting a block only
# ever looks up the block's single characters and strings that start with two adjacent characters of it (jieba's
# get_DAG looks up text[k], then text[k:k+2], text[k:k+3] … while they are entries), so the dictionary is stored
# once per machine as its one-character entries plus one part per two-character prefix (a cache file, read
# whole), and a segmenter unpacks the part of a pair of characters the first time a block holding it is
# segmented. By first character alone (the sixth round) a 20 MB scan unpacked 252,000 entries for its 765
# characters (0.09-0.12 s per process); by pair it unpacks 9,600 for 3,200 pairs. The segmentation is jieba's
# own code on the same entries, so it is the same.
_CACHE_MAGIC = b"qa-linter jieba prefix v2 (pairs)\n"
_STORE_LOCK = threading.Lock()
_STORE: "PrefixStore | None" = None


def cache_dir() -> Path:
    """Where qa-linter keeps derived data: $QA_LINTER_CACHE_DIR, else the user's cache folder."""
    if os.environ.get("QA_LINTER_CACHE_DIR"):
        return Path(os.environ["QA_LINTER_CACHE_DIR"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "qa-linter" / "cache"
    try:
        base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    except RuntimeError:  # no home folder (a service account without one)
        return _temporary_cache_dir()
    return Path(base) / "qa-linter"


def _temporary_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"qa-linter-{_user()}"


def _cache_folders() -> list[Path]:
    """The cache folder, then a per-user temporary one in case the first cannot be written. What the cache holds is
    read back as compiled patterns and, for the rule pack, unpickled: the temporary folder, at a name anyone can
    guess (/tmp/qa-linter-UID), is used only if it is the user's own and no one else may write it (another user
    could have made it first). The user's own cache folder, or the one they name, is theirs to trust."""
    temporary = _temporary_cache_dir()
    return [cache_dir()] + ([temporary] if owned(temporary, missing=True) else [])


def owned(path: Path, missing: bool = False) -> bool:
    """Whether `path` is the user's own and no one else may write it (on POSIX; elsewhere the cache folders are in
    the user's profile). `missing`: the answer for a path that does not exist (a folder this process will make,
    user-only)."""
    if not hasattr(os, "getuid"):
        return True
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return missing
    except OSError:
        return False
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def read_cache_file(name: str) -> str | None:
    """The text of a file of the cache folders (the first that has it), or None."""
    for folder in _cache_folders():
        try:
            return (folder / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return None


def cache_file(name: str) -> Path | None:
    """The path of a file of the cache folders (the first that has it), or None."""
    for folder in _cache_folders():
        if (folder / name).is_file():
            return folder / name
    return None


def read_cache_entries(name: str, version: str, field: str) -> dict:
    """The `field` mapping of a JSON cache file written for `version`; empty when the file is missing, broken (a disk
    that filled up) or written for another version: then everything is worked out again and the file written anew."""
    try:
        stored = json.loads(read_cache_file(name) or "{}")
    except ValueError:
        return {}
    if isinstance(stored, dict) and stored.get("version") == version and isinstance(stored.get(field), dict):
        return stored[field]
    return {}


def write_cache_file(name: str, text: "str | bytes", kept: "tuple[str, int] | None" = None) -> bool:
    """Write a file of the cache folders atomically (the first that can be written); False when none can. `text`
    is written as UTF-8, bytes as they are.
    `kept` (a glob pattern, a number): afterwards only that many files of the folder matching it stay, the most
    recently used, this one among them (entries written per input, such as YAML files, come and go)."""
    for folder in _cache_folders():
        temporary = None
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(text if isinstance(text, bytes) else text.encode("utf-8"))
            os.replace(temporary, folder / name)  # atomic: another process reads the old file or the new one
            if kept is not None:
                _prune(folder, kept[0], kept[1], keep=name)
            return True
        except OSError:
            if temporary is not None:  # a full disk: no half-written file left behind
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            continue  # not writable: the next folder, else computed again next time
    return False


def _pair_code(pair: str) -> int:
    """A two-character string as one number (code points are below 2**21), the sort key of the store's index."""
    return (ord(pair[0]) << 21) | ord(pair[1])


class PrefixStore:
    """jieba's prefix dictionary: `singles()` is {entry: frequency} of its one-character entries, `part(pair)` that
    of the entries starting with the two characters `pair`."""

    def __init__(self, total: int, singles: dict, index, data, key: str):
        self.total = total
        self.key = key  # identifies the dictionary (jieba version, file, size, time)
        self._singles = singles
        # pair -> dict when held in memory; else (codes, offsets, lengths): the sorted pair codes and where each
        # pair's part lies in `data`, read by bisection straight from the file's bytes (no per-pair object is
        # made for the 180,000 pairs at load).
        self._index = index
        self._data = data

    def singles(self) -> dict:
        return self._singles

    def part(self, pair: str) -> dict:
        index = self._index
        if isinstance(index, dict):
            return index.get(pair, {})
        codes, offsets, lengths = index
        code = _pair_code(pair)
        at = bisect.bisect_left(codes, code)
        if at == len(codes) or codes[at] != code:
            return {}
        offset = offsets[at]
        return marshal.loads(self._data[offset : offset + lengths[at]])

    # -- building and opening ------------------------------------------------------------------------------------
    @classmethod
    def load(cls) -> "PrefixStore":
        """The store for jieba's default dictionary: from the cache file, built on first use."""
        jieba = _import_jieba()
        dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
        stat = dictionary.stat()
        key = f"{jieba.__version__}|{dictionary}|{stat.st_size}|{stat.st_mtime_ns}|{sys.byteorder}"
        name = f"jieba-pairs-{hashlib.sha1(key.encode()).hexdigest()[:16]}.bin"
        for folder in _cache_folders():
            store = cls._open(folder / name, key)
            if store is not None:
                return store
        base = _base_tokenizer()
        singles: dict[str, int] = {}
        parts: dict[str, dict] = {}
        for entry, freq in base.FREQ.items():
            if len(entry) == 1:
                singles[entry] = freq
            else:
                parts.setdefault(entry[:2], {})[entry] = freq
        for folder in _cache_folders():
            if cls._write(folder / name, key, base.total, singles, parts):
                _prune(folder, "jieba-pairs-*.bin", PAIR_STORES_KEPT, keep=name)
                store = cls._open(folder / name, key)
                if store is not None:
                    return store
        return cls(base.total, singles, parts, None, key)  # no writable cache folder: keep it in memory

    @classmethod
    def _open(cls, path: Path, key: str) -> "PrefixStore | None":
        try:
            # Read whole (about 10 MB, a few ms): a memory map would crash the process (SIGBUS) if anyone
            # truncated the file while it is mapped; bytes in memory cannot change under us.
            data = path.read_bytes()
        except OSError:
            return None
        _mark_used(path)
        try:
            if data[: len(_CACHE_MAGIC)] != _CACHE_MAGIC:
                return None
            start = len(_CACHE_MAGIC) + 8
            header_length = int.from_bytes(data[len(_CACHE_MAGIC) : start], "little")
            stored_key, total, count, singles_length = marshal.loads(data[start : start + header_length])
            if stored_key != key:
                return None
            at = start + header_length
            view = memoryview(data)
            codes = view[at : at + 8 * count].cast("Q")
            offsets = view[at + 8 * count : at + 16 * count].cast("Q")
            lengths = view[at + 16 * count : at + 20 * count].cast("I")
            at += 20 * count
            singles = marshal.loads(data[at : at + singles_length])
            if len(codes) != count or len(lengths) != count or not isinstance(singles, dict):
                return None
            return cls(total, singles, (codes, offsets, lengths), data, key)
        except (ValueError, EOFError, TypeError):
            return None

    @staticmethod
    def _write(path: Path, key: str, total: int, singles: dict, parts: dict[str, dict]) -> bool:
        pairs = sorted(parts, key=_pair_code)
        singles_blob = marshal.dumps(singles)
        header = marshal.dumps((key, total, len(pairs), len(singles_blob)))
        # Offsets count from the start of the file: the part of a pair is data[offset : offset + length].
        body = len(_CACHE_MAGIC) + 8 + len(header) + 20 * len(pairs) + len(singles_blob)
        blobs = [marshal.dumps(parts[pair]) for pair in pairs]
        offsets = array("Q")
        for blob in blobs:
            offsets.append(body)
            body += len(blob)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(_CACHE_MAGIC + len(header).to_bytes(8, "little") + header)
                out.write(array("Q", map(_pair_code, pairs)).tobytes())
                out.write(offsets.tobytes())
                out.write(array("I", map(len, blobs)).tobytes())
                out.write(singles_blob)
                out.writelines(blobs)
            os.replace(temporary, path)  # atomic: a process reading the old file keeps its mapping
            return True
        except OSError:
            return False


# Each jieba installation (a virtual environment, a jieba upgrade) has its own 13 MB store: the key holds the
# dictionary's path and time. Without pruning, every new environment left one more behind for good (twelve after a
# few days of fresh installs here). A store's modification time says when it was last used (marked at most once a
# day); when a new one is written, only the most recently used PAIR_STORES_KEPT stay. An environment whose store
# went builds it again on its next start (about a second); a running process has read its store whole.
PAIR_STORES_KEPT = 3
# The words a rule pack adds to jieba (a few KB, one file per version of the lexicons: every edit of a pack's
# lexicons writes a new one).
WORD_LISTS_KEPT = 20
_USED_MARK_SECONDS = 24 * 3600
_STALE_TEMPORARY_SECONDS = 24 * 3600


def _mark_used(path: Path) -> None:
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > _USED_MARK_SECONDS:
            os.utime(path)


def _prune(folder: Path, pattern: str, kept: int, keep: str) -> None:
    """Delete all but the `kept` most recently used files of `folder` matching `pattern` (`keep`, just written,
    stays and counts), and temporary files a killed writer left behind more than a day ago."""
    try:
        files = [(p.stat().st_mtime, p) for p in folder.glob(pattern) if p.name != keep]
        stale = [p for p in folder.glob(".tmp-*") if time.time() - p.stat().st_mtime > _STALE_TEMPORARY_SECONDS]
    except OSError:
        return
    files.sort(reverse=True)
    for path in [p for _, p in files[kept - 1 :]] + stale:
        with contextlib.suppress(OSError):
            path.unlink()


def _user() -> str:
    try:
        return str(os.getuid())
    except AttributeError:  # Windows
        return os.environ.get("USERNAME", "user")


def prefix_store() -> PrefixStore:
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = PrefixStore.load()
        return _STORE


def _word_additions(store: PrefixStore, candidates: list[str], forced: list[str]) -> list[tuple[str, int]]:
    """(word, frequency) for each lexicon word jieba must learn, as jieba's add_word would give them.

    Computed once per rule pack and dictionary and kept in the cache folder: the computation cuts every
    lexicon term, which would read the dictionary parts of a thousand characters at every start.
    """
    key = json.dumps([store.key, candidates, forced], ensure_ascii=False)
    name = f"jieba-words-{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"
    for folder in _cache_folders():
        try:
            cached = json.loads((folder / name).read_text(encoding="utf-8"))
            if cached.get("key") == key:
                _mark_used(folder / name)
                return [(word, freq) for word, freq in cached["words"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    tokenizer = _lazy_tokenizer(store, store.total)
    loaded: set[str] = set()
    for word in [*candidates, *forced]:
        _fill(tokenizer, store, word, loaded, {})
    new_words = [w for w in candidates if w in forced or _unknown_word(tokenizer, w)]
    new_words += [w for w in forced if w not in candidates]
    additions = []
    for word in new_words:
        if tokenizer.FREQ.get(word, 0) == 0:
            freq = max(10, tokenizer.suggest_freq(word, tune=False))
            tokenizer.add_word(word, freq=freq)
            additions.append((word, freq))
    for folder in _cache_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"key": key, "words": additions}, out, ensure_ascii=False)
            os.replace(temporary, folder / name)
            _prune(folder, "jieba-words-*.json", WORD_LISTS_KEPT, keep=name)
            break
        except OSError:
            continue  # not writable: the next folder, else computed again next time
    return additions


def _lazy_tokenizer(store: PrefixStore, total: int):
    tokenizer = _import_jieba().Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = {}, total, True
    return tokenizer


def _pairs(text: str) -> set[str]:
    return {text[k : k + 2] for k in range(len(text) - 1)}


def _fill(tokenizer, store: PrefixStore, text: str, loaded: set[str], pending: dict[str, list],
          present: "set[str] | None" = None, pairs: "set[str] | None" = None) -> int:
    """Read the dictionary parts of the pairs of adjacent characters of `text` not read yet (the one-character
    entries first, once), then the added words they start; `present` (if given) gets the pairs that start an
    entry. Returns the most words among the prefixes of one entry read here (see _words_along; 0 when every entry
    is short enough not to matter). `pairs`: _pairs(text), when the caller has it."""
    freq = tokenizer.FREQ
    longest = 0
    if "" not in loaded:  # the one-character entries, marked by the empty string
        freq.update(store.singles())
        # What add_word does for an added word's first character (every added word's first character is known from
        # here on; its frequencies were counted in `total` from the start): 0 unless the dictionary has it.
        for words in pending.values():
            for word, _ in words:
                freq.setdefault(word[0], 0)
        loaded.add("")
    for pair in (_pairs(text) if pairs is None else pairs) - loaded:
        loaded.add(pair)
        part = store.part(pair)
        added = pending.pop(pair, None)
        if not part and added is None:
            continue  # most pairs start no word (the 20 MB dev set: 91,000 pairs read, 106,000 entries)
        if present is not None:
            present.add(pair)
        freq.update(part)
        # …and for the added words that start with this pair: the word itself, and its longer prefixes as 0
        # unless known.
        for word, count in added or ():
            freq[word] = count
            for end in range(2, len(word)):
                freq.setdefault(word[:end], 0)
        longest = max(longest, _words_along(freq, [*part, *(word for word, _ in added or ())]))
    return longest


def _words_along(freq: dict, entries: Iterable[str]) -> int:
    """The most words (entries of nonzero frequency) among the prefixes of one of `entries` longer than
    DAG_ENDS_LIMIT characters: how many words can start at one position of a text (every prefix of an entry
    is an entry). A shorter entry cannot hold more than the limit."""
    most = 0
    for entry in entries:
        if len(entry) > DAG_ENDS_LIMIT:
            most = max(most, sum(1 for end in range(1, len(entry) + 1) if freq.get(entry[:end])))
    return most


# -- jieba's route, compiled ------------------------------------------------------------------------------------
# Segmenting a block is jieba's get_DAG (every dictionary word that starts at each position) and calc (the most
# probable path, right to left), pure Python at about 2.4 µs a character: on the multi-domain dev set (20 MB of
# varied text, few repeated blocks) 2.3 s of an 11.6 s scan. jieba-next (a Rust fork of jieba_fast)
# computes the same two steps in Rust from the same frequency dict (`_get_DAG_and_calc(FREQ, text, route,
# total)`), with jieba's arithmetic in the same order and its choice between equal scores (the later end), so
# the route is jieba's, with one difference: it collects at most DAG_ENDS_LIMIT words starting at one position.
# jieba's dictionary never has more than 7 (一万二千五百余吨), so the compiled route is used only while no entry
# read so far (words a rule pack adds included) has more than the limit; otherwise jieba's own code runs.
# Importing jieba-next's package costs about 60 ms, so a segmenter switches to it after COMPILED_AFTER blocks
# (or at warm_up, which the HTTP service and `--jobs` call): a one-off `qa-lint check` never pays for it.
DAG_ENDS_LIMIT = 12
# What a segmenter keeps, so that memory stops growing with the input: the boundaries of this many blocks (on the
# 20 MB dev set 20,000 instead of 100,000 made 160 more of 49,000 questions miss), and this many pairs of
# characters known to start no dictionary entry.
BLOCKS_KEPT = 20_000
ABSENT_PAIRS_KEPT = 100_000
COMPILED_AFTER = 64
_ENGLISH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba.re_eng
_PROBE = "我们研究中华人民共和国的边界问题abc123和WiFi路由器"  # dictionary words, long and nested, and ASCII runs


def _compiled_route():
    """jieba-next's `_get_DAG_and_calc`, or None where it is not installed or has changed."""
    try:
        module = _jieba_next_extension()
    except Exception:  # noqa: BLE001 - an optional speed-up: a missing or broken wheel means jieba's own code
        return None
    route = getattr(module, "_get_DAG_and_calc", None)
    return route if callable(route) else None


def _jieba_next_extension():
    """jieba-next's compiled module, loaded by itself: importing it as `jieba_next.jieba_next_rust` runs the
    package's __init__ first, whose front end and importlib.metadata cost 38 ms of every scan's start-up for
    nothing this module uses (its one function reads the dictionary it is given). Where the file is not found
    beside the package (another layout), the package is imported as usual."""
    import importlib.machinery
    import importlib.util

    name = "jieba_next.jieba_next_rust"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("jieba_next")  # finds the package without running it
    for folder in (spec.submodule_search_locations or ()) if spec is not None else ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"jieba_next_rust{suffix}"
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader(name, str(path))
                module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
                loader.exec_module(module)
                sys.modules[name] = module  # an extension module is initialised once per process
                return module
    from jieba_next import jieba_next_rust

    return jieba_next_rust


def _cut_ends(tokenizer, block: str) -> frozenset[int]:
    """The ends of the words jieba's own cut(block, HMM=False) yields."""
    found: set[int] = set()
    pos = 0
    for word in tokenizer.cut(block, HMM=False):
        pos += len(word)
        found.add(pos)
    return frozenset(found)


def _route_boundaries(block: str, route: list[int]) -> frozenset[int]:
    """The ends of the words jieba's cut(block, HMM=False) yields, from the route (route[x]: the last character
    of the word starting at x): each word ends at a boundary, except that single ASCII letters and digits in a
    row are yielded as one word (jieba's re_eng buffer)."""
    found = set()
    x, n = 0, len(block)
    single_before = False
    while x < n:
        y = route[x] + 1
        if y <= x:
            raise ValueError(f"a route that goes back at {x}")  # not jieba's: its words end at or after they start
        single = y - x == 1 and block[x] in _ENGLISH
        if x and not (single and single_before):
            found.add(x)
        single_before = single
        x = y
    if n:
        found.add(n)
    return frozenset(found)


class Segmenter:
    """Word boundaries and words of normalised text. Thread-safe; the dictionary loads on first use."""

    def __init__(self, user_words: Iterable[str] = (), token_words: Iterable[str] = ()):
        # `token_words` are words that token patterns name: they are kept whole even if jieba knows parts.
        self._candidates = sorted(
            {w for w in user_words if len(w) > 1 and not _ASCII_ONLY.match(w) and BLOCK.fullmatch(w)}
        )
        self._forced = frozenset(w for w in token_words if len(w) > 1 and not _ASCII_ONLY.match(w))
        self._lock = threading.Lock()
        self._fill_lock = threading.Lock()
        self._tokenizer = None
        self._store: PrefixStore | None = None
        # Pairs of characters whose dictionary part is in the tokenizer ("": the one-character entries).
        self._loaded: set[str] = set()
        self._present: set[str] = set()  # …of which these start an entry (no more than the dictionary has)
        self._pending: dict[str, list[tuple[str, int]]] = {}  # first two characters -> added words not yet filled in
        self._words_along = 0  # the most words starting at one position of any entry read (see DAG_ENDS_LIMIT)
        self._route = None  # jieba-next's compiled route, once switched to (see COMPILED_AFTER)
        self._segmented = 0
        self.block_boundaries = lru_cache(maxsize=BLOCKS_KEPT)(self._block_boundaries)

    # -- loading -------------------------------------------------------------------------------------------
    def _load(self):
        if self._tokenizer is not None:
            return self._tokenizer
        with self._lock:
            if self._tokenizer is None:
                store = prefix_store()
                additions = _word_additions(store, self._candidates, sorted(self._forced))
                for word, freq in additions:
                    self._pending.setdefault(word[:2], []).append((word, freq))
                self._store = store
                self._tokenizer = _lazy_tokenizer(store, store.total + sum(freq for _, freq in additions))
        return self._tokenizer

    def _ready(self, text: str):
        """The tokenizer, with the dictionary parts every pair of adjacent characters of `text` needs."""
        tokenizer = self._tokenizer or self._load()
        pairs = _pairs(text)
        if "" not in self._loaded or not self._loaded.issuperset(pairs):
            with self._fill_lock:
                longest = _fill(tokenizer, self._store, text, self._loaded, self._pending, self._present, pairs)
                self._words_along = max(self._words_along, longest)
                if len(self._loaded) - len(self._present) > ABSENT_PAIRS_KEPT:
                    # Pairs that start no entry are only remembered so as not to be looked up again: a bounded
                    # number, or a long scan of varied text would keep every pair of characters it ever met.
                    self._loaded = self._present | {""}
        return tokenizer

    def warm_up(self) -> None:
        self._load()
        self._use_compiled()

    def _use_compiled(self) -> None:
        if self._route is None:
            route_of = _compiled_route()
            # A release that changed what the function takes or gives must not fail a scan or move a boundary: it
            # is asked once to cut a sentence of words jieba knows, and used only if it cuts it as jieba does.
            self._route = route_of if route_of is not None and self._agrees(route_of) else False  # False: not used

    def _agrees(self, route_of) -> bool:
        tokenizer = self._ready(_PROBE)
        try:
            route: list[int] = []
            route_of(tokenizer.FREQ, _PROBE, route, float(tokenizer.total))
            compiled = _route_boundaries(_PROBE, route)
        except Exception:  # noqa: BLE001 - any failure of the optional speed-up means jieba's own code
            return False
        return compiled == _cut_ends(tokenizer, _PROBE)

    def frequency(self, word: str) -> int:
        """How often jieba's dictionary counts `word` (0: no word it knows): everyday words run to thousands (原因,
        密码), a trade's own words to a handful."""
        return self._ready(word).FREQ.get(word, 0)

    # -- boundaries ------------------------------------------------------------------------------------------
    def _block_boundaries(self, block: str) -> frozenset[int]:
        """The ends of jieba's words in `block`, one whole run of its block characters (BLOCK)."""
        tokenizer = self._ready(block)
        route_of = self._route
        if route_of is None:
            self._segmented += 1
            if self._segmented >= COMPILED_AFTER:
                self._use_compiled()
                route_of = self._route
        if route_of and self._words_along <= DAG_ENDS_LIMIT:
            route: list[int] = []
            try:
                route_of(tokenizer.FREQ, block, route, float(tokenizer.total))
                return _route_boundaries(block, route)
            except Exception:  # noqa: BLE001 - the optional speed-up failing on one block: jieba's own code cuts it
                pass
        return _cut_ends(tokenizer, block)

    def boundaries(self, text: str, breaks: frozenset[int] = frozenset()) -> "WordBoundaries":
        """Word boundaries of `text`; `breaks` are positions the writer broke themselves (a space the normaliser
        dropped between Chinese characters), boundaries whatever the segmenter makes of the characters around."""
        return WordBoundaries(self, text, breaks)

    def full_boundaries(self, text: str, breaks: frozenset[int] = frozenset()) -> "FullBoundaries":
        """The plain way: the whole text segmented at once, no cache (the reference the fast path must equal)."""
        return FullBoundaries(len(text), frozenset(breaks) | _cut_ends(self._ready(text), text))

    # -- words (for token patterns) --------------------------------------------------------------------------
    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Words of `text` with their offsets, as jieba's cut(text, HMM=False) yields them; no whitespace.

        jieba cuts each run of block characters (BLOCK) and yields every other character alone; the runs are cut
        here by `block_boundaries`, as word boundaries are: the compiled route once switched to, and each block
        remembered. jieba's own Python cut took 0.3 s of a 20 MB scan for the customer words jargon's audience
        model once read (its features are pieces now, audience.py); `reference_words` is that cut, which tests hold
        this one to."""
        out: list[tuple[str, int, int]] = []
        pos = 0
        for m in BLOCK.finditer(text):
            start, end = m.span()
            _single_characters(text, pos, start, out)
            cut = start
            for bound in sorted(self.block_boundaries(m.group())):
                if 0 < bound < end - start:
                    out.append((text[cut:start + bound], cut, start + bound))
                    cut = start + bound
            out.append((text[cut:end], cut, end))
            pos = end
        _single_characters(text, pos, len(text), out)
        return out

    def reference_words(self, text: str) -> list[tuple[str, int, int]]:
        """`words` by jieba's own cut of the whole text (the plain way)."""
        out = []
        pos = 0
        for word in self._ready(text).cut(text, HMM=False):
            if not word.isspace():
                out.append((word, pos, pos + len(word)))
            pos += len(word)
        return out


def _single_characters(text: str, start: int, end: int, out: list) -> None:
    """The characters of text[start:end] (outside any block) as words of their own, whitespace left out: what
    jieba yields there (a \r\n together, which is whitespace too)."""
    for pos in range(start, end):
        if not text[pos].isspace():
            out.append((text[pos], pos, pos + 1))


def _unknown_word(tokenizer, word: str) -> bool:
    """True when jieba's dictionary can only cut `word` into single characters: a word it does not know."""
    return all(len(piece) == 1 for piece in tokenizer.cut(word, HMM=False))


class WordBoundaries:
    """Answers "is this span made of whole words?" for one text, segmenting only the blocks asked about."""

    __slots__ = ("_seg", "_text", "_last", "_breaks")

    def __init__(self, segmenter: Segmenter, text: str, breaks: frozenset[int] = frozenset()):
        self._seg = segmenter
        self._text = text
        self._breaks = breaks
        # The block asked about last and its boundaries: a hit's start and end usually lie in the same one.
        self._last = (0, 0, frozenset())

    def is_boundary(self, pos: int) -> bool:
        text = self._text
        if pos <= 0 or pos >= len(text) or pos in self._breaks:
            return True
        start, end, bounds = self._last
        if not start < pos < end:
            if not (_IN_BLOCK.match(text, pos - 1) and _IN_BLOCK.match(text, pos)):
                return True  # not strictly inside a block: every character there is its own token
            # The block (a maximal run of BLOCK characters) around pos, found by looking only around it, so a
            # question about one candidate does not scan a long message.
            start = _BLOCK_BEFORE.match(text, 0, pos).start()
            end = _BLOCK_END.search(text, pos).start()
            bounds = self._seg.block_boundaries(text[start:end])
            self._last = (start, end, bounds)
        return (pos - start) in bounds

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
