"""`jargon`: technical terms that need an explanation the first time the agent uses them.

A use is explained when a parenthesis follows the term, or an explanation marker (即, 也就是, 是指 …) stands
within `window` characters of it. The conversation is remembered: a term the agent explained earlier, or
that the customer used first, needs no explanation; only the first unexplained use of a term is reported.
"""
from __future__ import annotations

from functools import lru_cache

import regex

from ..text.matching import PATTERN_FLAGS, RegexTimeout, drop_inside, regex_timeout, repetition_problem
from ..text.prefilter import required_literals
from .base import MATCHER_FIELDS, Rule, line_of

# A parenthesis opening within the same clause after the term: DNS（域名解析）, SAML 和 OIDC（两者都是…）.
_CLAUSE_END = "。！？!?；;\n"


class JargonRule(Rule):
    TYPE = "jargon"
    FIELDS = {
        **MATCHER_FIELDS,
        "explained_by": "matcher of explanation markers (即, 也就是, 是指 …)",
        "window": "how many characters before or after a term a marker may stand (default 12)",
        "parenthesis": "true (default): a parenthesis after the term, in the same clause and window, explains it",
        "ignore_inside": "regular expressions of spans where terms are not judged (URLs, 《titles》)",
        "explained_inside": "regular expressions of spans that are explanations: terms in them count as explained",
        "customer_first": "true (default): a term the customer used first needs no explanation",
    }

    def compile(self, spec, ctx):
        self.terms = self.matcher(spec, ctx)
        markers = spec.get("explained_by")
        self.markers = self.matcher(markers, ctx, "explained_by") if markers is not None else None
        self.window = self.whole_number(spec, "window", 12, ctx)
        self.parenthesis = bool(spec.get("parenthesis", True))
        self.customer_first = bool(spec.get("customer_first", True))
        self.ignore = self._spans(spec, "ignore_inside", ctx)
        self.explanations = self._spans(spec, "explained_inside", ctx)

    def requirement(self):
        return self.terms.requirement()

    def _spans(self, spec, field, ctx):
        compiled = []
        patterns = spec.get(field) or []
        for p in [patterns] if isinstance(patterns, str) else patterns:
            too_big = repetition_problem(str(p))
            if too_big:
                ctx.error(f"bad {field} pattern {p!r}: {too_big}", line_of(spec, field))
                continue
            try:
                pattern = regex.compile(str(p), PATTERN_FLAGS)
            except regex.error as exc:
                ctx.error(f"bad {field} pattern {p!r}: {exc}", line_of(spec, field))
                continue
            # With the literals every match needs (:// for a URL, 《 for a title), most messages are not searched.
            compiled.append((pattern, required_literals(pattern)))
        return compiled

    @staticmethod
    def _span_list(patterns, view) -> list[tuple[int, int]]:
        text = view.norm.text
        spans = []
        for pattern, literals in patterns:
            if literals is not None and not view.toolkit.reference and not any(lit in text for lit in literals):
                continue
            try:
                spans.extend(m.span() for m in pattern.finditer(text, timeout=regex_timeout(text)))
            except TimeoutError:
                raise RegexTimeout(pattern.pattern) from None
        return spans

    def _hits(self, view):
        hits = self.terms.find(view)
        if hits and self.ignore:
            hits = drop_inside(hits, self._span_list(self.ignore, view))
        return hits

    def _explained(self, view, hit, marker_hits, explanations) -> bool:
        text = view.norm.text
        if any(start <= hit.nstart and hit.nend <= end for start, end in explanations):
            return True
        if self.parenthesis:
            for pos in range(hit.nend, min(len(text), hit.nend + self.window)):
                if text[pos] in "(【[":
                    return True
                if text[pos] in _CLAUSE_END:
                    break
        return any(
            m.nstart < hit.nend + self.window and m.nend > hit.nstart - self.window and not _inside(m, hit)
            for m in marker_hits
        )

    def check(self, conv):
        known: set[str] = set()  # normalised terms explained or introduced by the customer
        for view in conv.messages:
            if view.role == "system":
                continue
            hits = self._hits(view)
            if not hits:
                continue
            if view.role != self.scope.role:
                if self.customer_first and view.role == "customer":
                    known.update(_key(h) for h in hits)
                continue
            marker_hits = self.markers.find(view) if self.markers else []
            explanations = self._span_list(self.explanations, view) if self.explanations else []
            # A term counts as explained when any of its uses in this message is explained.
            uses: dict[str, list] = {}
            for hit in hits:
                uses.setdefault(_key(hit), []).append(hit)
            for key, term_hits in uses.items():
                if key in known:
                    continue
                known.add(key)  # explained or flagged: either way only the first use counts
                if not any(self._explained(view, h, marker_hits, explanations) for h in term_hits):
                    yield self.finding(conv, view, term_hits[0])


def _key(hit) -> str:
    return _folded_term(hit.term.text) if hit.term else hit.text


@lru_cache(maxsize=8192)
def _folded_term(text: str) -> str:
    from ..text.normalize import normalize

    return normalize(text).text


def _inside(marker, hit) -> bool:
    return hit.nstart <= marker.nstart and marker.nend <= hit.nend
