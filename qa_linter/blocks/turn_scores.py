"""A sequence rule's learned trigger (turns.py) for a whole block at once: which turns the model may weigh at
its threshold or more, with numpy, from the block's folded code points.

The pieces are text.pieces.features()'s, found in the same folded text (the block's folded text is what normalize()
gives each message). Only a filter: the rule's `hit` works out each turn it lets through exactly, in Python.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..text.pieces import BEFORE, WHITESPACE
from .sets import distinct

# The score numpy may fall short of the exact one by (a sum of a few hundred weights of four decimals each).
MARGIN = 1e-6
# A piece's numeric key: its code points plus one, 21 bits each (a one-character piece < 2**21 <= a two-character
# one < 2**42 <= a three-character one, and no key is 0); the message before the turn's pieces have the top bit set.
_BITS = 21
_BEFORE_KEY = 1 << 63
# Between two turns in the block's joined turn texts: no code point is this large.
_BREAK = 0x110000
_WHITESPACE_BELOW = 0x3001  # every character WHITESPACE matches is below U+3001


def _key(piece: str) -> int:
    key = 0
    for ch in piece:
        key = (key << _BITS) | (ord(ch) + 1)
    return key


class _Keyed(NamedTuple):
    """A model's weights for numpy: one character of the Basic Multilingual Plane by its code point in a table
    (a third of all pieces), every other piece by its numeric key in an open-addressing hash table (a few gathers
    per look-up: a search through a sorted array took three times as long). A piece's place is its position in
    `weights`: the hash table's slots first, then the code points'."""

    slots: np.ndarray  # uint64 keys by slot, _EMPTY where none
    weights: np.ndarray  # the slots' weights, then 65,536 weights by code point (0: not weighed)
    positive: np.ndarray  # the same, negative weights as 0 (the bound's)
    probes: int  # the longest run of slots a key is looked for in


_PLANE = 0x10000
_EMPTY = np.uint64(0)  # no key is 0
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


def _slot(keys: np.ndarray, bits: int) -> np.ndarray:
    return ((keys * _MULTIPLIER) >> np.uint64(64 - bits)).astype(np.int64)


def keyed(weights: dict) -> _Keyed:
    keys, values = [], []
    table = np.zeros(_PLANE)
    for piece, weight in weights.items():
        before = piece.startswith(BEFORE)
        body = piece[len(BEFORE):] if before else piece
        if not 1 <= len(body) <= 3 or (before and len(body) != 2):
            continue  # not a piece features() makes: never found
        if len(body) == 1 and not before and ord(body) < _PLANE:
            table[ord(body)] = weight
            continue
        keys.append(_key(body) | (1 << 63 if before else 0))
        values.append(weight)
    # An eighth full at most: a piece the model does not weigh (most of them) meets an empty slot at once, and the
    # longest run of slots a look-up walks is 4, not 9 as half full (the dev set: this filter 0.74 -> 0.56 s).
    bits = max(4, (8 * len(keys)).bit_length())
    size = 1 << bits
    slots = np.zeros(size, dtype=np.uint64)
    slot_weights = np.zeros(size)
    probes = 1
    with np.errstate(over="ignore"):
        home = _slot(np.array(keys, dtype=np.uint64), bits).tolist()
    for key, weight, at in zip(keys, values, home):
        run = 1
        while slots[at] != _EMPTY:
            at = (at + 1) & (size - 1)
            run += 1
        slots[at], slot_weights[at] = key, weight
        probes = max(probes, run)
    weights = np.concatenate((slot_weights, table))
    return _Keyed(slots, weights, np.maximum(weights, 0.0), probes)


_SPACE_TABLE = None


def _is_space(cps: np.ndarray) -> np.ndarray:
    """Which code points WHITESPACE matches."""
    global _SPACE_TABLE
    if _SPACE_TABLE is None:
        # One search over every character below the bound, not a match per character (12,289 of them: 5 ms of
        # every scan's start).
        table = np.zeros(_WHITESPACE_BELOW, dtype=bool)
        for run in WHITESPACE.finditer("".join(map(chr, range(_WHITESPACE_BELOW)))):
            table[run.start():run.end()] = True
        _SPACE_TABLE = table
    below = cps < _WHITESPACE_BELOW
    found = np.zeros(len(cps), dtype=bool)
    found[below] = _SPACE_TABLE[cps[below]]
    return found


def _lookup(keys: np.ndarray, keyed: _Keyed) -> "tuple[np.ndarray, np.ndarray]":
    """Which of `keys` the model weighs (a mask), and for those, their places in `keyed.weights`."""
    slots = keyed.slots
    place = np.zeros(len(keys), dtype=np.int64)
    plane = keys <= _PLANE  # one character of the Basic Multilingual Plane: its code point plus one
    place[plane] = len(slots) + keys[plane].astype(np.int64) - 1
    rest = np.flatnonzero(~plane)
    if len(rest):
        wanted = keys[rest]
        with np.errstate(over="ignore"):
            at = _slot(wanted, len(slots).bit_length() - 1)
        for _ in range(keyed.probes):
            seen = slots[at]
            hit = seen == wanted
            place[rest[hit]] = at[hit]
            plane[rest[hit]] = True
            going = ~hit & (seen != _EMPTY)  # neither found nor an empty slot: the next one
            if not going.any():
                break
            rest, wanted, at = rest[going], wanted[going], (at[going] + 1) & (len(slots) - 1)
    found = plane & (keyed.weights[place] != 0)
    return found, place[found]


def _distinct_sums(owner: np.ndarray, place: np.ndarray, weights: np.ndarray, owners: int) -> np.ndarray:
    """Per owner (a turn), the sum of the weights of the distinct places (pieces) it holds."""
    if not len(owner):
        return np.zeros(owners)
    pairs = distinct(owner * len(weights) + place)  # each piece once per owner
    return np.bincount(pairs // len(weights), weights=weights[pairs % len(weights)], minlength=owners)


def _gather(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray, joiners: np.ndarray) -> np.ndarray:
    """The texts cps[starts[i]:ends[i]] one after another, each followed by joiners[i]."""
    lengths = ends - starts
    out = np.empty(int(lengths.sum()) + len(starts), dtype=np.int32)
    slots = np.cumsum(lengths + 1) - 1  # where each text's joiner goes
    out[slots] = joiners
    text_slots = np.ones(len(out), dtype=bool)
    text_slots[slots] = False
    destination = np.flatnonzero(text_slots)
    out[destination] = cps[destination + np.repeat(starts - (slots - lengths), lengths)]
    return out


def _pieces(text: np.ndarray, owner_of_position: np.ndarray, sizes, outside: np.ndarray, bad_start: np.ndarray,
            bad_end: np.ndarray) -> "tuple[np.ndarray, np.ndarray]":
    """The numeric keys of the pieces of `sizes` characters of `text` (code points) and the owner of each: the
    pieces with no position in `outside` (the breaks between owners), that do not start where `bad_start` is set
    and do not end where `bad_end` is."""
    keys, owners = [], []
    for size in sizes:
        m = len(text) - size + 1
        if m <= 0:
            break
        key = np.zeros(m, dtype=np.uint64)
        valid = ~bad_start[:m] & ~bad_end[size - 1:size - 1 + m]
        for k in range(size):
            valid &= ~outside[k:k + m]
            key = (key << np.uint64(_BITS)) | (text[k:k + m].astype(np.uint64) + np.uint64(1))
        at = np.flatnonzero(valid)
        keys.append(key[at])
        owners.append(owner_of_position[at])
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keys), np.concatenate(owners)


def block_scores(index, role: str, weighed: _Keyed, bias: float, floor: float) -> np.ndarray:
    """Per message of the block: for a message of `role` that ends a turn the model may weigh at `floor` (the
    threshold's log-odds) or more, the turn's score (log-odds, up to numpy's rounding); -inf elsewhere.

    The pieces are features()'s, found in the same folded text (the block's folded text is what normalize() gives
    each message). A bound first: every occurrence of a piece with a positive weight added, negative ones
    left out — never below the exact score, and no piece is looked for twice per turn. Only the turns it lets
    through (1 in 13 of the benchmark corpus) are scored exactly, each piece once."""
    folded = index.folded
    n = index.message_count
    scores = np.full(n, -np.inf)
    ends_turn = index.turn_ends() & index.role(role)
    if not ends_turn.any():
        return scores
    roles, conversation = index.role_codes, index.conversation_of
    starts, stops = np.asarray(folded.starts, dtype=np.int64), np.asarray(folded.ends, dtype=np.int64)
    cps = np.asarray(folded.cps, dtype=np.int32)  # code points (and _BREAK) fit: half the memory of int64
    # A turn starts where the previous message is of another conversation or role; only `role`'s are weighed.
    new_turn = np.ones(n, dtype=bool)
    new_turn[1:] = (conversation[1:] != conversation[:-1]) | (roles[1:] != roles[:-1])
    turn_of = np.cumsum(new_turn) - 1
    turns = int(turn_of[-1]) + 1
    last_of_turn = np.ones(n, dtype=bool)
    last_of_turn[:-1] = new_turn[1:]
    mine = np.flatnonzero(index.role(role))
    # The turns' texts: each message, then a space to the next of its turn, or a break after the turn's last.
    text = _gather(cps, starts[mine], stops[mine], np.where(last_of_turn[mine], _BREAK, ord(" ")))
    space = _is_space(text)
    keep = np.ones(len(text), dtype=bool)
    keep[1:] = ~(space[1:] & space[:-1])  # runs of whitespace as one space, as text.pieces.features does
    text = np.where(space, ord(" "), text)[keep]
    turn_at = distinct(turn_of[mine])[np.cumsum(np.concatenate(([0], text[:-1] == _BREAK)))]
    breaks = text == _BREAK
    keys, owner = _pieces(text, turn_at, (1, 2, 3), breaks, (text == ord(" ")) | (text == ord("#")), text == ord(" "))
    # Two characters, neither of them whitespace, of the message just before each turn of `role`.
    first_rows = np.flatnonzero(new_turn & index.role(role))
    before_rows = first_rows - 1
    answered = before_rows >= 0
    answered[answered] = conversation[before_rows[answered]] == conversation[first_rows[answered]]
    before_rows, before_turns = before_rows[answered], turn_of[first_rows[answered]]
    if len(before_rows):
        text = _gather(cps, starts[before_rows], stops[before_rows], np.full(len(before_rows), _BREAK))
        breaks = text == _BREAK
        turn_at = before_turns[np.cumsum(np.concatenate(([0], breaks[:-1])))]
        nothing = np.zeros(len(text), dtype=bool)
        pairs, pair_owner = _pieces(text, turn_at, (2,), breaks | _is_space(text), nothing, nothing)
        keys = np.concatenate((keys, pairs | np.uint64(_BEFORE_KEY)))
        owner = np.concatenate((owner, pair_owner))
    rows = np.flatnonzero(ends_turn)
    found, place = _lookup(keys, weighed)
    owner = owner[found]
    bound = bias + np.bincount(owner, weights=weighed.positive[place], minlength=turns)
    maybe = bound >= floor - MARGIN
    if not maybe[turn_of[rows]].any():
        return scores
    picked = maybe[owner]
    exact = bias + _distinct_sums(owner[picked], place[picked], weighed.weights, turns)
    rows = rows[maybe[turn_of[rows]]]
    scores[rows] = exact[turn_of[rows]]
    return scores
