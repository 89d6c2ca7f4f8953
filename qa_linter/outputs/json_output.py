"""JSON (one document) and JSON Lines (one finding a line) output."""
from __future__ import annotations

import json
import shutil
import tempfile
from typing import IO

from ..model import Conversation, Finding
from .excerpt import json_safe


def conversation_record(conv: Conversation, findings: list[Finding]) -> dict:
    start = conv.start_time
    path, line = conv.location
    return {
        "id": conv.id,
        "channel": conv.channel,
        "agent": conv.agent,
        "team": conv.team,
        "started_at": start.isoformat() if start else None,
        "messages": len(conv.messages),
        "findings": len(findings),
        "source": conv.source,
        # `source` split, for tools that open the file at the line (added beside it; `source` stays as it was).
        "path": path,
        "line": line,
    }


# One encoder for every line: json.dumps with an option builds a new encoder on each call, which a stream of
# hundreds of thousands of findings notices.
_ENCODER = json.JSONEncoder(ensure_ascii=False).encode


def _ENCODE(value) -> str:  # noqa: N802 - the encoder's name, kept
    return json_safe(_ENCODER(value))


class JsonWriter:
    """One JSON document: the header, the summary, every conversation, every finding.

    The summary is known only at the end, yet comes first, so conversations and findings wait in temporary
    files (in memory while small) rather than in lists: a scan of any size writes its document with
    bounded memory. Each conversation and finding is one line of the arrays (the C encoder writes them;
    indenting every value through the pure-Python one took most of the time on a large scan).
    """

    SPOOL_IN_MEMORY = 8 * 1024 * 1024  # characters of each part kept in memory before it goes to disk

    def __init__(self, out: IO[str]):
        self.out = out
        self._parts = {"conversations": _Spool(self.SPOOL_IN_MEMORY), "findings": _Spool(self.SPOOL_IN_MEMORY)}

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        record = conversation_record(conv, findings)
        if extra:
            record.update(extra)
        self._parts["conversations"].add(_ENCODE(record))
        spool = self._parts["findings"]
        for f in findings:
            spool.add(_ENCODE(f.to_dict()))

    def close(self, summary: dict, header: dict) -> None:
        out = self.out
        out.write("{\n")
        for key, value in {**header, "summary": summary}.items():
            out.write(f"  {_ENCODE(key)}: {json_safe(json.dumps(value, ensure_ascii=False, indent=2)).replace(chr(10), chr(10) + '  ')},\n")
        for n, (key, spool) in enumerate(self._parts.items()):
            out.write(f"  {_ENCODE(key)}: [")
            spool.copy_to(out)
            out.write("\n  ]" if spool.count else "]")
            out.write(",\n" if n < len(self._parts) - 1 else "\n")
        out.write("}\n")


class _Spool:
    """Encoded records, one a line, in a temporary file that stays in memory until it is large."""

    def __init__(self, in_memory: int):
        self.file = tempfile.SpooledTemporaryFile(max_size=in_memory, mode="w+", encoding="utf-8")
        self.count = 0

    def add(self, encoded: str) -> None:
        self.file.write(("\n    " if self.count == 0 else ",\n    ") + encoded)
        self.count += 1

    def copy_to(self, out: IO[str]) -> None:
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, 1024 * 1024)
        self.file.close()


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
