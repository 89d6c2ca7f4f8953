"""`required`: something that must be present in a scope (a greeting in the first agent message, …).

When it is missing the finding has no offsets and is anchored to the first or last message of the scope.
"""
from __future__ import annotations

from typing import NamedTuple

from ..audience import Example
from ..text.pieces import features
from ..yamlfile import line_of
from .base import Draft, Rule, Scope
from .fields import MATCHER_FIELDS, Field


class RequiredExample(NamedTuple):
    """One labelled conversation as `calibrate --train-required` sees it (RequiredRule.model_examples)."""

    group: str  # its team or product line
    messages: list  # an audience.Example per message of the scope the model is asked about
    learnt: bool  # its messages are learnt from (see model_examples)
    found: bool  # the requirements alone report it
    labelled: bool  # a reviewer labelled it with the rule's category


class RequiredRule(Rule):
    """Something that must be present in the scope: a greeting in the first agent message, a farewell in the last.

    The default scope is `first` (the first agent message). A conversation without a message of the role is not
    judged. The finding has no offsets (`start`, `end` and `text` are null): it is about something missing.
    A rule over the `first` messages is not run on a conversation whose start is cut (`meta.partial`), one over
    the `last` messages or with `anchor: last` over `all` not on one whose end is cut (see Scope)."""

    TYPE = "required"
    FIELDS = (
        Field("require", "matcher or list of matchers", "required: a [matcher](#matcher-fields), or a list of them "
              "(any one will do); one hit anywhere in the scope satisfies the rule",
              example="{terms: [您好, 你好], patterns: ['(早|上午|下午|晚上)好']}", required=True,
              parts=(*MATCHER_FIELDS.names(), Field(
                  "anywhere", "true | false", "`true`: this requirement is met in any message of the scope's role, "
                  "not only in the scope (a check of the order's address that closes a sale early in a long chat)",
                  default="false", example="true"))),
        Field("model", "{weights: lexicon, threshold: P, only: matcher}", "a learned reading of one message: where "
              "no requirement finds anything, a message of the scope that the weights (a lexicon of "
              "`piece<TAB>weight` lines over its pieces of one to three characters, written by `qa-lint calibrate "
              "--train-required`) score at least P meets the rule: a way of saying it that no term or pattern "
              "holds. `only`, a [matcher](#matcher-fields), limits it to the messages it finds something in (a "
              "check asks the customer: 您, 请; not the agent's own 我这边再试试). It only ever takes a finding away",
              example="{weights: resolution-check-model, threshold: 0.9, only: {terms: [您, 请]}}"),
        Field("anchor", "first | last", "which message of the scope a missing-thing finding points at",
              default="last", example="first"),
        Field("min_messages", "whole number", "judge only conversations with at least this many messages of the "
              "scope's role", default="1", example="2"),
    )
    DEFAULT_SCOPE = Scope("agent", "first", 1)
    EXAMPLES = """\
  - id: c-closing
    type: required
    category: closing-missing
    message: "最后一条回复缺少感谢或道别"
    scope: last
    require: {terms: [谢谢, 再见, 感谢], patterns: ['祝您.{1,8}']}
    examples:
      flag: [[{agent: 您好}, {agent: 好的}]]
      pass: [[{agent: 您好}, {agent: 祝您生活愉快}], [{agent: 谢谢}, {customer: 好的}]]

  - id: c-verify
    type: required
    category: no-resolution-check
    message: "没有确认问题是否解决"
    scope: {role: agent, messages: all}   # anywhere in the conversation…
    anchor: last                          # …and a missing check points at the last agent message
    min_messages: 2                       # a one-line exchange is not judged
    require: {terms: [是否已解决, 可以了吗, 请您确认]}
    examples:
      flag: [[{agent: 您好}, {agent: 已为您重置}]]
      pass: [[{agent: 您好}, {agent: 现在可以了吗}, {agent: 再见}], 已为您重置]

  - id: c-verify-late
    type: required
    category: no-resolution-check
    message: "没有确认问题是否解决"
    scope: {role: agent, messages: last 2}   # a check belongs near the end…
    anchor: last
    require:
      - terms: [是否已解决, 可以了吗]
      - patterns: ['核对[^。]{0,4}收货地址']
        anywhere: true                      # …but the order's address checked counts wherever it is
    examples:
      flag: [[{agent: 现在可以了吗？}, {agent: 好的}, {agent: 三天到}]]
      pass: [[{agent: 运费已改，请核对一下收货地址}, {agent: 好的}, {agent: 三天到}]]
"""

    def compile(self, spec, ctx):
        require = spec.get("require")
        items = list(enumerate(require)) if isinstance(require, list) and require else [(None, require)]
        allowed = self.fields()["require"].part_names()
        self.requirements, self.anywhere = [], []
        for i, item in items:
            where = "require" if i is None else f"require[{i}]"
            if isinstance(item, dict):
                self._unknown(item, allowed, ctx, where)
                self.anywhere.append(self.true_or_false(item, "anywhere", ctx, where))
            else:
                self.anywhere.append(False)
            self.requirements.append(self.matcher(item, ctx, where))
        self.model, self.model_only = self._model(spec, ctx)
        self.anchor = spec.get("anchor", "last")
        if self.anchor not in ("first", "last"):
            ctx.error("anchor must be first or last", line_of(spec, "anchor"))
        self.min_messages = self.whole_number(spec, "min_messages", 1, ctx)
        # A rule about the last message (closing, resolution check) judges the end of the conversation.
        self.CONVERSATION_END = self.scope.which == "last" or (self.scope.which == "all" and self.anchor == "last")
        # A greeting owed in the first message is about the start: not judged where the start is cut.
        self.CONVERSATION_START = self.scope.which == "first"

    def _model(self, spec, ctx):
        """`model`: the learned weights, and the matcher of `only` (None: every message of the scope is weighed)."""
        model, given = self.learned_model(spec.get("model"), ctx, line_of(spec, "model"), "model", ("only",))
        only = self.matcher(given["only"], ctx, "model.only") if "only" in given else None
        return model, only

    def matchers(self):
        return list(self.requirements)

    def draft_judgement(self):
        # Over more than the first message, or only for conversations of some length, a later message may still
        # satisfy the rule: a draft cannot be judged.
        if self.CONVERSATION_END or any(self.anywhere) or not (
                self.scope.which == "first" and self.scope.count == 1 and self.min_messages <= 1):
            return Draft.LATER
        return Draft.IN_CONTEXT

    def block_targets(self, index, rows=None):
        # Run where the scope has messages and none of them surely holds the requirement: there a finding is
        # possible (and, where no scope message can hold it at all, certain).
        scope = index.scope(self.scope)
        role = index.role(self.scope.role)
        sure, met = index.none(), index.none()
        for requirement, anywhere in zip(self.requirements, self.anywhere):
            if anywhere:
                met |= requirement.block_sure(index) & role
            else:
                sure |= requirement.block_sure(index)
        enough = index.count_per_conversation(role) >= self.min_messages
        return (index.channel(self.channels) & enough & index.per_conversation(scope)
                & ~index.per_conversation((scope & sure) | met))

    def check(self, conv):
        if len(conv.by_role(self.scope.role)) < self.min_messages:
            return
        scope = self.scope.select(conv)
        if not scope:
            return
        anchor = scope[0] if self.anchor == "first" else scope[-1]
        everywhere = conv.by_role(self.scope.role) if any(self.anywhere) else scope
        if conv.toolkit.trace is not None:
            # A trace notes the hits each search cancels on its way: message by message, as always.
            if any(req.search(view) for req, views in self._searched(scope, everywhere) for view in views):
                self._note_met(scope, everywhere, anchor)
                return
        elif self._met(scope, everywhere):
            return
        if self._learned(scope) is not None:
            return
        yield self.finding(conv, anchor)

    def _learned(self, scope) -> "tuple[object, float] | None":
        """(message, probability) of the last message of the scope the model weighs at its threshold or more,
        or None (and None without a model). Asked only where the requirements are not met: rarely."""
        model, only = self.model, self.model_only
        if model is None:
            return None
        for view in reversed(scope):
            # The probability first: it is rarely reached, and `only` is then searched for one message, not all.
            p = model.probability(view.norm.text, "")
            if p >= model.threshold and (only is None or only.search(view)):
                return view, p
        return None

    def _searched(self, scope, everywhere):
        """Each requirement with the messages it is looked for in: the scope, or every message of the role."""
        return [(req, everywhere if anywhere else scope) for req, anywhere in zip(self.requirements, self.anywhere)]

    def _met(self, scope, everywhere) -> bool:
        """Whether some requirement is met in some message it is looked for in. Requirement by requirement: the
        first (a resolution check's lexicon and patterns) is met far more often than those with clause conditions
        after it, which are then not weighed for the messages before the one that meets it. Last message first:
        what a conversation must have somewhere is mostly near its end (a resolution check follows the fix; on the
        dev set 8.5% fewer searches than first message first)."""
        return any(req.search(view) for req, views in self._searched(scope, everywhere) for view in reversed(views))

    def decided_by(self, conv, finding) -> list[str]:
        # A missing-thing finding judged wrong means the labeller saw the requirement met: what came closest, the
        # words a condition or an exception cancelled (traced), tells a rule author which condition to loosen.
        toolkit = conv.toolkit
        if toolkit.trace is not None:
            return []
        toolkit.trace = []
        try:
            list(self.check(conv))
            notes = [(at, text, reason) for owner, at, text, reason in toolkit.trace if owner == self.id]
        finally:
            toolkit.trace = None
        if not notes:
            return ["nothing in the scope came close: the wording is not covered", *self._weighed(conv)]
        return [f"«{text}» in message #{at} cancelled by {reason}" for at, text, reason in dict.fromkeys(notes)]

    def _weighable(self, scope):
        """The messages of the scope the model is asked about (`only`), last first, each tested when reached."""
        only = self.model_only
        return (view for view in reversed(scope) if only is None or only.search(view))

    def _weighed(self, conv) -> list[str]:
        """What the model made of the scope's messages, when the rule has one: the closest it came."""
        model = self.model
        scope = list(self._weighable(self.scope.select(conv))) if model is not None else []
        if not scope:
            return [f"the model {model.weights_name} weighed no message (none meets its `only`)"] if model else []
        scored = [(model.probability(view.norm.text, ""), view) for view in scope]
        p, view = max(scored, key=lambda pair: pair[0])
        pieces = model.model.strongest(features(view.norm.text, ""), 4)
        return [f"the model {model.weights_name} weighed message #{view.index} at {p:.2f} "
                f"(under {model.threshold}: {', '.join(pieces) or 'no piece for it'})"]

    @property
    def learnable_model(self) -> bool:
        return True

    @property
    def model_threshold(self) -> "float | None":
        return self.model.threshold if self.model is not None else None

    def model_examples(self, conv, labelled: bool, group: str) -> "RequiredExample | None":
        """What `calibrate --train-required` learns from one labelled conversation (`labelled`: it has a finding of
        this rule's category), or None where the rule does not judge it. Each message of the scope is an example:
        in a labelled conversation none asks what the rule requires; in one the requirements meet unlabelled, those
        they meet do and the others do not. Where the requirements fail and no finding was labelled, some message
        says it in words no pattern holds, but which one is not known: the conversation is only scored."""
        if len(conv.by_role(self.scope.role)) < self.min_messages:
            return None
        scope = self.scope.select(conv)
        if not scope:
            return None
        role = conv.by_role(self.scope.role)
        anywhere = any(req.search(view) for req, everywhere in zip(self.requirements, self.anywhere) if everywhere
                       for view in role)
        met = [any(req.search(view) for req in self._in_scope()) for view in scope]
        found = not (anywhere or any(met))
        learnt = labelled or not found
        weighed = set(map(id, self._weighable(scope)))  # what the model is asked about is what it learns from
        examples = [Example(group, features(view.norm.text, ""), not labelled and hit)
                    for view, hit in zip(scope, met) if id(view) in weighed]
        return RequiredExample(group, examples, learnt, found, labelled)

    def _in_scope(self):
        """The requirements looked for in the scope only (not `anywhere`)."""
        return [req for req, anywhere in zip(self.requirements, self.anywhere) if not anywhere]

    def _note_met(self, scope, everywhere, anchor) -> None:
        """Traces only: what met the requirement, noted at the message the finding would have been on (a miss
        of a labelled finding then says which words the rule took for what it requires)."""
        searched = self._searched(scope, everywhere)
        for view in everywhere:
            for req, views in searched:
                hits = req.find(view) if view in views else None
                if hits:
                    view.toolkit.note_cancelled(self.id, anchor, hits[0],
                                                f"required: met by {hits[0].text} in message #{view.index}")
                    return
