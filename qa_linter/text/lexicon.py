"""Lexicon files: one term a line, `term<TAB>suggestion<TAB>note`, `#` comments.

Lexicons are the data QA staff edit most, so a bad line names its file and line and is skipped; the
rest of the list still loads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..errors import RuleError


class Term(NamedTuple):
    """One entry of a list. (A named tuple: the built-in pack reads 25,000 of them at every start, 21,000 from the
    audience model's weights, and a frozen dataclass set each field through object.__setattr__: 29 ms of them.)"""

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
    where = str(path)
    for lineno, line in enumerate(content.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] == "#":
            continue
        fields = line.split("\t")  # splitlines has taken the line's end off
        term = fields[0].strip()
        if len(fields) > 3:
            _report(errors, RuleError(where, lineno, "more than 3 TAB-separated fields (term, suggestion, note)"))
            continue
        if not term:
            _report(errors, RuleError(where, lineno, "empty term before the TAB"))
            continue
        if term in seen:
            continue  # duplicates are harmless; the first entry's suggestion wins
        seen.add(term)
        suggestion = note = None
        if len(fields) > 1:
            suggestion = fields[1].strip() or None
            if len(fields) > 2:
                note = fields[2].strip() or None
        terms.append(Term(term, suggestion, note, f"{where}:{lineno}"))
    return Lexicon(path.stem, where, tuple(terms))


def _report(errors: list[RuleError] | None, error: RuleError) -> None:
    if errors is None:
        raise error
    errors.append(error)
