"""Parquet on Spark: a table in the canonical shape (a `messages` array per conversation) is scanned as it
is; a flat table (one message per row) is grouped into conversations by `flat.flat_to_canonical`.

Each row keeps its place (file and row number from 1, from Spark's `_metadata`), for problems and sources.
"""
from __future__ import annotations

from typing import Sequence

from .inputs import displayed


def read_parquet(spark, paths: Sequence[str], names: dict[str, str] | None = None, *, flat_columns=None,
                 order_by: str | None = None, reader_options=None):
    """A TRANSCRIPT-shaped DataFrame of the Parquet files (Spark's names; folders listed by
    inputs.list_inputs). A table without a `messages` column is read as a flat one-message-per-row table,
    with `flat_columns` ({id: …, role: …, text: …, time: …}, as csv_columns) and `order_by` (the sequence
    column) where its column names are not the usual ones."""
    from pyspark.sql import functions as F

    table = spark.read.parquet(*paths)
    file = displayed(F.col("_metadata.file_path"), names or {})
    line = (F.col("_metadata.row_index") + 1).cast("long")
    if "messages" in table.columns:
        canonical = [c for c in ("id", "channel", "agent", "team", "started_at", "messages", "meta") if c in table.columns]
        place = F.struct(F.lit(None).cast("string").alias("source"), file.alias("file"), line.alias("line"),
                         F.lit(None).cast("int").alias("item"), F.lit(None).cast("string").alias("problem"))
        return table.select(*canonical, place.alias("_input"))
    from .flat import flat_to_canonical

    return flat_to_canonical(table.withColumn("_file", file).withColumn("_line", line), columns=flat_columns,
                             order_by=order_by, reader_options=reader_options)
