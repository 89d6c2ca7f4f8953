"""Clause-aware conditions on a hit: `when:` (all must hold) and `unless:` (any cancels), in every matcher.

    patterns: ['不知道']
    unless:
      - clause: {mood: [conditional, question]}        # 如果您不知道订单号… / 请问您知道…吗
      - clause: {person: third}                         # 系统不知道您已经搬家…
      - near: {any: [negators], within: 2, side: before}
    when:
      - clause: {any: [request-markers]}                # a request, not a warning

An item looks at one region around the hit: `clause` (the clause holding it), `sentence`, `message`, or
`near` (`within` N words of it, default 4, in its sentence). `side` narrows the region to what stands
`before` or `after` the hit (default `around`: both). In that region it tests, all of those given:
- `any` / `all` / `none`: lexicon classes (names of lexicons) with a whole-word term there;
- `mood`: one of question, request, conditional: of the sentence or message when the item names one, else of
  the hit's clause (either on the `side` given);
- `person`: first, second, third or none: who the clause is about, taken from the first person word
  (我/您/系统/快递员 …) of its clause before the hit, else the first 我/您 word after it;
- `negated: false`: the `any` / `all` class terms count only where their own clause does not negate them
  (a `negators` word before them in it): 不要念给我听 and 不会问您要 ask for nothing.

Moods and persons are lexicon classes too (conditionals, request-markers, question-markers, first-person,
second-person, third-parties), so QA staff tune them by editing word lists. A class `X` may have a lexicon
`X-except` whose terms hide the class terms inside them (hand-over-requests-except: 跟您说一下, the agent telling,
holds 说一下 but asks for nothing). Everything is computed lazily and
only for messages where the rule already has a candidate hit.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..text.clauses import looks_like_question
from ..text.matching import TermMatcher

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import MessageView
    from ..text.matching import Hit
    from .context import CompileContext

REGIONS = ("clause", "sentence", "message", "near")
SIDES = ("around", "before", "after")
MOODS = {"question": "question-markers", "request": "request-markers", "conditional": "conditionals"}
# Politeness worded as a condition (方便的话, 可以的话) sets no condition: 方便的话把订单号发我 is a request.
# An optional class: a conditional marker inside one of its terms does not count.
POLITE_CONDITIONALS = "polite-conditionals"
# A class's own exceptions: the terms of lexicon `<class>-except` hide the class terms inside them (跟您说一下, the
# agent telling, holds 说一下 of hand-over-requests, which asks the customer to tell).
EXCEPT_SUFFIX = "-except"
PERSONS = {"first": "first-person", "second": "second-person", "third": "third-parties"}
ITEM_FIELDS = ("any", "all", "none", "mood", "person", "side", "within", "negated")
NEGATORS = "negators"
DEFAULT_WITHIN = 4


@dataclass
class Condition:
    region: str
    side: str
    within: int
    any_of: list[TermMatcher]
    all_of: list[TermMatcher]
    none_of: list[TermMatcher]
    moods: frozenset[str]
    persons: frozenset[str]
    classes: "ClassBook"
    text: str  # as written, for traces and `rules show`
    plain: bool = False  # negated: false — class terms negated in their own clause do not count

    def holds(self, view: "MessageView", hit: "Hit") -> bool:
        # A class with no candidate anywhere in the message is in no region of it: `any`/`all` are answered without
        # finding the region (the clauses, the words around the hit), which most hits of most messages need not.
        if not self.may_hold_in(view):
            return False
        lo, hi = self._region(view, hit)
        present = self.classes.present_unnegated if self.plain else self.classes.present
        if self.any_of and not any(present(view, m, lo, hi, hit) for m in self.any_of):
            return False
        if self.all_of and not all(present(view, m, lo, hi, hit) for m in self.all_of):
            return False
        if self.none_of and any(self.classes.present(view, m, lo, hi, hit) for m in self.none_of):
            return False
        if self.moods and not any(self.classes.mood(view, *self._mood_span(view, hit), mood) for mood in self.moods):
            return False
        if self.persons and self.classes.person(view, hit) not in self.persons:
            return False
        return True

    def may_hold_in(self, view: "MessageView") -> bool:
        """False when the item holds for no hit of the message: a class it needs (`any` / `all`) has no candidate
        anywhere in it. The first test of `holds`, asked once per message instead of once per hit."""
        if self.any_of and not any(self.classes.in_message(view, m) for m in self.any_of):
            return False
        if self.all_of and not all(self.classes.in_message(view, m) for m in self.all_of):
            return False
        return True

    def _mood_span(self, view: "MessageView", hit: "Hit") -> tuple[int, int]:
        """Where a mood is read: the sentence or the message when the item names one, else the hit's clause."""
        if self.region in ("sentence", "message"):
            return self._region(view, hit)  # narrowed by `side`: 看看…通不通 asks after the verb
        clause = view.clauses().at(hit.nstart)
        lo, hi = clause.start, clause.end
        # `side` narrows the clause too: 请您对一下型号不对的话再联系 asks first and adds a condition after.
        if self.side == "before":
            hi = hit.nstart
        elif self.side == "after":
            lo = hit.nend
        return lo, hi

    def _region(self, view: "MessageView", hit: "Hit") -> tuple[int, int]:
        text = view.norm.text
        if self.region == "message":
            lo, hi = 0, len(text)
        elif self.region == "near":
            # Words in another sentence are no context of the hit (…编码不一致。我直接远程登录…: 不 negates nothing here).
            lo, hi = _words_around(view, hit, self.within)
            clauses = view.clauses()
            first, last = clauses.sentence_span(clauses.at(hit.nstart))
            lo, hi = max(lo, first), min(hi, last)
        else:
            clauses = view.clauses()
            clause = clauses.at(hit.nstart)
            lo, hi = (clause.start, clause.end) if self.region == "clause" else clauses.sentence_span(clause)
        if self.side == "before":
            hi = hit.nstart
        elif self.side == "after":
            lo = hit.nend
        return lo, hi


class Conditions:
    """The `when` and `unless` items of one matcher."""

    def __init__(self, when: list[Condition], unless: list[Condition], owner: str | None):
        self.when = when
        self.unless = unless
        self.owner = owner

    def __bool__(self) -> bool:
        return bool(self.when or self.unless)

    def may_admit_in(self, view: "MessageView") -> bool:
        """False when `admits` is false for every hit of the message: a `when` item lacks its classes there."""
        return all(cond.may_hold_in(view) for cond in self.when)

    def admits(self, view: "MessageView", hit: "Hit") -> bool:
        for cond in self.when:
            if not cond.holds(view, hit):
                view.toolkit.note_cancelled(self.owner, view, hit, f"when: {cond.text} (does not hold)")
                return False
        for cond in self.unless:
            if cond.holds(view, hit):
                view.toolkit.note_cancelled(self.owner, view, hit, f"unless: {cond.text}")
                return False
        return True


class ClassBook:
    """The lexicon classes conditions name, each a whole-word term list on the shared term index."""

    def __init__(self, ctx: "CompileContext"):
        self._ctx = ctx
        self._matchers: dict[str, TermMatcher | None] = {}
        self._excepts: dict[int, TermMatcher] = {}  # a class's list id -> the matcher of its `-except` lexicon

    def __getstate__(self) -> dict:
        # A compiled rule asks only for the classes it named while compiling: a pack snapshot (pack_snapshot.py)
        # keeps those, not the compile context with its lexicon look-ups.
        return {**self.__dict__, "_ctx": None}

    def matcher(self, name: str, line: int | None) -> TermMatcher | None:
        if name in self._matchers:
            return self._matchers[name]
        ctx = self._ctx
        if ctx is None:
            raise LookupError(f"lexicon class {name!r} was not named while the rule was compiled")
        lexicon = ctx.lexicon_lookup(name)
        matcher = None
        if lexicon is None:
            known = ctx.lexicon_names()
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known lexicons: {', '.join(known) or 'none'}"
                ctx.error(f"condition names unknown lexicon class {name!r}; {hint}", line)
        else:
            # Not added to the segmenter's words: a class term such as 您把 must not glue 您 and 把 into one word
            # and hide the 您 that `person` looks for. A term of several words still matches on its outer boundaries.
            matcher = TermMatcher(ctx.toolkit.term_index, lexicon.terms, "word")
            exceptions = ctx.lexicon_lookup(name + EXCEPT_SUFFIX)
            if exceptions is not None:
                self._excepts[matcher.list_id] = TermMatcher(ctx.toolkit.term_index, exceptions.terms, "word")
        self._matchers[name] = matcher
        return matcher

    @staticmethod
    def spans(view: "MessageView", matcher: TermMatcher) -> list[tuple[int, int]]:
        cache = view.__dict__.setdefault("_class_spans", {})
        found = cache.get(matcher.list_id)
        if found is None:
            found = cache[matcher.list_id] = matcher.spans(view)
        return found

    @staticmethod
    def in_message(view: "MessageView", matcher: TermMatcher) -> bool:
        """False when the class has no candidate in the message (then `present` is false in every region)."""
        return matcher.list_id in view.term_candidates()

    def present(self, view, matcher, lo, hi, hit) -> bool:
        # A class term that lies inside the hit is part of what was found (不 of 不知道), not its context.
        return any(not (hit.nstart <= s and e <= hit.nend) for s, e in self._within(view, matcher, lo, hi))

    def _within(self, view, matcher, lo, hi):
        """The class's whole-word spans in [lo, hi]: from the message's spans when they are known, else checking
        only the candidates in the region (a region is mostly one clause; the rest of the message is not cut)."""
        known = view.__dict__.get("_class_spans")
        found = known.get(matcher.list_id) if known is not None else None
        if found is not None:
            spans = ((s, e) for s, e in found if lo <= s and e <= hi)
        else:
            spans = matcher.spans_within(view, lo, hi)
        exceptions = self._excepts.get(matcher.list_id)
        if exceptions is None or exceptions.list_id not in view.term_candidates():
            return spans
        hidden = self.spans(view, exceptions)
        return ((s, e) for s, e in spans if not any(hs <= s and e <= he for hs, he in hidden))

    def present_unnegated(self, view, matcher, lo, hi, hit) -> bool:
        """`present`, counting only terms whose own clause has no negator before them."""
        negators = self._matchers.get(NEGATORS)
        if negators is None:
            return self.present(view, matcher, lo, hi, hit)
        clauses = view.clauses()
        for s, e in self._within(view, matcher, lo, hi):
            if hit.nstart <= s and e <= hit.nend:
                continue
            clause = clauses.at(s)
            if next(self._within(view, negators, clause.start, s), None) is None:  # no negator before it in its clause
                return True
        return False

    def mood(self, view, lo: int, hi: int, mood: str) -> bool:
        matcher = self._matchers.get(MOODS[mood])
        if matcher is not None:
            spans = list(self._within(view, matcher, lo, hi))
            polite = self._matchers.get(POLITE_CONDITIONALS) if mood == "conditional" and spans else None
            if polite is not None:
                courtesy = self.spans(view, polite)
                spans = [(s, e) for s, e in spans if not any(ps <= s and e <= pe for ps, pe in courtesy)]
            if spans:
                return True
        if mood != "question":
            return False
        # A question by its form may end any clause of the region, not only the last (…看看收到没有 里面有个取件码).
        text = view.norm.text
        return any(looks_like_question(text[max(lo, c.start):min(hi, c.end)]) for c in view.clauses().overlapping(lo, hi))

    def person(self, view, hit) -> str:
        clause = view.clauses().at(hit.nstart)
        before: tuple[int, str] | None = None
        after: tuple[int, str] | None = None
        for person, name in PERSONS.items():
            matcher = self._matchers.get(name)
            if matcher is None:
                continue
            for s, e in self._within(view, matcher, clause.start, clause.end):
                if hit.nstart <= s and e <= hit.nend:
                    continue
                if person == "third" and _INSTRUMENT.search(view.norm.text, max(clause.start, s - 2), s):
                    continue  # 通过后台向您的电脑发起…: the means, not who acts
                if any(qs < s and e < qe for qs, qe in _quoted(view)):
                    continue  # 在「我的设计」里看看: a label on the screen, not who acts
                # The first person word of the clause is its subject (系统不知道您… is about 系统).
                if e <= hit.nstart and (before is None or s < before[0]):
                    before = (s, person)
                elif s >= hit.nend and person != "third" and (after is None or s < after[0]):
                    # After the hit only 我/您 say who acts (…的话您再联系我们); a third party there is an object,
                    # and so is a pronoun that only qualifies one (核对一下我们标注的尺码, 您的订单).
                    if "的" not in view.norm.text[e:min(e + 4, clause.end)]:
                        after = (s, person)
        chosen = before or after
        return chosen[1] if chosen else "none"


# A third party named as the means (通过后台, 借助系统) is not the clause's subject.
_INSTRUMENT = re.compile(r"(通过|经过|借助|经由|利用)$")

# Words in quotation marks: a label on the screen (「我的订单」) or words quoted, not a person who acts.
_QUOTED = re.compile(r"「[^」\n]{0,40}」|『[^』\n]{0,40}』|“[^”\n]{0,40}”|\"[^\"\n]{0,40}\"|【[^】\n]{0,40}】")


def _quoted(view: "MessageView") -> list[tuple[int, int]]:
    found = view.__dict__.get("_quoted_spans")
    if found is None:
        found = view.__dict__["_quoted_spans"] = [m.span() for m in _QUOTED.finditer(view.norm.text)]
    return found


def _words_around(view: "MessageView", hit: "Hit", within: int) -> tuple[int, int]:
    """The span of `within` words before and after the hit (punctuation and spaces not counted). Words are the
    segmenter's, read from the message's word boundaries: the blocks they need are cut once and cached."""
    text = view.norm.text
    boundaries = view.boundaries()
    reach = within * 8  # no word a condition names is longer
    lo, count, pos = hit.nstart, 0, hit.nstart
    while pos > max(0, hit.nstart - reach) and count < within:
        pos -= 1
        if text[pos] in _NOT_WORDS:
            continue
        if boundaries.is_boundary(pos):  # a word starts here
            count, lo = count + 1, pos
    hi, count, pos = hit.nend, 0, hit.nend
    while pos < min(len(text), hit.nend + reach) and count < within:
        pos += 1
        if text[pos - 1] in _NOT_WORDS:
            continue
        if boundaries.is_boundary(pos):  # a word ends here
            count, hi = count + 1, pos
    return lo, hi


_NOT_WORDS = frozenset(" \t\n,，。!?！？、;；:：~～()（）[]【】「」“”\"'")


def compile_conditions(spec: dict, ctx: "CompileContext", line_of) -> Conditions | None:
    if "when" not in spec and "unless" not in spec:
        return None
    classes = ctx.__dict__.get("classes")
    if classes is None:  # one book per pack: a class named by many rules is one list on the term index
        classes = ctx.__dict__["classes"] = ClassBook(ctx)
    when = _items(spec.get("when"), "when", ctx, classes, line_of(spec, "when"), line_of)
    unless = _items(spec.get("unless"), "unless", ctx, classes, line_of(spec, "unless"), line_of)
    if not when and not unless:
        return None
    return Conditions(when, unless, ctx.rule_id)


def _items(value: Any, key: str, ctx, classes: ClassBook, line: int | None, line_of) -> list[Condition]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        ctx.error(f"{key} must be a list of conditions such as {{clause: {{any: [conditionals]}}}}", line)
        return []
    items = []
    for item in value:
        item_line = line_of(item) or line
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in REGIONS:
            ctx.error(f"each {key} item is one of {', '.join(REGIONS)}: a mapping like {{clause: {{mood: question}}}}", item_line)
            continue
        region, body = next(iter(item.items()))
        condition = _condition(region, body, ctx, classes, item_line)
        if condition is not None:
            items.append(condition)
    return items


def _condition(region: str, body: Any, ctx, classes: ClassBook, line: int | None) -> Condition | None:
    if not isinstance(body, dict) or not body:
        ctx.error(f"{region}: needs a mapping of {', '.join(ITEM_FIELDS)}", line)
        return None
    unknown = set(body) - set(ITEM_FIELDS)
    if unknown:
        ctx.error(f"unknown condition field {sorted(unknown)[0]!r}; use {', '.join(ITEM_FIELDS)}", line)
        return None
    side = body.get("side", "around")
    if side not in SIDES:
        ctx.error(f"side must be one of {', '.join(SIDES)}, not {side!r}", line)
        return None
    within = body.get("within", DEFAULT_WITHIN)
    if region != "near" and "within" in body:
        ctx.error("within is for near: conditions (a number of words)", line)
        return None
    if isinstance(within, bool) or not isinstance(within, int) or not 1 <= within <= 50:
        ctx.error(f"within must be a whole number of words from 1 to 50, not {within!r}", line)
        return None
    lists = {}
    for key in ("any", "all", "none"):
        names = body.get(key) or []
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            ctx.error(f"{key} must be a list of lexicon class names", line)
            return None
        lists[key] = [m for m in (classes.matcher(n, line) for n in names) if m is not None]
    negated = body.get("negated", True)
    if negated is not False and negated is not True:
        ctx.error(f"negated must be false (class terms a negator cancels do not count) or true, not {negated!r}", line)
        return None
    if negated is False:
        if not (lists["any"] or lists["all"]):
            ctx.error("negated: false is about the any / all class terms; give one of them", line)
            return None
        if classes.matcher(NEGATORS, line) is None:
            return None
    moods = _names(body.get("mood"), MOODS, "mood", ctx, line)
    persons = _names(body.get("person"), {**PERSONS, "none": None}, "person", ctx, line)
    if moods is None or persons is None:
        return None
    for mood in moods:
        # question-markers is optional: a question is also known by its form (a question mark, 吗, A-not-A).
        if mood == "question" and ctx.lexicon_lookup(MOODS[mood]) is None:
            continue
        if classes.matcher(MOODS[mood], line) is None:
            return None
        if mood == "conditional" and ctx.lexicon_lookup(POLITE_CONDITIONALS) is not None:
            classes.matcher(POLITE_CONDITIONALS, line)
    if persons:
        for name in PERSONS.values():
            classes.matcher(name, line)
    if not (lists["any"] or lists["all"] or lists["none"] or moods or persons):
        ctx.error(f"{region}: says nothing to test; give any, all, none, mood or person", line)
        return None
    text = f"{region}: " + ", ".join(f"{k}: {v}" for k, v in body.items())
    return Condition(region, side, within, lists["any"], lists["all"], lists["none"], moods, persons, classes, text,
                     plain=negated is False)


def _names(value: Any, allowed: dict, key: str, ctx, line) -> frozenset[str] | None:
    if value is None:
        return frozenset()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(v in allowed for v in values):
        ctx.error(f"{key} must be one or a list of {', '.join(allowed)}, not {value!r}", line)
        return None
    return frozenset(values)
