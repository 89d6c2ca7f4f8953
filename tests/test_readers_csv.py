"""CSV, TSV and Excel exports: encodings, header recognition, grouping and ordering, bad rows, configuration."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa_linter.errors import ConfigError
from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import csv_table, read_paths
from qa_linter.readers.options import ReaderOptions
from qa_linter.readers.row_groups import Row, RowGroups

DATA = Path(__file__).parent / "data"
CORPUS_FORMATS = DATA / "corpus" / "formats"
FORMATS = DATA / "formats"
CST = timezone(timedelta(hours=8))


def at(hms: str, day: int = 20) -> datetime:
    h, m, s = map(int, hms.split(":"))
    return datetime(2026, 11, day, h, m, s, tzinfo=CST)


def read_file(path: Path, options: ReaderOptions | None = None) -> list:
    return list(read_paths([str(path)], options=options))


def conversations(items) -> dict[str, Conversation]:
    return {c.id: c for c in items if isinstance(c, Conversation)}


def problems(items) -> list[tuple[int | None, str]]:
    return [(p.line, p.reason) for p in items if isinstance(p, InputProblem)]


# What the two corpus exports hold (same data, GB18030 and UTF-8 with BOM): roles, times and texts in order.
CORPUS_EXPECTED = {
    "s-csv-01": [
        ("customer", "10:02:11"), ("agent", "10:02:40"), ("customer", "10:03:05"), ("agent", "10:04:10"),
        ("customer", "10:04:50"), ("agent", "10:05:30"), ("customer", "10:06:00"), ("agent", "10:06:20"),
    ],
    "s-csv-02": [
        ("customer", "10:03:30"), ("agent", "10:04:00"), ("customer", "10:04:35"), ("agent", "10:05:10"),
        ("customer", "10:05:50"), ("agent", "10:06:20"), ("customer", "10:07:10"), ("agent", "10:07:40"),
    ],
    "s-csv-03": [
        ("customer", "19:30:05"), ("agent", "19:30:25"), ("customer", "19:33:50"), ("agent", "19:34:10"),
        ("customer", "19:34:40"), ("agent", "19:35:00"),
    ],
}


@pytest.mark.parametrize("name", ["chat-export-gb18030.csv", "chat-export-utf8-bom.csv"])
def test_corpus_exports_give_roles_order_and_times(name):
    items = read_file(CORPUS_FORMATS / name)
    assert problems(items) == []
    convs = conversations(items)
    assert list(convs) == ["s-csv-01", "s-csv-02", "s-csv-03"]  # order of first appearance
    for conv_id, expected in CORPUS_EXPECTED.items():
        day = 21 if conv_id == "s-csv-03" else 20
        got = [(m.role, m.ts) for m in convs[conv_id].messages]
        assert got == [(role, at(t, day)) for role, t in expected], conv_id
        assert convs[conv_id].channel == "chat"
    assert convs["s-csv-01"].agent == "agent.02"
    assert convs["s-csv-01"].messages[6].text == "好的，谢谢！👍"  # the character GBK cannot hold
    multi_line = convs["s-csv-03"].messages[1].text
    assert multi_line.startswith("您好，欢迎咨询示例学堂。") and multi_line.count("\n") == 3
    assert '"视频会员"' in convs["s-csv-02"].messages[3].text  # "" inside a quoted cell
    assert convs["s-csv-01"].source.endswith(f"{name}:2")


def test_the_two_corpus_encodings_read_identically():
    gb, utf = (conversations(read_file(CORPUS_FORMATS / n)) for n in ("chat-export-gb18030.csv", "chat-export-utf8-bom.csv"))
    assert [(c.id, c.messages) for c in gb.values()] == [(c.id, c.messages) for c in utf.values()]


def test_english_headers_role_words_and_offsets():
    convs = conversations(read_file(FORMATS / "english-headers.csv"))
    first = convs["c-en-1"]
    assert [m.role for m in first.messages] == ["customer", "agent", "system"]  # equal times: file order
    assert first.channel == "email" and first.agent == "zhang.wei" and first.meta == {}
    second = convs["c-en-2"]
    assert second.messages[0].ts == datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    assert second.channel == "chat" and second.meta == {"source_channel": "web chat"}


def test_rows_out_of_order_are_sorted_by_time_and_equal_times_keep_file_order():
    conv = conversations(read_file(FORMATS / "unsorted-times.csv"))["u-1"]
    assert [m.text for m in conv.messages] == ["第一条", "第二条甲", "第二条乙", "第三条"]
    assert [m.index for m in conv.messages] == [0, 1, 2, 3]
    assert conv.agent is None


def test_without_times_the_file_order_is_kept():
    data = "会话ID,角色,内容\nn-1,客户,先\nn-1,客服,后\n".encode()
    conv = next(csv_table.read(io.BytesIO(data), "t.csv"))
    assert [(m.text, m.ts) for m in conv.messages] == [("先", None), ("后", None)]


def test_big5_with_traditional_headers():
    conv = conversations(read_file(FORMATS / "big5-traditional.csv"))["b-1"]
    assert [(m.role, m.text) for m in conv.messages] == [("customer", "請問運費怎麼算？"), ("agent", "您好，滿千免運。")]
    assert conv.agent == "agent.tw"


def test_gbk_with_semicolons_and_minutes_only():
    conv = conversations(read_file(FORMATS / "gbk-semicolon.csv"))["g-1"]
    assert [(m.role, m.ts) for m in conv.messages] == [("customer", at("11:00:00")), ("agent", at("11:01:00"))]
    assert conv.messages[1].text == "您好，请您重启一下光猫"


def test_excel_unicode_text_utf16_tsv():
    conv = conversations(read_file(FORMATS / "excel-unicode.tsv"))["w-1"]
    assert [m.text for m in conv.messages] == ["你好👋", "您好"]


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_read():
    items = read_file(FORMATS / "malformed-rows.csv")
    reasons = dict(problems(items))
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "unknown role '老板'" in reasons[3] and "csv_columns.roles" in reasons[3]
    assert "'2026-11-20 99:00:00'" in reasons[4] and "column '时间'" in reasons[4]
    assert "empty conversation id" in reasons[5]
    assert "the row has 2 cells, the header has 5" in reasons[6]
    conv = conversations(items)["m-1"]
    assert [(m.role, m.text) for m in conv.messages] == [("customer", "第一条"), ("agent", "多行\n内容")]
    assert conv.messages[1].ts == at("10:02:00")


def test_a_missing_required_column_stops_the_file_with_the_headers_it_has():
    items = read_file(FORMATS / "missing-column.csv")
    assert len(items) == 1 and isinstance(items[0], InputProblem)
    assert items[0].line == 1
    assert "no column for text" in items[0].reason
    assert "the header has: 会话ID, 时间, 角色, 坐席" in items[0].reason
    assert "csv_columns" in items[0].reason


def test_an_undecodable_row_is_reported_and_the_file_stays_utf8():
    items = read_file(FORMATS / "undecodable-row.csv")
    assert problems(items) == [(13, "bytes bf at byte 25 of the line are not valid utf-8; the file was read as utf-8: "
                                    "if that is wrong, give --encoding")]
    conv = conversations(items)["d-1"]
    assert len(conv.messages) == 12 and conv.messages[-1].text == "您好，请讲"


def test_encoding_override_wins_over_detection():
    # Read as GBK on purpose, the UTF-8 corpus file is garbage but the GB18030 one is right.
    options = ReaderOptions.from_config({}, encoding="gbk")
    items = read_file(CORPUS_FORMATS / "chat-export-gb18030.csv", options)
    assert conversations(items)["s-csv-01"].messages[6].text == "好的，谢谢！👍"  # gbk is widened to gb18030
    wrong = read_file(CORPUS_FORMATS / "chat-export-utf8-bom.csv", options)
    assert "s-csv-01" not in conversations(wrong)  # the header itself is misread: no id column


def test_custom_columns_from_the_configuration():
    config = {
        "csv_columns": {
            "id": "工单流水", "time": "消息时间（北京）", "role": "发送者类别", "agent": "处理人", "text": "聊天记录",
            "roles": {"人工": "agent", "机器人": "system"}, "time_format": "%m/%d/%Y %H:%M",
        }
    }
    items = read_file(FORMATS / "custom-columns.csv", ReaderOptions.from_config(config))
    assert problems(items) == []
    conv = conversations(items)["k-1"]
    assert [(m.role, m.ts) for m in conv.messages] == [
        ("customer", at("10:00:00")), ("agent", at("10:01:00")), ("system", at("10:01:00"))
    ]
    assert conv.agent == "小赵"


def test_without_the_configuration_the_custom_file_explains_what_is_missing():
    (problem,) = read_file(FORMATS / "custom-columns.csv")
    assert "no column for id" in problem.reason and "role" in problem.reason and "工单流水" in problem.reason


def test_a_configured_column_the_header_lacks_is_named():
    options = ReaderOptions.from_config({"csv_columns": {"text": "正文内容"}})
    (problem,) = read_file(FORMATS / "english-headers.csv", options)
    assert "csv_columns.text names the column '正文内容'" in problem.reason


@pytest.mark.parametrize("value, message", [
    ("id", "csv_columns: must be a mapping"),
    ({"txt": "内容"}, "unknown field 'txt'; did you mean 'text'?"),
    ({"roles": {"人工": "staff"}}, "use agent, customer or system"),
    ({"time_format": "YYYY-MM-DD"}, "strptime format"),
    ({"delimiter": ";;"}, "one character"),
])
def test_configuration_mistakes_are_config_errors(value, message):
    with pytest.raises(ConfigError, match=message):
        ReaderOptions.from_config({"csv_columns": value})


def test_an_unknown_encoding_name_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        ReaderOptions.from_config({}, encoding="klingon")


def test_an_empty_file_and_a_header_only_file():
    assert problems(csv_table.read(io.BytesIO(b""), "e.csv")) == [(None, "the file is empty")]
    assert list(csv_table.read(io.BytesIO("会话ID,角色,内容\n".encode()), "h.csv")) == []


def test_an_unbalanced_quote_is_reported_not_swallowed_silently():
    lines = "".join(f"q-1,客服,第{i}行\n" for i in range(csv_table.MAX_RECORD_LINES + 5))
    data = ("会话ID,角色,内容\nq-1,客户,\"没有结尾的引号\n" + lines).encode()
    items = list(csv_table.read(io.BytesIO(data), "q.csv"))
    assert [p.line for p in items if isinstance(p, InputProblem)] == [2]
    assert "closing \" is probably missing" in items[0].reason


# -- Excel ----------------------------------------------------------------------------------------------------------
def make_workbook(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "导出"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_typed_dates_numbers_and_a_bad_row(tmp_path):
    path = make_workbook(tmp_path / "export.xlsx", [
        ["会话ID", "时间", "角色", "坐席", "内容"],
        [1001, datetime(2026, 11, 20, 10, 0, 5), "客户", None, "你好"],
        [1001, "2026-11-20 10:00:20", "客服", "agent.01", "您好，请问有什么可以帮您？"],
        [1001, "not a time", "客服", "agent.01", "坏行"],
        [None, None, None, None, None],
    ])
    items = read_file(path)
    assert problems(items) == [(4, "column '时间': 'not a time' is not a date and time (e.g. 2026-11-20 10:02:11); "
                                   "for another layout set csv_columns.time_format")]
    conv = conversations(items)["1001"]  # a numeric id is text, without ".0"
    assert [(m.role, m.ts) for m in conv.messages] == [("customer", at("10:00:05")), ("agent", at("10:00:20"))]
    assert conv.source.endswith("export.xlsx[导出]:2")


def test_a_broken_xlsx_is_one_clear_problem(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    (problem,) = read_file(path)
    assert "not a readable Excel .xlsx workbook" in problem.reason


def test_old_xls_files_are_reported_with_what_to_do(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    (problem,) = read_file(path)
    assert "save the sheet as .xlsx or CSV" in problem.reason


# -- grouping with bounded memory ----------------------------------------------------------------------------------
def test_grouping_moves_to_disk_past_the_budget_and_gives_the_same_groups():
    rows = [(f"c-{i % 7}", Row(line=i, ts=None, role="customer", text=f"t{i}")) for i in range(100)]
    in_memory, on_disk = RowGroups(), RowGroups(memory_rows=10)
    for conv_id, row in rows:
        in_memory.add(conv_id, row)
        on_disk.add(conv_id, row)
    assert on_disk.on_disk and not in_memory.on_disk
    assert list(on_disk.groups()) == list(in_memory.groups())


def test_a_large_interleaved_csv_is_grouped_on_disk_with_the_same_result(monkeypatch):
    header = "会话ID,时间,角色,内容\n"
    body = "".join(f"c-{i % 50},2026-11-20 10:{i // 60 % 60:02d}:{i % 60:02d},{'客户' if i % 2 else '客服'},m{i}\n" for i in range(3000))
    data = (header + body).encode()
    expected = [(c.id, c.messages) for c in csv_table.read(io.BytesIO(data), "big.csv")]
    monkeypatch.setattr("qa_linter.readers.row_groups.MEMORY_ROWS", 100)
    spills = []
    original = RowGroups._spill
    monkeypatch.setattr(RowGroups, "_spill", lambda self: (spills.append(True), original(self)))
    spilled = [(c.id, c.messages) for c in csv_table.read(io.BytesIO(data), "big.csv")]
    assert spills == [True]
    assert spilled == expected and len(expected) == 50


def test_xlsx_data_on_a_later_sheet_and_a_workbook_without_data(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    data = book.create_sheet("聊天记录")
    for row in (["会话ID", "角色", "内容"], ["x-1", "客户", "你好"], ["x-1", "客服", "您好"]):
        data.append(row)
    book.save(tmp_path / "two-sheets.xlsx")
    (conv,) = read_file(tmp_path / "two-sheets.xlsx")
    assert [m.role for m in conv.messages] == ["customer", "agent"]
    assert conv.source.endswith("two-sheets.xlsx[聊天记录]:2")
    Workbook().save(tmp_path / "empty.xlsx")
    assert problems(read_file(tmp_path / "empty.xlsx")) == [(None, "the workbook has no sheet with a header row")]
