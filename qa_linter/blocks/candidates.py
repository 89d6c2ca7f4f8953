"""One multi-pattern pass per block: which term lists have a candidate in which message.

Every term list of the pack (TermIndex: rule terms, lexicon classes, the literals that gate regular
expressions) is looked for in the folded block at once: the keys of two or more characters by one
Aho-Corasick automaton (`ahocorasick_rs`, overlapping matches, over the block's UTF-8 bytes), the
one-character keys (digits, 您, 不 …: half of all hits, and mostly only asked whether they are there) by a
table lookup on the block's code points. Each hit is mapped to its message with `numpy.searchsorted`, and per
message the lists with a candidate are kept as bits, `Presence`.

What a message's candidates are (offsets, terms) is still found by TermIndex.scan on that message's folded
text, only for the messages a rule looks at: the same function the per-message path calls, so rules see the
same candidates in the same order.
"""
from __future__ import annotations

import itertools
import threading

import numpy as np

from ..text.matching import TermIndex
from .fold import SEP, FoldedBlock
from .tables import PLANES

_LOCK = threading.Lock()


class BlockAutomaton:
    """The keys of a TermIndex, split for the block pass; built once per set of lists."""

    def __init__(self, index: TermIndex):
        import ahocorasick_rs

        lists = index.lists()
        owners: dict[str, list[int]] = {}
        for list_id, keys in enumerate(lists):
            for key in keys:
                if key and list_id not in owners.setdefault(key, []):
                    owners[key].append(list_id)
        self.version = len(lists)
        self._lists = lists
        self._list_terms: dict[int, dict[int, tuple[int, ...]]] = {}
        self._list_lookup: dict[int, tuple] = {}
        self.words = max(1, (len(lists) + 63) // 64)  # 64-bit words per message
        keys = list(owners)
        # The lists of each key, flat (a key's lists in a row): most keys belong to one list (`key_list`, -1 for the
        # others), which is all most hits need.
        self.lists_per_key = np.array([len(owners[key]) for key in keys], dtype=np.int64)
        self.first_list_at = np.cumsum(self.lists_per_key) - self.lists_per_key
        self.key_lists = np.array([list_id for key in keys for list_id in owners[key]], dtype=np.int64)
        self.key_list = np.full(len(keys), -1, dtype=np.int64)
        alone = self.lists_per_key == 1
        self.key_list[alone] = self.key_lists[self.first_list_at[alone]]
        # A key holding the separator could match across two messages; no folded term does, but a pack that
        # had one is scanned message by message (usable False).
        self.usable = not any(SEP in key for key in keys)
        self.pairs = _PairTable.of(keys)
        # The keys of two characters go to the pair table when there is one (three quarters of the automaton's
        # matches on the benchmark corpus: reporting them, a Python tuple each, was most of the search's time).
        shortest = 2 if self.pairs is None else 3
        multi = [i for i, key in enumerate(keys) if len(key) >= shortest]
        self.multi_ids = np.array(multi, dtype=np.int64)
        self.multi = (
            # A contiguous NFA: built in about 0.01 s where the DFA took 0.06-0.09 s of every scan's start-up, and
            # searched no slower (the DFA's few MB of tables miss the cache: 0.15 s against 0.17-0.21 s for the 20
            # MB corpus); the matches are the same, in the same order (the library's overlapping search defines them).
            ahocorasick_rs.BytesAhoCorasick([keys[i].encode("utf-8", "surrogatepass") for i in multi],
                                            implementation=ahocorasick_rs.Implementation.ContiguousNFA)
            if multi else None
        )
        single = np.full(PLANES, -1, dtype=np.int32)
        for i, key in enumerate(keys):
            if len(key) == 1:
                single[ord(key)] = i
        self.single = single
        self.has_single = any(len(key) == 1 for key in keys)
        self.key_ids = {key: i for i, key in enumerate(keys)}

    def list_lookup(self, list_id: int) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
        """list_terms as arrays over key ids: how many terms of list `list_id` a key stands for, where they start in
        the flat array of term indexes, and that array (for BlockHits' per-list tables); built on first use."""
        lookup = self._list_lookup.get(list_id)
        if lookup is None:
            count = np.zeros(len(self.key_ids), dtype=np.int64)
            offset = np.zeros(len(self.key_ids), dtype=np.int64)
            flat: list[int] = []
            for key, terms in self.list_terms(list_id).items():
                count[key] = len(terms)
                offset[key] = len(flat)
                flat.extend(terms)
            lookup = self._list_lookup[list_id] = (count, offset, np.array(flat, dtype=np.int64))
        return lookup

    def list_terms(self, list_id: int) -> dict[int, tuple[int, ...]]:
        """key id -> the term indexes it stands for in list `list_id` (ascending), built on first use."""
        table = self._list_terms.get(list_id)
        if table is None:
            found: dict[int, list[int]] = {}
            for term, key in enumerate(self._lists[list_id]):
                if key:
                    found.setdefault(self.key_ids[key], []).append(term)
            table = self._list_terms[list_id] = {key: tuple(terms) for key, terms in found.items()}
        return table


def automaton_for(index: TermIndex) -> BlockAutomaton:
    cached = getattr(index, "_block_automaton", None)
    if cached is None or cached.version != len(index.lists()):
        with _LOCK:
            cached = getattr(index, "_block_automaton", None)
            if cached is None or cached.version != len(index.lists()):
                cached = BlockAutomaton(index)
                index._block_automaton = cached
    return cached


def presence(automaton: BlockAutomaton, folded: FoldedBlock) -> "tuple[np.ndarray, BlockHits]":
    """(messages × words) uint64: bit l of a message's row is set when term list l has a candidate in it; and
    the hits themselves, for the messages whose candidates a rule reads."""
    n = len(folded.starts)
    found_msgs, found_keys = [], []
    hits = BlockHits(automaton, folded)
    keys, starts, ends = _multi_matches(automaton, folded)
    if len(keys):
        msgs = np.searchsorted(folded.starts, starts, side="right") - 1
        inside = ends <= folded.ends[msgs]
        msgs, keys = msgs[inside], keys[inside]
        found_msgs.append(msgs)
        found_keys.append(keys)
        base = folded.starts[msgs]
        hits.multi = (msgs, keys, starts[inside] - base, ends[inside] - base)
    if automaton.has_single:
        keys = automaton.single[folded.cps]
        at = np.flatnonzero(keys >= 0)
        msgs = np.searchsorted(folded.starts, at, side="right") - 1
        keys = keys[at].astype(np.int64)
        found_msgs.append(msgs)
        found_keys.append(keys)
        hits.single = (msgs, keys, at - folded.starts[msgs])
    # A (message, list) cell per hit and list of its key, set in a table of booleans (a cell set twice is still
    # set: no reduction needed), then packed into 64-bit words. A reduction of each message's keys' bits (words
    # per hit gathered and or-ed) cost twice as much: the block has about 40,000 hits, digits and 您 among them.
    lists = np.zeros((n, automaton.words * 64), dtype=bool)
    for msgs, keys in zip(found_msgs, found_keys):
        cells_msgs, cells_lists = _cells(automaton, msgs, keys)
        lists[cells_msgs, cells_lists] = True
    rows = np.packbits(lists, axis=1, bitorder="little").view("<u8")
    return rows, hits


def _multi_matches(automaton: BlockAutomaton, folded: FoldedBlock) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """(key ids, start, end) of every match of a key of two or more characters in the folded block, in
    character offsets, in the order of the automaton's overlapping search over all of them: by end offset, and
    at one end the longer key first."""
    found = []
    if automaton.pairs is not None:
        found.append(automaton.pairs.matches(folded.cps))
    if automaton.multi is not None:
        data = folded.text.encode("utf-8", "surrogatepass")
        matches = automaton.multi.find_matches_as_indexes(data, overlapping=True)
        if matches:
            flat = np.fromiter(itertools.chain.from_iterable(matches), dtype=np.int64, count=3 * len(matches))
            flat = flat.reshape(-1, 3)
            # Byte offsets to character offsets: count the bytes that start a character.
            leading = (np.frombuffer(data, dtype=np.uint8) & 0xC0) != 0x80
            char_of_byte = np.cumsum(leading, dtype=np.int64) - 1
            found.append((automaton.multi_ids[flat[:, 0]], char_of_byte[flat[:, 1]], char_of_byte[flat[:, 2] - 1] + 1))
    if not found:
        return _EMPTY, _EMPTY, _EMPTY
    if len(found) == 1:
        return found[0]
    keys, starts, ends = (np.concatenate(part) for part in zip(*found))
    # Two matches with the same start and end are the same key, so (end, start) orders them all.
    order = np.lexsort((starts, ends))
    return keys[order], starts[order], ends[order]


_EMPTY = np.zeros(0, dtype=np.int64)


class _PairTable:
    """The keys of two characters, found by table lookups over the block's code points: each character's rank
    among the keys' first (second) characters, and a table over pairs of ranks giving the key id."""

    # Larger sets of pairs stay in the automaton (the table would take more memory than it is worth).
    MAX_CELLS = 1 << 22

    def __init__(self, pairs: "list[tuple[int, str]]"):
        firsts = sorted({key[0] for _, key in pairs})
        seconds = sorted({key[1] for _, key in pairs})
        self.first_rank = _ranks(firsts)
        self.second_rank = _ranks(seconds)
        self.width = len(seconds)
        table = np.full(len(firsts) * len(seconds), -1, dtype=np.int32)  # key ids: half the memory of int64
        first = {ch: rank for rank, ch in enumerate(firsts)}
        second = {ch: rank for rank, ch in enumerate(seconds)}
        for key_id, key in pairs:
            table[first[key[0]] * self.width + second[key[1]]] = key_id
        self.table = table

    @classmethod
    def of(cls, keys: list[str]) -> "_PairTable | None":
        pairs = [(i, key) for i, key in enumerate(keys) if len(key) == 2]
        firsts = len({key[0] for _, key in pairs})
        seconds = len({key[1] for _, key in pairs})
        if not pairs or firsts * seconds > cls.MAX_CELLS or max(firsts, seconds) >= 1 << 15:
            return None
        return cls(pairs)

    def matches(self, cps: np.ndarray) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
        """(key ids, starts, ends) of the pairs in `cps`, by position."""
        first = self.first_rank[cps[:-1]]
        second = self.second_rank[cps[1:]]
        at = np.flatnonzero((first >= 0) & (second >= 0))
        keys = self.table[first[at].astype(np.int64) * self.width + second[at]]
        found = keys >= 0
        starts = at[found]
        return keys[found].astype(np.int64), starts, starts + 2


def _ranks(characters: list[str]) -> np.ndarray:
    """A table over code points: each of `characters`' position in it, -1 for any other character."""
    ranks = np.full(PLANES, -1, dtype=np.int16)
    ranks[np.fromiter(map(ord, characters), dtype=np.int64, count=len(characters))] = np.arange(len(characters))
    return ranks


def _cells(automaton: BlockAutomaton, msgs: np.ndarray, keys: np.ndarray) -> "tuple[np.ndarray, np.ndarray]":
    """(message, list) of every hit's key's lists: the hits of a key of one list as they are, the others once per
    list of their key."""
    single = automaton.key_list[keys]
    simple = single >= 0
    if simple.all():
        return msgs, single
    rest = np.flatnonzero(~simple)
    keys = keys[rest]
    per_key = automaton.lists_per_key[keys]
    # The k-th list of a hit's key: where its key's lists start plus k.
    within = np.arange(per_key.sum()) - np.repeat(np.cumsum(per_key) - per_key, per_key)
    lists = automaton.key_lists[np.repeat(automaton.first_list_at[keys], per_key) + within]
    return (np.concatenate((msgs[simple], np.repeat(msgs[rest], per_key))),
            np.concatenate((single[simple], lists)))


class BlockHits:
    """The pass's hits, for reading one message's candidates of one list: what TermIndex.scan(text)[list_id]
    gives for that message's folded text, in the same order (by end offset, a longer key first, then by term)."""

    _NONE = (np.zeros(0, dtype=np.int64),) * 4

    def __init__(self, automaton: BlockAutomaton, folded: FoldedBlock):
        self.automaton = automaton
        self.count = len(folded.starts)
        self.multi = self._NONE
        self.single = self._NONE[:3]
        self._bounds = None
        self._asks: dict[int, int] = {}
        self._tables: dict[int, ListTable] = {}

    def table(self, list_id: int) -> "ListTable | None":
        """The candidates of list `list_id` for every message of the block at once, once the list has been asked
        about often enough in this block to pay for it (TABLE_AFTER asks; a few lists, the jargon terms above
        all, are asked about for hundreds of messages per block); None before that."""
        table = self._tables.get(list_id)
        if table is None:
            asks = self._asks[list_id] = self._asks.get(list_id, 0) + 1
            if asks < TABLE_AFTER:
                return None
            table = self._tables[list_id] = ListTable(self, list_id)
        return table

    def _ranges(self):
        if self._bounds is None:
            every = np.arange(self.count + 1)
            self._bounds = (np.searchsorted(self.multi[0], every).tolist(), np.searchsorted(self.single[0], every).tolist())
        return self._bounds

    def of_message(self, row: int) -> tuple[list, list, list, list, list]:
        """(multi keys, starts, ends; single keys, positions) of message `row`, in message offsets."""
        multi_bounds, single_bounds = self._ranges()
        lo, hi = multi_bounds[row], multi_bounds[row + 1]
        _, keys, starts, ends = self.multi
        slo, shi = single_bounds[row], single_bounds[row + 1]
        return (keys[lo:hi].tolist(), starts[lo:hi].tolist(), ends[lo:hi].tolist(),
                self.single[1][slo:shi].tolist(), self.single[2][slo:shi].tolist())

    def candidates(self, hits, list_id: int) -> list[tuple[int, int, int]]:
        """[(nstart, nend, term index)] of list `list_id` among `hits` (one message's, from of_message)."""
        terms = self.automaton.list_terms(list_id)
        keys, starts, ends, single_keys, positions = hits
        found = []
        for key, start, end in zip(keys, starts, ends):
            owned = terms.get(key)
            if owned is not None:
                found.extend((start, end, term) for term in owned)
        for key, pos in zip(single_keys, positions):
            owned = terms.get(key)
            if owned is not None:
                found.extend((pos, pos + 1, term) for term in owned)
        found.sort(key=_scan_order)
        return found


# Asks about one list in one block before its candidates are read for the whole block at once. A table costs about
# as much as 35 messages read one by one; on the benchmark corpus (20 MB) 48 makes 91 tables (0.03 s) that answer
# 11,400 asks, where 24 made 234 (0.07 s), most of them for lists asked about a few times more.
TABLE_AFTER = 48


class ListTable:
    """One list's candidates in every message of a block, in BlockHits.candidates' order, made with numpy over the
    block's hits: `at(row)` is BlockHits.candidates(BlockHits.of_message(row), list_id)."""

    __slots__ = ("_bounds", "_starts", "_ends", "_terms")

    def __init__(self, hits: BlockHits, list_id: int):
        count, offset, flat = hits.automaton.list_lookup(list_id)
        parts = [_expand(count, offset, flat, msgs, keys, starts, ends) for msgs, keys, starts, ends in
                 (hits.multi, (*hits.single, hits.single[2] + 1))]
        msgs, starts, ends, terms = (np.concatenate([part[i] for part in parts]) for i in range(4))
        # By message, then as _scan_order sorts a message's candidates: end, start, term.
        order = np.lexsort((terms, starts, ends, msgs))
        msgs, starts, ends, terms = msgs[order], starts[order], ends[order], terms[order]
        self._bounds = np.searchsorted(msgs, np.arange(hits.count + 1)).tolist()
        self._starts, self._ends, self._terms = starts.tolist(), ends.tolist(), terms.tolist()

    def at(self, row: int) -> list[tuple[int, int, int]]:
        lo, hi = self._bounds[row], self._bounds[row + 1]
        return list(zip(self._starts[lo:hi], self._ends[lo:hi], self._terms[lo:hi]))


def _expand(count, offset, flat, msgs, keys, starts, ends):
    """The hits whose key stands for terms of the list, one row per (hit, term), the terms of a key in list order."""
    per_hit = count[keys]
    at = np.flatnonzero(per_hit)
    per_hit = per_hit[at]
    rows = np.repeat(at, per_hit)
    # The k-th term of a hit's key: its key's offset in `flat` plus k.
    within = np.arange(len(rows)) - np.repeat(np.cumsum(per_hit) - per_hit, per_hit)
    terms = flat[offset[keys[rows]] + within]
    return msgs[rows], starts[rows], ends[rows], terms


def _scan_order(hit: tuple[int, int, int]) -> tuple[int, int, int]:
    # pyahocorasick reports by end offset, and at one end the longest key first; a key's terms in list order.
    return hit[1], hit[0], hit[2]
