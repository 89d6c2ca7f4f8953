"""The records every part of qa-linter shares: conversations, messages, findings, problems."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from .vocabulary import Severity

__all__ = ["Conversation", "Finding", "InputProblem", "Message", "Severity", "TIME_RANGE", "out_of_range", "time_in_range"]

# The times qa-linter accepts. Whatever it stores or reports is moved between time zones (up to 14 hours) and
# compared with the week before, and Python's datetime cannot go below year 1 or past year 9999: a time at the
# very ends of its range (0001-01-01T00:00:00+14:00) would fail far from where it was read. Such a time is an
# input error, reported with the record.
EARLIEST_TIME = datetime(1, 1, 2)
LATEST_TIME = datetime(9999, 12, 30)
TIME_RANGE = "0001-01-02 to 9999-12-29"


def time_in_range(moment: datetime) -> bool:
    """Whether `moment` (aware or not) lies within EARLIEST_TIME..LATEST_TIME, both as written and in UTC."""
    if not EARLIEST_TIME <= moment.replace(tzinfo=None) < LATEST_TIME:
        return False
    if moment.tzinfo is None:
        return True
    try:
        utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return False
    return EARLIEST_TIME <= utc < LATEST_TIME


def out_of_range(text: object) -> str:
    """The reason given for a time outside TIME_RANGE."""
    return f"{text!r} is outside the dates qa-linter works with ({TIME_RANGE})"


class Message(NamedTuple):
    """One message of a conversation. (A named tuple: read by the hundred thousand, it is built several
    times faster than a frozen dataclass, and is as immutable.)"""

    index: int
    role: str
    text: str
    ts: datetime | None = None


@dataclass
class Conversation:
    id: str
    messages: list[Message]
    channel: str = "chat"
    agent: str | None = None
    team: str | None = None
    started_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Where it was read from, for error messages and reports: "file:line".
    source: str | None = None
    # The line of each message in `source`'s file, where the format gives each message a line of its own (chat
    # logs, CSV/TSV/Excel rows), so an output can point at the message; None elsewhere (one JSON Lines record).
    # Not part of what a conversation is: two conversations read from different places are still equal.
    message_lines: tuple[int, ...] | None = field(default=None, compare=False, repr=False)

    def message_location(self, index: int) -> str | None:
        """"file:line" of message `index` when the input gives it one, else None."""
        lines = self.message_lines
        path = self.location[0]
        if not lines or path is None or not 0 <= index < len(lines):
            return None
        return f"{path}:{lines[index]}"

    @property
    def location(self) -> tuple[str | None, int | None]:
        """`source` as (path, line): the file and the line the conversation starts at (its first row, its first
        mail, its header line); the line is None where the input has none (stdin's is its line too)."""
        return split_location(self.source)

    @property
    def partial(self) -> object:
        """meta.partial as written (None when absent): which ends are cut, see vocabulary.partial_ends."""
        return self.meta.get("partial") if self.meta else None

    def agent_messages(self) -> list[Message]:
        return [m for m in self.messages if m.role == "agent"]

    @property
    def start_time(self) -> datetime | None:
        if self.started_at is not None:
            return self.started_at
        return next((m.ts for m in self.messages if m.ts is not None), None)


def split_location(source: str | None) -> tuple[str | None, int | None]:
    """"path:12" as ("path", 12), and "path:12[3]" (the fourth conversation of a JSON array on line 12) too; a
    source without a line number (or None) keeps its whole text as the path."""
    if not source:
        return None, None
    place = source[: source.rindex("[")] if source.endswith("]") and "[" in source else source
    path, sep, line = place.rpartition(":")
    if sep and path and line.isdigit():
        return path, int(line)
    return source, None


@dataclass(frozen=True)
class Finding:
    """One broken standard at one place. Every output renders these and nothing else."""

    conversation_id: str
    message_index: int
    role: str
    rule: str
    category: str
    severity: Severity
    message: str
    start: int | None = None  # character offsets in the original message text
    end: int | None = None
    text: str | None = None  # the original text between start and end
    suggestion: str | None = None
    manual: str | None = None

    def sort_key(self) -> tuple:
        return (self.message_index, self.start if self.start is not None else -1, self.rule)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "message_index": self.message_index,
            "role": self.role,
            "rule": self.rule,
            "category": self.category,
            "severity": str(self.severity),
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "suggestion": self.suggestion,
            "manual": self.manual,
        }


@dataclass(frozen=True)
class InputProblem:
    """A record that could not be read: reported with its place, skipped, counted."""

    source: str  # file path or "<stdin>"
    line: int | None
    reason: str

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason}
