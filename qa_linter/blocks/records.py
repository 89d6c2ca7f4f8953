"""Reading a block of input items into flat per-message lists (roles, texts, times) with orjson.

A JSON Lines record is decoded with orjson and checked in one loop that accepts exactly what
`canonical.conversation_from_dict` accepts and keeps the same values. Anything else (a line orjson cannot
decode, a JSON array, a record that breaks a rule of the format) is read again by the reader's own path
(`UnparsedLine.parse`), so every problem is reported with the same file, line and reason as before, and every
odd-but-valid record gives the same conversation. Conversations that arrive already read (CSV, e-mail, chat
logs) join the block as they are.

A `Conversation` object is made only when something needs one: a rule that runs on the conversation, or an
output that prints it (`Block.conversation`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from orjson import JSONDecodeError, loads

from ..canonical import InvalidTranscript, _opt_str, parse_time
from ..model import Conversation, InputProblem, Message
from ..readers.jsonl import UnparsedLine
from ..vocabulary import CHANNELS, PARTIAL_VALUES, ROLES

_PLAIN_PARTIAL = (None, True, False, *PARTIAL_VALUES)  # the meta.partial values vocabulary.partial_ends takes

# A message this long is scanned on its own (the per-message path), so a block's arrays stay small whatever
# the input holds; a 50 MB e-mail body is one such message.
SOLO_CHARACTERS = 200_000
_ROLE_CODES = {role: code for code, role in enumerate(ROLES)}


class Block:
    """The conversations of some input items. Per conversation: `ids`, `channels`, `first[c]` (its first
    message row), `counts[c]`; per message row: `roles` (codes: ROLES' positions), `texts`, `stamps`.
    `entries[k]`: for input item k, its InputProblems and conversation numbers, in order. `solo`:
    conversations (by number) held as Conversation objects and scanned by the per-message path."""

    def __init__(self) -> None:
        self.entries: list[list] = []
        self.ids: list[str] = []
        self.channels: list[str] = []
        self.first: list[int] = []
        self.counts: list[int] = []
        self._fields: list[tuple] = []  # (agent, team, started_at, meta, source) or a Conversation
        self.roles: list[int] = []
        self.role_names: list[str] = []
        self.texts: list[str] = []
        self.stamps: list = []
        self.solo: dict[int, Conversation] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def conversation(self, c: int) -> Conversation:
        """Conversation number c, as conversation_from_dict makes it from its record."""
        fields = self._fields[c]
        if isinstance(fields, Conversation):
            return fields
        agent, team, started_at, meta, source = fields
        first = self.first[c]
        roles, texts, stamps = self.role_names, self.texts, self.stamps
        messages = [Message(i, roles[row], texts[row], stamps[row]) for i, row in enumerate(range(first, first + self.counts[c]))]
        return Conversation(self.ids[c], messages, self.channels[c], agent, team, started_at, meta, source)

    def identity(self, c: int) -> tuple[str, str | None]:
        """Conversation number c's id and source ("file:line"), without building it."""
        fields = self._fields[c]
        if isinstance(fields, Conversation):
            return fields.id, fields.source
        return self.ids[c], fields[4]

    def team_and_meta(self, c: int):
        fields = self._fields[c]
        if isinstance(fields, Conversation):
            return fields.team, fields.meta
        return fields[1], fields[3]

    # -- filling ---------------------------------------------------------------------------------------------
    def add_item(self, item) -> None:
        entries: list = []
        if isinstance(item, UnparsedLine):
            if not self._add_line(item, entries):
                for result in item.parse():
                    entries.append(result if isinstance(result, InputProblem) else self._add_object(result))
        elif isinstance(item, InputProblem):
            entries.append(item)
        else:
            entries.append(self._add_object(item))
        self.entries.append(entries)

    def _add_line(self, item: UnparsedLine, entries: list) -> bool:
        """Decode and check one JSON Lines record here; False when the reader's own path must read it."""
        try:
            obj = loads(item.raw)
        except JSONDecodeError:
            return False
        if type(obj) is not dict:
            return False
        rows = len(self.texts)
        try:
            conv = self._add_record(obj, f"{item.source}:{item.lineno}")
        except (InvalidTranscript, _Unusual):
            del self.texts[rows:], self.roles[rows:], self.role_names[rows:], self.stamps[rows:]
            return False
        entries.append(conv)
        return True

    def _add_record(self, obj: dict, source: str) -> int:
        """conversation_from_dict's checks and values, on flat lists (any doubt raises _Unusual)."""
        conv_id = obj.get("id")
        if conv_id is None or (isinstance(conv_id, str) and not conv_id.strip()):
            raise _Unusual
        channel = obj.get("channel") or "chat"
        if type(channel) is not str or channel not in CHANNELS:
            raise _Unusual
        raw_messages = obj.get("messages")
        if type(raw_messages) is not list:
            raise _Unusual
        first = len(self.texts)
        roles, role_names, texts, stamps = self.roles, self.role_names, self.texts, self.stamps
        codes = _ROLE_CODES
        solo = False
        for m in raw_messages:
            if type(m) is not dict:
                raise _Unusual
            role = m.get("role")
            text = m.get("text")
            if type(role) is not str or role not in codes or type(text) is not str:
                raise _Unusual
            ts = m.get("ts")
            roles.append(codes[role])
            role_names.append(role)
            texts.append(text)
            stamps.append(None if ts is None or ts == "" else _message_time(ts))
            if len(text) > SOLO_CHARACTERS:
                solo = True
        meta = obj.get("meta") or {}
        if not isinstance(meta, dict) or meta.get("partial") not in _PLAIN_PARTIAL:
            raise _Unusual  # conversation_from_dict reports a wrong meta.partial
        fields = (_opt_str(obj.get("agent")), _opt_str(obj.get("team")), parse_time(obj.get("started_at"), "started_at"),
                  meta, source)
        c = len(self.ids)
        self.ids.append(str(conv_id))
        self.channels.append(channel)
        self.first.append(first)
        self.counts.append(len(raw_messages))
        self._fields.append(fields)
        if solo:
            self.solo[c] = self.conversation(c)
            del texts[first:], roles[first:], role_names[first:], stamps[first:]
            self.counts[c] = 0
        return c

    def _add_object(self, conv: Conversation) -> int:
        c = len(self.ids)
        self.ids.append(conv.id)
        self.channels.append(conv.channel)
        self.first.append(len(self.texts))
        self._fields.append(conv)
        if any(len(m.text) > SOLO_CHARACTERS for m in conv.messages):
            self.solo[c] = conv
            self.counts.append(0)
            return c
        self.counts.append(len(conv.messages))
        for m in conv.messages:
            self.roles.append(_ROLE_CODES[m.role])
            self.role_names.append(m.role)
            self.texts.append(m.text)
            self.stamps.append(m.ts)
        return c


def _message_time(ts):
    """parse_time(ts, "ts") for the usual form (an ISO string without surrounding blanks or a Z, a year 2-9998)
    in one call, and parse_time itself for everything else (its checks and messages)."""
    if type(ts) is str and not ts.endswith("Z"):
        try:
            moment = _fromisoformat(ts)
        except ValueError:
            return parse_time(ts, "ts")
        if 1 < moment.year < 9999:
            return moment
    return parse_time(ts, "ts")


_fromisoformat = datetime.fromisoformat


class _Unusual(Exception):
    """A record the fast check does not vouch for: the reader's own path reads it."""


def read_block(items: Iterable) -> Block:
    block = Block()
    for item in items:
        block.add_item(item)
    return block
