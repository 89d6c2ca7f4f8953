"""CSV, TSV and Excel (.xlsx) exports of a ticket or chat system: one message per row.

Columns are found by their header (common Chinese and English names, see HEADER_ALIASES) or named in the
configuration (`csv_columns`). Rows are grouped into conversations by the id column, whatever their order
in the file, and each conversation is ordered by time (rows with equal times keep their file order). A
bad row is reported with its line and skipped; a missing required column stops that file with a message
listing the headers it has.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Iterable, Iterator, Mapping, Sequence

from ..model import Conversation, InputProblem, Message, out_of_range, time_in_range
from ..vocabulary import CHANNELS, plural
from .options import CSV_FIELDS, REQUIRED_CSV_FIELDS, CsvColumns, ReaderOptions, normal_key
from .row_groups import Row, RowGroups
from .textio import TextInput, UnknownEncoding
from .timeparse import parse_time

# Header names recognised without configuration, compared with normal_key (case, spaces, _ - . ignored);
# traditional forms for Big5 exports from Taiwan and Hong Kong.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("会话ID", "对话ID", "会话编号", "对话编号", "会话标识", "会话", "工单号", "工单编号", "工单ID",
           "會話ID", "對話ID", "會話編號", "工單號", "conversation_id", "conversation", "session_id", "chat_id", "ticket_id", "thread_id"),
    "time": ("时间", "发送时间", "消息时间", "时间戳", "日期时间", "创建时间", "時間", "發送時間", "訊息時間", "timestamp", "time", "ts",
             "datetime", "sent_at", "created_at", "date"),
    "role": ("角色", "发送方", "发送方角色", "发送者角色", "发送者类型", "身份", "發送方", "role", "sender_role",
             "sender_type", "speaker"),
    "agent": ("坐席", "客服", "坐席工号", "客服工号", "坐席ID", "客服ID", "坐席名称", "客服名称", "客服姓名",
              "agent", "agent_id", "agent_name"),
    "text": ("内容", "消息", "消息内容", "聊天内容", "文本", "正文", "內容", "訊息", "訊息內容", "text", "message", "content", "body", "msg"),
    "channel": ("渠道", "来源渠道", "会话渠道", "管道", "channel"),
    "team": ("团队", "技能组", "班组", "组别", "team", "skill_group"),
    # The customer's segment as the CRM keeps it: meta.audience (jargon is judged for it).
    "audience": ("客户类型", "客户分群", "客户分类", "客户群体", "客户细分", "用户类型", "用户分群", "用户分类", "客戶類型",
                 "audience", "segment", "customer_segment", "customer_type"),
}

# Role cell values recognised without configuration; more in csv_columns.roles.
ROLE_VALUES: dict[str, tuple[str, ...]] = {
    "agent": ("客服", "坐席", "人工", "人工客服", "客服人员", "员工", "agent", "staff", "support", "operator"),
    "customer": ("客户", "用户", "访客", "顾客", "买家", "会员", "客戶", "用戶", "訪客", "顧客", "買家", "customer", "user", "visitor", "client", "guest"),
    # A bot's automated replies are not the agent's words; map them to agent in csv_columns.roles to judge them.
    "system": ("系统", "系统消息", "机器人", "智能客服", "系統", "機器人", "system", "bot", "robot"),
}
_ROLE_BY_VALUE = {normal_key(v): role for role, values in ROLE_VALUES.items() for v in values}

CHANNEL_WORDS = {
    "email": ("邮件", "邮箱", "email", "mail"),
    "phone": ("电话", "语音", "热线", "呼叫", "phone", "call", "voice"),
}
MAX_RECORD_LINES = 1000  # a quoted cell longer than this is an unbalanced quote, not a message
csv.field_size_limit(64 * 1024 * 1024)  # long messages are real; the default 128 KiB limit is not


class MissingColumn(ValueError):
    pass


class BadRow(ValueError):
    pass


@dataclass(frozen=True)
class Record:
    """One table row as read: its first line, its cells, and why it could not be read (if so)."""

    line: int
    cells: Sequence[object]
    error: str | None = None


@dataclass(frozen=True)
class ColumnMap:
    indexes: Mapping[str, int]
    headers: Sequence[str]

    @classmethod
    def resolve(cls, header: Sequence[object], explicit: Mapping[str, str]) -> "ColumnMap":
        names = [str(h).strip() if h is not None else "" for h in header]
        keys = [normal_key(n) for n in names]
        indexes: dict[str, int] = {}
        for name, wanted in explicit.items():
            key = normal_key(wanted)
            if key not in keys:
                raise MissingColumn(
                    f"csv_columns.{name} names the column {wanted!r}, which the header does not have; "
                    f"the header has: {_listing(names)}"
                )
            indexes[name] = keys.index(key)
        for name in CSV_FIELDS:
            if name in indexes:
                continue
            for alias in HEADER_ALIASES[name]:
                key = normal_key(alias)
                if key in keys and keys.index(key) not in indexes.values():
                    indexes[name] = keys.index(key)
                    break
        missing = [f for f in REQUIRED_CSV_FIELDS if f not in indexes]
        if missing:
            parts = [f"{f} (e.g. {', '.join(HEADER_ALIASES[f][:3])}, {HEADER_ALIASES[f][-1]})" for f in missing]
            raise MissingColumn(
                f"no column for {'; '.join(parts)}; the header has: {_listing(names)}. "
                "Name the columns in qa-linter.yaml under csv_columns (see docs/input-formats.md)"
            )
        return cls(indexes, names)

    def cell(self, cells: Sequence[object], name: str) -> object:
        index = self.indexes.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]


def _listing(names: Sequence[str]) -> str:
    shown = [n or "(blank)" for n in names[:20]]
    return ", ".join(shown) + (" …" if len(names) > 20 else "")


# -- entry points (the reader signature) -----------------------------------------------------------------------
def read(stream: BinaryIO, source: str, options: ReaderOptions | None = None) -> Iterator["Conversation | InputProblem"]:
    """A .csv file; the delimiter (, ; tab |) is taken from the header line unless configured."""
    return _read_delimited(stream, source, options or ReaderOptions(), None)


def read_tsv(stream: BinaryIO, source: str, options: ReaderOptions | None = None) -> Iterator["Conversation | InputProblem"]:
    return _read_delimited(stream, source, options or ReaderOptions(), "\t")


def read_xlsx(stream: BinaryIO, source: str, options: ReaderOptions | None = None) -> Iterator["Conversation | InputProblem"]:
    """The first worksheet that has data; time cells typed as dates in Excel are used as they are."""
    options = options or ReaderOptions()
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        workbook = load_workbook(data, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        yield InputProblem(source, None, f"not a readable Excel .xlsx workbook ({exc}); save it again as .xlsx or CSV")
        return
    try:
        # Read-only sheets may not know their size, so look at each sheet's first row instead.
        sheet = next((ws for ws in workbook.worksheets
                      if any(_present(v) for row in ws.iter_rows(max_row=1, values_only=True) for v in row)), None)
        if sheet is None:
            yield InputProblem(source, None, "the workbook has no sheet with a header row")
            return
        yield from table_conversations(_sheet_records(sheet), f"{source}[{sheet.title}]", options)
    finally:
        workbook.close()


def _sheet_records(sheet) -> Iterator[Record]:
    """The rows of a worksheet; damage inside it (a cut or corrupted XML part) ends it with one error record,
    so the rows before the damage are still read."""
    number = 0
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            yield Record(number, cells)
    except Exception as exc:  # noqa: BLE001 - XML, zip and openpyxl errors all mean the same: a damaged sheet
        yield Record(number + 1, [], f"the worksheet is damaged from this row on ({type(exc).__name__}: {str(exc)[:120]}); "
                                     "the rows before it were read. Open the file in Excel and save it again")


def _read_delimited(stream: BinaryIO, source: str, options: ReaderOptions, delimiter: str | None) -> Iterator["Conversation | InputProblem"]:
    try:
        text = TextInput(stream, options.encoding)
    except UnknownEncoding as exc:
        yield InputProblem(source, None, str(exc))
        return
    if text.empty:
        yield InputProblem(source, None, "the file is empty")
        return
    delimiter = options.csv_columns.delimiter or delimiter
    yield from table_conversations(_csv_records(text, delimiter), source, options)


def _csv_records(text: TextInput, delimiter: str | None) -> Iterator[Record]:
    """Records with the line each starts on; a record spanning an undecodable line carries that error."""
    # Per record being read: undecodable lines, the number of " characters, and whether the input ran out.
    state = {"errors": [], "quotes": 0, "exhausted": False}

    def lines():
        for line in text.lines():
            if line.error:
                state["errors"].append((line.number, line.error))
            state["quotes"] += line.text.count('"')
            yield line.text
        state["exhausted"] = True

    source_lines = lines()
    first = next(source_lines, None)
    if first is None:
        return
    dialect_delimiter = delimiter or _guess_delimiter(first)
    reader = csv.reader(_prepend(first, source_lines), delimiter=dialect_delimiter, strict=False)
    consumed = 0
    width = None  # cells in the header (the first row with content)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, consumed = consumed + 1, reader.line_num
            state["errors"].clear()
            yield Record(start, [], f"not valid CSV: {exc}")
            continue
        start, consumed = consumed + 1, reader.line_num
        errors, state["errors"] = state["errors"], []
        quotes, state["quotes"] = state["quotes"], 0
        if consumed - start + 1 > MAX_RECORD_LINES:
            yield Record(start, [], f"a quoted cell starting here spans {consumed - start + 1} lines: a closing \" is probably missing")
            continue
        if state["exhausted"] and consumed > start and quotes % 2:
            # Balanced quoting always pairs its " characters; an odd count in a record that ran to the end of
            # the file is a quote never closed, and the lines after it were swallowed into one cell.
            yield Record(start, [], f"a quoted cell starting here is never closed (a closing \" is missing), so the "
                                    f"{plural(consumed - start, 'line')} after it {'was' if consumed - start == 1 else 'were'} read into it; "
                                    "fix the quote")
            continue
        if width is None and any(_present(c) for c in cells):
            width = len(cells)
        elif width is not None and len(cells) > width and any(_present(c) for c in cells[width:]):
            # More filled cells than header columns: a message with an unquoted comma was cut into cells, and
            # taking the first ones would silently drop the rest of the text (好的,我不知道 read as 好的).
            yield Record(start, [], f"the row has {len(cells)} cells, the header has {width}: a cell holding "
                                    f"{_delimiter_name(dialect_delimiter)} is probably not quoted; put it in double quotes")
            continue
        yield Record(start, cells, _decode_error(start, errors, text.encoding) if errors else None)


def _delimiter_name(delimiter: str) -> str:
    return {",": "a comma", "\t": "a tab", ";": "a semicolon", "|": "a |"}.get(delimiter, repr(delimiter))


def _decode_error(start: int, errors: list[tuple[int, str]], encoding: str) -> str:
    number, reason = errors[0]
    where = "" if number == start else f"line {number}: "
    return f"{where}{reason}; the file was read as {encoding}: if that is wrong, give --encoding"


def _prepend(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _guess_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# -- rows to conversations -------------------------------------------------------------------------------------
def table_conversations(records: Iterator[Record], source: str, options: ReaderOptions) -> Iterator["Conversation | InputProblem"]:
    header = next((r for r in records if r.error or any(_present(c) for c in r.cells)), None)
    if header is None:
        yield InputProblem(source, None, "no header row: the file has no data")
        return
    if header.error:
        yield InputProblem(source, header.line, f"cannot read the header row: {header.error}")
        return
    try:
        columns = ColumnMap.resolve(header.cells, options.csv_columns.fields)
    except MissingColumn as exc:
        yield InputProblem(source, header.line, str(exc))
        return
    groups = RowGroups()
    try:
        for record in records:
            if record.error:
                yield InputProblem(source, record.line, record.error)
                continue
            if not any(_present(c) for c in record.cells):
                continue  # blank rows are layout, not messages
            try:
                conv_id, row = _row(record, columns, options)
            except BadRow as exc:
                yield InputProblem(source, record.line, str(exc))
                continue
            groups.add(conv_id, row)
        for conv_id, rows in groups.groups():
            yield _conversation(conv_id, rows, source)
    finally:
        groups.close()


def _present(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _row(record: Record, columns: ColumnMap, options: ReaderOptions) -> tuple[str, Row]:
    cells = record.cells
    needed = max(columns.indexes[f] for f in REQUIRED_CSV_FIELDS) + 1
    if len(cells) < needed:
        raise BadRow(f"the row has {len(cells)} cells, the header has {len(columns.headers)}")
    conv_id = _cell_text(columns.cell(cells, "id")).strip()
    if not conv_id:
        raise BadRow(f"empty conversation id (column {columns.headers[columns.indexes['id']]!r})")
    role = _role(columns.cell(cells, "role"), columns, options.csv_columns)
    ts = _time(columns.cell(cells, "time"), columns, options)
    return conv_id, Row(
        line=record.line,
        ts=ts,
        role=role,
        text=_cell_text(columns.cell(cells, "text")).strip(),
        agent=_cell_text(columns.cell(cells, "agent")).strip() or None,
        channel=_cell_text(columns.cell(cells, "channel")).strip() or None,
        team=_cell_text(columns.cell(cells, "team")).strip() or None,
        audience=_cell_text(columns.cell(cells, "audience")).strip() or None,
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in Excel
    return str(value)


def _role(value: object, columns: ColumnMap, settings: CsvColumns) -> str:
    key = normal_key(_cell_text(value))
    role = settings.roles.get(key) or _ROLE_BY_VALUE.get(key)
    if role is None and key:
        # "客服-小王", "客服小王": the role word followed by a name
        prefixes = [(len(word), r) for word, r in _ROLE_BY_VALUE.items() if key.startswith(word)]
        role = max(prefixes)[1] if prefixes else None
    if role is None:
        column = columns.headers[columns.indexes["role"]]
        raise BadRow(
            f"unknown role {_cell_text(value)!r} in column {column!r}: use 客服/坐席/agent, 客户/用户/访客/customer "
            "or 系统/system, or map the value in csv_columns.roles"
        )
    return role


def _time(value: object, columns: ColumnMap, options: ReaderOptions) -> str | None:
    if not _present(value):
        return None
    fmt = options.csv_columns.time_format
    try:
        if fmt and isinstance(value, str):
            moment = datetime.strptime(value.strip(), fmt)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=options.timezone)
        else:
            moment = parse_time(value, options.timezone)
    except ValueError as exc:
        column = columns.headers[columns.indexes["time"]]
        if fmt:
            raise BadRow(f"column {column!r}: {str(value)!r} does not match csv_columns.time_format {fmt!r}") from None
        raise BadRow(f"column {column!r}: {exc}; for another layout set csv_columns.time_format") from None
    if not time_in_range(moment):
        raise BadRow(f"column {columns.headers[columns.indexes['time']]!r}: {out_of_range(str(value).strip())}")
    return moment.isoformat()


def _conversation(conv_id: str, rows: list[Row], source: str, sort_by_time: bool = True) -> Conversation:
    """`rows` in file order, sorted here by time; with `sort_by_time` false they are in conversation order
    already (a flat table's sequence column put them there)."""
    if sort_by_time and all(r.ts is not None for r in rows):
        # Stable: rows with equal times keep their order in the file.
        rows = sorted(rows, key=lambda r: datetime.fromisoformat(r.ts))
    messages = [
        Message(i, r.role, r.text, datetime.fromisoformat(r.ts) if r.ts else None) for i, r in enumerate(rows)
    ]
    agent = next((r.agent for r in rows if r.agent and r.role == "agent"), None) or next((r.agent for r in rows if r.agent), None)
    raw_channel = next((r.channel for r in rows if r.channel), None)
    meta = {"source_channel": raw_channel} if raw_channel and raw_channel not in CHANNELS else {}
    audience = next((r.audience for r in rows if r.audience), None)
    if audience is not None:
        meta["audience"] = audience
    return Conversation(
        id=conv_id,
        messages=messages,
        channel=channel_from_label(raw_channel),
        agent=agent,
        team=next((r.team for r in rows if r.team), None),
        meta=meta,
        source=f"{source}:{rows[0].line}",
        message_lines=tuple(r.line for r in rows),
    )


def channel_from_label(value: str | None) -> str:
    if not value:
        return "chat"
    key = normal_key(value)
    if key in CHANNELS:
        return key
    for channel, words in CHANNEL_WORDS.items():
        if any(w in key for w in words):
            return channel
    return "chat"
