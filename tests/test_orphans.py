"""Workers end with their parent: a `scan --jobs` or a `serve --workers` process killed with SIGKILL (or by the
out-of-memory killer) must not leave worker processes running (scan workers waiting for work for ever, service
workers still answering on the port)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
QA_LINT = [sys.executable, "-m", "qa_linter.cli"]


def _children_after(proc: subprocess.Popen, count: int, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(proc.pid).children(recursive=True)
        workers = [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]
        if len(workers) >= count:
            return workers
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} worker processes started")


def _all_gone(processes: list, timeout: float = 20) -> list:
    """The processes still running after `timeout` seconds (reaped zombies count as gone)."""
    deadline = time.monotonic() + timeout
    alive = processes
    while time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


def test_scan_workers_end_when_the_scan_is_killed(tmp_path):
    """A scan with --jobs 3 reads stdin that stays open, so its two workers are started and waiting; then the
    scan is killed with SIGKILL."""
    line = json.dumps({"id": "x", "messages": [{"role": "agent", "text": "亲，您好"}]}, ensure_ascii=False) + "\n"
    proc = subprocess.Popen([*QA_LINT, "scan", "--no-builtin", "--rules", str(RULES), "--jobs", "3", "--format", "jsonl", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    workers = []
    try:
        proc.stdin.write((line * 2000).encode())  # over the pool threshold: the workers start
        proc.stdin.flush()
        workers = _children_after(proc, 2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = _all_gone(workers)
        assert left == [], f"orphaned workers still running: {[p.pid for p in left]}"
    finally:
        for p in workers:
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.kill()
        proc.wait()


def test_service_workers_end_when_the_supervisor_is_killed(tmp_path):
    proc = subprocess.Popen([*QA_LINT, "serve", "--port", "0", "--workers", "2", "--no-builtin", "--rules", str(RULES)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    workers = []
    try:
        workers = _children_after(proc, 2)
        time.sleep(3)  # the workers import the app and load the rules
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = _all_gone(workers, timeout=30)
        assert left == [], f"orphaned workers still running: {[p.pid for p in left]}"
    finally:
        for p in workers:
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.kill()
        proc.wait()
