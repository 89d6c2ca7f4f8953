"""Rows of many conversations, in any order, grouped per conversation with bounded memory.

A ticket export lists messages by time, so the rows of one conversation are interleaved with others and a
conversation is only known to be complete at the end of the file. Rows are therefore grouped in memory up
to a budget; past it, everything is moved to a temporary SQLite database on disk and grouping continues
there. Memory then stays bounded by the budget plus the largest conversation, whatever the file size and
however the rows are ordered; the price is disk space about the size of the text and that the first
conversation comes out only after the last row is read.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from typing import Iterator

MEMORY_ROWS = 100_000  # rows kept in memory before grouping moves to disk
MEMORY_CHARS = 16_000_000  # characters of text, likewise


@dataclass(frozen=True)
class Row:
    """One message row as read, before the conversation is assembled."""

    line: int  # where it starts in the file, for error messages
    ts: str | None  # ISO 8601, already validated
    role: str
    text: str
    agent: str | None = None
    channel: str | None = None
    team: str | None = None
    audience: str | None = None  # the customer's segment (meta.audience)


class RowGroups:
    def __init__(self, memory_rows: int | None = None, memory_chars: int | None = None):
        self._memory: dict[str, list[Row]] = {}  # insertion order = order of first appearance
        self._rows = self._chars = 0
        self._limits = (memory_rows or MEMORY_ROWS, memory_chars or MEMORY_CHARS)
        self._db: sqlite3.Connection | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def add(self, conversation_id: str, row: Row) -> None:
        if self._db is not None:
            self._insert(conversation_id, row)
            return
        self._memory.setdefault(conversation_id, []).append(row)
        self._rows += 1
        self._chars += len(row.text)
        if self._rows > self._limits[0] or self._chars > self._limits[1]:
            self._spill()

    def groups(self) -> Iterator[tuple[str, list[Row]]]:
        """(conversation id, rows in file order), conversations in order of first appearance; then closes."""
        try:
            if self._db is None:
                memory, self._memory = self._memory, {}
                while memory:
                    conv_id = next(iter(memory))
                    yield conv_id, memory.pop(conv_id)
                return
            yield from self._disk_groups()
        finally:
            self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # -- on disk ------------------------------------------------------------------------------------------
    def _spill(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="qa-lint-rows-")
        db = sqlite3.connect(os.path.join(self._folder.name, "rows.sqlite"))
        # A scratch database: durability is worthless here, speed and a small page cache are not.
        db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = FILE;
            PRAGMA cache_size = -16000;
            CREATE TABLE conversations (id TEXT PRIMARY KEY, first_seen INTEGER NOT NULL);
            CREATE TABLE rows (seq INTEGER PRIMARY KEY, conversation TEXT NOT NULL, line INTEGER, ts TEXT,
                               role TEXT, text TEXT, agent TEXT, channel TEXT, team TEXT, audience TEXT);
            """
        )
        self._db = db
        self._seq = 0
        self._pending: list[tuple] = []
        memory, self._memory = self._memory, {}
        for conv_id, rows in memory.items():
            for row in rows:
                self._insert(conv_id, row)

    def _insert(self, conversation_id: str, row: Row) -> None:
        self._seq += 1
        self._pending.append(
            (self._seq, conversation_id, row.line, row.ts, row.role, row.text, row.agent, row.channel, row.team, row.audience)
        )
        if len(self._pending) >= 5_000:
            self._flush()

    def _flush(self) -> None:
        assert self._db is not None
        pending, self._pending = self._pending, []
        self._db.executemany(
            "INSERT OR IGNORE INTO conversations (id, first_seen) VALUES (?, ?)", ((p[1], p[0]) for p in pending)
        )
        self._db.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", pending)

    def _disk_groups(self) -> Iterator[tuple[str, list[Row]]]:
        assert self._db is not None
        self._flush()
        self._db.commit()
        self._db.execute("CREATE INDEX rows_by_conversation ON rows (conversation, seq)")
        cursor = self._db.execute(
            """SELECT c.id, r.line, r.ts, r.role, r.text, r.agent, r.channel, r.team, r.audience
               FROM conversations c JOIN rows r ON r.conversation = c.id
               ORDER BY c.first_seen, r.seq"""
        )
        current: str | None = None
        rows: list[Row] = []
        for conv_id, *values in cursor:
            if conv_id != current:
                if current is not None:
                    yield current, rows
                current, rows = conv_id, []
            rows.append(Row(*values))
        if current is not None:
            yield current, rows
