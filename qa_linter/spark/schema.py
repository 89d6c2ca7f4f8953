"""The tables of a Spark scan, declared once: what goes in (canonical transcripts) and what comes out.

The output tables have the fields of the local outputs, in the same order: a finding row is
`Finding.to_dict()` (the JSON Lines output), a score row is the conversation record of the JSON output with
its `score`, `passed` and `scorecard` (`ScoreCard.to_dict()`), a problem row is `InputProblem.to_dict()`.
"""
from __future__ import annotations

from pyspark.sql.types import (
    ArrayType, BooleanType, DoubleType, IntegerType, LongType, StringType, StructField, StructType,
)


def _struct(*fields: tuple) -> StructType:
    return StructType([StructField(name, kind, True) for name, kind in fields])


# Where a record was read, carried next to it. `problem` set: the record could not be read (the rest is null).
INPUT = _struct(
    ("source", StringType()),  # the conversation's place as the local scan names it: file:line or file:line[item]
    ("file", StringType()),
    ("line", LongType()),  # JSON Lines: the line; Parquet: the row in its file, from 1
    ("item", IntegerType()),  # position on its line when the line holds a JSON array
    ("problem", StringType()),
)

MESSAGE = _struct(("role", StringType()), ("text", StringType()), ("ts", StringType()))

# The canonical transcript (spec: transcripts.md) as a table. Times are ISO 8601 strings, as in JSON Lines;
# `meta` is the JSON text of the meta object. A DataFrame given to scan_dataframe may also type the times as
# timestamps and meta as a map or struct, and may leave out _input.
TRANSCRIPT = _struct(
    ("id", StringType()),
    ("channel", StringType()),
    ("agent", StringType()),
    ("team", StringType()),
    ("started_at", StringType()),
    ("messages", ArrayType(MESSAGE)),
    ("meta", StringType()),
    ("_input", INPUT),
)

FINDING = _struct(
    ("conversation_id", StringType()),
    ("message_index", IntegerType()),
    ("role", StringType()),
    ("rule", StringType()),
    ("category", StringType()),
    ("severity", StringType()),
    ("message", StringType()),
    ("start", IntegerType()),
    ("end", IntegerType()),
    ("text", StringType()),
    ("suggestion", StringType()),
    ("manual", StringType()),
)

SECTION = _struct(
    ("id", StringType()),
    ("name", StringType()),
    ("categories", ArrayType(StringType())),
    ("points", DoubleType()),
    ("applicable", BooleanType()),
    ("na_reason", StringType()),
    ("findings", IntegerType()),
    ("deducted", DoubleType()),
    ("earned", DoubleType()),
)

AUTO_FAIL = _struct(("category", StringType()), ("rule", StringType()), ("message_index", IntegerType()), ("reason", StringType()))

SCORECARD = _struct(
    ("score", DoubleType()),
    ("passed", BooleanType()),
    ("pass_mark", DoubleType()),
    ("auto_fail", ArrayType(AUTO_FAIL)),
    ("points_possible", DoubleType()),
    ("points_earned", DoubleType()),
    ("unscored_findings", IntegerType()),
    ("sections", ArrayType(SECTION)),
)

# One row per conversation: outputs/json_output.conversation_record plus the score figures.
SCORE = _struct(
    ("id", StringType()),
    ("channel", StringType()),
    ("agent", StringType()),
    ("team", StringType()),
    ("started_at", StringType()),
    ("messages", IntegerType()),
    ("findings", IntegerType()),
    ("source", StringType()),
    ("path", StringType()),
    ("line", LongType()),
    ("score", DoubleType()),
    ("passed", BooleanType()),
    ("scorecard", SCORECARD),
)

PROBLEM = _struct(("source", StringType()), ("line", LongType()), ("reason", StringType()))

RULE_PROBLEM = _struct(("rule", StringType()), ("reason", StringType()))


def _stored():
    """The results table (store/parquet.py: what the weekly report reads), declared there in Arrow terms."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from ..store.parquet import arrow_schema as results_schema

    return from_arrow_schema(results_schema())


STORED = _stored()

# What the executors return for every input record: the score row's fields, the findings, and the input
# order; or the problem that kept the record from being read; or (kind rule_problem) the rules that failed
# or timed out in one worker, reported once each.
RESULT = StructType(
    list(SCORE.fields)
    + [
        StructField("kind", StringType(), False),  # conversation | problem | rule_problem
        StructField("finding_rows", ArrayType(FINDING), True),
        StructField("suppressed", IntegerType(), True),  # findings the suppressions file hid
        StructField("problem", PROBLEM, True),
        StructField("rule_problems", ArrayType(RULE_PROBLEM), True),
        StructField("order", _struct(("file", StringType()), ("line", LongType()), ("item", IntegerType())), True),
        StructField("stored", STORED, True),  # the results-table row, when the scan records results (PackBundle.store)
    ]
)


def arrow_schema(schema: StructType):
    """The Arrow schema that Spark expects back from mapInArrow for `schema`."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)
