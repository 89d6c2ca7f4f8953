"""Canonical JSON Lines on Spark: the lines are split by Spark, each is parsed by the local reader.

Spark's own JSON source would coerce what the local scan rejects (a number where a text belongs becomes its
digits), so each line goes through `readers.jsonl` in the Python workers instead: the same conversations,
the same problems with the same reasons. Line numbers come from a first pass that counts the lines of every
file split (`_metadata.file_block_start`); a split's lines reach one task in order, so a line's number is
the count of the splits before it plus its place in its own. That pass reads the text once more in the JVM,
which costs little next to the rules.
"""
from __future__ import annotations

import json
from functools import partial
from typing import Iterator, Sequence

from ..canonical import conversation_to_dict
from ..model import InputProblem
from ..readers.jsonl import UnparsedLine
from . import schema

BOM = b"\xef\xbb\xbf"


def read_jsonl(spark, paths: Sequence[str], names: dict[str, str] | None = None):
    """A TRANSCRIPT DataFrame of the conversations (and bad lines) in JSON Lines files (Spark's names; list
    folders with inputs.list_inputs). `names` maps them to the names shown in problems and sources."""
    from pyspark.sql import functions as F

    from .inputs import displayed

    text = (
        spark.read.option("lineSep", "\n").text(list(paths))
        .select(F.col("value").cast("binary").alias("raw"), displayed(F.col("_metadata.file_path"), names or {}).alias("file"),
                F.col("_metadata.file_block_start").alias("block"))
    )
    return lines_to_transcripts(text)


def lines_to_transcripts(text):
    """(raw binary, file string, block long) lines -> TRANSCRIPT rows, numbered per file."""
    counts: dict[str, list[tuple[int, int]]] = {}
    for row in text.groupBy("file", "block").count().collect():
        counts.setdefault(row["file"], []).append((row["block"], row["count"]))
    before: dict[tuple[str, int], int] = {}
    for file, blocks in counts.items():
        total = 0
        for block, count in sorted(blocks):
            before[(file, block)] = total
            total += count
    return text.mapInArrow(partial(parse_batches, before), schema.TRANSCRIPT)


def parse_batches(before: dict, batches: Iterator) -> Iterator:
    """mapInArrow: lines -> TRANSCRIPT rows, through the local JSON Lines reader."""
    import pyarrow as pa

    arrow = schema.arrow_schema(schema.TRANSCRIPT)
    seen: dict[tuple[str, int], int] = {}
    for batch in batches:
        columns = batch.to_pydict()
        rows = []
        for raw, file, block in zip(columns["raw"], columns["file"], columns["block"]):
            key = (file, block)
            index = seen.get(key, 0)
            seen[key] = index + 1
            lineno = before[key] + index + 1 if key in before else None
            if lineno == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if not raw.strip():
                continue
            # The line as the local reader sees it, with its newline (a JSON error's column counts from it).
            items = UnparsedLine(file, lineno, raw + b"\n").parse()
            for position, item in enumerate(items):
                rows.append(transcript_row(item, file, lineno, position if len(items) > 1 else None))
        yield pa.RecordBatch.from_pylist(rows, schema=arrow)


def transcript_row(item, file: str | None, line: int | None, position: int | None) -> dict:
    """A Conversation (or the InputProblem read instead) as a TRANSCRIPT row."""
    if isinstance(item, InputProblem):
        return {"_input": {"file": item.source, "line": item.line, "item": position, "problem": item.reason}}
    data = conversation_to_dict(item)
    return {
        "id": data["id"], "channel": data["channel"], "agent": data.get("agent"), "team": data.get("team"),
        "started_at": data.get("started_at"),
        "messages": [{"role": m["role"], "text": m["text"], "ts": m.get("ts")} for m in data["messages"]],
        "meta": json.dumps(data["meta"], ensure_ascii=False),
        "_input": {"source": item.source, "file": file, "line": line, "item": position},
    }
