"""The findings as table rows: what the CSV and xlsx outputs (`scan --format csv|xlsx`) write, one row a finding.

Both formats take their columns and values from here, so a spreadsheet made from either has the same columns in
the same order. A cell is data, never a formula: `csv_cell` gives a text that starts like one (= + - @, or a tab
or carriage return before it) a leading `'` (OWASP "CSV injection"); the xlsx writer stores every text as a
string cell instead, which Excel never evaluates, so there the text stays exactly as it was.
"""
from __future__ import annotations

from ..model import Conversation, Finding
from .excerpt import excerpt, spreadsheet_safe

# conversation, who, which rule, how bad, what was said, how to say it better, where it was read
COLUMNS = ("conversation_id", "agent", "team", "channel", "message_index", "role", "rule", "category", "severity",
           "message", "excerpt", "text", "suggestion", "manual", "location", "score")

# The matched words inside the excerpt, as the review sheet marks them.
EXCERPT_MARKS = ("【", "】")


def finding_rows(conv: Conversation | None, findings: list[Finding], extra=None) -> list[list]:
    """One row per finding, in COLUMNS order (None where a value is unknown)."""
    if not findings:
        return []
    messages = conv.messages if conv is not None else ()
    score = extra.get("score") if extra else None
    rows = []
    for f in findings:
        if 0 <= f.message_index < len(messages):
            before, hit, after = excerpt(messages[f.message_index].text, f)
            shown = f"{before}{EXCERPT_MARKS[0]}{hit}{EXCERPT_MARKS[1]}{after}" if hit else before
        else:
            shown = None
        rows.append([
            f.conversation_id,
            conv.agent if conv is not None else None,
            conv.team if conv is not None else None,
            conv.channel if conv is not None else None,
            f.message_index,
            f.role,
            f.rule,
            f.category,
            str(f.severity),
            f.message,
            shown,
            f.text,
            f.suggestion,
            f.manual,
            conv.source if conv is not None else None,
            score,
        ])
    return rows


def csv_cell(value):
    """A CSV cell: empty for None, a formula-like text made inert with a leading '."""
    return "" if value is None else spreadsheet_safe(value)
