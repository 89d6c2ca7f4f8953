"""`regex`: a regular expression on the normalised text, optionally checked by a validator (luhn, …)."""
from __future__ import annotations

import regex as re_

from ..text.matching import PATTERN_FLAGS
from ..validators import VALIDATORS
from .base import Rule, line_of


class RegexRule(Rule):
    TYPE = "regex"
    FIELDS = {
        "pattern": "regular expression (or a list of them) on the normalised text",
        "validator": f"a check on the matched value: {', '.join(sorted(VALIDATORS))}",
        "allow": "regular expressions; a value that fully matches one is fine (e.g. service hotlines)",
        "exceptions": "terms or contexts that cancel an overlapping hit",
        "exception_patterns": "regular expressions that cancel an overlapping hit",
        "when": "conditions that must all hold around a hit (see checks/conditions.py)",
        "unless": "conditions any of which cancels a hit",
    }

    def compile(self, spec, ctx):
        patterns = spec.get("pattern")
        if patterns is None:
            ctx.error("regex rule needs a pattern", line_of(spec))
        matcher_spec = {
            "patterns": patterns,
            "exceptions": spec.get("exceptions"),
            "exception_patterns": spec.get("exception_patterns"),
        }
        matcher_spec.update({key: spec[key] for key in ("when", "unless") if key in spec})
        self.match = self.matcher(_with_lines(matcher_spec, spec), ctx, required=patterns is not None)
        name = spec.get("validator")
        self.validator = None
        if name is not None:
            self.validator = VALIDATORS.get(str(name))
            if self.validator is None:
                ctx.error(f"unknown validator {name!r}; known: {', '.join(sorted(VALIDATORS))}", line_of(spec, "validator"))
        self.allow = []
        allow = spec.get("allow") or []
        for p in [allow] if isinstance(allow, str) else allow:
            try:
                self.allow.append(re_.compile(str(p), PATTERN_FLAGS))
            except re_.error as exc:
                ctx.error(f"bad allow pattern {p!r}: {exc}", line_of(spec, "allow"))

    def requirement(self):
        return self.match.requirement()

    def _value(self, text: str) -> str:
        return "".join(ch for ch in text if not ch.isspace() and ch not in "-")

    def check(self, conv):
        for view in self.scope.select(conv):
            for hit in self.match.find(view):
                value = self._value(view.norm.text[hit.nstart : hit.nend])
                if self.validator and not self.validator(value):
                    continue
                if any(p.fullmatch(value) for p in self.allow):
                    continue
                yield self.finding(conv, view, hit)


def _with_lines(new: dict, spec: dict) -> dict:
    """Give a derived mapping the line numbers of the rule it came from, for error messages."""
    from ..loader import LineDict

    out = LineDict((k, v) for k, v in new.items() if v is not None)
    out.line = line_of(spec)
    out.key_lines = {"patterns": line_of(spec, "pattern")}
    for key in ("exceptions", "exception_patterns", "when", "unless"):
        out.key_lines[key] = line_of(spec, key)
    return out
