"""Excerpts and hand-overs (meta.partial, --partial): no greeting judged at a cut start, no closing or resolution
check at a cut end; everything else as before, on both scan paths (block engine and per-message)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa_linter.canonical import InvalidTranscript, conversation_from_dict
from qa_linter.cli import main
from qa_linter.model import Conversation, Message
from qa_linter.vocabulary import partial_ends

# The middle of a chat: no greeting, no closing, no resolution check, one slang word (judged wherever it is).
MIDDLE = [
    {"role": "customer", "text": "那现在怎么办"},
    {"role": "agent", "text": "亲，我帮您重新下发一下配置"},
    {"role": "customer", "text": "好"},
    {"role": "agent", "text": "已经下发了"},
]
START_RULES = {"greeting-missing"}
END_RULES = {"closing-missing", "no-resolution-check"}


def conv(partial=..., cid="x"):
    record = {"id": cid, "messages": MIDDLE}
    if partial is not ...:
        record["meta"] = {"partial": partial}
    return record


def rules_of(findings) -> set[str]:
    return {f.rule if hasattr(f, "rule") else f["rule"] for f in findings}


@pytest.mark.parametrize("partial, skipped", [
    (..., set()),
    (False, set()),
    (None, set()),
    ("start", START_RULES),
    ("end", END_RULES),
    ("both", START_RULES | END_RULES),
    (True, START_RULES | END_RULES),
])
def test_cut_ends_are_not_judged_and_the_rest_is(builtin_linter, partial, skipped):
    whole = rules_of(builtin_linter.scan(conv()))
    assert START_RULES | END_RULES | {"slang-internet"} <= whole  # what a whole conversation gets
    found = rules_of(builtin_linter.scan(conv(partial)))
    assert found == whole - skipped
    assert "slang-internet" in found


@pytest.mark.parametrize("value", ["middle", "START", 1, [], {"start": True}])
def test_a_wrong_partial_value_is_refused_with_the_values(value):
    with pytest.raises(InvalidTranscript, match="meta.partial .* must be one of start, end, both, true or false"):
        conversation_from_dict(conv(value))
    with pytest.raises(ValueError):
        partial_ends(value)


def test_a_wrong_value_that_came_another_way_is_a_reported_problem_not_a_crash(builtin_linter):
    from qa_linter import Linter

    linter = Linter(builtin_linter.pack)
    odd = Conversation("odd", [Message(i, m["role"], m["text"]) for i, m in enumerate(MIDDLE)], meta={"partial": "mid"})
    assert START_RULES <= rules_of(linter.scan(odd))  # judged whole
    assert "mid" in linter.rule_problems["meta.partial"]


def test_the_linter_default_applies_where_meta_is_silent(builtin_linter):
    from qa_linter import Linter

    linter = Linter(builtin_linter.pack, partial="end")
    assert not rules_of(linter.scan(conv())) & END_RULES
    assert START_RULES <= rules_of(linter.scan(conv()))
    assert END_RULES <= rules_of(linter.scan(conv(False)))  # the conversation's own word wins
    with pytest.raises(ValueError):
        Linter(builtin_linter.pack, partial="sideways")


def test_presend_context_cut_at_the_start_owes_no_greeting(builtin_linter):
    context = {"id": "t", "meta": {"partial": "start"}, "messages": [{"role": "customer", "text": "我的宽带还是不行"}]}
    transferred = builtin_linter.check_reply("我帮您看一下线路", context=context)
    fresh = builtin_linter.check_reply("我帮您看一下线路", context=context["messages"])
    assert "greeting-missing" in rules_of(fresh.findings)
    assert "greeting-missing" not in rules_of(transferred.findings)


@pytest.fixture
def excerpts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "excerpts.jsonl"
    records = [conv(cid="whole"), conv("start", "in"), conv("end", "out"), conv(True, "cut")]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def scan_rules(*args) -> tuple[int, dict[str, set[str]], str]:
    result = CliRunner().invoke(main, ["scan", "--format", "jsonl", *map(str, args)])
    found: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        f = json.loads(line)
        found.setdefault(f["conversation_id"], set()).add(f["rule"])
    return result.exit_code, found, result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_honours_meta_partial_like_the_per_message_path(excerpts, builtin_linter, jobs):
    code, found, _ = scan_rules(excerpts, "--jobs", jobs)
    assert code == 0
    expected = {}
    for line in excerpts.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        expected[record["id"]] = rules_of(builtin_linter.scan(record))
    assert found == expected
    assert START_RULES | END_RULES <= found["whole"]
    assert not found["in"] & START_RULES and END_RULES <= found["in"]
    assert not found["out"] & END_RULES and START_RULES <= found["out"]
    assert not found["cut"] & (START_RULES | END_RULES)


def test_partial_flag_for_a_whole_export_and_meta_wins(excerpts):
    code, found, _ = scan_rules(excerpts, "--partial", "start")
    assert code == 0
    assert not found["whole"] & START_RULES and END_RULES <= found["whole"]  # the flag applied
    assert START_RULES <= found["out"]  # "end" said by the conversation itself
    code, _, output = scan_rules(excerpts, "--partial", "middle")
    assert code == 2 and "middle" in output and "Traceback" not in output


def test_a_wrong_partial_in_a_transcript_is_a_skipped_record_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(conv()) + "\n" + json.dumps(conv("middle")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path), "-q"])
    assert result.exit_code == 2
    assert f"{path}:2: meta.partial 'middle' must be one of start, end, both, true or false" in result.output


def test_a_chat_log_header_marks_a_transferred_chat(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "cut.log"
    log.write_text(
        "==================== 会话 s-x | 网页在线客服 | 坐席：小王 (agent.04) | partial：start ====================\n"
        "2026-11-20 10:02:05 客户-张三：那现在怎么办\n"
        "2026-11-20 10:02:11 客服-小王：亲，我帮您重新下发一下配置\n"
        "==================== 会话 s-y | 网页在线客服 | partial：maybe ====================\n"
        "2026-11-20 10:02:05 客户-张三：那现在怎么办\n"
        "2026-11-20 10:02:11 客服-小王：我帮您重新下发一下配置\n", encoding="utf-8")
    code, found, output = scan_rules(log)
    assert not found["s-x"] & START_RULES and END_RULES <= found["s-x"]
    assert START_RULES <= found["s-y"]  # a value it cannot read: judged whole, and reported with its line
    assert code == 2 and f"{log}:4: meta.partial 'maybe' must be one of" in output and "Traceback" not in output
