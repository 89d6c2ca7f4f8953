"""`timing`: response-time thresholds per channel, from message timestamps.

An agent message answers the customer messages sent since the previous agent message; one with none
before it (a follow-up) is not a reply and is not timed. The wait is measured from the first unanswered
customer message (the customer has been waiting since then) unless `measure_from: last`. Conversations
without timestamps on the messages involved are skipped, not passed.
"""
from __future__ import annotations

from dataclasses import replace

from ..vocabulary import CHANNELS, format_duration
from ..yamlfile import line_of
from .base import Rule
from .fields import Field

_DEFAULTS = {"chat": {"first": 60, "later": 180}, "email": {"first": 86400}}


class TimingRule(Rule):
    """Response-time limits per channel, from the message timestamps (`ts`).

    An agent message *answers* the customer messages sent since the previous agent message; the first such reply
    is timed against `first`, the others against `later`. A reply is late when the wait is **strictly greater**
    than the limit. An agent message with no customer message before it (a follow-up) is not a reply and is not
    timed; system lines are ignored. A reply whose time, or the time of the message it answers, is missing is
    skipped, not passed; so is a pair where one time has a UTC offset and the other has none. The finding points
    at the late reply, without offsets; `{wait}` and `{limit}` in its message are said in words
    (`回复慢：等了 61 秒（上限 60 秒）`)."""

    TYPE = "timing"
    FIELDS = (
        Field("thresholds", "per channel: {first: seconds, later: seconds}", "per channel (`chat`, `email`, "
              "`phone`); a missing key or channel is not timed",
              default="{chat: {first: 60, later: 180}, email: {first: 86400}}",
              example="{chat: {first: 30, later: 120}, email: {first: 14400}}"),
        Field("measure_from", "first | last", "`first`: the wait runs from the first customer message the reply "
              "answers; `last`: from the last one", default="first", example="last"),
    )
    EXAMPLES = """\
  - id: tm-slow
    type: timing
    category: slow-response
    message: "回复慢：等了 {wait}（上限 {limit}）"
    thresholds:
      chat: {first: 60, later: 180}    # seconds; a reply is late when the wait is strictly greater
      email: {first: 86400}            # e-mail: only the first reply is timed
    examples:
      flag:
        - channel: chat
          messages:
            - {role: customer, text: 在吗, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T10:01:01+08:00"}
        - channel: chat
          messages:
            - {role: customer, text: 在吗, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T10:00:30+08:00"}
            - {role: customer, text: 退款呢, ts: "2026-11-20T10:01:00+08:00"}
            - {role: agent, text: 已退, ts: "2026-11-20T10:04:01+08:00"}
        - channel: email
          messages:
            - {role: customer, text: 发票问题, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-21T10:00:01+08:00"}
      pass:
        - channel: chat
          messages:
            - {role: customer, text: 在吗, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T10:01:00+08:00"}     # exactly the limit
        - channel: chat
          messages:                                                        # no timestamps: skipped
            - {role: customer, text: 在吗}
            - {role: agent, text: 您好}
        - channel: chat
          messages:                                                        # a follow-up is not a reply
            - {role: customer, text: 在吗, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T10:00:20+08:00"}
            - {role: agent, text: 还在吗, ts: "2026-11-20T10:30:00+08:00"}
        - channel: email
          messages:                                                        # later e-mail replies are not timed
            - {role: customer, text: 发票问题, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T11:00:00+08:00"}
            - {role: customer, text: 还有一个问题, ts: "2026-11-21T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-25T10:00:00+08:00"}
        - channel: phone
          messages:                                                        # no threshold for phone
            - {role: customer, text: 喂, ts: "2026-11-20T10:00:00+08:00"}
            - {role: agent, text: 您好, ts: "2026-11-20T11:00:00+08:00"}
"""

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
                seconds = {k: float(v) for k, v in limits.items()}
            except (TypeError, ValueError):
                ctx.error(f"thresholds.{channel} values must be numbers of seconds", line_of(thresholds, channel))
                continue
            if any(isinstance(v, bool) or not 0 < s < float("inf") for v, s in zip(limits.values(), seconds.values())):
                # -5 or 0 would report every reply as late, nan none: a typo either way.
                ctx.error(f"thresholds.{channel} values must be positive numbers of seconds", line_of(thresholds, channel))
                continue
            self.thresholds[channel] = seconds
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

    def block_targets(self, index, rows=None):
        # The conversations with a late reply, found with the same arithmetic as `check` (whose findings need
        # the views): every reply of the block is timed here, without views.
        allowed = super().block_targets(index, rows) & index.channel(self.thresholds)
        block = index.block
        stamps, channels = block.stamps, block.channels
        replies, asked, first = index.replies(self.measure_from)
        late = set()
        for reply, waited_since, is_first, c in zip(replies.tolist(), asked.tolist(), first.tolist(),
                                                    index.conversation_of[replies].tolist()):
            if c in late or not allowed[c]:
                continue
            limit = self.thresholds[channels[c]].get("first" if is_first else "later")
            if limit is None:
                continue
            sent, since = stamps[reply], stamps[waited_since]
            if sent is None or since is None or (sent.tzinfo is None) != (since.tzinfo is None):
                continue
            if (sent - since).total_seconds() > limit:
                late.add(c)
        return allowed & index.conversations(late)

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
    message = finding.message.replace("{wait}", format_duration(waited)).replace("{limit}", format_duration(limit))
    return replace(finding, message=message)
