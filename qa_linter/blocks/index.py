"""What a rule sees of a block when it decides where it must run: numpy masks over the block's messages and
conversations.

A rule type answers `Rule.block_targets(index)`: the conversations of the block on which running it could
report something (checks/base.py and each type). It builds the answer from the questions below: which
messages have a candidate of a term list, meet a Requirement, hold enough digits, are in a scope, hold an emoji
character; and which conversations have such a message. Every answer may be too wide (the rule then runs and
finds nothing) but never too narrow: a conversation left out is one where the rule's own check would report
nothing, for the reasons the per-message path skips work (TextMatcher.find, Requirement, PatternMatcher's
gates).
"""
from __future__ import annotations

import numpy as np

from ..vocabulary import ROLES
from .fold import FoldedBlock
from .records import Block

_ROLE_CODE = {role: code for code, role in enumerate(ROLES)}
_SYSTEM = _ROLE_CODE["system"]


class BlockIndex:
    def __init__(self, block: Block, folded: FoldedBlock, rows: np.ndarray):
        self.block = block
        self.folded = folded
        self.rows = rows  # (messages × words) presence bits, see candidates.presence
        self.message_count = len(folded.starts)
        self.conversation_count = len(block)
        self.role_codes = np.array(block.roles, dtype=np.int8)
        self.first = np.array(block.first, dtype=np.int64)
        self.counts = np.array(block.counts, dtype=np.int64)
        self.conversation_of = np.repeat(np.arange(self.conversation_count), self.counts)
        self._cache: dict = {}
        self._columns = None

    # -- messages --------------------------------------------------------------------------------------------
    def none(self) -> np.ndarray:
        return np.zeros(self.message_count, dtype=bool)

    def every(self) -> np.ndarray:
        return np.ones(self.message_count, dtype=bool)

    def has(self, list_id: int) -> np.ndarray:
        """Messages with a candidate of term list `list_id`."""
        key = ("has", list_id)
        found = self._cache.get(key)
        if found is None:
            bit = np.uint64(1 << (list_id & 63))
            found = self._cache[key] = (self._word(list_id >> 6) & bit) != 0
        return found

    def any_of(self, list_ids) -> np.ndarray:
        """Messages with a candidate of any of the term lists `list_ids` (one test per 64 lists)."""
        mask = self.none()
        for word, wanted in _bits_by_word(list_ids).items():
            mask |= (self._word(word) & np.uint64(wanted)) != 0
        return mask

    def has_all(self, list_ids) -> np.ndarray:
        """Messages with a candidate of every one of the term lists `list_ids` (one test per 64 lists)."""
        mask = self.every()
        for word, wanted in _bits_by_word(list_ids).items():
            wanted = np.uint64(wanted)
            mask &= (self._word(word) & wanted) == wanted
        return mask

    def _word(self, word: int) -> np.ndarray:
        """The presence bits of lists 64 * word … 64 * word + 63 of every message, contiguous (a column of `rows`
        is strided: every question about a list read it again with a stride of all the words)."""
        columns = self._columns
        if columns is None:
            columns = self._columns = np.ascontiguousarray(self.rows.T)
        return columns[word]

    def requirement(self, requirement) -> np.ndarray:
        """Messages whose candidates meet `requirement` (a matching.Requirement; None: every message)."""
        if requirement is None:
            return self.every()
        mask = self.none()
        for alternative in requirement.alternatives:
            mask |= self.has_all(alternative)
        return mask

    def digits_at_least(self, count: int) -> np.ndarray:
        """Messages that may hold `count` decimal digits (those the tables could not count are included)."""
        digits = self.folded.digits
        return (digits >= count) | (digits < 0)

    def numbers_at_least(self, count: int) -> np.ndarray:
        """Messages that may hold `count` number characters, digits and Chinese numerals (those the tables could
        not count are included)."""
        numbers = self.folded.numbers
        return (numbers >= count) | (numbers < 0)

    def role(self, role: str | None) -> np.ndarray:
        """Messages of `role` ("any" or None: every role but system)."""
        key = ("role", role)
        found = self._cache.get(key)
        if found is None:
            if role in (None, "any"):
                found = self.role_codes != _SYSTEM
            else:
                found = self.role_codes == _ROLE_CODE[role]
            self._cache[key] = found
        return found

    def turn_ends(self) -> np.ndarray:
        """Messages followed in their conversation by a message of another role (turns.ends_turn)."""
        found = self._cache.get("turn_ends")
        if found is None:
            found = np.zeros(self.message_count, dtype=bool)
            same_conversation = self.conversation_of[1:] == self.conversation_of[:-1]
            found[:-1] = same_conversation & (self.role_codes[1:] != self.role_codes[:-1])
            self._cache["turn_ends"] = found
        return found

    def scope(self, scope) -> np.ndarray:
        """The messages `scope.select` picks (checks.base.Scope: a role, all / first N / last N of it)."""
        key = ("scope", scope.role, scope.which, scope.count)
        found = self._cache.get(key)
        if found is None:
            of_role = self.role(scope.role)
            if scope.which == "all":
                found = of_role
            else:
                # The rank of each message among its conversation's messages of the role, and their number.
                before = np.zeros(self.message_count + 1, dtype=np.int64)
                np.cumsum(of_role, out=before[1:])
                start = before[self.first][self.conversation_of]
                rank = before[:-1] - start
                total = (before[self.first + self.counts] - before[self.first])[self.conversation_of]
                if scope.which == "first":
                    found = of_role & (rank < scope.count)
                else:
                    found = of_role & (rank >= total - scope.count)
            self._cache[key] = found
        return found

    def emoji_candidates(self, characters: frozenset[str]) -> np.ndarray:
        """Messages of the original text holding one of `characters`."""
        key = ("emoji", id(characters))
        found = self._cache.get(key)
        if found is None:
            table = np.zeros(0x110000, dtype=bool)
            table[np.fromiter(map(ord, characters), dtype=np.int64, count=len(characters))] = True
            raw = self.folded.raw
            at = np.flatnonzero(table[raw])
            found = self.none()
            found[np.searchsorted(self.folded.raw_starts, at, side="right") - 1] = True
            self._cache[key] = found
        return found

    def capitals_at_least(self, count: int) -> np.ndarray:
        """Messages whose original text holds `count` capital Latin letters in a row (ASCII or full-width)."""
        key = ("capitals", count)
        found = self._cache.get(key)
        if found is None:
            raw = self.folded.raw
            capital = ((raw >= 0x41) & (raw <= 0x5A)) | ((raw >= 0xFF21) & (raw <= 0xFF3A))
            run = capital.copy()
            for shift in range(1, count):
                run[:-shift] &= capital[shift:]
                run[-shift:] = False
            found = self.none()
            at = np.flatnonzero(run)
            found[np.searchsorted(self.folded.raw_starts, at, side="right") - 1] = True
            self._cache[key] = found
        return found

    def capital_words(self, low: int, high: int, except_words: frozenset) -> np.ndarray:
        """Messages whose original text holds a whole run of `low` to `high` capital Latin letters (ASCII or
        full-width: a run with no such letter right before or after it) whose lower-case ASCII form is not one of
        `except_words`.

        What jargon's abbreviations need (checks.jargon.Acronyms.abbreviations): an abbreviation is a Latin word
        of the folded text, standing alone, typed in capitals, `low`-`high` letters long and not an everyday one.
        Its original characters are such a run: each capital folds to one lower-case letter (A and Ａ to a), and a
        capital right next to it would fold to a letter next to the word, which then would not stand alone. So a
        message without such a run holds no abbreviation. (`capitals_at_least(low)`, which jargon asked before, also
        opened every message with an everyday abbreviation, a longer run or an order number: on the benchmark
        corpus 13,387 agent messages were searched for abbreviations and 110 held one; now 9,146, 6,869 of them
        opened by a term anyway.)"""
        key = ("capital words", low, high, except_words)
        found = self._cache.get(key)
        if found is None:
            raw = self.folded.raw
            # Only the capitals' positions are arrays as long as the block's text (uint32: below A wraps round).
            at = np.flatnonzero(((raw - 0x41) < 26) | ((raw - 0xFF21) < 26))
            found = self.none()
            if len(at):
                first = np.flatnonzero(np.diff(at, prepend=-2) != 1)  # where each run starts among the capitals
                lengths = np.diff(first, append=len(at))
                starts = at[first]
                ends = starts + lengths
                # A lower-case letter or a digit right before or after the run folds to one next to the word, which
                # then does not stand alone (SKU12, eSIM, GD2024…: order numbers hold most runs of capitals).
                alone = (starts == 0) | ~_lower_or_digit(raw[np.maximum(starts - 1, 0)])
                alone &= (ends == len(raw)) | ~_lower_or_digit(raw[np.minimum(ends, len(raw) - 1)])
                fit = np.flatnonzero((lengths >= low) & (lengths <= high) & alone)
                if len(fit):
                    # Lower-case ASCII of every capital: A-Z + 32, Ａ-Ｚ less the distance from Ａ to a.
                    capitals = raw[at]
                    text = np.where(capitals < 0x80, capitals + 32, capitals - (0xFF21 - 0x61)).astype(np.uint8)
                    text = text.tobytes().decode("ascii")
                    keep = [text[a:a + n] not in except_words for a, n in zip(first[fit].tolist(), lengths[fit].tolist())]
                    runs = starts[fit][np.array(keep, dtype=bool)]
                    found[np.searchsorted(self.folded.raw_starts, runs, side="right") - 1] = True
            self._cache[key] = found
        return found

    # -- conversations ---------------------------------------------------------------------------------------
    def per_conversation(self, mask: np.ndarray) -> np.ndarray:
        """Conversations with at least one message in `mask`."""
        before = np.zeros(self.message_count + 1, dtype=np.int64)
        np.cumsum(mask, out=before[1:])
        return before[self.first + self.counts] > before[self.first]

    def messages_of(self, conversations: np.ndarray) -> np.ndarray:
        """Every message of the conversations in `conversations` (a mask over them)."""
        return conversations[self.conversation_of]

    def count_per_conversation(self, mask: np.ndarray) -> np.ndarray:
        before = np.zeros(self.message_count + 1, dtype=np.int64)
        np.cumsum(mask, out=before[1:])
        return before[self.first + self.counts] - before[self.first]

    def conversations(self, numbers) -> np.ndarray:
        """A mask of the conversations numbered in `numbers`."""
        mask = np.zeros(self.conversation_count, dtype=bool)
        mask[list(numbers)] = True
        return mask

    def channel(self, channels) -> np.ndarray:
        """Conversations of one of `channels` (None: every conversation)."""
        if channels is None:
            return np.ones(self.conversation_count, dtype=bool)
        wanted = set(channels)
        return np.fromiter((c in wanted for c in self.block.channels), dtype=bool, count=self.conversation_count)

    def replies(self, measure_from: str):
        """Every agent reply (checks.timing.TimingRule.replies, for all conversations at once): arrays of the
        reply's row, the row of the customer message it is timed from (the first or last of those sent since
        the previous agent message of its conversation), and whether it is its conversation's first reply."""
        codes = self.role_codes
        agent = codes == _ROLE_CODE["agent"]
        agents_before = np.zeros(self.message_count + 1, dtype=np.int64)
        np.cumsum(agent, out=agents_before[1:])
        # A customer message waits for the next agent message of its conversation: both share this key, which
        # grows with the row (conversation first, then agent messages so far).
        key = self.conversation_of * (self.message_count + 1) + agents_before[:-1]
        agent_rows = np.flatnonzero(agent)
        customer_rows = np.flatnonzero(codes == _ROLE_CODE["customer"])
        customer_keys = key[customer_rows]
        lo = np.searchsorted(customer_keys, key[agent_rows], side="left")
        hi = np.searchsorted(customer_keys, key[agent_rows], side="right")
        answered = hi > lo
        pick = (lo if measure_from == "first" else hi - 1)[answered]
        reply_rows = agent_rows[answered]
        asked_rows = customer_rows[pick]
        conv = self.conversation_of[reply_rows]
        first = np.ones(len(reply_rows), dtype=bool)
        first[1:] = conv[1:] != conv[:-1]
        return reply_rows, asked_rows, first


def _bits_by_word(list_ids) -> "dict[int, int]":
    """The lists `list_ids` as bit masks per 64-bit word of the presence rows."""
    bits: dict[int, int] = {}
    for list_id in list_ids:
        bits[list_id >> 6] = bits.get(list_id >> 6, 0) | (1 << (list_id & 63))
    return bits


def _lower_or_digit(cps: np.ndarray) -> np.ndarray:
    """Code points that fold to a-z or 0-9: those themselves and their full-width forms."""
    return (((cps >= 0x61) & (cps <= 0x7A)) | ((cps >= 0x30) & (cps <= 0x39))
            | ((cps >= 0xFF41) & (cps <= 0xFF5A)) | ((cps >= 0xFF10) & (cps <= 0xFF19)))
