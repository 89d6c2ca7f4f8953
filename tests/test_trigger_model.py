"""A sequence rule's learned trigger (`trigger.model`, qa_linter/turns.py): the pieces it reads, what it sets off
and what it leaves to the rule's own words, the block engine's numpy filter, and `calibrate --train-trigger`."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter import Linter
from qa_linter.analysis import ConversationView
from qa_linter.audience import log_odds
from qa_linter.batch import ScanSummary, _chunks
from qa_linter.blocks import scan_block
from qa_linter.blocks.candidates import automaton_for, presence
from qa_linter.blocks.fold import fold
from qa_linter.blocks.index import BlockIndex
from qa_linter.blocks.records import read_block
from qa_linter.blocks.turn_scores import block_scores
from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.errors import RuleLoadError
from qa_linter.model import Conversation, Message
from qa_linter.text.pieces import features
from qa_linter.turns import ends_turn, turn_texts

from packs import random_conversations, write_pack, write_team_set
from test_block_engine import _adversarial, _lines, assert_same_findings

RULES = """\
rules:
  - id: t-empathy
    type: sequence
    category: empathy-missing
    message: "用户不满（「{trigger}」），回复没有致歉"
    trigger:
      role: customer
      terms: [投诉]
      exceptions: [不投诉]
      model: {weights: stance, threshold: 0.8}
    expect: {role: agent, where: next, require: {terms: [抱歉]}}
"""
# The bias and three pieces: 又坏 alone reaches 0.8 (-2 + 4 = 2: 0.88); 坏 alone does not (-2 + 1: 0.27); the agent
# message before the turn adds its P: pieces.
WEIGHTS = "# stance: test weights\n(bias)\t-2.0\n又坏\t3.0\n坏\t1.0\nP:再试\t1.5\n"


@pytest.fixture()
def pack(tmp_path):
    return write_pack(tmp_path / "pack", RULES, {"stance": WEIGHTS})


def _conversation(*messages, cid="c"):
    return conversation_from_dict({"id": cid, "messages": [{"role": r, "text": t} for r, t in messages]})


def _scan(linter, *messages):
    return linter.scan(_conversation(*messages))


# -- the pieces ----------------------------------------------------------------------------------------------------
def test_the_pieces_of_a_turn_and_of_the_message_before_it():
    found = features("又坏了 真是", "您再试")
    assert {"又", "又坏", "又坏了", "了 真", "真是"} <= found
    assert not {p for p in found if p.startswith(" ") or p.endswith(" ")}  # no piece starts or ends with a space
    assert {"P:您再", "P:再试"} <= found and "P:您再试" not in found
    assert "#" not in features("#号键", "") and "号键" in features("#号键", "")  # a lexicon comment is no piece


def test_whitespace_runs_are_one_space_and_line_separators_too():
    assert features("坏\u2028\u2028了", "") == features("坏 了", "")


# -- what the model sets off ---------------------------------------------------------------------------------------
def test_a_turn_the_model_weighs_high_sets_the_rule_off(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    found = _scan(linter, ("customer", "又坏了，怎么回事"), ("agent", "请提供订单号。"))
    assert [(f.message_index, f.message) for f in found] == [(1, "用户不满（「又坏了」），回复没有致歉")]
    assert not _scan(linter, ("customer", "又坏了"), ("agent", "抱歉，请提供订单号。"))  # answered with an apology
    assert not _scan(linter, ("customer", "坏了"), ("agent", "请提供订单号。"))  # 0.27: under the threshold


def test_the_whole_turn_and_the_message_it_answers_are_read(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    # 坏 (1) and the agent's 再试 (1.5): -2 + 2.5 = 0.5 → 0.62; with 又坏 in an earlier message of the turn: 0.99.
    assert not _scan(linter, ("agent", "您再试一次"), ("customer", "坏了"), ("agent", "好的"))
    found = _scan(linter, ("agent", "您再试一次"), ("customer", "又坏"), ("customer", "还是坏了"), ("agent", "好的"))
    assert [f.message_index for f in found] == [3]  # once, at the reply to the turn


def test_the_model_leaves_a_turn_whose_words_the_rule_ruled_on(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    # 不投诉 cancels 投诉: the author ruled on these words, so the model does not set the rule off either.
    assert not _scan(linter, ("customer", "又坏了 但我不投诉"), ("agent", "好的"))
    found = _scan(linter, ("customer", "又坏了 我要投诉"), ("agent", "好的"))
    assert [f.message for f in found] == ["用户不满（「投诉」），回复没有致歉"]  # the rule's own words


def test_a_turn_without_a_reply_is_not_judged(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert not _scan(linter, ("customer", "又坏了"))


def test_calibrate_show_errors_names_the_model_and_its_pieces(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    rule = linter.pack.rules[0]
    conv = ConversationView(_conversation(("agent", "您再试"), ("customer", "又坏了"), ("agent", "好的")),
                            linter.pack.toolkit)
    finding = next(iter(rule.check(conv)))
    (why,) = rule.decided_by(conv, finding)
    assert why.startswith("trigger: the model stance «又坏了» (0.9") and "又坏" in why and "P:再试" in why


@pytest.mark.parametrize("model, error", [
    ("{weights: stance, threshold: 1.5}", "trigger.model needs {weights"),
    ("{weights: stance}", "trigger.model needs {weights"),
    ("{weights: nowhere, threshold: 0.5}", "unknown lexicon 'nowhere'"),
    ("{weights: broken, threshold: 0.5}", "expected word<TAB>weight"),
    ("{weights: stance, threshold: 0.8, veto: 0.9}", "trigger.model.veto must be a probability under the threshold"),
    ("{weights: stance, threshold: 0.8, veto: low}", "trigger.model.veto must be a probability under the threshold"),
])
def test_a_bad_model_is_a_clear_error(pack, model, error):
    (pack / "lexicons" / "broken.txt").write_text("坏\tmuch\n", encoding="utf-8")
    rules = pack / "rules.yaml"
    rules.write_text(RULES.replace("{weights: stance, threshold: 0.8}", model), encoding="utf-8")
    with pytest.raises(RuleLoadError, match=error.replace("{", r"\{").replace("(", r"\(")):
        Linter.from_config(rules=[pack], builtin=False)


def test_a_veto_leaves_a_cue_in_a_turn_the_model_weighs_low(pack):
    rules = pack / "rules.yaml"
    rules.write_text(RULES.replace("threshold: 0.8}", "threshold: 0.8, veto: 0.2}"), encoding="utf-8")
    linter = Linter.from_config(rules=[pack], builtin=False)
    # 投诉 alone: the cue hits, the turn weighs 0.12 (the bias alone), under the veto.
    assert _scan(linter, ("customer", "投诉"), ("agent", "好的")) == []
    # The same cue in a turn the model weighs high (又坏 and 坏: 0.88), and in a turn whose other message does (the
    # whole turn is weighed, not the message the cue is in).
    assert [f.message_index for f in _scan(linter, ("customer", "投诉 又坏"), ("agent", "好的"))] == [1]
    assert [f.message_index for f in _scan(linter, ("customer", "投诉"), ("customer", "又坏了"), ("agent", "好的"))] == [2]
    # Without a veto the cue alone sets the rule off, as before.
    rules.write_text(RULES, encoding="utf-8")
    assert [f.message_index for f in _scan(Linter.from_config(rules=[pack], builtin=False),
                                           ("customer", "投诉"), ("agent", "好的"))] == [1]


def test_a_model_alone_is_a_trigger(pack):
    rules = pack / "rules.yaml"
    rules.write_text(RULES.replace("      terms: [投诉]\n      exceptions: [不投诉]\n", ""), encoding="utf-8")
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert [f.message_index for f in _scan(linter, ("customer", "又坏了"), ("agent", "好的"))] == [1]


# -- the block engine ----------------------------------------------------------------------------------------------
def _indexes(linter, conversations):
    toolkit = linter.pack.toolkit
    for items in _chunks(iter(_lines(conversations)), ScanSummary()):
        block = read_block(items)
        folded = fold(block.texts)
        rows, _ = presence(automaton_for(toolkit.term_index), folded)
        yield block, BlockIndex(block, folded, rows)


def _complaints(count: int, seed: int) -> list[Conversation]:
    """Conversations built from turns the built-in model weighs high and low, with odd whitespace, '#', letters
    outside the Basic Multilingual Plane, empty and system messages between."""
    rng = random.Random(seed)
    high = ["这都第二个了 还是一样的问题", "为什么别人都能退 就我不能退？", "我都按要求拍了 为什么还不通过？",
            "你们这服务也是没谁了", "所以到底什么时候能到？？"]
    low = ["好的 谢谢", "请问这款有黑色吗", "麻烦帮我查一下订单", "#号键按了没反应", "𠀀 字显示不出来"]
    odd = ["", " ", "\u3000", "\t\t", "\u2028", "#", "𝟘"]
    conversations = []
    for n in range(count):
        messages = []
        for i in range(rng.randint(1, 8)):
            role = rng.choice(["customer", "customer", "agent", "system"])
            text = rng.choice(high + low if role == "customer" else ["您再试一下", "请提供订单号", "好的", "抱歉"])
            if rng.random() < 0.3:
                at = rng.randint(0, len(text))
                text = text[:at] + rng.choice(odd) + text[at:]
            messages.append(Message(i, role, text))
        conversations.append(Conversation(f"m-{seed}-{n}", messages))
    return conversations


@pytest.mark.parametrize("seed", [1, 2])
def test_the_numpy_scores_are_the_exact_ones_for_every_turn_that_may_reach_the_threshold(seed):
    linter = Linter.from_config()
    rule = next(r for r in linter.pack.rules if r.id == "empathy-missing")
    model = rule.trigger_model
    floor = log_odds(model.threshold)
    conversations = _complaints(300, seed) + _adversarial(linter, 200, seed)
    checked = reached = 0
    for block, index in _indexes(linter, conversations):
        scores = block_scores(index, "customer", model.arrays(), model.model.bias, floor)
        for c in range(len(block)):
            views = ConversationView(block.conversation(c), linter.pack.toolkit).messages
            for pos, view in enumerate(views):
                row = block.first[c] + pos
                if view.role != "customer" or not ends_turn(views, pos):
                    assert scores[row] == -math.inf
                    continue
                exact = model.model.bias + sum(model.model.weights.get(p, 0.0)
                                               for p in features(*turn_texts(views, pos)))
                checked += 1
                if exact >= floor - 1e-9:
                    reached += 1
                    assert scores[row] == pytest.approx(exact, abs=1e-9)
                else:
                    assert scores[row] == -math.inf or scores[row] == pytest.approx(exact, abs=1e-9)
    assert checked > 300 and reached > 30


@pytest.mark.parametrize("seed", [3, 4])
def test_the_block_engine_finds_what_the_per_message_path_finds(seed):
    linter = Linter.from_config()
    conversations = _complaints(400, seed)
    assert_same_findings(linter, conversations, block_size=150)
    rule = next(r for r in linter.pack.rules if r.id == "empathy-missing")
    learned = [f for c in conversations for f in linter.scan(c) if f.rule == "empathy-missing"
               and rule.decided_by(ConversationView(c, linter.pack.toolkit), f)[0].startswith("trigger: the model")]
    assert len(learned) > 20  # the model's own triggers are among what both paths found


def test_the_test_pack_with_its_model_on_the_block_engine(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    turns = ["又坏了", "坏了", "又 坏", "投诉", "不投诉 又坏了", "好的", "", "  "]
    conversations = random_conversations(turns, 5, "p", 7)
    assert assert_same_findings(linter, conversations, block_size=70) > 20


# -- calibrate --train-trigger ---------------------------------------------------------------------------------
def _labelled_set(folder: Path, teams: int = 4, per_team: int = 12) -> Path:
    """Complaints with 气人 labelled when the reply has no apology; calm questions not labelled."""
    def conversation(k: int):
        angry = k % 2 == 0
        customer = f"这也太气人了{k}" if angry else f"请问第{k}个订单到哪了"
        reply = "抱歉，马上处理。" if k % 6 == 4 else "请提供订单号。"
        messages = [("customer", customer), ("agent", reply)]
        return messages, (1, "empathy-missing") if angry and "抱歉" not in reply else None

    return write_team_set(folder, "t", teams, per_team, conversation)


def test_train_trigger_learns_the_pieces_of_labelled_turns(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--select", "t-empathy", "--train-trigger", str(out)])
    assert result.exit_code == 0, result.output
    # 48 turns answered; the 8 answered with 抱歉 are left out: the reply already meets what the rule expects.
    assert result.output.startswith("40 replies (16 labelled empathy-missing) of 4 teams")
    # What the weights add on teams they were not learnt from: the rule's word (投诉) is in no turn here.
    left_out = result.output.splitlines()[1]
    assert left_out.startswith("on teams left out of training (4 folds): empathy-missing F1 0.000 with the rule's")
    assert float(left_out.split(", ")[1].split()[0]) > 0.8 and left_out.endswith("with the learned weights at 0.8")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# learned.txt - how much each piece of a turn shows")
    weights = dict(line.split("\t") for line in text.splitlines() if not line.startswith("#"))
    assert float(weights["气人"]) > 0 > float(weights["订单"])
    # The file is a weights lexicon the rule reads.
    (pack / "lexicons" / "learned.txt").write_text(text, encoding="utf-8")
    rules = pack / "rules.yaml"
    rules.write_text(RULES.replace("weights: stance, threshold: 0.8", "weights: learned, threshold: 0.5"),
                     encoding="utf-8")
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert _scan(linter, ("customer", "真气人"), ("agent", "请提供订单号。"))
    assert not _scan(linter, ("customer", "请问订单到哪了"), ("agent", "请提供订单号。"))


def test_train_trigger_reports_the_rules_veto_too(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    (pack / "rules.yaml").write_text(RULES.replace("threshold: 0.8}", "threshold: 0.8, veto: 0.3}"), encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--select", "t-empathy", "--train-trigger", str(tmp_path / "out.txt")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].endswith("with the learned weights at 0.8, 1.000 with its veto at 0.3 too")


def test_train_trigger_needs_one_sequence_rule(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--select", "slang",
                                       "--train-trigger", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "choose it with --select RULE_ID (such rules selected: none)" in result.output
    assert not (tmp_path / "out.txt").exists()


def test_train_trigger_needs_enough_labels(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set", teams=2, per_team=4)
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--train-trigger", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "at least 3 teams with at least 10 replies" in result.output


def test_train_trigger_reads_a_labelled_file_too(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", str(labelled / "transcripts.jsonl"), "--gold",
                                       str(labelled / "labels.jsonl"), "--rules", str(pack), "--no-builtin",
                                       "--train-trigger", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("40 replies (16 labelled empathy-missing) of 4 teams") and out.is_file()


def test_a_copy_of_the_model_starts_with_empty_caches(pack):
    import pickle

    linter = Linter.from_config(rules=[pack], builtin=False)
    conversations = [Conversation("a", [Message(0, "customer", "又坏了"), Message(1, "agent", "好的")])]
    assert assert_same_findings(linter, conversations) == 1
    model = linter.pack.rules[0].trigger_model
    assert model.opened and model.memo  # the block just scanned, the turn just weighed
    copy = pickle.loads(pickle.dumps(model))
    assert copy.opened == {} and copy.memo == {} and copy.model == model.model and copy.threshold == 0.8


def test_the_block_engine_plans_with_the_model_and_does_not_fall_back(monkeypatch):
    """A mistake in planning sends a block to the per-message path (blocks/engine.py), which gives the same
    findings, only slower: here no block may go that way."""
    linter = Linter.from_config()

    def per_message(conv):
        raise AssertionError(f"{conv.id} went to the per-message path")

    monkeypatch.setattr(linter, "scan", per_message)
    found = [f for entries in scan_block(linter, _lines(_complaints(200, 7)), keep_conversations=False)
             for entry in entries for f in entry[2]]
    assert any(f.rule == "empathy-missing" for f in found)


def test_a_team_points_the_built_in_rule_at_its_own_weights(tmp_path):
    """README: `options: {empathy-missing: {trigger+: {model: {weights: …, threshold: …}}}}` replaces the built-in
    rule's model and keeps its cue lists."""
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "our-stance.txt").write_text("(bias)\t-3.0\n积分\t5.0\n", encoding="utf-8")
    (tmp_path / "qa-linter.yaml").write_text(
        "lexicons: [lexicons]\noptions:\n  empathy-missing:\n"
        "    trigger+: {model: {weights: our-stance, threshold: 0.8}}\n", encoding="utf-8")
    linter = Linter.from_config(tmp_path / "qa-linter.yaml")
    rule = next(r for r in linter.pack.rules if r.id == "empathy-missing")
    assert rule.trigger_model.weights_name == "our-stance" and rule.trigger_model.threshold == 0.8

    def empathy(text):
        return [f.message for f in _scan(linter, ("customer", text), ("agent", "请稍等。")) if f.rule == "empathy-missing"]

    assert empathy("积分呢") == ["用户表达了不满或焦急（「积分呢」），这条回复没有致歉或安抚"]
    assert empathy("我要投诉") == ["用户表达了不满或焦急（「我要投诉」），这条回复没有致歉或安抚"]  # a built-in cue
    assert not empathy("这都第二个了 还是一样的问题")  # the built-in model is replaced


def test_train_trigger_reports_a_broken_line_and_learns_from_the_rest(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    with (labelled / "transcripts.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": "broken", "messages": [\n')
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--train-trigger", str(out)])
    assert result.exit_code == 2  # as scan: input was skipped
    assert "transcripts.jsonl:49:" in result.output and "(skipped)" in result.output
    assert "40 replies (16 labelled empathy-missing) of 4 teams" in result.output and "1 records skipped" in result.output
    assert out.is_file()


def test_train_trigger_names_the_line_of_broken_labels(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    with (labelled / "labels.jsonl").open("a", encoding="utf-8") as f:
        f.write("not json\n")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--train-trigger", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "labels.jsonl:49: not a label line" in result.output


def test_the_whitespace_table_is_what_the_pattern_matches_character_by_character():
    import numpy as np

    from qa_linter.blocks import turn_scores
    from qa_linter.text.pieces import WHITESPACE

    below = turn_scores._WHITESPACE_BELOW
    codes = np.arange(below + 40, dtype=np.uint32)  # past the table too: nothing there is whitespace
    want = [WHITESPACE.fullmatch(chr(c)) is not None for c in codes.tolist()]
    assert turn_scores._is_space(codes).tolist() == want
    assert not any(want[below:])  # the bound holds: no whitespace character at or above it


# -- a veto on a rule that points at its trigger (where: before) ----------------------------------------------------
BEFORE_RULES = """\
rules:
  - id: t-remote
    type: sequence
    category: remote-no-consent
    message: "未经同意即远程「{match}」"
    trigger:
      role: agent
      terms: [远程]
      model: {weights: act, veto: 0.3}
    expect: {role: customer, where: before, require: {terms: [同意]}}
"""
# 功能 (a product's feature) weighs the message far down; 我现在 (the agent acting) up; the customer's 能 before it
# a little up.
ACT_WEIGHTS = "# act: test weights\n(bias)\t0.5\n功能\t-3.0\n我现在\t2.0\nP:能\t0.5\n"


@pytest.fixture()
def before_pack(tmp_path):
    return write_pack(tmp_path / "before", BEFORE_RULES, {"act": ACT_WEIGHTS})


def test_a_veto_alone_silences_the_words_of_the_act_in_a_message_that_does_not_do_it(before_pack):
    linter = Linter.from_config(rules=[before_pack], builtin=False)
    # The act announced (0.5 + 2: 0.92) is reported at its message; a product's feature (0.5 - 3: 0.08) is not.
    assert [f.message_index for f in _scan(linter, ("customer", "打不开"), ("agent", "我现在远程帮您看"))] == [1]
    assert _scan(linter, ("customer", "这款能远程吗"), ("agent", "支持远程功能")) == []
    # Consent before it: nothing to veto. No threshold: the weights set nothing off where the words find nothing.
    assert _scan(linter, ("customer", "同意"), ("agent", "我现在远程帮您看")) == []
    assert _scan(linter, ("customer", "打不开"), ("agent", "我现在帮您看")) == []
    # A trigger is weighed as far as its turn goes: a later message of the agent's does not count.
    assert _scan(linter, ("customer", "打不开"), ("agent", "远程功能"), ("agent", "我现在")) == []


@pytest.mark.parametrize("model, error", [
    ("{weights: act}", "trigger.model needs {weights"),   # neither a threshold nor a veto: nothing to do
    ("{weights: act, veto: 1.5}", "trigger.model.veto must be a probability under the threshold"),
    ("{weights: act, threshold: 0.2, veto: 0.3}", "trigger.model.veto must be a probability under the threshold"),
])
def test_a_bad_veto_only_model_is_a_clear_error(before_pack, model, error):
    rules = before_pack / "rules.yaml"
    rules.write_text(BEFORE_RULES.replace("{weights: act, veto: 0.3}", model), encoding="utf-8")
    with pytest.raises(RuleLoadError, match=error.replace("{", r"\{")):
        Linter.from_config(rules=[before_pack], builtin=False)


def test_the_veto_of_a_before_rule_on_the_block_engine(before_pack):
    linter = Linter.from_config(rules=[before_pack], builtin=False)
    texts = ["我现在远程帮您看", "支持远程功能", "远程", "同意", "这款能远程吗", "我现在", "", "远 程"]
    conversations = random_conversations(texts, 6, "b", 7)
    assert assert_same_findings(linter, conversations, block_size=70) > 20


def _remote_set(folder: Path, teams: int = 4, per_team: int = 12) -> Path:
    """Agents announcing remote help (labelled) and describing a remote feature (not labelled), no consent."""
    def conversation(k: int):
        acting = k % 2 == 0
        agent = f"我现在远程连上去看{k}" if acting else f"这款支持远程查看功能{k}"
        messages = [("customer", "打不开了"), ("agent", agent), ("customer", "好的"), ("agent", "请稍等")]
        return messages, (1, "remote-no-consent") if acting else None

    return write_team_set(folder, "r", teams, per_team, conversation)


def test_train_trigger_learns_a_before_rule_from_its_trigger_messages(tmp_path, before_pack):
    labelled = _remote_set(tmp_path / "set")
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(before_pack),
                                       "--no-builtin", "--select", "t-remote", "--train-trigger", str(out)])
    assert result.exit_code == 0, result.output
    # Every agent message without consent before it: two per conversation, 24 labelled.
    assert result.output.startswith("96 messages (24 labelled remote-no-consent) of 4 teams")
    assert "with its veto at 0.3 too" in result.output.splitlines()[1]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# learned.txt - how much each piece of a turn shows a message (with its turn so far)")
    weights = dict(line.split("\t") for line in text.splitlines() if not line.startswith("#"))
    assert float(weights["连上"]) > 0 > float(weights["功能"])


def test_the_first_texts_are_weighed_piece_by_piece_and_the_rest_by_the_automaton_alike():
    """A single pre-send check weighs a few texts without loading ahocorasick_rs; a scan builds the automaton after
    AUTOMATON_AFTER texts. Both give the same probability."""
    from qa_linter.turns import AUTOMATON_AFTER

    model = next(r for r in Linter.from_config().pack.rules if r.id == "empathy-missing").trigger_model
    texts = ["这都第二个了 还是一样的问题", "为什么别人都能退 就我不能退？", "#号键按了没反应", "𠀀 字显示不出来",
             "好的\u2028谢谢", "", "  又坏了  ", "P:再试一下"]
    direct = type(model)(model.model, model.weights_name, model.threshold)
    by_automaton = type(model)(model.model, model.weights_name, model.threshold)
    by_automaton._weighed = AUTOMATON_AFTER
    for text in texts:
        assert direct._turn_score(text) == pytest.approx(by_automaton._turn_score(text), abs=1e-12)
    assert direct._automaton is None and by_automaton._automaton is not None


@pytest.mark.parametrize("seed", [8, 9])
def test_skipping_triggers_whose_reply_already_answers_changes_no_finding(seed):
    """A `next` rule looks for its trigger only where the reply lacks what it requires (the cheaper question);
    the full pass, which a trace makes, finds the same."""
    linter = Linter.from_config()
    rule = next(r for r in linter.pack.rules if r.id == "empathy-missing")
    checked = 0
    for conv in _complaints(300, seed):
        view = ConversationView(conv, linter.pack.toolkit)
        full = sorted({f.message_index for _, _, f in rule._judged(view) if f is not None})
        fast = [f.message_index for f in rule.check(ConversationView(conv, linter.pack.toolkit))]
        assert fast == full[:len(fast)] and (fast == full or rule.once)
        checked += bool(full)
    assert checked > 50
