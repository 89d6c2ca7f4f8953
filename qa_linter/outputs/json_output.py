"""JSON (one document) and JSON Lines (one finding a line) output."""
from __future__ import annotations

import json
from typing import IO

from ..model import Conversation, Finding


def conversation_record(conv: Conversation, findings: list[Finding]) -> dict:
    start = conv.start_time
    return {
        "id": conv.id,
        "channel": conv.channel,
        "agent": conv.agent,
        "team": conv.team,
        "started_at": start.isoformat() if start else None,
        "messages": len(conv.messages),
        "findings": len(findings),
        "source": conv.source,
    }


class JsonWriter:
    """Collects everything and writes one JSON document at the end (the format tools read whole)."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.conversations: list[dict] = []
        self.findings: list[dict] = []

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        record = conversation_record(conv, findings)
        if extra:
            record.update(extra)
        self.conversations.append(record)
        self.findings.extend(f.to_dict() for f in findings)

    def close(self, summary: dict, header: dict) -> None:
        doc = {**header, "summary": summary, "conversations": self.conversations, "findings": self.findings}
        json.dump(doc, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")


# One encoder for every line: json.dumps with an option builds a new encoder on each call, which a stream of
# hundreds of thousands of findings notices.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class JsonLinesWriter:
    """One finding per line, streamed as conversations are scanned."""

    needs_conversation = False  # a finding carries all it prints; `scan --jobs` then passes None

    def __init__(self, out: IO[str]):
        self.out = out

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        if findings:
            self.out.write("".join(_ENCODE(f.to_dict()) + "\n" for f in findings))

    def close(self, summary: dict, header: dict) -> None:
        self.out.flush()
