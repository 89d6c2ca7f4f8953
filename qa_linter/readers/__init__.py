"""Input formats: one module per format, each turning a file into canonical conversations.

A reader is a function `read(stream, source, options=None) -> Iterator[Conversation | InputProblem]`; it
reports a bad record as an InputProblem (file, line, reason) and goes on. `options` (ReaderOptions) carries
what the configuration says about encodings, columns, speakers and support addresses.

`read_paths` walks files, folders and stdin, picks each file's format by extension (or `input_format`, or
by sniffing the content of a file whose extension says nothing), and feeds an optional progress display.
E-mail is the one format whose records join across files (a thread can be spread over many .eml files):
its messages are collected from every e-mail input and its conversations come after the last file.
"""
from __future__ import annotations

import errno
import io
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from ..jsondata import without_surrogates
from ..model import Conversation, InputProblem
from ..vocabulary import INPUT_EXTENSIONS
from . import jsonl
from .options import ReaderOptions
from .textio import UnknownEncoding, detect_encoding

Reader = Callable[..., Iterator["Conversation | InputProblem"]]


class _Deferred:
    """A reader function whose module is imported on first use: a scan of JSON Lines does not pay for the
    e-mail, spreadsheet and chat-log modules (and what they import) at start-up."""

    def __init__(self, module: str, function: str):
        self.module, self.function = module, function

    def _module(self):
        from importlib import import_module

        return import_module(f"{__name__}.{self.module}")

    def __call__(self, *args, **kwargs):
        return getattr(self._module(), self.function)(*args, **kwargs)


class _Joined(_Deferred):
    """A reader whose records join across inputs (an e-mail thread spread over many .eml files). Called, it reads
    one input on its own; `read_paths` instead gives every input of the format to one `collector(options)` (with
    `add(stream, source)`, yielding problems, and `conversations()` after the last input)."""

    def __init__(self, module: str, function: str, collector: str, joined: str):
        super().__init__(module, function)
        self.collector_name, self.joined = collector, joined

    def collector(self, options: ReaderOptions):
        return getattr(self._module(), self.collector_name)(options)


_READERS: dict[str, Reader] = {
    "jsonl": jsonl.read,
    "csv": _Deferred("csv_table", "read"),
    "tsv": _Deferred("csv_table", "read_tsv"),
    "xlsx": _Deferred("csv_table", "read_xlsx"),
    "email": _Joined("email_mime", "read", "ThreadCollector", "e-mail threads"),
    "chat_log": _Deferred("chat_log", "read"),
}
# format name -> (reader, file extensions); the names and extensions are the vocabulary's (vocabulary.py)
FORMATS: dict[str, tuple[Reader, tuple[str, ...]]] = {
    name: (_READERS[name], extensions) for name, extensions in INPUT_EXTENSIONS.items()
}
# Extensions that many non-transcript files share: in a scanned folder such a file is read only when its
# first lines look like its format (a README.txt next to the exports is not a broken chat log).
CONTENT_CHECKED_IN_FOLDERS = {".txt", ".log"}

# Files people will try, with what to do instead: reported, never silently ignored.
UNSUPPORTED = {
    ".xls": "old Excel .xls workbooks cannot be read; save the sheet as .xlsx or CSV",
    ".msg": "Outlook .msg files cannot be read; save the mails as .eml (drag them out of Outlook) or export an .mbox",
    ".pst": "Outlook .pst archives cannot be read; export the folder as .mbox or the mails as .eml",
}

__all__ = ["FORMATS", "ReaderOptions", "format_for", "read_paths", "sniff_format"]


def format_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for name, (_, extensions) in FORMATS.items():
        if suffix in extensions:
            return name
    return None


@dataclass(frozen=True)
class _Input:
    path: Path | None  # None: stdin
    format: str | None  # None: sniff the content
    size: int | None = None


def read_paths(
    paths: Iterable[str],
    input_format: str | None = None,
    stdin: BinaryIO | None = None,
    options: ReaderOptions | None = None,
    progress=None,
    defer_json_lines: bool = False,
    on_empty: "Callable[[str, str], None] | None" = None,
) -> Iterator["Conversation | InputProblem | jsonl.UnparsedLine"]:
    """Every conversation (and every problem) in the files, folders and stdin ("-") given, in order.

    With `defer_json_lines`, JSON Lines records come out unparsed (jsonl.UnparsedLine), for `scan --jobs`
    to parse in its workers. `on_empty(where, why)` hears of each input that gave nothing at all (an empty file,
    a folder without transcript files, nothing on stdin), which is otherwise silent: no record, no problem."""
    options = options or ReaderOptions()
    on_empty = on_empty or (lambda where, why: None)
    inputs: Iterable[_Input | InputProblem] = _inputs(paths, input_format, options, on_empty)
    if progress is not None:
        inputs = list(inputs)
        files = [i for i in inputs if isinstance(i, _Input)]
        sizes = [i.size for i in files]
        progress.plan(len(files), None if None in sizes else sum(sizes))
    collectors: dict[str, object] = {}  # per joined format, its collector: made at its first input, emptied at the end
    for item in inputs:
        if isinstance(item, InputProblem):
            yield item
            continue
        count = 0
        for result in _read_input(item, stdin, options, collectors, progress, defer_json_lines):
            count += 1
            if progress is not None:
                progress.advance(result)
            yield result
        if not count:
            _report_empty(item, on_empty)
    for name, collector in collectors.items():
        for result in _guarded(collector.conversations(), FORMATS[name][0].joined):
            if progress is not None:
                progress.advance(result)
            yield result


def _report_empty(item: _Input, on_empty) -> None:
    if item.path is None:
        on_empty("<stdin>", "empty")
    elif item.size == 0:
        on_empty(_label(item.path), "empty file")
    elif item.format is None or not hasattr(FORMATS[item.format][0], "collector"):
        # (An e-mail file's messages join threads that come out at the end, under the first file's name.)
        on_empty(_label(item.path), "no conversations in it")


def _guarded(items: Iterator, source: str) -> Iterator:
    try:
        yield from items
    except Exception as exc:  # noqa: BLE001 - as in _read_stream
        yield _unexpected(source, exc)


def _inputs(paths: Iterable[str], input_format: str | None, options: ReaderOptions,
            on_empty=lambda where, why: None) -> Iterator["_Input | InputProblem"]:
    for raw in paths:
        if raw == "-":
            yield _Input(None, input_format)
            continue
        if not raw.strip():
            # `qa-lint scan ""` (an unset shell variable): not the current folder, which Path("") would be.
            yield InputProblem(repr(raw), None, "an empty name is not a file or folder")
            continue
        path = Path(raw)
        if path.is_dir():
            found = 0
            for file in _folder_inputs(path, input_format, options):
                found += 1
                yield file
            if not found:
                extensions = " ".join(names[0] for names in INPUT_EXTENSIONS.values())
                on_empty(_label(path), f"no transcript files in this folder ({extensions} …)")
        elif path.exists():
            if not input_format and path.suffix.lower() in UNSUPPORTED:
                yield InputProblem(_label(path), None, UNSUPPORTED[path.suffix.lower()])
                continue
            yield _Input(path, input_format or format_for(path), _size(path))
        else:
            yield InputProblem(_label(path), None, _not_a_regular_file(path) or "no such file or folder")


def _folder_inputs(path: Path, input_format: str | None, options: ReaderOptions) -> Iterator["_Input | InputProblem"]:
    """The transcript files of a folder (and problems with what it holds)."""
    for file in _walk(path):
        if isinstance(file, InputProblem):
            yield file
            continue
        name = input_format or format_for(file)
        special = _not_a_regular_file(file) if name is not None else None
        if special:
            yield InputProblem(_label(file), None, special)
            continue
        if name is not None and not input_format and file.suffix.lower() in CONTENT_CHECKED_IN_FOLDERS:
            name = name if _looks_like(file, name, options) else None
        if name is not None:
            yield _Input(file, name, _size(file))
        elif file.suffix.lower() in UNSUPPORTED:
            yield InputProblem(_label(file), None, UNSUPPORTED[file.suffix.lower()])
        # other files in a scanned folder are not transcripts


def _label(path) -> str:
    """How a file is named in problems, conversation sources and ids derived from it. A name whose bytes are not
    valid in the file system's encoding arrives with lone surrogates, which no output can write: they are
    shown as U+FFFD (the file itself is opened by its real name)."""
    return without_surrogates(str(path))


def _looks_like(path: Path, name: str, options: ReaderOptions) -> bool:
    try:
        with open(path, "rb") as stream:
            return sniff_format(stream.read(4096), options) == name
    except OSError:
        return True  # let the reader report why it cannot be opened


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _not_a_regular_file(path: Path) -> str | None:
    """Why a file found in a folder must not be opened (None: open it, and let the reader report any error).

    Opening a named pipe blocks until something writes to it, so one left in a scanned folder would hang the
    whole batch; sockets and devices are not transcripts either. (A pipe named on the command line, such as
    bash's <(…), is read: that one was given on purpose.)
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; skipped"
        if path.is_symlink():
            return "broken symbolic link (it points to a missing file); skipped"
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = "named pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    return f"not a regular file ({kind}); skipped"


def _walk(folder: Path) -> Iterator["Path | InputProblem"]:
    """Files under a folder, sorted, following no symlinked folder twice (loops end).

    A folder that cannot be listed (no permission, vanished meanwhile) is reported, never silently left out.
    """
    seen: set[tuple[int, int]] = set()
    unreadable: list[OSError] = []
    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unreadable.append):
        yield from _folder_problems(unreadable)
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name
    yield from _folder_problems(unreadable)


def _folder_problems(errors: list[OSError]) -> Iterator[InputProblem]:
    while errors:
        exc = errors.pop(0)
        yield InputProblem(_label(exc.filename), None, f"cannot read folder: {exc.strerror or exc}; its files were skipped")


def _read_input(item: _Input, stdin: BinaryIO | None, options: ReaderOptions, collectors, progress, defer: bool = False) -> Iterator:
    if item.path is None:
        stream = _peekable(stdin or sys.stdin.buffer)
        yield from _read_stream(stream, "<stdin>", item.format, options, collectors, progress, None, defer)
        return
    try:
        stream = open(item.path, "rb")
    except OSError as exc:
        yield InputProblem(_label(item.path), None, f"cannot open: {exc.strerror or exc}")
        return
    with stream:
        yield from _read_stream(stream, _label(item.path), item.format, options, collectors, progress, item.size, defer)


def _read_stream(stream, source: str, name: str | None, options, collectors, progress, size, defer: bool = False) -> Iterator:
    if progress is not None:
        progress.file_started(stream)
    try:
        name = name or sniff_format(_head(stream), options)
        reader = FORMATS[name][0]
        if hasattr(reader, "collector"):
            collector = collectors.get(name)
            if collector is None:
                collector = collectors[name] = reader.collector(options)
            yield from collector.add(stream, source)
        else:
            deferred = {"defer": True} if defer and name == "jsonl" else {}
            yield from reader(stream, source, options, **deferred)
    except OSError as exc:
        yield InputProblem(source, None, f"read error: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - an input no reader foresaw must not end the batch
        yield _unexpected(source, exc)
    finally:
        if progress is not None:
            progress.file_done(size)


def _unexpected(source: str, exc: Exception) -> InputProblem:
    """A reader failed in a way it does not report itself: the rest of that input is skipped, the batch goes on."""
    return InputProblem(
        source, None,
        f"could not be read ({type(exc).__name__}: {str(exc)[:200]}); the rest of this input was skipped. "
        "Please report this with the file, if you can share it",
    )


# -- sniffing: a file whose extension says nothing, or stdin ------------------------------------------------------
_MAIL_HEADER = re.compile(rb"^(?:From |(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|X-[\w-]+):)", re.IGNORECASE)


def sniff_format(head: bytes, options: ReaderOptions | None = None) -> str:
    """The format the first bytes look like; jsonl when nothing else fits (its errors then explain)."""
    options = options or ReaderOptions()
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"PK\x03\x04"):
        return "xlsx"
    if text[:1] in (b"{", b"["):
        return "jsonl"
    if _MAIL_HEADER.match(text):
        return "email"
    first_lines = _decode_head(text, options).splitlines()[:5]
    settings = options.chat_log
    if any(settings.line.match(line) or settings.header.match(line) for line in first_lines):
        return "chat_log"
    if first_lines and "\t" in first_lines[0]:
        return "tsv"
    if first_lines and ("," in first_lines[0] or ";" in first_lines[0]):
        return "csv"
    return "jsonl"


def _decode_head(head: bytes, options: ReaderOptions) -> str:
    """The first bytes as text in their own encoding (a GB18030 chat log must look like one)."""
    if b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # no character cut in half at the end
    try:
        encoding = options.encoding or detect_encoding(head)
    except UnknownEncoding:
        encoding = "utf-8"
    return head.decode(encoding, "ignore")


def _peekable(stream: BinaryIO) -> BinaryIO:
    if hasattr(stream, "peek") or stream.seekable():
        return stream
    return io.BufferedReader(stream)  # type: ignore[arg-type]


def _head(stream: BinaryIO, size: int = 4096) -> bytes:
    """The first bytes without consuming them (seek back, or peek on a pipe)."""
    if stream.seekable():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head
    return stream.peek(size)[:size]  # type: ignore[attr-defined]
