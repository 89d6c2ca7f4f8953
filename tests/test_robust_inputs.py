"""Broken inputs for every reader, through `qa-lint scan` as a user runs it.

For each kind of damage: the damaged record is reported with its file (and line) and a reason, every other
record is still scanned, the exit code is 2, the summary says how many records were skipped, and no Python
traceback reaches the user. Big inputs (a 50 MB message, a million conversations) are measured in
benchmarks/large_inputs.py; here they are small enough to keep the suite fast.
"""
from __future__ import annotations

import builtins
import codecs
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import read_paths

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
GOOD = {"id": "good", "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "亲，您好"}]}
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


def line(conversation: dict) -> str:
    return json.dumps(conversation, ensure_ascii=False) + "\n"


def scan(*args):
    """`qa-lint scan` with the small test pack; returns (exit code, stdout records, stderr)."""
    result = CliRunner().invoke(
        main, ["scan", "--no-builtin", "--rules", str(RULES), "--format", "jsonl", *map(str, args)],
        catch_exceptions=True,
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    records = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    return result.exit_code, records, result.stderr


def scanned_ids(records) -> set[str]:
    return {r["conversation_id"] for r in records}


def assert_skipped(stderr: str, count: int, *fragments: str) -> None:
    assert f"Skipped {count} input record{'' if count == 1 else 's'}" in stderr, stderr
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} not in:\n{stderr}"


# -- JSON Lines ------------------------------------------------------------------------------------------------
def test_jsonl_truncated_in_the_middle_of_a_record(tmp_path):
    path = tmp_path / "cut.jsonl"
    path.write_text(line(GOOD) + line({**GOOD, "id": "cut"})[:40], encoding="utf-8")
    code, records, stderr = scan(path)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 1, f"{path}:2: invalid JSON")


def test_jsonl_with_invalid_utf8_and_a_file_in_another_charset(tmp_path):
    bad = tmp_path / "bad-bytes.jsonl"
    bad.write_bytes(line(GOOD).encode() + b'{"id": "x\xff\xfe", "messages": []}\n' + line({**GOOD, "id": "after"}).encode())
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(line({**GOOD, "id": "gbk"}).encode("gb18030"))
    code, records, stderr = scan(bad, gbk)
    assert code == 2 and scanned_ids(records) == {"good", "after"}
    assert_skipped(stderr, 2, f"{bad}:2: not valid UTF-8", f"{gbk}:1: not valid UTF-8")


def test_jsonl_nested_thousands_deep_is_one_problem_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n" + line(GOOD), encoding="utf-8")
    code, records, stderr = scan(path)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 1, f"{path}:1: invalid JSON: nested too deeply")


def test_a_pretty_printed_document_nested_thousands_deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a":\n' * 50_000 + "1" + "}" * 50_000, encoding="utf-8")
    code, _, stderr = scan(path)
    assert code == 2 and "nested too deeply" in stderr


HUGE_NUMBER = "9" * 5000  # Python refuses to convert an integer of more than 4,300 digits


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_number_too_long_to_convert_is_one_skipped_record(tmp_path, jobs):
    """With --jobs 2 the 400 lines (over the pool threshold) are parsed in a worker process."""
    path = tmp_path / "numbers.jsonl"
    good = [line({**GOOD, "id": f"g{i}"}) for i in range(400)]
    bad = '{"id": "n", "meta": {"n": ' + HUGE_NUMBER + '}, "messages": [{"role": "agent", "text": "亲"}]}\n'
    path.write_text("".join(good[:200]) + bad + "".join(good[200:]), encoding="utf-8")
    code, records, stderr = scan(path, "--jobs", jobs)
    assert code == 2 and scanned_ids(records) == {f"g{i}" for i in range(400)}
    assert_skipped(stderr, 1, f"{path}:201: invalid JSON: a number with 5,000 digits (at most 4,300 can be read)")


def test_a_number_too_long_to_convert_in_a_pretty_printed_document(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text('{\n  "id": "d",\n  "n": ' + HUGE_NUMBER + ',\n  "messages": []\n}\n', encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text(line(GOOD), encoding="utf-8")
    code, records, stderr = scan(path, good)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 1, f"{path}:3: invalid JSON: a number with 5,000 digits")


# Lone surrogates: "\ud800" is valid JSON, but half a UTF-16 pair is no character any UTF-8 output can write.
LONE_SURROGATES = (
    '{"id": "s\\ud800", "agent": "a\\udc00", "team": "t\\udfff", "messages": [{"role": "agent", '
    '"text": "\\u4eb2\\ud800\\u60a8\\u597d \\ud83d\\ude00"}], "meta": {"k\\udfff": ["v\\ud800"]}}\n'
)


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_lone_surrogates_are_replaced_when_read_so_every_output_can_write_them(tmp_path, fmt):
    import sqlite3

    path = tmp_path / "lone.jsonl"
    path.write_text(LONE_SURROGATES + line(GOOD), encoding="utf-8")
    out, site, store = tmp_path / "out", tmp_path / "site", tmp_path / "results.db"
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), "--format", fmt, "-o", str(out),
                                       "--html", str(site), "--store", str(store), "--no-mask", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output  # warnings only, and nothing skipped
    written = out.read_text(encoding="utf-8")
    assert "s\ufffd" in written and "\ud800" not in written
    pages = json.loads((site / "scorecards.json").read_text(encoding="utf-8"))["pages"]
    assert set(pages) == {"s\ufffd", "good"}
    assert "\ufffd您好 😀" in (site / pages["s\ufffd"]).read_text(encoding="utf-8")  # a valid pair (the emoji) stays
    with sqlite3.connect(store) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM conversations")) == ["good", "s\ufffd"]
        assert db.execute("SELECT agent, team FROM conversations WHERE id = 's\ufffd'").fetchone() == ("a\ufffd", "t\ufffd")


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_is_shown_with_a_replacement_character(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.path.join(os.fsencode(folder), b"bad\xffname.jsonl")
    with open(name, "wb") as out:
        out.write(line(GOOD).encode() + b"{broken\n")
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), "--format", "json",
                                       "-o", str(tmp_path / "out.json"), str(folder)])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert doc["summary"]["skipped_inputs"][0]["source"] == str(folder / "bad\ufffdname.jsonl")
    assert f"{folder / 'bad'}\ufffdname.jsonl:2: invalid JSON" in result.stderr


def test_a_draft_argument_that_is_not_utf8_is_checked(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "check", "--no-builtin", "--rules", str(RULES), "--color", "never",
         b"\xe4\xba\xb2\xff"],  # 亲, then a byte that is not UTF-8 (Python passes it on as a lone surrogate)
        capture_output=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr  # a warning does not block
    assert "«亲»\ufffd" in proc.stdout.decode("utf-8")  # the draft, shown with the finding marked


# Times at the very ends of Python's calendar: stored in UTC (0001-01-01T00:00:00+14:00 is in year 0) or moved
# by 14 hours for a report, they would overflow far from where they were read.
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00"])
@pytest.mark.parametrize("field", ["started_at", "ts"])
def test_a_time_at_the_ends_of_the_calendar_is_one_skipped_record_and_the_rest_is_stored(tmp_path, moment, field):
    import sqlite3

    bad = {"id": "bad", "messages": [{"role": "agent", "text": "亲"}]}
    if field == "ts":
        bad["messages"][0]["ts"] = moment
    else:
        bad["started_at"] = moment
    path = tmp_path / "times.jsonl"
    path.write_text(line(GOOD) + line(bad) + line({**GOOD, "id": "after"}), encoding="utf-8")
    store = tmp_path / "results.db"
    code, records, stderr = scan(path, "--store", store)
    assert code == 2 and scanned_ids(records) == {"good", "after"}
    where = "messages[0].ts" if field == "ts" else "started_at"
    assert_skipped(stderr, 1, f"{path}:2: {where}: '{moment}' is outside the dates qa-linter works with")
    with sqlite3.connect(store) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM conversations")) == ["after", "good"]


def test_a_time_at_the_ends_of_the_calendar_in_a_csv_export(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("会话ID,时间,角色,内容\nc1,2026-11-20 10:00:00,客服,亲\nc2,0001-01-01 00:00:00,客服,亲\n", encoding="utf-8")
    code, records, stderr = scan(export, "--store", tmp_path / "results.db")
    assert code == 2 and scanned_ids(records) == {"c1"}
    assert "'0001-01-01 00:00:00' is outside the dates qa-linter works with" in stderr


def test_a_time_at_the_ends_of_the_calendar_in_the_service_is_422(start_service):
    import httpx

    with httpx.Client(base_url=start_service()) as c:
        response = c.post("/v1/check", json={"draft": "您好", "ts": "0001-01-01T00:00:00+14:00"})
        assert response.status_code == 422 and "outside the dates" in response.json()["reason"], response.text
        response = c.post("/v1/scan", json={"conversations": [{"id": "x", "messages": [
            {"role": "agent", "text": "您好", "ts": "9999-12-31T23:59:59-14:00"}]}]})
        assert response.status_code == 422 and "outside the dates" in response.json()["reason"], response.text


def test_nul_and_control_characters_inside_messages_are_scanned(tmp_path):
    path = tmp_path / "nul.jsonl"
    text = "亲\u0000，您好\u0007\u001b[31m\u202e"
    path.write_text(line({"id": "nul", "messages": [{"role": "agent", "text": text}]}), encoding="utf-8")
    code, records, stderr = scan(path)
    assert "Skipped" not in stderr
    slang = [r for r in records if r["rule"] == "t-slang"]
    assert slang and text[slang[0]["start"] : slang[0]["end"]] == slang[0]["text"] == "亲"


# -- CSV / TSV -------------------------------------------------------------------------------------------------
HEADER = "会话ID,角色,内容\n"


def test_csv_with_ragged_rows(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        HEADER
        + "c1,客服,您好\n"
        + "c1,客户\n"  # too short
        + "c2,客服,好的,我不知道\n"  # an unquoted comma: the text would be cut at 好的
        + "c3,客服,您好,,\n"  # empty trailing cells are only layout
        + "c4,客服,再见\n",
        encoding="utf-8",
    )
    code, records, stderr = scan(path)
    assert code == 2
    assert_skipped(
        stderr, 2,
        f"{path}:3: the row has 2 cells, the header has 3",
        f"{path}:4: the row has 4 cells, the header has 3: a cell holding a comma is probably not quoted",
    )
    converted = _convert(path)
    assert {c["id"]: [m["text"] for m in c["messages"]] for c in converted} == {"c1": ["您好"], "c3": ["您好"], "c4": ["再见"]}


def test_tsv_with_a_row_longer_than_its_header(tmp_path):
    path = tmp_path / "ragged.tsv"
    path.write_text("会话ID\t角色\t内容\nc1\t客服\t您好\tstray\n", encoding="utf-8")
    code, _, stderr = scan(path)
    assert code == 2 and "a cell holding a tab is probably not quoted" in stderr


def test_csv_with_a_quote_never_closed_does_not_swallow_the_rows_after_it_silently(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text(HEADER + "c1,客服,您好\nc2,客服,\"没有结尾\nc3,客服,这一行被吞了\n", encoding="utf-8")
    code, records, stderr = scan(path)
    assert code == 2 and "c1" in scanned_ids(records)
    assert_skipped(stderr, 1, f"{path}:3: a quoted cell starting here is never closed")


def test_csv_multiline_cells_that_are_closed_are_fine(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(HEADER + 'c1,客服,"第一行\n第二行"\nc2,客服,"最后\n一条"', encoding="utf-8")
    assert [c["messages"][0]["text"] for c in _convert(path)] == ["第一行\n第二行", "最后\n一条"]


def test_csv_truncated_in_the_middle_of_a_character(tmp_path):
    data = (HEADER + "c1,客服,您好\nc2,客户,我想问一下\nc3,客服,请稍等").encode("utf-8")
    path = tmp_path / "cut.csv"
    path.write_bytes(data[:-2])  # the last character loses its final byte
    code, records, stderr = scan(path)
    assert code == 2 and scanned_ids(records) >= {"c1"}
    assert_skipped(stderr, 1, f"{path}:4: bytes", "not valid utf-8")


def test_csv_with_nul_bytes_and_undecodable_bytes(tmp_path):
    path = tmp_path / "bytes.csv"
    path.write_bytes((HEADER + "c1,客服,您好\x00世界\n").encode() + b"c2,\xe5\xae\xa2\xe6\x88\xb7,\xff\xfe\n" + "c3,客服,再见\n".encode())
    code, records, stderr = scan(path)
    assert code == 2 and {"c1", "c3"} <= {c["id"] for c in _convert(path)}
    assert_skipped(stderr, 1, f"{path}:3: bytes ff")


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("gb18030", "the header has: 浼氳瘽ID"),  # UTF-8 read as GB18030 decodes, to mojibake the message shows
        ("big5", "not valid cp950"),
        ("utf-16", "has no UTF-16 byte-order mark"),
        ("utf-32", "has no UTF-32 byte-order mark"),
    ],
)
def test_a_wrong_declared_charset_gives_clear_problems(tmp_path, declared, expected):
    path = tmp_path / "utf8.csv"
    path.write_text(HEADER + "c1,客服,您好，请问有什么可以帮您\n", encoding="utf-8")
    code, _, stderr = scan("--encoding", declared, path)
    assert code == 2 and expected in stderr


def test_utf16_without_a_byte_order_mark_is_recognised(tmp_path):
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.csv"
        path.write_bytes((HEADER + "c1,客服,您好\n").encode(codec))
        assert [c["messages"][0]["text"] for c in _convert(path)] == ["您好"]


def _convert(path: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["convert", str(path)])
    assert "Traceback" not in result.stdout + result.stderr
    return [json.loads(x) for x in result.stdout.splitlines() if x.strip()]


# -- Excel -----------------------------------------------------------------------------------------------------
def _workbook(path: Path, rows: int = 50) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["会话ID", "角色", "内容"])
    for i in range(rows):
        sheet.append([f"x{i}", "客服", "您好，请问有什么可以帮您" * 10])
    book.save(path)
    return path


def test_xlsx_truncated(tmp_path):
    whole = _workbook(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    code, _, stderr = scan(path)
    assert code == 2 and f"{path}: not a readable Excel .xlsx workbook" in stderr


def test_xlsx_with_a_damaged_sheet_keeps_the_rows_before_the_damage(tmp_path):
    whole = _workbook(tmp_path / "whole.xlsx", rows=200)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    code, records, stderr = scan(path)
    assert code == 2 and "x0" in scanned_ids(records)
    assert_skipped(stderr, 1, "the worksheet is damaged from this row on")


# -- e-mail ----------------------------------------------------------------------------------------------------
def _mail(msg_id: str, sender: str, body: bytes, *, content_type: str = "text/plain; charset=utf-8",
          extra: str = "", minute: int = 0) -> bytes:
    headers = (
        f"From {sender} Mon Nov 23 09:{minute:02d}:00 2026\n"
        f"From: {sender}\nTo: other@example.com\nSubject: 宽带问题\n"
        f"Date: Mon, 23 Nov 2026 09:{minute:02d}:00 +0800\nMessage-ID: <{msg_id}>\n"
        f"In-Reply-To: <m1@example.com>\nMIME-Version: 1.0\nContent-Type: {content_type}\n{extra}\n"
    )
    return headers.encode() + body + b"\n\n"


def test_mbox_with_a_broken_mime_part_a_wrong_charset_and_deep_nesting(tmp_path):
    deep = "".join(f'--b{i}\nContent-Type: multipart/mixed; boundary="b{i + 1}"\n\n' for i in range(3000))
    mbox = tmp_path / "thread.mbox"
    mbox.write_bytes(
        _mail("m1@example.com", "customer@example.com", b"%%% not base64 %%%\xff",
              content_type="text/plain; charset=utf-8", extra="Content-Transfer-Encoding: base64\n")
        + _mail("m2@example.com", "support@example.com", "您好，亲，这个我们马上处理。".encode(), minute=5)
        + _mail("m3@example.com", "support@example.com", "您好，请稍等。".encode(), content_type="text/plain; charset=gb2312", minute=6)
        + _mail("m4@example.com", "support@example.com", deep.encode(), content_type='multipart/mixed; boundary="b0"', minute=7)
        + _mail("m5@example.com", "support@example.com", "好的，再见。".encode(), minute=8)
    )
    code, records, stderr = scan(mbox)
    assert code == 2
    assert_skipped(stderr, 3, f"{mbox}:1: e-mail <m1@example.com>", "<m3@example.com>: the body is not valid gb18030",
                   "cannot parse this e-mail: RecursionError")
    texts = [m["text"] for c in _convert(mbox) for m in c["messages"]]
    assert texts == ["您好，亲，这个我们马上处理。", "好的，再见。"]


def test_garbage_named_eml_and_a_truncated_mbox(tmp_path):
    garbage = tmp_path / "photo.eml"
    garbage.write_bytes(bytes(range(256)) * 8)
    whole = _mail("m2@example.com", "support@example.com", "您好，亲，这个我们马上处理。".encode())
    cut = tmp_path / "cut.mbox"
    cut.write_bytes(whole + whole[: len(whole) // 3].replace(b"m2@", b"m9@"))
    code, records, stderr = scan(garbage, cut)
    assert code == 2 and f"{garbage}: not an e-mail: no headers found" in stderr


# -- chat logs -------------------------------------------------------------------------------------------------
CHAT_LOG = (
    "==================== 会话 s-1 | 网页在线客服 | 坐席：小王 (agent.04) | 开始时间：2026-11-20 10:02:05 ====================\n"
    "2026-11-20 10:02:05 客户-张三：你好，我想改一下收货地址\n"
    "2026-11-20 10:02:11 客服-小王：亲，您好，请问订单号是多少？\n"
    "2026-11-20 10:02:40 客户-张三：20261119502218\n"
    "2026-11-20 10:03:40 客服-小王：好的，已经帮您改好了\n"
)


def test_chat_log_truncated_in_the_middle_of_a_character(tmp_path):
    path = tmp_path / "cut.log"
    path.write_bytes(CHAT_LOG.encode()[:-3])  # the newline and two of the three bytes of 了
    code, records, stderr = scan(path)
    assert code == 2 and "s-1" in scanned_ids(records)
    assert_skipped(stderr, 1, f"{path}:5: bytes")


def test_chat_log_read_with_a_wrong_declared_charset(tmp_path):
    path = tmp_path / "chat.log"
    path.write_text(CHAT_LOG, encoding="utf-8")
    code, _, stderr = scan("--encoding", "big5", path)
    assert code == 2 and "not valid cp950" in stderr


# -- folders ---------------------------------------------------------------------------------------------------
def test_binary_files_in_a_scanned_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # not a transcript: ignored
    (folder / "core").write_bytes(os.urandom(2048))  # no extension: ignored
    (folder / "dump.jsonl").write_bytes(b"\x00\x01\x02\xff" * 512)  # a transcript name, binary content
    (folder / "dump.csv").write_bytes(b"\x00\xff\xfe\x80" * 512)
    (folder / "notes.txt").write_bytes(os.urandom(1024))  # .txt only when it looks like a chat log
    code, records, stderr = scan(folder)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert "dump.jsonl:1: not valid UTF-8" in stderr and "dump.csv" in stderr
    assert "image.png" not in stderr and "core" not in stderr and "notes.txt" not in stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_loops_and_dangling_links(tmp_path):
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    os.symlink("loop-b.jsonl", folder / "loop-a.jsonl")
    os.symlink("loop-a.jsonl", folder / "loop-b.jsonl")
    os.symlink("missing.jsonl", folder / "dangling.jsonl")
    os.symlink("..", folder / "sub" / "parent")  # a folder loop
    os.symlink(folder, folder / "sub" / "self")
    code, records, stderr = scan(folder, folder / "loop-a.jsonl")
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 4, "loop-a.jsonl: symbolic link loop", "loop-b.jsonl: symbolic link loop",
                   "dangling.jsonl: broken symbolic link")
    items = list(read_paths([str(folder)]))
    assert sum(isinstance(i, Conversation) for i in items) == 1  # the folder loop did not read ok.jsonl twice


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_in_a_scanned_folder_is_skipped_not_waited_for(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    os.mkfifo(folder / "pipe.jsonl")  # opening it would block until a writer appears
    items = list(read_paths([str(folder)]))
    problems = [i for i in items if isinstance(i, InputProblem)]
    assert [p.reason for p in problems] == ["not a regular file (named pipe); skipped"]
    assert sum(isinstance(i, Conversation) for i in items) == 1


def _deny(monkeypatch, denied: Path) -> None:
    """Make reading one file fail as chmod 000 does, also when the tests run as root (which ignores modes)."""
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == denied:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)


def test_an_unreadable_file(tmp_path, monkeypatch):
    """chmod 000 when not root; as root (CI) permissions do not stop reads, so open() is made to refuse."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    secret = folder / "secret.jsonl"
    secret.write_text(line({**GOOD, "id": "secret"}), encoding="utf-8")
    if IS_ROOT:
        _deny(monkeypatch, secret)
    else:
        secret.chmod(0)
    try:
        code, records, stderr = scan(folder)
    finally:
        secret.chmod(0o644)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 1, f"{secret}: cannot open: Permission denied")


def test_an_unreadable_folder_is_reported_not_silently_left_out(tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    locked = folder / "locked"
    locked.mkdir(parents=True)
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    (locked / "hidden.jsonl").write_text(line({**GOOD, "id": "hidden"}), encoding="utf-8")
    if IS_ROOT:
        real_scandir = os.scandir

        def scandir(path="."):
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        code, records, stderr = scan(folder)
    finally:
        locked.chmod(0o755)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert_skipped(stderr, 1, f"{locked}: cannot read folder: Permission denied; its files were skipped")


def test_a_reader_that_fails_unexpectedly_costs_only_its_own_file(tmp_path, monkeypatch):
    """The last line of defence: a reader bug ends that input with one problem, not the batch with a traceback."""
    from qa_linter import readers

    real_jsonl, extensions = readers.FORMATS["jsonl"]

    def failing(stream, source, options=None, **kwargs):
        if source.endswith("bad.jsonl"):
            yield from real_jsonl(stream, source, options, **kwargs)
            raise RuntimeError("reader bug")
        yield from real_jsonl(stream, source, options, **kwargs)

    monkeypatch.setitem(readers.FORMATS, "jsonl", (failing, extensions))
    bad, ok = tmp_path / "bad.jsonl", tmp_path / "ok.jsonl"
    bad.write_text(line({**GOOD, "id": "first"}), encoding="utf-8")
    ok.write_text(line(GOOD), encoding="utf-8")
    code, records, stderr = scan(bad, ok)
    assert code == 2 and scanned_ids(records) == {"first", "good"}
    assert_skipped(stderr, 1, f"{bad}: could not be read (RuntimeError: reader bug)")


# -- many records, streamed ------------------------------------------------------------------------------------
def test_many_tiny_conversations_stream_with_bad_ones_counted(tmp_path):
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(5000):
            out.write(line({"id": f"t{i}", "messages": [{"role": "agent", "text": "亲"}]}) if i % 1000 else "{broken\n")
    items = read_paths([str(path)])
    first = next(items)
    assert isinstance(first, InputProblem) and first.line == 1  # streamed: the first record comes at once
    rest = list(items)
    assert sum(isinstance(i, Conversation) for i in rest) == 4995
    assert [p.line for p in rest if isinstance(p, InputProblem)] == [1001, 2001, 3001, 4001]


def test_the_summary_lists_two_hundred_problems_and_counts_the_rest(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("{broken\n" * 450 + line(GOOD), encoding="utf-8")
    code, records, stderr = scan(path)
    assert code == 2 and scanned_ids(records) == {"good"}
    assert "Skipped 450 input records" in stderr


# -- the installed command, end to end -------------------------------------------------------------------------
def test_no_traceback_from_the_real_command_on_a_folder_of_broken_files(tmp_path):
    folder = tmp_path / "mess"
    folder.mkdir()
    (folder / "ok.jsonl").write_text(line(GOOD), encoding="utf-8")
    (folder / "deep.jsonl").write_text("[" * 50_000 + "\n", encoding="utf-8")
    (folder / "cut.csv").write_bytes((HEADER + "c1,客服,您好\nc2,客服,\"未闭合\n").encode())
    (folder / "bin.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(512))
    (folder / "bad.eml").write_bytes(codecs.BOM_UTF8 + os.urandom(512))
    (folder / "chat.log").write_bytes(CHAT_LOG.encode("utf-8")[:-5])
    proc = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "scan", "--no-builtin", "--rules", str(RULES), "--format", "jsonl", str(folder)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Skipped" in proc.stderr and "good" in proc.stdout


def test_other_json_inputs_nested_thousands_deep(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    runner = CliRunner()
    check = runner.invoke(main, ["check", "--no-builtin", "--rules", str(RULES), "--context", str(deep), "您好"])
    assert check.exit_code == 2 and "invalid JSON: nested too deeply" in check.stderr
    ok = tmp_path / "ok.jsonl"
    ok.write_text(line(GOOD), encoding="utf-8")
    calibrate = runner.invoke(main, ["calibrate", "--no-builtin", "--rules", str(RULES), "--gold", str(deep), str(ok)])
    assert calibrate.exit_code == 2 and "not a label line" in calibrate.stderr
    for result in (check, calibrate):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stdout + result.stderr


def test_other_json_inputs_with_a_number_too_long_to_convert(tmp_path):
    context = tmp_path / "context.json"
    context.write_text('[{"role": "customer", "text": "在吗",\n  "n": ' + HUGE_NUMBER + "}]", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "good", "findings": [{"message_index": ' + HUGE_NUMBER + ', "category": "slang"}]}\n', encoding="utf-8")
    ok = tmp_path / "ok.jsonl"
    ok.write_text(line(GOOD), encoding="utf-8")
    runner = CliRunner()
    check = runner.invoke(main, ["check", "--no-builtin", "--rules", str(RULES), "--context", str(context), "您好"])
    assert check.exit_code == 2 and f"{context}:2: invalid JSON: a number with 5,000 digits" in check.stderr
    calibrate = runner.invoke(main, ["calibrate", "--no-builtin", "--rules", str(RULES), "--gold", str(labels), str(ok)])
    assert calibrate.exit_code == 2 and f"{labels}:1: not a label line" in calibrate.stderr
    for result in (check, calibrate):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stdout + result.stderr
