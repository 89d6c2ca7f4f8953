"""Scanning on Apache Spark: the rule pack of `qa-lint scan`, its findings and its scores, on a cluster.

    from qa_linter.spark import read_jsonl, scan_results, findings_of, scores_of, problems_of

    results = scan_results(read_jsonl(spark, ["s3a://lake/qa/2026-11-30/"]), config="qa-linter.yaml").persist()
    findings_of(results).write.parquet(...)    # one row per finding: the JSON Lines output's fields
    scores_of(results).write.parquet(...)      # one row per conversation: the JSON output's record and score
    problems_of(results).write.parquet(...)    # records that could not be read: source, line, reason

`scan_dataframe(df, ...)` and `score_dataframe(df, ...)` are the one-output shortcuts. The rules run in
mapInArrow over whole Arrow batches, with the pack loaded once per Python worker (see pack.py); a rule
mistake raises RuleLoadError here, on the driver, before any task starts. docs/spark.md has the details.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Iterable

try:
    import pyspark  # noqa: F401
except ImportError:  # pragma: no cover - the core install has no pyspark
    raise ImportError("qa_linter.spark needs pyspark: pip install 'qa-linter[spark]'") from None

from ..errors import QALinterError
from . import schema
from .flat import FlatTableError, flat_to_canonical
from .pack import PackBundle

TRANSCRIPT_COLUMNS = ("id", "channel", "agent", "team", "started_at", "messages", "meta", "_input")
SCORE_COLUMNS = tuple(f.name for f in schema.SCORE.fields)


class SparkInputError(QALinterError):
    """A DataFrame that is not in the canonical transcript shape."""


def load(config=None, *, rules: Iterable = (), builtin: bool | None = None, select: Iterable[str] = (),
         ignore: Iterable[str] = (), severity: dict | None = None, scorecard: str | Path | None = None):
    """(Linter, scoring model) as `qa-lint scan` builds them: config file, extra rules, selection, scorecard."""
    from ..config import Config, load_config
    from ..engine import Linter
    from ..scoring import scoring_model_from_config

    if not isinstance(config, Config):
        config = load_config(Path(config) if config else None, discover=False)
    linter = Linter.from_config(config, rules=rules, builtin=builtin, select=select, ignore=ignore, severity=severity)
    return linter, scoring_model_from_config(config, scorecard).limited_to(linter.rules)


def scan_results(df, linter=None, scoring=None, *, reader_options=None, config=None, bundle=None, store_masker=None,
                 **load_args):
    """One RESULT row per input row (schema.RESULT): the conversation's score record and its findings, or
    the problem that kept it from being read; plus `rule_problem` rows. Persist it to write several outputs
    from one pass of the rules. With `store_masker` (a masking.Masker, e.g. Masker.from_config(config)), the
    rows also carry the results table that `qa-lint report weekly --results` reads (results_table_of)."""
    if "messages" not in df.columns or "id" not in df.columns:
        raise SparkInputError(
            f"the DataFrame has no {'messages' if 'messages' not in df.columns else 'id'} column, so it is not in the "
            "canonical shape (id, messages[role, text, ts], …); for one message per row use flat_to_canonical")
    if bundle is None:  # (the command line builds the bundle once for all its inputs)
        if linter is None:
            linter, loaded_scoring = load(config, **load_args)
            scoring = scoring or loaded_scoring
        elif scoring is None:
            from ..scoring import load_scoring_model

            scoring = load_scoring_model().limited_to(linter.rules)
        from .pack import StoreStamp

        stamp = StoreStamp.now(linter, scoring, store_masker) if store_masker is not None else None
        bundle = PackBundle.of(linter, scoring, reader_options, store=stamp)
    from .worker import scan_batches

    columns = [c for c in TRANSCRIPT_COLUMNS if c in df.columns]
    return df.select(*columns).mapInArrow(partial(scan_batches, bundle), schema.RESULT)


def findings_of(results):
    """One row per finding, Finding.to_dict()'s fields in its order."""
    from pyspark.sql import functions as F

    return results.where(F.col("kind") == "conversation").select(F.explode("finding_rows").alias("f")).select("f.*")


def scores_of(results):
    """One row per conversation: id, channel, agent, team, started_at, messages, findings, source, score,
    passed, scorecard (sections, deductions, auto-fail), as in the JSON output."""
    from pyspark.sql import functions as F

    return results.where(F.col("kind") == "conversation").select(*SCORE_COLUMNS)


def results_table_of(results):
    """One row per conversation in the results table's shape (store/parquet.py): what `scan --store` records,
    for `qa-lint report weekly --results`. Needs scan_results(..., store_masker=...)."""
    from pyspark.sql import functions as F

    return results.where(F.col("kind") == "conversation").select("stored.*")


def problems_of(results):
    """Records that could not be read: source, line, reason (as the local scan's skipped inputs)."""
    from pyspark.sql import functions as F

    return results.where(F.col("kind") == "problem").select("problem.*")


def rule_problems_of(results):
    """Rules that failed or timed out on some conversation: rule, reason (one row per rule)."""
    from pyspark.sql import functions as F

    return (results.where(F.col("kind") == "rule_problem").select(F.explode("rule_problems").alias("p"))
            .select("p.*").dropDuplicates(["rule"]))


def scan_dataframe(df, config=None, rules: Iterable = (), **kwargs):
    """The findings of a canonical transcript DataFrame (see findings_of)."""
    return findings_of(scan_results(df, config=config, rules=rules, **kwargs))


def score_dataframe(df, config=None, rules: Iterable = (), **kwargs):
    """The score rows of a canonical transcript DataFrame (see scores_of)."""
    return scores_of(scan_results(df, config=config, rules=rules, **kwargs))


def read_jsonl(spark, paths: Iterable[str]):
    """Canonical JSON Lines files and folders as a TRANSCRIPT DataFrame; bad lines are rows with
    `_input.problem` set (they become problems_of rows)."""
    from .inputs import list_inputs
    from .jsonl import read_jsonl as read_listed

    found = _listed(list_inputs(spark, paths, "jsonl"))
    return read_listed(spark, found.jsonl, found.names)


def read_parquet(spark, paths: Iterable[str], *, flat_columns: dict | None = None, order_by: str | None = None,
                 reader_options=None):
    """Parquet files and folders: canonical (a messages column) as they are, a flat table grouped by
    flat_to_canonical."""
    from .inputs import list_inputs
    from .parquet import read_parquet as read_listed

    found = _listed(list_inputs(spark, paths, "parquet"))
    return read_listed(spark, found.parquet, found.names, flat_columns=flat_columns, order_by=order_by,
                       reader_options=reader_options)


def _listed(found):
    if found.problems:
        raise SparkInputError("; ".join(f"{p.where()}: {p.reason}" for p in found.problems))
    return found


__all__ = [
    "FlatTableError", "SparkInputError", "findings_of", "flat_to_canonical", "load", "problems_of", "read_jsonl",
    "read_parquet", "results_table_of", "rule_problems_of", "scan_dataframe", "scan_results", "schema", "score_dataframe", "scores_of",
]
