"""Hostile sizes: one 50 MB message, and a million tiny conversations, through `qa-lint scan`.

    python benchmarks/large_inputs.py                       # both cases, full size (a few minutes on 2 cores)
    python benchmarks/large_inputs.py --message-mb 10       # a quicker single-message run
    python benchmarks/large_inputs.py --only message        # or --only many
    python benchmarks/large_inputs.py --conversations 200000
    python benchmarks/large_inputs.py --only message --dense --message-mb 2   # a finding every few characters

One message: a single agent message of N MB (an e-mail body pasted whole: Chinese prose, English, spaces
between characters, taboo phrases, slang and credential requests every few hundred characters, so the
normaliser's slow paths and every hit filter are exercised). It is scanned at N/4, N/2 and N MB; the time
ratio between sizes shows whether the scan stays linear (a ratio near 2 per doubling; 4 would be quadratic).
With `--dense` the message is a short chat line repeated instead, with four findings in every 40 characters
(slang, a taboo phrase, a brush-off, a phone number) and the conditions asked around each (clause, sentence,
question): lookups over the whole message per finding made that case quadratic (200,000 characters took 25 s)
until session 12.

Many conversations: a JSON Lines file of one million two-message conversations, one in 10,000 broken, so the
run must also count and list skipped records without slowing down.

Each scan runs `qa-lint scan` (the built-in pack, findings as JSON Lines to /dev/null) as a child process; its
peak resident memory is the kernel's figure for that child (os.wait4). Files are generated in a temporary
folder and removed afterwards. The figures are printed; nothing is asserted (see tests/test_robust_inputs.py
for the correctness checks).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A chat line with a finding every ten characters and a polite conditional the taboo rule must not flag.
DENSE = "亲，这个我不知道，您自己看一下说明书吧。如果您不知道订单号也没关系。请拨打 137 0000 1111。"

# One paragraph of an e-mail, repeated: ~150 UTF-8 bytes, with hits for three rule categories.
PARAGRAPH = (
    "Dear customer, 您好！关于您反馈的宽带问题，我 不 知 道具体原因，亲，"
    "麻烦把验证码发给我，我帮您看一下。Order 20261123666012 is being processed.\n"
)


def write_single_message(path: Path, megabytes: float, unit: str = PARAGRAPH) -> int:
    """One conversation whose agent message is `megabytes` MB of text; returns its length in characters."""
    repeat = int(megabytes * 1024 * 1024) // len(unit.encode("utf-8")) + 1
    text = unit * repeat
    record = {"id": "huge", "channel": "email", "messages": [
        {"role": "customer", "text": "宽带断了"},
        {"role": "agent", "text": text},
    ]}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(text)


def write_many(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            if i % 10_000 == 9_999:
                out.write('{"id": "broken-%d", "messages": [\n' % i)  # a record cut short
                continue
            out.write(
                '{"id":"t%d","messages":[{"role":"customer","text":"在吗"},{"role":"agent","text":"亲，您好%d"}]}\n' % (i, i)
            )


def run_scan(path: Path) -> dict:
    command = [sys.executable, "-m", "qa_linter.cli", "scan", "--format", "jsonl", "-o", os.devnull, str(path)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    summary = re.search(r"(\d[\d,]*) conversations?, (\d[\d,]*) messages?, (\d[\d,]*) findings?", stderr)
    skipped = re.search(r"Skipped (\d+) input record", stderr)
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "exit": proc.returncode,
        "findings": int(summary.group(3).replace(",", "")) if summary else None,
        "conversations": int(summary.group(1).replace(",", "")) if summary else None,
        "skipped": int(skipped.group(1)) if skipped else 0,
        "traceback": "Traceback" in stderr,
    }


def bench_message(folder: Path, megabytes: float, dense: bool = False) -> None:
    what = "a chat line with a finding every ten characters, repeated" if dense else "an e-mail body pasted whole"
    print(f"One message ({what}), scanned at three sizes up to {megabytes:g} MB:")
    print(f"  {'size':>8} {'chars':>12} {'seconds':>8} {'MB/s':>6} {'peak RSS':>9} {'findings':>9} {'time ratio':>10}")
    previous = None
    for size in (megabytes / 4, megabytes / 2, megabytes):
        path = folder / f"message-{size:g}MB.jsonl"
        chars = write_single_message(path, size, DENSE if dense else PARAGRAPH)
        result = run_scan(path)
        path.unlink()
        ratio = f"{result['seconds'] / previous:.2f}x" if previous else ""
        previous = result["seconds"]
        print(f"  {size:>6.1f}MB {chars:>12,} {result['seconds']:>8.1f} {size / result['seconds']:>6.2f} "
              f"{result['peak_mb']:>7.0f}MB {result['findings'] or 0:>9,} {ratio:>10}"
              + ("  TRACEBACK" if result["traceback"] else ""))
    print("  (each size doubles the last: a time ratio near 2 is linear, near 4 would be quadratic)")


def bench_many(folder: Path, count: int) -> None:
    path = folder / "many.jsonl"
    write_many(path, count)
    size_mb = path.stat().st_size / 1024 / 1024
    result = run_scan(path)
    path.unlink()
    print(f"Many tiny conversations: {count:,} in a {size_mb:.0f} MB JSON Lines file, one in 10,000 broken:")
    print(f"  {result['seconds']:.1f} s ({(result['conversations'] or 0) / result['seconds']:,.0f} conversations/s), "
          f"peak RSS {result['peak_mb']:.0f} MB, {result['conversations'] or 0:,} scanned, {result['skipped']:,} skipped, "
          f"exit {result['exit']}" + ("  TRACEBACK" if result["traceback"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--message-mb", type=float, default=50.0, help="size of the single message [50]")
    parser.add_argument("--conversations", type=int, default=1_000_000, help="number of tiny conversations [1,000,000]")
    parser.add_argument("--only", choices=["message", "many"], help="run one case only")
    parser.add_argument("--dense", action="store_true", help="the single message full of findings (see above)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-lint-bench-") as tmp:
        folder = Path(tmp)
        if args.only in (None, "message"):
            bench_message(folder, args.message_mb, args.dense)
        if args.only in (None, "many"):
            bench_many(folder, args.conversations)


if __name__ == "__main__":
    main()
