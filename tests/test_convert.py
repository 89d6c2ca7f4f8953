"""`qa-lint convert` and the input options of `qa-lint scan`, through click's CliRunner."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.readers import FORMATS, read_paths
from qa_linter.vocabulary import INPUT_FORMATS

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
FORMATS_DIR = DATA / "formats"
TEST_RULES = DATA / "rules" / "all-types.yaml"


def run(*args: str, input: bytes | None = None, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def without_source(conversations):
    return [(c.id, c.channel, c.agent, c.team, c.started_at, c.messages, c.meta) for c in conversations]


def test_converting_a_canonical_file_gives_the_same_conversations_back(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("convert", str(CORPUS / "transcripts.jsonl"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "converted 40 conversations, 356 messages" in result.stderr
    original = list(read_paths([str(CORPUS / "transcripts.jsonl")]))
    again = list(read_paths([str(out)]))
    assert without_source(again) == without_source(original)
    # and converting the result once more changes nothing, byte for byte
    out2 = tmp_path / "out2.jsonl"
    assert run("convert", str(out), "-o", str(out2)).exit_code == 0
    assert out2.read_bytes() == out.read_bytes()


def test_converting_the_raw_formats_writes_canonical_lines_that_read_back_identically(tmp_path):
    out = tmp_path / "formats.jsonl"
    result = run("convert", str(CORPUS / "formats"), "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert ids[:8] == ["s-csv-01", "s-csv-02", "s-csv-03"] * 2 + ["s-log-01", "s-log-02"]
    assert sorted(ids[8:]) == sorted(["20261123094012.5521.chenxm@example.cn", "tencent_3B7E21A9C4D5F60718293A4B@example.cn",
                                      "3F2C9A11-77B4-4E0A-9C1D-2B6E8F0A1C55@example.com"])
    direct = list(read_paths([str(CORPUS / "formats")]))
    assert without_source(conversation_from_dict(json.loads(line)) for line in lines) == without_source(direct)
    assert "亲，您好" in lines[1]  # UTF-8 text, not \\u escapes


def test_convert_to_stdout_reports_problems_and_exits_2():
    result = run("convert", str(FORMATS_DIR / "malformed-rows.csv"))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["id"] == "m-1"
    assert "malformed-rows.csv:3: unknown role '老板'" in result.stderr
    assert "skipped 4 input records" in result.stderr


def test_convert_with_encoding_and_input_format_options(tmp_path):
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((CORPUS / "formats" / "chat-export-gb18030.csv").read_bytes())
    result = run("convert", str(renamed), "--input-format", "csv", "--encoding", "gb18030")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["s-csv-01", "s-csv-02", "s-csv-03"]


def test_convert_uses_the_configuration(tmp_path):
    config = tmp_path / "qa-linter.yaml"
    config.write_text("csv_columns:\n  id: 工单流水\n  time: 消息时间(北京)\n  role: 发送者类别\n  text: 聊天记录\n"
                      "  time_format: '%m/%d/%Y %H:%M'\n  roles: {人工: agent, 机器人: system}\n", encoding="utf-8")
    result = run("convert", str(FORMATS_DIR / "custom-columns.csv"), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert [m["role"] for m in json.loads(result.stdout)["messages"]] == ["customer", "agent", "system"]


def test_a_bad_encoding_name_is_a_usage_error_not_a_traceback():
    result = run("convert", str(FORMATS_DIR / "gbk-semicolon.csv"), "--encoding", "klingon")
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr


def test_a_bad_configuration_value_is_exit_2(tmp_path):
    config = tmp_path / "qa-linter.yaml"
    config.write_text("support_addresses: {a: 1}\n", encoding="utf-8")
    result = run("convert", str(FORMATS_DIR / "inline-reply.eml"), "--config", str(config))
    assert result.exit_code == 2 and "support_addresses" in result.stderr


# -- scan ------------------------------------------------------------------------------------------------------------
def test_the_cli_choice_lists_every_reader():
    assert INPUT_FORMATS == tuple(FORMATS)


def test_scan_with_input_format_reads_a_file_whose_extension_says_nothing(tmp_path):
    renamed = tmp_path / "console.dat"
    renamed.write_bytes((CORPUS / "formats" / "console-chat-log.txt").read_bytes())
    result = run("scan", str(renamed), "--input-format", "chat_log", "--no-builtin", "--rules", str(TEST_RULES),
                 "--format", "jsonl", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    found = {(r["conversation_id"], r["message_index"], r["category"]) for r in rows if "rule" in r}
    assert found == {("s-log-02", 3, "slang"), ("s-log-02", 3, "slow-response")}


def test_scan_reads_csv_from_stdin_by_its_content():
    data = (CORPUS / "formats" / "chat-export-utf8-bom.csv").read_bytes()
    result = run("scan", "-", "--no-builtin", "--rules", str(TEST_RULES), "--statistics", "--fail-on", "never", input=data)
    assert result.exit_code == 0, result.output
    assert "3 conversations, 22 messages" in result.stderr


def test_scan_encoding_override_and_the_summary_counts_the_skipped():
    result = run("scan", str(CORPUS / "formats" / "chat-export-utf8-bom.csv"), "--encoding", "big5",
                 "--no-builtin", "--rules", str(TEST_RULES))
    assert result.exit_code == 2
    assert "Skipped 1 input record" in result.stderr
    assert "cannot read the header row: bytes bc at byte 5 of the line are not valid cp950" in result.stderr


def test_scan_takes_the_input_format_from_the_configuration(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("input_format: chat_log\nbuiltin: false\n", encoding="utf-8")
    log = tmp_path / "chat.dat"
    log.write_bytes((FORMATS_DIR / "no-header.txt").read_bytes())
    result = run("scan", str(log), "--config", str(tmp_path / "qa-linter.yaml"), "--rules", str(TEST_RULES), "--statistics")
    assert "1 conversation, 2 messages" in result.stderr
    (tmp_path / "qa-linter.yaml").write_text("input_format: word\n", encoding="utf-8")
    bad = run("scan", str(log), "--config", str(tmp_path / "qa-linter.yaml"))
    assert bad.exit_code == 2 and "input_format 'word' must be one of" in bad.stderr


@pytest.mark.parametrize("name", ["chat-export-gb18030.csv", "email-qqmail-quote-multipart.eml", "thread-refund.mbox"])
def test_scan_prints_no_progress_bar_when_not_on_a_terminal(name):
    result = run("scan", str(CORPUS / "formats" / name), "--no-builtin", "--rules", str(TEST_RULES), "--fail-on", "never")
    assert "conversations ·" not in result.stderr and "files " not in result.stderr
