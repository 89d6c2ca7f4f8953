"""`qa-lint review import`: filled review sheets into the store's verdicts.

Every row is checked on its own; a bad row is reported as file:row: reason and the others are imported.
A row without a verdict is not judged yet and is left alone. A verdict belongs to (finding, reviewer): the
same sheet imported again changes nothing, a later round with another verdict replaces that reviewer's
earlier one (sheets are imported in the order given).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..vocabulary import CATEGORIES
from ..store.review_tables import StoredMiss, StoredVerdict
from .sheet_io import SheetError, read_sheet

# What reviewers type besides the listed values (a CSV has no drop-down).
SYNONYMS = {"correct": "correct", "right": "correct", "正确": "correct", "wrong": "wrong", "误报": "wrong",
            "错误": "wrong", "missed": "missed", "miss": "missed", "漏检": "missed"}


@dataclass
class ImportResult:
    verdicts: int = 0
    misses: int = 0
    not_judged: int = 0  # rows left without a verdict
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "changed": 0, "unchanged": 0})


@dataclass
class _Row:
    where: str
    verdict: str
    reviewer: str
    finding_id: str
    conversation_id: str
    category: str
    message_index: str
    note: str


def import_sheets(store, paths: Iterable[Path], default_reviewer: str | None = None,
                  now: datetime | None = None) -> ImportResult:
    result = ImportResult()
    rows: list[_Row] = []
    for path in paths:
        path = Path(path)
        try:
            for number, cells in read_sheet(path):
                row = _parse(f"{path}:{number}", cells, default_reviewer, result)
                if row is not None:
                    rows.append(row)
        except SheetError as exc:
            result.errors.append(str(exc))
    judged_at = (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()
    refs = store.finding_refs(r.finding_id for r in rows if r.verdict != "missed")
    sizes = store.conversation_sizes(r.conversation_id for r in rows if r.verdict == "missed")
    known = set(CATEGORIES) | set(store.finding_categories())
    verdicts: dict[tuple[str, str], StoredVerdict] = {}
    misses: dict[tuple, StoredMiss] = {}
    for row in rows:
        if row.verdict == "missed":
            miss = _miss(row, sizes, known, judged_at, result)
            if miss is not None:
                misses[(miss.conversation_id, miss.message_index, miss.category, miss.reviewer)] = miss
        else:
            verdict = _verdict(row, refs, judged_at, result)
            if verdict is not None:
                verdicts[(verdict.finding_id, verdict.reviewer)] = verdict
    if verdicts or misses:
        result.counts = store.record_verdicts(list(verdicts.values()), list(misses.values()))
    result.verdicts, result.misses = len(verdicts), len(misses)
    return result


def _parse(where: str, cells: dict, default_reviewer: str | None, result: ImportResult) -> _Row | None:
    raw = cells.get("verdict", "").strip()
    if not raw:
        result.not_judged += 1
        return None
    verdict = SYNONYMS.get(raw.lower())
    if verdict is None:
        result.errors.append(f"{where}: verdict {raw!r} is not correct, wrong or missed")
        return None
    reviewer = cells.get("reviewer", "").strip() or (default_reviewer or "")
    if not reviewer:
        result.errors.append(f"{where}: reviewer is empty; fill it in or give --reviewer NAME")
        return None
    return _Row(where, verdict, reviewer, cells.get("finding_id", "").strip(), cells.get("conversation_id", "").strip(),
                cells.get("category", "").strip(), cells.get("message_index", "").strip(), cells.get("note", "").strip())


def _verdict(row: _Row, refs: dict, judged_at: str, result: ImportResult) -> StoredVerdict | None:
    if not row.finding_id:
        result.errors.append(f"{row.where}: {row.verdict} needs the finding_id of a finding row "
                             f"(missed is for the conversation's own row)")
        return None
    ref = refs.get(row.finding_id)
    if ref is None:
        result.errors.append(f"{row.where}: unknown finding id {row.finding_id!r}: not in this store (a sheet from "
                             f"another store, or the conversation was re-scanned and the finding is gone)")
        return None
    if row.conversation_id and row.conversation_id != ref.conversation_id:
        result.errors.append(f"{row.where}: finding {row.finding_id} belongs to conversation {ref.conversation_id!r}, "
                             f"not {row.conversation_id!r}")
        return None
    return StoredVerdict(ref.finding_id, row.reviewer, ref.conversation_id, ref.message_index, ref.rule, ref.category,
                         ref.fingerprint, row.verdict, row.note, judged_at, row.where)


def _miss(row: _Row, sizes: dict[str, int], known: set[str], judged_at: str, result: ImportResult) -> StoredMiss | None:
    problems = []
    if row.finding_id:
        problems.append("missed goes on the conversation's own row (empty finding_id), not on a finding; "
                        "copy that row for each miss")
    if not row.conversation_id:
        problems.append("conversation_id is empty")
    elif row.conversation_id not in sizes:
        problems.append(f"unknown conversation {row.conversation_id!r}: not in this store")
    if not row.category:
        problems.append("category is empty: which kind of problem was missed?")
    elif row.category not in known:
        close = difflib.get_close_matches(row.category, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(f"unknown category {row.category!r}{hint} (the categories of the built-in rules and of "
                        f"the findings in the store are known)")
    index = _index(row.message_index)
    if index is None:
        problems.append(f"message_index {row.message_index!r} must be a message number (0, 1, …) of the conversation")
    elif row.conversation_id in sizes and not 0 <= index < sizes[row.conversation_id]:
        problems.append(f"message_index {index} is outside the conversation (messages 0–{sizes[row.conversation_id] - 1})")
    if problems:
        result.errors.extend(f"{row.where}: {p}" for p in problems)
        return None
    return StoredMiss(row.conversation_id, index, row.category, row.reviewer, row.note, judged_at, row.where)


def _index(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None
