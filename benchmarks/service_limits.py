"""What four hostile /v1/scan requests cost the service, with the default limits and with the limits lifted.

    python benchmarks/service_limits.py
    python benchmarks/service_limits.py --parallel 8 --body-mb 1

Each request is a body of about 1 MB (the largest the service accepts by default) made of conversations whose
messages are "亲亲亲…": every character is a finding, so the answer is many times the size of the question (the
attack battery got a 90 MB answer from a 1 MB request, and 888 MB of server memory from four in parallel).
The requests are sent in parallel to a fresh `qa-lint serve` (built-in pack, one worker); the script prints
each answer's status and size, the time they took, and the server's peak resident memory (sampled every
50 ms with psutil). Run once with the default limits (--max-output-bytes 8 MiB, --scan-timeout 10 s,
--max-concurrent-scans 2) and once with them lifted. Nothing is asserted (tests/test_security_service_web.py
checks each limit).
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
LIFTED = ["--max-output-bytes", str(10**12), "--scan-timeout", "100000", "--max-concurrent-scans", "64",
          "--max-scan-messages", str(10**6), "--max-message-chars", str(10**7)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body(megabytes: float) -> bytes:
    message = {"role": "agent", "text": "亲" * 5_000}
    conversations, size = [], 0
    while size < megabytes * 1024 * 1024 * 0.95:
        conversations.append({"id": f"c{len(conversations)}", "messages": [message] * 4})
        size += 4 * 15_000
    return json.dumps({"conversations": conversations}, ensure_ascii=False).encode("utf-8")


def run(label: str, extra: list[str], parallel: int, payload: bytes) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "serve", "--port", str(port), "--max-body", str(len(payload) + 1024), *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        process = psutil.Process(server.pid)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not start")
                time.sleep(0.2)
        baseline = process.memory_info().rss
        peak = [baseline]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], process.memory_info().rss)
                except psutil.Error:
                    return
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results: list[tuple[int, int] | str] = [None] * parallel  # type: ignore[list-item]

        def send(i: int) -> None:
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as c:
                    response = c.post("/v1/scan", content=payload, headers={"Content-Type": "application/json"})
                    results[i] = (response.status_code, len(response.content))
            except httpx.HTTPError as exc:
                results[i] = type(exc).__name__

        started = time.perf_counter()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        answers = ", ".join(f"{r[0]} {r[1] / 1024 / 1024:.2f} MB" if isinstance(r, tuple) else r for r in results)
        print(f"{label}: {parallel} requests of {len(payload) / 1024 / 1024:.2f} MB in parallel, {elapsed:.1f} s")
        print(f"  answers: {answers}")
        print(f"  server memory: {baseline / 1024 / 1024:.0f} MB before, peak {peak[0] / 1024 / 1024:.0f} MB "
              f"(+{(peak[0] - baseline) / 1024 / 1024:.0f} MB)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--body-mb", type=float, default=1.0)
    parser.add_argument("--skip-lifted", action="store_true", help="only the default limits")
    args = parser.parse_args(argv)
    payload = body(args.body_mb)
    run("default limits", [], args.parallel, payload)
    if not args.skip_lifted:
        run("limits lifted", LIFTED, args.parallel, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
