"""The SQLite results store: one file, no server, safe for several scans writing at once.

- WAL journal: readers never block the writer and a crash never leaves a half-written transaction.
- Every write is one `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so two writers queue
  on the busy timeout instead of failing when a read lock cannot be upgraded).
- Re-scanning a conversation replaces its row and its findings in the same transaction: the same id counts
  once, with the latest rule pack and scan time.
- The schema carries a version; opening a store migrates it forward, one transaction per step, and refuses
  a store written by a newer qa-linter.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable

from ..masking import Masker
from . import transcripts
from .records import auto_fail_reasons, masked_findings, start_keys, utc_key
from .base import ScanResult, StoreError, StoredConversation, StoredFinding
from .review_tables import ReviewTables

BUSY_TIMEOUT_MS = 60_000
# A time without a UTC offset lies somewhere between UTC-12 and UTC+14: a range query widens by this much.
NAIVE_MARGIN = timedelta(hours=14)

# version -> statements that bring the schema from version-1 to version. Append, never edit.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            agent TEXT,
            team TEXT,
            started_at TEXT,            -- ISO 8601 as given (with its offset, or naive)
            started_utc TEXT,           -- for range queries; naive times stored as if UTC
            started_naive INTEGER NOT NULL DEFAULT 0,
            messages INTEGER NOT NULL,
            agent_messages INTEGER NOT NULL,
            score REAL,                 -- NULL: no section applied
            passed INTEGER,             -- 1, 0, NULL (no verdict)
            auto_fail TEXT NOT NULL,    -- JSON list of reasons
            sections TEXT NOT NULL,     -- JSON: the scorecard's section breakdown
            findings INTEGER NOT NULL,
            rule_pack TEXT NOT NULL,
            scoring_model TEXT NOT NULL,
            scanned_at TEXT NOT NULL,
            source TEXT
        )""",
        "CREATE INDEX conversations_started ON conversations (started_utc)",
        """CREATE TABLE findings (
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            message_index INTEGER NOT NULL,
            role TEXT NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            start INTEGER,
            "end" INTEGER,
            excerpt TEXT NOT NULL,      -- masked
            message TEXT NOT NULL,      -- masked
            PRIMARY KEY (conversation_id, position)
        )""",
        "CREATE INDEX findings_rule ON findings (rule)",
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scanned_at TEXT NOT NULL,
            rule_pack TEXT NOT NULL,
            scoring_model TEXT NOT NULL,
            conversations INTEGER NOT NULL
        )""",
    ],
    # The review loop (qa_linter/review, docs/review.md): stable finding ids, the transcripts a replay re-scans
    # (pseudonymised, store/transcripts.py), reviewers' verdicts and the misses they report. Findings recorded
    # before this version have no id until their conversation is scanned again.
    2: [
        "ALTER TABLE findings ADD COLUMN finding_id TEXT",
        "ALTER TABLE findings ADD COLUMN fingerprint TEXT",
        "CREATE INDEX findings_finding_id ON findings (finding_id)",
        """CREATE TABLE transcripts (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
            body BLOB NOT NULL          -- zlib-compressed JSON, PII replaced by surrogates
        )""",
        # A verdict keeps what it judged (rule, category, place), so it outlives a re-scan that drops the finding.
        """CREATE TABLE verdicts (
            finding_id TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            message_index INTEGER NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'wrong')),
            note TEXT NOT NULL DEFAULT '',
            judged_at TEXT NOT NULL,    -- when this verdict was first imported (a re-import keeps it)
            source TEXT NOT NULL,       -- sheet:row it came from
            PRIMARY KEY (finding_id, reviewer)
        )""",
        "CREATE INDEX verdicts_conversation ON verdicts (conversation_id)",
        """CREATE TABLE misses (
            conversation_id TEXT NOT NULL,
            message_index INTEGER NOT NULL,
            category TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            judged_at TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (conversation_id, message_index, category, reviewer)
        )""",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)


def damaged(location: str, exc: "Exception | str", written: bool = False) -> StoreError:
    """The error for a store SQLite finds damaged (truncated, overwritten, not a database): what, and how to recover.
    The file is never replaced or repaired here: it may be all that is left of the results."""
    name = Path(location).name
    try:
        with open(location, "rb") as file:
            header = file.read(16)
    except OSError:
        header = b"SQLite format 3\x00"
    if header and header != b"SQLite format 3\x00":
        return StoreError(f"{location}: not a qa-linter results store, nor any SQLite database, and it was left as "
                          "it is; give the store another file name (if it was a store, its first bytes are damaged: "
                          "keep it aside and scan the transcripts again into a new store)")
    done = "the transaction was rolled back" if written else "nothing was written to it"
    return StoreError(
        f"{location}: the results store is damaged ({exc}); {done}. To recover, keep the file aside (rename it, "
        f"e.g. to {name}.damaged) and scan the transcripts again into a new store (qa-lint scan … --store "
        f"{location}); `sqlite3 {name}.damaged .recover` may rescue what is left of it"
    )


class _Locked(Exception):
    """Opening met another process's lock (see SQLiteStore.__init__)."""


class SQLiteStore(ReviewTables):
    def __init__(self, path: str | Path, masker: Masker | None = None, create: bool = True):
        self.location = str(path)
        self.masker = masker or Masker()
        self._lock = threading.Lock()
        memory = self.location == ":memory:"
        if not memory:
            file = Path(path)
            if not file.exists() and not create:
                raise StoreError(f"{file}: no such results store; record scans into it with qa-lint scan --store {file}")
            if file.is_dir():
                raise StoreError(f"{file}: is a folder; give the store's file name, e.g. {file / 'results.db'}")
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{file}: cannot create its folder: {exc.strerror or exc}") from None
        # Opening sets the journal mode and may create the schema. A second process opening a new store at that
        # moment can get "database is locked" at once: SQLite does not wait on the busy timeout for a change of
        # journal mode (a concurrent-scan test met it in CI). The opening is tried again until the timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.02
        while True:
            try:
                self._open(memory, create)
                return
            except _Locked as exc:
                if time.monotonic() + pause > deadline:
                    raise StoreError(f"{self.location}: cannot open the results store ({exc})") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def _open(self, memory: bool, create: bool) -> None:
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE … COMMIT), never implicit.
            self.db = sqlite3.connect(self.location, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys = ON")
            # Whose file it is and whether it is whole are asked before anything is written to it (switching the
            # journal mode to WAL already writes to the file's header).
            self._refuse_foreign_database()
            if create and not memory:
                self._check_integrity()
            if not memory:
                mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.location}: cannot use write-ahead logging (journal mode {mode}); is it on a network drive?")
                self.db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
            self._migrate()
        except StoreError:
            self._close_quietly()
            raise
        except sqlite3.OperationalError as exc:
            self._close_quietly()
            if "locked" in str(exc) or "busy" in str(exc):
                raise _Locked(str(exc)) from None
            raise StoreError(f"{self.location}: cannot open the results store ({exc})") from None
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise damaged(self.location, exc) from None

    def _check_integrity(self) -> None:
        """Before a scan writes into it: SQLite's quick check of every page (0.05 s for a 37 MB store), so a
        damaged store is reported before hours of scanning, and is not written into."""
        rows = [" ".join(line for line in str(r[0]).splitlines() if not line.startswith("***"))
                for r in self.db.execute("PRAGMA quick_check")]
        if rows != ["ok"]:
            problem = "; ".join(" ".join(r.split()) for r in rows[:3]) + (f"; and {len(rows) - 3} more" if len(rows) > 3 else "")
            raise damaged(self.location, problem)

    def _close_quietly(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass

    # -- schema -------------------------------------------------------------------------------------------------
    def _refuse_foreign_database(self) -> None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "schema_version" not in tables:
            # Another program's database: adding our tables to it would change a file that is not ours.
            shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
            raise StoreError(f"{self.location}: an SQLite database of another program (tables: {shown}), not a "
                             "qa-linter results store; it was left as it is: give the store another file name")

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.location}: written by a newer qa-linter (schema {version}, this one knows "
                             f"{SCHEMA_VERSION}); upgrade qa-linter to read it")
        while version < SCHEMA_VERSION:
            target = version + 1
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if self._version() == version:  # another process may have migrated meanwhile
                    for statement in MIGRATIONS[target]:
                        self.db.execute(statement)
                    self.db.execute("DELETE FROM schema_version")
                    self.db.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            version = self._version()

    def _version(self) -> int:
        row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    @property
    def schema_version(self) -> int:
        return self._version()

    # -- writing ------------------------------------------------------------------------------------------------
    def record_many(self, results: Iterable[ScanResult]) -> int:
        rows = [self._rows(r) for r in results]
        if not rows:
            return 0
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    for conversation, findings, transcript in rows:
                        self.db.execute("DELETE FROM findings WHERE conversation_id = ?", (conversation[0],))
                        self.db.execute("DELETE FROM transcripts WHERE conversation_id = ?", (conversation[0],))
                        self.db.execute("DELETE FROM conversations WHERE id = ?", (conversation[0],))
                        self.db.execute(f"INSERT INTO conversations VALUES ({', '.join('?' * len(conversation))})", conversation)
                        self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", findings)
                        self.db.execute("INSERT INTO transcripts VALUES (?, ?)", (conversation[0], transcript))
                    self.db.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.location}: cannot write ({exc}); nothing of this batch was recorded") from None
            except sqlite3.DatabaseError as exc:
                raise damaged(self.location, exc, written=True) from None
        return len(rows)

    def _rollback(self) -> None:
        """Undo the open transaction; a store too damaged even for that must not hide the first error."""
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def record_scan(self, scanned_at: datetime, rule_pack: str, scoring_model: str, conversations: int) -> None:
        """A line in the scan log: when, with which rules, how many conversations."""
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("INSERT INTO scans (scanned_at, rule_pack, scoring_model, conversations) VALUES (?, ?, ?, ?)",
                                (scanned_at.isoformat(), rule_pack, scoring_model, conversations))
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise StoreError(f"{self.location}: cannot write the scan log ({exc})") from None
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise damaged(self.location, exc, written=True) from None

    def _rows(self, result: ScanResult) -> tuple[tuple, list[tuple], bytes]:
        conv, card = result.conversation, result.scorecard
        started_at, started_utc, naive = start_keys(result)
        passed = card.get("passed")
        conversation = (
            conv.id, conv.channel, conv.agent, conv.team, started_at, started_utc, int(naive),
            len(conv.messages), sum(1 for m in conv.messages if m.role == "agent"),
            card.get("score"), None if passed is None else int(bool(passed)),
            json.dumps(auto_fail_reasons(card), ensure_ascii=False),
            json.dumps(card.get("sections", []), ensure_ascii=False),
            len(result.findings), result.rule_pack, result.scoring_model, result.scanned_at.isoformat(), conv.source,
        )
        findings = [
            (conv.id, position, f.message_index, f.role, f.rule, f.category, str(f.severity),
             f.start if shown.located else None, f.end if shown.located else None, shown.excerpt, shown.message,
             finding_id, fp)
            for position, (f, shown, fp, finding_id) in enumerate(masked_findings(result, self.masker))
        ]
        transcript, _ = transcripts.encode(conv, self.masker)
        return conversation, findings, transcript

    # -- reading ------------------------------------------------------------------------------------------------
    def conversations(self, since: datetime, until: datetime) -> list[StoredConversation]:
        try:
            return self._conversations(since, until)
        except sqlite3.DatabaseError as exc:
            raise damaged(self.location, exc) from None
        except (ValueError, TypeError) as exc:  # a row whose values SQLite kept but are not what qa-linter wrote
            raise damaged(self.location, f"a stored value cannot be read: {exc}") from None

    def _conversations(self, since: datetime, until: datetime) -> list[StoredConversation]:
        low, high = utc_key(since - NAIVE_MARGIN), utc_key(until + NAIVE_MARGIN)
        exact_low, exact_high = utc_key(since), utc_key(until)
        return self._stored(
            """WHERE (started_naive = 0 AND started_utc >= ? AND started_utc < ?)
                  OR (started_naive = 1 AND started_utc >= ? AND started_utc < ?)""",
            (exact_low, exact_high, low, high),
        )

    def _stored(self, where: str, args: tuple) -> list[StoredConversation]:
        """Conversations matching a WHERE clause over the conversations table, with their findings."""
        with self._lock:
            rows = self.db.execute(
                f"""SELECT id, channel, agent, team, started_at, messages, agent_messages, score, passed, auto_fail,
                          sections, rule_pack, scoring_model, scanned_at
                   FROM conversations {where}
                   ORDER BY started_utc, id""",
                args,
            ).fetchall()
            found = self._findings([r[0] for r in rows])
        return [
            StoredConversation(
                id=r[0], channel=r[1], agent=r[2], team=r[3],
                started_at=datetime.fromisoformat(r[4]) if r[4] else None,
                messages=r[5], agent_messages=r[6], score=r[7],
                passed=None if r[8] is None else bool(r[8]),
                auto_fail=tuple(json.loads(r[9])), sections=tuple(json.loads(r[10])),
                rule_pack=r[11], scoring_model=r[12], scanned_at=datetime.fromisoformat(r[13]),
                findings=tuple(found.get(r[0], ())),
            )
            for r in rows
        ]

    def _findings(self, ids: list[str]) -> dict[str, list[StoredFinding]]:
        out: dict[str, list[StoredFinding]] = {}
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):  # stay under SQLite's variable limit
            marks = ", ".join("?" * len(chunk))
            for row in self.db.execute(
                f"""SELECT conversation_id, rule, category, severity, message_index, start, "end", excerpt, message,
                           finding_id
                    FROM findings WHERE conversation_id IN ({marks}) ORDER BY conversation_id, position""",
                chunk,
            ):
                out.setdefault(row[0], []).append(StoredFinding(*row[1:]))
        return out

    def count(self, undated: bool = False) -> int:
        where = " WHERE started_utc IS NULL" if undated else ""
        with self._lock:
            try:
                return int(self.db.execute(f"SELECT COUNT(*) FROM conversations{where}").fetchone()[0])
            except sqlite3.DatabaseError as exc:
                raise damaged(self.location, exc) from None

    def scans(self) -> list[dict]:
        with self._lock:
            try:
                rows = self.db.execute("SELECT scanned_at, rule_pack, scoring_model, conversations FROM scans ORDER BY id").fetchall()
            except sqlite3.DatabaseError as exc:
                raise damaged(self.location, exc) from None
        return [dict(zip(("scanned_at", "rule_pack", "scoring_model", "conversations"), r)) for r in rows]

    def close(self) -> None:
        with self._lock:
            try:
                self.db.close()
            except sqlite3.Error:
                pass  # nothing is pending: every write was its own committed (or rolled back) transaction

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
