"""The pre-send check (Linter.check_reply): same verdicts as a batch scan, context forms, suggestions, threads."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from qa_linter.canonical import InvalidTranscript, conversation_from_dict
from qa_linter.presend import decided_later, parse_context

CORPUS = Path(__file__).parent / "data" / "corpus" / "transcripts.jsonl"
BUILTIN_RULES = Path(__file__).parent.parent / "rules"
HAS_BUILTIN_PACK = any(BUILTIN_RULES.glob("*.yaml"))
CONVERSATIONS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]

PACKS = [
    "test-pack",
    pytest.param("builtin-pack", marks=pytest.mark.skipif(not HAS_BUILTIN_PACK, reason="rules/*.yaml not written yet")),
]


@pytest.fixture(params=PACKS)
def pack_linter(request):
    fixture = "test_linter" if request.param == "test-pack" else "builtin_linter"
    return request.getfixturevalue(fixture)


# -- the pre-send check agrees with a full scan ----------------------------------------------------------------
@pytest.mark.parametrize("conv", CONVERSATIONS, ids=[c["id"] for c in CONVERSATIONS])
def test_each_agent_message_as_a_draft_gets_the_findings_the_scan_gives_it(pack_linter, conv):
    # What a scan of the whole conversation gives the message, for every rule that judges a message from it and
    # what came before; a rule that also reads later messages (READS_AHEAD: jargon's audience) gives the draft
    # what a scan of the conversation up to the draft gives it.
    linter = pack_linter
    full = linter.scan(conv)
    judged_later = set(linter.draft_rule_set()[1])
    ahead = {r.id for r in linter.rules if r.READS_AHEAD}
    order = {r.id: i for i, r in enumerate(linter.rules)}
    for index, message in enumerate(conv["messages"]):
        if message["role"] != "agent":
            continue
        context = {**conv, "messages": conv["messages"][:index]}
        result = linter.check_reply(message["text"], context=context, ts=message.get("ts"))
        so_far = linter.scan({**conv, "messages": conv["messages"][:index + 1]}) if ahead else []
        expected = sorted(
            [f for f in full if f.message_index == index and f.rule not in judged_later | ahead]
            + [f for f in so_far if f.message_index == index and f.rule in ahead],
            key=lambda f: order[f.rule])
        assert result.message_index == index
        assert sorted(result.findings, key=lambda f: order[f.rule]) == expected, \
            f"{conv['id']} message {index}: {message['text']}"


def test_the_comparison_covers_many_findings_and_excludes_only_end_of_conversation_rules(test_linter):
    # Guards the equivalence test against passing vacuously.
    _, later = test_linter.draft_rule_set()
    assert later == [r.id for r in test_linter.rules if r.CONVERSATION_END] == ["t-closing"]
    compared = {f.rule for c in CONVERSATIONS for f in test_linter.scan(c)} - set(later)
    assert {"t-taboo", "t-slang", "t-greeting", "t-empathy", "t-jargon", "t-slow", "t-remote"} <= compared


@pytest.mark.skipif(not HAS_BUILTIN_PACK, reason="rules/*.yaml not written yet")
def test_builtin_pack_skips_the_conversation_end_rules(builtin_linter):
    _, later = builtin_linter.draft_rule_set()
    for rule in builtin_linter.rules:
        if rule.CONVERSATION_END:
            assert rule.id in later
    categories = {r.category for r in builtin_linter.rules if r.id in later}
    assert categories <= {"closing-missing", "no-resolution-check"}, categories


def test_rules_about_later_messages_are_recognised(tmp_path):
    from qa_linter import Linter

    path = tmp_path / "later.yaml"
    path.write_text(
        """rules:
  - {id: r-first, type: required, category: greeting-missing, message: m, scope: first, require: {terms: [您好]}}
  - {id: r-first2, type: required, category: greeting-missing, message: m, scope: first 2, require: {terms: [您好]}}
  - {id: r-min, type: required, category: greeting-missing, message: m, min_messages: 3, require: {terms: [您好]}}
  - {id: r-all-first, type: required, category: no-resolution-check, message: m, scope: all, anchor: first, require: {terms: [解决]}}
  - {id: r-last, type: phrases, category: slang, message: m, scope: last, terms: [亲]}
  - {id: s-next, type: sequence, category: empathy-missing, message: m, trigger: {terms: [投诉]}, expect: {where: next, require: {terms: [抱歉]}}}
  - {id: s-after, type: sequence, category: empathy-missing, message: m, trigger: {role: agent, terms: [稍后回电]}, expect: {role: agent, where: after, require: {terms: [回电]}}}
""",
        encoding="utf-8",
    )
    linter = Linter.from_config(rules=[path], builtin=False)
    verdict = {r.id: decided_later(r) for r in linter.rules}
    assert verdict == {
        "r-first": False,
        "r-first2": True,
        "r-min": True,
        "r-all-first": True,
        "r-last": True,
        "s-next": False,
        "s-after": True,
    }


# -- context forms, channel, time -----------------------------------------------------------------------------
CONTEXT = [
    {"role": "customer", "text": "宽带太慢了，我要投诉", "ts": "2026-11-20T10:00:00+08:00"},
    {"role": "agent", "text": "您好，请问您的宽带账号是？", "ts": "2026-11-20T10:00:20+08:00"},
    {"role": "customer", "text": "是不是DNS的问题", "ts": "2026-11-20T10:01:00+08:00"},
]


def _without_id(findings):
    return [replace(f, conversation_id="") for f in findings]


def test_every_context_form_gives_the_same_findings(test_linter):
    draft = "亲，请修改DNS设置，这个我不知道"
    as_dict = {"id": "c-1", "channel": "chat", "messages": CONTEXT}
    results = [
        test_linter.check_reply(draft, context=CONTEXT),
        test_linter.check_reply(draft, context=as_dict),
        test_linter.check_reply(draft, context=conversation_from_dict(as_dict)),
    ]
    assert results[1].findings[0].conversation_id == "c-1"
    assert results[0].findings[0].conversation_id == "draft"
    assert _without_id(results[0].findings) == _without_id(results[1].findings) == _without_id(results[2].findings)
    rules = {f.rule for f in results[0].findings}
    # the customer said DNS first, so it needs no explanation; the complaint was answered before
    assert rules == {"t-slang", "t-taboo"}
    assert results[0].message_index == 3


def test_no_context_means_a_first_reply(test_linter):
    result = test_linter.check_reply("请问有什么问题")
    assert [f.rule for f in result.findings] == ["t-greeting"]
    assert result.message_index == 0
    assert test_linter.check_reply("您好，请问有什么问题").findings == []


def test_context_rules_see_the_conversation(test_linter):
    complaint = [{"role": "customer", "text": "太慢了，我要投诉"}]
    assert "t-empathy" in {f.rule for f in test_linter.check_reply("您好，请提供订单号", context=complaint).findings}
    assert "t-empathy" not in {f.rule for f in test_linter.check_reply("您好，非常抱歉，请提供订单号", context=complaint).findings}
    remote = [{"role": "customer", "text": "电脑坏了"}, {"role": "agent", "text": "您好"}]
    assert "t-remote" in {f.rule for f in test_linter.check_reply("我现在发起远程协助", context=remote).findings}
    consent = remote + [{"role": "customer", "text": "可以远程吗"}]
    assert "t-remote" not in {f.rule for f in test_linter.check_reply("我现在发起远程协助", context=consent).findings}


def test_slow_response_is_judged_only_when_the_draft_has_a_time(test_linter):
    late = "2026-11-20T10:10:00+08:00"
    assert "t-slow" not in {f.rule for f in test_linter.check_reply("好的，已为您处理", context=CONTEXT).findings}
    found = test_linter.check_reply("好的，已为您处理", context=CONTEXT, ts=late).findings
    assert [f.message for f in found if f.rule == "t-slow"] == ["回复慢：9 分钟（上限 3 分钟）"]
    assert "t-slow" not in {f.rule for f in test_linter.check_reply("好的", context=CONTEXT, ts="2026-11-20T10:01:30+08:00").findings}


def test_channel_defaults_to_the_context_and_can_be_given(test_linter):
    email = {"id": "e-1", "channel": "email", "messages": [{"role": "customer", "text": "在吗", "ts": "2026-11-20T10:00:00+08:00"}]}
    two_minutes = "2026-11-20T10:02:00+08:00"
    assert "t-slow" not in {f.rule for f in test_linter.check_reply("您好", context=email, ts=two_minutes).findings}
    assert "t-slow" in {f.rule for f in test_linter.check_reply("您好", context=email, ts=two_minutes, channel="chat").findings}


@pytest.mark.parametrize(
    "context, reason",
    [
        ([{"role": "bot", "text": "hi"}], "messages[0].role 'bot' must be agent, customer or system"),
        ([{"role": "agent"}], "messages[0].text must be a string"),
        ({"id": "x"}, 'context must be a conversation with "messages"'),
        ("hello", "context must be a conversation object or a list of messages, not str"),
        ([{"role": "agent", "text": "hi", "ts": "yesterday"}], "'yesterday' is not an ISO 8601 time"),
    ],
)
def test_bad_context_is_a_clear_error(test_linter, context, reason):
    with pytest.raises(InvalidTranscript) as caught:
        test_linter.check_reply("您好", context=context)
    assert reason in str(caught.value)


def test_bad_arguments_are_clear_errors(test_linter):
    with pytest.raises(ValueError, match="channel 'sms' is not one of chat, email, phone"):
        test_linter.check_reply("您好", channel="sms")
    with pytest.raises(ValueError, match="fail_on 'fatal' must be one of error, warning, info, never"):
        test_linter.check_reply("您好", fail_on="fatal")
    with pytest.raises(ValueError, match="the draft must be a string, not NoneType"):
        test_linter.check_reply(None)


# -- blocking and suggestions ---------------------------------------------------------------------------------
def test_blocking_follows_fail_on(test_linter):
    warning_only = "您好，亲"
    assert {str(f.severity) for f in test_linter.check_reply(warning_only).findings} == {"warning"}
    assert not test_linter.check_reply(warning_only).blocking
    assert test_linter.check_reply(warning_only, fail_on="warning").blocking
    error = "您好，这个我不知道"
    assert test_linter.check_reply(error).blocking
    assert not test_linter.check_reply(error, fail_on="never").blocking


def test_term_suggestions_are_replacements_and_rule_suggestions_are_advice(test_linter):
    draft = "您好亲亲，亲，请修改DNS设置"
    result = test_linter.check_reply(draft)
    by_rule_text = {(s.rule, s.original): s for s in result.suggestions}
    slang = by_rule_text[("t-slang", "亲")]
    assert (slang.kind, slang.replacement, slang.start, slang.end) == ("replacement", "您", 5, 6)
    advice = by_rule_text[("t-slang", "亲亲")]  # no suggestion of its own: the rule's `suggest` is advice
    assert (advice.kind, advice.text, advice.replacement) == ("advice", "使用规范书面语", None)
    jargon = by_rule_text[("t-jargon", "DNS")]
    assert (jargon.kind, jargon.replacement) == ("replacement", "DNS（域名解析服务）")
    for s in result.suggestions:
        assert result.findings[s.finding].rule == s.rule


def test_a_rule_suggest_that_quotes_the_term_suggestion_is_advice_with_the_term_replacement(tmp_path):
    from qa_linter import Linter

    path = tmp_path / "quoting.yaml"
    path.write_text(
        """rules:
  - id: j
    type: jargon
    category: jargon-unexplained
    message: "术语「{match}」"
    suggest: "请加解释，例如「{match}（{suggestion}）」"
    terms: [{term: MTU, suggest: 一次能传送的最大数据包大小}, CDN]
  - id: s
    type: phrases
    category: slang
    message: "俚语「{match}」"
    suggest: "请改用「{suggestion}」"
    terms: [{term: 木有, suggest: 没有}]
""",
        encoding="utf-8",
    )
    linter = Linter.from_config(rules=[path], builtin=False)
    result = linter.check_reply("把MTU改小，CDN木有问题")
    by_text = {s.original: s for s in result.suggestions}
    assert by_text["MTU"].kind == "replacement"
    assert by_text["MTU"].replacement == "MTU（一次能传送的最大数据包大小）"
    assert by_text["MTU"].text == "请加解释，例如「MTU（一次能传送的最大数据包大小）」"
    assert (by_text["木有"].kind, by_text["木有"].replacement, by_text["木有"].text) == ("replacement", "没有", "请改用「没有」")
    assert by_text["CDN"].kind == "advice" and by_text["CDN"].replacement is None  # no explanation of its own


def test_applying_a_replacement_removes_its_finding(test_linter):
    draft = "您好，亲，请修改DNS设置，这个我不知道"
    result = test_linter.check_reply(draft)
    replacements = [s for s in result.suggestions if s.kind == "replacement"]
    assert len(replacements) == 3
    for s in replacements:
        fixed = draft[: s.start] + s.replacement + draft[s.end :]
        after = test_linter.check_reply(fixed)
        assert s.rule not in {f.rule for f in after.findings}, fixed


def test_result_as_json(test_linter):
    result = test_linter.check_reply("您好，这个我不知道").to_dict()
    assert set(result) == {"findings", "blocking", "suggestions", "elapsed_ms", "message_index", "fail_on", "rule_pack"}
    assert result["blocking"] is True and result["fail_on"] == "error"
    assert result["findings"][0]["rule"] == "t-taboo"
    assert result["suggestions"][0]["replacement"] == "我帮您核实一下"
    json.dumps(result, ensure_ascii=False)


# -- threads ------------------------------------------------------------------------------------------------
def test_check_reply_is_thread_safe(test_linter):
    cases = []
    for conv in CONVERSATIONS:
        for index, message in enumerate(conv["messages"]):
            if message["role"] == "agent":
                cases.append((message["text"], {**conv, "messages": conv["messages"][:index]}, message.get("ts")))
    expected = [_stable(test_linter.check_reply(text, context=ctx, ts=ts)) for text, ctx, ts in cases]
    results: dict[int, list] = {}
    errors = []
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            order = cases[worker:] + cases[:worker]  # each thread in a different order
            got = [None] * len(cases)
            for _ in range(2):
                for k, (text, ctx, ts) in enumerate(order):
                    got[(k + worker) % len(cases)] = _stable(test_linter.check_reply(text, context=ctx, ts=ts))
            results[worker] = got
        except Exception as exc:  # surfaced below with the thread's number
            errors.append((worker, exc))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(len(e["findings"]) for e in expected) > 20
    for worker in range(8):
        assert results[worker] == expected


def test_check_reply_on_a_fresh_linter_from_many_threads(tmp_path):
    # The dictionaries load lazily on first use: several first calls at once must all get full answers.
    from qa_linter import Linter

    linter = Linter.from_config(rules=[Path(__file__).parent / "data" / "rules" / "all-types.yaml"], builtin=False)
    out, errors = [], []

    def first_call():
        try:
            out.append(_stable(linter.check_reply("亲，这个我不知道")))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(out) == 6
    assert all(o == out[0] for o in out)
    assert {f["rule"] for f in out[0]["findings"]} == {"t-greeting", "t-slang", "t-taboo"}


def _stable(result):
    d = result.to_dict()
    d.pop("elapsed_ms")
    return d


# -- context files for the command line ---------------------------------------------------------------------
def test_parse_context_accepts_the_documented_forms():
    conv = {"id": "c-9", "channel": "email", "messages": CONTEXT}
    assert parse_context(json.dumps(conv), "c.json").id == "c-9"
    assert parse_context(json.dumps(conv, indent=2).encode("utf-8-sig"), "c.json").channel == "email"
    assert parse_context(json.dumps(conv) + "\n", "c.jsonl").id == "c-9"
    assert len(parse_context(json.dumps(CONTEXT), "m.json").messages) == 3
    assert parse_context(json.dumps([conv]), "list.json").id == "c-9"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "c.json: the file is empty"),
        (b'{"id": 1, "messages": [', "c.json:1: invalid JSON"),
        (b'{"id": "a", "messages": []}\n{"id": "b", "messages": []}\n', "c.json: 2 JSON lines; --context takes one conversation"),
        (b'{"id": "a", "messages": []}\n{"id": "b", "messages": [}\n', "c.json:2: invalid JSON"),
        (b'[{"id": "a", "messages": []}, {"id": "b", "messages": []}]', "c.json: 2 conversations; --context takes one"),
        (b'{"id": "a", "messages": [{"role": "boss", "text": "x"}]}', "c.json: messages[0].role 'boss'"),
        (b"\xff\xfe{", "c.json: not UTF-8 (byte 0)"),
    ],
)
def test_parse_context_errors_name_the_file(data, reason):
    with pytest.raises(InvalidTranscript) as caught:
        parse_context(data, "c.json")
    assert reason in str(caught.value)


def test_a_delete_suggestion_is_an_empty_replacement(builtin_linter):
    """A lexicon suggestion "(删除)" means "delete the words" (lexicons/slang.txt): the replacement is empty, so a
    client that applies it deletes them instead of writing "(删除)" into the reply."""
    result = builtin_linter.check_reply("这个功能真的yyds！")
    (suggestion,) = [s for s in result.suggestions if s.rule == "slang-internet"]
    assert suggestion.kind == "replacement" and suggestion.replacement == ""
    assert (suggestion.start, suggestion.end, suggestion.original) == (6, 10, "yyds")
    assert suggestion.text == "(删除)"  # the rule's own wording stays
