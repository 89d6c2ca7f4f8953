"""`calibrate --intervals`: each F1 with the range it takes when the product lines are drawn again."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qa_linter.calibration import Calibration, CategoryScore, calibrate, f1_intervals, render_text
from qa_linter.cli import main
from qa_linter.model import Conversation, Finding, Message, Severity

DATA = Path(__file__).parent / "data"


def _conversation(conv_id: str, team: str | None, meta: dict | None = None) -> Conversation:
    return Conversation(conv_id, [Message(0, "customer", "你好"), Message(1, "agent", "您好")], "chat", None, team,
                        None, meta or {})


def _finding(conv_id: str, category: str) -> Finding:
    return Finding(conversation_id=conv_id, message_index=1, role="agent", rule=f"{category}-rule", category=category,
                   severity=Severity.WARNING, message="test", start=0, end=2, text="您好")


def _scored(lines: dict[str, list[str]]) -> Calibration:
    """Per team, one conversation per outcome: "tp", "fp" or "fn" of category slang."""
    scanned, labels = [], {}
    for team, outcomes in lines.items():
        for k, outcome in enumerate(outcomes):
            conv_id = f"{team}-{k}"
            findings = [_finding(conv_id, "slang")] if outcome in ("tp", "fp") else []
            labels[conv_id] = {(1, "slang"): "note"} if outcome in ("tp", "fn") else {}
            scanned.append((_conversation(conv_id, team), findings))
    return calibrate(scanned, labels, ["slang"])


def test_product_lines_that_differ_give_an_interval_around_the_figure():
    cal = _scored({"good": ["tp"] * 9 + ["fp"], "bad": ["tp"] * 5 + ["fn"] * 5, "fair": ["tp"] * 7 + ["fp", "fn"]})
    intervals = f1_intervals(cal)
    low, high = intervals["slang"]
    assert low < cal.categories["slang"].f1 < high
    assert intervals["micro"] == intervals["slang"]  # one category: the micro figure is the same
    assert f1_intervals(cal) == intervals  # a fixed seed: the same input, the same interval


def test_the_interval_is_that_of_redrawing_whole_product_lines():
    # Two lines, one perfect (F1 1.0) and one all wrong (F1 0): a redraw takes each line whole, so it gives 1.0
    # (the right line twice), 0.0 (the wrong one twice) or 0.667 (one of each), the ends each about a quarter of
    # the time: the interval runs from one end to the other. Resampling single conversations would not reach them.
    cal = _scored({"right": ["tp"] * 4, "wrong": ["fp"] * 2 + ["fn"] * 2})
    assert f1_intervals(cal)["slang"] == (0.0, 1.0)
    assert f1_intervals(cal, level=0.4)["slang"] == (2 * 4 / (2 * 4 + 2 + 2),) * 2  # the middle 40%: one of each


def test_identical_product_lines_leave_no_spread():
    cal = _scored({"a": ["tp", "tp", "fp"], "b": ["tp", "tp", "fp"], "c": ["tp", "tp", "fp"]})
    low, high = f1_intervals(cal)["slang"]
    assert low == high == cal.categories["slang"].f1


def test_one_product_line_gives_no_interval():
    cal = _scored({"only": ["tp", "fp", "fn"]})
    assert f1_intervals(cal) == {"slang": None, "micro": None}
    cal.intervals = f1_intervals(cal)
    assert "slang" in render_text(cal, show_errors=False)


def test_conversations_without_a_team_are_grouped_by_product_then_alone():
    scanned = [(_conversation("p1", None, {"product": "router"}), []), (_conversation("p2", None, {"product": "router"}), []),
               (_conversation("lone", None), [])]
    cal = calibrate(scanned, {"p1": {}, "p2": {}, "lone": {}}, ["slang"])
    assert sorted(cal.groups) == ["conversation:lone", "product:router"]


def test_a_category_never_predicted_nor_labelled_has_no_interval():
    cal = _scored({"a": ["tp"], "b": ["fp"]})
    cal.categories["emoji"] = CategoryScore("emoji")
    assert f1_intervals(cal)["emoji"] is None


def test_the_command_prints_the_column_and_json_carries_it():
    runner = CliRunner()
    text = runner.invoke(main, ["calibrate", "--set", str(DATA / "corpus"), "--intervals"])
    assert text.exit_code == 0, text.output
    header = next(line for line in text.output.splitlines() if line.startswith("category"))
    assert header.split()[-2:] == ["F1", "95%"]
    assert "redraws of the" in text.output
    assert all(len(line) <= 80 for line in text.output.splitlines())
    doc = json.loads(runner.invoke(main, ["calibrate", "--set", str(DATA / "corpus"), "--intervals", "--format", "json"]).output)
    (only,) = doc["sets"]
    assert all(len(c["f1_interval"]) == 2 for c in only["categories"]) and only["micro"]["f1_interval"] == [1.0, 1.0]
    plain = json.loads(runner.invoke(main, ["calibrate", "--set", str(DATA / "corpus"), "--format", "json"]).output)
    assert "f1_interval" not in plain["sets"][0]["micro"]  # only when asked for
