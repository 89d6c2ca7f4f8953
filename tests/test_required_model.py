"""A required rule's learned model (`model:`, checks/required.py): a message of the scope that meets the rule in
words no pattern holds, what it leaves to the patterns, how calibrate explains a finding with it, the block
engine, and `calibrate --train-required`."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter import Linter
from qa_linter.analysis import ConversationView
from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.errors import RuleLoadError

from packs import random_conversations, write_pack, write_team_set
from test_block_engine import assert_same_findings

RULES = """\
rules:
  - id: r-check
    type: required
    category: no-resolution-check
    message: "没有请用户确认"
    scope: {role: agent, messages: last 2}
    require: {terms: [可以了吗]}
    model: {weights: checks, threshold: 0.9}
"""
# 摸一下 alone reaches 0.9 (-3 + 6 = 3: 0.95); 看 alone does not (-3 + 2: 0.27).
WEIGHTS = "# checks: test weights\n(bias)\t-3.0\n摸一下\t6.0\n看\t2.0\n"


@pytest.fixture()
def pack(tmp_path):
    return write_pack(tmp_path / "pack", RULES, {"checks": WEIGHTS})


def _conversation(*texts, cid="c"):
    return conversation_from_dict({"id": cid, "messages": [{"role": "agent", "text": t} for t in texts]})


def test_a_message_the_model_weighs_at_its_threshold_meets_the_rule(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert linter.scan(_conversation("您好", "收到后请您摸一下手感")) == []
    assert linter.scan(_conversation("您好", "现在可以了吗")) == []          # the rule's own words, as before
    [finding] = linter.scan(_conversation("您好", "请您看看"))                 # 0.27: under the threshold
    assert finding.rule == "r-check" and finding.message_index == 1
    # Only the scope is weighed: 摸一下 three agent messages before the end is too early.
    assert linter.scan(_conversation("请您摸一下", "好的", "再见"))


def test_calibrate_says_what_the_model_made_of_a_finding(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    conv = _conversation("您好", "请您看看")
    [finding] = linter.scan(conv)
    rule = linter.pack.rules[0]
    why = rule.decided_by(ConversationView(conv, linter.pack.toolkit), finding)
    assert why == ["nothing in the scope came close: the wording is not covered",
                   "the model checks weighed message #1 at 0.27 (under 0.9: 看)"]


@pytest.mark.parametrize("model, error", [
    ("{weights: checks}", "model needs {weights: a lexicon of piece<TAB>weight lines, threshold: a probability"),
    ("{weights: checks, threshold: 1.5}", "model needs {weights: a lexicon"),
    ("{weights: nowhere, threshold: 0.5}", "unknown lexicon 'nowhere'"),
])
def test_a_wrong_model_is_a_load_error_on_its_line(pack, model, error):
    (pack / "rules.yaml").write_text(RULES.replace("{weights: checks, threshold: 0.9}", model), encoding="utf-8")
    with pytest.raises(RuleLoadError) as info:
        Linter.from_config(rules=[pack], builtin=False)
    [problem] = info.value.errors
    assert problem.line == 8 and error in problem.describe()


def test_the_block_engine_finds_what_the_per_message_path_finds(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    texts = ["收到后请您摸一下手感", "请您看看", "现在可以了吗", "好的", "", "再见"]
    conversations = random_conversations(texts, 7, "m", 6, roles=("customer", "agent"))
    assert assert_same_findings(linter, conversations, block_size=70) > 20


def test_the_built_in_resolution_check_reads_a_check_no_pattern_holds():
    linter = Linter.from_config()
    rule = next(r for r in linter.pack.rules if r.id == "no-resolution-check")
    assert rule.model is not None and rule.model.weights_name == "resolution-check-model"
    check = _conversation("您好", "样布已经寄出，请您收到后摸一下手感、看一下颜色")
    assert [f for f in linter.scan(check) if f.rule == "no-resolution-check"] == []
    rule.model = None  # the patterns alone miss it
    assert [f.rule for f in linter.scan(check) if f.rule == "no-resolution-check"] == ["no-resolution-check"]


# -- calibrate --train-required --------------------------------------------------------------------------------
def _labelled_set(folder: Path, teams: int = 4, per_team: int = 12) -> Path:
    """Replies that check the outcome: 可以了吗 (the rule's words) or 摸一下 (words of the labellers only, left
    unlabelled); replies that do not, labelled."""
    def conversation(k: int):
        last = ("现在可以了吗", f"请您摸一下第{k}块面料", f"第{k}单已发货")[k % 3]
        messages = [("customer", "你好"), ("agent", "您好"), ("agent", last)]
        return messages, (2, "no-resolution-check") if k % 3 == 2 else None

    return write_team_set(folder, "t", teams, per_team, conversation)


def test_train_required_learns_the_pieces_of_messages_that_meet_the_rule(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--select", "r-check", "--train-required", str(out)])
    assert result.exit_code == 0, result.output
    # Learnt from: the 16 conversations the words meet (2 messages each, 16 meeting it) and the 16 labelled (2
    # each, none meeting it); the 16 with 摸一下 are only scored (which message checks is not known).
    assert result.output.startswith("64 messages (16 meeting r-check) of 4 teams")
    left_out = result.output.splitlines()[1]
    assert left_out.startswith("on teams left out of training (4 folds): no-resolution-check F1 0.667 with the rule")
    assert left_out.endswith("(the rule's threshold: 0.9)")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# learned.txt - how much each piece of a message shows it meets r-check")
    weights = dict(line.split("\t") for line in text.splitlines() if not line.startswith("#"))
    assert float(weights["可以"]) > 0 > float(weights["发货"])
    # The file is a weights lexicon the rule reads.
    (pack / "lexicons" / "learned.txt").write_text(text, encoding="utf-8")
    (pack / "rules.yaml").write_text(RULES.replace("weights: checks, threshold: 0.9", "weights: learned, threshold: 0.5"),
                                     encoding="utf-8")
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert linter.scan(_conversation("您好", "第3单已发货"))
    assert not linter.scan(_conversation("您好", "现在可以了吗"))


def test_train_required_needs_one_required_rule(tmp_path):
    labelled = _labelled_set(tmp_path / "set")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--select", "slang",
                                       "--train-required", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "choose it with --select RULE_ID (such rules selected: none)" in result.output
    assert not (tmp_path / "out.txt").exists()


def test_train_required_needs_enough_labels(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set", teams=2, per_team=6)
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--train-required", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "at least 3 teams, with at least 10 messages that meet r-check" in result.output


def test_one_model_at_a_time(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--train-required", "a.txt",
                                       "--train-trigger", "b.txt"])
    assert result.exit_code == 2 and "write one model each: give one" in result.output
