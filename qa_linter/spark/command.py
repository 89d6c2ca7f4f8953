"""`qa-lint scan … --engine spark`: the scan command's work on a Spark session.

The command line has loaded the rule pack, the scoring model and the reader options already (every
mistake in them ends the command there, before a session starts); this module starts the session, lists
and reads the inputs, runs the rules once over them (the results are persisted and every output is cut
from them), writes the outputs and returns the ScanSummary that the command prints and turns into an exit
code, as for a local scan.

Outputs: without -o, the findings as JSON Lines on stdout, in input order, written by the local JSON Lines
writer (the same bytes as a local scan); with -o OUT, a folder with findings/, scores/ and problems/ (JSON
Lines or Parquet part files, as Spark writes tables) and summary.json (the JSON output's header and summary).
"""
from __future__ import annotations

import json
import sys
from functools import reduce
from typing import IO, Callable, Sequence

from .. import __version__
from ..batch import ScanSummary
from ..errors import QALinterError
from ..masking import Masker
from ..model import Finding, InputProblem, Severity

FORMATS = ("jsonl", "parquet")


class SparkScanError(QALinterError):
    """A scan on Spark that cannot run as asked (an option it does not support, an output it cannot write)."""


def check_options(fmt: str, output: str | None, paths: Sequence[str], unsupported: dict[str, object]) -> None:
    """Everything that can be refused before a session starts."""
    given = [flag for flag, value in unsupported.items() if value]
    if given == ["--store"]:
        # The store's records are written as a table instead; the weekly report reads it as it reads a store.
        raise SparkScanError("--store cannot be used with --engine spark: give -o OUT instead, and the scan writes what "
                             "--store would record to OUT/results/ (Parquet); qa-lint report weekly --results OUT reads it "
                             "(see docs/spark.md)")
    if given:
        raise SparkScanError(f"{', '.join(given)} cannot be used with --engine spark; it writes findings, scores and "
                             "problems as tables (see docs/spark.md)")
    if fmt not in FORMATS:
        raise SparkScanError(f"--engine spark writes --format jsonl or parquet, not {fmt}")
    if fmt == "parquet" and not output:
        raise SparkScanError("--format parquet needs -o OUT (a folder for findings/, scores/ and problems/)")
    if "-" in paths:
        raise SparkScanError("--engine spark reads files and folders, not stdin (-)")


def run_scan(paths: Sequence[str], linter, scoring, reader_options, *, input_format: str | None, fmt: str,
             output: str | None, master: str | None, stdout: IO[str] | None = None,
             note: Callable[[str], None] | None = None, suppress=None, store_masker=None) -> ScanSummary:
    from pyspark import StorageLevel

    from . import findings_of, problems_of, results_table_of, rule_problems_of, scan_results, scores_of
    from .inputs import list_inputs
    from .jsonl import scan_jsonl
    from .pack import PackBundle, StoreStamp
    from .parquet import read_parquet
    from .session import get_session

    from .inputs import local_path

    note = note or (lambda text: None)
    summary = ScanSummary()
    output = local_path(output) if output else None
    # With -o, every conversation's results-table row is written too (results/), for report weekly --results.
    stamp = StoreStamp.now(linter, scoring, store_masker or Masker()) if output else None
    bundle = PackBundle.of(linter, scoring, reader_options, suppress, stamp)
    from pyspark.sql import SparkSession

    own = SparkSession.getActiveSession() is None  # under spark-submit or in a notebook the session is theirs
    if own:
        note(f"starting Spark ({master or 'the master spark-submit gives, else local[*]'}) …")
    spark = get_session(master)
    if own:
        _size_splits(spark)
    try:
        tables = []
        jsonl_files, names = [], {}
        for given in paths:
            found = list_inputs(spark, [given], input_format)
            for problem in found.problems:
                summary.skip(problem)
            names.update(found.names)
            jsonl_files += found.jsonl
            if found.parquet:  # each input path is one table (canonical or flat), read on its own
                tables.append(read_parquet(spark, found.parquet, found.names, reader_options=reader_options))
        parts = [scan_jsonl(spark, jsonl_files, names, bundle)] if jsonl_files else []
        parts += [scan_results(t, bundle=bundle) for t in tables]
        if not parts:
            return summary
        results = reduce(lambda a, b: a.union(b), parts)
        results = results.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            if output:
                _write_tables(spark, output, fmt, findings_of(results), scores_of(results), problems_of(results), note)
                _write_table(results_table_of(results), f"{output.rstrip('/')}/results", "parquet", note)
            else:
                _stream_findings(results, stdout or sys.stdout)
            _summarise(summary, results, findings_of(results), problems_of(results))
            for row in rule_problems_of(results).collect():
                linter._problem(row["rule"], row["reason"])
        finally:
            results.unpersist()
        summary.finish(linter)
        if output:
            header = {"tool": "qa-linter", "version": __version__, "rule_pack": linter.pack.fingerprint,
                      "scorecard": scoring.fingerprint, "engine": "spark", "master": spark.sparkContext.master}
            _write_text(spark, f"{output.rstrip('/')}/summary.json",
                        json.dumps({**header, "summary": summary.to_dict()}, ensure_ascii=False, indent=2) + "\n")
        return summary
    finally:
        if own:
            spark.stop()


def _size_splits(spark) -> None:
    """About four input splits (and shuffle partitions) per core, also for inputs of a few MB: the rules cost ~1 ms a conversation,
    so a split is minutes of work, and two splits on two cores leave one idle when the other runs long."""
    cores = spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.files.minPartitionNum", str(cores * 4))
    spark.conf.set("spark.sql.files.openCostInBytes", str(1024 * 1024))
    # A flat table is grouped by conversation: as many groups of conversations as splits, not Spark's 200.
    spark.conf.set("spark.sql.shuffle.partitions", str(cores * 4))


def _write_tables(spark, output: str, fmt: str, findings, scores, problems, note) -> None:
    base = output.rstrip("/")
    for name, table in (("findings", findings), ("scores", scores), ("problems", problems)):
        _write_table(table, f"{base}/{name}", fmt, note)


def _write_table(table, target: str, fmt: str, note) -> None:
    writer = table.write.mode("overwrite")
    try:
        if fmt == "jsonl":
            # null fields written out, as the local JSON Lines output does ("start": null)
            writer.option("ignoreNullFields", "false").json(target)
        else:
            writer.parquet(target)
    except Exception as exc:  # noqa: BLE001 - Spark reports a write failure as a Java exception
        raise SparkScanError(f"{target}: cannot write: {_first_line(exc)}") from None
    note(f"{target.rsplit('/', 1)[-1]}: {target}/ ({fmt})")


def _stream_findings(results, out: IO[str]) -> None:
    """The findings in input order through the local JSON Lines writer: the bytes of a local scan."""
    from pyspark.sql import functions as F

    from ..outputs.json_output import JsonLinesWriter

    writer = JsonLinesWriter(out)
    ordered = (results.where((F.col("kind") == "conversation") & (F.size("finding_rows") > 0))
               .orderBy("order.file", "order.line", "order.item").select("finding_rows"))
    for row in ordered.toLocalIterator():
        writer.conversation(None, [finding_from_row(f.asDict()) for f in row["finding_rows"]])
    writer.close({}, {})


def finding_from_row(row: dict) -> Finding:
    return Finding(**{**row, "severity": Severity.parse(row["severity"])})


def _summarise(summary: ScanSummary, results, findings, problems) -> None:
    from pyspark.sql import functions as F

    totals = (results.where(F.col("kind") == "conversation")
              .agg(F.count(F.lit(1)).alias("n"), F.sum("messages").alias("m"), F.sum("suppressed").alias("s")).first())
    summary.conversations, summary.messages = int(totals["n"] or 0), int(totals["m"] or 0)
    summary.suppressed = int(totals["s"] or 0)
    for row in findings.groupBy("rule", "category", "severity").count().collect():
        count = int(row["count"])
        summary.findings += count
        summary.by_rule[row["rule"]] += count
        summary.by_category[row["category"]] += count
        summary.by_severity[row["severity"]] += count
        severity = Severity.parse(row["severity"])
        if summary.max_severity is None or severity > summary.max_severity:
            summary.max_severity = severity
    total = problems.count()
    listed = problems.orderBy("source", "line").limit(max(0, summary.MAX_LISTED - len(summary.skipped))).collect()
    for row in listed:
        summary.skip(InputProblem(row["source"], row["line"], row["reason"]))
    summary.skipped_count += total - len(listed)


def _write_text(spark, path: str, text: str) -> None:
    """A small file next to the tables, on whatever file system they are on."""
    jvm = spark._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    try:
        stream = target.getFileSystem(spark._jsc.hadoopConfiguration()).create(target, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
    except Exception as exc:  # noqa: BLE001
        raise SparkScanError(f"{path}: cannot write: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
