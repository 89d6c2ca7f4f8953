"""`timing`: response-time thresholds per channel, from message timestamps.

An agent message answers the customer messages sent since the previous agent message; one with none
before it (a follow-up) is not a reply and is not timed. The wait is measured from the first unanswered
customer message (the customer has been waiting since then) unless `measure_from: last`. Conversations
without timestamps on the messages involved are skipped, not passed.
"""
from __future__ import annotations

from ..model import CHANNELS
from .base import Rule, line_of

_DEFAULTS = {"chat": {"first": 60, "later": 180}, "email": {"first": 86400}}


class TimingRule(Rule):
    TYPE = "timing"
    FIELDS = {
        "thresholds": "per channel: {first: seconds, later: seconds}; a missing key means not timed",
        "measure_from": "first (default: the first unanswered customer message) or last",
    }

    def compile(self, spec, ctx):
        thresholds = spec.get("thresholds", _DEFAULTS)
        self.thresholds: dict[str, dict[str, float]] = {}
        if not isinstance(thresholds, dict):
            ctx.error("thresholds must map channels to {first: s, later: s}", line_of(spec, "thresholds"))
            thresholds = {}
        for channel, limits in thresholds.items():
            if channel not in CHANNELS:
                ctx.error(f"thresholds: unknown channel {channel!r}; use {', '.join(CHANNELS)}", line_of(thresholds, channel))
                continue
            if not isinstance(limits, dict) or not set(limits) <= {"first", "later"}:
                ctx.error(f"thresholds.{channel} must be {{first: seconds, later: seconds}}", line_of(thresholds, channel))
                continue
            try:
                self.thresholds[channel] = {k: float(v) for k, v in limits.items()}
            except (TypeError, ValueError):
                ctx.error(f"thresholds.{channel} values must be numbers of seconds", line_of(thresholds, channel))
        self.measure_from = spec.get("measure_from", "first")
        if self.measure_from not in ("first", "last"):
            ctx.error("measure_from must be first or last", line_of(spec, "measure_from"))

    def applies_to(self, conv):
        return super().applies_to(conv) and conv.channel in self.thresholds

    def replies(self, conv):
        """(agent view, customer view it answers, is first reply) for every agent reply."""
        waiting = []
        first_done = False
        for view in conv.messages:
            if view.role == "customer":
                waiting.append(view)
            elif view.role == "agent":
                if waiting:
                    asked = waiting[0] if self.measure_from == "first" else waiting[-1]
                    yield view, asked, not first_done
                    first_done = True
                    waiting = []

    def check(self, conv):
        limits = self.thresholds.get(conv.channel, {})
        for reply, asked, first in self.replies(conv):
            limit = limits.get("first" if first else "later")
            if limit is None:
                continue
            if reply.message.ts is None or asked.message.ts is None:
                continue
            if (reply.message.ts.tzinfo is None) != (asked.message.ts.tzinfo is None):
                continue  # one time has a UTC offset and the other not: the wait is unknown, so not timed
            waited = (reply.message.ts - asked.message.ts).total_seconds()
            if waited > limit:
                finding = self.finding(conv, reply)
                yield _with_wait(finding, waited, limit)


def _with_wait(finding, waited: float, limit: float):
    from dataclasses import replace

    return replace(finding, message=finding.message.replace("{wait}", _human(waited)).replace("{limit}", _human(limit)))


def _human(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} 秒"
    if seconds < 7200:
        return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds % 60 else f"{seconds // 60} 分钟"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} 小时 {rest // 60} 分" if rest >= 60 else f"{hours} 小时"
