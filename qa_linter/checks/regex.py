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
        "own_addresses": "true: addresses of the company itself (config own_domains, support_addresses) are fine",
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

        self.own_addresses = bool(spec.get("own_addresses", False))
        self.own_domains: tuple[str, ...] = ()
        self.own_mailboxes: frozenset[str] = frozenset()

    def configure(self, settings):
        if not self.own_addresses:
            return
        domains, mailboxes = own_addresses(settings)
        # Compared the way a match is: without spaces and hyphens.
        self.own_domains = tuple(self._value(d) for d in domains)
        self.own_mailboxes = frozenset(self._value(m) for m in mailboxes)

    def _company_address(self, value: str) -> bool:
        value = value.lower()
        if value in self.own_mailboxes:
            return True
        domain = value.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains)

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
                if self.own_domains or self.own_mailboxes:
                    if "@" in value and self._company_address(value):
                        continue
                yield self.finding(conv, view, hit)


def own_addresses(settings: dict) -> tuple[set[str], set[str]]:
    """The company's own mail domains and mailboxes: config `own_domains` plus `support_addresses` (one list for
    both uses: the e-mail reader's "who is the agent" and "this address is not personal data")."""
    domains: set[str] = set()
    mailboxes: set[str] = set()
    for value in list(settings.get("own_domains") or []) + list(settings.get("support_addresses") or []):
        value = str(value).strip().lower()
        if not value:
            continue
        if value.startswith("@"):
            domains.add(value[1:])
        elif "@" in value:
            mailboxes.add(value)
        else:
            domains.add(value)
    return domains, mailboxes


def _with_lines(new: dict, spec: dict) -> dict:
    """Give a derived mapping the line numbers of the rule it came from, for error messages."""
    from ..loader import LineDict

    out = LineDict((k, v) for k, v in new.items() if v is not None)
    out.line = line_of(spec)
    out.key_lines = {"patterns": line_of(spec, "pattern")}
    for key in ("exceptions", "exception_patterns", "when", "unless"):
        out.key_lines[key] = line_of(spec, key)
    return out
