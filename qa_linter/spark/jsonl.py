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
    return numbered_lines(spark, paths, names, lambda before: partial(parse_batches, before), schema.TRANSCRIPT)


def scan_jsonl(spark, paths: Sequence[str], names: dict[str, str] | None, bundle):
    """RESULT rows straight from the lines: read_jsonl and scan_results in one Python pass, which saves
    turning every conversation into a table row and back (the command line's path)."""
    return numbered_lines(spark, paths, names, lambda before: partial(scan_line_batches, before, bundle), schema.RESULT)


def numbered_lines(spark, paths, names, function, output_schema):
    """The files' lines as (raw binary, file, block), counted per split, mapped by `function(before)`."""
    from pyspark.sql import functions as F

    from .inputs import displayed

    text = (
        spark.read.option("lineSep", "\n").text(list(paths))
        .select(F.col("value").cast("binary").alias("raw"), displayed(F.col("_metadata.file_path"), names or {}).alias("file"),
                F.col("_metadata.file_block_start").alias("block"))
    )
    counts: dict[str, list[tuple[int, int]]] = {}
    for row in text.groupBy("file", "block").count().collect():
        counts.setdefault(row["file"], []).append((row["block"], row["count"]))
    before: dict[tuple[str, int], int] = {}
    for file, blocks in counts.items():
        total = 0
        for block, count in sorted(blocks):
            before[(file, block)] = total
            total += count
    return text.mapInArrow(function(before), output_schema)


def parsed_lines(before: dict, batch, seen: dict) -> Iterator[tuple]:
    """(conversation or problem, file, line, position on the line or None) for every record of a batch of
    lines; `seen` counts the lines of each split met so far in this task."""
    columns = batch.to_pydict()
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
            yield item, file, lineno, position if len(items) > 1 else None


def parse_batches(before: dict, batches: Iterator) -> Iterator:
    """mapInArrow: lines -> TRANSCRIPT rows, through the local JSON Lines reader."""
    import pyarrow as pa

    arrow = schema.arrow_schema(schema.TRANSCRIPT)
    seen: dict[tuple[str, int], int] = {}
    for batch in batches:
        rows = [transcript_row(*parsed) for parsed in parsed_lines(before, batch, seen)]
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


def scan_line_batches(before: dict, bundle, batches: Iterator) -> Iterator:
    """mapInArrow: lines (numbered_lines) -> RESULT batches, parsed and scanned in one pass."""
    from .pack import loaded
    from .worker import conversation_result, results_batch

    linter, scoring = loaded(bundle)
    seen: dict = {}
    for batch in batches:
        rows = []
        for item, file, line, position in parsed_lines(before, batch, seen):
            order = {"file": file, "line": line, "item": position}
            if isinstance(item, InputProblem):
                rows.append({"kind": "problem", "problem": item.to_dict(), "order": order})
            else:
                rows.append(conversation_result(linter, scoring, item, order, bundle.suppress, bundle.store))
        yield results_batch(bundle, linter, rows)
