"""What every rule type shares: the common fields, scopes, matcher specs, and how a finding is made.

A rule type module subclasses `Rule`, lists its own fields in `FIELDS`, builds its matchers once in
`compile()` and only matches in `check()`.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import regex

from ..errors import RuleError
from ..model import ROLES, Finding, Severity
from ..text.lexicon import Lexicon, Term
from ..text.matching import PATTERN_FLAGS, PatternMatcher, Requirement, TermMatcher, TextMatcher, repetition_problem
from ..text.normalize import normalize
from .conditions import compile_conditions

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import ConversationView, MessageView, Toolkit
    from ..text.matching import Hit

COMMON_FIELDS = {
    "id": "unique rule id, e.g. slang-address",
    "type": "rule type",
    "category": "finding category",
    "severity": "error | warning | info",
    "message": "Chinese message shown to the user; {match} is the matched text",
    "suggest": "replacement or advice",
    "manual": "section of the service manual",
    "description": "what it checks and why (for `rules show`)",
    "scope": "which messages: all | first | last | first N, and role",
    "channels": "channels the rule applies to (chat, email, phone)",
    "examples": "flag: / pass: examples",
    "enabled": "false to switch the rule off",
}

MATCHER_FIELDS = {
    "terms": "inline terms (strings or {term, suggest})",
    "lexicon": "lexicon name(s) to take terms from",
    "patterns": "regular expressions on the normalised text",
    "boundary": "word (default) or none",
    "exceptions": "terms or contexts that cancel an overlapping hit",
    "exception_patterns": "regular expressions that cancel an overlapping hit",
    "when": "conditions that must all hold around a hit (clause, sentence, message or near: any/all/none of lexicon classes, mood, person)",
    "unless": "conditions any of which cancels a hit (same form as when)",
}

PLACEHOLDER = re.compile(r"\{(\w*)\}")
NAMED_LIST = re.compile(r"\\L<(\w+)>")
MESSAGE_VALUES = ("match", "suggestion", "term", "wait", "limit", "trigger")


@dataclass(frozen=True)
class Scope:
    role: str = "agent"
    which: str = "all"  # all | first | last
    count: int = 1

    def select(self, conv: "ConversationView") -> list["MessageView"]:
        msgs = conv.by_role(self.role)
        if self.which == "first":
            return msgs[: self.count]
        if self.which == "last":
            return msgs[-self.count :] if msgs else []
        return msgs

    def describe(self) -> str:
        which = self.which if self.which == "all" else f"{self.which} {self.count}"
        return f"{self.role} messages: {which}"


class CompileContext:
    """Where a rule is being compiled: its file, the shared toolkit, lexicons, and the error list."""

    def __init__(self, toolkit: "Toolkit", lexicon_lookup: Callable[[str], Lexicon | None], lexicon_names: Callable[[], list[str]]):
        self.toolkit = toolkit
        self.lexicon_lookup = lexicon_lookup
        self.lexicon_names = lexicon_names
        self.path: str | None = None
        self.rule_id: str | None = None
        self.errors: list[RuleError] = []

    def error(self, reason: str, line: int | None) -> None:
        self.errors.append(RuleError(self.path, line, reason, self.rule_id))


def line_of(node: Any, key: str | None = None) -> int | None:
    """The YAML line of a mapping (or of one of its keys), when the loader recorded it."""
    if key is not None:
        lines = getattr(node, "key_lines", None)
        if lines and key in lines:
            return lines[key]
    return getattr(node, "line", None)


class Rule:
    TYPE = ""
    FIELDS: dict[str, str] = {}
    DEFAULT_SCOPE = Scope()
    # Rules about the end of a conversation cannot be judged on a draft reply (see the pre-send check).
    CONVERSATION_END = False

    def __init__(self, spec: dict, ctx: CompileContext):
        self.spec = spec
        self.source = f"{ctx.path}:{line_of(spec)}" if ctx.path else None
        self.id = str(spec.get("id"))
        self.category = str(spec.get("category") or "")
        self.severity = self._severity(spec, ctx)
        self.message_template = str(spec.get("message") or "")
        self.suggest = spec.get("suggest")
        self.manual = spec.get("manual")
        self.description = spec.get("description")
        self.channels = self._channels(spec, ctx)
        self.scope = self._scope(spec.get("scope"), ctx, line_of(spec, "scope"))
        self.examples = self._examples(spec, ctx)
        self._check_message(ctx, spec)
        self.compile(spec, ctx)
        self._needed = self.requirement()

    # -- compile helpers -------------------------------------------------------------------------------------
    def compile(self, spec: dict, ctx: CompileContext) -> None:
        raise NotImplementedError

    def _severity(self, spec: dict, ctx: CompileContext) -> Severity:
        try:
            return Severity.parse(spec.get("severity", "warning"))
        except ValueError as exc:
            ctx.error(str(exc), line_of(spec, "severity"))
            return Severity.WARNING

    def _channels(self, spec: dict, ctx: CompileContext) -> frozenset[str] | None:
        value = spec.get("channels")
        if value is None:
            return None
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(v in ("chat", "email", "phone") for v in values):
            ctx.error("channels must be a list of chat, email, phone", line_of(spec, "channels"))
            return None
        return frozenset(values)

    def _scope(self, value: Any, ctx: CompileContext, line: int | None) -> Scope:
        default = self.DEFAULT_SCOPE
        if value is None:
            return default
        role, which = default.role, value
        if isinstance(value, dict):
            unknown = set(value) - {"role", "messages"}
            if unknown:
                ctx.error(f"unknown scope field {sorted(unknown)[0]!r}; use role and messages", line)
            role = value.get("role", default.role)
            which = value.get("messages", "all")
        if role not in ROLES + ("any",):
            ctx.error(f"scope role {role!r} is not one of agent, customer, system, any", line)
            role = default.role
        text = str(which).strip().lower()
        m = re.fullmatch(r"(all|first|last)(?:\s+(\d+))?", text)
        if not m or (m.group(1) == "all" and m.group(2)):
            ctx.error(f"scope messages {which!r} must be all, first, last, first N or last N", line)
            return default
        count = int(m.group(2) or 1)
        if count < 1:
            ctx.error(f"scope messages {which!r}: N must be at least 1", line)
            return default
        return Scope(role, m.group(1), count)

    def _examples(self, spec: dict, ctx: CompileContext) -> dict:
        value = spec.get("examples") or {}
        if not isinstance(value, dict) or not set(value) <= {"flag", "pass"} or not all(
            v is None or isinstance(v, list) for v in value.values()
        ):
            ctx.error("examples must be a mapping with flag: and pass: lists", line_of(spec, "examples"))
            return {}
        return value

    def whole_number(self, spec: dict, key: str, default: int, ctx: CompileContext, minimum: int = 0) -> int:
        """An integer field; a wrong value is a load error on its line, never a traceback at run time."""
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            ctx.error(f"{key} must be a whole number of at least {minimum}, not {value!r}", line_of(spec, key))
            return default
        return value

    def _check_message(self, ctx: CompileContext, spec: dict) -> None:
        for name in PLACEHOLDER.findall(self.message_template):
            if name not in MESSAGE_VALUES:
                ctx.error(
                    f"message uses {{{name}}}; only {', '.join('{' + v + '}' for v in MESSAGE_VALUES)} are filled in",
                    line_of(spec, "message"),
                )

    def matcher(self, spec: dict, ctx: CompileContext, where: str = "", required: bool = True) -> TextMatcher:
        """Build a TextMatcher from the matcher fields of `spec` (the rule itself or a sub-mapping)."""
        line = line_of(spec)
        if not isinstance(spec, dict):
            ctx.error(f"{where or 'matcher'} must be a mapping with terms, lexicon or patterns", line)
            return TextMatcher()
        boundary = spec.get("boundary", "word")
        if boundary not in ("word", "none"):
            ctx.error(f"boundary must be word or none, not {boundary!r}", line_of(spec, "boundary"))
            boundary = "word"
        errors_before = len(ctx.errors)
        terms = list(self._terms(spec.get("terms"), ctx, line_of(spec, "terms")))
        terms += self._lexicon_terms(spec.get("lexicon"), ctx, line_of(spec, "lexicon"))
        patterns = self._patterns(spec.get("patterns"), ctx, line_of(spec, "patterns"))
        # Only when nothing was given: a bad pattern or an unknown lexicon has been reported already.
        if required and not terms and not patterns and len(ctx.errors) == errors_before:
            ctx.error(f"{where or 'rule'} needs terms, lexicon or patterns", line)
        exceptions = None
        exc_terms = list(self._terms(spec.get("exceptions"), ctx, line_of(spec, "exceptions")))
        exc_patterns = self._patterns(spec.get("exception_patterns"), ctx, line_of(spec, "exception_patterns"))
        if exc_terms or exc_patterns:
            exceptions = TextMatcher(self._term_matcher(exc_terms, ctx, "none"), exc_patterns)
        conditions = compile_conditions(spec, ctx, line_of)
        return TextMatcher(self._term_matcher(terms, ctx, boundary), patterns, exceptions, conditions, ctx.rule_id)

    def _term_matcher(self, terms: list[Term], ctx: CompileContext, boundary: str) -> TermMatcher | None:
        if not terms:
            return None
        if boundary == "word":
            ctx.toolkit.add_words(t.text for t in terms)
        return TermMatcher(ctx.toolkit.term_index, terms, boundary)

    def _terms(self, value: Any, ctx: CompileContext, line: int | None) -> Iterator[Term]:
        if value is None:
            return
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            ctx.error("terms must be a list of strings or {term, suggest} mappings", line)
            return
        for item in value:
            if isinstance(item, str) and item.strip():
                yield Term(item.strip(), None, None, f"{ctx.path}:{line}")
            elif isinstance(item, dict) and isinstance(item.get("term"), str):
                unknown = set(item) - {"term", "suggest", "note"}
                if unknown:
                    ctx.error(f"unknown term field {sorted(unknown)[0]!r}; use term, suggest, note", line_of(item))
                yield Term(item["term"], item.get("suggest"), item.get("note"), f"{ctx.path}:{line_of(item)}")
            else:
                ctx.error(f"term {item!r} must be a non-empty string or a {{term: …, suggest: …}} mapping", line_of(item) or line)

    def _lexicon_terms(self, value: Any, ctx: CompileContext, line: int | None) -> list[Term]:
        if value is None:
            return []
        names = [value] if isinstance(value, str) else value
        terms: list[Term] = []
        for name in names if isinstance(names, list) else [names]:
            lexicon = ctx.lexicon_lookup(str(name))
            if lexicon is None:
                known = ctx.lexicon_names()
                if str(name) in known:
                    continue  # the file exists but could not be read: that error is already reported
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known lexicons: {', '.join(known) or 'none'}"
                ctx.error(f"unknown lexicon {name!r}; {hint}", line)
                continue
            terms.extend(lexicon.terms)
        return terms

    def _patterns(self, value: Any, ctx: CompileContext, line: int | None) -> PatternMatcher | None:
        """Compile regular expressions; `\\L<name>` in a pattern stands for any term of lexicon `name`."""
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            ctx.error("patterns must be a list of regular expressions", line)
            return None
        compiled = []
        for p in value:
            named_lists = {}
            for name in NAMED_LIST.findall(str(p)):
                lexicon = ctx.lexicon_lookup(name) or ctx.lexicon_lookup(name.replace("_", "-"))
                if lexicon is None:
                    ctx.error(f"pattern uses \\L<{name}> but there is no lexicon {name!r}", line)
                    continue
                named_lists[name] = [k for k in (normalize(t.text).text for t in lexicon.terms) if k]
            too_big = repetition_problem(str(p))
            if too_big:
                ctx.error(f"bad regular expression {p!r}: {too_big}", line)
                continue
            try:
                compiled.append(regex.compile(str(p), PATTERN_FLAGS, **named_lists))
            except (regex.error, KeyError) as exc:
                ctx.error(f"bad regular expression {p!r}: {exc}", line)
        return PatternMatcher(compiled, ctx.toolkit.term_index) if compiled else None

    def configure(self, settings: dict) -> None:
        """Take what a rule type needs from the deployment's configuration (audiences per team, the company's
        own mail domains …). Called once after loading, with the merged configuration; most types need none."""

    # -- checking ------------------------------------------------------------------------------------------------
    def requirement(self) -> "Requirement | None":
        """What must have candidates somewhere in a conversation (term lists, pattern literals) for this rule
        to report anything; None when it can report without (a missing greeting, a slow reply). Rules that
        report what they find override this."""
        return None

    def applies_to(self, conv: "ConversationView") -> bool:
        if self.channels is not None and conv.channel not in self.channels:
            return False
        # A rule that reports only what it finds has nothing to report in a conversation where the one
        # automaton pass found none of its terms or pattern literals: it is not run at all.
        needed = self._needed
        return needed is None or conv.toolkit.reference or needed.met_by(conv.candidate_lists())

    def check(self, conv: "ConversationView") -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        conv: "ConversationView",
        view: "MessageView",
        hit: "Hit | None" = None,
        suggestion: str | None = None,
        trigger: "Hit | None" = None,
    ) -> Finding:
        term_suggestion = suggestion or (hit.suggestion if hit else None)
        values = {
            "match": hit.text if hit else "",
            "term": hit.term.text if hit and hit.term else (hit.text if hit else ""),
            "suggestion": term_suggestion or "",
            "trigger": trigger.text if trigger else "",
        }
        render = lambda template: PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), str(template))
        message = render(self.message_template)
        # A term's own suggestion is a replacement (亲 -> 您); the rule's `suggest` is advice, and may
        # quote the term's suggestion with {suggestion} (an explanation to add, for jargon).
        if self.suggest and PLACEHOLDER.search(str(self.suggest)) and term_suggestion:
            suggestion = render(self.suggest)
        else:
            suggestion = term_suggestion or (render(self.suggest) if self.suggest else None)
        return Finding(
            conversation_id=conv.id,
            message_index=view.index,
            role=view.role,
            rule=self.id,
            category=self.category,
            severity=self.severity,
            message=message,
            start=hit.start if hit else None,
            end=hit.end if hit else None,
            text=hit.text if hit else None,
            suggestion=str(suggestion) if suggestion is not None else None,
            manual=self.manual,
        )

    def summary(self) -> str:
        """One line on what the rule matches, for `rules show`."""
        return self.TYPE
