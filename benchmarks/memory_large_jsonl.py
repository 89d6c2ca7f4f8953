"""Peak memory of `qa-lint scan` over a large canonical JSON Lines file: it must stay under 300 MB.

    python benchmarks/memory_large_jsonl.py               # a 1 GB file (about 15 minutes on 2 cores)
    python benchmarks/memory_large_jsonl.py --size 100M   # a quicker run
    python benchmarks/memory_large_jsonl.py --size 1G --keep /tmp/big.jsonl   # keep the file for other runs
    python benchmarks/memory_large_jsonl.py --size 200M --input csv  # the same data as an interleaved CSV export

The file is generated deterministically (fixed seed) in a temporary folder from the labelled corpus: each
conversation is a corpus conversation with a new id and its digits redrawn, and a unique reference added to
each customer message, so no two texts are equal and no cache can make the run look better than real data.
Every 2,000th conversation is a long one (about 300 messages), so the file also has large conversations.
With `--input csv` the same conversations are written as a ticket export (会话ID, 时间, 角色, 坐席, 内容) whose
rows interleave 50 open conversations at a time, so the CSV reader has to group them (on disk past its budget).

`qa-lint scan` (the built-in pack, findings as JSON Lines to /dev/null) runs as a child process; its peak
resident memory is the kernel's figure for the child (getrusage RUSAGE_CHILDREN, ru_maxrss), which catches
short peaks that sampling would miss. Exit status 1 when the peak is over the limit.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "transcripts.jsonl"
LIMIT_MB = 300
SEED = 20261120
LONG_EVERY = 2_000


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: use a size such as 1G, 200M or 500000")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[unit])


def generate(path: Path, size: int) -> tuple[int, int]:
    """Write conversations until the file reaches `size` bytes; (conversations, messages) written."""
    written = conversations = messages = 0
    with path.open("w", encoding="utf-8") as out:
        for conv in _conversations():
            if written >= size:
                break
            line = json.dumps(conv, ensure_ascii=False, separators=(",", ":")) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            conversations += 1
            messages += len(conv["messages"])
    return conversations, messages


def generate_csv(path: Path, size: int, open_conversations: int = 50) -> tuple[int, int]:
    """The same conversations as export rows, `open_conversations` of them interleaved at any time."""
    rng = random.Random(SEED + 1)
    source = _conversations()
    pool: list[tuple[str, str | None, list[dict]]] = []
    conv_first: dict[str, dict] = {}  # first message of each conversation in the pool
    conversations = messages = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["会话ID", "时间", "角色", "坐席", "内容"])
        while out.tell() < size:
            while len(pool) < open_conversations:
                conv = next(source)
                pool.append((conv["id"], conv.get("agent"), list(reversed(conv["messages"]))))
            slot = rng.randrange(len(pool))
            conv_id, agent, pending = pool[slot]
            message = pending.pop()
            if message is conv_first.setdefault(conv_id, message):
                conversations += 1  # counted at its first row: the file may end before a pooled one starts
            role = {"agent": "客服", "customer": "客户", "system": "系统"}[message["role"]]
            writer.writerow([conv_id, message.get("ts", ""), role, agent or "", message["text"]])
            messages += 1
            if not pending:
                pool.pop(slot)
                del conv_first[conv_id]
    return conversations, messages


def _conversations():
    templates = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(SEED)
    number = 0
    while True:
        if number % LONG_EVERY == LONG_EVERY - 1:
            yield _long_conversation(templates, rng, number)
        else:
            yield _variant(rng.choice(templates), rng, number)
        number += 1


def _variant(template: dict, rng: random.Random, number: int) -> dict:
    conv = json.loads(json.dumps(template))
    conv["id"] = f"bench-{number:08d}"
    for message in conv["messages"]:
        text = re.sub(r"\d", lambda _: str(rng.randrange(10)), message["text"])
        if message["role"] == "customer":
            text += f"（参考号 {number:08d}-{rng.randrange(10**6):06d}）"
        message["text"] = text
    return conv


def _long_conversation(templates: list[dict], rng: random.Random, number: int) -> dict:
    """About 300 messages: many conversations' messages one after the other, timestamps dropped."""
    parts = [_variant(rng.choice(templates), rng, number) for _ in range(35)]
    messages = [{"role": m["role"], "text": m["text"]} for part in parts for m in part["messages"]]
    return {"id": f"bench-{number:08d}-long", "channel": "chat", "messages": messages, "meta": {"long": True}}


def measure(path: Path, extra_args: list[str]) -> tuple[float, float, int, str]:
    """(peak RSS in MB, seconds, exit code, summary line) of `qa-lint scan` over the file."""
    command = [sys.executable, "-m", "qa_linter.cli", "scan", str(path), "--format", "jsonl", "--fail-on", "never", *extra_args]
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    summary = next((line for line in result.stderr.splitlines() if "conversations" in line), result.stderr.strip()[-300:])
    return peak_kb / 1024, elapsed, result.returncode, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=parse_size("1G"), help="file size to generate (default 1G)")
    parser.add_argument("--limit", type=float, default=LIMIT_MB, help=f"peak RSS limit in MB (default {LIMIT_MB})")
    parser.add_argument("--input", choices=["jsonl", "csv"], default="jsonl", help="file format to generate (default jsonl)")
    parser.add_argument("--keep", type=Path, help="write the file here and keep it (reused if it already has the size)")
    parser.add_argument("scan_args", nargs="*", help="extra arguments for qa-lint scan (after --)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qa-lint-bench-") as folder:
        path = args.keep or Path(folder) / f"large.{args.input}"
        if path.exists() and path.stat().st_size >= args.size:
            print(f"reusing {path} ({path.stat().st_size / 1024**2:,.0f} MB)")
        else:
            started = time.perf_counter()
            conversations, messages = (generate_csv if args.input == "csv" else generate)(path, args.size)
            print(f"generated {path.stat().st_size / 1024**2:,.0f} MB: {conversations:,} conversations, "
                  f"{messages:,} messages in {time.perf_counter() - started:,.0f} s")
        peak, elapsed, code, summary = measure(path, args.scan_args)
    rate = args.size / 1024**2 / elapsed if elapsed else 0
    print(f"qa-lint scan: {summary}")
    print(f"exit code {code}, {elapsed:,.0f} s ({rate:,.2f} MB/s)")
    print(f"peak RSS {peak:,.1f} MB (limit {args.limit:,.0f} MB): {'OK' if peak < args.limit else 'OVER THE LIMIT'}")
    return 0 if peak < args.limit and code in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
