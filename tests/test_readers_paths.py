"""Shared reader machinery: encoding detection, line decoding, format choice, folders, stdin, progress counters."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import ReaderOptions, read_paths, sniff_format, textio
from qa_linter.readers.progress import ScanProgress
from qa_linter.readers.textio import TextInput, UnknownEncoding, codec_name, detect_encoding

DATA = Path(__file__).parent / "data"
CORPUS_FORMATS = DATA / "corpus" / "formats"
FORMATS = DATA / "formats"


@pytest.mark.parametrize("path, encoding", [
    (CORPUS_FORMATS / "chat-export-gb18030.csv", "gb18030"),  # holds 👍: GBK would fail on it
    (CORPUS_FORMATS / "chat-export-utf8-bom.csv", "utf-8-sig"),
    (CORPUS_FORMATS / "console-chat-log.txt", "utf-8"),
    (FORMATS / "big5-traditional.csv", "cp950"),
    (FORMATS / "gbk-semicolon.csv", "gb18030"),
    (FORMATS / "excel-unicode.tsv", "utf-16"),
    (FORMATS / "undecodable-row.csv", "utf-8"),  # one bad row does not change the verdict
    (FORMATS / "gb18030-bad-line.log", "gb18030"),
])
def test_encoding_detection(path, encoding):
    assert detect_encoding(path.read_bytes()) == encoding


def test_ascii_is_utf8_and_names_widen_to_what_exports_need():
    assert detect_encoding(b"id,role,text\n1,agent,hi\n") == "utf-8"
    assert [codec_name(n) for n in ("GBK", "gb2312", "cp936", "Big5", "UTF8", "latin-1")] == [
        "gb18030", "gb18030", "gb18030", "cp950", "utf-8", "iso8859-1"]
    with pytest.raises(UnknownEncoding, match="unknown encoding 'nope'"):
        codec_name("nope")


def test_lines_are_numbered_normalised_and_whole_across_the_sample_boundary(monkeypatch):
    monkeypatch.setattr(textio, "SAMPLE_BYTES", 7)  # the sample ends inside the second line
    text = TextInput(io.BytesIO("第一行\r\n第二行很长\n\n末行".encode("utf-8")), "utf-8")
    lines = list(text.lines())
    assert [(line.number, line.text) for line in lines] == [(1, "第一行\n"), (2, "第二行很长\n"), (3, "\n"), (4, "末行")]
    assert all(line.error is None for line in lines)


def test_an_undecodable_line_carries_its_reason_and_the_others_decode():
    text = TextInput(io.BytesIO(b"ok\n\xff\xfe bad\nfine\n"), "utf-8")
    lines = list(text.lines())
    assert [line.error is None for line in lines] == [True, False, True]
    assert lines[1].error == "bytes ff at byte 1 of the line are not valid utf-8"


def test_a_utf8_bom_is_dropped_even_when_the_encoding_is_given():
    text = TextInput(io.BytesIO(b"\xef\xbb\xbfid\n"), "utf-8")
    assert [line.text for line in text.lines()] == ["id\n"]


@pytest.mark.parametrize("head, name", [
    (b'{"id": "a"}', "jsonl"),
    (b"[{", "jsonl"),
    (b"PK\x03\x04rest", "xlsx"),
    (b"From alice@example.org Tue Nov 24 08:00:00 2026\nFrom: a", "email"),
    (b"Return-Path: <a@b>\nFrom: a@b\n", "email"),
    ("2026-11-20 10:02:11 客服-小王：您好\n".encode(), "chat_log"),
    ("==== 会话 s-1 ====\n".encode(), "chat_log"),
    ("2026-11-20 10:02:11 客服-小王：您好\n".encode("gb18030"), "chat_log"),
    ("会话ID\t角色\t内容\n".encode(), "tsv"),
    ("\ufeff会话ID,角色,内容\n".encode(), "csv"),
    (b"???", "jsonl"),
])
def test_sniffing_the_format_of_a_file_without_telling_extension(head, name):
    assert sniff_format(head) == name


def test_folders_skip_other_files_but_report_unsupported_ones(tmp_path):
    (tmp_path / "notes.md").write_text("# not a transcript", encoding="utf-8")
    (tmp_path / "README.txt").write_text("导出说明：每个文件一天的聊天记录。\n", encoding="utf-8")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "chat.log").write_bytes((FORMATS / "no-header.txt").read_bytes())
    (tmp_path / "gb.log").write_bytes((FORMATS / "gb18030-bad-line.log").read_bytes())
    items = list(read_paths([str(tmp_path), str(tmp_path / "missing.csv")]))
    assert [type(i).__name__ for i in items] == ["Conversation", "InputProblem", "Conversation", "InputProblem", "InputProblem"]
    assert items[3].source.endswith("old.xls") and items[4].reason == "no such file or folder"
    # given by name, the same README is read as a chat log and reported
    assert "no chat-log messages found" in list(read_paths([str(tmp_path / "README.txt")]))[-1].reason


def test_stdin_is_sniffed_and_read_with_the_options():
    stdin = io.BytesIO((FORMATS / "gbk-semicolon.csv").read_bytes())
    (conv,) = read_paths(["-"], stdin=stdin, options=ReaderOptions.from_config({"encoding": "gbk"}))
    assert conv.id == "g-1" and conv.source == "<stdin>:2"


def test_e_mail_conversations_come_after_the_other_files_and_thread_across_them():
    items = list(read_paths([str(FORMATS / "thread-split" / "a-answer.eml"), str(FORMATS / "no-header.txt"),
                             str(FORMATS / "thread-split" / "b-question.eml")]))
    assert [c.id for c in items] == ["no-header", "q-1@example.org"]
    assert len(items[1].messages) == 2


def test_progress_counts_files_bytes_and_conversations():
    out = io.StringIO()
    progress = ScanProgress(Console(file=out, force_terminal=True, width=120, color_system=None), delay=0)
    items = list(read_paths([str(CORPUS_FORMATS)], progress=progress))
    progress._progress.refresh()
    drawn = out.getvalue()
    progress.stop()
    conversations = [i for i in items if isinstance(i, Conversation)]
    assert len(conversations) == 11 and not [i for i in items if isinstance(i, InputProblem)]
    assert (progress.files_total, progress.files_done, progress.conversations) == (6, 6, 11)
    total = sum(p.stat().st_size for p in CORPUS_FORMATS.iterdir())
    assert progress.bytes_total == total and progress._bytes_done() == total
    assert "files 6/6" in drawn and "11 conversations" in drawn and "100%" in drawn


def test_no_progress_off_a_terminal():
    assert ScanProgress.for_terminal() is None  # pytest's stderr is captured, not a terminal
