"""`pattern`: spaCy `Matcher` token patterns over the segmented message, for phrases with gaps and variants.

Tokens are the words of our segmenter on the normalised text, so TEXT/LOWER values are written normalised
(Simplified, lower case, half-width). spaCy is imported only when a pack holds a pattern rule, and a message
is tokenised for it only when it contains one of the literal words every pattern needs.
"""
from __future__ import annotations

import re

from ..text.lexicon import Term
from ..text.matching import Requirement, TermMatcher, drop_overlapping, keep_longest
from ..text.normalize import normalize
from ..yamlfile import line_of
from .base import Rule
from .fields import MATCHER_FIELDS, Field

_LITERAL_KEYS = ("TEXT", "LOWER", "ORTH", "NORM")
_ZERO_MIN = re.compile(r"\{(0|0?,\d*)\}")


class PatternRule(Rule):
    """spaCy [`Matcher`](https://spacy.io/usage/rule-based-matching#matcher) token patterns over the words of the
    message, for phrases with gaps and variants.

    Tokens are the words of the [segmentation](#word-boundaries) of the normalised text. Literal values (`TEXT`,
    `LOWER`, `ORTH`, `NORM`, and `IN` lists of them) are normalised for you, so a pattern may say `講過`. A literal
    must be a whole word as jieba cuts the text: the literal words of a pattern are added to the dictionary, but
    jieba may still glue a neighbour to a gap (说了**几遍** is 说/了/几遍, so `{LOWER: 遍}` does not match it);
    check a pattern with its `examples`, or use a `regex` rule. spaCy is loaded only when a pack has a pattern
    rule, and a message is segmented for it only when it contains one of the literal words its patterns need.

    The field was called `patterns` before; that name still works, with a warning, and will stop working in a
    later version (everywhere else `patterns` means regular expressions)."""

    TYPE = "pattern"
    FIELDS = (
        Field("token_patterns", "list of token patterns", "required: a list of patterns, each a list of token "
              "mappings (`{LOWER: 你}`, `{OP: \"?\"}`, `{LOWER: {IN: [看, 查]}}`, counted operators such as "
              "`{OP: \"{0,2}\"}`)", example="[[{LOWER: 说}, {LOWER: 了}, {OP: \"{0,2}\"}, {LOWER: 遍}]]",
              required=True),
        *(f for f in MATCHER_FIELDS if f.name in ("exceptions", "exception_patterns")),
    )
    RENAMED = {"patterns": "token_patterns"}
    MESSAGE_LOCAL = True
    EXAMPLES = """\
  - id: pt-tokens
    type: pattern
    category: banned-phrase
    severity: error
    message: "推诿：{match}"
    token_patterns:
      # 你 [one optional word] 自己/自个儿 看/查/找
      - [{LOWER: 你}, {OP: "?"}, {LOWER: {IN: [自己, 自个儿]}}, {LOWER: {IN: [看, 查, 找]}}]
    exceptions: [你自己查看一下也可以]
    examples:
      flag: [你自己查, 你就自己找吧, 你自个儿看]
      pass: [我自己查一下, 你自己查看一下也可以, 你们自己]
"""

    def compile(self, spec, ctx):
        from spacy.matcher import Matcher

        patterns = spec.get("token_patterns")
        line = line_of(spec, "token_patterns")
        self.matcher_ = Matcher(ctx.toolkit.nlp.vocab)
        if not isinstance(patterns, list) or not patterns:
            ctx.error("pattern rule needs token_patterns: a list of token-pattern lists", line)
            patterns = []
        literals: set[str] | None = set()
        for i, pattern in enumerate(patterns):
            if not isinstance(pattern, list) or not all(isinstance(token, dict) for token in pattern):
                ctx.error(f"token pattern #{i + 1} must be a list of token mappings, e.g. [{{LOWER: 你}}, {{LOWER: 自己}}]", line)
                continue
            pattern = _normalise_pattern(pattern)
            try:
                self.matcher_.add(f"p{i}", [pattern])
            except Exception as exc:  # spaCy raises several types for a malformed pattern
                ctx.error(f"bad token pattern #{i + 1}: {str(exc).splitlines()[0]}", line)
                continue
            required = _required_literals(pattern)
            if required is None or literals is None:
                literals = None
            else:
                literals |= required
        # A message can only match if it contains one of these words: a cheap automaton pre-check.
        self.prefilter = (
            TermMatcher(ctx.toolkit.term_index, [Term(w) for w in sorted(literals)], "none") if literals else None
        )
        ctx.toolkit.add_words(literals or (), pattern_tokens=True)
        exc_spec = {k: spec[k] for k in ("exceptions", "exception_patterns") if k in spec}
        self.exceptions = self.matcher(exc_spec, ctx, required=False) if exc_spec else None

    def requirement(self):
        return Requirement([(self.prefilter.list_id,)]) if self.prefilter is not None else None

    def matchers(self):
        return [self.exceptions] if self.exceptions is not None else []

    def block_targets(self, index, rows=None):
        # Only a scope message holding the prefilter's words is tokenised and matched.
        scope = index.scope(self.scope)
        if self.prefilter is not None:
            scope = scope & index.has(self.prefilter.list_id)
        return index.channel(self.channels) & index.per_conversation(scope)

    def check(self, conv):
        for view in self.scope.select(conv):
            if self.prefilter is not None and not self.prefilter.find(view):
                continue
            doc = view.doc()
            hits = []
            for _, start, end in self.matcher_(doc):
                nstart, nend = view.token_span(start, end)
                hits.append(view.hit(nstart, nend))
            if hits and self.exceptions:
                cancel = self.exceptions.find(view)
                hits = drop_overlapping(hits, cancel)
            for hit in keep_longest(hits):
                yield self.finding(conv, view, hit)


def _normalise_pattern(pattern):
    """Fold literal values like the text is folded, so 親 in a pattern matches 亲 in a message."""
    if not isinstance(pattern, list):
        return pattern
    out = []
    for token in pattern:
        if isinstance(token, dict):
            token = dict(token)
            for key in _LITERAL_KEYS:
                value = token.get(key)
                if isinstance(value, str):
                    token[key] = normalize(value).text
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    token[key] = {**value, "IN": [normalize(str(v)).text for v in value["IN"]]}
        out.append(token)
    return out


def _optional(op) -> bool:
    """Can the token be absent from a match? ?, *, ! and the counted forms with a minimum of 0 ({0,2}, {,3})."""
    if op is None:
        return False
    op = str(op).replace(" ", "")
    return op in ("?", "*", "!") or bool(_ZERO_MIN.fullmatch(op))


def _required_literals(pattern) -> set[str] | None:
    """The literal words of one mandatory token of the pattern, or None when it has none."""
    for token in pattern:
        if not isinstance(token, dict) or _optional(token.get("OP")):
            continue
        for key in _LITERAL_KEYS:
            value = token.get(key)
            if isinstance(value, str):
                return {value}
            if isinstance(value, dict) and isinstance(value.get("IN"), list):
                return {str(v) for v in value["IN"]}
    return None
