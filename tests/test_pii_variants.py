"""Personal data written the ways people write it to get past a filter, or just write it: found by the pii rules
and hidden by the masker (both use the patterns of qa_linter/vocabulary.py), without new hits on order numbers,
amounts, dates, hotlines and numbers whose check digits are wrong."""
from __future__ import annotations

import pytest

from qa_linter.masking import Masker

# (text, the words the rule must report, rule)
FOUND = [
    # mobile numbers with dots, spaces or dashes between the digit groups
    ("您的号码是139.1234.5678，请核对。", "139.1234.5678", "pii-mobile"),
    ("您的号码是139 1234 5678，请核对。", "139 1234 5678", "pii-mobile"),
    ("您的号码是1391-234-5678，请核对。", "1391-234-5678", "pii-mobile"),
    ("请拨打 1 3 9 1 2 3 4 5 6 7 8 联系", "1 3 9 1 2 3 4 5 6 7 8", "pii-mobile"),
    # Chinese numerals, full-width and Arabic-Indic digits
    ("号码是一三九一二三四五六七八，您记一下", "一三九一二三四五六七八", "pii-mobile"),
    ("号码是幺三九幺二三四五六七八", "幺三九幺二三四五六七八", "pii-mobile"),
    ("号码是1三9一二3四5六7八", "1三9一二3四5六7八", "pii-mobile"),
    ("号码是壹叁玖壹贰叁肆伍陆柒捌", "壹叁玖壹贰叁肆伍陆柒捌", "pii-mobile"),
    ("号码是１３９１２３４５６７８", "１３９１２３４５６７８", "pii-mobile"),
    ("号码是١٣٩١٢٣٤٥٦٧٨", "١٣٩١٢٣٤٥٦٧٨", "pii-mobile"),
    ("号码是۱۳۹۱۲۳۴۵۶۷۸", "۱۳۹۱۲۳۴۵۶۷۸", "pii-mobile"),
    # 0086 glued to the number, and +86 with groups
    ("国际号码008613912345678", "008613912345678", "pii-mobile"),
    ("请拨打 +86 139 1234 5678", "+86 139 1234 5678", "pii-mobile"),
    # read out in parts, with words between
    ("您的手机前三位177，中间4520，尾号0049，对吗？", "前三位177，中间4520，尾号0049", "pii-mobile"),
    ("手机号前三位是177，后八位45200049", "前三位是177，后八位45200049", "pii-mobile"),
    ("手机前七位1774520，尾号0049", "前七位1774520，尾号0049", "pii-mobile"),
    # the 15-digit resident ID of before 1999
    ("您的老身份证号110105491231002已登记", "110105491231002", "pii-resident-id"),
    # an 18-character ID in groups, as read out or copied from the card (the spec: still a number)
    ("机主身份证 320102 19750618 3217，已核实", "320102 19750618 3217", "pii-resident-id"),
    ("身份证号：440306-1990-0101-4322", "440306-1990-0101-4322", "pii-resident-id"),
    ("身份证 510104.1982.1125.7736 已登记", "510104.1982.1125.7736", "pii-resident-id"),
    # e-mail addresses with spaces around @, written (at), [at], ＠, or at / 艾特 before a mail service
    ("邮箱 li.ming @ example.com 已绑定", "li.ming @ example.com", "pii-email"),
    ("邮箱 li.ming(at)example.com 已绑定", "li.ming(at)example.com", "pii-email"),
    ("邮箱 li.ming [at] example.com 已绑定", "li.ming [at] example.com", "pii-email"),
    ("邮箱li.ming＠example.com已绑定", "li.ming＠example.com", "pii-email"),
    ("已发到 zhangsan at qq.com 了", "zhangsan at qq.com", "pii-email"),
    ("已发到zhangsan艾特163.com了", "zhangsan艾特163.com", "pii-email"),
]

CLEAN = [
    "订单号 20261123666012 已发货",  # an order number
    "订单号 202611230001234 已发货",  # 15 digits: no province code
    "运单号 110105491331002",  # 15 digits with a province code, but no real date (month 13)
    "金额 1399.00 元，已退回",  # an amount
    "共 13,912,345,678 元",  # thousands separators
    "日期 2024-01-02 10:30 前处理",  # a date and a time
    "客服热线 400-123-4567，或拨打 95588",  # hotlines
    "号码 12345678901 有误",  # 11 digits, but no mobile prefix
    "订单177件，金额4520元，编号0049",  # three numbers between words, but no part of a phone number named
    "第一二三四五六七八九十条",  # counting
    "版本 1.3.9.1 已发布",
    "卡号 139-1234-5678-90 错了",  # a longer number with dashes is not a mobile number inside it
    "身份证号 11010519491231002Y",  # wrong check character
    "工单号 320102 19750618 3218 已受理",  # grouped like an ID, but the check character is wrong
    "电话 0571 8888 1234 5678 转 2",  # groups of digits that are no ID
    "请 look at example.com 的说明",  # English "at": not an address
    "price @ 5.00 each",
    "请发邮件至 support (at) example.com",  # a role mailbox
    "如有疑问可发 service@example.com",
    "号码13912345678一直打不通",  # found: 一直 after the digits does not hide it (checked below)
]


@pytest.fixture(scope="module")
def masker():
    return Masker()


def pii_findings(linter, text):
    return [(f.rule, f.text) for f in linter.scan({"id": "p", "messages": [{"role": "agent", "text": text}]})
            if f.category == "pii-exposure"]


@pytest.mark.parametrize(("text", "words", "rule"), FOUND, ids=[w for _, w, _ in FOUND])
def test_a_variant_is_found_where_it_was_written(builtin_linter, text, words, rule):
    assert pii_findings(builtin_linter, text) == [(rule, words)]


@pytest.mark.parametrize(("text", "words", "rule"), FOUND, ids=[w for _, w, _ in FOUND])
def test_a_variant_is_masked(masker, text, words, rule):
    shown = masker.mask(text)
    assert shown != text and words not in shown
    assert shown.replace(masker.mask(words), words) == text  # only the personal data changed


@pytest.mark.parametrize("text", CLEAN)
def test_no_new_hits_on_numbers_that_are_not_personal_data(builtin_linter, masker, text):
    if text.startswith("号码13912345678一直"):
        assert pii_findings(builtin_linter, text) == [("pii-mobile", "13912345678")]
        return
    assert pii_findings(builtin_linter, text) == []
    assert masker.mask(text) == text


@pytest.mark.parametrize(("text", "shown"), [
    ("号码一三九一二三四五六七八好", "号码一三九****五六七八好"),
    ("您的手机前三位177，中间4520，尾号0049", "您的手机前三位177，中间****，尾号0049"),
    ("国际号码008613912345678", "国际号码0086139****5678"),
    ("号码139.1234.5678", "号码139.****.5678"),
    ("号码١٣٩١٢٣٤٥٦٧٨", "号码١٣٩****٥٦٧٨"),
    ("老身份证110105491231002", "老身份证1101*******1002"),
    ("身份证 320102 19750618 3217", "身份证 3201** ******** 3217"),
    ("邮箱 li.ming (at) example.com", "邮箱 l*** (at) example.com"),
    ("已发到 zhangsan at qq.com 了", "已发到 z*** at qq.com 了"),
])
def test_masked_the_way_the_plain_forms_are(masker, text, shown):
    assert masker.mask(text) == shown


def test_the_allowlist_applies_to_every_way_of_writing_a_value():
    masker = Masker(["13800138000", "ceo@example.com"])
    assert masker.mask("热线 138.0013.8000 和 一三八〇〇一三八〇〇〇") == "热线 138.0013.8000 和 一三八〇〇一三八〇〇〇"
    assert masker.mask("写信给 ceo (at) example.com") == "写信给 ceo (at) example.com"


def test_the_stores_transcript_copies_replace_every_variant_by_a_surrogate(builtin_linter):
    """The results store keeps transcripts for `qa-lint replay` with each PII value replaced by a surrogate of the
    same form (store/transcripts.py): the variants must be replaced too, mask alike and trigger the same rules."""
    from qa_linter.canonical import conversation_from_dict
    from qa_linter.store import transcripts as codec

    masker = Masker()
    conv = conversation_from_dict({"id": "v", "messages": [{"role": "agent", "text": text} for text, _, _ in FOUND]})
    body, fallbacks = codec.encode(conv, masker)
    copy = codec.decode(conv.id, body)
    assert fallbacks == 0
    for (text, words, rule), stored in zip(FOUND, copy.messages):
        assert words not in stored.text, words
        assert masker.prepare(stored.text).same_length() == masker.prepare(text).same_length()
    places = lambda c: [(f.rule, f.message_index, f.start, f.end) for f in builtin_linter.scan(c) if f.category == "pii-exposure"]
    assert places(copy) == places(conv) and len(places(conv)) == len(FOUND)
