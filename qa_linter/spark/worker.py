"""What runs in Spark's Python workers: canonical transcript rows in, scan results out, batch by batch.

Every function here is called by mapInArrow with an iterator of Arrow record batches, and lives in this
module (not in a script) so Spark pickles it by reference: the worker imports it once and the rule pack
cached in `pack.loaded` serves every later task. A row becomes a Conversation through
`canonical.conversation_from_dict`, the same validation as the local JSON Lines reader; the findings come
from `Linter.scan` and the score from `ScoringModel.score`, as in `qa-lint scan`, so the rows are the local
outputs' records.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterator

from ..canonical import InvalidTranscript, conversation_from_dict
from ..jsondata import JsonProblem, loads
from ..outputs.json_output import conversation_record
from . import schema
from .pack import PackBundle, loaded

_RESULT_ARROW = None


def result_arrow():
    global _RESULT_ARROW
    if _RESULT_ARROW is None:
        _RESULT_ARROW = schema.arrow_schema(schema.RESULT)
    return _RESULT_ARROW


def scan_batches(bundle: PackBundle, batches: Iterator) -> Iterator:
    """mapInArrow: TRANSCRIPT-shaped batches -> RESULT batches (one row per input row, plus rule problems)."""
    linter, scoring = loaded(bundle)
    for batch in batches:
        yield results_batch(bundle, linter, [result_row(linter, scoring, row, bundle.suppress, bundle.store)
                                             for row in batch.to_pylist()])


def results_batch(bundle: PackBundle, linter, rows: list[dict]):
    """A RESULT batch of `rows`, plus one row with the rule problems this worker has not returned before."""
    import pyarrow as pa

    reported = _REPORTED.setdefault(bundle.key, set())
    new = [{"rule": rule, "reason": reason} for rule, reason in sorted(linter.rule_problems.items()) if rule not in reported]
    if new:
        reported.update(p["rule"] for p in new)
        rows.append({"kind": "rule_problem", "rule_problems": new})
    return pa.RecordBatch.from_pylist(rows, schema=result_arrow())


_REPORTED: dict[str, set[str]] = {}  # bundle key -> rule problems this worker has already returned


def result_row(linter, scoring, row: dict[str, Any], suppress=None, store=None) -> dict[str, Any]:
    where = row.get("_input") or {}
    order = {"file": where.get("file"), "line": where.get("line"), "item": where.get("item")}
    if where.get("problem"):
        return {"kind": "problem", "problem": _problem(where, where["problem"]), "order": order}
    try:
        conv = conversation_from_dict(_as_canonical(row), where.get("source") or _place(where))
    except InvalidTranscript as exc:
        item = where.get("item")
        reason = str(exc) if item is None else f"item {item}: {exc}"
        return {"kind": "problem", "problem": _problem(where, reason), "order": order}
    return conversation_result(linter, scoring, conv, order, suppress, store)


def conversation_result(linter, scoring, conv, order: dict, suppress=None, store=None) -> dict[str, Any]:
    """The RESULT row of one conversation: `qa-lint scan`'s findings (without those the suppressions file hides,
    as batch.scan_items does), and its score as the JSON output has it; with `store` (pack.StoreStamp), also its
    results-table row, what `scan --store` records of it."""
    found = linter.scan(conv)
    findings = suppress(found) if suppress is not None and found else found
    card = scoring.score(conv, findings)
    record = conversation_record(conv, findings)
    record.update(score=card.total, passed=card.passed, scorecard=card.to_dict())
    record.update(kind="conversation", finding_rows=[f.to_dict() for f in findings], order=order,
                  suppressed=len(found) - len(findings))
    if store is not None:
        from ..store.base import ScanResult
        from ..store.parquet import result_row as stored_row

        result = ScanResult(conv, findings, record["scorecard"], store.rule_pack, store.scoring_model, store.scanned_at)
        record["stored"] = stored_row(result, store.masker, order)
    return record


def _place(where: dict) -> str | None:
    """file:row for a table row that carries no source of its own (a canonical Parquet table)."""
    if where.get("file") and where.get("line") is not None:
        return f"{where['file']}:{where['line']}"
    return where.get("file")


def _problem(where: dict, reason: str) -> dict:
    return {"source": where.get("file") or "<dataframe>", "line": where.get("line"), "reason": reason}


def _as_canonical(row: dict[str, Any]) -> dict[str, Any]:
    """A table row as the canonical JSON object: times as ISO strings, meta as an object, whatever the
    table's types (Parquet timestamps, a meta map or struct)."""
    obj = {key: row.get(key) for key in ("id", "channel", "agent", "team")}
    obj["started_at"] = _time_text(row.get("started_at"))
    messages = row.get("messages")
    if isinstance(messages, list):
        messages = [
            {**m, "ts": _time_text(m.get("ts"))} if isinstance(m, dict) else m
            for m in messages
        ]
    obj["messages"] = messages
    obj["meta"] = _meta(row.get("meta"))
    return obj


def _time_text(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _meta(value: Any) -> Any:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            return loads(value)  # the one decoder for JSON from outside (deep nesting, huge numbers, surrogates)
        except JsonProblem:
            return value  # not JSON: conversation_from_dict reports that meta must be an object
    if isinstance(value, list) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return dict(value)  # an Arrow map
    return value



def probe_batches(bundle: PackBundle, batches: Iterator) -> Iterator:
    """mapInArrow diagnostic (tests, benchmarks/spark_scale.py): per task, this worker's process id and how
    often it has loaded the pack (with worker reuse, a worker that ran many tasks says 1), and its peak
    resident memory in MB."""
    import os
    import resource

    import pyarrow as pa

    from .pack import LOADS

    loaded(bundle)
    for _ in batches:
        pass
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # Linux: kilobytes
    yield pa.RecordBatch.from_pylist([{"pid": os.getpid(), "loads": LOADS.get(bundle.key, 0), "peak_mb": peak_mb}],
                                     schema=pa.schema([("pid", pa.int64()), ("loads", pa.int64()), ("peak_mb", pa.int64())]))
