"""A bounded soak test of `qa-lint serve` on loopback: 50,000 requests, no errors, no memory growth.

    python benchmarks/service_soak.py                      # 50,000 requests, 8 clients, at most 15 minutes
    python benchmarks/service_soak.py --requests 5000      # a quick run
    python benchmarks/service_soak.py --workers 2 --clients 16

The service runs as a child process (`qa-lint serve --port 0`, the built-in pack) on 127.0.0.1. Client
threads, each with one keep-alive connection, send a fixed mix until the request count or the time limit is
reached, whichever comes first:
  80%  POST /v1/check   a real agent reply from the labelled corpus with the conversation before it as
                        context; a serial number in the draft makes every text new to the server's caches
   8%  POST /v1/scan    three corpus conversations
   4%  GET  /healthz
   4%  POST /v1/check   malformed JSON (expects 400)
   2%  POST /v1/check   a body over the size limit (expects 413)
   2%  POST /v1/check   a wrong field (expects 422)
An error is a transport failure, a 5xx, or any status other than the one expected. The server's resident
memory (all its processes) is sampled after warm-up, at the middle and at the end; "growth" compares the end
with the middle, when caches have filled. Exit status 1 on any error or on growth over --max-growth-mb.
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "transcripts.jsonl"
MAX_BODY = 256 * 1024


def load_cases() -> tuple[list[dict], list[dict]]:
    """(check requests built from every agent reply that has a customer message before it, conversations)."""
    conversations = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    checks = []
    for conv in conversations:
        for i, message in enumerate(conv["messages"]):
            if message["role"] == "agent" and i > 0:
                context = [{"role": m["role"], "text": m["text"]} for m in conv["messages"][:i]]
                checks.append({"draft": message["text"], "context": context, "channel": conv.get("channel", "chat")})
    return checks, conversations


class Mix:
    """The request for the n-th call, deterministic in n."""

    def __init__(self) -> None:
        self.checks, self.conversations = load_cases()

    def request(self, n: int) -> tuple[str, str, bytes | None, int]:
        """(method, path, body, expected status)."""
        slot = n % 50
        if slot < 40:
            case = dict(self.checks[n % len(self.checks)])
            case["draft"] = f"{case['draft']}（工单{n}）"
            return "POST", "/v1/check", json.dumps(case, ensure_ascii=False).encode(), 200
        if slot < 44:
            start = n % len(self.conversations)
            convs = [self.conversations[(start + k) % len(self.conversations)] for k in range(3)]
            return "POST", "/v1/scan", json.dumps({"conversations": convs}, ensure_ascii=False).encode(), 200
        if slot < 46:
            return "GET", "/healthz", None, 200
        if slot < 48:
            return "POST", "/v1/check", b'{"draft": "x",', 400
        if slot < 49:
            return "POST", "/v1/check", b'{"draft": "' + b"a" * (MAX_BODY + 10) + b'"}', 413
        return "POST", "/v1/check", b'{"text": "x"}', 422


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "serve", "--port", "0", "--workers", str(workers),
         "--max-body", str(MAX_BODY)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tempfile.gettempdir(),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("qa-lint serve exited before it listened")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # keep draining
            return proc, f"http://127.0.0.1:{found.group(1)}"
    raise SystemExit("qa-lint serve did not announce its address")


def server_rss_mb(proc: subprocess.Popen) -> float:
    root = psutil.Process(proc.pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 1024 / 1024


def wait_ready(base: str, workers: int) -> None:
    deadline = time.monotonic() + 120
    pids: set[int] = set()
    while time.monotonic() < deadline and len(pids) < workers:
        try:
            pids.add(httpx.get(base + "/healthz", timeout=5).json()["pid"])
        except httpx.TransportError:
            time.sleep(0.2)


class Run:
    def __init__(self, base: str, mix: Mix, total: int, deadline: float):
        self.base, self.mix, self.total, self.deadline = base, mix, total, deadline
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.done = 0
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def client(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            while time.monotonic() < self.deadline:
                n = next(self.counter)
                if n >= self.total:
                    return
                method, path, body, expected = self.mix.request(n)
                started = time.perf_counter()
                try:
                    response = http.request(method, path, content=body, headers={"content-type": "application/json"})
                    status, problem = response.status_code, None
                    if status != expected:
                        problem = f"#{n} {method} {path}: {status}, expected {expected}: {response.text[:200]}"
                except httpx.HTTPError as exc:
                    status, problem = -1, f"#{n} {method} {path}: {type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.done += 1
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    if path == "/v1/check" and expected == 200:
                        self.latencies.append(elapsed)
                    if problem:
                        self.errors.append(problem)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--max-growth-mb", type=float, default=20.0)
    args = parser.parse_args()

    mix = Mix()
    proc, base = start_server(args.workers)
    try:
        wait_ready(base, args.workers)
        # Warm-up (not counted): dictionaries, caches and allocator arenas settle before the first sample.
        warm = Run(base, mix, 2_000, time.monotonic() + 120)
        threads = [threading.Thread(target=warm.client) for _ in range(args.clients)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        rss = {"start": server_rss_mb(proc)}
        started = time.monotonic()
        run = Run(base, mix, args.requests, started + args.max_seconds)
        threads = [threading.Thread(target=run.client) for _ in range(args.clients)]
        [t.start() for t in threads]
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            if "middle" not in rss and run.done >= args.requests // 2:
                rss["middle"] = server_rss_mb(proc)
        elapsed = time.monotonic() - started
        rss["end"] = server_rss_mb(proc)
        rss.setdefault("middle", rss["end"])
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    growth = rss["end"] - rss["middle"]
    lat = sorted(run.latencies) or [0.0]
    print(f"Soak: {run.done:,} requests in {elapsed:.1f} s ({run.done / elapsed:,.0f}/s), {args.clients} clients, "
          f"{args.workers} worker(s), loopback; bounded by {args.requests:,} requests and {args.max_seconds:g} s")
    print("  statuses: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(run.statuses.items())))
    print(f"  errors: {len(run.errors)}" + "".join(f"\n    {e}" for e in run.errors[:10]))
    print(f"  /v1/check latency: median {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
    print(f"  server RSS: start {rss['start']:.1f} MB, middle {rss['middle']:.1f} MB, end {rss['end']:.1f} MB "
          f"(growth middle→end {growth:+.1f} MB)")
    print(f"  server still running at the end: {'yes' if alive else 'NO'}")
    failed = bool(run.errors) or growth > args.max_growth_mb or not alive or run.done < args.requests
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
