"""A phrases or regex rule's learned veto (`model: {weights, veto}`): where the rule's words hit, a message its
weights score under the veto reports nothing; `calibrate --train-veto` learns the weights from labelled sets."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter import Linter
from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.errors import RuleLoadError

from packs import random_conversations, write_labelled_set, write_pack, write_team_set
from test_block_engine import assert_same_findings

RULES = """\
rules:
  - id: t-taboo
    type: phrases
    category: banned-phrase
    message: "忌语「{match}」"
    terms: [不清楚]
    model: {weights: harmless, veto: 0.3}
  - id: t-push
    type: regex
    category: banned-phrase
    message: "推诿「{match}」"
    pattern: '自己(去)?查'
    model: {weights: harmless, veto: 0.3}
"""
# 会先 (what happens next) weighs a message far down (0.5 - 3: 0.08, under the veto); 自己 a little up.
WEIGHTS = "# harmless: test weights\n(bias)\t0.5\n会先\t-3.0\n自己\t0.5\n"


@pytest.fixture()
def pack(tmp_path):
    return write_pack(tmp_path / "pack", RULES, {"harmless": WEIGHTS})


def _scan(linter, text):
    conv = conversation_from_dict({"id": "c", "messages": [{"role": "customer", "text": "什么时候到"},
                                                             {"role": "agent", "text": text}]})
    return [(f.rule, f.text) for f in linter.scan(conv)]


def test_a_message_the_weights_read_as_harmless_reports_nothing(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    assert _scan(linter, "具体时间不清楚") == [("t-taboo", "不清楚")]               # 0.5: 0.62
    assert _scan(linter, "具体时间不清楚 网点会先打电话") == []                     # 0.5 - 3: 0.08
    assert _scan(linter, "您自己查吧") == [("t-push", "自己查")]                    # 0.5 + 0.5: 0.73
    assert _scan(linter, "您自己查 我们会先发短信") == []
    # The veto reads the message alone: a draft is judged by itself, and the same way.
    result = linter.check_reply("具体时间不清楚 网点会先打电话", [{"role": "customer", "text": "什么时候到"}])
    assert result.findings == []
    assert [f.rule for f in linter.check_reply("具体时间不清楚").findings] == ["t-taboo"]


@pytest.mark.parametrize("model, error", [
    ("{weights: harmless}", "model.veto must be a probability between 0 and 1"),
    ("{weights: harmless, veto: 1.5}", "model.veto must be a probability between 0 and 1"),
    ("{weights: harmless, threshold: 0.5, veto: 0.3}", "a message rule's model only vetoes"),
    ("{weights: nowhere, veto: 0.3}", "unknown lexicon 'nowhere'"),
    ("{weights: harmless, veto: 0.3, extra: 1}", "model needs {weights"),
])
def test_a_bad_veto_is_a_clear_error(pack, model, error):
    (pack / "rules.yaml").write_text(RULES.replace("{weights: harmless, veto: 0.3}", model, 1), encoding="utf-8")
    with pytest.raises(RuleLoadError, match=error.replace("{", r"\{").replace("(", r"\(")):
        Linter.from_config(rules=[pack], builtin=False)


def test_the_veto_on_the_block_engine(pack):
    linter = Linter.from_config(rules=[pack], builtin=False)
    texts = ["具体时间不清楚", "不清楚 会先打电话", "您自己查吧", "自己查 会先", "好的", "", "不 清 楚"]
    conversations = random_conversations(texts, 7, "v", 6)
    assert assert_same_findings(linter, conversations, block_size=70) > 20


# -- calibrate --train-veto ----------------------------------------------------------------------------------------
def _labelled_set(folder: Path, teams: int = 4, per_team: int = 12) -> Path:
    """Agents who say 不清楚 and stop (labelled) or say what happens next (会安排, not labelled)."""
    def conversation(k: int):
        curt = k % 2 == 0
        agent = f"这个不清楚{k}" if curt else f"时间不清楚{k} 网点会安排好"
        return [("customer", "什么时候到"), ("agent", agent)], (1, "banned-phrase") if curt else None

    return write_team_set(folder, "v", teams, per_team, conversation)


def test_train_veto_learns_from_the_messages_the_words_hit(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    out = tmp_path / "learned.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--select", "banned-phrase", "--train-veto", str(out)])
    assert result.exit_code == 0, result.output
    first, left_out = result.output.splitlines()[:2]
    assert first.startswith("48 messages where the words of t-taboo, t-push hit (24 labelled banned-phrase) of 4 teams")
    assert left_out.startswith("on teams left out of training (4 folds): banned-phrase F1 0.667 with the rules' words")
    assert left_out.endswith("(the rules' veto: 0.3)") and "0.1 1.000" in left_out
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# learned.txt - how much each piece of a message shows it breaks the rule its words hit")
    weights = dict(line.split("\t") for line in text.splitlines() if not line.startswith("#"))
    assert float(weights["安排"]) < 0


def test_train_veto_needs_the_rules_of_one_category(tmp_path, pack):
    labelled = _labelled_set(tmp_path / "set")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--select", "slang,banned-phrase",
                                       "--train-veto", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "one veto for the phrases and regex rules of one category" in result.output
    assert not (tmp_path / "out.txt").exists()


def test_the_built_in_veto_is_the_shipped_weights():
    linter = Linter.from_config()
    vetoing = {r.id: (r.veto_model.weights_name, r.veto) for r in linter.pack.rules if r.veto_model is not None}
    assert vetoing == {rid: ("banned-phrase-model", 0.02) for rid in (
        "banned-phrase-taboo", "banned-phrase-self-service", "banned-phrase-reproach", "banned-phrase-deflection")}


def test_calibrate_show_errors_names_the_veto(tmp_path, pack):
    """A labelled message the veto took away is a miss whose `why` names the veto, for a rule author."""
    transcripts = [{"id": "c1", "messages": [{"role": "customer", "text": "什么时候到"},
                                              {"role": "agent", "text": "具体时间不清楚 网点会先打电话"}]}]
    labels = [{"id": "c1", "findings": [{"message_index": 1, "category": "banned-phrase"}]}]
    labelled = write_labelled_set(tmp_path / "set", transcripts, labels)
    result = CliRunner().invoke(main, ["calibrate", "--set", str(labelled), "--rules", str(pack), "--no-builtin",
                                       "--show-errors"])
    assert "cancelled by the veto of harmless (the message weighs under 0.3)" in result.output, result.output
