"""E-mail: MIME decoding, quote cutting on real client layouts, threads, roles, and the problems each gets."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa_linter.errors import ConfigError
from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import email_mime, read_paths
from qa_linter.readers.options import ReaderOptions

DATA = Path(__file__).parent / "data"
CORPUS_FORMATS = DATA / "corpus" / "formats"
FORMATS = DATA / "formats"
CST = timezone(timedelta(hours=8))
SUPPORT = ReaderOptions.from_config({"support_addresses": ["support@example.com"]})


def read(*paths: Path, options: ReaderOptions = SUPPORT) -> list:
    return list(read_paths([str(p) for p in paths], options=options))


def only_conversation(items) -> Conversation:
    convs = [c for c in items if isinstance(c, Conversation)]
    assert len(convs) == 1 and not [p for p in items if isinstance(p, InputProblem)], items
    return convs[0]


# Phrases that stand only in the quoted customer mail or the signature of each corpus file.
QUOTED_ONLY = {
    "email-qqmail-quote-multipart.eml": ["亲", "yyds", "呵呵", "不归我管", "我不知道", "你自己看", "[微笑]", "13812345678",
                                         "li.nvshi@example.cn", "support@example.com", "原始邮件", "400-123-4567"],
    "email-applemail-quote.eml": ["肿么", "木有", "童鞋", "爱用不用", "😡", "zhang.xs@example.com", "写道", "发自我的iPhone",
                                  "刘工"],
}


def test_qqmail_multipart_reply_keeps_only_the_new_text():
    conv = only_conversation(read(CORPUS_FORMATS / "email-qqmail-quote-multipart.eml"))
    assert conv.id == "tencent_3B7E21A9C4D5F60718293A4B@example.cn"  # the customer's mail the reply answers
    assert conv.channel == "email" and conv.meta["subject"] == "耳机退款还要等多久？"
    (message,) = conv.messages
    assert message.role == "agent" and message.ts == datetime(2026, 11, 20, 14, 30, 5, tzinfo=CST)
    assert message.text.startswith("李女士，您好！") and message.text.endswith("感谢您的耐心等待，祝您生活愉快！")
    for phrase in QUOTED_ONLY["email-qqmail-quote-multipart.eml"]:
        assert phrase not in message.text, phrase


def test_applemail_quoted_printable_reply_keeps_only_the_new_text():
    conv = only_conversation(read(CORPUS_FORMATS / "email-applemail-quote.eml"))
    assert conv.id == "3F2C9A11-77B4-4E0A-9C1D-2B6E8F0A1C55@example.com"
    assert conv.meta["subject"] == "日历同步不了，急！"
    (message,) = conv.messages
    assert message.role == "agent" and message.ts == datetime(2026, 11, 20, 11, 15, 40, tzinfo=CST)
    assert message.text.startswith("张先生，您好：") and message.text.endswith("祝您工作顺利！")
    for phrase in QUOTED_ONLY["email-applemail-quote.eml"]:
        assert phrase not in message.text, phrase


def test_mbox_thread_in_date_order_with_roles_and_each_quote_style_cut():
    conv = only_conversation(read(CORPUS_FORMATS / "thread-refund.mbox"))
    assert conv.id == "20261123094012.5521.chenxm@example.cn"
    assert conv.meta == {"subject": "退课申请", "message_ids": [
        "20261123094012.5521.chenxm@example.cn", "20261123152030.a9e4.support@example.com",
        "000001db3d8e$5a1c2b30$0e548190$@example.cn", "20261124103000.c71f.support@example.com",
    ]}
    assert [(m.role, m.ts) for m in conv.messages] == [
        ("customer", datetime(2026, 11, 23, 9, 40, 12, tzinfo=CST)),
        ("agent", datetime(2026, 11, 23, 15, 20, 30, tzinfo=CST)),
        ("customer", datetime(2026, 11, 23, 16, 5, 48, tzinfo=CST)),
        ("agent", datetime(2026, 11, 24, 10, 30, 0, tzinfo=CST)),
    ]
    first, second, third, fourth = (m.text for m in conv.messages)
    assert "木有" in first and "无语" in first  # the customer's own words stay
    assert third.startswith("你好，\n\n退款能不能退到微信零钱？") and third.endswith("陈小明")  # GB2312 body decoded
    for agent_text in (second, fourth):
        for phrase in ("木有", "无语", "chenxm@example.cn", "support@example.com", "wrote", "写道", "400-123-4567"):
            assert phrase not in agent_text, phrase
    assert "原始邮件" not in third and "感谢您的来信" not in third  # Outlook's -----原始邮件----- block is gone


def test_html_only_gbk_outlook_reply():
    options = ReaderOptions.from_config({"support_addresses": ["@shop.example.cn"]})
    conv = only_conversation(read(FORMATS / "email" / "outlook-html-only-gbk.eml", options=options))
    assert conv.meta["subject"] == "退款" and conv.id == "wangwu-0001@example.org"
    assert conv.messages[0].role == "agent"
    assert conv.messages[0].text == "王先生，您好：\n\n非常抱歉让您久等了。您的退款已经处理，请您确认是否到账。\n\n感谢您的耐心，祝您生活愉快！"


def test_gmail_html_with_attachment_and_blockquote():
    conv = only_conversation(read(FORMATS / "email" / "gmail-html-attachment.eml"))
    assert conv.messages[0].text == "张三您好，\n\n发票已经重新开具，请您查收附件并确认信息是否正确。\n\n感谢您的耐心等待！"
    assert conv.meta["subject"] == "发票抬头错误"


def test_english_outlook_with_contact_card_and_signoff():
    options = ReaderOptions.from_config({"support_addresses": "care@example.com"})
    conv = only_conversation(read(FORMATS / "email" / "outlook-english-signature.eml", options=options))
    assert conv.messages[0].text == "Hi Zhang,\n\nYour refund has been processed \u2013 please confirm you received it.\n\nBest regards"
    assert conv.messages[0].role == "agent"


def test_inline_reply_keeps_the_answers():
    conv = only_conversation(read(FORMATS / "email" / "inline-reply.eml"))
    assert conv.messages[0].text == "您好，逐条回复如下：\n\n可以，7天内全额退款。\n\n在「我的-订单」里申请即可。\n\n祝您生活愉快！"


def test_a_thread_spread_over_files_read_out_of_order_with_a_reply_that_lost_its_headers():
    items = read(FORMATS / "thread-split")
    convs = {c.id: c for c in items if isinstance(c, Conversation)}
    assert set(convs) == {"q-1@example.org", "other-1@example.org"}
    thread = convs["q-1@example.org"]
    assert [(m.role, m.text) for m in thread.messages] == [
        ("customer", "你好，上个月的发票木有收到。"),
        ("agent", "陈先生您好，发票已补开，请您查收。"),
        ("customer", "收到了，谢谢。"),  # "回复：发票问题" without In-Reply-To joins by subject and customer
    ]
    assert [m.ts.hour for m in thread.messages] == [9, 10, 11]
    assert thread.source.endswith("b-question.eml")
    other = convs["other-1@example.org"]  # same subject, another customer: another thread
    assert [m.text for m in other.messages] == ["我的发票也没收到。"]


def test_mbox_with_two_threads_escaped_from_and_a_message_without_id():
    items = read(FORMATS / "email" / "two-threads.mbox", options=ReaderOptions())
    convs = [c for c in items if isinstance(c, Conversation)]
    assert [c.id for c in convs] == ["alice-1@example.org", "two-threads.mbox:13"]
    alice, bob = convs
    assert alice.messages[0].text == "一直提示密码错误。\nFrom the app and the website alike."  # >From unescaped
    assert [m.role for m in alice.messages] == ["customer", "agent"]  # help@ is a support mailbox by default
    assert alice.messages[1].text == "您好，已为您重置密码，请您再试一下是否可以登录。"
    assert bob.source.endswith("two-threads.mbox:13") and bob.meta["subject"] == "改地址"


def test_the_default_support_mailboxes_apply_only_without_configuration():
    configured = ReaderOptions.from_config({"support_addresses": ["@example.com"]})
    assert configured.is_support_address("anyone@example.com")
    assert not configured.is_support_address("help@other.example")
    default = ReaderOptions()
    assert default.is_support_address("Help@Other.Example") and default.is_support_address("kefu@shop.cn")
    assert not default.is_support_address("zhang@example.org")


def test_a_missing_date_is_a_clear_problem_and_the_rest_is_read():
    items = read(FORMATS / "email" / "missing-date.eml", FORMATS / "email" / "inline-reply.eml")
    (problem,) = [p for p in items if isinstance(p, InputProblem)]
    assert problem.source.endswith("missing-date.eml")
    assert problem.reason == ("e-mail <no-date-1@example.com>: no Date: header, so it cannot be placed in its thread; "
                              "export the mail with its Date")
    assert len([c for c in items if isinstance(c, Conversation)]) == 1


def test_an_unparsable_date_is_a_clear_problem():
    raw = b"From: a@example.org\nTo: support@example.com\nDate: yesterday-ish\nMessage-ID: <d@x>\n\nhello\n"
    (problem,) = [p for p in email_mime.read(io.BytesIO(raw), "d.eml", SUPPORT) if isinstance(p, InputProblem)][:1]
    assert "the Date: header 'yesterday-ish' is not a date" in problem.reason


def test_a_body_in_another_charset_than_declared_is_a_clear_problem():
    (problem,) = read(FORMATS / "email" / "wrong-charset.eml")
    assert "the body is not valid utf-8" in problem.reason and "charset is probably wrong" in problem.reason


def test_no_recognised_agent_is_explained():
    items = read(FORMATS / "thread-split" / "b-question.eml", options=ReaderOptions.from_config({"support_addresses": ["@nowhere.example"]}))
    problems = [p for p in items if isinstance(p, InputProblem)]
    assert len(problems) == 1 and "no sender matches support_addresses (@nowhere.example)" in problems[0].reason
    assert [c.messages[0].role for c in items if isinstance(c, Conversation)] == ["customer"]


def test_without_configuration_the_explanation_names_the_setting():
    customer_only = b"From: a@example.org\nTo: b@example.org\nDate: Mon, 23 Nov 2026 09:00:00 +0800\n\nhello\n"
    items = list(email_mime.read(io.BytesIO(customer_only), "c.eml"))
    assert "set e.g. support_addresses:" in items[0].reason and isinstance(items[1], Conversation)


def test_not_an_email_and_a_mail_without_sender():
    assert "no headers found" in next(email_mime.read(io.BytesIO(b"just some text\n"), "x.eml")).reason
    raw = b"To: b@example.org\nDate: Mon, 23 Nov 2026 09:00:00 +0800\n\nhello\n"
    assert "no sender address in From:" in next(email_mime.read(io.BytesIO(raw), "y.eml")).reason


def test_the_same_mail_read_twice_is_one_message():
    path = FORMATS / "thread-split" / "b-question.eml"
    convs = [c for c in read(path, path) if isinstance(c, Conversation)]
    assert len(convs) == 1 and len(convs[0].messages) == 1


def test_support_addresses_must_be_addresses():
    with pytest.raises(ConfigError, match="support_addresses"):
        ReaderOptions.from_config({"support_addresses": ["not an address"]})
    with pytest.raises(ConfigError, match="support_addresses"):
        ReaderOptions.from_config({"support_addresses": {"a": 1}})


def test_subjects_are_normalised_across_reply_prefixes():
    assert email_mime.normal_subject("答复: Re: RE：回复： 退课申请") == "退课申请"
    assert email_mime.normal_subject("Re[2]: Fwd: 转发:  发票  问题") == "发票 问题"


# -- agent, started_at and times from the mail headers (issue 19 item 9) -----------------------------------------
AGENTS = ReaderOptions.from_config({
    "support_addresses": ["@example.com"],
    "agents": {"mailboxes": {"zhang.wei@example.com": {"name": "zhang.wei", "team": "broadband-email"},
                             "LI.NA@example.com": "li.na"}},
})


def test_agent_team_started_at_and_message_times_come_from_from_and_date():
    conv = only_conversation(read(FORMATS / "email" / "two-agents.mbox", options=AGENTS))
    # the first agent reply's sender (From: Zhang.Wei@…, matched without case) took the case
    assert (conv.agent, conv.team) == ("zhang.wei", "broadband-email")
    assert conv.meta["agents"] == ["zhang.wei", "li.na"]
    assert conv.started_at == datetime(2026, 11, 23, 9, 0, tzinfo=CST)  # the first mail's Date
    assert [m.ts for m in conv.messages] == [datetime(2026, 11, 23, 9, 0, tzinfo=CST),
                                            datetime(2026, 11, 24, 11, 30, tzinfo=CST),
                                            datetime(2026, 11, 24, 12, 0, tzinfo=CST),
                                            datetime(2026, 11, 24, 14, 0, tzinfo=CST)]
    assert [m.role for m in conv.messages] == ["customer", "agent", "customer", "agent"]


def test_an_agent_mailbox_is_the_support_side_without_support_addresses():
    options = ReaderOptions.from_config({"agents": {"mailboxes": {"zhang.wei@example.com": "zhang.wei",
                                                                  "li.na@example.com": "li.na"}}})
    conv = only_conversation(read(FORMATS / "email" / "two-agents.mbox", options=options))
    assert [m.role for m in conv.messages] == ["customer", "agent", "customer", "agent"]
    assert (conv.agent, conv.team) == ("zhang.wei", None)


def test_an_unlisted_agent_mailbox_is_the_agent_and_the_real_corpus_thread_is_timed():
    conv = only_conversation(read(CORPUS_FORMATS / "thread-refund.mbox"))
    assert conv.agent == "support@example.com" and "agents" not in conv.meta
    assert conv.started_at == datetime(2026, 11, 23, 9, 40, 12, tzinfo=CST)
    assert conv.messages[1].ts == datetime(2026, 11, 23, 15, 20, 30, tzinfo=CST)


@pytest.mark.parametrize("agents, fragment", [
    ("zhang.wei", "agents: must be a mapping"),
    ({"mailbox": {}}, "unknown setting 'mailbox'"),
    ({"mailboxes": ["a@example.com"]}, "agents.mailboxes: must map"),
    ({"mailboxes": {"@example.com": "x"}}, "is not an e-mail address"),
    ({"mailboxes": {"a@example.com": ""}}, "agents.mailboxes.a@example.com: the agent's name"),
    ({"mailboxes": {"a@example.com": {"team": "t"}}}, "give {name: AGENT, team: TEAM}"),
    ({"mailboxes": {"a@example.com": {"name": "a", "team": 3}}}, "team must be a name"),
])
def test_agents_setting_mistakes_are_clear(agents, fragment):
    with pytest.raises(ConfigError, match=None) as caught:
        ReaderOptions.from_config({"agents": agents})
    assert fragment in str(caught.value)


def test_email_slow_response_and_agent_reach_the_scan_output(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from qa_linter.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "qa-linter.yaml").write_text(
        "support_addresses: ['@example.com']\n"
        "agents:\n  mailboxes:\n    zhang.wei@example.com: {name: zhang.wei, team: broadband-email}\n"
        "    li.na@example.com: li.na\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(FORMATS / "email" / "two-agents.mbox"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (conv,) = doc["conversations"]
    assert (conv["agent"], conv["team"], conv["started_at"]) == ("zhang.wei", "broadband-email", "2026-11-23T09:00:00+08:00")
    # 26.5 hours to the first reply: over the e-mail threshold (24 h), judged only because each mail has its time
    assert ("slow-response", 1) in {(f["rule"], f["message_index"]) for f in doc["findings"]}

    bad = tmp_path / "bad.yaml"
    bad.write_text("agents:\n  mailboxes:\n    '@example.com': team-a\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", "--config", str(bad), str(FORMATS / "email" / "two-agents.mbox")])
    assert result.exit_code == 2 and "is not an e-mail address" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["support", "kefu@", "@", "kefu@example", "@example", "a@@example.cn", "mail example.cn"])
def test_an_address_or_domain_that_matches_no_mail_is_a_configuration_error(value):
    for key in ("support_addresses", "own_domains"):
        with pytest.raises(ConfigError, match=f"{key}: {value!r} is not an address or @domain"):
            ReaderOptions.from_config({key: [value]})


def test_addresses_and_domains_are_read_as_written():
    options = ReaderOptions.from_config({"support_addresses": ["Kefu@Example.cn", "@hz.example.cn", "example.org",
                                                               "客服@例子.中国"]})
    assert options.support_addresses == ("kefu@example.cn", "@hz.example.cn", "@example.org", "客服@例子.中国")
