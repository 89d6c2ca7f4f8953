"""Chinese labels for the report UI (scorecards, weekly reports), gathered so their tone is reviewed in one place.

Identifiers (category ids, channel names) stay English in data and code; only what a reviewer reads is here.
"""
from __future__ import annotations

CATEGORY_LABELS = {
    "banned-phrase": "服务忌语",
    "slang": "网络用语",
    "emoji": "表情符号",
    "jargon-unexplained": "术语未解释",
    "pii-exposure": "泄露个人信息",
    "credential-request": "索要密码/验证码",
    "remote-no-consent": "未经同意远程协助",
    "empathy-missing": "缺少安抚致歉",
    "greeting-missing": "缺少问候语",
    "closing-missing": "缺少感谢道别",
    "no-resolution-check": "未确认问题解决",
    "slow-response": "响应超时",
}

CHANNEL_LABELS = {"chat": "在线聊天", "email": "邮件", "phone": "电话"}
ROLE_LABELS = {"agent": "客服", "customer": "客户", "system": "系统"}
SEVERITY_LABELS = {"error": "严重", "warning": "警告", "info": "提示"}

PASSED_LABEL = "合格"
FAILED_LABEL = "不合格"
AUTO_FAIL_LABEL = "一票否决"
NOT_SCORED_LABEL = "不适用"


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "")


def verdict_label(passed: bool | None, auto_fail: bool) -> str:
    if passed is None:
        return NOT_SCORED_LABEL
    if auto_fail:
        return AUTO_FAIL_LABEL
    return PASSED_LABEL if passed else FAILED_LABEL
