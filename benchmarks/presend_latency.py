"""Pre-send latency: in-process check_reply, the HTTP service under load, and `qa-lint check` start-up.

    python benchmarks/presend_latency.py                 # everything, 20,000 HTTP requests
    python benchmarks/presend_latency.py --requests 2000 # a quicker HTTP run
    python benchmarks/presend_latency.py --skip-http --skip-startup

Targets (issue 6): in-process p99 < 5 ms; HTTP (2 workers, 8 concurrent clients) p50 < 5 ms, p99 < 20 ms,
>= 500 requests/s, no errors; `qa-lint check` start-up no slower than jieba's own dictionary load.
The draft is 100 characters with a few findings; the context is 20 messages of a real sample conversation.
Everything runs on this machine and talks only to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "transcripts.jsonl"
TEST_RULES = ROOT / "tests" / "data" / "rules" / "all-types.yaml"
DRAFT = (
    "亲，非常抱歉让您久等了。这个问题我不知道具体原因，麻烦您先重启一下光猫，再把电脑的DNS改成自动获取，"
    "然后打开浏览器访问一下我们的官网看看能否正常加载页面。如果还是不行，请把报错截图发给我，我帮您提交工单处理。"
)[:100]


# -- inputs ---------------------------------------------------------------------------------------------------
def context_messages(count: int = 20) -> list[dict]:
    """`count` messages of the longest sample conversation (its roles and texts as they are)."""
    conversations = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    longest = max(conversations, key=lambda c: len(c["messages"]))
    messages = [{k: m[k] for k in ("role", "text", "ts") if k in m} for m in longest["messages"]]
    while len(messages) < count:
        messages += messages
    return messages[:count]


def rule_args(args) -> list[str]:
    return ["--no-builtin", "--rules", str(TEST_RULES)] if args.test_pack else []


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": ordered[-1]}


def show(title: str, figures: dict[str, float], unit: str = "ms") -> None:
    print(f"{title}: " + "  ".join(f"{k} {v:.3f} {unit}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))


# -- in-process --------------------------------------------------------------------------------------------
def bench_in_process(args) -> None:
    sys.path.insert(0, str(ROOT))
    from qa_linter import Linter

    linter = Linter.from_config(rules=[TEST_RULES], builtin=False) if args.test_pack else Linter.from_config()
    context = context_messages()
    linter.warm_up()
    for _ in range(300):
        linter.check_reply(DRAFT, context=context)
    samples = []
    for _ in range(args.iterations):
        started = time.perf_counter()
        result = linter.check_reply(DRAFT, context=context)
        samples.append((time.perf_counter() - started) * 1000)
    print(f"in-process check_reply: {len(DRAFT)}-character draft, {len(context)} messages of context, "
          f"{len(result.findings)} findings, {len(linter.rules)} rules, {args.iterations} calls once warm")
    show("  latency", percentiles(samples))


# -- HTTP --------------------------------------------------------------------------------------------------
def start_server(args) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "serve", "--port", "0", "--workers", str(args.workers), *rule_args(args)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    line = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the service did not start: {line}{proc.stderr.read()}")
    return proc, int(found.group(1))


async def wait_for_workers(port: int, workers: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pids: set[int] = set()
    while len(pids) < workers:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not come up")
        try:
            status, body = await one_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            pids.add(json.loads(body)["pid"])
        except OSError:
            await asyncio.sleep(0.2)


async def one_request(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        return await read_response(reader)
    finally:
        writer.close()


async def read_response(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    return status, await reader.readexactly(length)


async def client(port: int, request: bytes, count: int, latencies: list[float], errors: list[str]) -> None:
    """One keep-alive connection sending `count` requests one after another."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            try:
                status, body = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                errors.append(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(f"HTTP {status}")
    finally:
        writer.close()


async def load(port: int, total: int, concurrency: int) -> tuple[list[float], list[str], float]:
    body = json.dumps({"draft": DRAFT, "context": context_messages()}, ensure_ascii=False).encode()
    request = (
        b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    latencies: list[float] = []
    errors: list[str] = []
    # a short warm-up on every connection before the clock starts
    await asyncio.gather(*(client(port, request, 20, [], []) for _ in range(concurrency)))
    shares = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(client(port, request, n, latencies, errors) for n in shares))
    return latencies, errors, time.perf_counter() - started


def bench_http(args) -> None:
    proc, port = start_server(args)
    try:
        asyncio.run(wait_for_workers(port, args.workers))
        latencies, errors, wall = asyncio.run(load(port, args.requests, args.concurrency))
        # One client alone: the time of a request itself, without waiting behind the other clients'.
        alone, alone_errors, alone_wall = asyncio.run(load(port, max(200, args.requests // 10), 1))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"HTTP POST /v1/check on 127.0.0.1: {args.workers} workers, {args.concurrency} concurrent keep-alive clients, "
          f"{args.requests} requests")
    figures = percentiles(latencies)
    show("  latency", {"p50": figures["p50"], "p95": figures["p95"], "p99": figures["p99"], "max": figures["max"]})
    print(f"  throughput: {len(latencies) / wall:.0f} requests/s over {wall:.1f} s; errors: {len(errors)}"
          + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))
    print(f"  with {args.concurrency} clients always waiting, mean latency = clients / throughput "
          f"= {args.concurrency / (len(latencies) / wall) * 1000:.1f} ms (Little's law)")
    print(f"one client alone, {len(alone)} requests:")
    show("  latency", percentiles(alone))
    print(f"  throughput: {len(alone) / alone_wall:.0f} requests/s; errors: {len(alone_errors)}")


# -- start-up ---------------------------------------------------------------------------------------------
def wall_time(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_startup(args) -> None:
    qa_lint = [sys.executable, "-m", "qa_linter.cli", "check"]
    jieba = wall_time([sys.executable, "-c", "import jieba; jieba.initialize()"], args.runs)
    print(f"start-up, median of {args.runs} fresh processes:")
    print(f"  python -c 'import jieba; jieba.initialize()': {jieba * 1000:.0f} ms")
    for label, draft in (("needs word segmentation", "您好，这个我不知道呀"), ("no word segmentation needed", "您好，请问有什么可以帮您？")):
        check = wall_time([*qa_lint, draft, *rule_args(args)], args.runs)
        print(f"  qa-lint check ({label}): {check * 1000:.0f} ms  ratio to jieba {check / jieba:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=5000, help="in-process calls measured")
    parser.add_argument("--requests", type=int, default=20_000, help="HTTP requests in the load run (at most 200,000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per start-up figure")
    parser.add_argument("--test-pack", action="store_true", help="use tests/data/rules/all-types.yaml instead of the built-in pack")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    args.requests = max(args.concurrency, min(args.requests, 200_000))
    print(f"qa-linter pre-send benchmark · {os.cpu_count()} CPUs · Python {sys.version.split()[0]} · "
          f"{'test pack' if args.test_pack else 'built-in pack'}")
    if not args.skip_in_process:
        bench_in_process(args)
    if not args.skip_http:
        bench_http(args)
    if not args.skip_startup:
        bench_startup(args)


if __name__ == "__main__":
    main()
