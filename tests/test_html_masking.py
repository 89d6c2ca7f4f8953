"""masking.py: what counts as PII, how it is hidden, and masking pieces of a message cut at finding offsets."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from qa_linter.masking import Masker


@pytest.fixture(scope="module")
def masker():
    return Masker()


@pytest.mark.parametrize("text, shown", [
    ("查到了，您的号码是13912345678。", "查到了，您的号码是139****5678。"),
    ("快递员会联系您的手机 137 0000 1111 确认", "快递员会联系您的手机 137 **** 1111 确认"),
    ("请拨打 +86 139-1234-5678", "请拨打 +86 139-****-5678"),
    ("１３９１２３４５６７８", "１３９****５６７８"),  # full-width digits
    ("139\u200b1234 5678", "139\u200b**** 5678"),  # a zero-width space does not hide a number
    ("机主身份证号11010519491231002X，套餐", "机主身份证号1101**********002X，套餐"),
    ("卡 6217001234567890122。", "卡 6217***********0122。"),
    ("卡号是 6222 0212 3456 7890 128", "卡号是 6222 **** **** ***0 128"),
    ("已发送至 li.ming@example.com，请查收", "已发送至 l***@example.com，请查收"),
    ("邮箱 x@y.cn", "邮箱 ***@y.cn"),
])
def test_pii_is_masked(masker, text, shown):
    assert masker.mask(text) == shown


@pytest.mark.parametrize("text", [
    "已查到号码 138****5678，机主为张**。",
    "客服热线 400-123-4567，或拨打 95588",
    "订单号 20261123666012",
    "订单 202611198800012345 的收件人",  # 18 digits, wrong ID check digit, not Luhn-valid
    "退货运单号 4300138123456781",  # Luhn-invalid 16 digits
    "如有问题请发邮件至 support@example.com",
    "身份证号 1101**********002X",
])
def test_not_pii_is_left_alone(masker, text):
    assert masker.mask(text) == text


def test_allowlist_and_switching_off():
    allow = Masker(["139-1234-5678", "@example.cn"])
    assert allow.mask("13912345678 与 a@example.cn 与 b@example.com") == "13912345678 与 a@example.cn 与 ***@example.com"
    assert Masker(enabled=False).mask("13912345678") == "13912345678"


def test_pieces_cut_inside_a_number_are_masked_on_both_sides(masker):
    text = "号码13912345678好"
    masked = masker.prepare(text)
    assert masked.slice(0, 6) + masked.slice(6, 13) + masked.slice(13, len(text)) == masked.text == "号码139****5678好"
    assert masked.slice(6, 13) == "***5678"
    assert masked.touches_pii(0, 3) and not masked.touches_pii(13, 14)


def test_excerpt_is_masked_and_one_line(masker):
    text = "您好\n前面的话。您的号码是13912345678，请核对。\n后面"
    start = text.index("139")
    assert masker.excerpt(text, start, start + 11, 6) == "…。您的号码是139****5678，请核对。…"
    assert masker.excerpt("短\n消息 13912345678", None, None) == "短 消息 139****5678"


@given(st.text(alphabet="0123456789 -+@.abc您好号", max_size=60), st.lists(st.integers(0, 60), max_size=6))
def test_masking_pieces_equals_masking_the_whole(text, cuts):
    masker = Masker()
    masked = masker.prepare(text)
    points = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    assert "".join(masked.slice(a, b) for a, b in zip(points, points[1:])) == masked.text == masker.mask(text)
