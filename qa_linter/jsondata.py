"""JSON from outside — transcript files, the service's request bodies, `check --context`, label files — decoded
one way, so that hostile JSON is one clear problem wherever it arrives.

`json.loads` alone lets valid-looking JSON through as exceptions that nobody expects from it:

- nesting thousands deep (`[[[[…`) raises RecursionError (the decoder recurses once per level);
- an integer of more than 4,300 digits raises a plain ValueError: Python refuses to convert such a number
  (its guard against quadratic-time conversions), and JSON has no size limit on numbers.

Both become JsonProblem here, with the line and column where that can be told.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any

TOO_DEEP = "invalid JSON: nested too deeply (thousands of [ or {); a conversation is an object with a list of messages"


class JsonProblem(ValueError):
    """JSON that cannot be used; `reason` says why, `line`/`column` (1-based) where, when known."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None, syntax: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column
        self.syntax = syntax  # not JSON at all (rather than JSON too deep or with a number too long)

    def with_column(self) -> str:
        """The reason, with "(column N)" when the column is known (for one-line records)."""
        return f"{self.reason} (column {self.column})" if self.column is not None else self.reason


def loads(text: str) -> Any:
    """The value of the JSON document `text`; raises JsonProblem for anything that is not usable JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno, syntax=True) from None
    except RecursionError:
        raise JsonProblem(TOO_DEEP) from None
    except ValueError as exc:  # not a syntax error: a number Python will not convert
        raise _long_number(text) or JsonProblem(f"invalid JSON: {exc}") from None


def _long_number(text: str) -> JsonProblem | None:
    """Where the number too long to convert is, as a JsonProblem."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
    m = re.search(r"\d{%d,}" % (limit + 1), text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return JsonProblem(
        f"invalid JSON: a number with {len(m.group(0)):,} digits (at most {limit:,} can be read); "
        "write such a value as a string", line, column,
    )
