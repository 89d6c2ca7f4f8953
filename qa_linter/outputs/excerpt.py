"""The excerpt of a message shown around a finding, for terminal and report output."""
from __future__ import annotations

from ..model import Finding


def excerpt(text: str, finding: Finding, width: int = 28) -> tuple[str, str, str]:
    """(before, matched, after) around the finding, shortened with … and on one line."""
    flat = text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    # Replacing \r\n with one character shifts offsets after it; recompute them on the flat text.
    if finding.start is None or finding.end is None:
        return _cut_end(flat, width * 2), "", ""
    shift_start = text.count("\r\n", 0, finding.start)
    shift_end = text.count("\r\n", 0, finding.end)
    start, end = finding.start - shift_start, finding.end - shift_end
    before, match, after = flat[:start], flat[start:end], flat[end:]
    if len(before) > width:
        before = "…" + before[-width:]
    return before, match, _cut_end(after, width)


def _cut_end(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "…"
