"""Throughput of `qa-lint scan --engine spark` (local[1], local[2]) against `--jobs 1` and `--jobs 2`, and the
check that Spark gives the same findings and scores, on one generated corpus.

    python benchmarks/spark_scale.py                    # 100,000 conversations (about 140 MB), ~10-20 min on 2 cores
    python benchmarks/spark_scale.py --count 20000      # a quicker run
    python benchmarks/spark_scale.py --corpus big.jsonl # an existing canonical JSON Lines file

Every command runs in a fresh process and is timed whole (start-up, reading, rules, output), as a user or
a nightly job runs it:

  - `qa-lint scan CORPUS --format jsonl -o FILE --jobs N` for N = 1, 2 (the local engine);
  - `qa-lint scan CORPUS --engine spark --master local[N] --format parquet -o DIR` for N = 1, 2 (findings,
    scores and problems as Parquet tables, as a cluster job writes them); the Spark session's start is
    included, and printed on its own;
  - then, in this process, one warm local[2] session scanning the corpus twice through the API
    (`scan_results(read_jsonl(...))`, all three tables written): what a long-lived session (a notebook, a
    job that scans many days) pays per pass.

Equality: the findings of the Spark runs (read back from Parquet) must equal those of `--jobs 1` as a set of
rows, and every conversation's score and pass/fail must equal the local JSON output's; the script prints the
counts compared and exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_corpus import DEFAULT_SEED, write_corpus  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="conversations to generate [default: 100000]")
    parser.add_argument("--corpus", type=Path, help="scan this canonical JSON Lines file instead of generating one")
    parser.add_argument("--no-warm", action="store_true", help="skip the in-process warm-session passes")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="qa-lint-spark-bench-") as tmp:
        work = Path(tmp)
        corpus = args.corpus or work / "corpus.jsonl"
        if not args.corpus:
            with open(corpus, "w", encoding="utf-8") as out:
                write_corpus(out, seed=DEFAULT_SEED, count=args.count)
        conversations, characters = _measure(corpus)
        print(f"corpus: {corpus.name}, {conversations:,} conversations, {characters:,} characters of message text, "
              f"{corpus.stat().st_size / 1e6:.1f} MB")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average at start "
              f"{os.getloadavg()[0]:.1f}")
        print()
        rows = []
        local_out = {}
        for jobs in (1, 2):
            out = work / f"local-{jobs}.jsonl"
            seconds = _run(["scan", str(corpus), "--format", "jsonl", "-o", str(out), "--jobs", str(jobs)], work)
            local_out[jobs] = out
            rows.append((f"qa-lint scan --jobs {jobs}", seconds))
        spark_out = {}
        for cores in (1, 2):
            out = work / f"spark-{cores}"
            seconds = _run(["scan", str(corpus), "--engine", "spark", "--master", f"local[{cores}]", "--format",
                            "parquet", "-o", str(out)], work)
            spark_out[cores] = out
            rows.append((f"qa-lint scan --engine spark --master local[{cores}]", seconds))
        print(f"{'command (fresh process, whole run)':58} {'seconds':>8} {'conv/s':>9} {'chars/s':>11} {'vs --jobs 1':>11}")
        base = rows[0][1]
        for label, seconds in rows:
            print(f"{label:58} {seconds:8.1f} {conversations / seconds:9,.0f} {characters / seconds:11,.0f} {base / seconds:10.2f}x")
        print()
        ok = _compare(corpus, local_out[1], local_out[2], spark_out, work)
        if not args.no_warm:
            print()
            _warm(corpus, conversations, characters, work)
        return 0 if ok else 1


def _measure(corpus: Path) -> tuple[int, int]:
    conversations = characters = 0
    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                conversations += 1
                characters += sum(len(m["text"]) for m in json.loads(line)["messages"])
    return conversations, characters


def _run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "qa_linter.cli", *args, "--exit-zero", "-q"], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return seconds


def _finding_key(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _compare(corpus: Path, jobs1: Path, jobs2: Path, spark_out: dict, work: Path) -> bool:
    import pyarrow.parquet as pq

    local = Counter(_finding_key(json.loads(line)) for line in jobs1.read_text(encoding="utf-8").splitlines())
    ok = jobs1.read_bytes() == jobs2.read_bytes()
    print(f"--jobs 2 output byte-identical to --jobs 1: {'yes' if ok else 'NO'}")
    scores_file = work / "local.json"
    _run(["scan", str(corpus), "--format", "json", "-o", str(scores_file), "--jobs", "2"], work)
    local_scores = {c["id"]: (c["score"], c["passed"]) for c in json.loads(scores_file.read_text(encoding="utf-8"))["conversations"]}
    for cores, out in spark_out.items():
        findings = Counter(_finding_key(r) for r in pq.read_table(out / "findings").to_pylist())
        scores = {r["id"]: (r["score"], r["passed"]) for r in pq.read_table(out / "scores", columns=["id", "score", "passed"]).to_pylist()}
        problems = pq.read_table(out / "problems").num_rows
        same_findings, same_scores = findings == local, scores == local_scores
        ok = ok and same_findings and same_scores and problems == 0
        print(f"local[{cores}]: {sum(findings.values()):,} findings {'equal' if same_findings else 'DIFFERENT'} to the local "
              f"scan's {sum(local.values()):,} (as a set of rows); {len(scores):,} scores and pass/fail "
              f"{'equal' if same_scores else 'DIFFERENT'}; {problems} problems")
    return ok


def _warm(corpus: Path, conversations: int, characters: int, work: Path) -> None:
    """One local[2] session, the corpus scanned twice: the session start and each pass timed on their own."""
    from pyspark import StorageLevel

    from qa_linter.spark import findings_of, load, problems_of, read_jsonl, scan_results, scores_of
    from qa_linter.spark.session import get_session

    started = time.perf_counter()
    spark = get_session("local[2]", app_name="qa-lint spark_scale")
    print(f"warm session: local[2] started in {time.perf_counter() - started:.1f} s")
    linter, scoring = load()
    from functools import partial

    from qa_linter.spark.pack import PackBundle
    from qa_linter.spark.worker import probe_batches

    for attempt in (1, 2):
        started = time.perf_counter()
        results = scan_results(read_jsonl(spark, [str(corpus)]), linter, scoring).persist(StorageLevel.MEMORY_AND_DISK)
        for name, table in (("findings", findings_of(results)), ("scores", scores_of(results)), ("problems", problems_of(results))):
            table.write.mode("overwrite").parquet(str(work / f"warm-{name}"))
        results.unpersist()
        seconds = time.perf_counter() - started
        print(f"  pass {attempt}: {seconds:6.1f} s, {conversations / seconds:8,.0f} conversations/s, {characters / seconds:10,.0f} chars/s")
    probes = spark.range(8, numPartitions=4).mapInArrow(partial(probe_batches, PackBundle.of(linter, scoring)),
                                                         "pid long, loads long, peak_mb long").collect()
    workers = {p["pid"]: p["peak_mb"] for p in probes}
    print(f"  Python workers after the passes: {len(workers)}, peak resident memory "
          f"{', '.join(f'{mb} MB' for mb in sorted(workers.values()))}")
    spark.stop()


if __name__ == "__main__":
    sys.exit(main())
