"""The excerpt of a message shown around a finding, for terminal and report output.

Budgets are in terminal cells, not characters: a Chinese character takes two cells, so an excerpt of a
Chinese message fits an 80-column terminal on one line.
"""
from __future__ import annotations

import re

from rich.cells import cell_len

from ..model import Finding

BEFORE_CELLS = 28
TOTAL_CELLS = 72


# Control characters (C0, DEL, C1) in a transcript, an id or a file name would reach the terminal as they are:
# escape sequences that clear the screen, retitle the window, fake output or write the clipboard (OSC 52; a C1
# CSI U+009B starts one on its own). Bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE, the isolates, the marks)
# reorder what follows them on the line, so an excerpt or a name could show other text than it holds ("Trojan
# Source"). C0 and DEL are shown as their Unicode control pictures (ESC as ␛); C1 and bidi controls, which have
# none, as U+FFFD (�); one character for one, so offsets stay valid.
BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROL_PICTURES = (
    {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}
    | {c: 0xFFFD for c in BIDI_CONTROLS}
)


_CONTROL_PICTURES_BUT_LINES = {c: p for c, p in _CONTROL_PICTURES.items() if chr(c) not in "\n\t"}


def terminal_safe(text: str, lines: bool = False) -> str:
    """`text` with every control character made visible and harmless; same length, so offsets stay valid.

    With `lines`, line breaks and tabs stay (a multi-line text of our own that quotes data)."""
    return text.translate(_CONTROL_PICTURES_BUT_LINES if lines else _CONTROL_PICTURES)


# JSON output keeps the data exactly, but a terminal (or a `cat` of the file) would act on C1 and bidi controls
# written as themselves: the JSON encoder escapes only C0, so these are written as \uXXXX escapes too (the same
# JSON value once decoded).
# A text cell that starts like a formula (=HYPERLINK(…), +cmd, @SUM) is run by Excel when a CSV is opened; names and
# excerpts come from transcripts, so such a cell gets a leading ' (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """`value`, with a leading ' when it is a text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_JSON_UNSAFE = re.compile("[\x7f-\x9f" + "".join(chr(c) for c in BIDI_CONTROLS) + "]")


def json_safe(encoded: str) -> str:
    """Encoded JSON with C1, DEL and bidi controls written as \\u escapes (they can only be inside strings)."""
    if not _JSON_UNSAFE.search(encoded):
        return encoded
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded)


def _flat(text: str) -> str:
    # One character for one character, so offsets stay valid: line breaks become ⏎, tabs spaces.
    return terminal_safe(text.replace("\r", "⏎").replace("\n", "⏎").replace("\t", " "))


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


# XML 1.0 cannot hold C0 controls other than tab and line breaks (a parser rejects the whole file, openpyxl the
# cell), and a transcript may hold one: the xlsx and JUnit outputs show each as its Unicode control picture, one
# character for one.
_XML_ILLEGAL = {c: 0x2400 + c for c in range(0x20) if chr(c) not in "\t\n\r"} | {0xFFFE: 0xFFFD, 0xFFFF: 0xFFFD}


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return text.translate(_XML_ILLEGAL)
