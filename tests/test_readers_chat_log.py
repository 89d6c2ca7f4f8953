"""Chat-console text logs: headers, speakers, continuation lines, configuration and bad lines."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa_linter.errors import ConfigError
from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import chat_log, read_paths
from qa_linter.readers.options import ReaderOptions

DATA = Path(__file__).parent / "data"
FORMATS = DATA / "formats"
CST = timezone(timedelta(hours=8))


def at(hms: str, day: int = 20) -> datetime:
    h, m, s = map(int, hms.split(":"))
    return datetime(2026, 11, day, h, m, s, tzinfo=CST)


def read(path: Path, options: ReaderOptions | None = None) -> list:
    return list(read_paths([str(path)], options=options))


def test_corpus_console_log():
    items = read(DATA / "corpus" / "formats" / "console-chat-log.txt")
    assert not [p for p in items if isinstance(p, InputProblem)]
    first, second = items
    assert (first.id, first.agent, first.started_at) == ("s-log-01", "agent.04", at("10:02:05"))
    assert first.meta == {"source_channel": "网页在线客服"} and first.channel == "chat"
    assert [(m.role, m.ts) for m in first.messages] == [
        ("customer", at("10:02:05")), ("agent", at("10:02:11")), ("customer", at("10:02:40")), ("agent", at("10:03:40")),
        ("customer", at("10:05:10")), ("agent", at("10:05:30")), ("customer", at("10:06:05")), ("agent", at("10:06:20")),
        ("system", at("10:06:40")),
    ]
    assert first.messages[3].text == (
        "感谢您的耐心等待。订单还没有出库，可以直接修改，步骤如下：\n1. 打开App「我的订单」，找到这笔订单；\n"
        "2. 点击「修改地址」，选择新地址后保存。\n如果订单已经出库就不能修改了，需要联系快递改派。"
    )
    assert first.messages[8].text == "会话已结束"
    assert (second.id, second.agent) == ("s-log-02", "agent.06")
    assert [m.role for m in second.messages] == ["customer", "agent"] * 4
    assert second.messages[3].ts == at("14:19:50") and second.messages[3].text.startswith("亲，流量包")
    assert second.messages[5].text.endswith("\n届时请您确认话费余额是否已返还。")  # continuation, no blank tail
    assert second.source.endswith("console-chat-log.txt:15")


def test_configured_speakers_and_a_header_with_team():
    options = ReaderOptions.from_config({"chat_log": {"agent": ["售后"], "customer": "买家", "system": ["通知"]}})
    items = read(FORMATS / "custom-speakers.log", options)
    (conv,) = items
    assert (conv.id, conv.team, conv.agent) == ("L-9", "售后一组", "赵六")
    assert [(m.role, m.text) for m in conv.messages] == [
        ("customer", "东西坏了"),
        ("agent", "您好，抱歉给您添麻烦了。\n请拍一张照片发给我。"),
        ("system", "对方已上传图片"),
    ]


def test_unknown_speakers_are_reported_with_the_prefixes_to_configure():
    items = read(FORMATS / "custom-speakers.log")
    problems = [p for p in items if isinstance(p, InputProblem)]
    assert [p.line for p in problems] == [4, 7]
    assert "unknown speaker '售后-赵六'" in problems[0].reason and "chat_log" in problems[0].reason
    (conv,) = [c for c in items if isinstance(c, Conversation)]
    assert [m.text for m in conv.messages] == ["东西坏了"]  # the skipped message's continuation did not leak


def test_a_log_without_header_is_one_conversation_named_after_the_file():
    (conv,) = read(FORMATS / "no-header.txt")
    assert conv.id == "no-header" and conv.agent == "小周"
    assert [(m.role, m.ts) for m in conv.messages] == [("customer", at("08:00:00", 22)), ("agent", at("08:00:20", 22))]


def test_bad_lines_are_reported_once_each_and_the_rest_is_read():
    items = read(FORMATS / "malformed.log")
    problems = [(p.line, p.reason) for p in items if isinstance(p, InputProblem)]
    assert [line for line, _ in problems] == [1, 5, 7]  # the preamble once, the unknown speaker, the bad hour
    assert problems[0][1].startswith("text outside any message")
    assert "hour must be in 0..23" in problems[2][1]
    (conv,) = [c for c in items if isinstance(c, Conversation)]
    assert [(m.role, m.text) for m in conv.messages] == [("customer", "你好"), ("agent", "您好")]


def test_an_undecodable_line_skips_its_message_only():
    items = read(FORMATS / "gb18030-bad-line.log")
    problems = [p for p in items if isinstance(p, InputProblem)]
    assert [p.line for p in problems] == [6] and "not valid gb18030" in problems[0].reason
    (conv,) = [c for c in items if isinstance(c, Conversation)]
    assert len(conv.messages) == 11 and conv.messages[-1].text == "好的👍"
    assert "\ufffd" not in "".join(m.text for m in conv.messages)


def test_a_file_that_is_no_chat_log_says_so():
    items = list(chat_log.read(io.BytesIO("这只是一段说明文字。\n第二行。\n".encode()), "readme.txt"))
    assert [p.line for p in items] == [1, None]
    assert "no chat-log messages found" in items[1].reason


def test_a_custom_line_pattern():
    options = ReaderOptions.from_config({"chat_log": {
        "line": r"^(?P<speaker>\S+) \((?P<time>[\d\- :]+)\): (?P<text>.*)$",
    }})
    data = "客户 (2026-11-20 10:00:00): 在吗\n客服-小李 (2026-11-20 10:00:09): 在的\n".encode()
    (conv,) = chat_log.read(io.BytesIO(data), "chat.log", options)
    assert [(m.role, m.text, m.ts) for m in conv.messages] == [
        ("customer", "在吗", at("10:00:00")), ("agent", "在的", at("10:00:09"))
    ]


@pytest.mark.parametrize("value, message", [
    ({"agent": 3}, "a list of speaker prefixes"),
    ({"speakers": []}, "unknown setting 'speakers'"),
    ({"header": "("}, "not a valid regular expression"),
    ({"line": r"^(?P<time>\S+) (?P<text>.*)$"}, r"\(\?P<speaker>…\)"),
])
def test_chat_log_configuration_mistakes(value, message):
    with pytest.raises(ConfigError, match=message):
        ReaderOptions.from_config({"chat_log": value})


def test_the_time_zone_setting_places_naive_times():
    options = ReaderOptions.from_config({"timezone": "Europe/Berlin"})
    (conv,) = read(FORMATS / "no-header.txt", options)
    assert conv.messages[0].ts.utcoffset() == timedelta(hours=1)
    with pytest.raises(ConfigError, match="unknown time zone"):
        ReaderOptions.from_config({"timezone": "Mars/Olympus"})
