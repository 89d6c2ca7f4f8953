"""The review loop's part of the SQLite store: transcripts for replay, finding ids, verdicts and misses.

A mixin of SQLiteStore (it uses its connection, lock and row builder), kept apart so the scan path in
sqlite.py stays as it was. The tables are created by migration 2 in sqlite.py.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

from ..model import Conversation
from . import transcripts as transcript_codec
from .base import StoreError, StoredConversation

_CHUNK = 500  # ids per IN (…) list: under SQLite's variable limit


@dataclass(frozen=True)
class FindingRef:
    """What a review needs to know about a stored finding."""

    finding_id: str
    conversation_id: str
    message_index: int
    rule: str
    category: str
    fingerprint: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class StoredVerdict:
    finding_id: str
    reviewer: str
    conversation_id: str
    message_index: int
    rule: str
    category: str
    fingerprint: str
    verdict: str  # correct | wrong
    note: str
    judged_at: str
    source: str


@dataclass(frozen=True)
class StoredMiss:
    conversation_id: str
    message_index: int
    category: str
    reviewer: str
    note: str
    judged_at: str
    source: str


class ReviewTables:
    # -- conversations and transcripts ------------------------------------------------------------------------
    def all_conversations(self) -> list[StoredConversation]:
        """Every stored conversation, dated or not, with its findings."""
        return self._stored("", ())

    def transcripts(self, ids: Iterable[str]) -> dict[str, Conversation]:
        """The stored (pseudonymised) transcripts of these conversations; ids recorded without one are absent."""
        out: dict[str, Conversation] = {}
        ids = list(ids)
        with self._lock:
            for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
                marks = ", ".join("?" * len(chunk))
                for conv_id, body, source in self.db.execute(
                    f"""SELECT t.conversation_id, t.body, c.source FROM transcripts t
                        JOIN conversations c ON c.id = t.conversation_id WHERE t.conversation_id IN ({marks})""",
                    chunk,
                ):
                    out[conv_id] = transcript_codec.decode(conv_id, body, source)
        return out

    def transcript_bytes(self) -> tuple[int, int]:
        """(transcripts stored, their compressed bytes): what keeping them costs."""
        with self._lock:
            n, size = self.db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM transcripts").fetchone()
        return int(n), int(size)

    # -- findings -----------------------------------------------------------------------------------------------
    def finding_refs(self, finding_ids: Iterable[str]) -> dict[str, FindingRef]:
        """The stored findings with these ids."""
        ids = list(dict.fromkeys(finding_ids))
        out: dict[str, FindingRef] = {}
        with self._lock:
            for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
                marks = ", ".join("?" * len(chunk))
                for row in self.db.execute(
                    f"""SELECT finding_id, conversation_id, message_index, rule, category, fingerprint, start, "end"
                        FROM findings WHERE finding_id IN ({marks})""",
                    chunk,
                ):
                    out[row[0]] = FindingRef(*row)
        return out

    def conversation_sizes(self, ids: Iterable[str]) -> dict[str, int]:
        """id -> number of messages, for the stored conversations among `ids`."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, int] = {}
        with self._lock:
            for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
                marks = ", ".join("?" * len(chunk))
                out.update(self.db.execute(f"SELECT id, messages FROM conversations WHERE id IN ({marks})", chunk).fetchall())
        return out

    def finding_categories(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT DISTINCT category FROM findings ORDER BY category")]

    def findings_without_ids(self) -> int:
        """Findings recorded before schema 2: they cannot be reviewed until their conversation is scanned again."""
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM findings WHERE finding_id IS NULL").fetchone()[0])

    # -- verdicts -----------------------------------------------------------------------------------------------
    def record_verdicts(self, verdicts: list[StoredVerdict], misses: list[StoredMiss]) -> dict[str, int]:
        """Store verdicts and misses in one transaction. A verdict is one per (finding, reviewer): a later sheet
        with another verdict or note replaces it; the same one again changes nothing (its time stays).
        Returns counts: added, changed, unchanged."""
        counts = {"added": 0, "changed": 0, "unchanged": 0}
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    for v in verdicts:
                        old = self.db.execute("SELECT verdict, note FROM verdicts WHERE finding_id = ? AND reviewer = ?",
                                              (v.finding_id, v.reviewer)).fetchone()
                        if old is not None and tuple(old) == (v.verdict, v.note):
                            counts["unchanged"] += 1
                            continue
                        counts["changed" if old else "added"] += 1
                        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                            v.finding_id, v.reviewer, v.conversation_id, v.message_index, v.rule, v.category,
                            v.fingerprint, v.verdict, v.note, v.judged_at, v.source))
                    for m in misses:
                        key = (m.conversation_id, m.message_index, m.category, m.reviewer)
                        old = self.db.execute("""SELECT note FROM misses WHERE conversation_id = ? AND message_index = ?
                                                 AND category = ? AND reviewer = ?""", key).fetchone()
                        if old is not None and old[0] == m.note:
                            counts["unchanged"] += 1
                            continue
                        counts["changed" if old else "added"] += 1
                        self.db.execute("INSERT OR REPLACE INTO misses VALUES (?, ?, ?, ?, ?, ?, ?)",
                                        (*key, m.note, m.judged_at, m.source))
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.location}: cannot write verdicts ({exc}); nothing was imported") from None
        return counts

    def verdicts(self) -> list[StoredVerdict]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM verdicts ORDER BY conversation_id, message_index, finding_id, reviewer").fetchall()
        return [StoredVerdict(*r) for r in rows]

    def misses(self) -> list[StoredMiss]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM misses ORDER BY conversation_id, message_index, category, reviewer").fetchall()
        return [StoredMiss(*r) for r in rows]
