"""Worker processes that end with the process that started them.

`scan --jobs` and `serve --workers` start worker processes. If their parent is killed outright (kill -9, the
out-of-memory killer), nothing tells them: a scan worker would go on waiting for chunks that never come, and a
service worker would go on answering on the inherited socket with no supervisor to stop it. Each worker
therefore watches its parent:

- on Linux the kernel is asked to signal the worker when its parent dies (prctl PR_SET_PDEATHSIG), at once;
- everywhere, a daemon thread checks every WATCH_SECONDS whether the parent is still the one that started it
  (a reparented process has another parent id), for systems without prctl and for the moment before the
  prctl call took effect.

Either way the worker gets SIGTERM (a service worker shuts down as on Ctrl-C) and, if it is still alive
GRACE_SECONDS later, ends at once.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

WATCH_SECONDS = 0.5
GRACE_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int) -> None:
    """Make this process end when `parent_pid` (its parent) dies. Call it first thing in a worker."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watching thread below still covers it
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        _end()
        return
    threading.Thread(target=_watch, args=(parent_pid,), name="qa-lint-parent-watch", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    _end()


def _end() -> None:
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    except OSError:
        os._exit(1)
    time.sleep(GRACE_SECONDS)
    os._exit(1)
