"""A turn read as a whole by a learned model: does it sound like a complaint the reply must answer?

A cue list knows a complaint by its wording (投诉, 等了三天, 又坏了); real customers complain by stance — pushing back
on what the agent just said (那你们早说啊), a grievance stated as fact, a rhetorical question — in words no list
holds (docs/accuracy.md, "A learned trigger"). A sequence rule's `trigger.model` weighs every piece of one to three
characters of the turn (the messages of the trigger's role since the other side last spoke, folded) and every two
characters of the message just before it (what the customer is answering), with weights learnt from labelled
conversations by `qa-lint calibrate --train-trigger`: a logistic model, the same as the audience model's
(audience.AudienceModel), over other features.

The model is asked once per turn, at its last message (the one the next reply answers), and only where the
rule's own trigger words hit nowhere in the turn, not even where an exception or condition cancelled them: what the
rule's author ruled on (不着急 is no complaint), the model does not overrule.
"""
from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import regex

from .audience import AudienceModel, Example, log_odds, sigmoid
from .text.matching import MEMO_CHARACTERS, MEMO_TEXTS, Hit
from .text.pieces import WHITESPACE, before_pieces, features, is_turn_piece

# The threshold `calibrate --train-trigger` judges new weights at when the rule has no model yet (the built-in one's).
DEFAULT_THRESHOLD = 0.85
# Where a clause of the message ends, for the words a finding quotes: sentence and clause punctuation, spaces.
_CLAUSE_BREAK = regex.compile(r"[。！？!?，,；;…~～\s]+")
# The most characters a finding quotes of the turn.
QUOTE_CHARACTERS = 24
# A model's first texts are weighed piece by piece; the Aho-Corasick automaton over its weighted pieces is built only
# after this many, so that a single pre-send check (a handful of texts) starts without loading ahocorasick_rs.
AUTOMATON_AFTER = 32


def turn_start(views, pos: int) -> int:
    """The first message of the turn that ends at `pos`: the run of messages of its role before it."""
    role = views[pos].role
    start = pos
    while start > 0 and views[start - 1].role == role:
        start -= 1
    return start


def ends_turn(views, pos: int) -> bool:
    """Is views[pos] the last message of its turn, with a message of another role after it (a reply to judge)?"""
    return pos + 1 < len(views) and views[pos + 1].role != views[pos].role


def turn_texts(views, pos: int) -> tuple[str, str]:
    """The folded text of the turn that ends at `pos` (its messages joined by a space) and of the message before
    it ("" at the start of the conversation)."""
    start = turn_start(views, pos)
    turn = " ".join(view.norm.text for view in views[start:pos + 1])
    before = views[start - 1].norm.text if start > 0 else ""
    return turn, before


class TurnModel:
    """A learned reading of text, `{weights, threshold}`: the weights, the lexicon they came from and the
    probability that decides. A sequence rule's `trigger.model` weighs a turn (and the message before it); a
    required rule's `model` weighs one message (`before` empty). A trigger model kept only for its veto has no
    threshold (None): it decides nothing alone."""

    def __init__(self, model: AudienceModel, weights_name: str, threshold: "float | None"):
        self.model = model
        self.weights_name = weights_name
        self.threshold = threshold
        self.memo: dict = {}  # (turn, before) -> probability: replies that repeat (templates) are weighed once
        self.opened: dict = {}  # block_open's answer for the block being scanned: {"block", "role", "mask", "rows"}
        self._arrays = None
        self._automaton = None  # (automaton, weights) of the turn's pieces: see _turn_score
        self._weighed = 0  # texts weighed piece by piece so far (AUTOMATON_AFTER)

    def __getstate__(self) -> dict:
        # A copy (a spawned worker, a Spark executor, the pack snapshot) starts with empty caches: the block being
        # scanned is the sender's, not the copy's. The automaton cannot be pickled: it is made again where used.
        return {**self.__dict__, "memo": {}, "opened": {}, "_automaton": None, "_weighed": 0}

    def arrays(self):
        """The weights for numpy (blocks/turn_scores.py), built at the first block: a single check never needs
        them, nor numpy (`qa-lint check` starts without it)."""
        if self._arrays is None:
            from .blocks.turn_scores import keyed

            self._arrays = keyed(self.model.weights)
        return self._arrays

    def probability(self, turn: str, before: str) -> float:
        """The model's probability that the turn (after `before`) is one the reply must answer."""
        if len(turn) + len(before) > MEMO_CHARACTERS:
            return self._probability(turn, before)
        key = (turn, before)
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) >= MEMO_TEXTS:
                self.memo.clear()
            found = self.memo[key] = self._probability(turn, before)
        return found

    def _probability(self, turn: str, before: str) -> float:
        weights = self.model.weights
        score = self.model.bias + self._turn_score(turn)
        if before:
            score += sum(map(weights.get, before_pieces(before), repeat(0.0)))
        return sigmoid(score)

    def _turn_score(self, turn: str) -> float:
        """The weights of the pieces of `turn` (features' turn part), found by one automaton pass over the weighted
        pieces rather than by making every piece of the turn: a message of 60 characters has 177 pieces, of which
        a few dozen have a weight (on the generated 20 MB corpus the resolution check's model took a third of
        the rule's time making them)."""
        tables = self._automaton
        if tables is None and self._weighed < AUTOMATON_AFTER:
            # The same pieces as features' turn part, each counted once: the same sum to within rounding.
            self._weighed += 1
            weights = self.model.weights
            return sum(weights.get(piece, 0.0) for piece in features(turn, ""))
        if tables is None:
            import ahocorasick_rs

            keys = [key for key in self.model.weights if is_turn_piece(key)]
            automaton = ahocorasick_rs.AhoCorasick(keys) if keys else None
            tables = self._automaton = (automaton, [self.model.weights[key] for key in keys])
        automaton, values = tables
        if automaton is None:
            return 0.0
        text = WHITESPACE.sub(" ", turn)
        return sum(values[i] for i in {i for i, _, _ in automaton.find_matches_as_indexes(text, overlapping=True)})

    def block_open(self, index, role: str):
        """The messages of `role` in a block (blocks.index.BlockIndex) that end a turn the model may weigh at its
        threshold or more, found with numpy for every turn of the block at once (blocks/turn_scores.py). `hit`
        decides, and skips the others while the block is being scanned."""
        from .blocks.turn_scores import MARGIN, block_scores

        opened = self.opened
        if opened.get("block") is not index.block or opened.get("role") != role:
            floor = log_odds(self.threshold)
            mask = block_scores(index, role, self.arrays(), self.model.bias, floor) >= floor - MARGIN
            opened.clear()
            opened.update(block=index.block, role=role, mask=mask, rows=frozenset(mask.nonzero()[0].tolist()))
        return opened["mask"]

    def hit(self, views, pos: int) -> "Hit | None":
        """The trigger the model finds in the turn that ends at views[pos]: a hit on the clause of that message
        with the piece that weighs most towards a complaint, or None."""
        if not ends_turn(views, pos):
            return None
        place = views[pos].block_position()
        opened = self.opened
        if place is not None and opened.get("block") is place[0] and place[1] not in opened["rows"]:
            return None  # block_open found that this turn cannot reach the threshold
        if self.probability(*turn_texts(views, pos)) < self.threshold:
            return None
        return self._quoted(views[pos])

    def _quoted(self, view) -> Hit:
        text = view.norm.text
        weights = self.model.weights
        best, at = 0.0, None
        for n in (3, 2):
            for i in range(len(text) - n + 1):
                weight = weights.get(text[i:i + n], 0.0)
                if weight > best:
                    best, at = weight, i
        if at is None or not text:
            return view.hit(0, min(len(text), QUOTE_CHARACTERS))
        # Clause breaks: punctuation, and the spaces the writer typed between Chinese words (the normalised text
        # has dropped them; real chat often has nothing else).
        breaks = [(gap.start(), gap.end()) for gap in _CLAUSE_BREAK.finditer(text)]
        breaks += [(gap, gap) for gap in view.pauses]
        start = max((end for begin, end in breaks if end <= at), default=0)
        end = min((begin for begin, _ in breaks if begin > at), default=len(text))
        if end - start > QUOTE_CHARACTERS:  # a long clause: the words around the piece
            start = max(start, min(at - QUOTE_CHARACTERS // 2, end - QUOTE_CHARACTERS))
            end = start + QUOTE_CHARACTERS
        return view.hit(start, end)

    def strongest(self, views, pos: int, n: int = 4) -> list[str]:
        """The pieces that weighed most towards a complaint (for `calibrate --show-errors`)."""
        return self.model.strongest(features(*turn_texts(views, pos)), n)


class TurnExample(NamedTuple):
    """A turn `calibrate --train-trigger` learns from, and what the rule's own words do with it."""

    example: Example
    cued: bool  # the rule's own words set it off in this turn
    words_hit: bool  # they hit somewhere in the turn, cancelled or not: the model would not be asked
