"""The canonical JSON Lines reader: conversations from lines, arrays and documents; bad records as problems."""
from __future__ import annotations

import io
import json

import pytest

from qa_linter.canonical import InvalidTranscript, conversation_from_dict, conversation_to_dict
from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import read_paths
from qa_linter.readers.jsonl import read


def record(conv_id: str = "a", text: str = "您好") -> bytes:
    return json.dumps({"id": conv_id, "messages": [{"role": "agent", "text": text}]}, ensure_ascii=False).encode()


def read_bytes(data: bytes) -> list:
    return list(read(io.BytesIO(data), "in.jsonl"))


def summary(items) -> list:
    return [x.id if isinstance(x, Conversation) else (x.line, x.reason) for x in items]


def test_one_conversation_a_line_with_its_place():
    items = read_bytes(record("a") + b"\n" + record("b") + b"\n")
    assert [(c.id, c.source) for c in items] == [("a", "in.jsonl:1"), ("b", "in.jsonl:2")]


def test_a_malformed_line_is_a_problem_with_its_line_and_the_rest_is_read():
    items = read_bytes(record("a") + b"\n{broken\n" + record("c") + b"\n")
    assert summary(items) == ["a", (2, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"), "c"]


def test_a_malformed_first_line_does_not_hide_the_rest():
    assert summary(read_bytes(b"{broken\n" + record("b") + b"\n"))[1:] == ["b"]


def test_blank_lines_crlf_and_a_byte_order_mark():
    items = read_bytes(b"\xef\xbb\xbf" + record("a") + b"\r\n\r\n" + record("b") + b"\r\n")
    assert [(c.id, c.source) for c in items] == [("a", "in.jsonl:1"), ("b", "in.jsonl:3")]


def test_an_array_and_a_pretty_printed_object():
    items = read_bytes(b"[" + record("a") + b",\n" + record("b") + b"]")
    assert [(c.id, c.source) for c in items] == [("a", "in.jsonl:1[0]"), ("b", "in.jsonl:1[1]")]
    pretty = json.dumps({"id": "p", "messages": [{"role": "agent", "text": "您好"}]}, indent=2).encode()
    assert summary(read_bytes(pretty)) == ["p"]


def test_a_broken_pretty_printed_document_is_one_problem_where_the_parser_stopped():
    data = b'{\n  "id": "p",\n  "messages": [\n    {"role": "agent" "text": "x"}\n  ]\n}\n'
    assert summary(read_bytes(data)) == [(4, "invalid JSON: Expecting ',' delimiter (column 22)")]


def test_a_bad_item_of_an_array_is_skipped_alone():
    data = b'[{"id": "a", "messages": []}, {"id": "b"}]'
    items = read_bytes(data)
    assert summary(items) == ["a", (1, 'item 1: "messages" must be a list of {role, text} objects')]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"42", "a conversation must be a JSON object, not int"),
        (b'{"messages": []}', 'missing conversation "id"'),
        (b'{"id": "x"}', '"messages" must be a list of {role, text} objects'),
        (b'{"id": "x", "messages": [{"role": "bot", "text": "hi"}]}', "messages[0].role 'bot' must be agent, customer or system"),
        (b'{"id": "x", "messages": [{"role": "agent"}]}', "messages[0].text must be a string"),
        (b'{"id": "x", "channel": "fax", "messages": []}', "channel 'fax' is not one of chat, email, phone"),
        (b'{"id": "x", "messages": [{"role": "agent", "text": "a", "ts": "yesterday"}]}', "messages[0].ts: 'yesterday' is not an ISO 8601 time"),
        ('{"id": "x", "messages": [{"role": "agent", "text": "您好"}]}'.encode("gbk"), "not valid UTF-8"),
    ],
)
def test_records_that_break_the_format(line, reason):
    items = read_bytes(record("ok") + b"\n" + line + b"\n" + record("ok2") + b"\n")
    assert summary(items)[0] == "ok" and summary(items)[2] == "ok2"
    problem = items[1]
    assert isinstance(problem, InputProblem) and problem.line == 2 and problem.reason.startswith(reason)
    assert problem.where() == "in.jsonl:2"


def test_timestamps_and_optional_fields():
    data = {
        "id": "c-1", "channel": "email", "agent": "zhang", "team": "t1", "started_at": "2026-11-23T09:14:02Z",
        "messages": [{"role": "customer", "text": "在吗", "ts": "2026-11-23T09:14:02+08:00"}, {"role": "agent", "text": "您好"}],
        "meta": {"product": "x"},
    }
    conv = conversation_from_dict(data)
    assert conv.messages[0].ts.utcoffset().total_seconds() == 8 * 3600 and conv.messages[1].ts is None
    assert conv.started_at.tzinfo is not None and conv.meta == {"product": "x"}
    assert [m.index for m in conv.messages] == [0, 1]
    again = conversation_to_dict(conv)
    assert again["messages"][0] == data["messages"][0] and again["agent"] == "zhang"


def test_an_id_given_as_a_number_is_kept_as_text():
    assert conversation_from_dict({"id": 7, "messages": []}).id == "7"
    with pytest.raises(InvalidTranscript):
        conversation_from_dict({"id": " ", "messages": []})


def test_folders_are_read_recursively_in_order_and_other_files_ignored(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / "a.jsonl").write_bytes(record("a") + b"\n")
    (tmp_path / "b" / "c.json").write_bytes(record("c"))
    (tmp_path / "b" / "deep" / "d.ndjson").write_bytes(record("d") + b"\n")
    (tmp_path / "b" / "notes.md").write_text("not a transcript")
    assert [c.id for c in read_paths([str(tmp_path)])] == ["a", "c", "d"]


def test_stdin_and_a_missing_path(tmp_path):
    items = list(read_paths(["-", str(tmp_path / "nope.jsonl")], stdin=io.BytesIO(record("s") + b"\n")))
    assert items[0].source == "<stdin>:1"
    assert isinstance(items[1], InputProblem) and items[1].reason == "no such file or folder"


def test_input_format_forces_the_reader_whatever_the_extension(tmp_path):
    path = tmp_path / "export.dat"
    path.write_bytes(record("x") + b"\n")
    assert [c.id for c in read_paths([str(path)], input_format="jsonl")] == ["x"]


def test_the_corpus_reads_cleanly(corpus_path):
    items = list(read_paths([str(corpus_path)]))
    assert len(items) == 40 and all(isinstance(c, Conversation) for c in items)
    assert sum(len(c.messages) for c in items) == 356
