"""A progress bar for long scans: files and conversations done, and the rate, drawn on stderr.

It appears only on a terminal, and only after a scan has run for a second, so short scans and piped
output see nothing extra. While it is drawn, data printed to the same terminal goes through it, so
findings scroll above the bar instead of tearing it.
"""
from __future__ import annotations

import functools
import io
import sys
import time
from typing import IO, TYPE_CHECKING, BinaryIO

from ..model import InputProblem

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

# rich's progress display is imported when a bar is drawn, not with this module: most scans run without a terminal
# (a pipeline, a scheduled job, --jobs workers) and its import was about 12 ms of every start.

DELAY_SECONDS = 1.0  # a scan shorter than this never shows the bar
REFRESH_SECONDS = 0.1


class ScanProgress:
    """Counters fed by read_paths; a rich Live display redraws them ten times a second from its own thread,
    so the bar moves even while a reader is still grouping a big CSV before its first conversation."""

    def __init__(self, console: Console, delay: float = DELAY_SECONDS):
        self.console = console
        self.delay = delay
        self.files_total = 0
        self.bytes_total: int | None = 0
        self.files_done = 0
        self.conversations = 0
        self._bytes_before = 0  # bytes of the files already finished
        self._stream: BinaryIO | None = None
        self._begun = time.monotonic()
        self._progress: Progress | None = None
        self._task = None
        self._proxy: _LinesAbove | None = None

    @classmethod
    def for_terminal(cls, enabled: bool = True, stdout_used: bool = True) -> "ScanProgress | None":
        """A progress bar when stderr is a terminal and the data does not go to a pipe or a file; else None."""
        if not enabled or not _is_terminal(sys.stderr):
            return None
        if stdout_used and not _is_terminal(sys.stdout):
            return None
        from ..outputs.text import make_console

        return cls(make_console(sys.stderr))

    def stdout(self) -> IO[str]:
        """Where to print data meant for stdout (a terminal): through the bar's console, above the bar."""
        if self._proxy is None:
            self._proxy = _LinesAbove(self.console, sys.stdout)
        return self._proxy

    # -- fed by read_paths ---------------------------------------------------------------------------------------
    def plan(self, files: int, total_bytes: int | None) -> None:
        self.files_total, self.bytes_total = files, total_bytes
        if self._progress is None:
            self._start()

    def file_started(self, stream: BinaryIO | None) -> None:
        self._stream = stream

    def advance(self, item: object) -> None:
        # An unparsed JSON Lines record (scan --jobs) is counted as the one conversation it nearly always is.
        if not isinstance(item, InputProblem):
            self.conversations += 1

    def file_done(self, size: int | None) -> None:
        self.files_done += 1
        self._bytes_before += size or 0
        self._stream = None

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._proxy is not None:
            self._proxy.flush()

    # -- drawing (called from the display's refresh thread) ------------------------------------------------------
    def _start(self) -> None:
        from rich.progress import BarColumn, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._progress = _live_progress()(
            self,
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=1 / REFRESH_SECONDS,
        )
        self._task = self._progress.add_task("", total=self.bytes_total or None, detail="", visible=False)
        self._progress.start()

    def refresh_task(self, progress: Progress) -> None:
        if self._task is None:
            return  # the display draws once while it is being built, before the task exists
        elapsed = time.monotonic() - self._begun
        rate = self.conversations / max(elapsed, 1e-6)
        progress.update(
            self._task,
            visible=elapsed >= self.delay,
            completed=self._bytes_done(),
            description=f"files {self.files_done}/{self.files_total}",
            detail=f"{self.conversations:,} conversations · {rate:,.0f}/s",
        )

    def _bytes_done(self) -> int:
        position = 0
        stream = self._stream
        if stream is not None:
            try:
                position = stream.tell()
            except (OSError, ValueError):  # closed meanwhile, or a pipe
                position = 0
        return self._bytes_before + position


@functools.cache
def _live_progress() -> type:
    """rich's Progress, asking its ScanProgress for the latest figures each time it redraws."""
    from rich.progress import Progress

    class LiveProgress(Progress):
        def __init__(self, owner: ScanProgress, *columns, **kwargs):
            self._owner = owner
            super().__init__(*columns, **kwargs)

        def get_renderables(self):
            self._owner.refresh_task(self)
            yield from super().get_renderables()

    return LiveProgress


class _LinesAbove(io.TextIOBase):
    """stdout while the bar is drawn: whole lines go through the bar's console, which prints them above it.

    Not rich's FileProxy: a rich Console handed a FileProxy unwraps it and writes past the bar, tearing it.
    """

    def __init__(self, console: Console, terminal: IO[str]):
        from rich.ansi import AnsiDecoder

        self._console = console
        self._terminal = terminal
        self._pending = ""
        self._decoder = AnsiDecoder()

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        if lines:
            self._print(lines)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self._print([pending])

    def _print(self, lines: list[str]) -> None:
        from rich.text import Text

        # The writer already wrapped its lines to the terminal width: soft_wrap keeps them as they are.
        self._console.print(Text("\n").join(self._decoder.decode_line(line) for line in lines), soft_wrap=True)

    def isatty(self) -> bool:
        return self._terminal.isatty()

    def fileno(self) -> int:
        return self._terminal.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._terminal, "encoding", "utf-8")


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
