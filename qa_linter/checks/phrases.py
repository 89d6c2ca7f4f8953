"""`phrases`: listed terms (inline or from lexicons), word-aware, with exceptions and per-term suggestions."""
from __future__ import annotations

from .base import MATCHER_FIELDS, Rule


class PhrasesRule(Rule):
    TYPE = "phrases"
    FIELDS = dict(MATCHER_FIELDS)

    def compile(self, spec, ctx):
        self.match = self.matcher(spec, ctx)

    def requirement(self):
        return self.match.requirement()

    def check(self, conv):
        for view in self.scope.select(conv):
            for hit in self.match.find(view):
                yield self.finding(conv, view, hit)
