"""`sequence`: a trigger in one message requires (or forbids) something in a later or earlier message.

    trigger: {role: customer, lexicon: frustration-cues}
    expect:  {role: agent, where: next, require: {lexicon: apology-empathy}}

`where` is `next` (the next message of the expected role; findings point there), `before` or `after` (any
earlier / later message of that role; findings point at the trigger). `forbid` instead of `require` flags
what must not follow.

`trigger.model` adds a learned reading of the trigger's turn (turns.py): where the trigger's words find nothing, a
turn the model weighs as at least `threshold` likely to be labelled sets the rule off too.

`answer` (with `where: before`) accepts a short reply as meeting the requirement only when it answers a
question: `answer: {to: <matcher on the message just before it>, with: <matcher on the reply>}`. That is how
"可以" counts as consent after "我可以远程帮您看一下，您同意吗？" but not anywhere else.
"""
from __future__ import annotations

from ..turns import ends_turn, turn_start, turn_texts
from ..vocabulary import ROLES
from ..yamlfile import line_of
from .base import Draft, Rule
from .fields import MATCHER_FIELDS, Field

_WHERE = ("next", "before", "after")


class SequenceRule(Rule):
    """A trigger in one message requires, or forbids, something in a later or earlier message.

    Where the finding points: for `where: next`, at the next message of the expected role (with the forbidden
    words marked for `forbid`, without offsets for a missing `require`); if there is no such message yet, there is
    nothing to judge. For `before` and `after`, at the trigger message, with the trigger's words marked. Several
    triggers that point at the same reply give one finding."""

    TYPE = "sequence"
    FIELDS = (
        Field("trigger", "role + matcher", "`role` (default `customer`) plus [matcher fields](#matcher-fields): the "
              "message that sets the rule off; optionally `model:`", example="{role: customer, terms: [投诉, 太慢了]}",
              required=True, parts=("role", *MATCHER_FIELDS.names(), Field(
                  "model", "{weights: lexicon, threshold: P}", "a learned reading of the whole turn (the trigger "
                  "role's messages since the other side spoke, and the message before them): where the matcher "
                  "finds nothing in a turn's last message, a turn the weights (a lexicon of `piece<TAB>weight` "
                  "lines written by `qa-lint calibrate --train-trigger`) score at least P sets the rule off. "
                  "Conditions and exceptions apply to the matcher's hits only. `veto: V` (under P): where the "
                  "matcher's words hit, a turn the weights score under V sets nothing off (a mild cue in a plain "
                  "question). With `where: before` or `after` the trigger's message is weighed with its turn so "
                  "far, and `threshold` may be left out: `{weights, veto}` only silences the words where the "
                  "message does not do what the rule is about (远程 in a product's feature)",
                  example="{weights: frustration-stance, threshold: 0.85, veto: 0.005}"))),
        Field("expect", "role, where, require or forbid", "`role` (default `agent`), `where` (`next` (default), "
              "`before`, `after`), and exactly one of `require:` / `forbid:` (a matcher); optionally `answer:`",
              example="{role: agent, where: next, require: {terms: [抱歉]}}", required=True,
              parts=("role", "where", "require", "forbid", Field(
                  "answer", "{to: matcher, with: matcher}", "only with `require` and `where: before`: a short reply "
                  "matching `with` counts as the requirement when the message just before it (another role's) "
                  "matches `to` (可以 counts as consent only as the answer to 您同意吗)",
                  example="{to: {terms: [同意吗]}, with: {terms: [可以, 好的]}}"))),
        Field("once", "true | false", "`true`: report only the first failing trigger of a conversation",
              default="false", example="true"),
    )
    EXAMPLES = """\
  - id: c-empathy
    type: sequence
    category: empathy-missing
    message: "客户不满后的回复缺少致歉或安抚"
    trigger: {role: customer, terms: [太慢了, 投诉, 着急], exceptions: [不着急]}
    expect: {role: agent, where: next, require: {terms: [抱歉, 不好意思, 理解您]}}
    examples:
      flag: [[{customer: 太慢了吧}, {agent: 请提供订单号}]]
      pass:
        - [{customer: 太慢了吧}, {agent: 非常抱歉，请提供订单号}]
        - [{customer: 我不着急}, {agent: 好的}]
        - [{customer: 太慢了吧}]          # no reply yet: nothing to judge

  - id: c-remote
    type: sequence
    category: remote-no-consent
    severity: error
    message: "未经客户同意发起远程协助"
    trigger: {role: agent, terms: [远程协助, 向日葵]}
    expect:
      role: customer
      where: before
      require: {terms: [同意, 可以远程]}
      # A bare 可以 counts as consent only as the answer to a question that asks for it.
      answer: {to: {terms: [同意吗, 可以吗]}, with: {terms: [可以, 好的, 行]}}
    once: true                # report only the first unauthorised start
    examples:
      flag:
        - [{customer: 电脑坏了}, {agent: 我现在发起远程协助}]
        - [{customer: 可以}, {agent: 我现在发起远程协助}]
      pass:
        - [{customer: 可以远程吗}, {agent: 我现在发起远程协助}]
        - [{agent: 我远程帮您看看，您同意吗？}, {customer: 可以}, {agent: 我现在发起远程协助}]
"""

    def compile(self, spec, ctx):
        trigger = spec.get("trigger")
        expect = spec.get("expect")
        if not isinstance(trigger, dict) or not isinstance(expect, dict):
            ctx.error("sequence rule needs trigger: and expect: mappings", line_of(spec))
            trigger, expect = trigger if isinstance(trigger, dict) else {}, expect if isinstance(expect, dict) else {}
        fields = self.fields()
        self._unknown(trigger, fields["trigger"].part_names(), ctx, "trigger")
        self._unknown(expect, fields["expect"].part_names(), ctx, "expect")
        self.trigger_role = self._role(trigger, "customer", ctx, "trigger")
        self.trigger_model, self.trigger_veto = self._trigger_model(trigger, ctx)
        self.trigger = self.matcher(trigger, ctx, "trigger", required=not self.model_triggers)
        self.expect_role = self._role(expect, "agent", ctx, "expect")
        self.where = expect.get("where", "next")
        if self.where not in _WHERE:
            ctx.error(f"expect.where must be one of {', '.join(_WHERE)}", line_of(expect, "where"))
        if ("require" in expect) == ("forbid" in expect):
            ctx.error("expect needs exactly one of require: or forbid:", line_of(expect))
        self.forbid = "forbid" in expect
        self.expected = self.matcher(expect.get("forbid" if self.forbid else "require"), ctx, "expect")
        self.answer_to = self.answer_with = None
        answer = expect.get("answer")
        if answer is not None:
            if not isinstance(answer, dict) or set(answer) != {"to", "with"} or self.forbid or self.where != "before":
                ctx.error("expect.answer needs {to: matcher, with: matcher}, with require: and where: before", line_of(expect, "answer"))
            else:
                self.answer_to = self.matcher(answer["to"], ctx, "answer.to")
                self.answer_with = self.matcher(answer["with"], ctx, "answer.with")
        self.once = bool(spec.get("once", False))

    def _trigger_model(self, trigger, ctx) -> tuple:
        """trigger.model, and its `veto` (a probability under the threshold, or None). A model with a veto and no
        threshold only silences the trigger's words; it sets nothing off itself."""
        line = line_of(trigger, "model")
        value = trigger.get("model")
        model, given = self.learned_model(value, ctx, line, "trigger.model", ("veto",),
                                          threshold_optional=isinstance(value, dict) and "veto" in value)
        veto = given.get("veto")
        if veto is not None and (isinstance(veto, bool) or not isinstance(veto, (int, float)) or not 0 < veto < 1
                                 or (model is not None and model.threshold is not None and veto >= model.threshold)):
            ctx.error(f"trigger.model.veto must be a probability under the threshold, not {veto!r}", line)
            if model is not None and model.threshold is None:
                model = None  # a model kept for a veto that is not there would do nothing
            veto = None
        return model, veto

    @property
    def model_triggers(self) -> bool:
        """Does trigger.model set the rule off where the trigger's words find nothing (it has a threshold)?"""
        return self.trigger_model is not None and self.trigger_model.threshold is not None

    def requirement(self):
        # Every finding is about a trigger; a learned one may be any turn.
        return None if self.model_triggers else self.trigger.requirement()

    def matchers(self):
        return [m for m in (self.trigger, self.expected, self.answer_to, self.answer_with) if m is not None]

    def draft_judgement(self):
        # With `where: after` the finding points at the trigger and depends on what follows it.
        if self.where == "after":
            return Draft.LATER
        return super().draft_judgement()

    def prepare(self) -> None:
        if self.model_triggers:
            self.trigger_model.arrays()

    def _role(self, mapping, default, ctx, where):
        role = mapping.get("role", default)
        if role not in ROLES:
            # A misspelt role would make the rule silently never fire.
            ctx.error(f"{where}.role {role!r} must be one of {', '.join(ROLES)}", line_of(mapping, "role"))
            return default
        return role

    def block_rows(self, index):
        # Every finding is about a trigger: a message of the trigger's role where its matcher can hit, or that ends
        # a turn, for the model.
        rows = self.trigger.block_open(index)
        if self.model_triggers:
            rows = rows | self.trigger_model.block_open(index, self.trigger_role)
        return rows & index.role(self.trigger_role)

    def check(self, conv):
        reported: set[int] = set()
        # The block engine's possible triggers (block_rows); None: every message.
        for _, _, finding in self._judged(conv, conv.open_mask, answered_skipped=conv.toolkit.trace is None):
            if finding is None or finding.message_index in reported:
                continue
            reported.add(finding.message_index)
            yield finding
            if self.once:
                return

    def context_of(self, conv, index: int) -> "str | None":
        # A `next` rule judges a reply by the trigger role's turn just before it (a miss of empathy is in the
        # customer's words, which the reply alone does not show).
        msgs = conv.messages
        if self.where != "next" or not 0 < index < len(msgs) or msgs[index - 1].role != self.trigger_role:
            return None
        start = turn_start(msgs, index - 1)
        return f"{self.trigger_role}: " + " / ".join(view.text for view in msgs[start:index])

    def decided_by(self, conv, finding) -> list[str]:
        # The customer's words that set the rule off: the false hits of a cue list are counted by cue word
        # (calibrate's tally), which tells a rule author which word to narrow.
        for pos, trigger_hit, judged in self._judged(conv):
            if judged is not None and judged.message_index == finding.message_index:
                if self.trigger and self.trigger.first(conv.messages[pos]) is not None:
                    return [f"trigger: {trigger_hit.text} (message {pos})"]
                model = self.trigger_model
                p = model.probability(*turn_texts(conv.messages, pos))
                return [f"trigger: the model {model.weights_name} «{trigger_hit.text}» "
                        f"({p:.2f}: {', '.join(model.strongest(conv.messages, pos))}) (message {pos})"]
        return []

    def _judged(self, conv, opened=None, answered_skipped: bool = False):
        """(position, trigger hit, finding or None) for each message of the trigger's role that the trigger hits,
        among those `opened` (a bit per message index) lets through. With `answered_skipped` (the findings are
        all that is wanted), a `next` rule's trigger is not looked for where the reply it would judge already meets
        the expectation, or where there is no reply yet: neither can give a finding, and the reply is the cheaper
        question."""
        msgs = conv.messages
        answered = self._answered_replies(msgs) if answered_skipped else None
        for pos, view in enumerate(msgs):
            if view.role != self.trigger_role or (opened is not None and not opened >> view.index & 1):
                continue
            if answered is not None and answered(pos):
                continue
            trigger_hit = self.trigger.first(view) if self.trigger else None
            vetoable = trigger_hit is not None and self.trigger_veto is not None
            if trigger_hit is None and self.model_triggers:
                trigger_hit = self._learned_trigger(msgs, pos)
            if trigger_hit is not None:
                judged = self._judge(conv, msgs, pos, trigger_hit)
                # The veto is weighed only where it can take a finding away: most replies already answer the cue.
                if judged is not None and vetoable and self._vetoed(msgs, pos):
                    conv.toolkit.note_cancelled(self.id, view, trigger_hit, "the veto of "
                                                f"{self.trigger_model.weights_name} (the turn weighs under "
                                                f"{self.trigger_veto})")
                    continue
                yield pos, trigger_hit, judged

    def _answered_replies(self, msgs):
        """For a `next` rule that requires something: a test of a trigger position, true where the next message of
        the expected role meets the requirement or does not exist (each reply searched once). None otherwise."""
        if self.where != "next" or self.forbid:
            return None
        role, met = self.expect_role, {}

        def answered(pos: int) -> bool:
            target = next((m for m in msgs[pos + 1:] if m.role == role), None)
            if target is None:
                return True
            found = met.get(target.index)
            if found is None:
                found = met[target.index] = bool(self.expected.find(target))
            return found

        return answered

    def _vetoed(self, msgs, pos) -> bool:
        """Does trigger.model weigh the turn that holds msgs[pos] under its `veto`? Then the words that hit there are
        a mild cue in a turn nothing else marks as one the reply must answer (三天了 in a plain question), or, for a
        rule that points at the trigger (`where: before` / `after`), words of the act in a message that does not do
        it (远程 in a product's feature). A reply answers the whole turn; a trigger is weighed as far as it goes."""
        end = pos
        if self.where == "next":
            while end + 1 < len(msgs) and msgs[end + 1].role == msgs[pos].role:
                end += 1
        return self.trigger_model.probability(*turn_texts(msgs, end)) < self.trigger_veto

    def _learned_trigger(self, msgs, pos):
        """trigger.model's hit in the turn that ends at msgs[pos], unless the trigger's words hit anywhere in the
        turn: where the rule's author ruled on its words (a cue, or an exception or condition that cancels one),
        the model does not overrule them."""
        hit = self.trigger_model.hit(msgs, pos)  # rarely a hit: asked first, the words are looked at only then
        if hit is None:
            return None
        turn = msgs[turn_start(msgs, pos):pos + 1]
        if self.trigger and any(self.trigger.hits_before_cancelling(m) for m in turn):
            return None
        return hit

    def _judge(self, conv, msgs, pos, trigger_hit):
        role = self.expect_role
        if self.where == "next":
            target = next((m for m in msgs[pos + 1 :] if m.role == role), None)
            if target is None:
                return None
            found = self.expected.find(target)
            if self.forbid:
                return self.finding(conv, target, found[0], trigger=trigger_hit) if found else None
            return None if found else self.finding(conv, target, trigger=trigger_hit)
        if self._expectation_met(msgs, pos) == self.forbid:
            return self.finding(conv, msgs[pos], trigger_hit, trigger=trigger_hit)
        return None

    @property
    def learnable_trigger(self) -> bool:
        return True

    @property
    def trigger_examples_are(self) -> tuple[str, str]:
        if self.where == "next":
            return super().trigger_examples_are
        return "messages", "a message (with its turn so far) that does what the rule is about"

    def trigger_examples(self, conv, labelled: set[int], group: str) -> list:
        """What `calibrate --train-trigger` learns from one labelled conversation: each turn of the trigger's role
        that a reply of the expected role answers, when the reply does not already meet the expectation (no
        reviewer labels a reply with the apology it needs), as a TurnExample whose Example is positive when the
        reviewer labelled that reply with this rule's category (`labelled`: the indexes of those messages). For
        a rule that points at the trigger (`where: before` / `after`), each message of the trigger's role that
        the expectation does not meet (no consent before it), read with its turn so far."""
        from ..audience import Example
        from ..text.pieces import features
        from ..turns import TurnExample

        msgs = conv.messages
        if self.where != "next":
            return self._trigger_message_examples(msgs, labelled, group)
        examples = []
        for pos, view in enumerate(msgs):
            if view.role != self.trigger_role or not ends_turn(msgs, pos):
                continue
            target = next((m for m in msgs[pos + 1:] if m.role == self.expect_role), None)
            if target is None or bool(self.expected.find(target)) != self.forbid:
                continue
            turn = msgs[turn_start(msgs, pos):pos + 1]
            trigger = self.trigger
            examples.append(TurnExample(
                Example(group, features(*turn_texts(msgs, pos)), target.index in labelled),
                cued=bool(trigger) and any(trigger.first(m) is not None for m in turn),
                words_hit=bool(trigger) and any(trigger.hits_before_cancelling(m) for m in turn)))
        return examples

    def _trigger_message_examples(self, msgs, labelled: set[int], group: str) -> list:
        from ..audience import Example
        from ..text.pieces import features
        from ..turns import TurnExample

        examples = []
        for pos, view in enumerate(msgs):
            if view.role != self.trigger_role or self._expectation_met(msgs, pos) != self.forbid:
                continue
            trigger = self.trigger
            examples.append(TurnExample(
                Example(group, features(*turn_texts(msgs, pos)), view.index in labelled),
                cued=bool(trigger) and trigger.first(view) is not None,
                words_hit=bool(trigger) and bool(trigger.hits_before_cancelling(view))))
        return examples

    def _expectation_met(self, msgs, pos) -> bool:
        """Is the expectation met in the window of a `before` / `after` rule's trigger at msgs[pos]?"""
        role = self.expect_role
        window = msgs[:pos] if self.where == "before" else msgs[pos + 1:]
        found = any(self.expected.find(m) for m in window if m.role == role)
        if not found and self.answer_to is not None:
            found = any(self._answers(window, i) for i, m in enumerate(window) if m.role == role)
        return found

    def _answers(self, window, i) -> bool:
        """Is window[i] a short reply (answer.with) to a question (answer.to) in the message before it?"""
        previous = next((m for m in reversed(window[:i]) if m.role != "system"), None)
        if previous is None or previous.role == window[i].role:
            return False
        return self.answer_with.search(window[i]) and self.answer_to.search(previous)
