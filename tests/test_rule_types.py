"""Each of the seven rule types: what it flags, where the finding points, and what the finding says."""
from __future__ import annotations

import pytest

from packs import agent_says, conversation, linter_from_yaml, pack, texts


@pytest.fixture(scope="module")
def phrases():
    return pack("phrases.yaml")


@pytest.fixture(scope="module")
def regexes():
    return pack("regex.yaml")


@pytest.fixture(scope="module")
def context_rules():
    return pack("conversation.yaml")


@pytest.fixture(scope="module")
def jargon():
    return pack("jargon.yaml")


@pytest.fixture(scope="module")
def timing():
    return pack("timing.yaml")


def only(findings, rule):
    return [f for f in findings if f.rule == rule]


# -- phrases --------------------------------------------------------------------------------------------------
def test_a_phrase_finding_carries_the_rule_and_the_typed_words(phrases):
    (f,) = agent_says(phrases, "好的，我 不 知 道", "p-short")
    assert (f.rule, f.category, str(f.severity), f.role, f.message_index) == ("p-short", "banned-phrase", "error", "agent", 0)
    assert (f.start, f.end, f.text) == (5, 10, "不 知 道")
    assert f.message == "服务忌语「不 知 道」"


def test_a_term_suggestion_wins_over_the_rule_suggestion(phrases):
    assert [f.suggestion for f in agent_says(phrases, "亲，您好", "p-slang")] == ["您"]
    assert [f.suggestion for f in agent_says(phrases, "木有问题", "p-slang")] == ["使用规范书面语"]
    assert [f.suggestion for f in agent_says(phrases, "我也不清楚", "p-short")] == ["我再帮您确认一下"]
    assert [f.suggestion for f in agent_says(phrases, "我不知道", "p-short")] == ["这个问题我帮您核实一下"]


def test_an_exception_cancels_only_the_hits_it_overlaps(phrases):
    assert texts(agent_says(phrases, "截图不清楚，原因我也不清楚", "p-unclear")) == ["不清楚"]
    (f,) = agent_says(phrases, "截图不清楚，原因我也不清楚", "p-unclear")
    assert f.start == 10


def test_customer_text_is_not_judged_by_agent_rules(phrases):
    conv = conversation(("customer", "我不知道啊"), ("agent", "您好"))
    assert phrases.scan(conv) == []


def test_scope_first_n_of_a_role(phrases):
    conv = conversation(("customer", "在吗"), ("agent", "您好"), ("customer", "我要投诉"), ("customer", "投诉"))
    assert [f.message_index for f in only(phrases.scan(conv), "p-customer")] == [2]


def test_message_placeholders_term_match_and_suggestion(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - id: r
            type: phrases
            category: banned-phrase
            message: "{term} / {match} / {suggestion}"
            terms: [{term: 不知道, suggest: 我帮您查}]
        """,
    )
    (f,) = agent_says(linter, "我 不 知 道")
    assert f.message == "不知道 / 不 知 道 / 我帮您查"


def test_lexicon_terms_bring_their_suggestions(tmp_path):
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "slang-words.txt").write_text(
        "# slang\n亲\t您\n木有\t没有\t谐音\n\n老铁\n", encoding="utf-8"
    )
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - {id: r, type: phrases, category: slang, message: "{match}", suggest: 规范用语, lexicon: slang-words}
        """,
    )
    found = agent_says(linter, "亲，木有问题，老铁")
    assert [(f.text, f.suggestion) for f in found] == [("亲", "您"), ("木有", "没有"), ("老铁", "规范用语")]


def test_channels_and_enabled(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - {id: mail-only, type: phrases, category: slang, message: x, terms: [亲], channels: [email]}
          - {id: switched-off, type: phrases, category: slang, message: x, terms: [亲], enabled: false}
        """,
    )
    assert [r.id for r in linter.rules] == ["mail-only"]
    assert linter.scan(conversation(("agent", "亲"), channel="chat")) == []
    assert [f.rule for f in linter.scan(conversation(("agent", "亲"), channel="email"))] == ["mail-only"]


# -- regex ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卡号 6217001234567890122 请核对", ["6217001234567890122"]),
        ("卡号６２１７００１２３４５６７８９０１２２", ["６２１７００１２３４５６７８９０１２２"]),
        ("卡号 6217 0012 3456 7890 122", ["6217 0012 3456 7890 122"]),
        ("卡号 6217001234567890123", []),  # fails the Luhn check
        ("运单 4300138123456781", []),
    ],
)
def test_luhn_validated_card_numbers(regexes, text, expected):
    found = agent_says(regexes, text, "r-card")
    assert texts(found) == expected
    for f in found:
        assert text[f.start : f.end] == f.text


def test_resident_id_needs_a_valid_date_and_check_character(regexes):
    assert texts(agent_says(regexes, "身份证 11010519491231002X", "r-resident-id")) == ["11010519491231002X"]
    assert agent_says(regexes, "身份证 110105194912310021", "r-resident-id") == []  # wrong check character
    assert agent_says(regexes, "身份证 110105194913310028", "r-resident-id") == []  # month 13


def test_mobile_numbers_allow_list_and_exceptions(regexes):
    assert texts(agent_says(regexes, "请拨打 137 0000 1111", "r-mobile")) == ["137 0000 1111"]
    assert agent_says(regexes, "热线 13800138000", "r-mobile") == []  # allow-listed, compared without separators
    assert agent_says(regexes, "热线 138-0013-8000", "r-mobile") == []
    assert agent_says(regexes, "编号 12700001111", "r-mobile") == []  # not a mobile prefix
    assert agent_says(regexes, "示例号码 13700001111", "r-mobile") == []
    assert agent_says(regexes, "请拨打 138****5678", "r-mobile") == []


def test_a_runaway_regex_is_stopped_reported_once_and_the_scan_goes_on(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - {id: runaway, type: regex, category: pii-exposure, message: x, pattern: '(a|aa)+$'}
          - {id: fine, type: phrases, category: slang, message: x, terms: [亲]}
        """,
    )
    text = "a" * 60 + "!亲"
    for conv_id in ("c-1", "c-2"):
        findings = linter.scan(conversation(("agent", text), conv_id=conv_id))
        assert [f.rule for f in findings] == ["fine"]
    assert list(linter.rule_problems) == ["runaway"]
    assert "timed out" in linter.rule_problems["runaway"]


# -- pattern --------------------------------------------------------------------------------------------------
def test_token_patterns_with_gaps_and_variants():
    linter = pack("pattern.yaml")
    assert texts(agent_says(linter, "你就自己找吧", "pt-self-service")) == ["你就自己找"]
    assert texts(agent_says(linter, "都講過了", "pt-gap")) == ["都講過了"]
    assert texts(agent_says(linter, "我说了算", "pt-gap")) == []


def test_a_listed_phrase_does_not_hide_words_from_token_patterns():
    # pt-glued lists 你自己看, which the segmenter would keep as one word; the token pattern of
    # pt-self-service needs 你 / 自己 / 看 and must still match.
    linter = pack("pattern.yaml")
    assert [f.text for f in agent_says(linter, "你自己看", "pt-glued")] == ["你自己看"]
    assert [f.text for f in agent_says(linter, "你自己看", "pt-self-service")] == ["你自己看"]
    # Run together, the two rules of one category mark the same words once.
    assert len(agent_says(linter, "你自己看")) == 1


def test_a_counted_optional_token_does_not_block_the_prefilter():
    # [{IN: [都, 已经]}, OP "{0,1}"] may be absent: 讲过了 alone still matches.
    assert texts(agent_says(pack("pattern.yaml"), "讲过了", "pt-gap")) == ["讲过了"]


# -- required -------------------------------------------------------------------------------------------------
def test_a_missing_greeting_points_at_the_first_agent_message_without_offsets(context_rules):
    conv = conversation(("customer", "在吗"), ("agent", "请讲"), ("agent", "您好"))
    (f,) = only(context_rules.scan(conv), "c-greeting")
    assert (f.message_index, f.start, f.end, f.text) == (1, None, None, None)


def test_a_missing_closing_points_at_the_last_agent_message(context_rules):
    conv = conversation(("agent", "您好"), ("customer", "好"), ("agent", "好的"), ("customer", "嗯"))
    assert [f.message_index for f in only(context_rules.scan(conv), "c-closing")] == [2]


def test_required_anywhere_with_an_anchor_and_a_minimum(context_rules):
    two = conversation(("agent", "您好"), ("agent", "已为您重置"), ("agent", "再见"))
    assert [f.message_index for f in only(context_rules.scan(two), "c-verify")] == [2]
    one = conversation(("agent", "已为您重置"))
    assert only(context_rules.scan(one), "c-verify") == []


def test_no_agent_message_means_nothing_to_require(context_rules):
    assert context_rules.scan(conversation(("customer", "在吗"))) == []


# -- sequence -------------------------------------------------------------------------------------------------
def test_next_reply_without_empathy_points_at_the_reply(context_rules):
    conv = conversation(("customer", "太慢了"), ("system", "转接"), ("agent", "订单号？"))
    (f,) = only(context_rules.scan(conv), "c-empathy")
    assert (f.message_index, f.start) == (2, None)


def test_two_complaints_before_one_reply_are_one_finding(context_rules):
    conv = conversation(("customer", "太慢了"), ("customer", "我要投诉"), ("agent", "订单号？"))
    assert [f.message_index for f in only(context_rules.scan(conv), "c-empathy")] == [2]


def test_forbidden_words_in_the_next_reply_are_marked(context_rules):
    conv = conversation(("customer", "我要投诉"), ("agent", "随便您"))
    (f,) = only(context_rules.scan(conv), "c-blame")
    assert (f.message_index, f.text, f.message) == (1, "随便", "客户投诉后回复「随便」")


def test_before_points_at_the_trigger_and_once_reports_the_first(context_rules):
    conv = conversation(
        ("customer", "电脑坏了"), ("agent", "我发起远程协助"), ("agent", "再用向日葵试试")
    )
    (f,) = only(context_rules.scan(conv), "c-remote")
    assert (f.message_index, f.text) == (1, "远程协助")


def test_consent_as_the_answer_to_a_question(context_rules):
    asked = conversation(("agent", "我远程帮您看看，您同意吗？"), ("customer", "可以"), ("agent", "开始远程协助"))
    unasked = conversation(("agent", "请稍等"), ("customer", "可以"), ("agent", "开始远程协助"))
    assert only(context_rules.scan(asked), "c-remote") == []
    assert len(only(context_rules.scan(unasked), "c-remote")) == 1


def test_after_require_and_forbid(context_rules):
    promised = conversation(("agent", "稍后回复您"), ("customer", "好"))
    assert [f.message_index for f in only(context_rules.scan(promised), "c-follow-up")] == [0]
    kept = conversation(("agent", "稍后回复您"), ("agent", "查到了"))
    assert only(context_rules.scan(kept), "c-follow-up") == []
    broken = conversation(("agent", "我来处理"), ("agent", "这不归我管"))
    (f,) = only(context_rules.scan(broken), "c-no-repeat")
    assert (f.message_index, f.text) == (0, "我来处理")


# -- jargon ---------------------------------------------------------------------------------------------------
def test_only_the_first_unexplained_use_is_flagged(jargon):
    conv = conversation(("agent", "请重启光猫"), ("customer", "好"), ("agent", "光猫灯亮了吗"))
    assert [(f.message_index, f.text) for f in only(jargon.scan(conv), "j-terms")] == [(0, "光猫")]


def test_explained_earlier_or_said_first_by_the_customer(jargon):
    explained = conversation(("agent", "DNS即域名解析"), ("agent", "请改DNS"))
    assert only(jargon.scan(explained), "j-terms") == []
    customer_first = conversation(("customer", "DNS要改吗"), ("agent", "请改DNS"))
    assert only(jargon.scan(customer_first), "j-terms") == []


def test_a_parenthesis_explains_only_within_the_same_clause(jargon):
    assert agent_says(jargon, "请改DNS（域名解析）", "j-terms") == []
    assert agent_says(jargon, "请改DNS和CDN（两者都是网络服务）", "j-terms") == []
    assert texts(agent_says(jargon, "请改DNS。（下一步）", "j-terms")) == ["DNS"]


def test_a_marker_explains_only_within_the_window(jargon):
    assert agent_says(jargon, "DNS是指域名解析", "j-terms") == []
    far = "请修改DNS设置然后重新启动路由器再试试，也就是说要重启"
    assert texts(agent_says(jargon, far, "j-terms")) == ["DNS"]


def test_terms_inside_urls_and_titles_are_not_judged(jargon):
    assert agent_says(jargon, "请看 https://example.com/dns/cdn", "j-terms") == []
    assert agent_says(jargon, "参考《DNS入门》", "j-terms") == []


def test_strict_jargon_rule_ignores_parentheses_and_the_customer(jargon):
    assert texts(agent_says(jargon, "把MTU（最大传输单元）改小", "j-strict")) == ["MTU"]
    conv = conversation(("customer", "MTU是多少"), ("agent", "MTU改成1400"))
    assert [f.message_index for f in only(jargon.scan(conv), "j-strict")] == [1]


def test_a_term_suggestion_is_offered(jargon):
    assert [f.suggestion for f in agent_says(jargon, "请改DNS", "j-terms")] == ["DNS（域名解析服务）"]


# -- timing ---------------------------------------------------------------------------------------------------
T0 = "2026-11-20T10:00:00+08:00"


def ts(seconds: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(T0) + timedelta(seconds=seconds)).isoformat()


def test_first_reply_later_than_the_limit_states_the_wait(timing):
    conv = conversation(("customer", "在吗", ts(0)), ("agent", "您好", ts(61)))
    (f,) = timing.scan(conv)
    assert (f.message_index, f.start, f.message) == (1, None, "回复慢：等了 61 秒（上限 60 秒）")


def test_the_limit_itself_is_not_late(timing):
    assert timing.scan(conversation(("customer", "在吗", ts(0)), ("agent", "您好", ts(60)))) == []


def test_later_replies_have_their_own_limit_from_the_first_unanswered_message(timing):
    conv = conversation(
        ("customer", "在吗", ts(0)),
        ("agent", "您好", ts(30)),
        ("customer", "退款呢", ts(40)),
        ("customer", "人呢", ts(200)),
        ("agent", "已退", ts(221)),
    )
    (f,) = timing.scan(conv)
    assert (f.message_index, f.message) == (4, "回复慢：等了 3 分 1 秒（上限 3 分钟）")


def test_follow_ups_system_lines_and_missing_times(timing):
    follow_up = conversation(("customer", "在吗", ts(0)), ("agent", "您好", ts(10)), ("agent", "还在吗", ts(3000)))
    assert timing.scan(follow_up) == []
    no_ts = conversation(("customer", "在吗"), ("agent", "您好", ts(999)))
    assert timing.scan(no_ts) == []
    mixed_zones = conversation(("customer", "在吗", "2026-11-20T10:00:00"), ("agent", "您好", ts(999)))
    assert timing.scan(mixed_zones) == []
    assert timing.rule_problems == {}


def test_email_first_reply_within_a_day(timing):
    late = conversation(("customer", "发票", ts(0)), ("agent", "您好", ts(86401)), channel="email")
    assert [f.message for f in timing.scan(late)] == ["回复慢：等了 24 小时（上限 24 小时）"]
    later = conversation(
        ("customer", "发票", ts(0)), ("agent", "您好", ts(60)), ("customer", "还有", ts(100)), ("agent", "好", ts(900000)),
        channel="email",
    )
    assert timing.scan(later) == []


def test_measure_from_the_last_customer_message(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - id: r
            type: timing
            category: slow-response
            message: "{wait}"
            thresholds: {chat: {first: 60}}
            measure_from: last
        """,
    )
    conv = conversation(("customer", "在吗", ts(0)), ("customer", "人呢", ts(100)), ("agent", "您好", ts(130)))
    assert linter.scan(conv) == []
    conv = conversation(("customer", "在吗", ts(0)), ("customer", "人呢", ts(10)), ("agent", "您好", ts(130)))
    assert [f.message for f in linter.scan(conv)] == ["2 分钟"]


def test_the_trigger_placeholder_names_what_set_the_rule_off(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - id: next
            type: sequence
            category: empathy-missing
            message: "客户说「{trigger}」后没有致歉"
            trigger: {role: customer, terms: [太慢了]}
            expect: {role: agent, where: next, require: {terms: [抱歉]}}
          - id: before
            type: sequence
            category: remote-no-consent
            message: "「{trigger}」/「{match}」前没有同意"
            trigger: {role: agent, terms: [远程协助]}
            expect: {role: customer, where: before, require: {terms: [同意]}}
        """,
    )
    conv = conversation(("customer", "太慢了"), ("agent", "我发起远程协助"))
    assert [f.message for f in linter.scan(conv)] == ["客户说「太慢了」后没有致歉", "「远程协助」/「远程协助」前没有同意"]
