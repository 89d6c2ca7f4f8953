"""Who the customer is, read from their own words: a logistic model over the pieces of what customers write.

A term list only knows the words on it; a technical customer of a product the lists have never seen (a pool's
water-sensor operator, a laboratory's LIS user) writes the words of their trade around it: 后台, 管理员, 账号,
工作站, 开馆. The model weighs each piece of one to three characters a customer writes (后台, 接口, 批量 for; 我家,
孩子, 怎么弄 against) by how often conversations with it were labelled technical (`meta.customer` of a labelled
set), learnt only from pieces seen on several product lines, so no one product's vocabulary decides. The jargon
rule asks it (technical_customer.model) when nothing else decided.

The weights are data: a lexicon of `piece<TAB>weight` lines that a team trains on its own labelled conversations
with `qa-lint calibrate --set DIR --train-audience FILE`. The built-in pack ships weights learnt from the dev
set's tuning part (lexicons/customer-audience.txt). A sure reading (0.95) makes the customer technical; a likely
one (0.7) only a `professional`, who still needs web and cloud terms explained: such a reading also takes in office
clerks, whom the sample's labeller treats as laypeople (README, Accuracy).
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterable, NamedTuple

import regex

from .text.pieces import SIZES, WHITESPACE, pieces

# A piece holds no whitespace (text.pieces.WHITESPACE: nothing that would end a lexicon line) and no Latin letter
# or digit, and does not start with # (a lexicon line that does is a comment). Latin letters and digits count as
# whole words instead (api, chrome, v2): a slice of one (c, hr) says nothing, and every brand and product name
# would be made of such slices.
_NOT_IN_PIECE = regex.compile(r"[0-9a-z]|^#")
_LATIN_WORD = regex.compile(r"(?<![0-9a-z])(?=[0-9]*[a-z])[0-9a-z]{1,24}(?![0-9a-z])")
_LATIN = regex.compile(r"[0-9a-z]+")


def is_piece(text: str) -> bool:
    """Whether `text` can be a feature: one to three characters with no whitespace, Latin letter or digit, not
    starting with #; or a Latin word (letters and digits, a letter among them)."""
    if _LATIN.fullmatch(text):
        return _LATIN_WORD.fullmatch(text) is not None
    return 1 <= len(text) <= SIZES[-1] and _is_plain(text)


def _is_plain(piece: str) -> bool:
    return WHITESPACE.search(piece) is None and _NOT_IN_PIECE.search(piece) is None


def customer_pieces(views) -> frozenset[str]:
    """The features of a conversation: every piece of one to three characters of its customer messages (folded),
    each once, none across two messages or holding whitespace, and every Latin word they write (api, chrome, v2).

    Pieces carry what words do (后台, 结算单 for the back office; 我家, 孩子 for a home) and what no segmenter cuts as
    a word: a trade's terms jieba does not know (板厚, 阻抗 in 四层板厚1.6阻抗50欧) and the endings of a writer (吧, 呢,
    嘛). Words from jieba and every two Chinese characters, the features before, read 0.945 of the dev set's tuning
    conversations right on teams left out of training; these 0.956, and with them the jargon rule's false hits
    there fell by a sixth (docs/accuracy.md, session 25). Each piece is a substring of one message and each Latin
    word one standing alone, so ScoreRange finds them all without cutting anything."""
    found: set[str] = set()
    words: set[str] = set()
    for view in views:
        if view.role != "customer":
            continue
        text = view.norm.text
        found |= pieces(text)
        words.update(_LATIN_WORD.findall(text))
    return frozenset(piece for piece in found if _is_plain(piece)) | words


class AudienceModel(NamedTuple):
    """A logistic model: P(technical) = sigmoid(bias + the sum of the weights of the features present: the pieces
    customer_pieces gives). A sequence rule's learned trigger (turns.py) is the same model over the pieces of a
    turn."""

    bias: float
    weights: dict[str, float]

    def probability(self, words: Iterable[str]) -> float:
        return sigmoid(self.bias + sum(self.weights.get(w, 0.0) for w in words))

    def strongest(self, words: Iterable[str], n: int = 4) -> list[str]:
        """The words that pushed most towards technical (for traces)."""
        scored = sorted(((self.weights.get(w, 0.0), w) for w in words), reverse=True)
        return [w for weight, w in scored[:n] if weight > 0]

    @classmethod
    def from_terms(cls, terms) -> "AudienceModel":
        """The model of a weights lexicon (`word<TAB>weight`; `(bias)<TAB>weight` holds the intercept)."""
        bias = 0.0
        weights: dict[str, float] = {}
        for term in terms:
            try:
                weight = float(term.suggestion or "")
            except ValueError:
                raise ValueError(f"{term.source}: expected word<TAB>weight, got {term.text!r}") from None
            if term.text == "(bias)":
                bias = weight
            else:
                weights[term.text] = weight
        return cls(bias, weights)

    def to_text(self, header: str) -> str:
        """The weights lexicon: the header as comments, the intercept, then the words, strongest first."""
        lines = [f"# {h}".rstrip() for h in header.splitlines()]
        lines.append(f"(bias)\t{self.bias:.4f}")
        for word, weight in sorted(self.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0])):
            lines.append(f"{word}\t{weight:.4f}")
        return "\n".join(lines) + "\n"


# The texts whose pieces ScoreRange remembers, at most this many of at most this many characters (as the matchers
# remember theirs, text/matching.py).
MEMO_TEXTS = 2048
MEMO_CHARACTERS = 200


class ScoreRange:
    """The score (log-odds) the model gives some customer texts, found with one automaton over the model's pieces:
    every piece the model weighs that occurs in a text is a feature (customer_pieces), so the score is found without
    making the set of all pieces. A weight whose key can be no piece (a word of four characters or more, or with a
    space, from a file written before pieces) never counts.

    A Latin word counts only standing alone (api in 调api, not in rapid). `bounds` gives the lowest and highest score:
    the same number now that every feature is found as it is (when the features were jieba's words, a word found in
    the text was a feature only if the segmenter cut it, and the two bounds spared segmenting most customers). The
    jargon rule reads its probability from that score and makes a customer's set of pieces only to name the
    strongest of them.

    The pieces, their weights and which are Latin words are sorted out when the rule is built, so a kept pack
    (pack_snapshot) holds them: testing each of the built-in model's 17,000 keys was 15-20 ms of every scan's
    start. The automaton is made at the first use: a cold `qa-lint check` that never asks need not pay."""

    def __init__(self, model: AudienceModel):
        self._model = model
        pieces = [key for key in model.weights if is_piece(key)]
        weights = [model.weights[key] for key in pieces]
        latin = [_LATIN.fullmatch(key) is not None for key in pieces]
        self._pieces = (pieces, weights, latin)
        self._tables = None  # (pieces' weights, whether each is a Latin word, the automaton over them, the pieces)
        self._memo: dict[str, tuple[int, ...]] = {}  # a short text -> the indexes of the model's pieces in it

    def __getstate__(self) -> dict:
        # The automaton cannot be pickled (a spawned worker, a copied rule): it is made again where it is used.
        return {**self.__dict__, "_tables": None, "_memo": {}}

    def prepare(self) -> None:
        """Make the tables and the automaton now (before workers fork) rather than at the first use."""
        if self._tables is None and self._model.weights:
            self._made()

    def at_most(self, texts: Iterable[str]) -> float:
        return self.bounds(texts)[1]

    def at_least(self, texts: Iterable[str]) -> float:
        return self.bounds(texts)[0]

    def bounds(self, texts: Iterable[str]) -> tuple[float, float]:
        """(lowest, highest) score these texts can give: both the model's score of their pieces."""
        score = self._model.bias
        if not self._model.weights:
            return score, score
        weights = (self._tables or self._made())[0]
        score += sum(weights[i] for i in self._found(texts))
        return score, score

    def strongest(self, texts: Iterable[str], n: int = 4) -> list[str]:
        """AudienceModel.strongest of the texts' pieces (customer_pieces), from the pieces the automaton finds: a
        trace names them, and making every piece of a customer's messages to name four cost more than the score."""
        if not self._model.weights:
            return []
        weights, _latin, _automaton, keys = self._tables or self._made()
        scored = sorted(((weights[i], keys[i]) for i in self._found(texts)), reverse=True)
        return [key for weight, key in scored[:n] if weight > 0]

    def _found(self, texts: Iterable[str]) -> set[int]:
        """The indexes of the model's pieces that are features of these texts."""
        _weights, latin, automaton, _keys = self._tables or self._made()
        found: set[int] = set()
        if automaton is None:
            return found
        memo = self._memo
        for text in texts:
            # Customers' short replies repeat (好的, 已经重启了): a short text's pieces are looked up once.
            pieces = memo.get(text)
            if pieces is None:
                pieces = tuple(i for i, start, end in automaton.find_matches_as_indexes(text, overlapping=True)
                               if not latin[i] or _alone(text, start, end))
                if len(text) <= MEMO_CHARACTERS:
                    if len(memo) >= MEMO_TEXTS:
                        memo.clear()
                    memo[text] = pieces
            found.update(pieces)
        return found

    def _made(self) -> tuple:
        import ahocorasick_rs

        pieces, weights, latin = self._pieces
        self._tables = (weights, latin, ahocorasick_rs.AhoCorasick(pieces) if pieces else None, pieces)
        return self._tables


def _alone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as a Latin word: no Latin letter or digit right before or after it."""
    return (start == 0 or not _LATIN.match(text, start - 1)) and (end == len(text) or not _LATIN.match(text, end))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def log_odds(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


class Example(NamedTuple):
    group: str  # the product line (team): words must be seen on several to count
    words: frozenset[str]
    positive: bool  # a technical customer (the audience model); a labelled reply (a sequence rule's trigger model)


def train(examples: list[Example], min_groups: int = 3, l2: float = 1.0, rounds: int = 1000,
          min_weight: float = 0.01) -> AudienceModel:
    """Fit the weights on the L2-regularised log loss over the words seen in at least `min_groups` product lines
    (numpy); weights under `min_weight` either way are left out of the file.

    Each conversation holds a few hundred of the tens of thousands of words, so the words are kept as index
    arrays, not a dense matrix (8,775 conversations: 0.47 million entries instead of 220 million), and the
    descent is accelerated (Nesterov): 1,000 rounds reach the loss that plain gradient descent needs 10,000 for.
    The weights shipped before were those of 300 plain rounds, far from the minimum; fitted to it, the tuning
    part's jargon F1 on teams left out rose from 0.913 to 0.919 (docs/accuracy.md; l2 0.03-3 all within 0.004)."""
    import numpy as np

    seen: dict[str, set[str]] = defaultdict(set)
    for ex in examples:
        for w in ex.words:
            seen[w].add(ex.group)
    vocabulary = sorted(w for w, groups in seen.items() if len(groups) >= min_groups)
    column = {w: i for i, w in enumerate(vocabulary)}
    rows = [[j for j in (column.get(w) for w in ex.words) if j is not None] for ex in examples]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    columns = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(lengths.sum()))
    row_of = np.repeat(np.arange(len(rows)), lengths)  # the conversation of each entry of `columns`
    y = np.array([1.0 if ex.positive else 0.0 for ex in examples])
    n, d = len(examples), len(vocabulary)

    def gradient(theta):
        weights, bias = theta[:d], theta[d]
        z = np.bincount(row_of, weights=weights[columns], minlength=n) + bias
        residual = 1.0 / (1.0 + np.exp(-z)) - y
        # The intercept (the last entry) is not shrunk.
        return np.append(np.bincount(columns, weights=residual[row_of], minlength=d) / n + l2 / n * weights,
                         residual.mean())

    step = 1.0 / _smoothness(row_of, columns, n, d, l2)  # the largest step sure to settle, whatever the data
    theta = previous = np.zeros(d + 1)
    for k in range(1, rounds + 1):
        ahead = theta + (k - 1) / (k + 2) * (theta - previous)
        previous, theta = theta, ahead - step * gradient(ahead)
    weights = {word: float(theta[j]) for word, j in column.items() if abs(theta[j]) >= min_weight}
    return AudienceModel(float(theta[d]), weights)


def _smoothness(row_of, columns, n: int, d: int, l2: float, rounds: int = 30) -> float:
    """L, a bound on the curvature of the loss: the largest eigenvalue of XᵀX (X the 0/1 features with the
    intercept's column), found by power iteration, over 4n (the log loss curves at most 1/4), plus the penalty's."""
    import numpy as np

    v = np.ones(d + 1)
    largest = 1.0
    for _ in range(rounds):
        z = np.bincount(row_of, weights=v[:d][columns], minlength=n) + v[d]
        u = np.append(np.bincount(columns, weights=z[row_of], minlength=d), z.sum())
        norm = float(np.linalg.norm(u))
        if norm == 0.0:
            break
        largest, v = norm / float(np.linalg.norm(v)), u / norm
    # Power iteration approaches the eigenvalue from below: a margin keeps the step on the safe side.
    return 1.05 * largest / (4.0 * n) + l2 / n


def cross_validate(examples: list[Example], folds: int = 5, **options) -> tuple[float, dict[int, float]]:
    """Accuracy at 0.5 when each fold of product lines is scored by a model trained on the others (the figure
    for product lines the model has not seen), and each example's held-out probability by its index."""
    groups = sorted({ex.group for ex in examples})
    held: dict[int, float] = {}
    for k in range(folds):
        out = set(groups[k::folds])
        model = train([ex for ex in examples if ex.group not in out], **options)
        for i, ex in enumerate(examples):
            if ex.group in out:
                held[i] = model.probability(ex.words)
    right = sum((held[i] >= 0.5) == ex.positive for i, ex in enumerate(examples))
    return right / len(examples), held
