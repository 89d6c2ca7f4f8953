"""qa-linter-suppressions.yaml: findings reviewers judged wrong, hidden from `scan` and from scores.

Each entry names one finding by what a person can check — conversation, rule, message index and the matched
words (PII masked, as the review sheet shows them) — plus who suppressed it, why and when. The fingerprint
(qa_linter/fingerprint.py) is computed from those fields, so an entry written by hand works the same as one
written by `qa-lint review suppress`, and a finding stays suppressed through re-scans as long as the same rule
flags the same words in the same message. Loading checks every entry and reports each mistake with file:line.

Where the file is: the `suppressions` setting, else qa-linter-suppressions.yaml next to the configuration file,
else in the current folder. `scan --no-suppress` ignores it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

from ..errors import RuleError, SuppressionError
from ..fingerprint import fingerprint_of_shown, finding_fingerprint, shown_words

FILE_NAME = "qa-linter-suppressions.yaml"
FIELDS = ("conversation", "rule", "message_index", "text", "who", "why", "when")
HEADER = """\
# Findings judged wrong in review and hidden from qa-lint scan and from scores (docs/review.md).
# One entry per finding: conversation, rule, message_index and the matched words (text, PII masked) name it;
# who / why / when say who decided it, why, and when. Delete an entry to show the finding again.
"""


@dataclass(frozen=True)
class Suppression:
    conversation: str
    rule: str
    message_index: int
    text: str  # the matched words as shown (PII masked); "" for a finding about something missing
    who: str
    why: str
    when: str
    line: int | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_shown(self.rule, self.conversation, self.message_index, shown_words(self.text))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in FIELDS}


class Suppressions:
    """The loaded file: filters findings of a scan and counts what it hid."""

    def __init__(self, entries: list[Suppression], path: Path | None = None):
        self.entries = entries
        self.path = path
        self._fingerprints = {e.fingerprint for e in entries}
        self._conversations = {e.conversation for e in entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, fingerprint: str) -> bool:
        return fingerprint in self._fingerprints

    def filter(self, findings: list) -> list:
        """`findings` without the suppressed ones (only findings of a listed conversation are fingerprinted)."""
        if not any(f.conversation_id in self._conversations for f in findings):
            return findings
        return [f for f in findings if f.conversation_id not in self._conversations
                or finding_fingerprint(f) not in self._fingerprints]


# -- finding and reading the file ---------------------------------------------------------------------------------
def suppressions_path(config, explicit: str | Path | None = None) -> Path:
    """--suppressions, else the `suppressions` setting, else the file next to the config, else in the current folder."""
    if explicit:
        return Path(explicit)
    if config is not None and config.get("suppressions"):
        return config.paths("suppressions")[0]
    base = config.path.parent if config is not None and config.path is not None else Path.cwd()
    return base / FILE_NAME


def load_for_scan(config, explicit: str | Path | None = None) -> Suppressions | None:
    """The suppressions a scan applies: None when there is no file (a named file that is missing is an error)."""
    path = suppressions_path(config, explicit)
    named = bool(explicit) or (config is not None and bool(config.get("suppressions")))
    if not path.is_file():
        if named:
            raise SuppressionError([RuleError(str(path), None, "suppressions file not found")])
        return None
    suppressions = load(path)
    return suppressions if len(suppressions) else None


def load(path: Path) -> Suppressions:
    from ..yamlfile import line_of, load_yaml

    if not path.is_file():
        return Suppressions([], path)
    try:
        data = load_yaml(path)
    except RuleError as exc:
        raise SuppressionError([exc]) from None
    errors: list[RuleError] = []
    if data is None:
        return Suppressions([], path)
    if not isinstance(data, dict) or set(data) - {"suppressions"}:
        raise SuppressionError([RuleError(str(path), line_of(data), "the file must be a mapping with one key, suppressions: (a list)")])
    items = data.get("suppressions") or []
    if not isinstance(items, list):
        raise SuppressionError([RuleError(str(path), line_of(data, "suppressions"), "suppressions: must be a list of entries")])
    lines = getattr(items, "item_lines", [])
    entries = []
    for position, item in enumerate(items):
        line = lines[position] if position < len(lines) else None
        entry = _entry(item, line, str(path), errors)
        if entry is not None:
            entries.append(entry)
    if errors:
        raise SuppressionError(errors)
    return Suppressions(entries, path)


def _entry(item, line: int | None, path: str, errors: list[RuleError]) -> Suppression | None:
    if not isinstance(item, dict):
        errors.append(RuleError(path, line, f"an entry must be a mapping with {', '.join(FIELDS)}"))
        return None
    before = len(errors)
    for key in item:
        if key not in FIELDS:
            errors.append(RuleError(path, line, f"unknown field {key!r}; an entry has {', '.join(FIELDS)}"))
    for key in ("conversation", "rule", "who", "why"):
        value = item.get(key)
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            errors.append(RuleError(path, line, f"{key} is missing or empty (say {_PURPOSE[key]})"))
    index = item.get("message_index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        errors.append(RuleError(path, line, f"message_index must be a whole number of 0 or more, not {index!r}"))
    text = item.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, (str, int)):
        errors.append(RuleError(path, line, "text must be the matched words (\"\" for a finding about something missing)"))
    when = item.get("when")
    if not isinstance(when, (date, datetime)) and not (isinstance(when, str) and when.strip()):
        errors.append(RuleError(path, line, "when is missing (the date it was decided, e.g. 2026-11-30)"))
    if len(errors) > before:
        return None
    return Suppression(str(item["conversation"]).strip(), str(item["rule"]).strip(), index, str(text),
                       str(item["who"]).strip(), str(item["why"]).strip(), str(when).strip(), line)


_PURPOSE = {"conversation": "which conversation", "rule": "which rule", "who": "who decided it",
            "why": "why the finding is wrong"}


# -- writing ------------------------------------------------------------------------------------------------------
def write(path: Path, entries: Iterable[Suppression]) -> None:
    """The whole file, entries in a stable order (conversation, message, rule), written whole or not at all."""
    import yaml

    from ..outputs.html_common import atomic_write_text

    ordered = sorted(entries, key=lambda e: (e.conversation, e.message_index, e.rule, e.text))
    body = yaml.safe_dump({"suppressions": [e.to_dict() for e in ordered]}, allow_unicode=True, sort_keys=False,
                          width=1000, default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, HEADER + body)


def merged(existing: Suppressions, new: Iterable[Suppression]) -> tuple[list[Suppression], int]:
    """Existing entries plus the new ones not already there; (entries, how many were added)."""
    entries = list(existing.entries)
    seen = {e.fingerprint for e in entries}
    added = 0
    for entry in new:
        if entry.fingerprint not in seen:
            seen.add(entry.fingerprint)
            entries.append(entry)
            added += 1
    return entries, added
