"""`qa-lint scan --store PATH`: the store as one more output of a scan (a sink, like the text and JSON writers)."""
from __future__ import annotations

from datetime import datetime, timezone

from ..model import Conversation, Finding
from .base import ResultStore, ScanResult


class StoreWriter:
    """Records conversations in batches: one short transaction per batch keeps concurrent scans moving."""

    BATCH = 100

    def __init__(self, store: ResultStore, rule_pack: str, scoring, batch: int | None = None):
        self.store = store
        self.rule_pack = rule_pack
        self.scoring = scoring
        self.scanned_at = datetime.now(timezone.utc).replace(microsecond=0)
        self.batch = batch or self.BATCH
        self.pending: list[ScanResult] = []
        self.recorded = 0

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        card = (extra or {}).get("scorecard") or self.scoring.score(conv, findings).to_dict()
        self.pending.append(ScanResult(conv, findings, card, self.rule_pack, self.scoring.fingerprint, self.scanned_at))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.recorded += self.store.record_many(self.pending)
            self.pending = []

    def close(self, summary: dict, header: dict) -> None:
        self.flush()
        record_scan = getattr(self.store, "record_scan", None)
        if record_scan is not None:
            record_scan(self.scanned_at, self.rule_pack, self.scoring.fingerprint, self.recorded)
        self.store.close()
