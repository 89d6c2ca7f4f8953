"""`scan --format sarif`: SARIF 2.1.0, the static-analysis format CI systems and code hosts read.

One run; `tool.driver.rules` lists every loaded rule (its Chinese message, manual section, category and default
level), each result points at its rule by id and index. Where a conversation was read from becomes the
physical location (the file, and the line where the conversation starts when the reader knows it); the
conversation and the message within it are a logical location, since a finding is about a message, not a line
of a file. Levels: error→error, warning→warning, info→note. Each result carries the finding's stable
fingerprint (fingerprint.py), so a CI system tracks the same finding across runs.

The document is written at the end (results are kept until then: SARIF is for CI-sized scans; use JSON Lines
to stream a large one).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO

from ..fingerprint import finding_fingerprint
from ..model import Conversation, Finding
from .excerpt import json_safe

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://github.com/qa-linter/qa-linter"


class SarifWriter:
    def __init__(self, out: IO[str], rules=()):
        self.out = out
        self.rules: list[dict] = []
        self.index: dict[str, int] = {}
        for rule in rules:
            self._add_rule(rule.id, rule.message_template, str(rule.severity), rule.category,
                           rule.manual, rule.description)
        self.results: list[dict] = []
        self.artifacts: dict[str, int] = {}

    def _add_rule(self, rule_id: str, message: str, level: str, category: str, manual=None, description=None) -> int:
        if rule_id in self.index:
            return self.index[rule_id]
        entry = {
            "id": rule_id,
            "name": rule_id,
            # A rule's message is a template ("服务忌语「{match}」…"): the rule list shows it without the placeholders.
            "shortDescription": {"text": _PLACEHOLDER.sub("…", message) if message else rule_id},
            "defaultConfiguration": {"level": LEVELS.get(level, "warning")},
            "properties": {"category": category, "tags": [category] if category else []},
        }
        if description:
            entry["fullDescription"] = {"text": str(description).strip()}
        if manual:
            entry["help"] = {"text": f"服务规范 {manual}"}
        self.index[rule_id] = len(self.rules)
        self.rules.append(entry)
        return self.index[rule_id]

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        for f in findings:
            # A finding of a rule the pack did not list (a rule problem reported as a finding) still gets an entry.
            rule_index = self._add_rule(f.rule, f.message, str(f.severity), f.category, f.manual)
            location: dict = {"logicalLocations": [{
                "name": f"message {f.message_index}",
                "fullyQualifiedName": f"{f.conversation_id}/messages[{f.message_index}]",
                "kind": "member",
            }]}
            physical = self._physical(conv.source if conv is not None else None)
            if physical:
                location["physicalLocation"] = physical
            result = {
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": LEVELS.get(str(f.severity), "warning"),
                "message": {"text": f.message + (f"（建议：{f.suggestion}）" if f.suggestion else "")},
                "locations": [location],
                "partialFingerprints": {"qaLinterFinding/v1": finding_fingerprint(f)},
                "properties": {
                    "conversation_id": f.conversation_id,
                    "message_index": f.message_index,
                    "role": f.role,
                    "category": f.category,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "suggestion": f.suggestion,
                    "agent": conv.agent if conv is not None else None,
                    "team": conv.team if conv is not None else None,
                },
            }
            self.results.append(result)

    def _physical(self, source: str | None) -> dict | None:
        """The file (and line) of "path:line"; None for stdin or an unknown place."""
        if not source or source.startswith("<"):
            return None
        path, sep, line = source.rpartition(":")
        if not (sep and line.isdigit()):
            path, line = source, ""
        uri = _uri(path)
        if uri not in self.artifacts:
            self.artifacts[uri] = len(self.artifacts)
        physical: dict = {"artifactLocation": {"uri": uri, "index": self.artifacts[uri]}}
        if line and int(line) >= 1:
            physical["region"] = {"startLine": int(line)}
        return physical

    def close(self, summary: dict, header: dict) -> None:
        run = {
            "tool": {"driver": {
                "name": "qa-linter",
                "version": str(header.get("version", "")),
                "semanticVersion": str(header.get("version", "")),
                "informationUri": INFORMATION_URI,
                "rules": self.rules,
                "properties": {"rule_pack": header.get("rule_pack"), "scorecard": header.get("scorecard")},
            }},
            "artifacts": [{"location": {"uri": uri}} for uri in self.artifacts],
            "results": self.results,
            "columnKind": "unicodeCodePoints",
            "properties": {"summary": {k: summary.get(k) for k in ("conversations", "messages", "findings", "skipped",
                                                                     "suppressed")}},
        }
        document = {"$schema": SCHEMA, "version": VERSION, "runs": [run]}
        self.out.write(json_safe(json.dumps(document, ensure_ascii=False, indent=2)))
        self.out.write("\n")
        self.out.flush()


def _uri(path: str) -> str:
    """A relative path as a relative URI (forward slashes, as SARIF viewers resolve it against the checkout); an
    absolute one as a file: URI."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    from urllib.parse import quote

    return quote(p.as_posix(), safe="/")
