"""`qa-lint review suppress`: findings the reviewers judged wrong, written into the suppressions file.

An entry names the finding by its words as a reviewer sees them (PII masked), taken from the store's copy of the
transcript; before writing, the entry's fingerprint is checked against the one recorded at scan time, so an
entry written here always suppresses exactly that finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..masking import Masker
from ..fingerprint import fingerprint_of_shown, shown_words
from .stats import WRONG, build_stats
from .suppressions import Suppression, load, merged, write


@dataclass
class Outcome:
    added: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)


def suppress_wrong(store, path: Path, finding_ids: list[str], who: str | None, why: str | None, masker: Masker) -> Outcome:
    outcome = Outcome()
    verdicts = store.verdicts()
    stats = build_stats(verdicts, [])
    if finding_ids:
        targets = []
        for finding_id in dict.fromkeys(finding_ids):
            verdict = stats.findings.get(finding_id)
            if verdict == WRONG:
                targets.append(finding_id)
            else:
                outcome.problems.append(f"finding {finding_id}: " + (
                    "has no verdict in the store" if verdict is None else f"the reviewers' verdict is {verdict}, not wrong"))
    else:
        targets = sorted(i for i, v in stats.findings.items() if v == WRONG)
    existing = load(path)
    wrong = {}
    for v in verdicts:
        if v.finding_id in targets and v.verdict == WRONG:
            wrong.setdefault(v.finding_id, []).append(v)
    refs = store.finding_refs(targets)
    texts = store.transcripts({vs[0].conversation_id for vs in wrong.values()})
    entries = []
    for finding_id in targets:
        judged = wrong[finding_id]
        first = judged[0]
        words = _words(first, refs.get(finding_id), texts.get(first.conversation_id))
        if words is None:
            outcome.problems.append(f"finding {finding_id} ({first.rule} in {first.conversation_id} #{first.message_index}): "
                                    f"its words cannot be taken from the store (it is no longer found there); "
                                    f"add it to {path.name} by hand")
            continue
        notes = "; ".join(dict.fromkeys(v.note for v in judged if v.note)) or (why or "")
        if not notes:
            outcome.problems.append(f"finding {finding_id}: its wrong verdicts carry no note; say why with --why")
            continue
        entries.append(Suppression(first.conversation_id, first.rule, first.message_index, words,
                                   who or ", ".join(sorted({v.reviewer for v in judged})), notes,
                                   max(v.judged_at for v in judged)[:10]))
    entries_all, added = merged(existing, entries)
    outcome.added, outcome.already = added, len(entries) - added
    if added:
        write(path, entries_all)
    return outcome


def _words(verdict, ref, transcript) -> str | None:
    """The matched words, masked, whose fingerprint is the one recorded at scan time (None if none fits)."""
    candidates = [""]
    if ref is not None and transcript is not None and ref.start is not None and ref.end is not None \
            and 0 <= ref.message_index < len(transcript.messages):
        candidates.insert(0, Masker().mask(transcript.messages[ref.message_index].text[ref.start:ref.end]))
    for words in candidates:
        if fingerprint_of_shown(verdict.rule, verdict.conversation_id, verdict.message_index, shown_words(words)) == verdict.fingerprint:
            return words
    return None
