"""The excerpt of a message shown around a finding, for terminal and report output.

Budgets are in terminal cells, not characters: a Chinese character takes two cells, so an excerpt of a
Chinese message fits an 80-column terminal on one line.
"""
from __future__ import annotations

from rich.cells import cell_len

from ..model import Finding

BEFORE_CELLS = 28
TOTAL_CELLS = 72


def _flat(text: str) -> str:
    # One character for one character, so offsets stay valid: line breaks become ⏎, tabs spaces.
    return text.replace("\r", "⏎").replace("\n", "⏎").replace("\t", " ")


def _take_end(text: str, cells: int) -> str:
    """The longest tail of `text` that fits in `cells`, with … when cut."""
    if cell_len(text) <= cells:
        return text
    out, used = [], 1
    for ch in reversed(text):
        used += cell_len(ch)
        if used > cells:
            break
        out.append(ch)
    return "…" + "".join(reversed(out))


def _take_start(text: str, cells: int) -> str:
    if cell_len(text) <= cells:
        return text
    out, used = [], 1
    for ch in text:
        used += cell_len(ch)
        if used > cells:
            break
        out.append(ch)
    return "".join(out) + "…"


def excerpt(text: str, finding: Finding, total: int = TOTAL_CELLS) -> tuple[str, str, str]:
    """(before, matched, after) around the finding, on one line, within about `total` cells."""
    flat = _flat(text)
    if finding.start is None or finding.end is None:
        return _take_start(flat, total), "", ""
    before, match, after = flat[: finding.start], flat[finding.start : finding.end], flat[finding.end :]
    before = _take_end(before, BEFORE_CELLS)
    match = _take_start(match, max(8, total - cell_len(before) - 4))
    after = _take_start(after, max(0, total - cell_len(before) - cell_len(match) - 2))
    return before, match, after
