"""A flat table, one message per row, grouped into canonical conversations on Spark.

The mapping (docs/spark.md):

| canonical | column (first match; compared ignoring case, spaces, _ - .) | |
|---|---|---|
| id | conversation_id, conversation, session_id, chat_id, ticket_id, 会话ID … | required |
| role | role, sender_role, speaker, 角色, 发送方 … (values: agent/客服/坐席, customer/客户/用户, system/系统 …) | required |
| text | text, message, content, body, 内容, 消息 … (kept exactly: offsets stay those of the table's text) | required |
| messages[].ts | ts, timestamp, time, sent_at, 时间 … (ISO 8601 text, a timestamp column, or Unix seconds) | optional |
| order | seq, sequence, message_index, msg_index, 序号, 消息序号 (or `order_by=`) | optional |
| agent, team, channel | agent, agent_id, 坐席 …; team, skill_group, 团队 …; channel, 渠道 … | optional |

These are the CSV reader's header names and cell values (`readers/csv_table.py`; `csv_columns` in
qa-linter.yaml names other columns, and `csv_columns.roles` other role values), so a flat table means what
the same export as CSV would mean. Rows are grouped by the id column. Within a conversation the messages are
in the order column's order when there is one; without one, in time order, rows with equal times (or
without times) in file order, as the CSV reader does. A row that cannot be read (an unknown role, a time
that is not one) is a problem with its file and row number, and its conversation is scanned without it.
"""
from __future__ import annotations

from functools import partial
from typing import Iterator

from ..errors import QALinterError
from ..model import InputProblem
from ..readers.csv_table import BadRow, ColumnMap, MissingColumn, Row, _cell_text, _conversation, _role, _time
from ..readers.options import ReaderOptions, normal_key
from . import schema

ORDER_COLUMNS = ("seq", "sequence", "message_index", "msg_index", "message_no", "序号", "消息序号")


class FlatTableError(QALinterError):
    """The table lacks a column the mapping needs; the message lists the columns it has."""


def flat_to_canonical(df, *, columns: dict | None = None, order_by: str | None = None, reader_options: ReaderOptions | None = None):
    """A TRANSCRIPT DataFrame from a one-message-per-row DataFrame (see the module's mapping).

    `columns` names columns by canonical field ({id: 工单编号, text: 聊天内容}, as csv_columns); without it
    `reader_options.csv_columns` does. Optional `_file` and `_line` columns (read_parquet adds them) give
    each row's place for problems and for file order."""
    from pyspark.sql import functions as F

    options = reader_options or ReaderOptions()
    if columns:
        from ..readers.options import CsvColumns

        try:
            explicit = CsvColumns.from_config(columns).fields
        except QALinterError as exc:
            raise FlatTableError(str(exc)) from None
    else:
        explicit = options.csv_columns.fields
    headers = [c for c in df.columns if c not in ("_file", "_line")]
    try:
        column_map = ColumnMap.resolve(headers, explicit)
    except MissingColumn as exc:
        raise FlatTableError(f"flat table: {exc}") from None
    order = _order_column(headers, order_by, column_map)
    fields = [F.col(f"`{headers[i]}`").alias(name) for name, i in column_map.indexes.items()]
    place = [F.col(c) if c in df.columns else F.lit(None).alias(c) for c in ("_file", "_line")]
    ordering = [F.col(f"`{order}`").alias("_order")] if order else []
    id_column = F.col(f"`{headers[column_map.indexes['id']]}`")
    grouped = df.groupBy(id_column.alias("_id")).agg(F.collect_list(F.struct(*fields, *ordering, *place)).alias("rows"))
    return grouped.select("rows").mapInArrow(partial(group_batches, column_map, order is not None, options), schema.TRANSCRIPT)


def _order_column(headers: list[str], order_by: str | None, column_map: ColumnMap) -> str | None:
    if order_by:
        if order_by not in headers:
            raise FlatTableError(f"flat table: order_by names the column {order_by!r}, which the table does not have; "
                                 f"it has: {', '.join(headers[:20])}")
        return order_by
    taken = set(column_map.indexes.values())
    keys = [normal_key(h) for h in headers]
    for alias in ORDER_COLUMNS:
        key = normal_key(alias)
        if key in keys and keys.index(key) not in taken:
            return headers[keys.index(key)]
    return None


def group_batches(column_map: ColumnMap, ordered: bool, options: ReaderOptions, batches: Iterator) -> Iterator:
    """mapInArrow: one row of grouped messages per conversation -> TRANSCRIPT rows (and problem rows)."""
    import pyarrow as pa

    from .jsonl import transcript_row

    arrow = schema.arrow_schema(schema.TRANSCRIPT)
    width = len(column_map.headers)
    for batch in batches:
        out = []
        for group in batch.column("rows").to_pylist():
            if ordered:
                group.sort(key=lambda r: (r["_order"] is None, r["_order"] if r["_order"] is not None else 0,
                                          r["_file"] or "", r["_line"] or 0))
            else:
                group.sort(key=lambda r: (r["_file"] or "", r["_line"] or 0))
            rows, first = [], None
            for item in group:
                cells = [None] * width
                for name, index in column_map.indexes.items():
                    cells[index] = item.get(name)
                try:
                    conv_id, row = _row(cells, item.get("_line"), column_map, options)
                except BadRow as exc:
                    problem = InputProblem(item.get("_file") or "<table>", item.get("_line"), str(exc))
                    out.append(transcript_row(problem, None, None, None))
                    continue
                first = first or item
                rows.append(row)
            if rows:
                conv = _conversation(conv_id, rows, first.get("_file") or "<table>", sort_by_time=not ordered)
                if first.get("_line") is None:
                    conv.source = first.get("_file")
                out.append(transcript_row(conv, first.get("_file"), first.get("_line"), None))
        yield pa.RecordBatch.from_pylist(out, schema=arrow)


def _row(cells: list, line: int | None, column_map: ColumnMap, options: ReaderOptions) -> tuple[str, Row]:
    """csv_table._row for a typed table: the same roles, times and columns, but the text kept as it is (a
    CSV cell's padding is layout; a table's text is the message, and offsets must match it)."""
    conv_id = _cell_text(column_map.cell(cells, "id")).strip()
    if not conv_id:
        raise BadRow(f"empty conversation id (column {column_map.headers[column_map.indexes['id']]!r})")
    return conv_id, Row(
        line=line or 0,
        ts=_time(column_map.cell(cells, "time"), column_map, options),
        role=_role(column_map.cell(cells, "role"), column_map, options.csv_columns),
        text=_cell_text(column_map.cell(cells, "text")),
        agent=_cell_text(column_map.cell(cells, "agent")).strip() or None,
        channel=_cell_text(column_map.cell(cells, "channel")).strip() or None,
        team=_cell_text(column_map.cell(cells, "team")).strip() or None,
    )

