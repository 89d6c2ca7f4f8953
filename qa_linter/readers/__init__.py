"""Input formats: one module per format, each turning a file into canonical conversations.

A reader is a function `read(stream, source) -> Iterator[Conversation | InputProblem]`; it reports a bad
record as an InputProblem (file, line, reason) and goes on. `read_paths` walks files, folders and stdin.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from ..model import Conversation, InputProblem
from . import jsonl

Reader = Callable[[BinaryIO, str], Iterator["Conversation | InputProblem"]]

# format name -> (reader, file extensions)
FORMATS: dict[str, tuple[Reader, tuple[str, ...]]] = {
    "jsonl": (jsonl.read, (".jsonl", ".json", ".ndjson")),
}


def format_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for name, (_, extensions) in FORMATS.items():
        if suffix in extensions:
            return name
    return None


def _walk(folder: Path) -> Iterator[Path]:
    """Files under a folder, sorted, following no symlinked folder twice (loops end)."""
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
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


def read_paths(paths: Iterable[str], input_format: str | None = None, stdin: BinaryIO | None = None) -> Iterator["Conversation | InputProblem"]:
    for raw in paths:
        if raw == "-":
            reader = FORMATS[input_format or "jsonl"][0]
            yield from reader(stdin or sys.stdin.buffer, "<stdin>")
            continue
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                name = input_format or format_for(file)
                if name is None:
                    continue  # files of other kinds in a scanned folder are not transcripts
                yield from _read_file(file, name)
        elif path.exists():
            yield from _read_file(path, input_format or format_for(path) or "jsonl")
        else:
            yield InputProblem(str(path), None, "no such file or folder")


def _read_file(path: Path, name: str) -> Iterator["Conversation | InputProblem"]:
    reader = FORMATS[name][0]
    try:
        stream = open(path, "rb")
    except OSError as exc:
        yield InputProblem(str(path), None, f"cannot open: {exc.strerror or exc}")
        return
    with stream:
        try:
            yield from reader(stream, str(path))
        except OSError as exc:
            yield InputProblem(str(path), None, f"read error: {exc.strerror or exc}")
