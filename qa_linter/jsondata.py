"""JSON from outside — transcript files, the service's request bodies, `check --context`, label files — decoded
one way, so that hostile JSON is one clear problem wherever it arrives.

`json.loads` alone lets valid-looking JSON through as exceptions that nobody expects from it:

- nesting thousands deep (`[[[[…`) raises RecursionError (the decoder recurses once per level);
- an integer of more than 4,300 digits raises a plain ValueError: Python refuses to convert such a number
  (its guard against quadratic-time conversions), and JSON has no size limit on numbers.

Both become JsonProblem here, with the line and column where that can be told.

And one that decodes without complaint: an escaped lone surrogate (`"\ud800"`, half of a UTF-16 pair) becomes
a Python string that no UTF-8 output can write, so the text, JSON and HTML outputs and the results store
would fail on it far from where it came in. Every such code point is replaced by U+FFFD (�) as the JSON is
read (`without_surrogates` does the same for file names and command-line text), so the rest of qa-linter
only ever sees text it can write. A valid pair (an emoji written as `\ud83d\ude00`) is one character and
stays as it is.
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


REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A lone surrogate can only come out of json.loads through an escape (UTF-8 text cannot hold one): texts
# without such an escape (nearly all) are not walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]|\\u[dD][c-fC-F]")


def without_surrogates(text: str) -> str:
    """`text` with every lone surrogate (from a bad escape, or bytes a file name could not decode) as U+FFFD."""
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


def loads(text: str) -> Any:
    """The value of the JSON document `text`, lone surrogates replaced; raises JsonProblem for anything that is
    not usable JSON."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno, syntax=True) from None
    except RecursionError:
        raise JsonProblem(TOO_DEEP) from None
    except ValueError as exc:  # not a syntax error: a number Python will not convert
        raise _long_number(text) or JsonProblem(f"invalid JSON: {exc}") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        value = _replace_surrogates(value)
    return value


def _replace_surrogates(value: Any) -> Any:
    """`value` (fresh from json.loads) with lone surrogates replaced in every string, keys included; in place
    and without recursion, since the document may be nested as deep as the decoder allows."""
    if isinstance(value, str):
        return without_surrogates(value)
    stack = [value] if isinstance(value, (list, dict)) else []
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, str):
                    node[i] = without_surrogates(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
        else:
            items = list(node.items())
            if any(_LONE_SURROGATE.search(key) for key, _ in items):
                node.clear()
                node.update((without_surrogates(key), item) for key, item in items)
                items = list(node.items())
            for key, item in items:
                if isinstance(item, str):
                    node[key] = without_surrogates(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
    return value


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
