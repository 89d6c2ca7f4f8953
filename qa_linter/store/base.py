"""The results store interface: what a scan records and what reports read back.

Everything outside qa_linter/store talks to a `ResultStore`; only `open_store` (store/__init__.py) knows which
implementation a location means (today a SQLite file; a server database such as PostgreSQL via SQLAlchemy would be a
second module behind the same protocol, chosen by a URL scheme).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Protocol

from ..errors import QALinterError
from ..model import Conversation, Finding


class StoreError(QALinterError):
    """The store cannot be opened, read or written; the message names the store and what to do."""


@dataclass(frozen=True)
class ScanResult:
    """One scanned conversation as a scan hands it to the store."""

    conversation: Conversation
    findings: list[Finding]
    scorecard: dict  # ScoreCard.to_dict()
    rule_pack: str  # RulePack.fingerprint
    scoring_model: str  # ScoringModel.fingerprint
    scanned_at: datetime


@dataclass(frozen=True)
class StoredFinding:
    rule: str
    category: str
    severity: str
    message_index: int
    start: int | None
    end: int | None
    excerpt: str  # masked, one line
    message: str  # masked
    finding_id: str | None = None  # stable (qa_linter/fingerprint.py); None for findings recorded before schema 2


@dataclass(frozen=True)
class StoredConversation:
    id: str
    channel: str
    agent: str | None
    team: str | None
    started_at: datetime | None
    messages: int
    agent_messages: int
    score: float | None
    passed: bool | None
    auto_fail: tuple[str, ...]  # reasons
    sections: tuple[dict, ...]  # the scorecard's section breakdown
    rule_pack: str
    scoring_model: str
    scanned_at: datetime
    findings: tuple[StoredFinding, ...] = field(default=())


class ResultStore(Protocol):
    """Where scans record results and reports read them. Implementations are safe for concurrent writers."""

    location: str

    def record_many(self, results: Iterable[ScanResult]) -> int:
        """Record results in one transaction; a conversation recorded before is replaced. Returns the count."""

    def conversations(self, since: datetime, until: datetime) -> list[StoredConversation]:
        """Conversations whose start time may fall in [since, until) (aware datetimes), with their findings.

        Conversations recorded without a UTC offset are returned when they could fall in the range in any
        time zone; the caller places them in its own zone.
        """

    def count(self, undated: bool = False) -> int:
        """How many conversations the store holds (`undated`: only those without a start time)."""

    def close(self) -> None:
        ...
