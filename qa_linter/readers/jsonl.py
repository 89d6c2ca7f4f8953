"""Canonical JSON Lines (one conversation a line), or a single JSON object or array of them.

JSON Lines is streamed: memory holds one line at a time. A file whose first line is not a complete JSON
value is tried as one JSON document (a pretty-printed object or an array), as long as it is not huge.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator, NamedTuple

from ..canonical import InvalidTranscript, conversation_from_dict
from ..jsondata import JsonProblem, loads
from ..model import Conversation, InputProblem

WHOLE_DOCUMENT_LIMIT = 256 * 1024 * 1024  # bytes; beyond this a file must be JSON Lines


class UnparsedLine(NamedTuple):
    """A JSON Lines record split off its file but not parsed yet. `scan --jobs` hands these to its worker
    processes, so the process that reads does not also pay for decoding every conversation. (A named tuple:
    made and pickled by the hundred thousand, it costs a fraction of a dataclass.)"""

    source: str
    lineno: int
    raw: bytes

    def parse(self) -> list["Conversation | InputProblem"]:
        """What reading the line would have given: its conversation(s), or the problem with it."""
        try:
            return list(_read_line(self.raw, self.source, self.lineno))
        except Exception as exc:  # noqa: BLE001 - parsed in a worker, far from the reader's own guard: one record lost, not the batch
            return [InputProblem(self.source, self.lineno, f"could not be read ({type(exc).__name__}: {str(exc)[:200]})")]


def read(stream: BinaryIO, source: str, options=None, defer: bool = False) -> Iterator["Conversation | InputProblem | UnparsedLine"]:
    """Canonical JSON is UTF-8 by definition, so `options` (encoding, columns) do not apply here.

    With `defer`, the lines of a JSON Lines file come out as UnparsedLine (a whole JSON document is
    still parsed here)."""
    line = _deferred_line if defer else _read_line
    lineno, first = 0, b""
    while not first.strip():
        first = stream.readline()
        lineno += 1
        if not first:
            return
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if first.lstrip().startswith(b"[") or not _parses(first):
        rest = stream.read(WHOLE_DOCUMENT_LIMIT)
        if len(rest) < WHOLE_DOCUMENT_LIMIT:
            document = first + rest
            parsed = _parse_document(document)
            if parsed is not None:
                yield from _items(parsed, source, lineno)
                return
            lines = document.splitlines(keepends=True)
            if not any(_is_record(line) for line in lines):
                # Not one line stands alone: a single broken JSON document (pretty-printed), not JSON
                # Lines; report it once, where the parser stopped, rather than once per line.
                yield _document_problem(document, source, lineno)
                return
        else:
            lines = [first, *rest.splitlines(keepends=True)]  # too big for one document: read as lines
        count = 0
        for count, raw in enumerate(lines, 1):
            yield from line(raw, source, lineno + count - 1)
        yield from _stream_lines(stream, source, lineno + count, line)
        return
    yield from _read_line(first, source, lineno)
    yield from _stream_lines(stream, source, lineno + 1, line)


def _stream_lines(stream: BinaryIO, source: str, lineno: int, line) -> Iterator["Conversation | InputProblem | UnparsedLine"]:
    for offset, raw in enumerate(stream):
        yield from line(raw, source, lineno + offset)


def _deferred_line(raw: bytes, source: str, lineno: int) -> Iterator[UnparsedLine]:
    if raw.strip():
        yield UnparsedLine(source, lineno, raw)


# What a line or document that is not usable JSON raises: bad bytes, or jsondata's problems (bad syntax,
# nesting thousands deep, a number too long to convert).
NOT_JSON = (JsonProblem, UnicodeDecodeError)


def _parses(raw: bytes) -> bool:
    try:
        loads(raw.decode("utf-8"))
        return True
    except NOT_JSON:
        return False


def _is_record(raw: bytes) -> bool:
    """Does this line hold a complete JSON object or array on its own (a JSON Lines record)?"""
    if not raw.strip():
        return False
    try:
        return isinstance(loads(raw.decode("utf-8")), (dict, list))
    except NOT_JSON:
        return False


def _document_problem(data: bytes, source: str, first_line: int) -> InputProblem:
    try:
        loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        return InputProblem(source, line, "not valid UTF-8; convert the file to UTF-8")
    except JsonProblem as exc:
        return InputProblem(source, first_line + (exc.line or 1) - 1, exc.with_column())
    return InputProblem(source, first_line, "invalid JSON")


def _parse_document(data: bytes):
    try:
        return loads(data.decode("utf-8"))
    except NOT_JSON:
        return None


def _read_line(raw: bytes, source: str, lineno: int) -> Iterator["Conversation | InputProblem"]:
    if not raw.strip():
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield InputProblem(source, lineno, f"not valid UTF-8 (byte {exc.start} of the line); convert the file to UTF-8")
        return
    try:
        obj = loads(text)
    except JsonProblem as exc:
        yield InputProblem(source, lineno, exc.with_column())
        return
    yield from _items(obj, source, lineno)


def _items(obj, source: str, lineno: int) -> Iterator["Conversation | InputProblem"]:
    items = obj if isinstance(obj, list) else [obj]
    for position, item in enumerate(items):
        label = f"{source}:{lineno}" if len(items) == 1 else f"{source}:{lineno}[{position}]"
        try:
            yield conversation_from_dict(item, label)
        except InvalidTranscript as exc:
            reason = str(exc) if len(items) == 1 else f"item {position}: {exc}"
            yield InputProblem(source, lineno, reason)
