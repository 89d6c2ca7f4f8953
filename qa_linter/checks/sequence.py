"""`sequence`: a trigger in one message requires (or forbids) something in a later or earlier message.

    trigger: {role: customer, lexicon: frustration-cues}
    expect:  {role: agent, where: next, require: {lexicon: apology-empathy}}

`where` is `next` (the next message of the expected role; findings point there), `before` or `after` (any
earlier / later message of that role; findings point at the trigger). `forbid` instead of `require` flags
what must not follow.

`answer` (with `where: before`) accepts a short reply as meeting the requirement only when it answers a
question: `answer: {to: <matcher on the message just before it>, with: <matcher on the reply>}`. That is how
"可以" counts as consent after "我可以远程帮您看一下，您同意吗？" but not anywhere else.
"""
from __future__ import annotations

from ..model import ROLES
from .base import MATCHER_FIELDS, Rule, line_of

_WHERE = ("next", "before", "after")


class SequenceRule(Rule):
    TYPE = "sequence"
    FIELDS = {
        "trigger": "role + matcher of the triggering message",
        "expect": "role, where (next | before | after), and require or forbid (a matcher)",
        "once": "true: only the first failing trigger in a conversation is reported",
    }

    def compile(self, spec, ctx):
        trigger = spec.get("trigger")
        expect = spec.get("expect")
        if not isinstance(trigger, dict) or not isinstance(expect, dict):
            ctx.error("sequence rule needs trigger: and expect: mappings", line_of(spec))
            trigger, expect = trigger if isinstance(trigger, dict) else {}, expect if isinstance(expect, dict) else {}
        self._unknown(trigger, set(MATCHER_FIELDS) | {"role"}, ctx, "trigger")
        self._unknown(expect, {"role", "where", "require", "forbid", "answer"}, ctx, "expect")
        self.trigger_role = self._role(trigger, "customer", ctx, "trigger")
        self.trigger = self.matcher(trigger, ctx, "trigger")
        self.expect_role = self._role(expect, "agent", ctx, "expect")
        self.where = expect.get("where", "next")
        if self.where not in _WHERE:
            ctx.error(f"expect.where must be one of {', '.join(_WHERE)}", line_of(expect, "where"))
        if ("require" in expect) == ("forbid" in expect):
            ctx.error("expect needs exactly one of require: or forbid:", line_of(expect))
        self.forbid = "forbid" in expect
        self.expected = self.matcher(expect.get("forbid" if self.forbid else "require"), ctx, "expect")
        self.answer_to = self.answer_with = None
        answer = expect.get("answer")
        if answer is not None:
            if not isinstance(answer, dict) or set(answer) != {"to", "with"} or self.forbid or self.where != "before":
                ctx.error("expect.answer needs {to: matcher, with: matcher}, with require: and where: before", line_of(expect, "answer"))
            else:
                self.answer_to = self.matcher(answer["to"], ctx, "answer.to")
                self.answer_with = self.matcher(answer["with"], ctx, "answer.with")
        self.once = bool(spec.get("once", False))

    def requirement(self):
        return self.trigger.requirement()  # every finding is about a trigger

    def _role(self, mapping, default, ctx, where):
        role = mapping.get("role", default)
        if role not in ROLES:
            # A misspelt role would make the rule silently never fire.
            ctx.error(f"{where}.role {role!r} must be one of {', '.join(ROLES)}", line_of(mapping, "role"))
            return default
        return role

    def _unknown(self, mapping, allowed, ctx, where):
        for key in mapping:
            if key not in allowed:
                ctx.error(f"unknown field {key!r} in {where}; allowed: {', '.join(sorted(allowed))}", line_of(mapping, key))

    def check(self, conv):
        msgs = conv.messages
        reported: set[int] = set()
        for pos, view in enumerate(msgs):
            if view.role != self.trigger_role:
                continue
            hits = self.trigger.find(view)
            if not hits:
                continue
            finding = self._judge(conv, msgs, pos, hits[0])
            if finding is None or finding.message_index in reported:
                continue
            reported.add(finding.message_index)
            yield finding
            if self.once:
                return

    def _judge(self, conv, msgs, pos, trigger_hit):
        role = self.expect_role
        if self.where == "next":
            target = next((m for m in msgs[pos + 1 :] if m.role == role), None)
            if target is None:
                return None
            found = self.expected.find(target)
            if self.forbid:
                return self.finding(conv, target, found[0], trigger=trigger_hit) if found else None
            return None if found else self.finding(conv, target, trigger=trigger_hit)
        window = msgs[:pos] if self.where == "before" else msgs[pos + 1 :]
        found = any(self.expected.find(m) for m in window if m.role == role)
        if not found and self.answer_to is not None:
            found = any(self._answers(window, i) for i, m in enumerate(window) if m.role == role)
        if found == self.forbid:
            return self.finding(conv, msgs[pos], trigger_hit, trigger=trigger_hit)
        return None

    def _answers(self, window, i) -> bool:
        """Is window[i] a short reply (answer.with) to a question (answer.to) in the message before it?"""
        previous = next((m for m in reversed(window[:i]) if m.role != "system"), None)
        if previous is None or previous.role == window[i].role:
            return False
        return self.answer_with.search(window[i]) and self.answer_to.search(previous)
