"""Clean replies the attack battery saw flagged: polite conditionals, an apology that says what cannot be done yet,
a question to the customer, the customer's own words quoted back, a price of 666 元. Run with the built-in pack:
none of them may report a phrase, slang, emoji or credential finding.
"""
from __future__ import annotations

import pytest

CONTENT_CATEGORIES = {"banned-phrase", "slang", "emoji", "credential-request", "pii-exposure"}

CLEAN_REPLIES = [
    # 不清楚 in a polite conditional is not "I don't know"
    "如有不清楚的地方，欢迎随时联系我们。",
    "如有不清楚的地方，您可以随时再问我。",
    # 暂时没办法 in an apology that says what happens next is not a refusal
    "非常抱歉，暂时没办法为您查询到物流信息，我们已联系快递公司核实，稍后给您回复。",
    "实在抱歉，系统维护中，暂时没办法为您查询，预计一小时后恢复，恢复后第一时间通知您。",
    # a question to the customer: not "I don't know", not a request for the password itself
    "请问您知道路由器的管理员密码吗？如果不知道，可以按复位键恢复出厂设置。",
    "请问您知道当时是哪个页面报的错吗？",
    # the customer's own words, quoted back
    "您说“你们客服什么都不知道”，非常抱歉给您带来这样的感受，我这就帮您处理。",
    "您刚才提到「这个问题不归我管」是之前客服说的吗？非常抱歉，这个问题我来负责跟进。",
    # 666 in a price or a number, not the slang
    "这款套餐的价格是666元一年，包含200M宽带。",
    "本次充值金额为666元，已到账。",
    "订单号后三位是666，请核对。",
]


@pytest.mark.parametrize("reply", CLEAN_REPLIES)
def test_a_clean_reply_reports_nothing_about_its_wording(builtin_linter, reply):
    conversation = {"id": "clean", "messages": [{"role": "customer", "text": "你好，我想问一下"},
                                                 {"role": "agent", "text": reply}]}
    findings = [(f.rule, f.text) for f in builtin_linter.scan(conversation) if f.category in CONTENT_CATEGORIES]
    assert findings == []
