"""Lexicon files: one term a line, `term<TAB>suggestion<TAB>note`, `#` comments.

Lexicons are the data QA staff edit most, so a bad line names its file and line and is skipped; the
rest of the list still loads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import RuleError


@dataclass(frozen=True)
class Term:
    text: str  # as written in the list or rule
    suggestion: str | None = None
    note: str | None = None
    source: str | None = None  # "file:line" for lexicon entries


@dataclass(frozen=True)
class Lexicon:
    name: str
    path: str
    terms: tuple[Term, ...]


def read_lexicon(path: Path, errors: list[RuleError] | None = None) -> Lexicon:
    terms: list[Term] = []
    seen: set[str] = set()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(str(path), None, f"cannot read lexicon: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleError(str(path), None, f"lexicon is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        term = fields[0].strip()
        if len(fields) > 3:
            _report(errors, RuleError(str(path), lineno, "more than 3 TAB-separated fields (term, suggestion, note)"))
            continue
        if not term:
            _report(errors, RuleError(str(path), lineno, "empty term before the TAB"))
            continue
        if term in seen:
            continue  # duplicates are harmless; the first entry's suggestion wins
        seen.add(term)
        suggestion = fields[1].strip() if len(fields) > 1 and fields[1].strip() else None
        note = fields[2].strip() if len(fields) > 2 and fields[2].strip() else None
        terms.append(Term(term, suggestion, note, f"{path}:{lineno}"))
    return Lexicon(path.stem, str(path), tuple(terms))


def _report(errors: list[RuleError] | None, error: RuleError) -> None:
    if errors is None:
        raise error
    errors.append(error)
