"""audience.ScoreRange: the audience model's score of a customer's texts, found with one automaton over the model's
pieces. The jargon rule asks it before it makes a customer's set of pieces (and settles most readings with it), so
it must be exactly the score of audience.customer_pieces: a wrong one changes findings."""
from __future__ import annotations

import pickle
import random

import pytest

from packs import benchmark
from qa_linter.analysis import ConversationView
from qa_linter.audience import AudienceModel, ScoreRange, customer_pieces, is_piece
from qa_linter.canonical import conversation_from_dict
from qa_linter.engine import Linter
from qa_linter.model import Conversation, Message


def _score(model: AudienceModel, views) -> float:
    return model.bias + sum(model.weights.get(w, 0.0) for w in customer_pieces(views))


def _assert_exact(model: AudienceModel, bounds: ScoreRange, views) -> None:
    low, high = bounds.bounds(view.norm.text for view in views if view.role == "customer")
    score = _score(model, views)
    assert low == pytest.approx(score, abs=1e-9) and high == pytest.approx(score, abs=1e-9), (
        [v.norm.text for v in views], low, score, high)
    # The pieces a trace names, from the automaton's finds, are those of the customer's whole set of pieces.
    strongest = bounds.strongest(view.norm.text for view in views if view.role == "customer")
    assert strongest == model.strongest(customer_pieces(views))


def _views(texts: list[str], toolkit) -> list:
    conv = Conversation("c", [Message(i, "customer" if i % 3 else "agent", t, None) for i, t in enumerate(texts)],
                        "chat")
    return ConversationView(conv, toolkit).messages


def test_the_score_is_the_model_over_every_piece_of_made_up_texts():
    # Pieces of one, two and three characters, Latin ones, pieces that repeat, whitespace between them, keys that can
    # be no piece (four characters, a space, a leading #), and agent messages, whose pieces never count.
    model = AudienceModel(-1.4, {"后台": 2.3, "我们": 1.2, "结算": 1.1, "孩子": -1.0, "怎么弄": -1.2, "台": 0.4,
                                 "接口": 1.0, "后台管理": 0.4, "管理员": -0.6, "api": 0.8, "pi": 0.3, "a b": 5.0,
                                 "#后": 5.0, "数据": -0.3, "懂": -0.9})
    bounds = ScoreRange(model)
    toolkit = Linter.from_config(builtin=False).pack.toolkit
    parts = ["后台", "我们", "结算", "孩子", "怎么弄", "同步", "接口", "管理", "员", "的", "数据", "不懂", " ", "  ", "，",
             "api", "a b", "#", "后", "pi", "\n"]
    rng = random.Random(7)
    for _ in range(400):
        texts = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 4))]
        _assert_exact(model, bounds, _views(texts, toolkit))


def test_keys_that_can_be_no_piece_never_count():
    model = AudienceModel(-1.0, {"孩子": -1.0, "后台": 2.0, "怎么弄": -1.2, "后台管理": 0.4, "a b": 3.0, "#后": 3.0})
    bounds = ScoreRange(model)
    assert bounds.bounds(["我家孩子怎么弄都不行"]) == pytest.approx((-1.0 - 1.0 - 1.2, -1.0 - 1.0 - 1.2))
    assert bounds.bounds(["后台管理"]) == pytest.approx((-1.0 + 2.0, -1.0 + 2.0))
    assert bounds.bounds(["a b #后"]) == (-1.0, -1.0)
    assert bounds.bounds(["没有一个词"]) == (-1.0, -1.0)
    assert ScoreRange(AudienceModel(0.5, {})).bounds(["后台"]) == (0.5, 0.5)
    assert ScoreRange(AudienceModel(0.5, {"后台管理": 1.0})).bounds(["后台管理"]) == (0.5, 0.5)
    assert [is_piece(k) for k in ("后", "后台", "怎么弄", "后台管理", "a b", "#后", "", "a\tb")] == \
        [True, True, True, False, False, False, False, False]
    # A rule that has used its bounds still pickles (a copied pack, a worker process) and works after.
    copy = pickle.loads(pickle.dumps(bounds))
    assert copy.bounds(["后台管理"]) == pytest.approx(bounds.bounds(["后台管理"]))


def test_customer_pieces_are_the_pieces_of_each_customer_message_and_its_latin_words():
    toolkit = Linter.from_config(builtin=False).pack.toolkit
    views = _views(["你好", "api key v2 123", "客服说的"], toolkit)  # messages 1 and 2 are the customer's, 0 the agent's
    assert [v.norm.text for v in views] == ["你好", "api key v2 123", "客服说的"]
    pieces = customer_pieces(views)
    # Latin letters and digits count as whole words with a letter in them, never as slices (a, pi, ke) or numbers;
    # nothing holds whitespace, comes from the agent, or runs across two messages.
    assert pieces == {"api", "key", "v2", "客", "服", "说", "的", "客服", "服说", "说的", "客服说", "服说的"}
    bounds = ScoreRange(AudienceModel(0.0, {"api": 1.0, "pi": 5.0, "key": 1.0, "ke": 5.0, "123": 5.0, "客服": 1.0}))
    assert bounds.bounds(v.norm.text for v in views[1:]) == (3.0, 3.0)
    assert bounds.bounds(["rapid调api"]) == (1.0, 1.0)  # api counts standing alone, not inside rapid


def _generated(count: int, seed: int) -> list:
    module = benchmark("generate_corpus")
    stream = module.conversations(seed=seed)
    return [conversation_from_dict(next(stream)) for _ in range(count)]


def test_the_score_is_the_built_in_model_s_on_generated_and_sample_conversations(corpus_conversations):
    """The built-in weights and audience.customer_pieces as they are: should what a feature is change (one that is
    not a substring of one message), this fails."""
    linter = Linter.from_config()
    rule = next(r for r in linter.pack.rules if r.TYPE == "jargon" and r.audience_model is not None)
    reading = rule.audience_model
    conversations = _generated(300, seed=11) + [conversation_from_dict(c) for c in corpus_conversations]
    for conversation in conversations:
        view = ConversationView(conversation, linter.pack.toolkit)
        _assert_exact(reading.model, reading.bound, view.by_role("customer"))


def test_the_block_engine_builds_the_automaton_before_workers_fork_and_a_copy_sheds_it():
    # blocks.engine.prepare runs in the parent of --jobs workers: what it builds, each forked worker inherits
    # instead of building its own (an automaton over the built-in model's pieces).
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
