"""`required`: something that must be present in a scope (a greeting in the first agent message, …).

When it is missing the finding has no offsets and is anchored to the first or last message of the scope.
"""
from __future__ import annotations

from .base import Rule, Scope, line_of


class RequiredRule(Rule):
    TYPE = "required"
    FIELDS = {
        "require": "matcher (terms / lexicon / patterns, with when/unless) that must be found in the scope, or a list of such matchers (any one will do)",
        "anchor": "first | last: which scope message a missing finding points at (default: last)",
        "min_messages": "only judge conversations with at least this many messages of the scope's role",
    }
    DEFAULT_SCOPE = Scope("agent", "first", 1)

    def compile(self, spec, ctx):
        require = spec.get("require")
        if isinstance(require, list) and require:
            self.requirements = [self.matcher(item, ctx, f"require[{i}]") for i, item in enumerate(require)]
        else:
            self.requirements = [self.matcher(require, ctx, "require")]
        self.anchor = spec.get("anchor", "last")
        if self.anchor not in ("first", "last"):
            ctx.error("anchor must be first or last", line_of(spec, "anchor"))
        self.min_messages = self.whole_number(spec, "min_messages", 1, ctx)
        # A rule about the last message (closing, resolution check) judges the end of the conversation.
        self.CONVERSATION_END = self.scope.which == "last" or (self.scope.which == "all" and self.anchor == "last")

    def check(self, conv):
        if len(conv.by_role(self.scope.role)) < self.min_messages:
            return
        scope = self.scope.select(conv)
        if not scope:
            return
        if any(req.search(view) for view in scope for req in self.requirements):
            return
        anchor = scope[0] if self.anchor == "first" else scope[-1]
        yield self.finding(conv, anchor)
