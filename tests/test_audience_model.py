"""The customer-audience model: its weights are a lexicon, it is trained from labelled sets, and jargon asks it
only when nothing else decided who the customer is."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.audience import AudienceModel, Example, cross_validate, train
from qa_linter.cli import main
from qa_linter.errors import RuleLoadError
from qa_linter.loader import load_rule_pack
from qa_linter.text.lexicon import Term, read_lexicon


def _examples(n_groups: int = 8) -> list[Example]:
    # Technical customers write 日志/接口; lay ones write 怎么弄/不会; every group holds both, so the words are
    # seen in many groups and only they separate the two.
    out = []
    for g in range(n_groups):
        for k in range(6):
            out.append(Example(f"team-{g}", frozenset({"日志", "接口", f"词{k}"}), True))
            out.append(Example(f"team-{g}", frozenset({"怎么弄", "不会", f"词{k}"}), False))
    return out


def test_training_separates_the_words_of_technical_and_lay_customers():
    model = train(_examples())
    assert model.weights["日志"] > 0 > model.weights["怎么弄"]
    assert model.probability({"日志", "接口"}) > 0.9 > 0.1 > model.probability({"怎么弄", "不会"})
    assert model.strongest({"日志", "怎么弄"}) == ["日志"]


def test_training_reaches_the_minimum_of_the_regularised_loss():
    # The weights are the minimum, not wherever a fixed number of rounds stopped (the shipped weights were once
    # 300 plain rounds short of it: here that leaves a gradient of 5e-4). Many conversations that the words
    # separate make the penalty small against the data, the slow case for a plain descent.
    import numpy as np

    examples = []
    for g in range(8):
        for k in range(100):
            examples.append(Example(f"team-{g}", frozenset({"日志", f"词{k % 7}"} | ({"接口"} if k % 3 else set())), True))
            examples.append(Example(f"team-{g}", frozenset({"怎么弄", f"词{k % 7}"} | ({"不会"} if k % 3 else set())), False))
    model = train(examples, l2=1.0)
    words = sorted(model.weights)
    x = np.array([[w in ex.words for w in words] for ex in examples], dtype=float)
    y = np.array([ex.positive for ex in examples], dtype=float)
    weights = np.array([model.weights[w] for w in words])
    residual = 1.0 / (1.0 + np.exp(-(x @ weights + model.bias))) - y
    gradient = x.T @ residual / len(examples) + 1.0 / len(examples) * weights
    assert abs(residual.mean()) < 1e-5 and np.abs(gradient).max() < 1e-5


def test_words_of_too_few_product_lines_are_left_out():
    examples = _examples() + [Example("team-0", frozenset({"只在一处"}), True)]
    assert "只在一处" not in train(examples).weights


def test_cross_validation_scores_product_lines_left_out():
    accuracy, held = cross_validate(_examples())
    assert accuracy == 1.0 and len(held) == len(_examples())


def test_the_weights_file_round_trips_as_a_lexicon(tmp_path):
    model = AudienceModel(-1.25, {"后台": 2.0, "怎么弄": -1.5})
    path = tmp_path / "aud.txt"
    path.write_text(model.to_text("header line"), encoding="utf-8")
    loaded = AudienceModel.from_terms(read_lexicon(path).terms)
    assert loaded == model
    with pytest.raises(ValueError, match="expected word<TAB>weight"):
        AudienceModel.from_terms([Term("后台", "many", None, "x.txt:3")])


def _rule(tmp_path: Path, model: str) -> str:
    (tmp_path / "lexicons").mkdir(exist_ok=True)
    (tmp_path / "lexicons" / "terms.txt").write_text("接口\t两个系统交换数据的通道\n", encoding="utf-8")
    (tmp_path / "lexicons" / "aud.txt").write_text("(bias)\t-2\n后台\t3\n同步\t2\n", encoding="utf-8")
    return textwrap.dedent(f"""\
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: "{{match}}"
            lexicon: [terms]
            default_audience: consumer
            audiences: {{consumer: {{knows: []}}, developer: {{knows: all}}}}
            technical_customer: {{min_terms: 2, audience: developer, model: {model}}}
        """)


def _flags(tmp_path, model, customer):
    path = tmp_path / "pack.yaml"
    path.write_text(_rule(tmp_path, model), encoding="utf-8")
    pack = load_rule_pack([path], builtin=False)
    from qa_linter import Linter
    conv = {"id": "c", "channel": "chat", "messages": [{"role": "customer", "text": customer},
                                                       {"role": "agent", "text": "是接口的问题。"}]}
    return [f.text for f in Linter(pack).scan(conv)]


def test_jargon_asks_the_model_when_nothing_else_decided(tmp_path):
    model = "{weights: aud, threshold: 0.9}"
    assert _flags(tmp_path, model, "后台同步不了") == []  # -2 + 3 + 2: 0.95
    assert _flags(tmp_path, model, "后台打不开") == ["接口"]  # -2 + 3: 0.73
    assert _flags(tmp_path, "{weights: aud, threshold: 0.5}", "后台打不开") == []


def test_a_likely_reading_makes_the_customer_the_likely_audience(tmp_path):
    # -2 + 3: 0.73, at least the likely threshold (0.7) but below the sure one (0.9): the likely audience knows
    # nothing here, so 接口 is still judged; with a likely audience that knows every term it is not.
    rule = _rule(tmp_path, "{weights: aud, threshold: 0.9, likely: {threshold: 0.7, audience: trade}}").replace(
        "developer: {knows: all}}", "developer: {knows: all}, trade: {knows: []}}")
    (tmp_path / "pack.yaml").write_text(rule, encoding="utf-8")
    from qa_linter import Linter
    conv = lambda text: {"id": "c", "channel": "chat", "messages": [
        {"role": "customer", "text": text}, {"role": "agent", "text": "是接口的问题。"}]}
    linter = Linter(load_rule_pack([tmp_path / "pack.yaml"], builtin=False))
    assert [f.text for f in linter.scan(conv("后台打不开"))] == ["接口"]
    (tmp_path / "pack.yaml").write_text(rule.replace("trade: {knows: []}", "trade: {knows: all}"), encoding="utf-8")
    linter = Linter(load_rule_pack([tmp_path / "pack.yaml"], builtin=False))
    assert [f.text for f in linter.scan(conv("后台打不开"))] == []     # 0.73: the likely audience
    assert [f.text for f in linter.scan(conv("打不开"))] == ["接口"]   # 0.12: neither reading


@pytest.mark.parametrize("model", ["{weights: aud}", "{weights: aud, threshold: 2}", "[aud]",
                                   "{weights: aud, threshold: 0.9, likely: {threshold: 0.95, audience: developer}}",
                                   "{weights: aud, threshold: 0.9, likely: {threshold: 0.7}}",
                                   "{weights: aud, threshold: 0.9, likely: {threshold: 0.7, audience: nobody}}"])
def test_a_bad_model_setting_is_a_rule_error(tmp_path, model):
    path = tmp_path / "pack.yaml"
    path.write_text(_rule(tmp_path, model), encoding="utf-8")
    with pytest.raises(RuleLoadError) as info:
        load_rule_pack([path], builtin=False)
    assert any("technical_customer.model" in e.describe() for e in info.value.errors)


def _labelled_set(folder: Path, teams: int) -> None:
    folder.mkdir()
    with open(folder / "transcripts.jsonl", "w", encoding="utf-8") as t, \
            open(folder / "labels.jsonl", "w", encoding="utf-8") as lab:
        for g in range(teams):
            for k, (text, who) in enumerate([("我们后台的日志接口报错了", "technical"),
                                             ("我不会弄，手机怎么弄", "non-technical")] * 3):
                cid = f"t{g}-{k}"
                t.write(json.dumps({"id": cid, "channel": "chat", "team": f"team-{g}", "meta": {"customer": who},
                                    "messages": [{"role": "customer", "text": text},
                                                 {"role": "agent", "text": "您好"}]}, ensure_ascii=False) + "\n")
                lab.write(json.dumps({"id": cid, "findings": []}) + "\n")


def test_calibrate_trains_the_audience_weights_from_a_labelled_set(tmp_path):
    _labelled_set(tmp_path / "set", teams=6)
    out = tmp_path / "aud.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(tmp_path / "set"), "--train-audience", str(out)])
    assert result.exit_code == 0, result.output
    assert "36 conversations (18 technical) of 6 teams: accuracy on teams left out 1.000" in result.output
    model = AudienceModel.from_terms(read_lexicon(out).terms)
    assert model.weights["后台"] > 0 > model.weights["怎么弄"]
    assert out.read_text(encoding="utf-8").startswith("# customer-audience.txt")


def test_a_broken_record_is_reported_and_skipped(tmp_path):
    _labelled_set(tmp_path / "set", teams=6)
    with open(tmp_path / "set" / "transcripts.jsonl", "a", encoding="utf-8") as f:
        f.write("{not json\n")
    out = tmp_path / "aud.txt"
    result = CliRunner().invoke(main, ["calibrate", "--set", str(tmp_path / "set"), "--train-audience", str(out)])
    assert result.exit_code == 2, result.output   # written, but the input was not all read
    assert out.is_file() and "transcripts.jsonl:37:" in result.output and "(skipped)" in result.output
    assert "36 conversations" in result.output and "1 records skipped" in result.output


def test_an_unwritable_weights_file_is_a_clear_error(tmp_path):
    _labelled_set(tmp_path / "set", teams=6)
    result = CliRunner().invoke(main, ["calibrate", "--set", str(tmp_path / "set"),
                                       "--train-audience", str(tmp_path / "no-such-dir" / "aud.txt")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)   # a message, no traceback
    assert "cannot write" in result.output and "no-such-dir" in result.output


def test_too_few_teams_to_train_is_a_clear_error(tmp_path):
    _labelled_set(tmp_path / "set", teams=2)
    result = CliRunner().invoke(main, ["calibrate", "--set", str(tmp_path / "set"),
                                       "--train-audience", str(tmp_path / "aud.txt")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "at least 5 teams" in result.output


def test_the_built_in_pack_reads_a_back_office_customer_as_technical_only_when_sure():
    from qa_linter.engine import Linter
    from qa_linter.model import Conversation, Message

    linter = Linter.from_config()
    reply = Message(1, "agent", "已经帮您把缓存清掉了，您再导出一次。", None)

    def jargon(customer):
        conv = Conversation("c", [Message(0, "customer", customer, None), reply], "chat")
        return [f.text for f in linter.scan(conv) if f.rule == "jargon-unexplained"]

    assert jargon("你好 我们这边结算单的数据跟订单状态对不上 已经确认过了 麻烦核对一下") == []
    assert jargon("你好 我家孩子的手表怎么弄都连不上 怎么办") == ["缓存"]
    assert jargon("你好，我们想问一下发票怎么开") == ["缓存"]   # 我们 alone is far from sure


def test_a_sure_lay_reading_beats_the_guess_from_the_product_line_name():
    """A product line named for developers (ocr-developer) makes its customers developers, unless their own words
    read surely as a layperson's (an HR clerk who cannot work it)."""
    from qa_linter.engine import Linter
    from qa_linter.model import Conversation, Message

    linter = Linter.from_config()
    reply = Message(1, "agent", "识别结果的置信度低于阈值，所以没返回。", None)

    def jargon(customer):
        conv = Conversation("c", [Message(0, "customer", customer, None), reply], "chat", team="ocr-developer")
        return sorted(f.text for f in linter.scan(conv) if f.rule == "jargon-unexplained")

    assert jargon("身份证照片上传了没结果") == []   # nothing says who they are: the line's developers
    assert jargon("我家孩子帮我传的照片 怎么办 谢谢") != []   # surely a layperson (no cue word says so)
