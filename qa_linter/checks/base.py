"""What every rule type shares: the common fields, scopes, matcher specs, validation, and how a finding is made.

A rule type module subclasses `Rule` and owns everything about its type: the fields it takes (`FIELDS`, and the
shared field sets in `SHARED`), how they are validated (`validate`) and compiled once (`compile`), how it judges
a draft reply before it is sent (`draft_judgement`), which values the configuration says are never personal data
(`allow_values`), and the documented example rules (`EXAMPLES`). Nothing outside `checks/` names a rule type's
class: the loader, the pre-send check, the masker's allowlist and the docs ask the rule.
"""
from __future__ import annotations

import difflib
import enum
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import regex

from ..model import Finding
from ..text.lexicon import Term
from ..text.matching import PatternMatcher, Requirement, TermMatcher, TextMatcher, untimed_of
from ..text.pattern_safety import UnsafePattern, safe_compile
from ..text.windows import windowed
from ..text.normalize import normalize
from ..vocabulary import CHANNELS, DELETE_SUGGESTIONS, ROLES, Severity, pattern_flags
from ..yamlfile import line_of, with_lines
from .conditions import compile_conditions
from .context import CompileContext
from .fields import COMMON_FIELDS, Declared, Field, FieldSet, declared

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import ConversationView, MessageView
    from ..turns import TurnModel
    from ..text.matching import Hit

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


class Draft(enum.Enum):
    """How a rule judges a draft reply in the pre-send check (the draft is the conversation's next agent message)."""

    ALONE = "alone"  # from the draft's own text: run on the draft by itself
    IN_CONTEXT = "in context"  # needs the conversation so far: run on it, keeping findings about the draft
    LATER = "later"  # decided by messages after the draft (a closing, a check that may still come): not run


class Rule:
    TYPE = ""
    FIELDS: Declared = ()  # this type's own fields (Field objects, or a mapping of name to meaning)
    SHARED: tuple[FieldSet, ...] = ()  # shared field sets it takes besides the common fields
    RENAMED: dict[str, str] = {}  # old field name -> new name: still read, with a deprecation warning
    EXAMPLES = ""  # documented example rules, YAML list items: loaded and run by the tests, shown in the reference
    DEFAULT_SCOPE = Scope()
    # Rules about the end of a conversation cannot be judged on a draft reply (see `draft_judgement`), nor where
    # the end is cut (meta.partial); rules about its start (a greeting) are not judged where the start is cut.
    CONVERSATION_END = False
    CONVERSATION_START = False
    # A verdict on a message from that message alone (and whether it is in the scope): a draft is judged by itself.
    MESSAGE_LOCAL = False
    # A verdict on a message that a scan may also take from messages after it, while a draft is judged with the
    # conversation so far only (IN_CONTEXT): the two can differ (docs/presend.md, "What is judged").
    READS_AHEAD = False
    # A field of the transcript's `meta` this type reads (`meta_problem` says what is wrong with its value there).
    READS_META: "str | None" = None
    # Mapping settings of the configuration whose entries this type checks in `configure`: an entry is a mistake
    # only when every loaded rule that reads the setting refuses it (one team's audience may be another rule's).
    READS_SETTINGS: tuple[str, ...] = ()

    # A phrases or regex rule's learned veto (message_veto): the weights with no threshold, and the probability.
    veto_model = None
    veto: "float | None" = None

    # -- what the type takes ---------------------------------------------------------------------------------
    @classmethod
    def field_sets(cls) -> tuple[FieldSet, ...]:
        return (COMMON_FIELDS, *cls.SHARED)

    @classmethod
    def own_fields(cls) -> tuple[Field, ...]:
        return declared(cls.FIELDS)

    @classmethod
    def fields(cls) -> dict[str, Field]:
        """Every field a rule of this type takes, by name."""
        out = {f.name: f for field_set in cls.field_sets() for f in field_set}
        out.update((f.name, f) for f in cls.own_fields())
        return out

    @classmethod
    def validate(cls, spec: dict, ctx: CompileContext) -> dict | None:
        """The spec to compile (old field names renamed), or None after reporting why it cannot be compiled:
        an unknown field (with a did-you-mean), two fields that exclude each other, a field under both names."""
        fields = cls.fields()
        before = len(ctx.errors)
        for key in spec:
            if key in fields:
                continue
            if key in cls.RENAMED:
                new = cls.RENAMED[key]
                if new in spec:
                    ctx.error(f"give {new} only: {key} is its old name", line_of(spec, key))
                else:
                    ctx.warn(f"{key!r} is now called {new!r} in {cls.TYPE} rules; rename it (the old name will stop "
                             "working in a later version)", line_of(spec, key))
                continue
            allowed = set(fields) - set(COMMON_FIELDS.names())
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"{cls.TYPE} rules take: {', '.join(sorted(allowed))}"
            ctx.error(f"unknown field {key!r}; {hint}", line_of(spec, key))
        for f in fields.values():
            for other in f.excludes:
                if f.name in spec and other in spec:
                    ctx.error(f"give {f.name} or {other}, not both", line_of(spec, other))
        if len(ctx.errors) > before:
            return None
        renamed = {old: new for old, new in cls.RENAMED.items() if old in spec}
        if not renamed:
            return spec
        return with_lines(
            {renamed.get(k, k): v for k, v in spec.items()}, spec,
            {renamed.get(k, k): k for k in getattr(spec, "key_lines", {}) or spec},
        )

    @classmethod
    def build(cls, spec: dict, ctx: CompileContext) -> "Rule | None":
        """Validate and compile one rule; None (the reasons reported to `ctx`) if it has a mistake or a part that
        is unsafe to build (ctx.refuse)."""
        before, refused_before = len(ctx.errors), len(ctx.refused)
        spec = cls.validate(spec, ctx)
        if spec is None:
            return None
        try:
            rule = cls(spec, ctx)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # A value of the wrong shape that a rule type did not check for: still one line, never a traceback.
            ctx.error(f"a field has a value of the wrong kind ({type(exc).__name__}: {exc}); "
                      "see docs/rule-language.md", line_of(spec))
            return None
        return rule if len(ctx.errors) == before and len(ctx.refused) == refused_before else None

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
        # Which cut end of a partial conversation (meta.partial, --partial) leaves this rule nothing to judge: a
        # rule scoped to the first messages is about the start, one scoped to the last about the end.
        self.judges_start = self.CONVERSATION_START or self.scope.which == "first"
        self.judges_end = self.CONVERSATION_END or self.scope.which == "last"

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
        if not isinstance(values, list) or not all(v in CHANNELS for v in values):
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

    def learned_model(self, value, ctx: CompileContext, line: int | None, where: str,
                      options: "tuple[str, ...]" = (), threshold_optional: bool = False
                      ) -> "tuple[TurnModel | None, dict]":
        """A `{weights: LEXICON, threshold: P, …}` field (a sequence rule's trigger.model, a required rule's model):
        the weights lexicon read as a model (audience.AudienceModel), or None with the error on its line, and the
        rule type's own `options` found beside them (trigger.model's veto, model's only), for it to check. With
        `threshold_optional` the threshold may be left out (the model's threshold is then None: a rule type that
        uses the weights for something else, trigger.model's veto)."""
        if value is None:
            return None, {}
        given = {}
        if isinstance(value, dict):
            given = {key: value[key] for key in options if key in value}
            value = {key: item for key, item in value.items() if key not in given}
        return self._weights_model(value, ctx, line, where, threshold_optional), given

    def _weights_model(self, value, ctx: CompileContext, line: int | None, where: str,
                       threshold_optional: bool = False) -> "TurnModel | None":
        """`{weights, threshold}` read as a TurnModel, or None with the error on its line."""
        from ..audience import AudienceModel
        from ..turns import TurnModel

        threshold = value.get("threshold") if isinstance(value, dict) else None
        given = isinstance(value, dict) and "threshold" in value
        keys = {"weights", "threshold"} if given or not threshold_optional else {"weights"}
        if (not isinstance(value, dict) or set(value) != keys
                or not isinstance(value["weights"], str)
                or ("threshold" in keys and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                             or not 0 < threshold < 1))):
            ctx.error(f"{where} needs {{weights: a lexicon of piece<TAB>weight lines, threshold: a probability "
                      "between 0 and 1}", line)
            return None
        terms = self._lexicon_terms(value["weights"], ctx, line)
        if not terms:
            return None  # an unknown lexicon is reported already; an empty one is no model
        try:
            model = AudienceModel.from_terms(terms)
        except ValueError as exc:
            ctx.error(f"{where}: {exc}", line)
            return None
        return TurnModel(model, value["weights"], float(threshold) if threshold is not None else None)

    def message_veto(self, spec: dict, ctx: CompileContext) -> None:
        """`model: {weights, veto}` of a message rule (fields.MESSAGE_VETO): the weights read as a model with no
        threshold, and the veto, in `veto_model` / `veto` (None without the field)."""
        self.veto_model, self.veto = None, None
        value = spec.get("model")
        if value is None:
            return
        line = line_of(spec, "model")
        model, given = self.learned_model(value, ctx, line, "model", ("veto",), threshold_optional=True)
        veto = given.get("veto")
        if model is not None and model.threshold is not None:
            ctx.error("model takes {weights, veto}: a message rule's model only vetoes", line)
            return
        if isinstance(veto, bool) or not isinstance(veto, (int, float)) or not 0 < veto < 1:
            ctx.error(f"model.veto must be a probability between 0 and 1, not {veto!r}", line)
            return
        self.veto_model, self.veto = model, float(veto)

    def vetoed(self, view: "MessageView", hits: list) -> bool:
        """Does the rule's model (message_veto) weigh the message under its veto? Asked only where the words hit;
        a trace notes the hits it takes away."""
        if self.veto_model is None or self.veto_model.probability(view.norm.text, "") >= self.veto:
            return False
        for hit in hits:
            view.toolkit.note_cancelled(self.id, view, hit, f"the veto of {self.veto_model.weights_name} (the message "
                                        f"weighs under {self.veto})")
        return True

    def matched(self, conv) -> "Iterator[tuple[MessageView, list]]":
        """(message, hits) for each scope message the block left open where the rule's matcher (`self.match`)
        hits and its veto (message_veto) does not silence the message: what a phrases or regex rule judges."""
        for view in self.open_only(conv, self.scope.select(conv)):
            hits = self.match.find(view)
            if hits and not self.vetoed(view, hits):
                yield view, hits

    @property
    def learnable_veto(self) -> bool:
        """Can `calibrate --train-veto` learn weights for this rule (veto_examples)? A phrases or regex rule's can."""
        return False

    def veto_hits(self, view: "MessageView") -> bool:
        """Do the rule's words hit in the message before exceptions and conditions take hits away?"""
        return any(m.hits_before_cancelling(view) for m in self.matchers())

    def whole_number(self, spec: dict, key: str, default: int, ctx: CompileContext, minimum: int = 0) -> int:
        """An integer field; a wrong value is a load error on its line, never a traceback at run time."""
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            ctx.error(f"{key} must be a whole number of at least {minimum}, not {value!r}", line_of(spec, key))
            return default
        return value

    def true_or_false(self, spec: dict, key: str, ctx: CompileContext, where: str = "") -> bool:
        """A true/false field, false when absent; a wrong value is a load error on its line (named `where`.key
        inside a sub-mapping) and reads as false."""
        value = spec.get(key, False)
        if not isinstance(value, bool):
            ctx.error(f"{where + '.' if where else ''}{key} must be true or false, not {value!r}", line_of(spec, key))
            return False
        return value

    def _check_message(self, ctx: CompileContext, spec: dict) -> None:
        for name in PLACEHOLDER.findall(self.message_template):
            if name not in MESSAGE_VALUES:
                ctx.error(
                    f"message uses {{{name}}}; only {', '.join('{' + v + '}' for v in MESSAGE_VALUES)} are filled in",
                    line_of(spec, "message"),
                )

    @staticmethod
    def _unknown(mapping, allowed, ctx: CompileContext, where: str) -> None:
        """Report every key of a sub-mapping (a trigger, a requirement) that is not one of `allowed`."""
        for key in mapping:
            if key not in allowed:
                ctx.error(f"unknown field {key!r} in {where}; allowed: {', '.join(sorted(allowed))}", line_of(mapping, key))

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
        errors_before = len(ctx.errors) + len(ctx.refused)
        terms = list(self._terms(spec.get("terms"), ctx, line_of(spec, "terms")))
        terms += self._lexicon_terms(spec.get("lexicon"), ctx, line_of(spec, "lexicon"))
        read_pauses = self.true_or_false(spec, "read_pauses", ctx)
        patterns = self._patterns(spec.get("patterns"), ctx, line_of(spec, "patterns"), read_pauses)
        # Only when nothing was given: a bad pattern or an unknown lexicon has been reported already.
        if required and not terms and not patterns and len(ctx.errors) + len(ctx.refused) == errors_before:
            ctx.error(f"{where or 'rule'} needs terms, lexicon or patterns", line)
        exceptions = None
        exc_terms = list(self._terms(spec.get("exceptions"), ctx, line_of(spec, "exceptions")))
        exc_patterns = self._patterns(spec.get("exception_patterns"), ctx, line_of(spec, "exception_patterns"),
                                      read_pauses)
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

    def _patterns(self, value: Any, ctx: CompileContext, line: int | None,
                  read_pauses: bool = False) -> PatternMatcher | None:
        """Compile regular expressions; `\\L<name>` in a pattern stands for any term of lexicon `name`; with
        `read_pauses` they read the writer's pauses (PatternMatcher)."""
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            ctx.error("patterns must be a list of regular expressions", line)
            return None
        compiled = []
        for p in value:
            if isinstance(p, regex.Pattern):
                compiled.append(p)  # a shared pattern, compiled once (the vocabulary's personal data)
                continue
            named_lists = {}
            for name in NAMED_LIST.findall(str(p)):
                lexicon = ctx.lexicon_lookup(name) or ctx.lexicon_lookup(name.replace("_", "-"))
                if lexicon is None:
                    ctx.error(f"pattern uses \\L<{name}> but there is no lexicon {name!r}", line)
                    continue
                named_lists[name] = [k for k in (normalize(t.text).text for t in lexicon.terms) if k]
            pattern = compile_pattern(p, ctx, line, "regular expression", named_lists)
            if pattern is not None:
                compiled.append(pattern)
        return PatternMatcher(compiled, ctx.toolkit.term_index, read_pauses) if compiled else None

    def configure(self, settings: dict) -> "Iterable[tuple[str, str, str]] | None":
        """Take what a rule type needs from the deployment's configuration (audiences per team, the company's
        own mail domains …). Called once after loading, with the merged configuration; most types need none.
        Returns the settings it cannot use as (setting, key, reason): the loader reports each at its line."""

    def pattern_list(self, spec: dict, key: str, ctx: CompileContext, label: str) -> list["regex.Pattern"]:
        """A field holding one regular expression or a list of them (`allow`, `ignore_inside` …), compiled."""
        value = spec.get(key) or []
        compiled = [compile_pattern(p, ctx, line_of(spec, key), label) for p in ([value] if isinstance(value, str) else value)]
        return [p for p in compiled if p is not None]

    # -- checking ------------------------------------------------------------------------------------------------
    def requirement(self) -> "Requirement | None":
        """What must have candidates somewhere in a conversation (term lists, pattern literals) for this rule
        to report anything; None when it can report without (a missing greeting, a slow reply). Rules that
        report what they find override this."""
        return None

    def meta_problem(self, conv: "ConversationView") -> "str | None":
        """What is wrong with the value of `meta[READS_META]` in this conversation, or None (absent or fine)."""
        return None

    def context_of(self, conv: "ConversationView", index: int) -> "str | None":
        """What a reviewer reads beside message `index` to judge this rule there (`calibrate --show-errors`): for a
        reply, the turn it answers. None: the message is enough."""
        return None

    def decided_by(self, conv: "ConversationView", finding: Finding) -> list[str]:
        """What this rule decided about the whole conversation that made `finding` (one of its own), in words,
        for `calibrate --show-errors` to print under a false positive (jargon: whom the customer was taken for);
        most types decide nothing of the kind."""
        return []

    @property
    def learnable_trigger(self) -> bool:
        """Can `calibrate --train-trigger` learn this rule's trigger (trigger_examples)? A sequence rule's can."""
        return False

    def trigger_examples(self, conv: "ConversationView", labelled: set[int], group: str) -> list:
        """What `calibrate --train-trigger` learns from one labelled conversation (see learnable_trigger)."""
        raise NotImplementedError

    @property
    def trigger_examples_are(self) -> tuple[str, str]:
        """What trigger_examples gives, for `calibrate --train-trigger`'s report: (what one example is, plural;
        what a positive one shows)."""
        return "replies", "a turn that the next reply must answer"

    @property
    def learnable_model(self) -> bool:
        """Can `calibrate --train-required` learn this rule's `model` (model_examples)? A required rule's can."""
        return False

    @property
    def model_threshold(self) -> "float | None":
        """The probability the rule's learned `model` decides at, or None without one."""
        return None

    def model_examples(self, conv: "ConversationView", labelled: bool, group: str):
        """What `calibrate --train-required` learns from one labelled conversation (see learnable_model)."""
        raise NotImplementedError

    def applies_to(self, conv: "ConversationView") -> bool:
        if self.channels is not None and conv.channel not in self.channels:
            return False
        # A rule that reports only what it finds has nothing to report in a conversation where the one
        # automaton pass found none of its terms or pattern literals: it is not run at all.
        needed = self._needed
        return needed is None or conv.toolkit.reference or needed.met_by(conv.candidate_lists())

    def block_targets(self, index, rows: "object | None" = None) -> "object":
        """The conversations of a block (blocks.index.BlockIndex) on which `check` may report something: a numpy
        mask over them, never narrower than the truth (a conversation left out must be one where `check` reports
        nothing). By default: where the rule's `block_rows` opens a message, for a rule type that has them, else
        those `applies_to` lets through; rule types may narrow it further (see blocks/index.py). `rows`: the
        rule's `block_rows` of this block when the caller has them (the block engine works them out once for
        both)."""
        if rows is None:
            rows = self.block_rows(index)
        mask = index.channel(self.channels)
        if rows is not None:
            return mask & index.per_conversation(rows)
        if self._needed is not None:
            mask &= index.per_conversation(index.requirement(self._needed))
        return mask

    def block_rows(self, index) -> "object | None":
        """The messages of a block (a numpy mask over them) outside which `check`'s per-message loop finds
        nothing: the block engine hands each conversation's open messages to `check` (`open_only`), so the
        matchers are not even asked about the others. None (the default): no such mask, every message is read.
        Never narrower than the truth, as `block_targets`."""
        return None

    def prepare(self) -> None:
        """Build now what `check` would build at its first use. The block engine calls it before forking workers
        (blocks.engine.prepare), so that each worker inherits it instead of building its own; a single check
        (pre-send, `qa-lint check`) never calls it and builds only what it asks for."""

    @staticmethod
    def open_only(conv: "ConversationView", views: list) -> list:
        """`views` without the messages the block engine found closed for the rule being run (its `block_rows`,
        read from `conv.open_mask`, a bit per message index); all of them on the per-message path."""
        mask = conv.open_mask
        if mask is None:
            return views
        return [view for view in views if mask >> view.index & 1]

    def check(self, conv: "ConversationView") -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        conv: "ConversationView",
        view: "MessageView",
        hit: "Hit | None" = None,
        suggestion: str | None = None,
        trigger: "Hit | None" = None,
        message_template: str | None = None,
    ) -> Finding:
        term_suggestion = suggestion or (hit.suggestion if hit else None)
        values = {
            "match": hit.text if hit else "",
            "term": hit.term.text if hit and hit.term else (hit.text if hit else ""),
            "suggestion": term_suggestion or "",
            "trigger": trigger.text if trigger else "",
        }
        render = lambda template: PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), str(template))
        message = render(message_template or self.message_template)
        # A term's own suggestion is a replacement (亲 -> 您); the rule's `suggest` is advice, and may
        # quote the term's suggestion with {suggestion} (an explanation to add, for jargon).
        if self.suggest and PLACEHOLDER.search(str(self.suggest)) and term_suggestion:
            suggestion = render(self.suggest)
        else:
            # Without a term's own suggestion, advice that quotes one shows where the writer's words go
            # (「SKU（……）」), not an empty pair of brackets.
            values["suggestion"] = "……"
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

    # -- how the rule takes part in the pre-send check and in masking ---------------------------------------------
    def draft_judgement(self) -> Draft:
        """How a draft reply is judged by this rule (see Draft). A rule about the conversation's end, or scoped
        to its last messages, waits for later messages; a message-local rule judges the draft by itself."""
        if self.CONVERSATION_END or self.scope.which == "last":
            return Draft.LATER
        return Draft.ALONE if self.MESSAGE_LOCAL else Draft.IN_CONTEXT

    @property
    def on_draft(self) -> Draft:
        """draft_judgement(), worked out once (the pre-send check asks on every draft)."""
        judged = self.__dict__.get("_on_draft")
        if judged is None:
            judged = self.__dict__["_on_draft"] = self.draft_judgement()
        return judged

    def allow_values(self, values: list[str]) -> None:
        """Numbers and addresses the configuration's `allowlist` says are never personal data (company hotlines,
        support mailboxes). Only rules that find personal data take them."""

    def matchers(self) -> list[TextMatcher]:
        """The matchers whose terms this rule reports, in order (a term listed in two keeps the first's suggestion)."""
        return []

    def replacement_for(self, finding: Finding) -> str | None:
        """What goes in place of the finding's words in the draft, when the matched term has its own suggestion
        (a lexicon's second column, or `{term: …, suggest: …}`); None when the suggestion is only advice; "" when the
        term's suggestion is "(删除)": applying it deletes the words (it must never write "(删除)" into a reply).

        The finding's `suggestion` may be the rule's `suggest` wording with the term's suggestion inside it, so the
        term is looked up by its normalised text rather than read back from the finding."""
        if finding.start is None or finding.end is None or not finding.text:
            return None
        own = self.term_suggestions().get(normalize(finding.text).text)
        return "" if own is not None and own.strip() in DELETE_SUGGESTIONS else own

    def term_suggestions(self) -> dict[str, str]:
        """normalised term -> its own suggestion, over every term list the rule matches with (not exceptions);
        built on first use (only the pre-send check asks)."""
        table = self.__dict__.get("_term_suggestions")
        if table is None:
            with _SUGGESTIONS_LOCK:
                table = self.__dict__.get("_term_suggestions")
                if table is None:
                    table = {}
                    for matcher in self.matchers():
                        term_list = matcher.terms if matcher is not None else None
                        if term_list is None:
                            continue
                        for key, term in zip(term_list.keys, term_list.terms):
                            if term.suggestion and key not in table:
                                table[key] = str(term.suggestion)
                    self.__dict__["_term_suggestions"] = table
        return table

    def summary(self) -> str:
        """One line on what the rule matches, for `rules show`."""
        return self.TYPE


_SUGGESTIONS_LOCK = threading.Lock()


def compile_pattern(
    source: Any, ctx: CompileContext, line: int | None, label: str, named_lists: dict | None = None
) -> "regex.Pattern | None":
    """One regular expression of a rule, compiled as every rule pattern is; a mistake is a load error naming
    `label` ("regular expression", "allow pattern" …) and the pattern."""
    text = str(source)
    problem = han_word_boundary(text)
    if problem:
        ctx.error(f"bad {label} {text!r}: {problem}", line)
        return None
    try:
        pattern = windowed(safe_compile(text, pattern_flags(text, named_lists), **(named_lists or {})))
    except UnsafePattern as exc:  # valid, but compiling it would take gigabytes: the rule is left out
        ctx.refuse(f"{label} {text!r} refused: {exc}", line)
        return None
    except (regex.error, KeyError) as exc:
        ctx.error(f"bad {label} {text!r}: {exc}", line)
        return None
    untimed_of(pattern)  # how long a text it may search without a timeout: worked out at load, kept in a snapshot
    return pattern


# Chinese, a character (or a class or property of them) that is Han.
_HAN = r"(?:\p{Han}|\\p\{(?:Han|Script=Han|sc=Han|IsHan)\}|\[[^\]]*(?:\p{Han}|\\p\{Han\})[^\]]*\])"
# \b (not an escaped backslash and a b) directly before Han text, past any opening groups: \b您好, \b(?:您|你)好
_BOUNDARY_BEFORE_HAN = regex.compile(r"(?<!\\)(?:\\\\)*\\b(?:\((?:\?(?::|P?<\w+>|[=!]))?)*" + _HAN)
# Han text directly before \b, past a quantifier and closing groups: 您好\b, (您好|你好)\b, 好+\b
_BOUNDARY_AFTER_HAN = regex.compile(_HAN + r"(?:[?*+]|\{\d*,?\d*\})?\)*\\b")


def han_word_boundary(source: str) -> str | None:
    """Why a pattern with \\b next to Chinese text is refused: between two Chinese characters there is never a
    word boundary (Chinese writes no spaces; `regex` counts every Han character as a word character), so
    \\b您好\\b finds 您好 only at the edges of a run of Chinese, never as the word the author meant."""
    if _BOUNDARY_BEFORE_HAN.search(source) or _BOUNDARY_AFTER_HAN.search(source):
        return ("\\b next to Chinese text never marks a word between Chinese characters (Chinese has no spaces "
                "between words); for whole words list the words as terms (boundary: word, the default), or "
                "remove the \\b")
    return None
