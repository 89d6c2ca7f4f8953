"""What keeping transcripts in the results store costs (for `qa-lint replay`), in space and in time.

    python benchmarks/store_space.py                 # 5 MB generated corpus, about a minute
    python benchmarks/store_space.py --size 20M      # the corpus of benchmarks/throughput.py

On one generated corpus (benchmarks/generate_corpus.py, fixed seed) it prints:
- the input (canonical JSON Lines) size, conversations and messages;
- the store after `qa-lint scan --store`: file size, the transcripts' compressed bytes (total and per
  conversation) and the file size without them (a copy with the transcripts deleted and vacuumed), so the
  share of the store they take;
- the time to pseudonymise and compress every transcript in one process (the work `scan --store` adds),
  against the time of the whole `scan --store` command;
- the time of `qa-lint replay` over the whole store (no change of rules), and of the same scan without a
  store, for comparison.
Each command runs in a fresh child process with --jobs 1.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from generate_corpus import DEFAULT_SEED, parse_size, write_corpus  # noqa: E402


def qa_lint(*args: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from qa_linter.cli import main; main()", *args], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("5M"), help="corpus size [default: 5M]")
    args = parser.parse_args()
    from qa_linter.canonical import conversation_from_dict
    from qa_linter.masking import Masker
    from qa_linter.store import transcripts

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            stats = write_corpus(out, size=args.size, seed=DEFAULT_SEED)
        print(f"input: {mb(corpus.stat().st_size)} JSON Lines, {stats.conversations:,} conversations, "
              f"{stats.messages:,} messages, {stats.characters:,} characters of message text")

        plain = qa_lint("scan", str(corpus), "--jobs", "1", "--no-suppress", "-q", "--statistics")
        stored = qa_lint("scan", str(corpus), "--jobs", "1", "--no-suppress", "-q", "--statistics", "--store", str(tmp / "s.db"))
        replay = qa_lint("replay", "--store", str(tmp / "s.db"), "--no-suppress", "--format", "json")
        with sqlite3.connect(tmp / "s.db") as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            n, body = db.execute("SELECT COUNT(*), SUM(LENGTH(body)) FROM transcripts").fetchone()
        size = (tmp / "s.db").stat().st_size
        shutil.copy(tmp / "s.db", tmp / "bare.db")
        with sqlite3.connect(tmp / "bare.db") as db:
            db.execute("DELETE FROM transcripts")
        with sqlite3.connect(tmp / "bare.db", isolation_level=None) as db:
            db.execute("VACUUM")
        bare = (tmp / "bare.db").stat().st_size
        print(f"store: {mb(size)}; transcripts {mb(body)} compressed ({body / n:,.0f} bytes per conversation, "
              f"{body / corpus.stat().st_size:.0%} of the input); the store without them {mb(bare)} "
              f"(transcripts are {1 - bare / size:.0%} of the file)")

        masker = Masker()
        convs = [conversation_from_dict(json.loads(line)) for line in corpus.read_text(encoding="utf-8").splitlines()]
        start = time.perf_counter()
        for conv in convs:
            transcripts.encode(conv, masker)
        encode = time.perf_counter() - start
        print(f"pseudonymising and compressing every transcript: {encode:.2f} s in one process "
              f"({encode / stored:.0%} of `scan --store`, {stored:.2f} s; the same scan without a store {plain:.2f} s)")
        print(f"`qa-lint replay` over the whole store: {replay:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
