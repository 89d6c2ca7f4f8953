"""What the weekly report's results table costs a Spark scan, and what reading it costs the report.

    python benchmarks/spark_results.py                  # 20,000 generated conversations, a few minutes on 2 cores
    python benchmarks/spark_results.py --count 100000

In one warm local[2] session (after a first pass that warms the Python workers), the corpus is scanned through
the API as `scan --engine spark -o OUT` does, alternately without and with the results table
(`scan_results(..., store_masker=...)` + `results_table_of(...).write.parquet`), so the difference is the cost
of computing the store's records (masking every finding's excerpt and message, finding ids) and writing them.
Then, in fresh processes, `qa-lint report weekly` is timed over the SQLite store of a local `scan --store` and
over the results table, for the busiest ISO week of the corpus, and the two reports' JSON must be equal (apart
from generation time and source); the script exits 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_corpus import DEFAULT_SEED, write_corpus  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="conversations to generate [default: 20000]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-lint-spark-results-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as out:
            write_corpus(out, seed=DEFAULT_SEED, count=args.count)
        week = _busiest_week(corpus)
        print(f"corpus: {args.count:,} conversations, {corpus.stat().st_size / 1e6:.1f} MB; busiest week {week}; "
              f"load average at start {os.getloadavg()[0]:.1f}")
        _warm(corpus, args.count, work)
        return 0 if _reports(corpus, week, work) else 1


def _busiest_week(corpus: Path) -> str:
    weeks: Counter = Counter()
    tz = ZoneInfo("Asia/Shanghai")
    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            started = json.loads(line).get("started_at")
            if started:
                year, week, _ = datetime.fromisoformat(started).astimezone(tz).isocalendar()
                weeks[f"{year}-W{week:02d}"] += 1
    return weeks.most_common(1)[0][0]


def _warm(corpus: Path, count: int, work: Path) -> None:
    from pyspark import StorageLevel

    from qa_linter.masking import Masker
    from qa_linter.spark import findings_of, load, problems_of, read_jsonl, results_table_of, scan_results, scores_of
    from qa_linter.spark.session import get_session

    spark = get_session("local[2]", app_name="qa-lint spark_results")
    linter, scoring = load()
    times: dict[bool, list[float]] = {False: [], True: []}
    for attempt, with_results in enumerate((False, False, True, False, True)):
        started = time.perf_counter()
        results = scan_results(read_jsonl(spark, [str(corpus)]), linter, scoring,
                               store_masker=Masker() if with_results else None).persist(StorageLevel.MEMORY_AND_DISK)
        tables = [("findings", findings_of(results)), ("scores", scores_of(results)), ("problems", problems_of(results))]
        if with_results:
            tables.append(("results", results_table_of(results)))
        for name, table in tables:
            table.write.mode("overwrite").parquet(str(work / "out" / name))
        results.unpersist()
        seconds = time.perf_counter() - started
        if attempt:  # the first pass warms the workers (pack load, caches)
            times[with_results].append(seconds)
        print(f"  pass {attempt + 1} ({'with' if with_results else 'without'} results/): {seconds:6.1f} s, "
              f"{count / seconds:7,.0f} conversations/s")
    spark.stop()
    plain, full = min(times[False]), min(times[True])
    print(f"best warm pass: {plain:.1f} s without results/, {full:.1f} s with it ({100 * (full - plain) / plain:+.0f} %)")
    sizes = {name: sum(f.stat().st_size for f in (work / "out" / name).rglob("*.parquet")) for name in ("findings", "scores", "results")}
    print("on disk (Parquet, snappy): " + ", ".join(f"{name}/ {size / 1e6:.1f} MB" for name, size in sizes.items())
          + f"; results/ {sizes['results'] / count:.0f} bytes a conversation")


def _cli(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from qa_linter.cli import main; main()", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _reports(corpus: Path, week: str, work: Path) -> bool:
    scan = _cli(["scan", str(corpus), "--store", "store.db", "--jobs", "2", "--exit-zero", "-q", "--format", "jsonl",
                 "-o", os.devnull], work)
    print(f"local scan --store --jobs 2: {scan:.1f} s; store.db {(work / 'store.db').stat().st_size / 1e6:.1f} MB")
    timings = {}
    for label, source in (("--store store.db", ["--store", "store.db"]), ("--results out", ["--results", "out"])):
        timings[label] = _cli(["report", "weekly", *source, "--week", week, "--out", label.split()[-1] + "-report"], work)
    print("report weekly (fresh process, whole run): " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    a = json.loads((work / "store.db-report" / f"weekly-{week}.json").read_text(encoding="utf-8"))
    b = json.loads((work / "out-report" / f"weekly-{week}.json").read_text(encoding="utf-8"))
    for data in (a, b):
        data.pop("generated_at"), data.pop("source")
    same = a == b
    print(f"reports equal: {same} ({a['figures']['conversations']:,} conversations in {week}, "
          f"{a['figures']['findings']:,} findings)")
    return same


if __name__ == "__main__":
    sys.exit(main())
