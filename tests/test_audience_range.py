"""audience.ScoreRange: both bounds of the audience model's score, found without segmenting. The jargon rule skips segmenting
a customer when a bound settles the reading, so a bound that is wrong changes findings: every score that
audience.customer_words gives must lie between them."""
from __future__ import annotations

import pickle
import random

import pytest

from packs import benchmark
from qa_linter.analysis import ConversationView
from qa_linter.audience import AudienceModel, ScoreRange, customer_words
from qa_linter.canonical import conversation_from_dict
from qa_linter.engine import Linter
from qa_linter.model import Conversation, Message


def _score(model: AudienceModel, views) -> float:
    return model.bias + sum(model.weights.get(w, 0.0) for w in customer_words(views))


def _assert_within(model: AudienceModel, bounds: ScoreRange, views) -> None:
    low, high = bounds.bounds(view.norm.text for view in views if view.role == "customer")
    score = _score(model, views)
    assert low - 1e-9 <= score <= high + 1e-9, ([v.norm.text for v in views], low, score, high)


def test_the_bounds_hold_every_segmentation_of_made_up_texts():
    # Negative and positive weights on words the segmenter may or may not cut (怎么弄, 后台管理, api, wifi) as well as
    # on two-character words, which are features whenever they occur.
    model = AudienceModel(-1.4, {"后台": 2.3, "我们": 1.2, "结算": 1.1, "孩子": -1.0, "怎么弄": -1.2, "同步": 0.9,
                                 "接口": 1.0, "后台管理": 0.4, "管理员": -0.6, "api": 0.8, "wifi": -0.5, "数据": -0.3})
    bounds = ScoreRange(model)
    toolkit = Linter.from_config(builtin=False).pack.toolkit
    pieces = ["后台", "我们", "结算", "孩子", "怎么弄", "同步", "接口", "管理", "员", "的", "数据", "不对", " ", "，",
              "api", "wifi", "a", "pi"]
    rng = random.Random(7)
    for _ in range(400):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 3))]
        conv = ConversationView(Conversation("c", [Message(i, "customer", t, None) for i, t in enumerate(texts)],
                                             "chat"), toolkit)
        _assert_within(model, bounds, conv.messages)


def test_two_character_words_count_with_their_sign_and_longer_ones_only_as_far_as_they_can_go():
    model = AudienceModel(-1.0, {"孩子": -1.0, "后台": 2.0, "怎么弄": -1.2, "后台管理": 0.4})
    bounds = ScoreRange(model)
    assert bounds.bounds(["我家孩子怎么弄都不行"]) == pytest.approx((-1.0 - 1.0 - 1.2, -1.0 - 1.0))
    assert bounds.bounds(["后台管理"]) == pytest.approx((-1.0 + 2.0, -1.0 + 2.0 + 0.4))
    assert bounds.bounds(["没有一个词"]) == (-1.0, -1.0)
    assert ScoreRange(AudienceModel(0.5, {})).bounds(["后台"]) == (0.5, 0.5)
    # A rule that has used its bounds still pickles (a copied pack, a worker process) and works after.
    copy = pickle.loads(pickle.dumps(bounds))
    assert copy.bounds(["后台管理"]) == pytest.approx(bounds.bounds(["后台管理"]))


def _generated(count: int, seed: int) -> list:
    module = benchmark("generate_corpus")
    stream = module.conversations(seed=seed)
    return [conversation_from_dict(next(stream)) for _ in range(count)]


def test_the_bounds_hold_the_built_in_model_on_generated_and_sample_conversations(corpus_conversations):
    """The built-in weights and audience.customer_words as they are: should either change what a feature is (one
    that is not a substring of the text, or two Chinese characters in a row no longer always one), this fails."""
    linter = Linter.from_config()
    rule = next(r for r in linter.pack.rules if r.TYPE == "jargon" and r.audience_model is not None)
    reading = rule.audience_model
    conversations = _generated(300, seed=11) + [conversation_from_dict(c) for c in corpus_conversations]
    for conversation in conversations:
        view = ConversationView(conversation, linter.pack.toolkit)
        _assert_within(reading.model, reading.bound, view.by_role("customer"))


def test_the_block_engine_builds_the_automaton_before_workers_fork_and_a_copy_sheds_it():
    # blocks.engine.prepare runs in the parent of --jobs workers: what it builds, each forked worker inherits
    # instead of building its own (an automaton over the built-in model's 21,000 words).
    from qa_linter.blocks import prepare

    linter = Linter.from_config()
    jargon = next(rule for rule in linter.pack.rules if rule.id == "jargon-unexplained")
    bound = jargon.audience_model.bound
    texts = ["我们后台的接口超时了", "孩子的平板怎么弄"]
    copy = pickle.loads(pickle.dumps(bound))
    prepare(linter)
    assert bound._tables is not None
    assert copy._tables is None  # pickled (a spawned worker, a copied rule): made again where it is used
    assert bound.bounds(texts) == copy.bounds(texts)


def test_a_long_lived_process_warms_up_what_rules_build_at_first_use():
    # Linter.warm_up (the HTTP service at start, a Spark executor per partition): the first request does not pay.
    linter = Linter.from_config()
    bound = next(rule for rule in linter.pack.rules if rule.id == "jargon-unexplained").audience_model.bound
    assert bound._tables is None
    linter.warm_up()
    assert bound._tables is not None
