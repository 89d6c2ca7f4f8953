"""`jargon`: technical terms that need an explanation the first time the agent uses them.

A use is explained when a parenthesis follows the term, or an explanation marker (即, 也就是, 是指 …) stands
within `window` characters of it. The conversation is remembered: a term the agent explained earlier, or
that the customer used first, needs no explanation; only the first unexplained use of a term is reported.
"""
from __future__ import annotations

import re as stdlib_re
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

import regex

from ..audience import AudienceModel, ScoreRange, log_odds, sigmoid
from ..text import matching
from ..text.clauses import SENTENCE_END, PausedMatch, looks_like_question, with_pauses
from ..text.matching import RegexTimeout, Requirement, drop_inside, drop_overlapping, guarded_finditer
from ..text.prefilter import required_literals
from ..text.windows import plain
from ..yamlfile import line_of
from .base import PLACEHOLDER, Rule
from .conditions import compile_conditions
from .fields import MATCHER_FIELDS, Field

# What follows a term the customer asks about rather than uses.
_ASKED_ABOUT = regex.compile(r"\s*(是什么|是啥|是个啥|什么意思|啥意思|是指什么|指什么|又是什么|在哪|怎么设置|怎么弄)")

_NAME_WORDS = regex.compile(r"[^a-z0-9]+")
_ASKED_BEFORE = regex.compile(r"(什么|啥|哪个)(是|叫)?\s*$")


def _asked_about(text: str, start: int, end: int) -> bool:
    """Whether the words text[start:end] are asked about there (APN是什么？, 什么是SSID): a customer who asks has
    not used them as their own."""
    return _ASKED_ABOUT.match(text, end) is not None or _ASKED_BEFORE.search(text, max(0, start - 3), start) is not None


# A parenthesis opening within the same clause after the term: DNS（域名解析）, SAML 和 OIDC（两者都是…）.
_CLAUSE_END = "。！？!?；;\n"


class JargonRule(Rule):
    """Technical terms the agent must explain the first time they use them. The terms are given with the
    [matcher fields](#matcher-fields).

    The audience of a conversation is, in this order: a layperson cue from the customer; the audience the
    transcript names (`meta.audience`); the customer's own technical vocabulary; the configuration's `audiences`
    for its team or product line; a word of that name; the default.

    The conversation is remembered: a term the agent explained once, or that the customer said first, is not
    judged again; a term is reported once per conversation, at its first unexplained use. A term used twice in one
    message is explained if either use is.

    Jargon is judged for the audience. The audience of a conversation is, in this order: the default when the
    customer says they are not technical (`layperson_cues`); the audience the transcript names for its customer,
    `meta.audience` (one of `audiences`: the segment a CRM keeps for the account, say), whatever their words;
    `technical_customer`'s audience when the customer writes enough technical words of their own; the
    configuration's `audiences` for its team or product line; a word of that name (`product_keywords`);
    `default_audience`. Terms the audience `knows` are not judged."""

    TYPE = "jargon"
    SHARED = (MATCHER_FIELDS,)
    READS_META = "audience"  # the customer's audience, when the transcript knows it (see _given_audience)
    READS_SETTINGS = ("audiences", "audience_segments")
    # Who the customer is is read from all their messages, and a customer who asks back what a word meant, or an
    # agent who admits being too technical, reports an earlier message: a scan knows more than a draft's check.
    READS_AHEAD = True
    FIELDS = (
        Field("explained_by", "matcher", "a [matcher](#matcher-fields) of explanation markers (即, 也就是, 是指 …)",
              example="{terms: [即, 也就是, 是指], boundary: none}"),
        Field("explained_right_after", "matcher", "a [matcher](#matcher-fields) of markers too common to count "
              "anywhere near a term (就是, 一种): they explain a term only when they follow it (or the longer word "
              "holding it) within 3 characters in the same clause (DNS就是…, 光猫呢，就是…)",
              example="{terms: [就是, 一种], boundary: none}"),
        Field("explained_after", "matcher", "a [matcher](#matcher-fields) of restatement markers (就是说): they "
              "explain a term said before them within the window, not one after them (嗯 查到了 就是说 您这个网关… is "
              "a speaker's filler, not an explanation)", example="{terms: [就是说], boundary: none}"),
        Field("window", "whole number", "how many characters before or after a term a marker may stand, and how far "
              "after it a parenthesis may open", default="12", example="8"),
        Field("parenthesis", "true | false", "`true`: a parenthesis `(` `（` `【` `[` opening after the term, within the "
              "window and before the clause ends (`。！？；`), explains it", default="true", example="false"),
        Field("ignore_inside", "regular expressions", "one or a list: spans where terms are not judged (URLs, "
              "《titles》)", example="['https?://\\S+', '《[^》]*》']"),
        Field("introduced_inside", "regular expressions", "spans shown to the customer as they are (「quoted UI "
              "labels」, menu paths): terms there are not judged, and they count as introduced, so a later use of the "
              "same term needs no explanation (点击“扩容”… 扩容后…)", example="['「[^」]*」']"),
        Field("explained_inside", "regular expressions", "spans that are themselves explanations: a term inside one "
              "counts as explained", example="['（[^）]*）']"),
        Field("customer_first", "true | false", "`true`: a term the customer used before the agent needs no "
              "explanation, also inside a longer word (智能网关 introduces 网关), and so does a longer term holding it (固件 "
              "carries 固件升级)", default="true", example="false"),
        Field("audiences", "audience -> {knows: …}", "the terms each audience needs no explanation for: "
              "`{knows: [lexicon names]}` or `{knows: all}`", example="{consumer: {knows: []}, developer: {knows: all}}"),
        Field("default_audience", "audience name", "the audience when nothing else decides", default="consumer",
              example="consumer"),
        Field("technical_customer", "{min_terms, audience, vocabulary, patterns, cues, model}", "a customer who writes "
              "`min_terms` distinct terms as their own words (not 什么是APN) is that audience; `vocabulary` names lexicons "
              "of further words that count (服务器, 日志 …), `patterns` regular expressions whose matches count, each "
              "match a term of its own (an IP address, an API path); `cues`, a [matcher](#matcher-fields) over the "
              "customer's messages, makes them that audience by itself (我是公司的IT管理员, 给客户装了…: a customer who "
              "says they do technical work), and so does `addressed_as`, a matcher over the agent's messages (李工您好: "
              "the agent addresses an engineer); `model: {weights: LEXICON, threshold: P}` is asked last, when nothing "
              "else decided the audience: a lexicon of `piece<TAB>weight` lines (log-odds, `(bias)` the intercept) "
              "weighs the pieces of the customer's messages (every one to three characters without whitespace, Latin "
              "letters and digits as whole words), and a probability of at least P makes them that "
              "audience, one of at most 1 - P keeps them the default audience where only `product_keywords` "
              "would have decided; `likely: {threshold: Q, audience: NAME}` (Q < P) makes a probability of at least Q "
              "that other audience (a customer who reads likely technical knows a trade's everyday terms, not all) "
              "(`qa-lint calibrate --set DIR --train-audience FILE` learns the weights from the sets' "
              "`meta.customer`)",
              example="{min_terms: 2, audience: developer, vocabulary: [tech-vocabulary]}"),
        Field("product_keywords", "word -> audience", "a word of the team or product-line name decides the audience "
              "when the configuration's `audiences` names none", example="{cloud: developer}"),
        Field("acronyms", "{min, max, everyday, known_to}", "capital-letter abbreviations the lists do not hold "
              "(SKU, DPI) are terms too: `min`-`max` capitals typed as such and standing alone (or with a one-character "
              "grade after a hyphen: PHQ-9, FDX-B), not in the `everyday` lexicons (APP, VIP …) and not a product's "
              "generation (the II of R6 Mark II), judged only for "
              "audiences not in `known_to`",
              example="{min: 2, max: 5, everyday: [everyday-acronyms], known_to: [developer]}"),
        Field("business_customer", "{cues, audience}", "a customer who speaks for a business (我们店, 我司, or whom the "
              "agent calls 贵司): `cues`, a [matcher](#matcher-fields) over the conversation's messages, makes the "
              "conversation that audience unless the customer is technical",
              example="{cues: {lexicon: business-cues}, audience: merchant}"),
        Field("layperson_cues", "matcher", "what a non-technical customer says (不太懂, 老两口 …): such a customer is "
              "the default audience", example="{terms: [不懂, 不太懂], boundary: none}"),
        Field("acknowledged_by", "{cues, message, suggest}", "the agent admitting their last reply was too technical "
              "(不好意思，我说得太专业了): `cues`, a [matcher](#matcher-fields) over the agent's messages; the agent's "
              "message before the one that matches is reported (with `message`, which may use {trigger}) unless a "
              "term was already reported there, whatever the audience and whether or not a list holds its words; "
              "the term the customer asked about in between (啥是QoS, 什么记录) is marked when the reply holds it, "
              "else the finding has no words marked and `suggest` as its advice",
              example="{cues: {terms: [太专业], boundary: none}, message: 这条回复用了没有解释的专业说法}"),
        Field("not_followed_by", "{cues, seen_cues, message, suggest}", "the customer saying, in their reply to "
              "the agent's message, that they did not follow it (听不懂, 你说的这些我没看懂): `cues`, a [matcher](#matcher-fields) "
              "over the customer's message right after the agent's; that agent message is reported (with `message`, "
              "which may use {trigger}) unless a term was already reported there, whatever the audience and whether "
              "or not a list holds its words; the term the customer names in the reply (啥是QoS) is marked when the "
              "message holds it, else no words are marked and `suggest` is the advice; `seen_cues` (没看懂), a matcher "
              "too, count the same unless the agent's message ends with a question (then the customer answers about "
              "what they see). A customer's first message (what they came with: 短信我看不懂) answers nothing the "
              "agent said",
              example="{cues: {terms: [听不懂, 没听懂], boundary: none}, message: 用户随后表示没听懂}"),
        Field("asked_by_customer", "{patterns, ambiguous_patterns, echo_patterns, everyday_frequency, not_terms, message}",
              "words of the agent's message that the customer's next message asks the meaning of (X是什么意思, "
              "什么叫X): `patterns`, regular expressions over the customer's message with a group named `term` for "
              "the words asked about; `ambiguous_patterns`, questions that ask for a value as often (X是什么？: "
              "密码是什么？), which count only for words jieba's dictionary counts fewer than `everyday_frequency` "
              "(500) times; `echo_patterns`, the part of a word the customer caught and asks back (什么阀？ / 滤什么): "
              "one character is enough, and the word of the agent's last message that starts or ends with it is "
              "asked about (a word of one character is not, nor an everyday one); a part said twice (减 减什么) is "
              "the part, and with a group named `tail` (减什么器) the word must also end with it. Every pattern is also "
              "searched with a comma where the customer paused between clauses (a space that folding drops), so a "
              "question may end or start there (弦槽是啥 去哪修 / 啥意思 什么阀). The agent's first use of the "
              "words is reported (with `message`, which may use {match} and {trigger}) unless it was explained there or the customer said them first, whatever the audience "
              "and whether or not a list holds them; `not_terms`, lexicons of words that are no terms to explain (a "
              "program's name, 向日葵; what another standard judges, a remote session or a code asked for), nor is a part "
              "of one the agent's message holds (什么远程 after 远程控制). A pre-send draft has no answer yet: it is judged by "
              "the lists alone",
              example="{patterns: ['(?P<term>\\p{Han}{2,6}?)是什么意思'], not_terms: [remote-tools]}"),
        Field("answered_by_customer", "{confusion, when}", "a use of a term (meeting the `when` "
              "[conditions](#conditions-when-and-unless), e.g. a question) that the customer's next message answers "
              "without a `confusion` word (a [matcher](#matcher-fields) over it: 什么, 不懂, 在哪 …) is not reported: "
              "asked for the 固件版本, they gave it; with no answer yet (a pre-send draft) the use is judged as written",
              example="{when: [{sentence: {mood: question}}], confusion: {terms: [什么, 不懂], boundary: none}}"),
    )
    EXAMPLES = """\
  - id: j-terms
    type: jargon
    category: jargon-unexplained
    message: "术语「{match}」未加解释"
    suggest: 第一次提到时在括号里加一句解释
    terms: [{term: DNS, suggest: "DNS（域名解析服务）"}, CDN, 光猫, 端口映射]
    explained_by: {terms: [即, 也就是, 是指, 简单来说], boundary: none}
    window: 8                  # a marker up to 8 characters before or after the term explains it
    ignore_inside: ['https?://\\S+', '《[^》]*》']
    examples:
      flag:
        - 请修改DNS设置
        - 请修改ＤＮＳ设置
        - [{customer: 网不好}, {agent: 重启光猫}, {agent: 光猫灯亮吗}]     # flagged once, at its first use
        - 请检查一下端口映射是不是配置好了，另外运营商那边有一些限制，也就是说可能需要申请公网地址
      pass:
        - "请修改DNS（域名解析服务）设置"
        - "DNS也就是域名解析"
        - "简单来说，DNS负责把网址翻译成地址"
        - [{customer: 我的光猫坏了}, {agent: 请重启光猫}]               # the customer said it first
        - [{agent: 光猫也就是入户的调制解调器}, {agent: 请重启光猫}]          # explained earlier
        - [{agent: 光猫即入户的调制解调器，请重启光猫}]                   # any use in the message explained
        - 请看 https://x.com/cdn/a
        - 《CDN入门》第5章
"""

    def compile(self, spec, ctx):
        self.terms = self.matcher(spec, ctx)
        markers = spec.get("explained_by")
        self.markers = self.matcher(markers, ctx, "explained_by") if markers is not None else None
        adjacent = spec.get("explained_right_after")
        self.adjacent_markers = self.matcher(adjacent, ctx, "explained_right_after") if adjacent is not None else None
        restatements = spec.get("explained_after")
        self.restatements = self.matcher(restatements, ctx, "explained_after") if restatements is not None else None
        self.window = self.whole_number(spec, "window", 12, ctx)
        self.parenthesis = bool(spec.get("parenthesis", True))
        self.customer_first = bool(spec.get("customer_first", True))
        self.ignore = self._spans(spec, "ignore_inside", ctx)
        # Spans shown to the customer as they are (「quoted labels」, menu paths): not judged, like ignore_inside,
        # and a term there is introduced: 点击“扩容” lets a later 扩容后… pass.
        self.introduced = self._spans(spec, "introduced_inside", ctx)
        self.ignore = self.ignore + self.introduced
        self.explanations = self._spans(spec, "explained_inside", ctx)
        self.audiences = self._audiences(spec, ctx)
        self.default_audience = str(spec.get("default_audience", "consumer"))
        if self.audiences and self.default_audience not in self.audiences:
            ctx.error(f"default_audience {self.default_audience!r} is not one of the audiences ({', '.join(self.audiences)})", line_of(spec, "default_audience"))
        self.vocabulary = None
        self.technical_cues = None
        self.technical_address = None  # technical_customer.addressed_as
        self.audience_model = None  # technical_customer.model
        self.technical = self._technical(spec, ctx)
        keywords = spec.get("product_keywords") or {}
        if not isinstance(keywords, dict):
            ctx.error("product_keywords must map a word of a team or product-line name to an audience", line_of(spec, "product_keywords"))
            keywords = {}
        self.product_keywords = {str(k).lower(): str(v) for k, v in keywords.items()}
        for word, audience in self.product_keywords.items():
            if self.audiences and audience not in self.audiences:
                ctx.error(f"product_keywords: {word!r} maps to unknown audience {audience!r}", line_of(spec, "product_keywords"))
        self.acronyms = self._acronyms(spec, ctx)
        self.business = self._business(spec, ctx)
        cues = spec.get("layperson_cues")
        self.layperson = self.matcher(cues, ctx, "layperson_cues") if cues is not None else None
        self.acknowledged = self._acknowledged(spec, ctx)
        self.not_followed = self._not_followed(spec, ctx)
        self.answered = self._answered(spec, ctx)
        self.asked = self._asked(spec, ctx)
        self.audience_of: dict[str, str] = {}  # team or product line -> audience (configuration)
        self.segment_audience: dict[str, str] = {}  # a CRM's segment, casefolded -> audience (configuration)

    def configure(self, settings):
        problems = []
        for setting in self.READS_SETTINGS:
            mapping = settings.get(setting) or {}
            if not isinstance(mapping, dict):
                continue  # the configuration's own check reports a setting of the wrong shape
            usable = {}
            for key, value in mapping.items():
                audience = self._audience_named(value)
                if audience is None:
                    problems.append((setting, str(key), f"{key}: {value!r} is none of the audiences of {self.id} "
                                                        f"({', '.join(sorted(self.audiences))})"))
                else:
                    usable[str(key)] = audience
            if setting == "audiences":
                self.audience_of = usable
            else:
                self.segment_audience = {key.strip().casefold(): audience for key, audience in usable.items()}
        return problems

    def _audience_named(self, value) -> "str | None":
        """The rule's audience `value` names (Developer, " consumer " count), None if none; with no audiences
        defined (a rule of one's own without them) any name is taken as it is."""
        if not isinstance(value, str):
            return None
        if not self.audiences or value in self.audiences:
            return value
        wanted = value.strip().casefold()
        return next((name for name in self.audiences if name.casefold() == wanted), None)

    def _audiences(self, spec, ctx) -> dict[str, "frozenset[str] | None"]:
        """audience -> the folded terms it knows (None: it knows every term of the rule)."""
        value = spec.get("audiences")
        if value is None:
            return {}
        line = line_of(spec, "audiences")
        if not isinstance(value, dict):
            ctx.error("audiences must map an audience name to {knows: [lexicon names] or all}", line)
            return {}
        out: dict[str, frozenset[str] | None] = {}
        for name, body in value.items():
            knows = (body or {}).get("knows", []) if isinstance(body, dict) else None
            if knows is None or (isinstance(body, dict) and set(body) - {"knows"}):
                ctx.error(f"audience {name!r} must be a mapping with knows: [lexicon names] or knows: all", line_of(value, name) or line)
                continue
            if knows == "all":
                out[str(name)] = None
                continue
            terms: set[str] = set()
            for lexicon_name in [knows] if isinstance(knows, str) else knows:
                lexicon = ctx.lexicon_lookup(str(lexicon_name))
                if lexicon is None:
                    ctx.error(f"audience {name!r} knows unknown lexicon {lexicon_name!r}", line_of(value, name) or line)
                    continue
                terms.update(_folded_term(t.text) for t in lexicon.terms)
            out[str(name)] = frozenset(terms)
        return out

    def _business(self, spec, ctx) -> "tuple | None":
        value = spec.get("business_customer")
        if value is None:
            return None
        line = line_of(spec, "business_customer")
        if not isinstance(value, dict) or set(value) != {"cues", "audience"}:
            ctx.error("business_customer needs {cues: a matcher, audience: NAME}", line)
            return None
        audience = str(value["audience"])
        if self.audiences and audience not in self.audiences:
            ctx.error(f"business_customer.audience {audience!r} is not one of the audiences", line)
        return self.matcher(value["cues"], ctx, "business_customer.cues"), audience

    def _not_followed(self, spec, ctx) -> "NotFollowed | None":
        parsed = self._acknowledged(spec, ctx, "not_followed_by", extra=frozenset({"seen_cues"}))
        if parsed is None:
            return None
        seen = spec["not_followed_by"].get("seen_cues")
        seen_cues = self.matcher(seen, ctx, "not_followed_by.seen_cues") if seen is not None else None
        return NotFollowed(parsed[0], seen_cues, parsed[1], parsed[2])

    def _acknowledged(self, spec, ctx, field: str = "acknowledged_by", extra: "frozenset[str]" = frozenset()
                      ) -> "tuple | None":
        """acknowledged_by (or not_followed_by, the same shape with `extra` keys): (cues, message, advice) or None."""
        value = spec.get(field)
        if value is None:
            return None
        line = line_of(spec, field)
        allowed = {"cues", "message", "suggest"} | extra
        if not isinstance(value, dict) or not {"cues", "message"} <= set(value) <= allowed or not str(value["message"]).strip():
            more = "".join(f", {key}" for key in sorted(extra))
            ctx.error(f"{field} needs {{cues: a matcher, message: the finding's message}} and may add suggest: "
                      f"the advice when no term is marked{more}", line)
            return None
        message, advice = str(value["message"]), value.get("suggest")
        for name in PLACEHOLDER.findall(message):
            if name != "trigger":
                ctx.error(f"{field}.message uses {{{name}}}; only {{trigger}} is filled in", line)
        return self.matcher(value["cues"], ctx, f"{field}.cues"), message, advice

    def _asked(self, spec, ctx) -> "AskedAbout | None":
        value = spec.get("asked_by_customer")
        if value is None:
            return None
        line = line_of(spec, "asked_by_customer")
        allowed = {"patterns", "ambiguous_patterns", "echo_patterns", "everyday_frequency", "not_terms", "message"}
        if not isinstance(value, dict) or "patterns" not in value or set(value) - allowed:
            ctx.error("asked_by_customer needs {patterns: [regular expressions with a group named term]} and may add "
                      "ambiguous_patterns, echo_patterns, everyday_frequency: N, not_terms: [lexicon names] and "
                      "message", line)
            return None
        patterns = self.pattern_list(value, "patterns", ctx, "asked_by_customer pattern")
        ambiguous = self.pattern_list(value, "ambiguous_patterns", ctx, "asked_by_customer pattern")
        echoes = self.pattern_list(value, "echo_patterns", ctx, "asked_by_customer pattern")
        everyday = self.whole_number(value, "everyday_frequency", 500, ctx)
        for pattern in patterns + ambiguous + echoes:
            if "term" not in pattern.groupindex:
                ctx.error(f"asked_by_customer pattern {pattern.pattern!r} has no group named term: (?P<term>…)", line)
                return None
        not_terms = _lexicon_terms(value.get("not_terms"), ctx, "asked_by_customer.not_terms", line)
        message = value.get("message")
        for name in PLACEHOLDER.findall(str(message or "")):
            if name not in ("match", "trigger"):
                ctx.error(f"asked_by_customer.message uses {{{name}}}; only {{match}} and {{trigger}} are filled in",
                          line)
        every = [p.pattern for p in patterns + ambiguous + echoes]
        cues = self.matcher({"patterns": every, "boundary": "none"}, ctx, "asked_by_customer")
        return AskedAbout(cues, patterns, ambiguous, echoes, everyday, not_terms, str(message) if message else None)

    def _answered(self, spec, ctx) -> "tuple | None":
        value = spec.get("answered_by_customer")
        if value is None:
            return None
        line = line_of(spec, "answered_by_customer")
        if not isinstance(value, dict) or "confusion" not in value or set(value) - {"confusion", "when"}:
            ctx.error("answered_by_customer needs {confusion: a matcher over the customer's answer} and may add "
                      "when: [conditions on the term's use, e.g. {sentence: {mood: question}}]", line)
            return None
        conditions = compile_conditions({"when": value["when"]}, ctx, line_of) if "when" in value else None
        when = conditions.when if conditions is not None else []
        return when, self.matcher(value["confusion"], ctx, "answered_by_customer.confusion")

    def _answered_plainly(self, conv, view, hit) -> bool:
        """Whether the customer's next message answers the agent's use of a term without asking what it means:
        asked 固件版本是多少？ they reply v3.2.7, so the word meant something to them (asked 网关前面板的灯亮吗？ they
        reply 什么口？我不懂, and it did not). With no answer yet (the last message, a pre-send draft) it is judged
        as written."""
        when, confusion = self.answered
        answer = next((later for later in conv.messages[view.index + 1:] if later.role == "customer"), None)
        if answer is None:
            return False
        # Whether the answer asks (a matcher's look, remembered by text) before whether the use asks (clauses and
        # words around it): on the dev set most answers to a term's use ask. A trace keeps the order of old, in
        # which the confusion matcher looks only at the answers to questions.
        if view.toolkit.trace is None and confusion.search(answer):
            return False
        if not all(cond.holds(view, hit) for cond in when):
            return False
        if confusion.find(answer):
            return False
        view.toolkit.note_cancelled(self.id, view, hit, "answered_by_customer: answered without asking")
        return True

    def _acronyms(self, spec, ctx) -> "Acronyms | None":
        value = spec.get("acronyms")
        if value is None:
            return None
        line = line_of(spec, "acronyms")
        allowed = {"min", "max", "everyday", "known_to"}
        if not isinstance(value, dict) or set(value) - allowed:
            ctx.error("acronyms needs {min: N, max: N} and may add everyday: [lexicon names], known_to: [audiences]", line)
            return None
        low, high = value.get("min", 2), value.get("max", 5)
        if any(isinstance(n, bool) or not isinstance(n, int) for n in (low, high)) or not 1 <= low <= high <= 12:
            ctx.error(f"acronyms.min and max must be whole numbers with 1 <= min <= max <= 12, not {low!r} and {high!r}", line)
            return None
        everyday = _lexicon_terms(value.get("everyday"), ctx, "acronyms.everyday", line)
        known_to = value.get("known_to") or []
        known_to = frozenset(str(a) for a in ([known_to] if isinstance(known_to, str) else known_to))
        for audience in known_to:
            if self.audiences and audience not in self.audiences:
                ctx.error(f"acronyms.known_to names unknown audience {audience!r}", line)
        return Acronyms(low, high, everyday, known_to)

    @staticmethod
    def _name_words(conv) -> "frozenset[str]":
        return _name_words(tuple(_line_names(conv)))

    def _acronym_hits(self, view, hits) -> list:
        """Abbreviations typed in capitals (SKU, DPI) that no term list holds: a hit each, outside ignored spans."""
        if not view.may_hold_latin():
            return []  # an abbreviation is a Latin word: none here
        taken = [(h.nstart, h.nend) for h in hits]
        found = [
            view.hit(start, end) for start, end, _ in self.acronyms.abbreviations(view)
            if not any(s < end and start < e for s, e in taken)  # a listed term (DNS) already covers it
        ]
        if found and self.ignore:
            found = drop_inside(found, self._ignored(view))
        exceptions = self.terms.exceptions
        if found and exceptions:
            cancel = exceptions.find(view)  # the rule's exceptions cancel an abbreviation as they cancel a term
            if cancel:
                found = drop_overlapping(found, cancel)
        return found

    def _technical(self, spec, ctx):
        value = spec.get("technical_customer")
        if value is None:
            return None
        line = line_of(spec, "technical_customer")
        if not isinstance(value, dict) or not {"min_terms", "audience"} <= set(value) <= {"min_terms", "audience", "vocabulary", "patterns", "cues", "addressed_as", "model"}:
            ctx.error("technical_customer needs {min_terms: N, audience: NAME} and may add vocabulary: [lexicon names], "
                      "patterns: [regular expressions], cues and addressed_as: matchers, and model: {weights: a lexicon, "
                      "threshold: P}", line)
            return None
        self.audience_model = self._audience_model(value.get("model"), ctx, line)
        cues = value.get("cues")
        self.technical_cues = self.matcher(cues, ctx, "technical_customer.cues") if cues is not None else None
        address = value.get("addressed_as")
        self.technical_address = (self.matcher(address, ctx, "technical_customer.addressed_as")
                                  if address is not None else None)
        vocabulary, patterns = value.get("vocabulary"), value.get("patterns")
        spec_words = {"boundary": "none", **({"lexicon": vocabulary} if vocabulary else {}), **({"patterns": patterns} if patterns else {})}
        self.vocabulary = self.matcher(spec_words, ctx, "technical_customer.vocabulary") if vocabulary or patterns else None
        n = value["min_terms"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            ctx.error(f"technical_customer.min_terms must be a whole number of at least 1, not {n!r}", line)
            return None
        return n, str(value["audience"])

    def _audience_model(self, value, ctx, line) -> "AudienceReading | None":
        if value is None:
            return None
        threshold = value.get("threshold") if isinstance(value, dict) else None
        if (not isinstance(value, dict) or not {"weights", "threshold"} <= set(value) <= {"weights", "threshold", "likely"}
                or not _probability(threshold)):
            ctx.error("technical_customer.model needs {weights: a lexicon of word<TAB>weight lines, threshold: a "
                      "probability between 0 and 1} and may add likely: {threshold: a lower probability, audience: NAME}",
                      line)
            return None
        likely = value.get("likely")
        if likely is not None:
            if (not isinstance(likely, dict) or set(likely) != {"threshold", "audience"}
                    or not _probability(likely["threshold"]) or not likely["threshold"] < threshold):
                ctx.error("technical_customer.model.likely needs {threshold: a probability below the model's threshold, "
                          "audience: NAME}", line)
                return None
            if self.audiences and likely["audience"] not in self.audiences:
                ctx.error(f"technical_customer.model.likely.audience {likely['audience']!r} is not one of the audiences", line)
                return None
            likely = (float(likely["threshold"]), str(likely["audience"]))
        terms = self._lexicon_terms(value["weights"], ctx, line)
        try:
            model = AudienceModel.from_terms(terms)
        except ValueError as exc:
            ctx.error(f"technical_customer.model: {exc}", line)
            return None
        return AudienceReading(model, float(threshold), likely, ScoreRange(model))

    def _read_as_technical(self, conv) -> "tuple[str, str] | None":
        """Which technical audience the customer's own words read as (technical_customer.model: the sure one at the
        threshold, the `likely` one below it) and why, or None."""
        reading = self.audience_model
        if reading is None:
            return None
        threshold, likely = reading.threshold, reading.likely
        lowest = likely[0] if likely else threshold
        customers = conv.by_role("customer")
        score = reading.bound.at_most(view.norm.text for view in customers)
        if score < log_odds(lowest) - 1e-9:
            return None  # their pieces' score does not reach it: no set of pieces is made
        p = sigmoid(score)
        if p >= threshold:
            audience, how = self.technical[1], "a technical customer's"
        elif likely and p >= likely[0]:
            audience, how = likely[1], "likely a technical customer's"
        else:
            return None
        strongest = reading.bound.strongest(view.norm.text for view in customers)
        return audience, f"the customer's words read as {how} ({p:.2f}: {', '.join(strongest)})"

    def _read_as_layperson(self, conv) -> "str | None":
        """Why the customer's own words read as a layperson's as surely as the model's threshold asks of a technical
        reading (probability at most 1 - threshold), or None."""
        reading = self.audience_model
        if reading is None:
            return None
        score = reading.bound.at_least(view.norm.text for view in conv.by_role("customer"))
        if score > log_odds(1.0 - reading.threshold) + 1e-9:
            return None  # their pieces' score reads as no layperson's
        p = sigmoid(score)
        if p > 1.0 - reading.threshold:
            return None
        return f"the customer's words read as a layperson's ({p:.2f})"

    def _audience(self, conv, own_terms, terms_first: bool = True) -> tuple[str, str]:
        """The conversation's audience and why (for traces: calibrate --show-errors says who decided).
        `own_terms()` gives the customer's own terms (see _own_terms), asked only when they can decide: after
        the layperson cues, and with `terms_first` false after the cues that make the customer technical too."""
        said = _first_said(self.layperson, conv, conv.by_role("customer"))
        if said is not None:
            return self.default_audience, f"the customer says «{said}»"
        given = self._given_audience(conv)
        if given is not None:
            return given, f"meta.audience: {given}"
        if self.technical:
            technical = self.technical[1]
            # Their own terms, their cues and how the agent addresses them each make the customer technical; which
            # one says so matters only to a trace (it names the terms). The terms cost word boundaries and the
            # cues a matcher's look, so without a trace the cues are asked first.
            asks = [self._wrote_terms, self._says_technical, self._addressed_as_technical]
            if not terms_first:
                asks = asks[1:] + asks[:1]
            for ask in asks:
                why = ask(conv, own_terms)
                if why is not None:
                    return technical, why
        if self.business is not None:
            cues, audience = self.business
            said = _first_said(cues, conv, [v for v in conv.messages if v.role != "system"])
            if said is not None:
                return audience, f"a business speaks: «{said}»"
        names = _line_names(conv)
        for name in names:
            if name in self.audience_of:
                return self.audience_of[name], f"audiences: {name} in the configuration"
        for name in names:  # a built-in guess from the words of the name: d1-cloud, cloud-hosting, payments-care
            for word in _NAME_WORDS.split(name.lower()):
                if word in self.product_keywords:
                    # …which yields to a sure reading of the customer's own words (an HR clerk on an OCR line for
                    # developers: 我不会弄, 我们人事这边 …).
                    why = self._read_as_layperson(conv)
                    if why is not None:
                        return self.default_audience, why
                    return self.product_keywords[word], f"the product line {name} (product_keywords: {word})"
        if self.technical:
            # Nothing else decided: the customer's words as a whole (a model learnt from labelled conversations).
            reading = self._read_as_technical(conv)
            if reading is not None:
                return reading
        return self.default_audience, "default_audience"

    def _given_audience(self, conv) -> "str | None":
        """The audience the transcript names for its customer (`meta.audience`, e.g. the segment a CRM keeps for
        the account) when it is one of the rule's audiences: what the customer's words only let the rule guess."""
        if not self.audiences:
            return None
        meta = conv.team_and_meta()[1]
        given = meta.get("audience") if isinstance(meta, dict) else None
        if isinstance(given, int) and not isinstance(given, bool):
            given = str(given)  # a CRM's segment code (3), mapped by audience_segments as "3" is
        if not isinstance(given, str):
            return None
        # A CRM's own segment names (企业客户) are mapped by the configuration's audience_segments, which wins
        # over an audience of the same name (a CRM whose "consumer" segment holds small businesses); otherwise
        # the name is what counts, whatever an export did to its case and padding (Developer, " consumer ").
        if self.segment_audience:
            mapped = self.segment_audience.get(given.strip().casefold())
            if mapped is not None:
                return mapped
        return self._audience_named(given)

    def decided_by(self, conv, finding) -> list[str]:
        # A false hit is most often a technical customer taken for a layperson (docs/accuracy.md): say whom the
        # rule took them for, and why. Only for a term it judged by the audience: a word the customer asked
        # about, or a reply they did not follow, is reported whoever they are.
        if not (self.audiences or self.technical or self.business):
            return []
        judged = any(f.message_index == finding.message_index and f.start == finding.start
                     for f in self._term_findings(conv))
        return [self._audience_knows(conv)[2]] if judged else []

    def meta_problem(self, conv) -> "str | None":
        if not self.audiences:
            return None
        meta = conv.team_and_meta()[1]
        if not isinstance(meta, dict) or self._given_audience(conv) is not None:
            return None
        if meta.get("audience") is None or (isinstance(meta["audience"], str) and not meta["audience"].strip()):
            return None  # not known for this customer (null, or an empty cell): nothing named, nothing wrong
        return (f"meta.audience {meta['audience']!r} is none of the audiences of {self.id} "
                f"({', '.join(sorted(self.audiences))}) nor a segment of audience_segments in the configuration; "
                "its audience was worked out from the conversation")

    def _wrote_terms(self, conv, own_terms) -> "str | None":
        terms = own_terms()
        return f"the customer wrote {', '.join(sorted(terms))}" if len(terms) >= self.technical[0] else None

    def _says_technical(self, conv, own_terms) -> "str | None":
        # a customer who says they do technical work (我是公司的IT, 给客户装了…)
        said = self._once(conv, "says technical",
                          lambda: _first_said(self.technical_cues, conv, conv.by_role("customer")))
        return None if said is None else f"the customer says «{said}»"

    def _addressed_as_technical(self, conv, own_terms) -> "str | None":
        # the agent addresses the customer by a technical trade (李工您好: an engineer)
        said = self._once(conv, "addressed as technical",
                          lambda: _first_said(self.technical_address, conv, conv.by_role(self.scope.role)))
        return None if said is None else f"the agent addresses the customer as «{said}»"

    def _once(self, conv, question: str, answer):
        """`answer()`, worked out once per conversation: who the customer may be is asked before any message
        (_reads_as_technical_first) and again when the audience is read."""
        key = (id(self), question)
        memos = conv.memos
        if key not in memos:
            memos[key] = answer()
        return memos[key]

    def requirement(self):
        # Abbreviations are found without a term list (any capitals may be one): then there is no shortcut.
        if self.acronyms is not None:
            return None
        # An admission (说得太专业了) or a customer asking what a word means reports a message whatever its words.
        cues = [self.acknowledged[0] if self.acknowledged else None, self.asked.cues if self.asked else None,
                self.not_followed.cues if self.not_followed else None,
                self.not_followed.seen_cues if self.not_followed else None]
        if not any(cues):
            return self.terms.requirement()
        return Requirement.any_of([self.terms.requirement()] + [c.requirement() for c in cues if c is not None])

    def matchers(self):
        return [m for m in (self.terms, self.markers, self.adjacent_markers, self.restatements) if m is not None]

    def replacement_for(self, finding):
        # A jargon term's own suggestion is its explanation: the term stays and the explanation follows it.
        own = super().replacement_for(finding)
        return None if not own else f"{finding.text}（{own}）"

    def _spans(self, spec, field, ctx):
        # With the literals every match needs (:// for a URL, 《 for a title), most messages are not searched; one
        # search for any of them (an alternation of the plain strings) answers `any(literal in text)`.
        spans = []
        for pattern in self.pattern_list(spec, field, ctx, f"{field} pattern"):
            literals = required_literals(pattern)
            gate = None if literals is None else stdlib_re.compile("|".join(map(stdlib_re.escape, sorted(literals)))).search
            spans.append((pattern, gate))
        return spans

    @staticmethod
    def _span_list(patterns, view) -> list[tuple[int, int]]:
        text = view.norm.text
        spans = []
        reference = view.toolkit.reference
        for pattern, gate in patterns:
            if gate is not None and not reference and gate(text) is None:
                continue
            if reference:
                pattern = plain(pattern)  # the whole text, not windows (text/windows.py)
            try:
                spans.extend(m.span() for m in guarded_finditer(pattern, text))
            except TimeoutError:
                raise RegexTimeout(pattern.pattern) from None
        return spans

    def _ignored(self, view) -> list[tuple[int, int]]:
        """The spans of `ignore_inside` in the message; like TextMatcher.find, they depend on its text alone, so a
        short text's are found once (replies repeat)."""
        if view.toolkit.reference:
            return self._span_list(self.ignore, view)
        return matching.remembered(self.__dict__.setdefault("_ignored_memo", {}), view, self._ignored_spans)

    def _ignored_spans(self, view) -> list[tuple[int, int]]:
        return self._span_list(self.ignore, view)

    def _note_known(self, views, why: str) -> None:
        """Traces only: every term hit of these messages is known to the audience (calibrate --show-errors)."""
        for view in views:
            if view.role == self.scope.role:
                for hit in self._hits(view):
                    view.toolkit.note_cancelled(self.id, view, hit, why)

    def _introduced(self, view, abbreviations: bool = False) -> dict[str, int]:
        """The terms of the message inside `introduced_inside` spans, each with where it is first shown: known from
        there on (点击“扩容”… 扩容后…; but 需要先红冲… 点「红冲」 used it before showing it). With `abbreviations`,
        the abbreviations shown there too (把「RUN/STOP」开关拨到STOP)."""
        found = self.terms.find(view)
        spans = self._span_list(self.introduced, view) if found or abbreviations else []
        first: dict[str, int] = {}
        for h in found:
            if any(s <= h.nstart and h.nend <= e for s, e in spans):
                key = _key(h)
                first[key] = min(first.get(key, h.nstart), h.nstart)
        if abbreviations:
            # Any Latin word of a label counts: one of several (RUN/STOP) is no abbreviation standing alone.
            text = view.norm.text
            for s, e in spans:
                for m in _LATIN_RUN.finditer(text, s, e):
                    first[m.group()] = min(first.get(m.group(), m.start()), m.start())
        return first

    def _hits(self, view):
        hits = self.terms.find(view)
        if hits and self.ignore:
            hits = drop_inside(hits, self._ignored(view))
        return hits

    def _explainers(self, view, hits) -> tuple:
        """What in the message may explain one of `hits`: explanation markers, spans that are an explanation,
        markers right after a term, restatements (the arguments of _explanation after the hit)."""
        marker_hits = self.markers.find(view) if self.markers else []
        restatement_hits = self.restatements.find(view) if self.restatements else []
        explanations = self._span_list(self.explanations, view) if self.explanations else []
        adjacent_hits = self.adjacent_markers.find(view) if self.adjacent_markers else []
        if adjacent_hits:
            # Only the markers that follow a term explain; the words after one are that explanation, so a
            # term inside it (APN就是…接入点名称) is part of explaining, not new jargon.
            text = view.norm.text
            adjacent_hits = [m for m in adjacent_hits
                             if any(_follows(text, h, m, _ADJACENT_GAP, view.pauses) for h in hits)]
            if adjacent_hits and view.pauses:
                # A pause the speaker made (固件是老版本 跟…) ends what follows the marker: a state, no definition.
                adjacent_hits = [m for m in adjacent_hits if _said_before_pause(text, m.nend, view.pauses)]
            explanations = explanations + [(m.nend, _clause_end(text, m.nend, self.window)) for m in adjacent_hits]
        return marker_hits, explanations, adjacent_hits, restatement_hits

    def _explanation(self, view, hit, marker_hits, explanations, adjacent_hits=(), restatement_hits=()) -> "str | None":
        """What explains this use of the term (for traces: calibrate --show-errors says it), or None."""
        text = view.norm.text
        if any(start <= hit.nstart and hit.nend <= end for start, end in explanations):
            return "it stands inside an explanation"
        pauses = view.pauses
        for m in adjacent_hits:
            if _follows(text, hit, m, _ADJACENT_GAP, pauses):
                return f"«{m.text}» right after it"
        if self.parenthesis:
            # The parenthesis explains the word it follows or the list that ends there (SAML 和 OIDC（…）), not a
            # word across a comma or a pause, and it holds words: a face (・ω・) explains nothing.
            for pos in range(hit.nend, min(len(text), hit.nend + self.window)):
                if text[pos] in "(【[":
                    return "a parenthesis after it" if _HOLDS_WORDS.match(text, pos + 1) else None
                if text[pos] in _PARENTHESIS_STOPS or (pos > hit.nend and pos in pauses):
                    break
        for m in marker_hits:
            if m.nstart < hit.nend + self.window and m.nend > hit.nstart - self.window and not _inside(m, hit) \
                    and not _sentence_between(text, hit, m):
                return f"«{m.text}» near it"
        for m in restatement_hits:
            if hit.nend <= m.nstart < hit.nend + self.window:
                return f"«{m.text}» after it"
        return None

    def _vocabulary(self, view) -> set[str]:
        """The terms a customer uses as their own words: whole words, outside titles and URLs, and not
        asked about (APN是什么？ shows the customer does not know it)."""
        hits = self._hits(view)
        if self.vocabulary is not None:
            extra = self.vocabulary.find(view)
            if extra and self.ignore:
                extra = drop_inside(extra, self._ignored(view))
            hits = hits + extra
        if not hits:
            return set()
        text = view.norm.text
        return {_key(h) for h in hits if not _asked_about(text, h.nstart, h.nend)}

    def _audience_knows(self, conv) -> "tuple[frozenset[str] | None, bool, str]":
        """The terms the conversation's audience knows (None: all), whether it knows abbreviations, and who it is
        and why (for traces)."""
        read: list = []  # the customer's own terms, once read

        def own_terms() -> set[str]:
            if not read:
                read.append(self._own_terms(conv))
            return read[0]

        traced = conv.toolkit.trace is not None
        if traced:
            own_terms()  # a trace reads them first, as it always has: reading them notes what it cancels
        audience, why = self._audience(conv, own_terms, terms_first=traced)
        knows = self.audiences.get(audience, self.audiences.get(self.default_audience, frozenset()))
        return knows, self.acronyms is None or audience in self.acronyms.known_to, f"audience {audience}: {why}"

    def _own_terms(self, conv) -> set[str]:
        """The distinct terms the customer writes as their own words (technical_customer), in a trace all of them,
        else only until there are min_terms."""
        customer_terms: set[str] = set()
        customers = conv.by_role("customer")
        # Only their number counts (technical_customer.min_terms): when the customer's candidates and abbreviations
        # cannot make that many, their words are not read (word boundaries, titles, URLs) at all.
        if self.technical is not None and self._may_be_technical(conv):
            # Which terms they are is told only in traces: without one, reading stops at min_terms (on the 20 MB
            # benchmark corpus 1,174 of the 1,501 customers read here reach it before their last message: 2,343 of
            # their 6,144 messages are read).
            enough = self.technical[0] if conv.toolkit.trace is None else None
            # The product's own name (ERP on an ERP line's chat) is what every customer of it calls it.
            names = self._name_words(conv)
            for view in customers:
                customer_terms |= self._vocabulary(view)
                if self.acronyms is not None:
                    # A customer who types technical abbreviations (OBS, SCIM, KDS) writes technical vocabulary too.
                    customer_terms |= self._own_abbreviations(view)
                customer_terms -= names
                if enough is not None and len(customer_terms) >= enough:
                    break
        return customer_terms

    def _own_abbreviations(self, view) -> set[str]:
        """The customer's abbreviations in capitals outside titles, URLs and quotes (not 《Python API入门》), and
        not asked about (什么是SSID asks what the agent's word means: it is no word of theirs)."""
        if not view.may_hold_latin():
            return set()  # an abbreviation is a Latin word: none here
        found = self.acronyms.abbreviations(view)
        if found and self.ignore:
            spans = self._ignored(view)
            found = [f for f in found if not any(s <= f[0] and f[1] <= e for s, e in spans)]
        text = view.norm.text
        return {word for start, end, word in found if not _asked_about(text, start, end)}

    def _may_be_technical(self, conv) -> bool:
        """False when the customer's messages certainly hold fewer than min_terms distinct terms of their own: the
        candidates of the term lists (what _vocabulary keeps is among them), the matches of the patterns and the
        abbreviations give fewer keys. Worked out once per conversation: asked before any message
        (_reads_as_technical_first) and again when the customer's own terms are read (1.6 times per conversation
        on the benchmark corpus)."""
        return self._once(conv, "may be technical", lambda: self._bound_reached(conv))

    def _bound_reached(self, conv) -> bool:
        need = self.technical[0]
        keys: set[str] = set()
        for found in self._possible_own_terms(conv, conv.by_role("customer")):
            keys.update(found)
            if len(keys) >= need:
                return True
        return False

    def _possible_own_terms(self, conv, customers):
        """What may be the customer's own terms, as sets of keys, the cheapest first (the bound is their union,
        whose size is the same in any order): the lists' candidates (looked up), the abbreviations, then the
        patterns' matches (regular expressions searched)."""
        matchers = [m for m in (self.terms, self.vocabulary) if m is not None]
        for matcher in matchers:
            terms = matcher.terms
            if terms is None:
                continue
            listed, list_id = terms.terms, terms.list_id
            for view in customers:
                candidates = view.term_candidates().get(list_id)
                if candidates:
                    yield {_folded_term(listed[idx].text) for _, _, idx in candidates}
        if self.acronyms is not None:
            for view in customers:
                if view.may_hold_latin():
                    yield self._own_abbreviations(view)
        for which, matcher in enumerate(matchers):
            patterns = matcher.patterns
            if patterns is not None and patterns.may_run_in(conv):
                # A pattern's hit is a term of its own text: each distinct match counts once (a regex search, no
                # segmenting; matches _vocabulary would drop, inside a URL or asked about, only make the bound looser).
                for view in customers:
                    if patterns.may_run(view):
                        yield self._pattern_keys(which, patterns, view)

    def _pattern_keys(self, which: int, patterns, view) -> "frozenset[str]":
        """The distinct matches of the patterns of matcher `which` (0: the terms', 1: the vocabulary's) in the
        message. They depend on its text alone, and customers' short replies repeat (the pattern of units runs
        on every message with a digit): a short text's are found once."""
        def matches(view) -> "frozenset[str]":
            text = view.norm.text
            return frozenset(text[start:end] for start, end in patterns.spans(view))

        if view.toolkit.reference:
            return matches(view)
        memos = self.__dict__.setdefault("_pattern_keys_memo", ({}, {}))
        return matching.remembered(memos[which], view, matches)

    def _raw_terms(self, view) -> set[str]:
        """The folded terms a message holds, also inside longer words (智能网关 holds 网关)."""
        matcher = self.terms.terms
        if matcher is None:
            return set()
        candidates = view.term_candidates().get(matcher.list_id)
        if not candidates:
            return set()
        keys = self._term_keys()
        return {keys[idx] for _, _, idx in candidates}

    def block_rows(self, index):
        # Findings are the agent's (the scope role's) unexplained terms: a message of that role with a term.
        # Only the scope role's messages are skipped by it: the customer's are read for the words they know.
        opened = self.terms.block_open(index)
        if self.acronyms is not None:
            acronyms = self.acronyms  # a message with an abbreviation holds such a run of capitals (see there)
            opened = opened | index.capital_words(acronyms.min, acronyms.max, acronyms.everyday)
        if self.acknowledged is not None:
            opened = opened | self.acknowledged[0].block_open(index)
        if self.not_followed is not None:
            # The reply is the customer's; the message it answers is any agent message before it.
            cues = self.not_followed.cues.block_open(index)
            if self.not_followed.seen_cues is not None:
                cues = cues | self.not_followed.seen_cues.block_open(index)
            lost = index.per_conversation(cues & index.role("customer"))
            opened = opened | index.messages_of(lost)
        if self.asked is not None:
            # The question is the customer's; the words asked about are in any agent message before it.
            asking = index.per_conversation(self.asked.cues.block_open(index) & index.role("customer"))
            opened = opened | index.messages_of(asking)
        return opened & index.role(self.scope.role)

    def prepare(self):
        if self.audience_model is not None:
            self.audience_model.bound.prepare()

    def check(self, conv):
        if self.acknowledged is None and self.asked is None and self.not_followed is None:
            yield from self._term_findings(conv)
            return
        findings = list(self._term_findings(conv))
        if self.asked is not None:
            findings += self._asked_findings(conv, findings)
        if self.acknowledged is not None:
            findings += self._acknowledged_findings(conv, {f.message_index for f in findings})
        if self.not_followed is not None:
            findings += self._not_followed_findings(conv, {f.message_index for f in findings})
        yield from sorted(findings, key=lambda f: (f.message_index, f.start if f.start is not None else -1))

    def _asked_findings(self, conv, reported: list) -> list:
        """The words the customer asks the meaning of (X是什么意思, 什么叫X) where the agent used them first without
        explaining them, and no finding marks them yet: that customer did not know them, whatever the lists hold
        and whoever the audience is."""
        asked = self.asked
        if not asked.cues.may_match_in(conv):
            return []
        found: list = []
        said = {_folded_term(f.text) for f in reported if f.text}
        last = None  # the scope role's last message before this one: what a question answers
        for view in conv.messages:
            if view.role == self.scope.role:
                last = view
                continue
            # A customer's question before the agent said anything (what they came with) asks about nothing the
            # agent said: its patterns are not searched.
            if view.role != "customer" or last is None:
                continue
            for question, kind in asked.questions(view):
                finding = self._asked_use(conv, view, last, question, kind, said)
                if finding is not None:
                    said.add(_folded_term(finding.text))
                    found.append(finding)
        return [f for f in found if not any(_overlaps(f, r) for r in reported)]

    def _asked_use(self, conv, asking, last, question, kind: str, said: set[str]):
        """The finding for the words `question` (a match of asked_by_customer) asks about: at the agent's first use
        of them, when `last` (the agent's message the question answers) holds them too; None when they were
        explained, said by the customer first, reported already or no terms."""
        asked = question.group("term")
        if kind == ECHO:
            if len(asked) == 2 and asked[0] == asked[1]:
                asked = asked[0]  # a part said twice is a stutter (减 减什么器 folds to 减减什么器)
            words = _echoed_word(last, asked, leads=not question.group(0).endswith(asked))
            tail = question.groupdict().get("tail")
            if words is not None and tail and not words.endswith(tail):
                words = None  # 排什么号 caught the word's first and last characters: 排号, not 排队
        else:
            # The question may hold more than the words: the longest end of it the agent's message holds (folding
            # drops the 、 of 支数、克重这些我看不懂, and the question is about the last of a list).
            words = next((asked[i:] for i in range(len(asked) - 1) if asked[i:] in last.norm.text), None)
        if words is None or _names_no_term(words, self.asked.not_terms, last.norm.text):
            return None
        trace = asking.toolkit.trace is not None
        if kind != PLAIN and asking.toolkit.segmenter.frequency(words) >= self.asked.everyday_frequency:
            if trace:  # 密码是什么？ asks for the password
                at = last.norm.text.find(words)
                last.toolkit.note_cancelled(self.id, last, last.hit(at, at + len(words)),
                                            "asked_by_customer: an everyday word, asked for its value")
            return None
        for view in conv.messages[:asking.index]:
            if view.role != self.scope.role:
                if words in view.norm.text:
                    return None  # the customer said them first
                continue
            at = view.norm.text.find(words)
            if at < 0 or any(s <= at < e for s, e in self._ignored(view)):
                continue
            hit = view.hit(*_whole_words(view, at, at + len(words)))
            if any(c.isspace() for c in hit.text):
                hit = view.hit(at, at + len(words))  # widened over a line break (地址 / 5. …): the words alone
            key = _folded_term(hit.text)
            if key in said or key in self.asked.not_terms:
                return None
            # Only an explanation that follows the words counts (闷缸，也就是…; a parenthesis): a marker before
            # them (意思是胎宽175毫米 扁平比65) explained something else, since the customer still asks.
            markers, explanations, adjacent_hits, _ = self._explainers(view, [hit])
            markers = [m for m in markers if _follows(view.norm.text, hit, m, _ADJACENT_GAP, view.pauses)]
            explained = self._explanation(view, hit, markers, explanations, adjacent_hits)
            if explained is not None:
                if trace:
                    view.toolkit.note_cancelled(self.id, view, hit, f"asked_by_customer: explained: {explained}")
                return None
            trigger = asking.hit(question.start(), question.end())
            return self.finding(conv, view, hit, trigger=trigger, message_template=self.asked.message)
        return None

    def _acknowledged_findings(self, conv, reported: set[int]) -> list:
        """The agent's messages their next message calls too technical (不好意思，我说得太专业了), not reported yet."""
        cues, template, advice = self.acknowledged
        if not cues.may_match_in(conv):
            return []
        found = []
        previous = None  # the scope role's last message before this one
        for view in conv.messages:
            if view.role != self.scope.role:
                continue
            if previous is not None and previous.index not in reported:
                admitted = cues.find(view)
                if admitted:
                    hit = self._asked_term(conv, previous, view.index)
                    finding = self.finding(conv, previous, hit, trigger=admitted[0], message_template=template)
                    if hit is None and advice:
                        finding = replace(finding, suggestion=str(advice))
                    found.append(finding)
                    reported.add(previous.index)
            previous = view
        return found

    def _not_followed_findings(self, conv, reported: set[int]) -> list:
        """The agent's messages the customer's reply says they did not follow (听不懂 / 你说的这些我没看懂), not
        reported yet. The reply is the next message that is not the system's; the customer's first message is what
        they came with (通知短信我看不懂), no answer to the agent."""
        cues, seen_cues, template, advice = self.not_followed
        if not cues.may_match_in(conv) and (seen_cues is None or not seen_cues.may_match_in(conv)):
            return []
        found = []
        messages = [v for v in conv.messages if v.role != "system"]
        spoken = False  # the customer has written before the agent's message
        for view, reply in zip(messages, messages[1:]):
            if view.role == "customer":
                spoken = True
                continue
            if view.role != self.scope.role or reply.role != "customer" or not spoken or view.index in reported:
                continue
            lost = cues.find(reply)
            if not lost and seen_cues is not None and not _ends_asking(view.norm.text):
                lost = seen_cues.find(reply)
            if lost:
                hit = self._asked_term(conv, view, reply.index + 1)
                finding = self.finding(conv, view, hit, trigger=lost[0], message_template=template)
                if hit is None and advice:
                    finding = replace(finding, suggestion=str(advice))
                found.append(finding)
                reported.add(view.index)
        return found

    def _asked_term(self, conv, reply, end: int):
        """The words of `reply` the customer asked about in the messages after it up to index `end` (啥是QoS, 什么记录,
        固件是什么), as a hit over the words of the reply that hold them; None when the customer named nothing the
        reply holds."""
        text = reply.norm.text
        for view in conv.messages[reply.index + 1:end]:
            if view.role != "customer":
                continue
            for m in _ASKS_ABOUT.finditer(view.norm.text):
                asked = m.group("before") or m.group("after")
                at = text.find(asked)
                if at >= 0:
                    start, end = _whole_words(reply, at, at + len(asked))
                    return reply.hit(start, end)
        return None

    def _customer_known(self, messages, read_up_to: int, pos: int, known: set[str]) -> "tuple[set[str], int]":
        """`known` with the terms (and Latin words) of the customer's messages from read_up_to to pos, which they
        introduced (customer_first), and where reading stopped."""
        for earlier in messages[read_up_to:pos]:
            if earlier.role == "customer" and earlier.role != self.scope.role:
                known |= self._raw_terms(earlier)
                if self.acronyms is not None and earlier.may_hold_latin():
                    known |= self.acronyms.words(earlier)
        return known, pos

    def _reads_as_technical_first(self, conv) -> bool:
        """Whether to work out the audience before any message: when the customer may be technical (they say they
        do technical work, the agent addresses them as an engineer, or they have enough candidate terms of their
        own). Then an unexplained term, which asks for the audience, is likely anyway, and a technical audience
        knows every term, so no agent message needs its word boundaries: on the dev set's varied text, 36% fewer
        blocks segmented for 47% more customer text read by the audience model, 8% less CPU for the rule. The
        audience depends on the conversation alone, so asking for it earlier changes no finding."""
        if self._given_audience(conv) is not None:
            return True  # the transcript names it: nothing to read, and it may know every term
        if self.technical is None:
            return False
        return (self._says_technical(conv, None) is not None or self._addressed_as_technical(conv, None) is not None
                or self._may_be_technical(conv))

    def _listed_keys(self, view) -> "set[str] | None":
        """The terms of the list the message's hits can be, read from its candidates without word boundaries (a
        hit is a candidate that covers whole words outside ignored spans; a term introduced here is one too); None
        when it has none, and in traces and on the reference path, which judge every message as written."""
        toolkit = view.toolkit
        if toolkit.trace is not None or toolkit.reference:
            return None
        return self._raw_terms(view) or None

    def _term_keys(self) -> list[str]:
        """The folded form of each term of the list, by its index (what _key gives a hit of it)."""
        keys = self.__dict__.get("_list_keys")
        if keys is None:
            keys = self.__dict__["_list_keys"] = [_folded_term(term.text) for term in self.terms.terms.terms]
        return keys

    def _only_listed(self, view, acronyms_known: bool) -> bool:
        """Whether every hit the message may have is one of the list's terms: no pattern of the rule can match
        (a snake_case identifier is a term of its own text) and no abbreviation stands here."""
        patterns = self.terms.patterns
        if patterns is not None and patterns.may_run(view):
            return False
        return self.acronyms is None or acronyms_known or not view.may_hold_latin() \
            or not self.acronyms.abbreviations(view)

    def _term_findings(self, conv):
        known: set[str] = set()  # folded terms explained, known to the audience, or introduced by the customer
        audience_known = not (self.audiences or self.technical or self.business)
        acronyms_known = False  # the audience knows abbreviations (worked out with the audience)
        if self.acronyms is not None:
            known |= self._name_words(conv)  # a product line's own name (CRM in crm-saas) needs no explaining
        opened = conv.open_mask  # the block engine's scope messages that can hold a term (block_rows)
        messages = conv.messages
        # The customer's words are read only when an agent message has a term to judge (most have none), and then
        # those of every customer message before it not read yet: `known` is consulted only there.
        read_up_to = 0
        audience_terms: "frozenset[str]" = frozenset()  # what the audience knows, for traces
        audience_note = ""
        # A trace keeps the old order: it notes what the audience cancels where the audience is asked for.
        if not audience_known and conv.toolkit.trace is None and self._reads_as_technical_first(conv):
            audience_known = True
            knows, acronyms_known, audience_note = self._audience_knows(conv)
            if knows is None:
                return
            known |= knows
            audience_terms = knows
        for pos, view in enumerate(messages):
            if view.role == "system" or view.role != self.scope.role:
                continue
            if opened is not None and not opened >> view.index & 1:
                continue
            keys = self._listed_keys(view)
            if keys:
                if self.customer_first:
                    known, read_up_to = self._customer_known(messages, read_up_to, pos, known)
                if all(key in known or _holds_known(key, known) for key in keys) \
                        and self._only_listed(view, acronyms_known):
                    # Every term here is known already (most uses after a term's first): judging the message can
                    # change nothing, so its word boundaries and explanations are not worked out.
                    continue
            hits = self._hits(view)
            abbreviations = []
            if self.acronyms is not None and not acronyms_known:
                abbreviations = self._acronym_hits(view, hits)
            if self.introduced:
                # A term shown as it is (点击“扩容”, 「RUN/STOP」开关) before any other use of it here is introduced
                # by that; one used before it is shown (需要先红冲… 点「红冲」) is judged at that use.
                first_use: dict[str, int] = {}
                for h in hits + abbreviations:
                    first_use[_key(h)] = min(first_use.get(_key(h), h.nstart), h.nstart)
                shown = self._introduced(view, bool(abbreviations))
                known |= {k for k, at in shown.items() if at < first_use.get(k, at + 1)}
            hits = hits + abbreviations
            if not hits:
                continue
            if self.customer_first:
                known, read_up_to = self._customer_known(messages, read_up_to, pos, known)
            marker_hits, explanations, adjacent_hits, restatement_hits = self._explainers(view, hits)
            # A term counts as explained when any of its uses in this message is explained.
            uses: dict[str, list] = {}
            for hit in hits:
                uses.setdefault(_key(hit), []).append(hit)
            for key, term_hits in uses.items():
                if key in known or _holds_known(key, known):
                    if key in audience_terms and view.toolkit.trace is not None:
                        view.toolkit.note_cancelled(self.id, view, term_hits[0], audience_note + " (knows this term)")
                    continue
                explained = next(
                    (why for h in term_hits
                     if (why := self._explanation(view, h, marker_hits, explanations, adjacent_hits, restatement_hits))),
                    None,
                )
                if explained is not None:
                    known.add(key)  # only the first use counts
                    if view.toolkit.trace is not None:
                        view.toolkit.note_cancelled(self.id, view, term_hits[0], f"explained: {explained}")
                    continue
                if not audience_known:
                    # Who the customer is matters only for a term that is not explained (most uses are, or are the
                    # customer's own): worked out then, once, before the costlier question whether the customer's
                    # words answered it. It is read from the whole conversation, so where that happens is no matter.
                    audience_known = True
                    knows, acronyms_known, audience_note = self._audience_knows(conv)
                    if knows is None:
                        if view.toolkit.trace is not None:
                            self._note_known(messages[pos:], audience_note + " (knows every term)")
                        return  # this audience knows every term of the rule; nothing was reported before
                    known |= knows
                    audience_terms = knows
                    if key in known or _holds_known(key, known):
                        if view.toolkit.trace is not None:
                            view.toolkit.note_cancelled(self.id, view, term_hits[0], audience_note + " (knows this term)")
                        continue
                if acronyms_known:
                    term_hits = [h for h in term_hits if h not in abbreviations]  # the audience knows abbreviations
                    if not term_hits:
                        continue
                known.add(key)  # only the first use counts
                if self.answered is None or not self._answered_plainly(conv, view, term_hits[0]):
                    yield self.finding(conv, view, term_hits[0])


# What a customer asks about: 啥是QoS / 什么记录 / 固件是什么 (a word of one to eight characters).
_ASKS_ABOUT = regex.compile(
    r"(?:啥|什么)(?:是|叫)?(?P<before>[a-z][a-z0-9.+-]{0,15}(?![a-z0-9])"
    r"|\p{Han}{1,8}?(?=[?？\s,，。!！]|$|我|啊|呀|呢|吗|意思|在哪|怎么))"
    r"|(?P<after>[a-z][a-z0-9.+-]{0,15}|\p{Han}{1,8}?)(?:是什么|是啥|是哪个|什么意思|啥意思|指什么)"
)


def _first_said(matcher, conv, views) -> "str | None":
    """What the first of `views` that the matcher matches says there (the words of its first hit), or None; a
    list of cues is looked for message by message only where the conversation has its candidates."""
    if matcher is None or not matcher.may_match_in(conv):
        return None
    for view in views:
        if matcher.search(view):
            hits = matcher.find(view)
            return hits[0].text if hits else ""
    return None


def _holds_known(key: str, known: set[str]) -> bool:
    """Whether a longer term holds a known one (固件升级 after the customer wrote 固件): the known word carries it.
    Two Latin letters are too little to go on (ap of App is no 隔离's AP)."""
    return len(key) > 2 and any(k != key and k in key and (len(k) >= 3 or _HAS_HAN.search(k)) for k in known if len(k) >= 2)


_HAS_HAN = regex.compile(r"\p{Han}")


def _echoed_word(view, part: str, leads: bool) -> "str | None":
    """The word of the agent's message that ends with `part` (什么阀: 比例阀), or starts with it when the part `leads`
    (搓什么: 搓纸轮), what a customer who caught only that much asks back; None when no word does. A part that is a
    word of its own in jieba's cut (比例|阀) is the end (or start) of the compound it makes with the word before
    (after) it; one that makes no such compound asks about no word (拉什么 after 拉一下: 拉|一下, see GRAMMAR_FREQUENCY)."""
    text = view.norm.text
    at = text.find(part)
    while at >= 0:
        start, end = _whole_words(view, at, at + len(part))
        edge = start == at if leads else end == at + len(part)
        if edge and end - start == len(part) == 1:
            start, end = _compound(view, start, end, leads)
        if edge and end - start >= 2 and not _GRAMMAR_CHARACTERS.search(text, start, end):
            return text[start:end]
        at = text.find(part, at + 1)
    return None


def _compound(view, start: int, end: int, leads: bool) -> tuple[int, int]:
    """The one-character word at start-end joined with the Han word after it (`leads`) or before it; the word
    alone when there is none, or the other is grammar."""
    text = view.norm.text
    if leads and end < len(text):
        other = (end, _whole_words(view, end, end + 1)[1])
    elif not leads and start > 0:
        other = (_whole_words(view, start - 1, start)[0], start)
    else:
        return start, end
    word = text[other[0]:other[1]]
    if (not _ALL_HAN.fullmatch(word) or _COUNTED_OR_DIRECTED.match(word)
            or view.toolkit.segmenter.frequency(word) >= GRAMMAR_FREQUENCY):
        return start, end
    return min(start, other[0]), max(end, other[1])


_ALL_HAN = regex.compile(r"\p{Han}+")
# A count (刷|一遍, 一个|阀) or a direction (拿|出来) next to the part is grammar too, whatever jieba's frequency of it
# (一遍 2,395 against 天地 1,989 of 天地|钩).
_COUNTED_OR_DIRECTED = regex.compile(r"一|[上下进出回过起开][来去]$")
# A pronoun or particle inside makes a phrase (连上您: a verb and its object), not a word to ask about.
_GRAMMAR_CHARACTERS = regex.compile("[我你您他她它的了着过吗呢吧]")
# Words jieba's dictionary counts this often are the grammar of the language (一下, 一个, 现在, 上), never the other
# half of a trade's compound (比例|阀 5,973, 天地|钩 1,989): 拉|一下 makes no word to ask about.
GRAMMAR_FREQUENCY = 10_000


def _whole_words(view, start: int, end: int) -> tuple[int, int]:
    """The span widened to the segmenter's word boundaries on both sides (记录 in A记录 widens to A记录 when jieba cuts
    it as one word; Latin letters and digits next to it join it)."""
    text = view.norm.text
    while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isascii() and text[end].isalnum():
        end += 1
    boundaries = view.boundaries()
    while start > 0 and not boundaries.is_boundary(start):
        start -= 1
    while end < len(text) and not boundaries.is_boundary(end):
        end += 1
    return start, end


def _line_names(conv) -> list[str]:
    """The conversation's team and product line, as configured names (cloud-l2, crm-saas-sales)."""
    team, meta = conv.team_and_meta()  # the block engine's view reads them without building the record
    product = meta.get("product") if isinstance(meta, dict) else None
    return [str(name) for name in (team, product) if name]


@lru_cache(maxsize=4096)
def _name_words(names: tuple[str, ...]) -> "frozenset[str]":
    # Teams and product lines repeat across thousands of conversations: split each pair of names once.
    return frozenset(word for name in names for word in _NAME_WORDS.split(name.lower()) if word)


# A Latin word inside a label, for the abbreviations it shows.
_LATIN_RUN = regex.compile(r"[a-z][a-z0-9]*")


def _key(hit) -> str:
    return _folded_term(hit.term.text if hit.term else hit.text)


def _lexicon_terms(names, ctx, field: str, line) -> "frozenset[str]":
    """The folded terms of the lexicons a field names (one name or a list), each unknown name an error."""
    terms: set[str] = set()
    for name in [names] if isinstance(names, str) else names or []:
        lexicon = ctx.lexicon_lookup(str(name))
        if lexicon is None:
            ctx.error(f"{field} names unknown lexicon {name!r}", line)
            continue
        terms.update(_folded_term(t.text) for t in lexicon.terms)
    return frozenset(terms)


def _names_no_term(words: str, not_terms: "frozenset[str]", said: str) -> bool:
    """Whether the words asked about are one of `not_terms`, or part of one the agent's message `said` holds (什么远程
    asks about the 远程控制 the agent announced): what another standard judges (a remote session, a code asked for)
    or a program's name, not a term to explain."""
    return words in not_terms or any(words in term and term in said for term in not_terms)


@lru_cache(maxsize=8192)
def _folded_term(text: str) -> str:
    from ..text.normalize import normalize

    return normalize(text).text


# A Latin word standing alone (not part of an identifier such as sample_mode, SKU-12 or v2); the folded text is in
# lower case, so whether it was typed in capitals is read from the original.
# Letters before a number (YF 8830 2157…) are the prefix of a code.
_LATIN_WORD = regex.compile(r"(?<![a-z0-9_.@/-])(?P<letters>[a-z]+)(?![a-z0-9_@/-]|\s?\d)")
# An abbreviation with a one-character grade or version after a hyphen (PHQ-9, FDX-B, ABEC-7): a questionnaire, a
# standard or a grade, named the way its trade writes it. (A longer tail, DZ-600 or ZX-BJ-0093, is a model or a code.)
_GRADED = regex.compile(r"(?<![a-z0-9_.@/-])(?P<letters>[a-z]{2,5})-[a-z0-9](?![a-z0-9_@/-]|\s?\d)")
# Letters with a number after them (smart200, s7-1200 is not: one letter): a model name.
_MODEL_NAME = regex.compile(r"(?<![a-z0-9_.@/-])(?P<letters>[a-z]{2,})(?=\s?\d)")
_CAPITALS = regex.compile(r"[A-Z\uFF21-\uFF3A]+")
# A Roman numeral after a model's name and a space or hyphen is the product's generation (R6 Mark II, A7C III,
# Pixel-IV): part of a product name, which the spec says is never jargon.
_GENERATION = regex.compile(r"(?<=[a-z0-9][ -])x?(?:ix|iv|v?i{0,3})")


def _probability(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value < 1


class AudienceReading(NamedTuple):
    """technical_customer.model: the weights, the probability that makes a customer the technical audience, the
    lower one that makes them the `likely` audience (threshold, audience) if any, and the score's bounds."""
    model: AudienceModel
    threshold: float
    likely: "tuple[float, str] | None"
    bound: ScoreRange


class Acronyms(NamedTuple):
    min: int
    max: int
    everyday: frozenset  # folded abbreviations everybody knows (APP, VIP, PDF …)
    known_to: frozenset  # audiences that need no abbreviation explained

    def words(self, view) -> set[str]:
        """The Latin words a (customer's) message holds, folded: an abbreviation they wrote needs no explaining."""
        text = view.norm.text
        # …also the letters of a model name they wrote (smart200 holds SMART, the series the agent then names).
        return {m.group() for m in _LATIN_WORD.finditer(text)} | {m.group() for m in _GRADED.finditer(text)} \
            | {m.group("letters") for m in _MODEL_NAME.finditer(text)}

    def abbreviations(self, view) -> list[tuple[int, int, str]]:
        """The abbreviations in capitals a message holds that are not everyday ones (SCIM, not APP): their
        spans in the folded text and the folded word."""
        norm = view.norm
        found = []
        # A graded abbreviation's letters are judged as a plain one's: an everyday word with a grade, APP-2, is still
        # everyday (the block engine opens a message for a run of capitals that is not an everyday word, and must
        # open every message that holds an abbreviation).
        for pattern in (_LATIN_WORD, _GRADED):
            for m in pattern.finditer(norm.text):
                letters = m.group("letters")
                if self.min <= len(letters) <= self.max and letters not in self.everyday \
                        and not _GENERATION.fullmatch(norm.text, m.start("letters"), m.end("letters")):
                    start, end = norm.to_original(m.start("letters"), m.end("letters"))
                    if _CAPITALS.fullmatch(norm.original, start, end):  # not app, iPhone, Wi-Fi: words and names
                        found.append((m.start(), m.end(), m.group()))
        return found


# How far after a term (or the longer word holding it: 网关地址就是…) a marker that explains only right after
# it may start.
_ADJACENT_GAP = 3
_PARENTHESIS_STOPS = _CLAUSE_END + "，,"
_HOLDS_WORDS = regex.compile(r"[^()\[\]【】]{0,80}?[\p{Han}a-z]")


def _sentence_between(text: str, hit, marker) -> bool:
    """Whether a sentence ends between the term and the marker: in 先重启光猫。再拔掉那根线，也就是… it explains the line."""
    start, end = (hit.nend, marker.nstart) if marker.nstart >= hit.nend else (marker.nend, hit.nstart)
    return any(c in _CLAUSE_END for c in text[start:end])


def _follows(text: str, hit, marker, gap: int, pauses=()) -> bool:
    """Whether the marker starts within `gap` characters after the hit, in the same clause, and, for a marker found
    by a pattern (是…), with no pause typed between the words after the term and the marker (NFC读卡 要是刷不出来).
    A listed marker explains across a pause: 限流时段 就是人多的时候… is how a speaker defines a word."""
    between = text[hit.nend:marker.nstart]
    return (
        marker.nstart >= hit.nend and len(between) <= gap and not _sentence_between(text, hit, marker)
        and (marker.term is not None or not any(hit.nend < pause <= marker.nstart for pause in pauses))
    )


def _clause_end(text: str, start: int, limit: int) -> int:
    """Where the clause that goes on at `start` ends, at most `limit` characters on."""
    stop = min(len(text), start + limit)
    for pos in range(start, stop):
        if text[pos] in _CLAUSE_END:
            return pos
    return stop


def _said_before_pause(text: str, start: int, gaps: list[int], least: int = 4) -> bool:
    """Whether at least `least` characters of the clause going on at `start` come before the next typed pause (a
    pause right after the marker, 就是 那个…, is a filler's)."""
    end = _clause_end(text, start, least)
    pause = next((g for g in gaps if g > start), None)
    return end - start >= least and (pause is None or pause - start >= least)


def _inside(marker, hit) -> bool:
    return hit.nstart <= marker.nstart and marker.nend <= hit.nend


def _overlaps(finding, other) -> bool:
    """Whether two findings mark the same message and overlapping words (or one marks no words)."""
    if finding.message_index != other.message_index or finding is other:
        return False
    if finding.start is None or other.start is None:
        return True
    return finding.start < other.end and other.start < finding.end


class NotFollowed(NamedTuple):
    """not_followed_by, compiled: `seen_cues` (看不懂) count only after an agent message that asks nothing: after
    请问屏幕上显示的是什么？ they say the customer cannot read what is on their screen."""

    cues: object
    seen_cues: object
    message: str
    advice: object


def _ends_asking(text: str) -> bool:
    """Whether the message's last sentence is a question (屏幕上显示的是什么？能拍给我看看吗？)."""
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    return bool(sentences) and (looks_like_question(sentences[-1]) or text.rstrip()[-1:] in "?？")


_SENTENCES = regex.compile("[" + regex.escape("".join(sorted(SENTENCE_END))) + "]+")


PLAIN, AMBIGUOUS, ECHO = "plain", "ambiguous", "echo"  # the kinds of asked_by_customer's patterns


# What marks a pause when the questions are searched again (AskedAbout.questions): punctuation, which the patterns
# read as the end or the start of a clause.
_PAUSE = ","


class AskedAbout(NamedTuple):
    """asked_by_customer, compiled: `cues` finds the questions (for the block engine and the literal shortcut),
    `patterns` give the words asked about."""

    cues: object
    patterns: list
    ambiguous_patterns: list
    echo_patterns: list
    everyday_frequency: int
    not_terms: frozenset
    message: "str | None"

    def questions(self, view) -> list:
        """(match, kind) for each question the customer's message asks: kind is PLAIN, AMBIGUOUS (X是什么？ may ask
        for a value) or ECHO (什么阀？: the part of a word they caught). The matches found only where the message is
        read with its pauses marked are PausedMatch: their positions are the message's."""
        patterns = self.cues.patterns
        runnable = patterns.runnable_sources(view) if patterns is not None else frozenset()
        if not runnable:
            return []  # no pattern's literals are in the message, with or without its pauses
        found = self._matches(view.norm.text, runnable)
        pauses = view.pauses
        if pauses:
            # Folding drops the spaces of speech and chat (啥意思 什么漏镀, 三联件是啥 去哪买), where the writer
            # paused between clauses; the patterns end or start a question at punctuation. Searched again with a
            # comma at each pause: the questions only that reading finds are added.
            paused, shift = with_pauses(view.norm.text, pauses, _PAUSE)
            seen = {(m.span("term"), kind) for m, kind in found}
            for m, kind in self._matches(paused, runnable):
                moved = PausedMatch(m, shift)
                if (moved.span("term"), kind) not in seen:
                    seen.add((moved.span("term"), kind))
                    found.append((moved, kind))
        return found

    def _matches(self, text: str, runnable: "frozenset[str]") -> list:
        """(match, kind) for the patterns of `runnable` (their sources) in `text`."""
        found = []
        kinds = ((PLAIN, self.patterns), (AMBIGUOUS, self.ambiguous_patterns), (ECHO, self.echo_patterns))
        for kind, patterns in kinds:
            for pattern in patterns:
                if pattern.pattern not in runnable:
                    continue  # its literals are not in the message
                try:
                    found.extend((m, kind) for m in guarded_finditer(pattern, text))
                except TimeoutError:
                    raise RegexTimeout(pattern.pattern) from None
        return found
