"""Chinese labels for the report UI (scorecards, weekly reports), gathered so their tone is reviewed in one place.

Identifiers (category ids, channel names) stay English in data and code; only what a reviewer reads is here.
The category labels are kept with the categories themselves, in vocabulary.py.
"""
from __future__ import annotations

from .vocabulary import CATEGORY_LABELS

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
