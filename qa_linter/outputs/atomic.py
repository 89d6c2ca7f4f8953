"""Output files that appear whole or not at all (`-o FILE` of scan and convert).

The data is written to a hidden temporary file next to the target and renamed over it only when the run
completes, so a run that fails, is interrupted or is killed never leaves half a JSON document under the
report's name (an existing report stays as it was). A target that is not a regular file (/dev/null, a named
pipe, /dev/stdout) is written directly: renaming over it would replace the device.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO


class AtomicOutput:
    """A text file object for `path`; `finish(True)` puts it in place, `finish(False)` throws it away."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._temporary: str | None = None
        if _is_special(self.path):
            self._file: IO[str] = open(self.path, "w", encoding="utf-8")
            return
        folder = self.path.parent
        try:
            fd, self._temporary = tempfile.mkstemp(prefix=f".{self.path.name[:40]}.", suffix=".part", dir=folder)
        except OSError:
            # A writable file in a folder we may not create files in: write it in place (not atomic, but works).
            self._file = open(self.path, "w", encoding="utf-8")
            return
        self._file = os.fdopen(fd, "w", encoding="utf-8")

    def __getattr__(self, name):  # write, flush, isatty, fileno… as the file has them
        return getattr(self._file, name)

    def write(self, text: str) -> int:
        return self._file.write(text)

    def finish(self, completed: bool) -> None:
        """Close; when `completed`, rename the temporary file over the target, else delete it."""
        self._file.close()
        if self._temporary is None:
            return
        temporary, self._temporary = self._temporary, None
        if not completed:
            _unlink(temporary)
            return
        try:
            os.chmod(temporary, _default_file_mode(self.path))
            os.replace(temporary, self.path)
        except OSError:
            _unlink(temporary)
            raise


def _is_special(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # does not exist yet: a new regular file


def _default_file_mode(path: Path) -> int:
    """The mode the file would have had if opened directly: the old file's, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
