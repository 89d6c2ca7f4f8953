"""Peak memory and output sizes of `qa-lint scan --html` over many conversations.

    python benchmarks/html_memory.py                        # 200,000 conversations (about 10 minutes on 2 cores)
    python benchmarks/html_memory.py --conversations 20000  # a quicker run
    python benchmarks/html_memory.py --jobs 1

The attack battery's run: 200,000 conversations with --html peaked at 1.68 GB and wrote a 205 MB index.html.
Here a generated corpus of that many conversations (benchmarks/generate_corpus.py, fixed seed) is scanned by
`qa-lint scan --html DIR` (built-in pack, masked pages, findings as JSON Lines to /dev/null) in a child
process; psutil samples the resident memory of the scan process and of its whole process tree every 100 ms.
Printed: the wall time, both peaks, the number of pages, the size of index.html and of the largest page. The
target is a peak under 300 MB. Nothing is asserted (tests/test_html_scorecards.py checks the index).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_corpus import DEFAULT_SEED, write_corpus  # noqa: E402


def sample(proc: psutil.Process, peaks: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            main = proc.memory_info().rss
            tree = main + sum(c.memory_info().rss for c in proc.children(recursive=True))
        except psutil.Error:
            return
        peaks["main"] = max(peaks["main"], main)
        peaks["tree"] = max(peaks["tree"], tree)
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=None, help="scan --jobs [default: the scan's own default]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--keep", action="store_true", help="keep the output folder and print where it is")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="qa-html-memory-"))
    try:
        corpus = work / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            stats = write_corpus(out, count=args.conversations, seed=args.seed)
        print(f"corpus: {stats.conversations:,} conversations, {stats.messages:,} messages, "
              f"{stats.bytes / 1024 / 1024:.0f} MB")
        site = work / "site"
        command = [sys.executable, "-m", "qa_linter.cli", "scan", str(corpus), "--html", str(site), "--format", "jsonl",
                   "-o", os.devnull, "-q"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        started = time.perf_counter()
        proc = psutil.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
        peaks = {"main": 0, "tree": 0}
        stop = threading.Event()
        sampler = threading.Thread(target=sample, args=(proc, peaks, stop), daemon=True)
        sampler.start()
        _, stderr = proc.communicate()
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        if proc.returncode not in (0, 1):
            print(stderr, file=sys.stderr)
            raise SystemExit(f"the scan failed with exit code {proc.returncode}")
        pages = [p for p in site.iterdir() if p.suffix == ".html" and not p.name.startswith("index")]
        index = site / "index.html"
        largest = max((p.stat().st_size for p in pages), default=0)
        print(f"scan --html: {elapsed:.0f} s; peak memory {peaks['main'] / 1024 / 1024:.0f} MB in the scan process, "
              f"{peaks['tree'] / 1024 / 1024:.0f} MB for the process tree")
        print(f"  {len(pages):,} scorecard pages (largest {largest / 1024:.0f} KB); index.html "
              f"{index.stat().st_size / 1024 / 1024:.1f} MB; everything {sum(p.stat().st_size for p in site.iterdir()) / 1024 / 1024:.0f} MB")
        if args.keep:
            print(f"  output kept in {site}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
