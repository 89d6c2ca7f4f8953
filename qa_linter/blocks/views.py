"""The views rules read, for a conversation of a block: the same interface as analysis.ConversationView and
MessageView, with what the block already knows put in and the rest computed on demand.

A message's folded text comes from the block fold, its digit count from the block's tables, and which term
lists have candidates in it from the block pass (`Presence`): a Requirement is tested on those without any
per-message work. Only when a rule asks for the candidates themselves (offsets and terms: a whole-word check, a
condition, a jargon term) does the message get TermIndex.scan on its folded text, as in the per-message path.
"""
from __future__ import annotations

import numpy as np

from ..analysis import ConversationView, MessageView, _computed_once
from ..model import Conversation, Message
from ..text.matching import Hit


class Presence:
    """The term lists with candidates in each message of a block, as Python int bit masks (bit l: list l): one
    conversion per block, so the many questions rules ask per message are a list lookup."""

    def __init__(self, rows):
        # A row's words, least significant first, are the little-endian bytes of its int: one call per message.
        data = np.ascontiguousarray(rows, dtype="<u8").tobytes()
        step = 8 * rows.shape[1]
        as_int = int.from_bytes
        self.masks = [as_int(data[at:at + step], "little") for at in range(0, len(data), step)]

    def mask(self, row: int) -> int:
        return self.masks[row]


class Lists:
    """A set of term-list ids held as a bit mask: `in` and iteration as for a set; Requirement.met_by reads
    `mask` directly."""

    __slots__ = ("mask",)

    def __init__(self, mask: int):
        self.mask = mask

    def __contains__(self, list_id) -> bool:
        return (self.mask >> list_id) & 1 == 1

    def __iter__(self):
        rest = self.mask
        while rest:
            low = rest & -rest
            yield low.bit_length() - 1
            rest ^= low

    def __len__(self) -> int:
        return bin(self.mask).count("1")

    def __bool__(self) -> bool:
        return self.mask != 0


class Candidates(Lists):
    """A message's candidates, TermIndex.scan's mapping (list id -> [(nstart, nend, term index)]): its keys are
    known from the block's bits, and a list's candidates are read from the block's hits when first asked for."""

    __slots__ = ("_hits", "_row", "_message_hits", "_found")

    def __init__(self, mask: int, hits, row: int):
        self.mask = mask
        self._hits = hits
        self._row = row
        self._message_hits = None
        self._found: dict[int, list] = {}

    def _list(self, list_id: int) -> list:
        found = self._found.get(list_id)
        if found is None:
            hits = self._hits
            table = hits.table(list_id)  # a list asked about for many messages of the block: read for all at once
            if table is not None:
                found = table.at(self._row)
            else:
                if self._message_hits is None:
                    self._message_hits = hits.of_message(self._row)
                found = hits.candidates(self._message_hits, list_id)
            self._found[list_id] = found
        return found

    def keys(self):
        return list(self)

    def get(self, list_id, default=None):
        if not (self.mask >> list_id) & 1:
            return default
        return self._list(list_id)

    def __getitem__(self, list_id):
        if not (self.mask >> list_id) & 1:
            raise KeyError(list_id)
        return self._list(list_id)

    def items(self):
        return [(list_id, self._list(list_id)) for list_id in self]

    def values(self):
        return [self._list(list_id) for list_id in self]


class BlockMessageView(MessageView):
    """Message `row` of a block. Its index, role and text are read from the block; the Message record is made
    only if a rule asks for it (a timing rule reads its time)."""

    # `index` and `role` are plain slots here (MessageView's properties read the record): rules ask for them
    # hundreds of thousands of times per block.
    __slots__ = ("_source", "_row", "index", "role", "_candidates")

    def __init__(self, toolkit, source, row: int, index: int, role: str):
        self.toolkit = toolkit
        self._source = source
        self._row = row
        self.index = index
        self.role = role
        self._candidates = None

    def block_position(self) -> "tuple[object, int]":
        return self._source.block, self._row

    @property
    def message(self) -> Message:
        found = self.__dict__.get("_message")
        if found is None:
            block, row = self._source.block, self._row
            found = self.__dict__["_message"] = Message(self.index, self.role, block.texts[row], block.stamps[row])
        return found

    @property
    def text(self) -> str:
        return self._source.block.texts[self._row]

    @_computed_once
    def norm(self):
        return self._source.folded.norm(self._row)

    def hit(self, nstart: int, nend: int, term=None) -> Hit:
        start, end = self.norm.to_original(nstart, nend)
        return Hit(start, end, self.text[start:end], nstart, nend, term)

    def term_candidates(self):
        c = self._candidates
        if c is None:
            source = self._source
            c = self._candidates = Candidates(source.presence.masks[self._row], source.hits, self._row)
        return c

    def decimal_digits(self) -> int:
        digits = self._source.digits[self._row]
        return digits if digits >= 0 else super().decimal_digits()

    def number_characters(self) -> int:
        numbers = self._source.numbers[self._row]
        return numbers if numbers >= 0 else super().number_characters()

    def may_hold_latin(self) -> bool:
        return self._source.latin()[self._row]


class BlockConversationView(ConversationView):
    """Conversation c of a block, with one BlockMessageView per message. The Conversation record is made only if
    a rule reads it (a jargon rule reads the team)."""

    def __init__(self, source, c: int):
        block = source.block
        self._source = source
        self._c = c
        self.toolkit = toolkit = source.toolkit
        first = block.first[c]
        end = first + block.counts[c]
        roles = block.role_names
        self.messages = [BlockMessageView(toolkit, source, row, i, roles[row])
                         for i, row in enumerate(range(first, end))]
        mask = 0
        for row_mask in source.presence.masks[first:end]:
            mask |= row_mask
        self._lists = Lists(mask)

    def by_role(self, role: str | None) -> list:
        """ConversationView.by_role, with each view's role read from the block."""
        key = "any" if role is None else role
        found = self._by_role.get(key)
        if found is None:
            if key == "any":
                found = [m for m in self._messages if m.role != "system"]
            else:
                found = [m for m in self._messages if m.role == key]
            self._by_role[key] = found
        return found

    @property
    def conversation(self) -> Conversation:
        found = self.__dict__.get("_conversation")
        if found is None:
            found = self.__dict__["_conversation"] = self._source.block.conversation(self._c)
        return found

    @property
    def id(self) -> str:
        return self._source.block.ids[self._c]

    @property
    def channel(self) -> str:
        return self._source.block.channels[self._c]

    @property
    def partial(self) -> object:
        meta = self._source.block.team_and_meta(self._c)[1]
        return meta.get("partial") if meta else None

    def team_and_meta(self) -> tuple:
        return self._source.block.team_and_meta(self._c)
