"""`qa-lint calibrate --agreement`: a second reviewer's labels of the same conversations, against the first
reviewer's and against the rules (calibration.agreement)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qa_linter.calibration import CategoryScore, agreement_f1, reviewer_agreement
from qa_linter.cli import main

CONVS = [
    {"id": "a-1", "channel": "chat", "messages": [
        {"role": "customer", "text": "你好"}, {"role": "agent", "text": "亲，您好，这个我不知道。"}]},
    {"id": "a-2", "channel": "chat", "messages": [
        {"role": "customer", "text": "都三天了还没到，气死了"}, {"role": "agent", "text": "您好，请提供订单号。"}]},
    {"id": "a-3", "channel": "chat", "messages": [
        {"role": "customer", "text": "在吗"}, {"role": "agent", "text": "您好，在的，请问有什么可以帮您？"}]},
]


def _write_labels(path: Path, labels: dict[str, list[tuple[int, str]]]) -> Path:
    path.write_text("".join(json.dumps({"id": cid, "findings": [{"message_index": i, "category": c} for i, c in items]},
                                       ensure_ascii=False) + "\n" for cid, items in labels.items()), encoding="utf-8")
    return path


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "transcripts.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CONVS),
                                              encoding="utf-8")
    _write_labels(folder / "labels.jsonl", {
        "a-1": [(1, "slang"), (1, "banned-phrase")],
        "a-2": [(1, "empathy-missing")],
        "a-3": [],
    })
    return folder


def _run(*args):
    return CliRunner().invoke(main, ["calibrate", *args, "--select", "slang,banned-phrase,empathy-missing"])


def test_the_reviewers_are_compared_with_each_other_and_the_rules_with_each(tmp_path):
    folder = _folder(tmp_path)
    # The second reviewer read a-1 and a-2 only: agrees on slang and empathy, not on the taboo phrase, and adds an
    # empathy label the first did not give and no rule finds.
    second = _write_labels(tmp_path / "second.jsonl", {
        "a-1": [(1, "slang")],
        "a-2": [(1, "empathy-missing")],
        "x-9": [(1, "slang")],
    })
    result = _run("--set", str(folder), "--agreement", str(second))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("two reviewers on 2 conversations: where they agree, and the rules against each")
    rows = {line.split()[0]: line.split()[1:] for line in lines[start + 2:] if line[:1].isalpha() and "labelled" not in line}
    # both, first only, second only, reviewers' F1, rules against the first, rules against the second
    assert rows["slang"] == ["1", "0", "0", "1.000", "1.000", "1.000"]
    assert rows["banned-phrase"] == ["0", "1", "0", "0.000", "1.000", "-"]
    assert rows["empathy-missing"] == ["1", "0", "0", "1.000", "1.000", "1.000"]
    assert rows["micro"][:4] == ["2", "1", "0", "0.800"]
    assert "labelled by the second reviewer but not in the set (ignored): x-9" in result.output


def test_agreement_in_json(tmp_path):
    folder = _folder(tmp_path)
    second = _write_labels(tmp_path / "second.jsonl", {"a-2": [(1, "empathy-missing")], "a-3": [(1, "slang")]})
    doc = json.loads(_run("--set", str(folder), "--agreement", str(second), "--format", "json").output)
    agreed = doc["agreement"]
    assert agreed["conversations"] == 2
    scores = {c["category"]: c for c in agreed["reviewers"]}
    assert (scores["slang"]["tp"], scores["slang"]["fn"], scores["slang"]["fp"]) == (0, 0, 1)
    assert scores["micro"]["f1"] == round(2 / 3, 3)
    # The rules find no slang in a-3, which the second reviewer labelled: a miss against them, none against the first.
    against_second = {c["category"]: c for c in agreed["rules_against_second"]["categories"]}
    assert against_second["slang"]["fn"] == 1
    assert {c["category"]: c for c in agreed["rules_against_first"]["categories"]}["slang"]["fn"] == 0


def test_a_second_file_of_other_conversations_is_a_clear_error(tmp_path):
    folder = _folder(tmp_path)
    second = _write_labels(tmp_path / "second.jsonl", {"x-1": [(1, "slang")]})
    result = _run("--set", str(folder), "--agreement", str(second))
    assert result.exit_code != 0 and "none of its conversations is labelled" in result.output
    assert "Traceback" not in result.output


def test_agreement_needs_one_labelled_input(tmp_path):
    folder = _folder(tmp_path)
    second = _write_labels(tmp_path / "second.jsonl", {"a-1": []})
    result = _run("--set", str(folder), "--set", str(folder), "--agreement", str(second))
    assert result.exit_code == 2 and "one labelled input" in result.output


def test_a_broken_second_file_names_its_line(tmp_path):
    folder = _folder(tmp_path)
    second = tmp_path / "second.jsonl"
    second.write_text('{"id": "a-1", "findings": []}\nnot json\n', encoding="utf-8")
    result = _run("--set", str(folder), "--agreement", str(second))
    assert result.exit_code != 0 and f"{second}:2" in result.output and "Traceback" not in result.output


def test_reviewer_agreement_counts_labels_of_both_one_or_the_other():
    first = {"a": {(1, "slang"): "", (3, "empathy-missing"): ""}, "b": {(1, "slang"): ""}, "c": {}}
    second = {"a": {(1, "slang"): ""}, "b": {(1, "slang"): "", (5, "closing-missing"): ""}, "d": {(0, "slang"): ""}}
    scores = reviewer_agreement(first, second, ["slang", "empathy-missing", "closing-missing"])
    as_tuples = {c: (s.tp, s.fn, s.fp) for c, s in scores.items()}
    assert as_tuples == {"slang": (2, 0, 0), "empathy-missing": (0, 1, 0), "closing-missing": (0, 0, 1)}
    assert isinstance(scores["slang"], CategoryScore) and agreement_f1(scores["slang"]) == 1.0
    assert agreement_f1(scores["empathy-missing"]) == 0.0 and agreement_f1(CategoryScore("emoji")) is None
