"""Cutting e-mail bodies to the new text: one test per quote style and signature kind, and HTML to text."""
from __future__ import annotations

import pytest

from qa_linter.readers.email_quotes import cut_reply
from qa_linter.readers.html_text import html_to_text

REPLY = "您好，退款已经处理，请您确认是否到账。\n\n祝您生活愉快！"

QUOTE_STYLES = {
    "qq-foxmail": (
        "------------------ 原始邮件 ------------------\n"
        "发件人: \"李女士\"<li@example.cn>;\n发送时间: 2026年11月20日(星期五) 上午10:02\n"
        "收件人: \"support\"<support@example.com>;\n主题: 退款\n\n亲，退款呢？呵呵"
    ),
    "outlook-chinese": (
        "-----原始邮件-----\n发件人: \"客服中心\" <support@example.com>\n发送时间: 2026年11月23日 15:20\n"
        "收件人: \"陈小明\" <chen@example.cn>\n主题: Re: 退课申请\n\n亲，早干嘛去了"
    ),
    "outlook-header-block-only": (
        "发件人: 王五 <wangwu@example.org>\n发送时间: 2026年11月20日 9:30\n收件人: kefu@example.cn\n主题: 退款\n\n木有收到"
    ),
    "outlook-english-rule": (
        "________________________________\nFrom: Zhang <zhang@example.org>\nSent: Friday, November 20, 2026 10:02 AM\n"
        "To: care@example.com\nSubject: refund\n\nwhere is my refund?? 亲"
    ),
    "outlook-english-original": "-----Original Message-----\nFrom: Zhang <zhang@example.org>\nSent: Friday\n\n亲 hello",
    "apple-mail-chinese": "在 2026年11月20日 10:02，张先生 <zhang@example.com> 写道：\n> 肿么回事？？木有同步",
    "gmail-chinese": "张三 <zhangsan@example.org> 于2026年11月20日周五 10:02写道：\n> 发票开错了，木有人管吗",
    "gmail-english": "On Mon, Nov 23, 2026 at 9:40 AM 陈小明 <chen@example.cn> wrote:\n> 找了半天木有找到，无语。",
    "gmail-english-wrapped": "On Mon, Nov 23, 2026 at 9:40 AM 陈小明\n<chen@example.cn> wrote:\n> 木有找到",
    "netease-wrapped": "在 2026-11-20 10:02:00，\"张三\" <zhang@example.org>\n写道：\n> 亲，木有收到",
    "forwarded": "---------- Forwarded message ---------\nFrom: 张三 <zhang@example.org>\nDate: 2026年11月20日\n\n亲 你好",
    "forwarded-chinese": "-------- 转发邮件信息 --------\n发件人：张三 <zhang@example.org>\n日期：2026年11月20日\n\n亲 你好",
    "bare-quote-lines": "> 亲，你们退款到底还要多久？\n> 呵呵",
}


@pytest.mark.parametrize("style", sorted(QUOTE_STYLES))
def test_quoted_history_is_cut_in_every_client_style(style):
    assert cut_reply(f"{REPLY}\n\n{QUOTE_STYLES[style]}\n") == REPLY


@pytest.mark.parametrize("style", sorted(QUOTE_STYLES))
def test_crlf_bodies_are_cut_the_same(style):
    assert cut_reply(f"{REPLY}\n\n{QUOTE_STYLES[style]}\n".replace("\n", "\r\n")) == REPLY


def test_nested_quotes_after_an_attribution_are_all_cut():
    body = f"{REPLY}\n\n在 2026年11月23日 16:05，陈小明 <chen@example.cn> 写道：\n> 你好\n>\n> -----原始邮件-----\n> 发件人: support\n> > 木有找到"
    assert cut_reply(body) == REPLY


def test_inline_reply_keeps_the_answers_and_drops_the_quoted_questions():
    body = "您好，逐条回复：\n\n> 1. 会员能退吗？亲\n可以，7天内全额退款。\n\n> 2. 发票怎么开？\n在订单里申请。\n"
    assert cut_reply(body) == "您好，逐条回复：\n\n可以，7天内全额退款。\n\n在订单里申请。"


@pytest.mark.parametrize("delimiter", ["-- ", "--", "--\u00a0"])
def test_signature_after_the_standard_delimiter_is_cut(delimiter):
    body = f"{REPLY}\n\n{delimiter}\n示例商城客服中心 小王\n邮箱：support@example.com\n"
    assert cut_reply(body) == REPLY


def test_signature_and_the_quote_after_it_are_both_cut():
    body = f"{REPLY}\n\n-- \n客服中心\n服务热线：400-123-4567\n\n在 2026年11月20日 10:02，张先生 <z@example.com> 写道：\n> 童鞋们"
    assert cut_reply(body) == REPLY


@pytest.mark.parametrize("signoff", ["发自我的iPhone", "发自网易邮箱大师", "来自我的华为手机", "Sent from my iPhone",
                                     "从我的 iPad 发送", "Get Outlook for Android"])
def test_mobile_signoffs_at_the_end_are_cut(signoff):
    assert cut_reply(f"{REPLY}\n\n{signoff}\n") == REPLY


def test_a_signoff_like_sentence_in_the_middle_is_kept():
    body = "来自小米手机的订单需要单独处理\n我们会尽快回复。"
    assert cut_reply(body) == body


def test_a_contact_card_without_delimiter_is_cut():
    body = f"{REPLY}\n\n李娜\n客户关怀部\n电话：400-123-4567\n邮箱：care@example.com\n"
    assert cut_reply(body) == REPLY


def test_a_last_paragraph_of_prose_with_contact_words_is_kept():
    body = f"{REPLY}\n\n如有疑问请拨打热线。\n电话：400-123-4567"
    assert cut_reply(body) == body


def test_a_contact_card_alone_is_not_mistaken_for_a_signature():
    body = "电话：400-123-4567\n邮箱：care@example.com"
    assert cut_reply(body) == body


def test_a_from_line_in_prose_is_not_a_header_block():
    body = "From: 我们的仓库发出，预计明天到。\n请您注意查收。"
    assert cut_reply(body) == body


def test_a_body_without_quote_or_signature_is_unchanged_apart_from_outer_blank_lines():
    assert cut_reply(f"\n\n{REPLY}\n\n\n") == REPLY


# -- HTML ---------------------------------------------------------------------------------------------------------
def test_html_blocks_and_breaks_become_lines():
    html = "<div>李女士，您好！</div><div><br></div><div>退款已处理。</div><p>祝您愉快</p><p>再见</p>"
    assert html_to_text(html) == "李女士，您好！\n\n退款已处理。\n祝您愉快\n\n再见"


def test_html_entities_nbsp_scripts_and_styles():
    html = "<html><head><style>p{}</style><title>x</title></head><body><script>alert(1)</script>" \
           "<div>A&nbsp;&amp;&nbsp;B &lt;c@d.com&gt;</div></body></html>"
    assert html_to_text(html) == "A & B <c@d.com>"


def test_html_blockquote_lines_are_marked_as_quotes_and_then_cut():
    html = "<div>您好，已处理。</div><div class='gmail_quote'>张三 &lt;z@example.org&gt; 于2026年11月20日 10:02写道：<br>" \
           "<blockquote><div>亲，木有人管吗</div><div>yyds</div></blockquote></div>"
    text = html_to_text(html)
    assert "> 亲，木有人管吗" in text and "> yyds" in text
    assert cut_reply(text) == "您好，已处理。"


def test_html_qq_separator_with_nbsp_is_recognised():
    html = "<div>您好</div><div>------------------&nbsp;原始邮件&nbsp;------------------</div><div>亲</div>"
    assert cut_reply(html_to_text(html)) == "您好"


def test_html_pre_keeps_its_line_breaks_and_lists_get_bullets():
    assert html_to_text("<pre>a\n  b</pre><ul><li>one</li><li>two</li></ul>") == "a\n  b\n- one\n- two"
