"""`jargon`: technical terms that need an explanation the first time the agent uses them.

A use is explained when a parenthesis follows the term, or an explanation marker (即, 也就是, 是指 …) stands
within `window` characters of it. The conversation is remembered: a term the agent explained earlier, or
that the customer used first, needs no explanation; only the first unexplained use of a term is reported.
"""
from __future__ import annotations

import regex

from ..text.matching import PATTERN_FLAGS, drop_inside
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

    def _spans(self, spec, field, ctx):
        compiled = []
        patterns = spec.get(field) or []
        for p in [patterns] if isinstance(patterns, str) else patterns:
            try:
                compiled.append(regex.compile(str(p), PATTERN_FLAGS))
            except regex.error as exc:
                ctx.error(f"bad {field} pattern {p!r}: {exc}", line_of(spec, field))
        return compiled

    def _hits(self, view):
        hits = self.terms.find(view)
        if hits and self.ignore:
            spans = [m.span() for p in self.ignore for m in p.finditer(view.norm.text, timeout=0.25)]
            hits = drop_inside(hits, spans)
        return hits

    def _explained(self, view, hit, marker_hits) -> bool:
        text = view.norm.text
        if self.explanations and any(
            m.start() <= hit.nstart and hit.nend <= m.end()
            for p in self.explanations
            for m in p.finditer(text, timeout=0.25)
        ):
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
            # A term counts as explained when any of its uses in this message is explained.
            uses: dict[str, list] = {}
            for hit in hits:
                uses.setdefault(_key(hit), []).append(hit)
            for key, term_hits in uses.items():
                if key in known:
                    continue
                known.add(key)  # explained or flagged: either way only the first use counts
                if not any(self._explained(view, h, marker_hits) for h in term_hits):
                    yield self.finding(conv, view, term_hits[0])


def _key(hit) -> str:
    from ..text.normalize import normalize

    return normalize(hit.term.text).text if hit.term else hit.text


def _inside(marker, hit) -> bool:
    return hit.nstart <= marker.nstart and marker.nend <= hit.nend
