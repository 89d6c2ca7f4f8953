"""The results table: what `scan --engine spark -o OUT` writes to OUT/results/ as Parquet, and the read-only store
`report weekly --results` reads it through (pyarrow only, no Spark).

One row per scanned conversation, holding exactly what the SQLite store keeps of it (store/records.py: masked
excerpts, finding ids, auto-fail reasons, the section breakdown as JSON), so the weekly report built from it is
the report of a local `scan --store` run. Times are kept as the SQLite store keeps them: `started_at` as given,
`started_utc` a sortable UTC text (naive times as if UTC, flagged by `started_naive`), which the reader filters
on without reading the rest of the table.

Several results folders (a night's run per folder) can be read as one store: a conversation scanned more than
once counts once, with its latest scan (by `scanned_at`, then input order), as in the SQLite store.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..masking import Masker
from .base import ScanResult, StoredConversation, StoredFinding, StoreError
from .records import start_keys, stored_conversation, utc_key

# A time without a UTC offset lies somewhere between UTC-12 and UTC+14 (as in store/sqlite.py).
from .sqlite import NAIVE_MARGIN

RESULTS_FOLDER = "results"


def arrow_schema():
    import pyarrow as pa

    finding = pa.struct([
        ("rule", pa.string()), ("category", pa.string()), ("severity", pa.string()),
        ("message_index", pa.int32()), ("start", pa.int32()), ("end", pa.int32()),
        ("excerpt", pa.string()), ("message", pa.string()), ("finding_id", pa.string()),
    ])
    return pa.schema([
        ("id", pa.string()), ("channel", pa.string()), ("agent", pa.string()), ("team", pa.string()),
        ("started_at", pa.string()), ("started_utc", pa.string()), ("started_naive", pa.bool_()),
        ("messages", pa.int32()), ("agent_messages", pa.int32()),
        ("score", pa.float64()), ("passed", pa.bool_()),
        ("auto_fail", pa.string()),  # JSON list of reasons
        ("sections", pa.string()),  # JSON: the scorecard's section breakdown
        ("rule_pack", pa.string()), ("scoring_model", pa.string()), ("scanned_at", pa.string()),
        ("source", pa.string()),
        # where the record was read (file, line, position on the line): the later of two scans of an id wins
        ("input_file", pa.string()), ("input_line", pa.int64()), ("input_item", pa.int32()),
        ("findings", pa.list_(finding)),
    ])


def result_row(result: ScanResult, masker: Masker, order: dict | None = None) -> dict:
    """The results-table row of one scanned conversation."""
    stored = stored_conversation(result, masker)
    started_at, started_utc, naive = start_keys(result)
    order = order or {}
    return {
        "id": stored.id, "channel": stored.channel, "agent": stored.agent, "team": stored.team,
        "started_at": started_at, "started_utc": started_utc, "started_naive": naive,
        "messages": stored.messages, "agent_messages": stored.agent_messages,
        "score": stored.score, "passed": stored.passed,
        "auto_fail": json.dumps(list(stored.auto_fail), ensure_ascii=False),
        "sections": json.dumps(list(stored.sections), ensure_ascii=False),
        "rule_pack": stored.rule_pack, "scoring_model": stored.scoring_model,
        "scanned_at": stored.scanned_at.isoformat(), "source": result.conversation.source,
        "input_file": order.get("file"), "input_line": order.get("line"), "input_item": order.get("item"),
        "findings": [
            {"rule": f.rule, "category": f.category, "severity": f.severity, "message_index": f.message_index,
             "start": f.start, "end": f.end, "excerpt": f.excerpt, "message": f.message, "finding_id": f.finding_id}
            for f in stored.findings
        ],
    }


def _table_files(given: str) -> list[str]:
    """The Parquet files of one --results argument: a file, a folder of part files, or a Spark scan's OUT folder
    (its results/ subfolder)."""
    path = Path(given)
    if not path.exists():
        raise StoreError(f"{given}: no such results table; write one with qa-lint scan … --engine spark -o OUT "
                         "(it is OUT/results/)")
    if path.is_file():
        return [str(path)]
    if (path / RESULTS_FOLDER).is_dir():
        path = path / RESULTS_FOLDER
    # Spark's part files; _SUCCESS, .crc files and the like are not data.
    files = sorted(str(p) for p in path.rglob("*.parquet") if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
    if not files:
        hint = " (a scan's findings/ or scores/ folder: give the scan's OUT folder or OUT/results/)" \
            if path.name in ("findings", "scores", "problems") else ""
        raise StoreError(f"{given}: no Parquet results table in this folder{hint}; write one with "
                         "qa-lint scan … --engine spark -o OUT")
    return files


class ParquetResults:
    """A read-only ResultStore over results tables (store/base.py), for the reports."""

    def __init__(self, locations: Iterable[str], masker: Masker | None = None):
        try:
            import pyarrow.dataset as ds
        except ImportError:
            raise StoreError("reading a results table needs pyarrow: pip install 'qa-linter[parquet]'") from None
        self.locations = list(locations)
        self.location = ", ".join(self.locations)
        self.masker = masker or Masker()
        files = [f for given in self.locations for f in _table_files(given)]
        try:
            self.dataset = ds.dataset(files, format="parquet")
            missing = [name for name in arrow_schema().names if name not in self.dataset.schema.names]
        except Exception as exc:  # noqa: BLE001 - pyarrow reports unreadable files with its own exception types
            raise StoreError(f"{self.location}: cannot read the results table ({exc})") from None
        if missing:
            raise StoreError(f"{self.location}: not a qa-linter results table (no column {', '.join(missing)}); "
                             "give the results/ folder of qa-lint scan --engine spark -o OUT")
        self._latest = self._latest_scans()

    def _read(self, columns=None, filter=None):
        try:
            return self.dataset.to_table(columns=columns, filter=filter)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"{self.location}: cannot read the results table ({exc})") from None

    def _latest_scans(self) -> set[tuple]:
        """The row key of each id's latest scan: the SQLite store replaces an id's row when it is scanned again."""
        keys = self._read(["id", "scanned_at", "input_file", "input_line", "input_item"]).to_pydict()
        best: dict[str, tuple] = {}
        for row in zip(keys["id"], keys["scanned_at"], keys["input_file"], keys["input_line"], keys["input_item"]):
            rank = (row[1] or "", row[2] or "", row[3] if row[3] is not None else -1, row[4] if row[4] is not None else -1)
            if row[0] not in best or rank >= best[row[0]][0]:
                best[row[0]] = (rank, row)
        return {row for _, row in best.values()}

    def _key(self, row: dict) -> tuple:
        return (row["id"], row["scanned_at"], row["input_file"], row["input_line"], row["input_item"])

    def conversations(self, since: datetime, until: datetime) -> list[StoredConversation]:
        import pyarrow.dataset as ds

        naive, utc = ds.field("started_naive"), ds.field("started_utc")
        wanted = (((naive == False) & (utc >= utc_key(since)) & (utc < utc_key(until)))  # noqa: E712 - an expression
                  | ((naive == True) & (utc >= utc_key(since - NAIVE_MARGIN)) & (utc < utc_key(until + NAIVE_MARGIN))))  # noqa: E712
        rows = [r for r in self._read(filter=wanted).to_pylist() if self._key(r) in self._latest]
        rows.sort(key=lambda r: (r["started_utc"], r["id"]))
        try:
            return [_stored(r) for r in rows]
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self.location}: a stored value cannot be read: {exc}") from None

    def count(self, undated: bool = False) -> int:
        return sum(1 for key in self._latest if not undated or self._undated(key))

    def _undated(self, key: tuple) -> bool:
        return key in self._undated_keys

    @property
    def _undated_keys(self) -> set[tuple]:
        import pyarrow.dataset as ds

        if not hasattr(self, "_undated_cache"):
            table = self._read(["id", "scanned_at", "input_file", "input_line", "input_item"],
                               filter=ds.field("started_utc").is_null()).to_pylist()
            self._undated_cache = {self._key(r) for r in table}
        return self._undated_cache

    def record_many(self, results) -> int:
        raise StoreError(f"{self.location}: a results table is read-only; scans write it with --engine spark -o OUT")

    def close(self) -> None:
        pass


def _stored(row: dict) -> StoredConversation:
    return StoredConversation(
        id=row["id"], channel=row["channel"], agent=row["agent"], team=row["team"],
        started_at=datetime.fromisoformat(row["started_at"]) if row["started_at"] else None,
        messages=row["messages"], agent_messages=row["agent_messages"], score=row["score"], passed=row["passed"],
        auto_fail=tuple(json.loads(row["auto_fail"])), sections=tuple(json.loads(row["sections"])),
        rule_pack=row["rule_pack"], scoring_model=row["scoring_model"],
        scanned_at=datetime.fromisoformat(row["scanned_at"]),
        findings=tuple(StoredFinding(**f) for f in row["findings"] or ()),
    )
